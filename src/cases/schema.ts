import type { ColumnType, Kysely, Migration } from 'kysely';
import { isPostgres, type MigrationSet } from '../store/index.js';

/**
 * The cases capability's tables. Timestamps are ISO 8601 text, JSON is text, booleans are
 * 0/1, so rows read back the same from SQLite and PostgreSQL. Every row carries its tenant
 * and every query filters on it. Absent host and user are stored as '' so that grouping
 * compares them with `=`.
 */
export type CasesTables = {
  alerts: AlertTable;
  cases: CaseTable;
  case_numbers: CaseNumberTable;
  case_tasks: CaseTaskTable;
  case_comments: CaseCommentTable;
  case_evidence: CaseEvidenceTable;
  case_observables: CaseObservableTable;
  case_history: CaseHistoryTable;
};

/** PostgreSQL returns bigint as text; reads go through Number(). */
type BigInt = ColumnType<number | string, number, number>;
/** Database-generated, never written by us. */
type Serial = ColumnType<number | string, never, never>;

export interface AlertTable {
  /** Insertion order: the list's sort key and cursor, stable under inserts. */
  seq: Serial;
  id: string;
  tenant: string;
  rule_id: string;
  rule_version: number;
  rule_title: string;
  level: string;
  techniques: string;
  tactics: string;
  author: string | null;
  host: string;
  user_name: string;
  status: string;
  status_note: string | null;
  case_id: string | null;
  merged_at: string | null;
  observables: string;
  event_ids: string;
  event_count: number;
  detection_count: number;
  matched_fields: string;
  first_seen: string;
  last_seen: string;
  created_at: string;
  updated_at: string;
}

export interface CaseTable {
  id: string;
  tenant: string;
  number: number;
  title: string;
  description: string;
  severity: string;
  state: string;
  assignee: string | null;
  tags: string;
  tlp: string;
  pap: string;
  summary: string | null;
  merged_into: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  revision: number;
  acknowledged_at: string | null;
  tta_ms: BigInt | null;
  resolved_at: string | null;
  ttr_ms: BigInt | null;
}

/** The last case number handed out per tenant. */
export interface CaseNumberTable {
  tenant: string;
  last_number: number;
}

export interface CaseTaskTable {
  id: string;
  tenant: string;
  case_id: string;
  title: string;
  description: string;
  state: string;
  assignee: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  done_at: string | null;
  /** The case revision that created it: orders timeline entries written in the same millisecond. */
  rev: number;
}

export interface CaseCommentTable {
  id: string;
  tenant: string;
  case_id: string;
  author: string;
  text: string;
  created_at: string;
  rev: number;
}

export interface CaseEvidenceTable {
  id: string;
  tenant: string;
  case_id: string;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  /** blob on SQLite, bytea on PostgreSQL; both drivers hand back a Buffer. */
  content: Buffer;
  added_by: string;
  added_at: string;
  rev: number;
}

export interface CaseObservableTable {
  id: string;
  tenant: string;
  case_id: string;
  type: string;
  value: string;
  /** '' unless a hash. */
  algorithm: string;
  ioc: number;
  note: string | null;
  source: string;
  added_by: string;
  added_at: string;
}

/** Every change of a case that is not itself a row (state, assignee, merges…): the timeline's spine. */
export interface CaseHistoryTable {
  id: string;
  tenant: string;
  case_id: string;
  at: string;
  actor: string;
  kind: string;
  /** JSON object. */
  detail: string;
  rev: number;
}


const TEXT_TS = 'varchar(40)';

