/**
 * Hybrid post-quantum identities (ML-KEM-768 + X25519) and their text files.
 *
 * An identity is one 32-byte secret; both private keys are derived from it with HKDF-SHA256, so
 * the whole private half fits in one Shamir secret and one short line of text. The recipient
 * (public half) is the ML-KEM-768 encapsulation key and the X25519 public key.
 */
import { createPrivateKey, createPublicKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { InputError } from '../../core/index.js';
import { concatBytes, equalBytes, fromBase64Url, sha256, toBase64Url, toHex, utf8 } from './bytes.js';
import { KEYS_ERRORS } from './errors.js';

export const IDENTITY_SECRET_BYTES = 32;
export const MLKEM_PUBLIC_BYTES = 1184;
export const X25519_PUBLIC_BYTES = 32;
export const RECIPIENT_BYTES = MLKEM_PUBLIC_BYTES + X25519_PUBLIC_BYTES;

/** The public half: anyone holding it can wrap keys that only the identity can unwrap. */
export interface Recipient {
  readonly mlkemPublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  /** 32 hex characters naming the recipient (first 16 bytes of a SHA-256 over both keys). */
  readonly fingerprint: string;
}

/** The private half. `secret` is the only stored part; the rest is derived from it. */
export interface Identity {
  readonly secret: Uint8Array;
  readonly recipient: Recipient;
  readonly mlkemSecretKey: Uint8Array;
  readonly x25519PrivateKey: KeyObject;
}

// DER prefixes of RFC 8410 structures: Node imports raw X25519 keys only wrapped in them.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function derive(secret: Uint8Array, what: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), utf8(`lianfang-vault/identity/v1/${what}`), length));
}

export function x25519PublicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * A fresh X25519 private key made from 32 random bytes. Not generateKeyPairSync: on Node 20 a
 * collected key-generation job can deadlock a later export of the key it made (a backup hung
 * for good in futex_wait; gdb showed ~KeyGenJob run by the GC inside the export's key lock).
 */
export function freshX25519(): KeyObject {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, randomBytes(32)]), format: 'der', type: 'pkcs8' });
}

/** A fresh Ed25519 private key from a random seed (see freshX25519 for why not generateKeyPairSync). */
export function freshEd25519(): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, randomBytes(32)]), format: 'der', type: 'pkcs8' });
}

export function rawX25519Public(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - X25519_PUBLIC_BYTES));
}

export function recipientFingerprint(mlkemPublicKey: Uint8Array, x25519PublicKey: Uint8Array): string {
  return toHex(sha256(utf8('lianfang-vault/recipient-fingerprint/v1'), mlkemPublicKey, x25519PublicKey).subarray(0, 16));
}

function makeRecipient(mlkemPublicKey: Uint8Array, x25519PublicKey: Uint8Array): Recipient {
  return { mlkemPublicKey, x25519PublicKey, fingerprint: recipientFingerprint(mlkemPublicKey, x25519PublicKey) };
}

