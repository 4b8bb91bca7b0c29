import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { SHARD_HEADER_LENGTH, readShardHeader, verifyShard } from './erasure/index.js';
import { writeShardHeader } from './erasure/shard-format.js';
import { keygen, writeIdentity, writeRecipient } from './keys/index.js';
import { drillVault } from './drill.js';
import { backupVault, initVault, listSnapshots, localSites, parseData, pruneVault, readTrustedHead, recoverVaultFile, repairVault, restoreVault, rotateVaultCustodians, verifyVault, type SiteOpener } from './vault.js';
import { StalledSite } from './stalled-site.fixture.js';

const SOURCE = new URL('../../../shared/data/sigma/rules/windows/builtin/security', import.meta.url).pathname;

/** Writes `<root>/<name>.key` and `.key.pub` for each custodian. */
async function makeCustodians(root: string, names: readonly string[]): Promise<void> {
  for (const p of names) {
    const { identity, recipient } = keygen();
    await writeIdentity(join(root, `${p}.key`), identity);
    await writeRecipient(join(root, `${p}.key.pub`), recipient);
  }
}

/** `<root>/v.json`: sites a, b, c (folders under root), data 2-of-3, custodians alice and bob, quorum 2. */
async function twoOfThreeVault(root: string): Promise<{ v: string; keys: string[] }> {
  await makeCustodians(root, ['alice', 'bob']);
  const v = join(root, 'v.json');
  await initVault({ vault: v, sites: ['a', 'b', 'c'].map((name) => ({ name, url: join(root, name) })), data: parseData('2-of-3'), custodians: ['alice', 'bob'].map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) })), quorum: 2 });
  return { v, keys: ['alice', 'bob'].map((p) => join(root, `${p}.key`)) };
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out.sort();
}

describe('vault: 2-of-3 sites, key 2-of-3 among custodians', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const vault = join(root, 'core.json');
  const sites = ['local', 'offsite', 'third'].map((name) => ({ name, url: join(root, 'sites', name) }));
  const people = ['alice', 'bob', 'carol'];
  const data = join(root, 'data');

  it('initialises without keeping the vault key, and backs up with no custodian present', async () => {
    await makeCustodians(root, people);
    const file = await initVault({ vault, sites, data: parseData('2-of-3'), custodians: people.map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) })), quorum: 2 });
    assert.equal(file.custody.quorum ?? 2, 2);
    assert.equal(JSON.stringify(file).includes('IDENTITY'), false, 'no private key in the vault file');
    mkdirSync(data);
    for (const f of filesUnder(SOURCE)) {
      const to = join(data, relative(SOURCE, f));
      mkdirSync(join(to, '..'), { recursive: true });
      writeFileSync(to, readFileSync(f));
    }
    writeFileSync(join(data, 'core-banking.dump'), Buffer.alloc(3 * 1024 * 1024, 'deposit-ledger '));
    const r = await backupVault(vault, [data]);
    assert.match(r.snapshotId, /^[0-9a-f]{64}$/);
    assert.ok(r.files > 50);
    assert.deepEqual(r.lagging, []);
  });

  it('restores after one site is wiped, with two of three custodians, byte for byte', async () => {
    writeFileSync(join(data, 'core-banking.dump'), Buffer.alloc(3 * 1024 * 1024, 'deposit-ledger-2 '));
    const second = await backupVault(vault, [data]);
    const snaps = await listSnapshots(vault);
    assert.equal(snaps.length, 2);
    assert.equal(snaps.at(-1)!.id, second.snapshotId);
    rmSync(join(root, 'sites', 'offsite'), { recursive: true, force: true }); // ransomware wipes a site
    const to = join(root, 'restore');
    const r = await restoreVault(vault, 'latest', to, [join(root, 'alice.key'), join(root, 'carol.key')]);
    assert.equal(r.snapshotId, second.snapshotId);
    const restored = join(to, 'data'); // each backed-up path is restored under its own name
    const want = filesUnder(data).map((f) => relative(data, f));
    assert.deepEqual(filesUnder(restored).map((f) => relative(restored, f)), want);
    for (const f of want) assert.deepEqual(readFileSync(join(restored, f)), readFileSync(join(data, f)), f);
    assert.ok(statSync(join(restored, 'core-banking.dump')).size === 3 * 1024 * 1024);
  });

  it('refuses a restore with one custodian, and verify says which site is gone and that it can lose no other', async () => {
    await assert.rejects(restoreVault(vault, 'latest', join(root, 'r2'), [join(root, 'bob.key')]), /quorum|2/);
    const v = await verifyVault(vault, 'full');
    assert.equal(v.ok, false);
    const offsite = v.sites.find((s) => s.site === 'offsite')!;
    assert.ok(offsite.shardsBad.length > 0 && offsite.shardsBad.every((b) => b.reason === 'missing'));
    assert.deepEqual(v.sites.map((s) => [s.site, s.canLose]), [['local', false], ['offsite', true], ['third', false]]);
  });
});

