import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { sql } from 'kysely';
import { systemContext } from '../core/index.js';
import { appendAudit, listAudit, migrate, verifyAudit, type Store } from './index.js';

/**
 * What every Store adapter must do, run by each adapter's test with a fresh database.
 * `open` returns a store on an empty database; `skip` gives a written reason to skip.
 */
export function storeContract(name: string, open: () => Promise<Store>, skip?: string): void {
  describe(`Store contract: ${name}`, { skip }, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    it('migrates an empty database, and a second run applies nothing', async () => {
      const first = await migrate(store);
      assert.deepEqual(first.applied, ['0001_meta', '0002_sigma_rules', '0003_audit_log']);
      const second = await migrate(store);
      assert.deepEqual(second.applied, []);
    });

    it('round-trips text, including non-ASCII and quotes, byte for byte', async () => {
      const value = '聯防 — "quoted" \'single\' \\ back\nline';
      await store.db.insertInto('lianfang_meta').values({ key: 'probe', value }).execute();
      const row = await store.db.selectFrom('lianfang_meta').selectAll().where('key', '=', 'probe').executeTakeFirstOrThrow();
      assert.equal(row.value, value);
    });

    it('enforces the rule (id, version) uniqueness', async () => {
      const rule = {
        id: 'r-1', version: 1, title: 'T', level: 'high', status: null, author: 'a', logsource: '{}', tags: '[]',
        yaml: 'title: T', source: 'test', enabled: 1, imported_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
      };
      await store.db.insertInto('sigma_rules').values(rule).execute();
      await assert.rejects(store.db.insertInto('sigma_rules').values(rule).execute());
      await store.db.insertInto('sigma_rules').values({ ...rule, version: 2 }).execute();
      const rows = await store.db.selectFrom('sigma_rules').select(['id', 'version']).orderBy('version').execute();
      assert.deepEqual(rows.map((r) => r.version), [1, 2]);
    });

    it('rolls back a failed transaction whole', async () => {
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await tx.insertInto('lianfang_meta').values({ key: 'tx', value: 'written' }).execute();
          throw new Error('abort');
        }),
      );
      const row = await store.db.selectFrom('lianfang_meta').selectAll().where('key', '=', 'tx').executeTakeFirst();
      assert.equal(row, undefined);
    });

    it('runs a capability\'s migrations after its own, and refuses two with one name', async () => {
      const set = { 'probe/0001_t': { up: async (db: unknown) => { await sql`CREATE TABLE probe_t (x integer)`.execute(db as never); } } };
      const r = await migrate(store, [set]);
      assert.deepEqual(r.applied, ['probe/0001_t']);
      assert.deepEqual((await migrate(store, [set])).applied, []);
      await assert.rejects(migrate(store, [set, set]), /two migrations are named probe\/0001_t/);
    });

    it('chains audit entries, refuses to alter them, and verify finds a forged one', async () => {
      const ctx = systemContext('bank-a');
      const a = await appendAudit(store.db, ctx, { action: 'case.create', target: 'case:1', detail: { title: '可疑登入', severity: 'high' } });
      const b = await appendAudit(store.db, ctx, { action: 'case.update', target: 'case:1', detail: { state: { from: 'new', to: 'triage' } } });
      await store.db.transaction().execute((tx) => appendAudit(tx, ctx, { action: 'rule.disable', target: 'rule:x@1' }));
      assert.equal(b.prevHash, a.hash);
      const ok = await verifyAudit(store.db);
      assert.deepEqual(ok.ok && ok.entries, 3);
      assert.deepEqual((await listAudit(store.db, { target: 'case:1' })).map((e) => e.action), ['case.update', 'case.create']);
      await assert.rejects(store.db.updateTable('audit_log').set({ actor: 'mallory' }).where('seq', '=', 2).execute(), /append-only/);
      await assert.rejects(store.db.deleteFrom('audit_log').where('seq', '=', 3).execute(), /append-only/);
      // Someone with the database file drops the guard and rewrites history: verify names the entry.
      if (store.dialect === 'sqlite') await sql`DROP TRIGGER audit_log_no_update`.execute(store.db);
      else await sql`DROP TRIGGER audit_log_append_only ON audit_log`.execute(store.db);
      await store.db.updateTable('audit_log').set({ detail: '{"state":{"from":"new","to":"closed"}}' }).where('seq', '=', 2).execute();
      const bad = await verifyAudit(store.db);
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.seq, 2);
      assert.match(!bad.ok ? bad.reason : '', /entry 2 was altered/);
    });
  });
}
