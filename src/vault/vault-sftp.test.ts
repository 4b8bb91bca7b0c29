import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keygen, writeIdentity, writeRecipient } from './keys/index.js';
import { sshdSkipReason, startSshd, type Sshd } from './sites/sshd.fixture.js';
import { backupVault, initVault, parseData, repairVault, restoreVault, verifyVault } from './vault.js';

const skip = sshdSkipReason() ?? undefined;

describe('vault with a third site over SFTP (a real sshd on loopback)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'lianfang-vault-sftp-'));
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd(); // started and listening
  });
  after(async () => {
    await sshd?.kill();
    rmSync(root, { recursive: true, force: true });
    if (sshd) rmSync(sshd.dir, { recursive: true, force: true });
  });

  it('backs up across two folders and SFTP, keeps going when the SFTP site is down, and restores either way', async () => {
    for (const p of ['alice', 'bob']) {
      const { identity, recipient } = keygen();
      await writeIdentity(join(root, `${p}.key`), identity);
      await writeRecipient(join(root, `${p}.key.pub`), recipient);
    }
    const vault = join(root, 'v.json');
    const third = `sftp://${sshd.user}@127.0.0.1:${sshd.port}${join(sshd.data, 'third')}`;
    mkdirSync(join(sshd.data, 'third'));
    await initVault({
      vault,
      sites: [{ name: 'a', url: join(root, 'a') }, { name: 'b', url: join(root, 'b') }, { name: 'third', url: third, hostKeys: [sshd.hostFingerprint] }],
      data: parseData('2-of-3'),
      custodians: ['alice', 'bob'].map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) })),
      quorum: 2,
      ssh: { privateKeyPath: sshd.userKeyPath },
    });
    const data = join(root, 'ledger');
    mkdirSync(data);
    writeFileSync(join(data, 'deposits.csv'), 'account,balance\n'.repeat(50_000));
    const first = await backupVault(vault, [data]);
    assert.deepEqual(first.lagging, []);
    assert.ok((await verifyVault(vault, 'full')).sites.every((s) => s.shardsBad.length === 0));

    await sshd.kill(); // the third site goes down
    writeFileSync(join(data, 'deposits.csv'), 'account,balance,branch\n'.repeat(50_000));
    const second = await backupVault(vault, [data]);
    assert.ok(second.lagging.length > 0 && second.lagging.every((l) => l.site === 'third'), `the report says the SFTP site is behind: ${JSON.stringify(second.lagging).slice(0, 600)}`);
    const ids = [join(root, 'alice.key'), join(root, 'bob.key')];
    const r = await restoreVault(vault, 'latest', join(root, 'r1'), ids);
    assert.equal(r.snapshotId, second.snapshotId);
    assert.deepEqual(readFileSync(join(root, 'r1', 'ledger', 'deposits.csv')), readFileSync(join(data, 'deposits.csv')));

    await sshd.start(); // back: repair refills it, then every site holds every shard again
    const repaired = await repairVault(vault);
    assert.deepEqual(Object.keys(repaired.written), ['third']);
    assert.deepEqual(repaired.problems, []);
    const full = await verifyVault(vault, 'full');
    assert.ok(full.ok, JSON.stringify(full.problems.slice(0, 3)));
    assert.ok(full.sites.every((s) => s.canLose));
    // Now a folder site is lost instead: both snapshots restore from a + third.
    rmSync(join(root, 'b'), { recursive: true, force: true });
    const again = await restoreVault(vault, first.snapshotId, join(root, 'r2'), ids);
    assert.equal(again.files, 1);
  });
});
