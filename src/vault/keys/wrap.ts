/**
 * Wrapping a key to a hybrid recipient (ML-KEM-768 + X25519), bound to a context string.
 *
 * Both KEMs run; their shared secrets, the ML-KEM ciphertext, the ephemeral and static X25519
 * public keys, a hash of the ML-KEM public key and the context all go into HKDF-SHA256, so the
 * wrap stays secret while either KEM holds, and a wrap moved to another context does not open.
 * The derived AES-256-GCM key and nonce are used once, for this wrap only.
 */
import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { InputError } from '../../core/index.js';
import { concatBytes, framed, fromHex, sha256, toHex, utf8 } from './bytes.js';
import { KEYS_ERRORS } from './errors.js';
import { freshX25519, rawX25519Public, x25519PublicKeyObject, type Identity, type Recipient } from './identity.js';

const MAGIC = utf8('LFKW');
const VERSION = 1;
/** mlkem768x25519, HKDF-SHA256, AES-256-GCM */
const ALGORITHM = 1;
const FINGERPRINT_BYTES = 16;
const MLKEM_CT_BYTES = 1088;
const X25519_BYTES = 32;
const TAG_BYTES = 16;
export const WRAP_HEADER_BYTES = 4 + 1 + 1 + FINGERPRINT_BYTES + MLKEM_CT_BYTES + X25519_BYTES; // 1142
const MAX_WRAPPED_KEY_BYTES = 1024;

function wrappingKey(
  header: Uint8Array,
  mlkemShared: Uint8Array,
  x25519Shared: Uint8Array,
  recipient: Recipient,
  context: string,
): { key: Uint8Array; nonce: Uint8Array } {
  // HKDF's info is capped at 1024 bytes by Node, so the transcript goes in as its SHA-256.
  const transcript = sha256(
    framed(
      header, // magic, version, algorithm, fingerprint, ML-KEM ciphertext, ephemeral X25519 key
      recipient.x25519PublicKey,
      sha256(recipient.mlkemPublicKey),
      utf8(context),
    ),
  );
  const info = concatBytes(utf8('lianfang-vault/wrap/v1'), transcript);
  const okm = new Uint8Array(hkdfSync('sha256', concatBytes(mlkemShared, x25519Shared), utf8('lianfang-vault/wrap'), info, 44));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

function x25519Shared(privateKey: Parameters<typeof diffieHellman>[0]['privateKey'], publicRaw: Uint8Array): Uint8Array {
  const shared = new Uint8Array(diffieHellman({ privateKey, publicKey: x25519PublicKeyObject(publicRaw) }));
  // RFC 7748 §6.1: an all-zero output means a low-order public key; refuse it.
  if (shared.every((b) => b === 0)) throw new InputError(KEYS_ERRORS.wrapInvalid, 'X25519 public key is of low order');
  return shared;
}

/**
 * Wraps `key` (1–1024 bytes) to `recipient`; only the matching identity, with the same
 * `context`, unwraps it.
 * @example wrapKey(vaultRecipient, dataKey, `lianfang-vault/data-key vault=${vaultId}`)
 */
export function wrapKey(recipient: Recipient, key: Uint8Array, context: string): Uint8Array {
  if (key.length === 0 || key.length > MAX_WRAPPED_KEY_BYTES) {
    throw new InputError(KEYS_ERRORS.wrapInvalid, `a wrapped key is 1–${MAX_WRAPPED_KEY_BYTES} bytes, got ${key.length}`);
  }
  const kem = ml_kem768.encapsulate(recipient.mlkemPublicKey);
  const privateKey = freshX25519();
  const ephemeral = { privateKey, publicKey: createPublicKey(privateKey) };
  const header = concatBytes(
    MAGIC,
    new Uint8Array([VERSION, ALGORITHM]),
    fromHex(recipient.fingerprint)!,
    kem.cipherText,
    rawX25519Public(ephemeral.publicKey),
  );
  const shared = x25519Shared(ephemeral.privateKey, recipient.x25519PublicKey);
  const { key: aeadKey, nonce } = wrappingKey(header, kem.sharedSecret, shared, recipient, context);
  const cipher = createCipheriv('aes-256-gcm', aeadKey, nonce);
  const body = concatBytes(cipher.update(key), cipher.final(), cipher.getAuthTag());
  return concatBytes(header, body);
}

/** The recipient fingerprint a wrap names, or an error saying why the bytes are not a wrap. */
export function wrapRecipientFingerprint(wrapped: Uint8Array): string {
  if (wrapped.length < WRAP_HEADER_BYTES + 1 + TAG_BYTES) {
    throw new InputError(KEYS_ERRORS.wrapInvalid, `wrapped key is ${wrapped.length} bytes; at least ${WRAP_HEADER_BYTES + 1 + TAG_BYTES} expected (truncated?)`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (wrapped[i] !== MAGIC[i]) throw new InputError(KEYS_ERRORS.wrapInvalid, 'not a wrapped key: magic "LFKW" missing');
  }
  if (wrapped[4]! > VERSION) {
    throw new InputError(KEYS_ERRORS.newerVersion, `wrapped key format version ${wrapped[4]} is newer than this program reads (${VERSION})`);
  }
  if (wrapped[4] !== VERSION) throw new InputError(KEYS_ERRORS.wrapInvalid, `unknown wrapped key version ${wrapped[4]}`);
  if (wrapped[5] !== ALGORITHM) throw new InputError(KEYS_ERRORS.wrapInvalid, `unknown wrap algorithm ${wrapped[5]}`);
  return toHex(wrapped.subarray(6, 6 + FINGERPRINT_BYTES));
}

/**
 * Unwraps a key wrapped by `wrapKey`. Throws `VAULT_KEYS_WRONG_IDENTITY` when the wrap names
 * another recipient, and `VAULT_KEYS_WRAP_INVALID` when it was altered or the context differs.
 */
export function unwrapKey(identity: Identity, wrapped: Uint8Array, context: string): Uint8Array {
  const fingerprint = wrapRecipientFingerprint(wrapped);
  if (fingerprint !== identity.recipient.fingerprint) {
    throw new InputError(KEYS_ERRORS.wrongIdentity, `key is wrapped to recipient ${fingerprint}, not to this identity (${identity.recipient.fingerprint})`);
  }
  const header = wrapped.subarray(0, WRAP_HEADER_BYTES);
  const mlkemCt = header.subarray(6 + FINGERPRINT_BYTES, 6 + FINGERPRINT_BYTES + MLKEM_CT_BYTES);
  const ephemeral = header.subarray(WRAP_HEADER_BYTES - X25519_BYTES);
  const body = wrapped.subarray(WRAP_HEADER_BYTES);
  let aead;
  try {
    // ML-KEM decapsulation never fails on a bad ciphertext (implicit rejection): the AEAD tag does.
    const mlkemShared = ml_kem768.decapsulate(mlkemCt, identity.mlkemSecretKey);
    aead = wrappingKey(header, mlkemShared, x25519Shared(identity.x25519PrivateKey, ephemeral), identity.recipient, context);
  } catch (err) {
    throw new InputError(KEYS_ERRORS.wrapInvalid, 'wrapped key is damaged: its key exchange values are invalid', undefined, { cause: err });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', aead.key, aead.nonce);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return concatBytes(decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final());
  } catch (err) {
    throw new InputError(
      KEYS_ERRORS.wrapInvalid,
      `wrapped key fails authentication: it was altered, or it was wrapped for another use than "${context}"`,
      undefined,
      { cause: err },
    );
  }
}
