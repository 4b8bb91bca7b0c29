import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { openArchive, sniffFormat } from './archive.js';
import { selectEntries } from './select.js';
import { readZip } from './zip.js';
import { readTar, readTarGz } from './tar.js';
import { makeTar, makeTarGz, makeZip } from './archives.suite.js';

const RULE = 'title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: 1\n  condition: sel\n';

test('zip reader returns names, kinds and CRC-checked content', () => {
  const zip = makeZip([
    { name: 'rules/a.yml', data: RULE },
    { name: 'rules/b.yml', data: 'x'.repeat(5000), store: true },
    { name: 'rules/sub/', unixMode: 0o040755 },
    { name: 'rules/link.yml', data: '/etc/passwd', unixMode: 0o120777 },
  ]);
  const entries = readZip(zip);
  assert.deepEqual(
    entries.map((e) => [e.name, e.kind, e.size]),
    [
      ['rules/a.yml', 'file', RULE.length],
      ['rules/b.yml', 'file', 5000],
      ['rules/sub/', 'dir', 0],
      ['rules/link.yml', 'symlink', 11],
    ],
  );
  assert.equal(entries[0]!.read().toString(), RULE);
  assert.equal(entries[1]!.read().length, 5000);
});

test('zip reader refuses a damaged entry, a truncated file and a wrong local name', () => {
  const zip = makeZip([{ name: 'rules/a.yml', data: RULE, store: true }]);
  const flipped = Buffer.from(zip);
  flipped[30 + 'rules/a.yml'.length + 3]! ^= 0xff; // inside the stored data
  assert.throws(() => readZip(flipped)[0]!.read(), { code: 'rules_update.archive_corrupt', message: /CRC-32/ });
  assert.throws(() => readZip(zip.subarray(0, zip.length - 10)), { code: 'rules_update.archive_corrupt' });
  const renamed = Buffer.from(zip);
  renamed.write('R', 30, 'latin1'); // local header name now differs from the directory's
  assert.throws(() => readZip(renamed)[0]!.read(), { message: /different file/ });
});

test('zip reader refuses data that inflates past the declared size (zip bomb)', () => {
  const zip = makeZip([{ name: 'rules/a.yml', data: 'a'.repeat(100_000) }]);
  const lying = Buffer.from(zip);
  const central = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  lying.writeUInt32LE(10, central + 24); // uncompressed size: 10 bytes
  assert.throws(() => readZip(lying)[0]!.read(), { code: 'rules_update.archive_corrupt' });
});

test('tar reader handles pax long names, ustar prefixes, the git global header and links', () => {
  const long = `sigma-r2099-01-01/rules/windows/${'d'.repeat(150)}/rule.yml`;
  const prefixed = `sigma-r2099-01-01/rules/windows/process_creation/${'p'.repeat(60)}/proc_creation_win_long_name.yml`;
  const tar = makeTar(
    [
      { name: 'sigma-r2099-01-01/', type: '5' },
      { name: long, data: RULE },
      { name: prefixed, data: RULE },
      { name: 'sigma-r2099-01-01/rules/link.yml', type: '2' },
    ],
    { globalComment: 'deadbeef' },
  );
  const entries = readTar(tar);
  assert.deepEqual(
    entries.map((e) => [e.name, e.kind]),
    [
      ['sigma-r2099-01-01/', 'dir'],
      [long, 'file'],
      [prefixed, 'file'],
      ['sigma-r2099-01-01/rules/link.yml', 'symlink'],
    ],
  );
  assert.equal(entries[1]!.read().toString(), RULE);
});

test('tar reader refuses a bad header checksum and truncated data', async () => {
  const tar = makeTar([{ name: 'rules/a.yml', data: RULE }]);
  const bad = Buffer.from(tar);
  bad[10] = 0x41;
  assert.throws(() => readTar(bad), { code: 'rules_update.archive_corrupt', message: /checksum/ });
  assert.throws(() => readTar(tar.subarray(0, 700)), { code: 'rules_update.archive_corrupt' });
  const gz = gzipSync(tar);
  await assert.rejects(readTarGz(gz.subarray(0, gz.length - 8)), { code: 'rules_update.archive_corrupt', message: /gzip/ });
});

test('format is sniffed from the bytes, not the name', async () => {
  assert.equal(sniffFormat(makeZip([])), 'zip');
  assert.equal(sniffFormat(makeTarGz([])), 'tar.gz');
  assert.equal(sniffFormat(makeTar([{ name: 'a', data: 'x' }])), 'tar');
  await assert.rejects(openArchive(Buffer.from('<html>Not Found</html>'), 'x.zip'), {
    code: 'rules_update.not_an_archive',
  });
});

test('selection rejects zip-slip names, links and case clashes, and keeps rules and licences', () => {
  const entries = readZip(
    makeZip([
      { name: 'rules/windows/a.yml', data: RULE },
      { name: 'rules-emerging-threats/2024/b.yaml', data: RULE },
      { name: '../evil.yml', data: RULE },
      { name: '/etc/cron.d/evil.yml', data: RULE },
      { name: 'rules/../../evil.yml', data: RULE },
      { name: 'rules\\..\\evil.yml', data: RULE },
      { name: 'C:/evil.yml', data: RULE },
      { name: 'rules/windows/link.yml', data: '../../x', unixMode: 0o120777 },
      { name: 'rules/windows/A.yml', data: RULE },
      { name: 'LICENSE.Detection.Rules.md', data: 'DRL' },
      { name: 'rules/README.md', data: 'readme' },
      { name: 'deprecated/old.yml', data: RULE },
      { name: 'tests/test_rules.py', data: 'pass' },
      { name: 'rules/windows/notes.txt', data: 'x' },
      { name: '__MACOSX/rules/._a.yml', data: 'junk' },
      { name: 'rules/.hidden.yml', data: RULE },
    ]),
  );
  const s = selectEntries(entries);
  assert.deepEqual(s.rules.map((r) => r.path), ['rules/windows/a.yml', 'rules-emerging-threats/2024/b.yaml']);
  assert.deepEqual(s.texts.map((r) => r.path), ['LICENSE.Detection.Rules.md', 'rules/README.md']);
  assert.deepEqual(
    s.rejected.map((r) => [r.path, r.reason.split(' ')[0]]),
    [
      ['../evil.yml', 'path'],
      ['/etc/cron.d/evil.yml', 'absolute'],
      ['rules/../../evil.yml', 'path'],
      ['rules\\..\\evil.yml', 'backslash'],
      ['C:/evil.yml', 'absolute'],
      ['rules/windows/link.yml', 'symbolic'],
      ['rules/windows/A.yml', 'differs'],
    ],
  );
  assert.equal(s.skipped, 5);
  assert.equal(s.wrapper, undefined);
});

test('selection strips a source tarball folder but not a rules folder', () => {
  const wrapped = selectEntries(
    readTar(makeTar([{ name: 'sigma-r2099-01-01/rules/a.yml', data: RULE }, { name: 'sigma-r2099-01-01/LICENSE', data: 'L' }])),
  );
  assert.equal(wrapped.wrapper, 'sigma-r2099-01-01');
  assert.deepEqual(wrapped.rules.map((r) => r.path), ['rules/a.yml']);
  assert.deepEqual(wrapped.texts.map((r) => r.path), ['LICENSE']);
  const bare = selectEntries(readTar(makeTar([{ name: 'rules/windows/a.yml', data: RULE }])));
  assert.equal(bare.wrapper, undefined);
  assert.deepEqual(bare.rules.map((r) => r.path), ['rules/windows/a.yml']);
});
