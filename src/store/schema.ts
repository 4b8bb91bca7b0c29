import type { ColumnType } from 'kysely';

/**
 * The tables, as Kysely sees them. Timestamps are ISO 8601 text and JSON is text, so the
 * same rows read back identically from SQLite and PostgreSQL.
 */
export interface Database {
  lianfang_meta: MetaTable;
  sigma_rules: SigmaRuleTable;
  audit_log: AuditTable;
  audit_head: AuditHeadTable;
}

/** Append-only (triggers refuse UPDATE and DELETE); each row's hash covers its predecessor's. */
export interface AuditTable {
  seq: number;
  at: string;
  actor: string;
  tenant: string;
  action: string;
  target: string;
  /** Canonical JSON (sorted keys). */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the chain's last sequence number and hash, locked while appending. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface SigmaRuleTable {
  /** The rule's own id, or a content hash for rules without one. */
  id: string;
  version: number;
  title: string;
  level: string;
  status: string | null;
  author: string | null;
  logsource: string;
  tags: string;
  yaml: string;
  source: string;
  enabled: number;
  imported_at: string;
  updated_at: ColumnType<string, string | undefined, string>;
}
