/** Error codes of the vault's key custody. Messages name what is wrong and where. */
export const KEYS_ERRORS = {
  /** A key or recipient file is not one, is of the other type, or fails its checksum. */
  fileFormat: 'VAULT_KEYS_FILE_FORMAT',
  /** A file or record from a newer format version than this program reads. */
  newerVersion: 'VAULT_KEYS_NEWER_VERSION',
  /** A wrapped key is malformed, tampered with, or bound to another context. */
  wrapInvalid: 'VAULT_KEYS_WRAP_INVALID',
  /** The identity offered is not the recipient a key was wrapped to. */
  wrongIdentity: 'VAULT_KEYS_WRONG_IDENTITY',
  /** A custody record is malformed. */
  custodyInvalid: 'VAULT_KEYS_CUSTODY_INVALID',
  /** Fewer good custodian shares than the quorum. */
  quorumNotMet: 'VAULT_KEYS_QUORUM_NOT_MET',
  /** Shares reconstruct a key that fails the key-check value. */
  keyCheckFailed: 'VAULT_KEYS_KEY_CHECK_FAILED',
  /** Bad arguments to split/rotate (quorum, duplicate names…). */
  custodyParameters: 'VAULT_KEYS_CUSTODY_PARAMETERS',
  /** A snapshot has no signature entry. */
  snapshotUnsigned: 'VAULT_SNAPSHOT_UNSIGNED',
  /** A snapshot's bytes do not match its signed hash, or a signature does not verify. */
  snapshotAltered: 'VAULT_SNAPSHOT_ALTERED',
  /** The signature chain has a gap, a fork or an entry out of place. */
  snapshotChainBroken: 'VAULT_SNAPSHOT_CHAIN_BROKEN',
  /** The chain stops before, or disagrees with, a custodian-signed trusted head. */
  snapshotRollback: 'VAULT_SNAPSHOT_ROLLBACK',
  /** The signing anchor is malformed or not signed by the vault key. */
  anchorInvalid: 'VAULT_SNAPSHOT_ANCHOR_INVALID',
} as const;
