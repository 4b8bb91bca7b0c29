/**
 * Key custody for the vault: hybrid post-quantum identities (ML-KEM-768 + X25519), key
 * wrapping, the vault key split k-of-n among custodians, and snapshot signing.
 * Format: docs/vault-format-keys.md.
 */
export type { Identity, Recipient } from './identity.js';
export {
  keygen,
  identityFromSecret,
  formatIdentity,
  parseIdentity,
  formatRecipient,
  parseRecipient,
  recipientToString,
  sameRecipient,
} from './identity.js';
export { writeIdentity, readIdentity, writeRecipient, readRecipient } from './files.js';
export { wrapKey, unwrapKey, wrapRecipientFingerprint } from './wrap.js';
export { dataKeyContext, dataKeyWrapper, dataKeyUnwrapper } from './data-keys.js';
export type { Custodian, CustodyShare, CustodyRecord, ShareProblem, VaultKeyRecovery } from './custody.js';
export {
  splitVaultKey,
  recoverVaultKey,
  recoverVaultKeyDetailed,
  rotateCustodians,
  parseCustodyRecord,
  combineCheckedShares,
} from './custody.js';
export type {
  SnapshotAnchor,
  SnapshotSignerState,
  SnapshotSignature,
  TrustedHead,
  SnapshotRetirement,
  ChainCheckOptions,
  SnapshotCheckOptions,
} from './signing.js';
export {
  createSnapshotSigning,
  signSnapshot,
  signerAfter,
  signTrustedHead,
  signRetirement,
  verifyRetirement,
  verifySnapshot,
  verifySnapshotChain,
  vaultAuthorityKey,
  snapshotEntryHash,
} from './signing.js';
export { parseSnapshotAnchor, parseSnapshotSignature, parseTrustedHead, parseSignerState } from './signing-json.js';
export { snapshotSigner, snapshotVerifier, decodeSnapshotSignature } from './repo-callbacks.js';
export { KEYS_ERRORS } from './errors.js';
