import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { after } from 'node:test';
import { storeContract } from '../contract.suite.js';
import { openPostgresStore } from './index.js';

// A throw-away schema per run in the database named by LIANFANG_TEST_PG (CI starts PostgreSQL).
const base = process.env.LIANFANG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lf_test_${randomBytes(4).toString('hex')}`;

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`create schema ${schema}`);
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${base} is not reachable (${(err as Error).message}); .ci/run starts it`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const skip = await reachable();
after(async () => {
  if (skip) return;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`drop schema ${schema} cascade`);
  await client.end();
});
const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
storeContract('postgres', async () => openPostgresStore(url), skip);
