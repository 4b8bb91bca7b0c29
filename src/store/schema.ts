import type { ColumnType } from 'kysely';

/**
 * The tables, as Kysely sees them. Timestamps are ISO 8601 text and JSON is text, so the
 * same rows read back identically from SQLite and PostgreSQL.
 */
export interface Database {
  lianfang_meta: MetaTable;
  sigma_rules: SigmaRuleTable;
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
