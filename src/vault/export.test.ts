import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { keygen, writeIdentity, writeRecipient } from './keys/index.js';
import { backupVault, exportVault, initVault, parseData } from './vault.js';

const root = mkdtempSync(join(tmpdir(), 'lianfang-export-'));
after(() => rmSync(root, { recursive: true, force: true }));

it('exports long, non-ASCII names and symlinks as pax tar that GNU tar reads back exactly', async () => {
  for (const p of ['a', 'b']) {
    const { identity, recipient } = keygen();
    await writeIdentity(join(root, `${p}.key`), identity);
    await writeRecipient(join(root, `${p}.key.pub`), recipient);
  }
  const vault = join(root, 'v.json');
  await initVault({ vault, sites: ['s1', 's2'].map((name) => ({ name, url: join(root, name) })), data: parseData('1-of-2'), custodians: ['a', 'b'].map((name) => ({ name, recipientPath: join(root, `${name}.key.pub`) })), quorum: 2 });
  const src = join(root, 'src');
  const deep = join(src, 'x'.repeat(60), 'y'.repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, `${'z'.repeat(90)}.txt`), 'long path\n');
  writeFileSync(join(src, '存款帳戶.csv'), '帳號,餘額\n001,100\n');
  symlinkSync('存款帳戶.csv', join(src, 'latest.csv'));
  writeFileSync(join(src, 'empty'), '');
  await backupVault(vault, [src]);
  const tar = join(root, 'out.tar');
  const sink = createWriteStream(tar);
  const r = await exportVault(vault, 'latest', sink, [join(root, 'a.key'), join(root, 'b.key')]);
  await new Promise<void>((res) => sink.end(res));
  assert.equal(r.files, 3);
  const dest = join(root, 'untar');
  mkdirSync(dest);
  const x = spawnSync('tar', ['-xf', tar, '-C', dest], { encoding: 'utf8' });
  assert.equal(x.status, 0, x.stderr);
  assert.equal(readFileSync(join(dest, 'src', 'x'.repeat(60), 'y'.repeat(60), `${'z'.repeat(90)}.txt`), 'utf8'), 'long path\n');
  assert.equal(readFileSync(join(dest, 'src', '存款帳戶.csv'), 'utf8'), '帳號,餘額\n001,100\n');
  assert.equal(readlinkSync(join(dest, 'src', 'latest.csv')), '存款帳戶.csv');
  assert.equal(readFileSync(join(dest, 'src', 'empty'), 'utf8'), '');
});