/** Rebuilds the full identity from its 32-byte secret (deterministic). */
export function identityFromSecret(secret: Uint8Array): Identity {
  if (secret.length !== IDENTITY_SECRET_BYTES) {
    throw new InputError(KEYS_ERRORS.fileFormat, `identity secret must be ${IDENTITY_SECRET_BYTES} bytes, got ${secret.length}`);
  }
  const kem = ml_kem768.keygen(derive(secret, 'ml-kem-768', 64));
  const x25519PrivateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, derive(secret, 'x25519', 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const x25519Public = rawX25519Public(createPublicKey(x25519PrivateKey));
  return {
    secret: new Uint8Array(secret),
    recipient: makeRecipient(kem.publicKey, x25519Public),
    mlkemSecretKey: kem.secretKey,
    x25519PrivateKey,
  };
}

/** A fresh identity and its recipient. */
export function keygen(): { identity: Identity; recipient: Recipient } {
  const identity = identityFromSecret(new Uint8Array(randomBytes(IDENTITY_SECRET_BYTES)));
  return { identity, recipient: identity.recipient };
}

/** Parses the 1216 raw recipient bytes (ML-KEM key then X25519 key). */
export function recipientFromBytes(bytes: Uint8Array, where?: string): Recipient {
  if (bytes.length !== RECIPIENT_BYTES) {
    throw new InputError(KEYS_ERRORS.fileFormat, `a recipient is ${RECIPIENT_BYTES} bytes, got ${bytes.length}`, where);
  }
  const mlkem = bytes.slice(0, MLKEM_PUBLIC_BYTES);
  const x25519 = bytes.slice(MLKEM_PUBLIC_BYTES);
  try {
    ml_kem768.prepare(mlkem).clean(); // FIPS 203 §7.2 modulus check of the encapsulation key
    x25519PublicKeyObject(x25519);
  } catch (err) {
    throw new InputError(KEYS_ERRORS.fileFormat, 'recipient holds an invalid ML-KEM-768 or X25519 public key', where, { cause: err });
  }
  return makeRecipient(mlkem, x25519);
}

export function recipientBytes(recipient: Recipient): Uint8Array {
  return concatBytes(recipient.mlkemPublicKey, recipient.x25519PublicKey);
}

export function sameRecipient(a: Recipient, b: Recipient): boolean {
  return equalBytes(recipientBytes(a), recipientBytes(b));
}

// ---- text encoding: PREFIX-V<version>.<base64url payload>.<8 hex checksum> ----

export const IDENTITY_PREFIX = 'LIANFANG-VAULT-IDENTITY';
export const RECIPIENT_PREFIX = 'lianfang-vault-recipient';
const FORMAT_VERSION = 1;

type KeyKind = 'identity' | 'recipient';

function prefixOf(kind: KeyKind): string {
  return kind === 'identity' ? `${IDENTITY_PREFIX}-V${FORMAT_VERSION}` : `${RECIPIENT_PREFIX}-v${FORMAT_VERSION}`;
}

/** First 4 bytes of SHA-256 over the prefix and payload: catches typos and mixed-up halves. */
function checksum(prefix: string, payload: Uint8Array): string {
  return toHex(sha256(utf8(prefix), new Uint8Array([0x0a]), payload).subarray(0, 4));
}

function encodeToken(kind: KeyKind, payload: Uint8Array): string {
  const prefix = prefixOf(kind);
  return `${prefix}.${toBase64Url(payload)}.${checksum(prefix, payload)}`;
}

/** `alice.key` → "identity", `alice.key.pub` → "recipient": used in messages. */
function describe(kind: KeyKind): string {
  return kind === 'identity' ? 'an identity (private key, e.g. alice.key)' : 'a recipient (public key, e.g. alice.key.pub)';
}

function kindOfPrefix(prefix: string): { kind: KeyKind; version: string } | null {
  const dash = prefix.lastIndexOf('-');
  if (dash < 0) return null;
  const head = prefix.slice(0, dash);
  const version = prefix.slice(dash + 1);
  if (version[0] !== 'V' && version[0] !== 'v') return null;
  if (head === IDENTITY_PREFIX) return { kind: 'identity', version: version.slice(1) };
  if (head === RECIPIENT_PREFIX) return { kind: 'recipient', version: version.slice(1) };
  return null;
}

function foreignKeyHint(line: string): string {
  if (line.startsWith('AGE-SECRET-KEY-')) return ' (this is an age identity, not a Lianfang vault identity)';
  if (line.startsWith('age1')) return ' (this is an age recipient, not a Lianfang vault recipient)';
  if (line.startsWith('-----BEGIN')) return ' (this is a PEM file, not a Lianfang vault key)';
  return '';
}

function decodeToken(expected: KeyKind, line: string, where: string): Uint8Array {
  const parts = line.split('.');
  const found = parts.length === 3 ? kindOfPrefix(parts[0]!) : null;
  if (found === null) {
    throw new InputError(KEYS_ERRORS.fileFormat, `not a Lianfang vault key: expected ${describe(expected)} line starting "${prefixOf(expected)}."${foreignKeyHint(line)}`, where);
  }
  if (found.kind !== expected) {
    throw new InputError(KEYS_ERRORS.fileFormat, `this file holds ${describe(found.kind)}, but ${describe(expected)} is needed here`, where);
  }
  const version = /^[0-9]{1,6}$/.test(found.version) ? Number(found.version) : NaN;
  if (Number.isNaN(version)) throw new InputError(KEYS_ERRORS.fileFormat, `unreadable format version "${found.version}"`, where);
  if (version > FORMAT_VERSION) {
    throw new InputError(KEYS_ERRORS.newerVersion, `key format version ${version} is newer than this program reads (${FORMAT_VERSION}); upgrade Lianfang`, where);
  }
  if (version !== FORMAT_VERSION) throw new InputError(KEYS_ERRORS.fileFormat, `unknown key format version ${version}`, where);
  const payload = fromBase64Url(parts[1]!);
  if (payload === null) throw new InputError(KEYS_ERRORS.fileFormat, 'key payload is not valid base64url', where);
  if (!equalBytes(utf8(checksum(parts[0]!, payload)), utf8(parts[2]!))) {
    throw new InputError(KEYS_ERRORS.fileFormat, 'key checksum does not match: the key was mistyped or damaged', where);
  }
  return payload;
}

/** The one key line of a key file; `#` comments and blank lines are skipped. */
function keyLine(text: string, expected: KeyKind, where: string): { line: string; where: string } {
  let found: { line: string; where: string } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (found !== null) {
      throw new InputError(KEYS_ERRORS.fileFormat, `more than one key line (${found.where} and line ${i + 1}); a key file holds exactly one`, where);
    }
    found = { line, where: `${where}:${i + 1}` };
  }
  if (found === null) throw new InputError(KEYS_ERRORS.fileFormat, `no key line: the file is empty or only comments (expected ${describe(expected)})`, where);
  return found;
}

