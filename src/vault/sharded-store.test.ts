import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SHARD_HEADER_LENGTH } from './erasure/index.js';
import { piecesRange } from './repo/format.js';
import { LocalDirBlobStore, Repository, backup, ed25519Signer, initRepository, restore, x25519Recipient, type BlobStore } from './repo/index.js';
import { ShardedStore } from './sharded-store.js';
import { StalledSite } from './stalled-site.fixture.js';

/** A site that is down: every call fails, as an unreachable SFTP server's would. */
class DownSite implements BlobStore {
  async put(): Promise<void> {
    throw new Error('connect ECONNREFUSED 192.0.2.9:22');
  }
  async putIfAbsent(): Promise<boolean> {
    throw new Error('connect ECONNREFUSED 192.0.2.9:22');
  }
  async get(): Promise<Uint8Array | null> {
    throw new Error('connect ECONNREFUSED 192.0.2.9:22');
  }
  async list(): Promise<string[]> {
    throw new Error('connect ECONNREFUSED 192.0.2.9:22');
  }
  async delete(): Promise<void> {
    throw new Error('connect ECONNREFUSED 192.0.2.9:22');
  }
}

describe('sharded store: packs k-of-n across sites, metadata on every site', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-sharded-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const dirs = ['local', 'offsite', 'third'].map((n) => join(root, n));
  const sites = dirs.map((d, i) => ({ name: ['local', 'offsite', 'third'][i]!, store: new LocalDirBlobStore(d) }));
  const store = new ShardedStore(sites, 2);
  const pack = randomBytes(3 * 1024 * 1024 + 17);
  const name = 'packs/ab/ab' + 'c'.repeat(62);

  it('writes one shard per site, smaller than the pack, and reads it back from any two', async () => {
    await store.put(name, pack);
    await store.put('config', Buffer.from('{"format":"lianfang-vault"}'));
    for (const d of dirs) assert.ok(readdirSync(join(d, 'packs/ab')).length === 1);
    assert.deepEqual(Buffer.from((await store.get(name))!), pack);
    for (const lost of [0, 1, 2]) {
      const two = new ShardedStore(sites.map((s, i) => (i === lost ? { name: s.name, store: new DownSite() } : s)), 2);
      assert.deepEqual(Buffer.from((await two.get(name))!), pack, `site ${sites[lost]!.name} lost`);
      assert.equal(Buffer.from((await two.get('config'))!).toString(), '{"format":"lianfang-vault"}');
    }
  });

  it('gives the unchecked route as the data stripes in place, which laid end to end are the pack', async () => {
    const pieces = (await store.getUnchecked(name))!;
    assert.equal(pieces.length, 2, 'one stripe per data shard');
    assert.deepEqual(Buffer.concat(pieces), pack);
    assert.notEqual(pieces[0]!.buffer, pieces[1]!.buffer, 'views of the two shards, not a joined copy');
    const cut = pieces[0]!.length;
    for (const [start, end] of [[0, 10], [cut - 5, cut + 7], [cut, cut + 1], [cut + 100, pack.length], [pack.length - 3, pack.length + 50]] as const) {
      const got = piecesRange(pieces, start, end);
      assert.deepEqual(Buffer.from(got), pack.subarray(start, end), `bytes ${start}–${end}`);
      if (end <= cut || start >= cut) assert.ok(got.buffer === pieces[start >= cut ? 1 : 0]!.buffer, `bytes ${start}–${end} are a view`);
    }
  });

  it('reads a pack from the data shards alone when they are intact: a corrupt parity shard is left to verify', async () => {
    const parity = join(dirs[2]!, name);
    const good = readFileSync(parity);
    const bad = Buffer.from(good);
    bad[bad.length - 5] ^= 0xff;
    writeFileSync(parity, bad);
    const r = await store.readPack(name);
    assert.deepEqual(Buffer.from(r.pack!), pack);
    assert.deepEqual(r.problems, []);
    assert.deepEqual((await store.checkPack(name)).map((c) => [c.site, c.ok]), [['local', true], ['offsite', true], ['third', false]]);
    writeFileSync(parity, good);
  });

  it('names the site whose shard is corrupt, still reads the pack, and repair rewrites only that site', async () => {
    const victim = join(dirs[1]!, name);
    const bytes = readFileSync(victim);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(victim, bytes);
    const r = await store.readPack(name);
    assert.deepEqual(Buffer.from(r.pack!), pack);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.where, /^offsite:/);
    const check = await store.checkPack(name);
    assert.deepEqual(check.map((c) => [c.site, c.ok]), [['local', true], ['offsite', false], ['third', true]]);
    assert.deepEqual(await store.repair(name), ['offsite']);
    assert.deepEqual((await store.checkPack(name)).map((c) => c.ok), [true, true, true]);
  });

  it('keeps writing with one site down, lists what it missed, and refuses when fewer than k sites remain', async () => {
    const oneDown = new ShardedStore([sites[0]!, { name: 'offsite', store: new DownSite() }, sites[2]!], 2);
    await oneDown.put('packs/cd/cd' + 'e'.repeat(62), randomBytes(1000));
    assert.deepEqual(oneDown.lagging.map((l) => l.site), ['offsite']);
    assert.match(oneDown.lagging[0]!.reason, /ECONNREFUSED/);
    const twoDown = new ShardedStore([sites[0]!, { name: 'b', store: new DownSite() }, { name: 'c', store: new DownSite() }], 2);
    await assert.rejects(twoDown.put('snapshots/x', Buffer.from('x')), /only 1 of 3 sites took it, at least 2 are needed/);
  });

  it('takes a lock only when no site holds it', async () => {
    assert.equal(await store.putIfAbsent('locks/exclusive', Buffer.from('me')), true);
    assert.equal(await store.putIfAbsent('locks/exclusive', Buffer.from('you')), false);
    await store.delete('locks/exclusive');
    // A stale lock on one site alone is still a lock: the second writer must not proceed.
    await sites[2]!.store.put('locks/exclusive', Buffer.from('stale'));
    assert.equal(await store.putIfAbsent('locks/exclusive', Buffer.from('me')), false);
    assert.equal(await sites[0]!.store.get('locks/exclusive'), null, 'no half-taken lock is left behind');
  });

  it('reads the metadata copy most sites agree on', async () => {
    await store.put('snapshots/s1', Buffer.from('genuine'));
    await sites[0]!.store.put('snapshots/s1', Buffer.from('rewritten on one site'));
    assert.equal(Buffer.from((await store.get('snapshots/s1'))!).toString(), 'genuine');
  });
});

