import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The database behind `db` (or behind a transaction on it) is PostgreSQL. */
export function isPostgres(db: { getExecutor(): { readonly adapter: unknown } }): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Runs `fn` in a transaction, joining the caller's when `db` already is one. */
export async function inTransaction<T>(db: Kysely<Database>, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * Makes other transactions that name the same key wait until this one ends. PostgreSQL runs
 * transactions side by side, so it takes an advisory lock; SQLite's one writer queues them
 * already. `db` must be a transaction.
 */
export async function lockUntilCommit(db: Kysely<Database>, key: readonly string[]): Promise<void> {
  if (isPostgres(db)) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${JSON.stringify(key)}, 0))`.execute(db);
}
