import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

/**
 * A throw-away PostgreSQL database for one test file, beside the one LIANFANG_TEST_PG names
 * (default: the local server CI starts), dropped when the file's tests end. `skip` is a
 * written reason when the server cannot be reached, for `describe(…, { skip })`.
 */
export async function throwawayDatabase(prefix: string): Promise<{ url: string; skip?: string }> {
  const base = process.env.LIANFANG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  try {
    await admin((c) => c.query(`create database ${database}`));
  } catch (err) {
    return { url: '', skip: `PostgreSQL at ${base} is not reachable or may not create a database (${(err as Error).message}); .ci/run starts it` };
  }
  after(async () => {
    // WITH (FORCE) needs PostgreSQL 13; older servers drop once our pool has closed.
    await admin((c) => c.query(`drop database if exists ${database} with (force)`)).catch(() => admin((c) => c.query(`drop database if exists ${database}`)));
  });
  const url = new URL(base);
  url.pathname = `/${database}`;
  return { url: url.toString() };
}