export function formatIdentity(identity: Identity, created: Date = new Date()): string {
  return [
    '# Lianfang vault identity (ML-KEM-768 + X25519 hybrid). KEEP SECRET: it opens custodian shares.',
    `# created: ${created.toISOString()}`,
    `# recipient fingerprint: ${identity.recipient.fingerprint}`,
    encodeToken('identity', identity.secret),
    '',
  ].join('\n');
}

export function formatRecipient(recipient: Recipient): string {
  return [
    '# Lianfang vault recipient (public key of an ML-KEM-768 + X25519 identity). Safe to share.',
    `# fingerprint: ${recipient.fingerprint}`,
    encodeToken('recipient', recipientBytes(recipient)),
    '',
  ].join('\n');
}

/** Parses identity file text; `where` names the source in errors. */
export function parseIdentity(text: string, where = 'identity'): Identity {
  const { line, where: at } = keyLine(text, 'identity', where);
  const secret = decodeToken('identity', line, at);
  if (secret.length !== IDENTITY_SECRET_BYTES) {
    throw new InputError(KEYS_ERRORS.fileFormat, `identity secret must be ${IDENTITY_SECRET_BYTES} bytes, got ${secret.length}`, at);
  }
  return identityFromSecret(secret);
}

/** Parses recipient file text, or a bare recipient line as found in a custody record or flag. */
export function parseRecipient(text: string, where = 'recipient'): Recipient {
  const { line, where: at } = keyLine(text, 'recipient', where);
  return recipientFromBytes(decodeToken('recipient', line, at), at);
}

/** The single-line text form of a recipient (no comments), for JSON and flags. */
export function recipientToString(recipient: Recipient): string {
  return encodeToken('recipient', recipientBytes(recipient));
}