describe('vault: sites at init, the loss of each site, and what verify checks', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-sites-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const people = ['alice', 'bob', 'carol'];
  const custodians = people.map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) }));
  const siteDir = (name: string): string => join(root, 'sites', name);
  const sites = ['local', 'offsite', 'third'].map((name) => ({ name, url: siteDir(name) }));
  const vault = join(root, 'v.json');
  const data = join(root, 'data');

  it('init refuses a site it cannot write, naming it, and leaves nothing behind', async () => {
    await makeCustodians(root, people);
    const plain = join(root, 'plain-file');
    writeFileSync(plain, 'keep me');
    const bad = [sites[0]!, { name: 'offsite', url: join(plain, 'vault') }, sites[2]!];
    const badVault = join(root, 'bad.json');
    await assert.rejects(initVault({ vault: badVault, sites: bad, data: parseData('2-of-3'), custodians, quorum: 2 }), (err: Error) => {
      assert.match(err.message, /cannot write to site "offsite" \(.*plain-file\/vault\)/);
      assert.doesNotMatch(err.message, /site "local"|site "third"/);
      return true;
    });
    assert.equal(existsSync(badVault), false, 'no vault file');
    assert.equal(existsSync(join(siteDir('local'), 'config')), false, 'no repository on the good sites');
    assert.equal(readFileSync(plain, 'utf8'), 'keep me');
  });

  it('restores with any one site gone, and names the sites when two are', async () => {
    await initVault({ vault, sites, data: parseData('2-of-3'), custodians, quorum: 2 });
    mkdirSync(data);
    for (const f of filesUnder(SOURCE).slice(0, 40)) writeFileSync(join(data, f.split('/').pop()!), readFileSync(f));
    writeFileSync(join(data, 'ledger.dump'), Buffer.alloc(2 * 1024 * 1024, 'remittance '));
    await backupVault(vault, [data]);
    const keys = [join(root, 'alice.key'), join(root, 'bob.key')];
    const want = filesUnder(data).map((f) => relative(data, f));
    for (const gone of ['local', 'offsite', 'third']) {
      renameSync(siteDir(gone), `${siteDir(gone)}.away`);
      const to = join(root, `restore-without-${gone}`);
      await restoreVault(vault, 'latest', to, keys);
      const restored = join(to, 'data');
      assert.deepEqual(filesUnder(restored).map((f) => relative(restored, f)), want, gone);
      for (const f of want) assert.deepEqual(readFileSync(join(restored, f)), readFileSync(join(data, f)), `${gone}: ${f}`);
      renameSync(`${siteDir(gone)}.away`, siteDir(gone));
    }
    // Two of three gone: the packs' shards are wiped, metadata kept, so the refusal is about data.
    for (const gone of ['local', 'third']) rmSync(join(siteDir(gone), 'packs'), { recursive: true, force: true });
    try {
      await assert.rejects(restoreVault(vault, 'latest', join(root, 'restore-too-few'), keys), (err: Error) => {
        assert.match(err.message, /need 2 good shards/);
        assert.match(err.message, /site "local": missing/);
        assert.match(err.message, /site "third": missing/);
        return true;
      });
    } finally {
      await freshVault();
    }
  });

  /** Two sites' packs are gone and one site cannot rebuild them (1 < k): start the vault again. */
  async function freshVault(): Promise<void> {
    rmSync(vault, { force: true });
    rmSync(`${vault}.host`, { recursive: true, force: true });
    rmSync(join(root, 'sites'), { recursive: true, force: true });
    await initVault({ vault, sites, data: parseData('2-of-3'), custodians, quorum: 2 });
    await backupVault(vault, [data]);
  }

  it('full verify re-encodes parity: a parity shard with rewritten hashes is caught; sample checks a share', async () => {
    const sampled = await verifyVault(vault, 'sample', { sample: 0.5 });
    assert.equal(sampled.ok, true, JSON.stringify(sampled.problems));
    const packs = sampled.packs;
    assert.ok(packs >= 1);
    for (const s of sampled.sites) assert.ok(s.shardsOk >= 1 && s.shardsOk <= packs, `${s.site}: ${s.shardsOk} of ${packs}`);

    // Forge the third site's (parity) shard of one pack: new payload, hashes recomputed to match.
    const packFiles = filesUnder(join(siteDir('third'), 'packs'));
    const target = packFiles[0]!;
    const shard = new Uint8Array(readFileSync(target));
    const header = readShardHeader(shard);
    assert.equal(header.index, 2);
    shard[SHARD_HEADER_LENGTH] = shard[SHARD_HEADER_LENGTH]! ^ 0xff;
    writeShardHeader(shard, { ...header, payloadSha256: createHash('sha256').update(shard.subarray(SHARD_HEADER_LENGTH)).digest() });
    writeFileSync(target, shard);
    assert.equal(verifyShard(shard).ok, true, 'the forged shard passes its own checks');

    const quick = await verifyVault(vault, 'sample', { sample: 1 });
    assert.equal(quick.ok, true, 'a per-shard check cannot see it');
    const full = await verifyVault(vault, 'full');
    assert.equal(full.ok, false);
    const third = full.sites.find((s) => s.site === 'third')!;
    assert.equal(third.shardsBad.length, 1);
    assert.match(third.shardsBad[0]!.reason, /intact hashes but differs from the one re-encoded/);
    assert.ok(target.endsWith(third.shardsBad[0]!.pack), `${target} vs ${third.shardsBad[0]!.pack}`);
    assert.deepEqual(full.sites.filter((s) => s.site !== 'third').map((s) => s.shardsBad.length), [0, 0]);
  });

  it('restores from two sites and two custodians alone: the vault file comes back from the sites', async () => {
    const keys = [join(root, 'alice.key'), join(root, 'carol.key')];
    // The parity shard forged above is rebuilt from the other two first.
    const repaired = await repairVault(vault);
    assert.equal(repaired.written.third, 1, JSON.stringify(repaired));
    assert.equal((await verifyVault(vault, 'full')).ok, true);
    // A rotation rewrites the sites' copy too, so what comes back is the current record.
    const rotated = await rotateVaultCustodians(vault, keys, custodians, 2);
    const host = `${vault}.host`;
    rmSync(vault);
    rmSync(host, { recursive: true }); // the backup host is gone
    renameSync(siteDir('local'), `${siteDir('local')}.away`); // and so is its site

    const fresh = join(root, 'recovered.json');
    await assert.rejects(recoverVaultFile(fresh, [{ name: 'third', url: siteDir('third') }]), /only 1 site\(s\) \(third\) agree on the vault record; 2 are needed/);
    await assert.rejects(recoverVaultFile(fresh, [{ name: 'nowhere', url: join(root, 'empty') }]), /no site holds a vault record \(nowhere: holds no vault record\)/);
    const r = await recoverVaultFile(fresh, ['offsite', 'third'].map((name) => ({ name, url: siteDir(name) })));
    assert.deepEqual(r.agreeing.sort(), ['offsite', 'third']);
    assert.equal(r.file.custody.recordId, rotated.custody.recordId);
    assert.equal(r.fingerprint.authorityKey, rotated.signing.authorityKey);

    const to = join(root, 'restore-from-sites');
    await restoreVault(fresh, 'latest', to, keys);
    const want = filesUnder(data).map((f) => relative(data, f));
    for (const f of want) assert.deepEqual(readFileSync(join(to, 'data', f)), readFileSync(join(data, f)), f);
    renameSync(`${siteDir('local')}.away`, siteDir('local'));
  });
});

