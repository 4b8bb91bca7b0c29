import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalDirBlobStore, type BlobStore } from './blob-store.js';
import { backup } from './backup.js';
import { initRepository, Repository } from './repository.js';
import { prune } from './prune.js';
import { restore } from './restore.js';
import { listSnapshotIds } from './snapshot.js';
import { verifyRepo } from './verify.js';
import { ed25519Signer, x25519Recipient } from './x25519-recipient.js';

const SMALL = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 };
const root = mkdtempSync(join(tmpdir(), 'vault-prune-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function prng(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

/** A store whose pack deletions fail: a prune killed between its index and its packs. */
class FailingPackDeletes implements BlobStore {
  constructor(private readonly inner: BlobStore) {}
  put(name: string, bytes: Uint8Array): Promise<void> { return this.inner.put(name, bytes); }
  putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> { return this.inner.putIfAbsent(name, bytes); }
  get(name: string): Promise<Uint8Array | null> { return this.inner.get(name); }
  list(prefix: string): Promise<string[]> { return this.inner.list(prefix); }
  delete(name: string): Promise<void> {
    if (name.startsWith('packs/')) return Promise.reject(new Error('killed'));
    return this.inner.delete(name);
  }
}

async function packBytes(store: BlobStore): Promise<number> {
  let n = 0;
  for (const name of await store.list('packs/')) n += (await store.get(name))!.length;
  return n;
}

describe('prune: snapshots go with the packs only they needed', async () => {
  const rec = x25519Recipient();
  const signer = ed25519Signer();
  const dir = join(root, 'repo');
  const store = new LocalDirBlobStore(dir);
  const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey, chunker: SMALL, packTarget: 128 * 1024 });
  const keys = { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify };
  const common = prng('common', 400_000);
  const ids: string[] = [];
  // Three backups share one file; each adds 600 kB of its own.
  for (const tag of ['a', 'b', 'c']) {
    const src = join(root, `src-${tag}`);
    mkdirSync(src);
    writeFileSync(join(src, 'common.bin'), common);
    writeFileSync(join(src, `${tag}.bin`), prng(tag, 600_000));
    const repo = await Repository.open(store, { secret });
    ids.push((await backup(repo, [src], { wrapDataKey: rec.wrapDataKey, sign: signer.sign })).snapshotId);
  }
  const [a, b, c] = ids as [string, string, string];

  it('a dry run works it out and changes nothing', async () => {
    const before = (await store.list('')).sort();
    const repo = await Repository.open(store, { secret });
    const r = await prune(repo, [a], { ...keys, dryRun: true });
    assert.equal(r.dryRun, true);
    assert.ok(r.packsDeleted >= 3, `${r.packsDeleted} packs would go`);
    // a.bin (600 kB, random: stored as is) goes, except chunks sharing a pack with common.bin,
    // which are kept and counted as no longer needed.
    assert.ok(r.bytesDeleted > 300_000, `${r.bytesDeleted} bytes would go`);
    const aShare = r.bytesDeleted + r.unusedBytesKept;
    assert.ok(aShare >= 600_000 && aShare < 610_000, `${aShare} bytes of a.bin's chunks`);
    assert.deepEqual((await store.list('')).sort(), before);
  });

  it('refuses while a backup holds the lock, and changes nothing', async () => {
    const repo = await Repository.open(store, { secret });
    const lock = await repo.lock('backup');
    try {
      await assert.rejects(prune(repo, [a], keys), /locked by .*backup/);
    } finally {
      await lock.release();
    }
    assert.equal((await listSnapshotIds(store)).length, 3);
  });

  it('a prune killed before its packs are deleted leaves a repository that verifies; the next one finishes', async () => {
    const packsBefore = await packBytes(store);
    const killed = await Repository.open(new FailingPackDeletes(store), { secret });
    await assert.rejects(prune(killed, [a], keys), /killed/);
    assert.deepEqual((await listSnapshotIds(store)).sort(), [b, c].sort());
    const repo = await Repository.open(store, { secret });
    const v = await verifyRepo(repo, { level: 'full', ...keys });
    assert.deepEqual(v.problems, []);
    assert.ok(v.unindexedPacks >= 3, 'the dead packs are now unindexed, not lost or half-deleted');
    assert.equal(await packBytes(store), packsBefore);

    const r = await prune(await Repository.open(store, { secret }), [], keys);
    assert.ok(r.packsDeleted >= 3);
    const freed = packsBefore - (await packBytes(store));
    assert.ok(freed > 300_000 && freed < 610_000, `${freed} bytes freed: part of a.bin, none of the common file`);
  });

  it('what stays restores byte for byte and verifies in full', async () => {
    const repo = await Repository.open(store, { secret });
    const v = await verifyRepo(repo, { level: 'full', ...keys });
    assert.deepEqual(v.problems, []);
    assert.equal(v.unindexedPacks, 0);
    for (const [id, tag] of [[b, 'b'], [c, 'c']] as const) {
      const to = join(root, `restore-${tag}`);
      await restore(repo, id, to, keys);
      assert.ok(readFileSync(join(to, `src-${tag}`, `${tag}.bin`)).equals(prng(tag, 600_000)));
      assert.ok(readFileSync(join(to, `src-${tag}`, 'common.bin')).equals(common));
    }
    await assert.rejects(restore(repo, a, join(root, 'restore-a'), keys), /no such snapshot/);
  });

  it('refuses to remove a snapshot that is not there', async () => {
    await assert.rejects(prune(await Repository.open(store, { secret }), ['0'.repeat(64)], keys), /no such snapshot to remove/);
  });
});
