import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { keygen, writeIdentity, writeRecipient } from './keys/index.js';
import { backupVault, initVault, listSnapshots, parseData, restoreVault, verifyVault } from './vault.js';

const SOURCE = new URL('../../../shared/data/sigma/rules/windows/builtin/security', import.meta.url).pathname;

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
    for (const p of people) {
      const { identity, recipient } = keygen();
      await writeIdentity(join(root, `${p}.key`), identity);
      await writeRecipient(join(root, `${p}.key.pub`), recipient);
    }
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