async function createAlerts(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .createTable('alerts')
    // An identity column needs a different spelling on each database.
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('rule_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('rule_version', 'integer', (c) => c.notNull())
    .addColumn('rule_title', 'text', (c) => c.notNull())
    .addColumn('level', 'varchar(20)', (c) => c.notNull())
    .addColumn('techniques', 'text', (c) => c.notNull())
    .addColumn('tactics', 'text', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('status_note', 'text')
    .addColumn('case_id', 'varchar(36)')
    .addColumn('merged_at', TEXT_TS)
    .addColumn('observables', 'text', (c) => c.notNull())
    .addColumn('event_ids', 'text', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('detection_count', 'integer', (c) => c.notNull())
    .addColumn('matched_fields', 'text', (c) => c.notNull())
    .addColumn('first_seen', TEXT_TS, (c) => c.notNull())
    .addColumn('last_seen', TEXT_TS, (c) => c.notNull())
    .addColumn('created_at', TEXT_TS, (c) => c.notNull())
    .addColumn('updated_at', TEXT_TS, (c) => c.notNull())
    .execute();
  // The grouping lookup of every detection batch.
  await db.schema.createIndex('alerts_group').on('alerts').columns(['tenant', 'rule_id', 'host', 'user_name', 'last_seen']).execute();
  await db.schema.createIndex('alerts_tenant_seq').on('alerts').columns(['tenant', 'seq']).execute();
  await db.schema.createIndex('alerts_case').on('alerts').columns(['tenant', 'case_id']).execute();
}

async function createCases(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cases')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('severity', 'varchar(20)', (c) => c.notNull())
    .addColumn('state', 'varchar(20)', (c) => c.notNull())
    .addColumn('assignee', 'varchar(200)')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('tlp', 'varchar(20)', (c) => c.notNull())
    .addColumn('pap', 'varchar(20)', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('merged_into', 'varchar(36)')
    .addColumn('created_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', TEXT_TS, (c) => c.notNull())
    .addColumn('updated_at', TEXT_TS, (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('acknowledged_at', TEXT_TS)
    .addColumn('tta_ms', 'bigint')
    .addColumn('resolved_at', TEXT_TS)
    .addColumn('ttr_ms', 'bigint')
    .addUniqueConstraint('cases_tenant_number', ['tenant', 'number'])
    .execute();
  await db.schema.createIndex('cases_tenant_state').on('cases').columns(['tenant', 'state']).execute();
  await db.schema
    .createTable('case_numbers')
    .addColumn('tenant', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('last_number', 'integer', (c) => c.notNull())
    .execute();
}

async function createCaseParts(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);
  const common = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
      .addColumn('case_id', 'varchar(36)', (c) => c.notNull().references('cases.id'));
  await common('case_tasks')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(20)', (c) => c.notNull())
    .addColumn('assignee', 'varchar(200)')
    .addColumn('created_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', TEXT_TS, (c) => c.notNull())
    .addColumn('updated_at', TEXT_TS, (c) => c.notNull())
    .addColumn('done_at', TEXT_TS)
    .addColumn('rev', 'integer', (c) => c.notNull())
    .execute();
  await common('case_comments')
    .addColumn('author', 'varchar(200)', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', TEXT_TS, (c) => c.notNull())
    .addColumn('rev', 'integer', (c) => c.notNull())
    .execute();
  await common('case_evidence')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('media_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('content', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('added_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('added_at', TEXT_TS, (c) => c.notNull())
    .addColumn('rev', 'integer', (c) => c.notNull())
    .execute();
  await common('case_observables')
    .addColumn('type', 'varchar(20)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'varchar(20)', (c) => c.notNull())
    .addColumn('ioc', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('source', 'varchar(20)', (c) => c.notNull())
    .addColumn('added_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('added_at', TEXT_TS, (c) => c.notNull())
    .addUniqueConstraint('case_observables_unique', ['case_id', 'type', 'value'])
    .execute();
  await common('case_history')
    .addColumn('at', TEXT_TS, (c) => c.notNull())
    .addColumn('actor', 'varchar(200)', (c) => c.notNull())
    .addColumn('kind', 'varchar(40)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('rev', 'integer', (c) => c.notNull())
    .execute();
  // "Which other cases saw this value": the related-cases lookup.
  await db.schema.createIndex('case_observables_value').on('case_observables').columns(['tenant', 'type', 'value']).execute();
  for (const table of ['case_tasks', 'case_comments', 'case_evidence', 'case_history']) {
    await db.schema.createIndex(`${table}_case`).on(table).column('case_id').execute();
  }
}

/** The cases capability's schema, for `migrate(store, [casesMigrations, …])`. */
export const casesMigrations: MigrationSet = {
  'cases/0001_alerts': { up: createAlerts } satisfies Migration,
  'cases/0002_cases': { up: createCases } satisfies Migration,
  'cases/0003_case_parts': { up: createCaseParts } satisfies Migration,
};
