import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database, Store } from '../index.js';

/** The scale-out adapter: PostgreSQL through a connection pool. */
export function openPostgresStore(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops (a restart, an administrator's terminate) must not
  // crash the process: the pool discards it and the next query gets a fresh one.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', db, close: () => db.destroy() };
}
