import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkHostKey, hostKeyFingerprint, hostKeyType, parseKnownHosts } from './known-hosts.js';
import { fingerprintOf, keygen, sshdSkipReason } from './sshd.fixture.js';

// Real keys from ssh-keygen, and ssh-keygen's own fingerprints and hashing as the oracle.
const noKeygen = sshdSkipReason()?.includes('ssh-keygen') ? 'ssh-keygen is not installed' : false;

function makeKey(dir: string, name: string): { line: string; blob: Buffer; fingerprint: string } {
  const path = join(dir, name);
  keygen(path);
  const line = readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), fingerprint: fingerprintOf(`${path}.pub`) };
}

test('fingerprints and key types agree with ssh-keygen', { skip: noKeygen }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-kh-'));
  try {
    const k = makeKey(dir, 'a');
    assert.equal(hostKeyFingerprint(k.blob), k.fingerprint);
    assert.equal(hostKeyType(k.blob), 'ssh-ed25519');
    assert.equal(hostKeyType(Buffer.from([0, 0, 0, 200, 1])), '?');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('known_hosts: plain, [host]:port, lists, wildcards, negation, hashed, revoked, junk', { skip: noKeygen }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-kh-'));
  try {
    const k = makeKey(dir, 'a');
    const other = makeKey(dir, 'b');
    const trust = (knownHosts: string) => ({ knownHosts });
    assert.deepEqual(checkHostKey('dr-site', 22, k.blob, trust(`dr-site ${k.line}\n`)), { ok: true });
    assert.equal(checkHostKey('dr-site', 2222, k.blob, trust(`dr-site ${k.line}\n`)).ok, false, 'port 2222 needs [host]:2222');
    assert.deepEqual(checkHostKey('dr-site', 2222, k.blob, trust(`# c\n\n[dr-site]:2222 ${k.line}\n`)), { ok: true });
    assert.deepEqual(checkHostKey('b', 22, k.blob, trust(`a,b,c ${k.line}`)), { ok: true });
    assert.deepEqual(checkHostKey('dr1.bank.example', 22, k.blob, trust(`*.bank.example ${k.line}`)), { ok: true });
    assert.equal(checkHostKey('dr1.bank.example', 22, k.blob, trust(`*.bank.example,!dr1.bank.example ${k.line}`)).ok, false);
    const changed = checkHostKey('dr-site', 22, k.blob, trust(`dr-site ${other.line}`));
    assert.deepEqual(changed, { ok: false, reason: 'changed', fingerprint: k.fingerprint, keyType: 'ssh-ed25519' });
    assert.equal((checkHostKey('elsewhere', 22, k.blob, trust(`dr-site ${k.line}`)) as { reason: string }).reason, 'unknown');
    assert.equal((checkHostKey('dr-site', 22, k.blob, trust(`@revoked dr-site ${k.line}\ndr-site ${k.line}`)) as { reason: string }).reason, 'revoked');
    // Lines that do not parse are skipped, not fatal.
    assert.equal(parseKnownHosts(`dr-site ssh-ed25519 !!!\ndr-site ssh-rsa ${k.line.split(' ')[1]}\n@cert-authority * ${k.line}\nonly-two fields\n`).length, 0);
    // Hashed by ssh-keygen -H.
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `[dr-site]:2222 ${k.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    const hashed = readFileSync(kh, 'utf8');
    assert.ok(hashed.startsWith('|1|') && !hashed.includes('dr-site'));
    assert.deepEqual(checkHostKey('dr-site', 2222, k.blob, trust(hashed)), { ok: true });
    assert.equal(checkHostKey('dr-site', 22, k.blob, trust(hashed)).ok, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pins override known_hosts: fingerprint or public key line', { skip: noKeygen }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-kh-'));
  try {
    const k = makeKey(dir, 'a');
    const other = makeKey(dir, 'b');
    assert.deepEqual(checkHostKey('h', 22, k.blob, { pins: [k.fingerprint] }), { ok: true });
    assert.deepEqual(checkHostKey('h', 22, k.blob, { pins: [`${k.line} comment`] }), { ok: true });
    const v = checkHostKey('h', 22, k.blob, { pins: [other.fingerprint], knownHosts: `h ${k.line}` });
    assert.equal(v.ok, false);
    assert.equal((v as { reason: string }).reason, 'changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile known_hosts patterns stay fast', () => {
  const pattern = `${'*a'.repeat(2000)}b`;
  const t0 = performance.now();
  const v = checkHostKey('a'.repeat(5000), 22, Buffer.from('x'), { knownHosts: `${pattern} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==` });
  assert.equal(v.ok, false);
  assert.ok(performance.now() - t0 < 2000);
});
