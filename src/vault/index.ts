/**
 * The core-data vault (資料保全避風港): encrypted, deduplicated backups erasure-coded across
 * sites, the key held k-of-n by custodians, verification and restore drills.
 * Formats: docs/vault-format.md, docs/vault-format-shards.md, docs/vault-format-keys.md.
 */
export { initVault, backupVault, pruneVault, restoreVault, verifyVault, repairVault, rotateVaultCustodians,
  recoverVaultFile, signVaultHead, readTrustedHead, exportVault, listSnapshots, readVaultFile, openVault, parseData, parseNamed, recoverKey, localSites } from './vault.js';
export type { VaultFile, RecoveredVault, RestoreChecks, VaultPruneResult, VaultRepairResult, InitVaultOptions, VaultBackupResult, VaultRestoreResult, VaultVerifyResult, SiteCheck, Snapshots, SiteOpener } from './vault.js';
export { ShardedStore } from './sharded-store.js';
export type { SiteStore, SiteLag } from './sharded-store.js';
export { keygen, writeIdentity, writeRecipient, readIdentity, readRecipient } from './keys/index.js';
export { drillVault } from './drill.js';
export type { DrillRecord } from './drill.js';
export { retain, isoWeek } from './repo/index.js';
export type { RetentionPolicy } from './repo/index.js';
export { registerVaultRoutes } from './routes.js';
export type { VaultRouteDeps } from './routes.js';
export { vaultMigrations, recordVerify, readJournals, importEvidence, listEvidence } from './evidence.js';
export type { EvidenceRecord, VerifyRecord } from './evidence.js';
