import { join, resolve } from 'node:path';
import { casesMigrations } from '../cases/index.js';
import { detectMigrations } from '../detect/index.js';
import { ingestMigrations } from '../ingest/index.js';
import { intelMigrations } from '../intel/index.js';
import { migrate, type MigrationSet, type Store } from '../store/index.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { vaultMigrations } from '../vault/index.js';
import { tokenMigrations } from './tokens.js';

/** Every capability's tables, in the order they were added. */
export const ALL_MIGRATIONS: readonly MigrationSet[] = [ingestMigrations, detectMigrations, tokenMigrations, casesMigrations, vaultMigrations, intelMigrations];

/** The store `serve` and the CLI use: SQLite in the data folder, or PostgreSQL when given a URL. */
export async function openDataStore(dataDir: string, url?: string): Promise<Store> {
  const store = url ? openPostgresStore(url) : openSqliteStore(join(resolve(dataDir), 'lianfang.sqlite'));
  await migrate(store, ALL_MIGRATIONS);
  return store;
}