describe('sharded store: a slow site does not set the pace', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-slow-site-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('goes on once k sites have a write, reports the slow one behind, and the late write still lands', async () => {
    const slow = new StalledSite(join(root, 'slow'));
    const sites = [
      { name: 'local', store: new LocalDirBlobStore(join(root, 'local')) },
      { name: 'slow', store: slow },
      { name: 'third', store: new LocalDirBlobStore(join(root, 'third')) },
    ];
    const store = new ShardedStore(sites, 2, { straggleMs: 10, maxBehind: 2 });
    const names = ['a', 'b', 'c', 'd'].map((x) => `packs/${x}${x}/${x}${x}` + '0'.repeat(62));
    for (const n of names) await store.put(n, randomBytes(64 * 1024)); // would hang if it waited for the slow site
    assert.equal(slow.pending, 3, 'three writes wait on the slow site; the fourth was not sent');
    assert.deepEqual(store.lagging.map((l) => [l.site, l.blob]), [['slow', names[3]]]);
    assert.match(store.lagging[0]!.reason, /left behind: too many writes still under way/);
    // Every pack reads back from the two sites that have it.
    for (const n of names) assert.equal((await store.get(n))!.length, 64 * 1024);

    await store.settleStragglers(10);
    assert.deepEqual(store.lagging.filter((l) => l.reason.startsWith('still being written')).map((l) => l.blob), names.slice(0, 3));
    slow.release();
    while (slow.pending > 0) await new Promise((r) => setTimeout(r, 5));
    const landed = readdirSync(join(root, 'slow', 'packs'), { recursive: true }).filter((f) => String(f).length > 3);
    assert.equal(landed.length, 3, 'the late writes completed after the backup moved on');
  });
});

describe('sharded store under a repository: restore takes the data shards unhashed, and parity when a chunk fails', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-sharded-restore-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('restores byte for byte with a flipped byte in every pack shard of the first site, and says that site is behind', async () => {
    const sites = ['a', 'b', 'c'].map((name) => ({ name, store: new LocalDirBlobStore(join(root, name)) }));
    const store = new ShardedStore(sites, 2);
    const rec = x25519Recipient();
    const signer = ed25519Signer();
    const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey, packTarget: 256 * 1024 });
    const repo = await Repository.open(store, { secret });
    const src = join(root, 'src');
    mkdirSync(src);
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}`), randomBytes(300 * 1024));
    const { snapshotId } = await backup(repo, [src], { wrapDataKey: rec.wrapDataKey, sign: signer.sign });
    // Site a holds data shard 0 of every pack: one byte of its payload flipped, shard header
    // intact, so the cheap join succeeds and hands over a pack whose own header (every other
    // pack) or a chunk record (the rest) fails to authenticate.
    const shards = readdirSync(join(root, 'a', 'packs'), { recursive: true }).map(String).filter((n) => n.length > 60).sort();
    assert.ok(shards.length >= 2, `${shards.length} packs`);
    shards.forEach((n, i) => {
      const f = join(root, 'a', 'packs', n);
      const bytes = readFileSync(f);
      bytes[SHARD_HEADER_LENGTH + (i % 2 === 0 ? 100 : (bytes.length - SHARD_HEADER_LENGTH) >> 1)] ^= 0x01;
      writeFileSync(f, bytes);
    });
    const reader = new ShardedStore(sites, 2);
    const again = await Repository.open(reader, { secret });
    await restore(again, snapshotId, join(root, 'out'), { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify });
    for (let i = 0; i < 4; i++) assert.deepEqual(readFileSync(join(root, 'out', 'src', `f${i}`)), readFileSync(join(src, `f${i}`)), `f${i}`);
    const behind = new Set(reader.lagging.filter((l) => l.blob.startsWith('packs/')).map((l) => l.site));
    assert.deepEqual([...behind], ['a']);
  });
});
