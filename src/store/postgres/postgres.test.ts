import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../index.js';
import { storeContract } from '../contract.suite.js';
import { openPostgresStore } from './index.js';
import { throwawayDatabase } from './throwaway.suite.js';

const { url, skip } = await throwawayDatabase('lf_store');
storeContract('postgres', async () => openPostgresStore(url), skip);

test('two installations in two schemas of one database migrate apart', { skip }, async () => {
  const admin = openPostgresStore(url);
  await sql`create schema bank_a`.execute(admin.db);
  await sql`create schema bank_b`.execute(admin.db);
  await admin.close();
  const inSchema = (s: string) => openPostgresStore(`${url}?options=${encodeURIComponent(`-c search_path=${s}`)}`);
  const a = inSchema('bank_a');
  const b = inSchema('bank_b');
  try {
    const all = ['0001_meta', '0002_sigma_rules', '0003_audit_log'];
    assert.deepEqual((await migrate(a)).applied, all);
    // b's migrator must not read a's migration table and think it is up to date.
    assert.deepEqual((await migrate(b)).applied, all);
    const where = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'audit_log' and table_schema like 'bank_%' order by 1`.execute(a.db);
    assert.deepEqual(where.rows.map((r) => r.table_schema), ['bank_a', 'bank_b']);
  } finally {
    await a.close();
    await b.close();
  }
});

test('survives the server dropping its idle connections (restart, administrator terminate)', { skip }, async () => {
  const store = openPostgresStore(url);
  const admin = openPostgresStore(url);
  try {
    await sql`select 1`.execute(store.db);
    const pids = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(store.db);
    await sql`select pg_terminate_backend(${pids.rows[0]!.pid})`.execute(admin.db);
    await new Promise((r) => setTimeout(r, 200)); // the idle client's error arrives; it must not crash us
    const again = await sql<{ one: number }>`select 1 as one`.execute(store.db);
    assert.equal(again.rows[0]!.one, 1);
  } finally {
    await store.close();
    await admin.close();
  }
});
