import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  formatIdentity,
  formatRecipient,
  keygen,
  parseIdentity,
  parseRecipient,
  readIdentity,
  readRecipient,
  recipientToString,
  sameRecipient,
  writeIdentity,
  writeRecipient,
} from './index.js';

const dir = await mkdtemp(join(tmpdir(), 'lianfang-keys-'));
after(() => rm(dir, { recursive: true, force: true }));

test('an identity and its recipient round-trip through files', async () => {
  const { identity, recipient } = keygen();
  await writeIdentity(join(dir, 'alice.key'), identity);
  await writeRecipient(join(dir, 'alice.key.pub'), recipient);
  const back = await readIdentity(join(dir, 'alice.key'));
  const pub = await readRecipient(join(dir, 'alice.key.pub'));
  assert.deepEqual(back.secret, identity.secret);
  assert.ok(sameRecipient(back.recipient, recipient));
  assert.ok(sameRecipient(pub, recipient));
  assert.equal(pub.fingerprint, recipient.fingerprint);
  assert.equal((await stat(join(dir, 'alice.key'))).mode & 0o777, 0o600);
});

test('writing refuses to overwrite an existing key file', async () => {
  const { identity } = keygen();
  await writeIdentity(join(dir, 'once.key'), identity);
  const before = await readFile(join(dir, 'once.key'), 'utf8');
  await assert.rejects(writeIdentity(join(dir, 'once.key'), keygen().identity), /already exists/);
  assert.equal(await readFile(join(dir, 'once.key'), 'utf8'), before);
});

test('two keygens give different identities; the same secret gives the same recipient', () => {
  const a = keygen();
  const b = keygen();
  assert.notEqual(a.recipient.fingerprint, b.recipient.fingerprint);
  assert.ok(sameRecipient(parseIdentity(formatIdentity(a.identity)).recipient, a.recipient));
});

test('a recipient file passed as an identity (and vice versa) is named as the wrong type', async () => {
  const { identity, recipient } = keygen();
  await writeRecipient(join(dir, 'bob.key.pub'), recipient);
  await writeIdentity(join(dir, 'bob.key'), identity);
  await assert.rejects(readIdentity(join(dir, 'bob.key.pub')), (err: Error) => {
    assert.match(err.message, /bob\.key\.pub:3: this file holds a recipient \(public key/);
    assert.equal((err as { code?: string }).code, 'VAULT_KEYS_FILE_FORMAT');
    return true;
  });
  await assert.rejects(readRecipient(join(dir, 'bob.key')), /holds an identity \(private key.*but a recipient/);
});

test('a mistyped key fails its checksum', () => {
  const text = formatIdentity(keygen().identity);
  const line = text.split('\n')[3]!;
  const dot = line.indexOf('.') + 5;
  const flipped = line.slice(0, dot) + (line[dot] === 'A' ? 'B' : 'A') + line.slice(dot + 1);
  assert.throws(() => parseIdentity(text.replace(line, flipped), 'x.key'), /x\.key:4: key checksum does not match/);
});

test('file-format errors: newer version, foreign keys, empty, two key lines, bad payload', () => {
  const { identity, recipient } = keygen();
  const line = recipientToString(recipient);
  assert.throws(
    () => parseRecipient(line.replace('-v1.', '-v2.'), 'r.pub'),
    (err: Error & { code?: string }) => err.code === 'VAULT_KEYS_NEWER_VERSION' && /version 2 is newer/.test(err.message),
  );
  assert.throws(() => parseIdentity('AGE-SECRET-KEY-1QQQQ', 'a.key'), /age identity, not a Lianfang/);
  assert.throws(() => parseIdentity('# only a comment\n\n', 'e.key'), /e\.key: no key line/);
  assert.throws(() => parseIdentity(formatIdentity(identity) + formatIdentity(identity), 'd.key'), /more than one key line \(d\.key:4 and line 8\)/);
  const parts = line.split('.');
  assert.throws(() => parseRecipient(`${parts[0]}.${parts[1]}!.${parts[2]}`), /not valid base64url/);
  assert.throws(() => parseRecipient(`${parts[0]}.${parts[1]!.slice(0, 100)}.${parts[2]}`), /checksum/);
  assert.throws(() => parseRecipient('hello world'), /not a Lianfang vault key/);
});

test('a huge file is refused before it is read as a key', async () => {
  await writeFile(join(dir, 'big.key'), 'x'.repeat(100_000));
  await assert.rejects(readIdentity(join(dir, 'big.key')), /too large for a key file/);
});

test('the recipient text names its fingerprint in a comment', () => {
  const { recipient } = keygen();
  assert.ok(formatRecipient(recipient).includes(`# fingerprint: ${recipient.fingerprint}`));
});
