/**
 * The repository's key-protection callbacks over the vault recipient: the backup host wraps
 * each data key to the vault's public key; only the recovered vault identity unwraps it.
 */
import { unwrapKey, wrapKey } from './wrap.js';
import type { Identity, Recipient } from './identity.js';

export function dataKeyContext(vaultId: string): string {
  return JSON.stringify(['lianfang-vault/data-key/v1', vaultId]);
}

/** For the backup host: needs only the public vault recipient. */
export function dataKeyWrapper(vaultRecipient: Recipient, vaultId: string): (key: Uint8Array) => Uint8Array {
  const context = dataKeyContext(vaultId);
  return (key) => wrapKey(vaultRecipient, key, context);
}

/** For restore: needs the vault identity recovered from a quorum of custodians. */
export function dataKeyUnwrapper(vaultIdentity: Identity, vaultId: string): (wrapped: Uint8Array) => Uint8Array {
  const context = dataKeyContext(vaultId);
  return (wrapped) => unwrapKey(vaultIdentity, wrapped, context);
}
