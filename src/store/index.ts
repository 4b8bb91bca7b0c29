import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { LianfangError } from '../core/index.js';
import { MIGRATIONS } from './migrations.js';
import type { Database } from './schema.js';

export type { Database, MetaTable, SigmaRuleTable } from './schema.js';

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

/** Brings the schema up to date; reports per migration instead of throwing half-way. */
export async function migrate(store: Store): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => MIGRATIONS },
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
