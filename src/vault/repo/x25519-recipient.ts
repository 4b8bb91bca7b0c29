import {
  createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync,
  randomBytes, sign, verify, type KeyObject,
} from 'node:crypto';
import { InputError } from '../../core/index.js';
import { freshEd25519, freshX25519, rawX25519Public } from '../keys/identity.js';
import type { UnwrapDataKey, WrapDataKey } from './repository.js';
import type { SignSnapshot, VerifySnapshotSignature } from './snapshot.js';

/**
 * A classical X25519 + HKDF-SHA256 + AES-256-GCM recipient with the same callback shape as the
 * vault's post-quantum hybrid (src/vault/keys). Used by this folder's tests and the benchmark;
 * production wraps with the hybrid.
 *
 * Wrapped form: ephemeral public key (32) || nonce (12) || ciphertext || tag (16). The key is
 * HKDF(shared secret, salt = ephemeral pub || recipient pub, info "lianfang-vault x25519 wrap").
 */
export interface X25519Recipient {
  readonly wrapDataKey: WrapDataKey;
  readonly unwrapDataKey: UnwrapDataKey;
}

function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(rawX25519Public(key));
}

function publicFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export function x25519Recipient(): X25519Recipient & { readonly privateKeyPem: string } {
  const pem = freshX25519().export({ format: 'pem', type: 'pkcs8' }).toString();
  return { ...x25519FromPrivatePem(pem), privateKeyPem: pem };
}

export function x25519FromPrivatePem(pem: string): X25519Recipient {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const recipientRaw = rawPublic(publicKey);
  const wrapKey = (eph: Uint8Array, shared: Uint8Array): Buffer =>
    Buffer.from(hkdfSync('sha256', shared, Buffer.concat([eph, recipientRaw]), 'lianfang-vault x25519 wrap', 32));
  return {
    wrapDataKey(key: Uint8Array): Uint8Array {
      const eph = freshX25519();
      const ephRaw = rawPublic(createPublicKey(eph));
      const k = wrapKey(ephRaw, diffieHellman({ privateKey: eph, publicKey }));
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', k, nonce);
      return Buffer.concat([ephRaw, nonce, c.update(key), c.final(), c.getAuthTag()]);
    },
    unwrapDataKey(wrapped: Uint8Array): Uint8Array {
      const b = Buffer.from(wrapped);
      if (b.length < 32 + 12 + 16 + 1) throw new InputError('VAULT_WRAP', `wrapped key is only ${b.length} bytes`);
      const ephRaw = b.subarray(0, 32);
      const k = wrapKey(ephRaw, diffieHellman({ privateKey, publicKey: publicFromRaw(ephRaw) }));
      const d = createDecipheriv('aes-256-gcm', k, b.subarray(32, 44));
      d.setAuthTag(b.subarray(b.length - 16));
      try {
        return Buffer.concat([d.update(b.subarray(44, b.length - 16)), d.final()]);
      } catch {
        throw new InputError('VAULT_WRAP', 'wrapped key does not open with this identity');
      }
    },
  };
}

/** An Ed25519 signer/verifier pair with the snapshot callback shapes. */
export function ed25519Signer(): { sign: SignSnapshot; verify: VerifySnapshotSignature; privateKeyPem: string } {
  const privateKey = freshEd25519();
  const publicKey = createPublicKey(privateKey);
  return {
    sign: (bytes) => sign(null, bytes, privateKey),
    verify: (bytes, sig) => sig.length === 64 && verify(null, bytes, publicKey, sig),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export function ed25519FromPrivatePem(pem: string): { sign: SignSnapshot; verify: VerifySnapshotSignature } {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { sign: (bytes) => sign(null, bytes, privateKey), verify: (bytes, sig) => sig.length === 64 && verify(null, bytes, publicKey, sig) };
}
