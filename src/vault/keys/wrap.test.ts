import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { dataKeyUnwrapper, dataKeyWrapper, keygen, unwrapKey, wrapKey, wrapRecipientFingerprint } from './index.js';

const alice = keygen();
const bob = keygen();

test('a wrapped key unwraps with the right identity and context', () => {
  for (const size of [1, 16, 32, 64, 1024]) {
    const key = new Uint8Array(randomBytes(size));
    const wrapped = wrapKey(alice.recipient, key, 'vault v1');
    assert.deepEqual(unwrapKey(alice.identity, wrapped, 'vault v1'), key);
    assert.equal(wrapped.length, 1142 + size + 16);
  }
});

test('two wraps of the same key differ (fresh encapsulations)', () => {
  const key = new Uint8Array(32);
  assert.notDeepEqual(wrapKey(alice.recipient, key, 'c'), wrapKey(alice.recipient, key, 'c'));
});

test('the wrong identity is named, not mistaken for tampering', () => {
  const wrapped = wrapKey(alice.recipient, new Uint8Array(32).fill(7), 'c');
  assert.equal(wrapRecipientFingerprint(wrapped), alice.recipient.fingerprint);
  assert.throws(
    () => unwrapKey(bob.identity, wrapped, 'c'),
    (err: Error & { code?: string }) =>
      err.code === 'VAULT_KEYS_WRONG_IDENTITY' && err.message.includes(alice.recipient.fingerprint) && err.message.includes(bob.recipient.fingerprint),
  );
});

test('another context does not open the wrap', () => {
  const wrapped = wrapKey(alice.recipient, new Uint8Array(32).fill(1), 'vault A');
  assert.throws(() => unwrapKey(alice.identity, wrapped, 'vault B'), /wrapped for another use than "vault B"/);
});

test('flipping any byte region of a wrap is detected', () => {
  const wrapped = wrapKey(alice.recipient, new Uint8Array(32).fill(9), 'c');
  // magic, version, algorithm, fingerprint, ML-KEM ciphertext, X25519 key, body, tag
  for (const at of [0, 4, 5, 6, 21, 22, 700, 1109, 1110, 1141, 1142, 1160, wrapped.length - 1]) {
    const bad = wrapped.slice();
    bad[at]! ^= 0x01;
    assert.throws(() => unwrapKey(alice.identity, bad, 'c'), (err: Error & { code?: string }) => err.code?.startsWith('VAULT_KEYS_') === true, `byte ${at}`);
  }
});

test('truncated, empty or foreign bytes are refused with a reason', () => {
  const wrapped = wrapKey(alice.recipient, new Uint8Array(32), 'c');
  assert.throws(() => unwrapKey(alice.identity, wrapped.subarray(0, 500), 'c'), /truncated/);
  assert.throws(() => unwrapKey(alice.identity, new Uint8Array(2000), 'c'), /magic "LFKW" missing/);
  const newer = wrapped.slice();
  newer[4] = 2;
  assert.throws(() => unwrapKey(alice.identity, newer, 'c'), (err: Error & { code?: string }) => err.code === 'VAULT_KEYS_NEWER_VERSION');
  assert.throws(() => wrapKey(alice.recipient, new Uint8Array(0), 'c'), /1–1024 bytes/);
});

test('data-key callbacks: the host wraps with the recipient only; restore unwraps with the identity', () => {
  const vault = keygen();
  const wrap = dataKeyWrapper(vault.recipient, 'vault-1');
  const dataKey = new Uint8Array(randomBytes(32));
  const wrapped = wrap(dataKey);
  assert.deepEqual(dataKeyUnwrapper(vault.identity, 'vault-1')(wrapped), dataKey);
  assert.throws(() => dataKeyUnwrapper(vault.identity, 'vault-2')(wrapped), /another use/);
});
