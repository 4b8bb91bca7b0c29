import { Migrator, sql, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { LianfangError } from '../core/index.js';
import { MIGRATIONS } from './migrations.js';
import type { Database } from './schema.js';

export type { Database, MetaTable, SigmaRuleTable, AuditTable } from './schema.js';
export { appendAudit, listAudit, verifyAudit, type AuditEntry, type AuditRecord, type AuditVerdict } from './audit.js';
export { inTransaction, isPostgres, lockUntilCommit } from './transactions.js';

/**
 * The storage port: a typed query builder over one of our two real databases. Domain code
 * writes Kysely queries that are valid on both; only the composition root picks the adapter.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export interface MigrationReport {
  readonly applied: string[];
  readonly failed?: { name: string; reason: string };
}

/**
 * Schema changes a capability owns, named `<capability>/NNNN_what` so they sort after the
 * store's own and never collide with another capability's.
 */
export type MigrationSet = Readonly<Record<string, Migration>>;

/**
 * Brings the schema up to date: the store's own tables, then each capability's set.
 * Reports per migration instead of throwing half-way.
 */
export async function migrate(store: Store, sets: readonly MigrationSet[] = []): Promise<MigrationReport> {
  const all: Record<string, Migration> = { ...MIGRATIONS };
  for (const set of sets) {
    for (const [name, m] of Object.entries(set)) {
      if (all[name] !== undefined) throw new LianfangError('STORE_MIGRATION_CLASH', `two migrations are named ${name}`, 'technical');
      all[name] = m;
    }
  }
  // On PostgreSQL, Kysely would take a migration table found in any schema on the search path:
  // name the current one, so two installations in two schemas of a database stay apart.
  const schema = store.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => all },
    ...(schema ? { migrationTableSchema: schema } : {}),
    // A capability added later brings migrations that sort between applied ones.
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? '(unknown)';
    const reason = error instanceof Error ? error.message : String(error);
    throw new LianfangError('STORE_MIGRATION_FAILED', `migration ${failed} failed: ${reason}`, 'technical', { cause: error });
  }
  return { applied };
}