describe('vault: a drill signs a trusted head; a history cut back after it is refused', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-head-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const vault = join(root, 'v.json');
  const sites = ['a', 'b', 'c'].map((name) => ({ name, url: join(root, 'sites', name) }));
  const keys = ['alice', 'bob'].map((p) => join(root, `${p}.key`));
  const data = join(root, 'data');

  it('drill → head; newest snapshot deleted by the host → restore and drill with the head refuse', async () => {
    await makeCustodians(root, ['alice', 'bob']);
    await initVault({ vault, sites, data: parseData('2-of-3'), custodians: ['alice', 'bob'].map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) })), quorum: 2 });
    mkdirSync(data);
    writeFileSync(join(data, 'ledger'), 'day 1\n');
    await backupVault(vault, [data]);
    const packsOnB = (): string[] => readdirSync(join(sites[1]!.url, 'packs'), { recursive: true }).map(String).filter((f) => f.includes('/'));
    const before = new Set(packsOnB());
    writeFileSync(join(data, 'ledger'), 'day 1\nday 2\n');
    const second = await backupVault(vault, [data]);

    // Site b loses the shards of the packs only the second backup wrote: the first snapshot
    // survives losing any site, the second only losing b itself.
    const fresh = packsOnB().filter((f) => !before.has(f));
    assert.ok(fresh.length >= 1);
    for (const f of fresh) rmSync(join(sites[1]!.url, 'packs', f));
    const v = await verifyVault(vault, 'full', { identityPaths: keys });
    assert.equal(v.snapshots?.length, 2);
    const newest = v.snapshots!.find((x) => x.snapshotId === second.snapshotId)!;
    const older = v.snapshots!.find((x) => x.snapshotId !== second.snapshotId)!;
    assert.deepEqual(older.canLose, { a: true, b: true, c: true });
    assert.deepEqual(newest.canLose, { a: false, b: true, c: false });
    await repairVault(vault);

    const drill = await drillVault(vault, 'latest', join(root, 'drill-1'), keys);
    assert.equal(drill.ok, true, drill.problems.join('; '));
    assert.equal(drill.trustedHead?.seq, 1, 'the head names the second entry of the chain');
    const headFile = join(root, 'drill-1.json');
    writeFileSync(headFile, JSON.stringify(drill));
    const head = readTrustedHead(headFile);

    // The host (or ransomware on it) deletes the newest snapshot everywhere.
    for (const s of sites) rmSync(join(s.url, 'snapshots', second.snapshotId));
    const unchecked = await restoreVault(vault, 'latest', join(root, 'r-unchecked'), keys);
    assert.notEqual(unchecked.snapshotId, second.snapshotId, 'without a head, an older snapshot passes for the latest');
    await assert.rejects(
      restoreVault(vault, 'latest', join(root, 'r-checked'), keys, undefined, { trustedHead: head }),
      /snapshots were removed or history rolled back/,
    );
    const refused = await drillVault(vault, 'latest', join(root, 'drill-2'), keys, undefined, { trustedHead: head });
    assert.equal(refused.ok, false);
    assert.match(refused.problems.join('; '), /rolled back/);
    assert.equal(refused.trustedHead, undefined);
  });
});

