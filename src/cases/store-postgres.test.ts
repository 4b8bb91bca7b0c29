import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../store/postgres/index.js';
import { casesStoreSuite } from './cases.suite.js';

/*
 * The same suite on PostgreSQL, in a throw-away database beside the one LIANFANG_TEST_PG
 * names. A database rather than a schema: Kysely's migrator finds its lock table in any
 * schema, so another suite's schema in the same database would hide ours.
 */
const base = process.env.LIANFANG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `lf_cases_${randomBytes(4).toString('hex')}`;

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function reachable(): Promise<string | undefined> {
  try {
    await admin((c) => c.query(`create database ${database}`));
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${base} is not reachable or may not create a database (${(err as Error).message}); .ci/run starts it`;
  }
}

const skip = await reachable();
after(async () => {
  if (skip) return;
  // WITH (FORCE) needs PostgreSQL 13; older servers drop once our pool has closed.
  await admin((c) => c.query(`drop database if exists ${database} with (force)`)).catch(() => admin((c) => c.query(`drop database if exists ${database}`)));
});
const url = new URL(base);
url.pathname = `/${database}`;
casesStoreSuite('PostgreSQL', async () => openPostgresStore(url.toString()), skip);