describe('vault: a backup killed mid-write across three sites', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-crash-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('leaves a vault that verifies in full; the next backup goes on and restores byte for byte', async () => {
    const { v, keys } = await twoOfThreeVault(root);
    const src = join(root, 'src');
    mkdirSync(src);
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `f${i}`), randomBytes(2 * 1024 * 1024)); // incompressible: many packs
    const cli = join(import.meta.dirname, '..', 'cli', 'main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'vault', 'backup', '--vault', v, src], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    const packs = (): number => (existsSync(join(root, 'a', 'packs')) ? readdirSync(join(root, 'a', 'packs'), { recursive: true }).filter((n) => String(n).length > 60 && !String(n).includes('.tmp-')).length : 0);
    const deadline = Date.now() + 60_000;
    while (packs() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the backup finished before it was killed: ${stderr}`);
    assert.ok(packs() >= 2, `only ${packs()} packs before the kill; ${stderr}`);

    // The worst a kill can leave: a pack whose shards reached fewer than k sites. Make one.
    const shardOnA = readdirSync(join(root, 'a', 'packs'), { recursive: true }).map(String).find((n) => n.length > 60 && !n.includes('.tmp-'))!;
    for (const site of ['b', 'c']) rmSync(join(root, site, 'packs', shardOnA), { force: true });
    const after = await verifyVault(v, 'full', { identityPaths: keys });
    assert.deepEqual(after.problems, []);
    assert.equal(after.ok, true);
    const notes = after.notes.filter((n) => n.includes(shardOnA));
    assert.ok(notes.every((n) => n.includes('in no index (left by an interrupted backup')), JSON.stringify(notes));
    assert.ok(notes.some((n) => n.endsWith('b missing; c missing')), JSON.stringify(notes));
    assert.deepEqual(await listSnapshots(v), [], 'no snapshot from the killed backup');

    const next = await backupVault(v, [src]);
    // A pack the kill left on 2 of 3 sites is adopted; its third site is then behind.
    assert.ok(next.lagging.every((l) => l.blob.startsWith('packs/') && ['a', 'b', 'c'].includes(l.site)), JSON.stringify(next.lagging));
    const to = join(root, 'restored');
    await restoreVault(v, 'latest', to, keys);
    for (const f of readdirSync(src)) assert.deepEqual(readFileSync(join(to, 'src', f)), readFileSync(join(src, f)), f);
    // Repair refills what is behind; the leftover cut to one shard it cannot rebuild, and says
    // so as a note: no snapshot needs it.
    const rep = await repairVault(v);
    assert.deepEqual(rep.problems, []);
    const cut = rep.notes.filter((n) => n.includes(shardOnA));
    assert.equal(cut.length, 1, JSON.stringify(rep.notes));
    assert.match(cut[0]!, /in no index \(left by an interrupted backup; no snapshot needs it\), not rebuilt: .*need 2 good shards.*prune deletes it/);
    // Prune (keeping every snapshot) deletes it, and any other pack the kill left on one site;
    // nothing a snapshot needs goes.
    const dry = await pruneVault(v, { last: 10 }, [], { dryRun: true });
    assert.equal(dry.leftoverPacks, rep.notes.length);
    const pruned = await pruneVault(v, { last: 10 }, keys);
    assert.deepEqual([pruned.leftoverPacks, pruned.snapshotsRemoved, pruned.packsDeleted], [rep.notes.length, [], 0]);
    assert.equal(existsSync(join(root, 'a', 'packs', shardOnA)), false);
    const final = await verifyVault(v, 'full', { identityPaths: keys });
    assert.equal(final.ok, true, JSON.stringify(final.problems));
    assert.deepEqual(final.notes, []);
    await restoreVault(v, 'latest', join(root, 'after-prune'), keys);
    for (const f of readdirSync(src)) assert.deepEqual(readFileSync(join(root, 'after-prune', 'src', f)), readFileSync(join(src, f)), f);
  });
});

describe('vault: repair with an index it cannot read', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-index-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('still refills a wiped site, and names no pack a leftover', async () => {
    const { v } = await twoOfThreeVault(root);
    const data = join(root, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'f'), randomBytes(256 * 1024));
    await backupVault(v, [data]);
    // Every site's index files garbled alike (the copy all sites agree on is garbage), and
    // site c's packs gone.
    for (const site of ['a', 'b', 'c']) for (const f of filesUnder(join(root, site, 'index'))) writeFileSync(f, randomBytes(200));
    rmSync(join(root, 'c', 'packs'), { recursive: true, force: true });
    const r = await repairVault(v);
    assert.ok((r.written.c ?? 0) > 0, JSON.stringify(r));
    assert.deepEqual(r.notes, []);
  });
});

describe('vault: a slow site during a backup', () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-slow-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finishes while one site is stalled, says it is behind, and repair catches it up', async () => {
    const { v, keys } = await twoOfThreeVault(root);
    const data = join(root, 'data');
    mkdirSync(data);
    for (let i = 0; i < 6; i++) writeFileSync(join(data, `f${i}`), randomBytes(1024 * 1024));
    const stalled = new StalledSite(join(root, 'b'));
    const open: SiteOpener = (site) => (site.name === 'b' ? stalled : localSites(site));
    const r = await backupVault(v, [data], { open, slowSites: { straggleMs: 10, settleMs: 10, maxBehind: 1 } });
    assert.ok(stalled.pending > 0, 'writes to b are still waiting');
    assert.ok(r.lagging.length > 0 && r.lagging.every((l) => l.site === 'b'), JSON.stringify(r.lagging));
    assert.ok(r.lagging.some((l) => /still being written 10 ms after the backup ended/.test(l.reason)));
    assert.ok(r.lagging.some((l) => /left behind: too many writes still under way/.test(l.reason)));

    const to = join(root, 'restored');
    await restoreVault(v, 'latest', to, keys);
    for (const f of readdirSync(data)) assert.deepEqual(readFileSync(join(to, 'data', f)), readFileSync(join(data, f)), f);

    stalled.release();
    while (stalled.pending > 0) await new Promise((res) => setTimeout(res, 5));
    const repaired = await repairVault(v);
    assert.ok((repaired.written.b ?? 0) > 0, JSON.stringify(repaired));
    const verified = await verifyVault(v, 'full', { identityPaths: keys });
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
    assert.ok(verified.sites.every((s) => s.canLose));
  });
});
