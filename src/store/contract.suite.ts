import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { migrate, type Store } from './index.js';

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
      assert.deepEqual(first.applied, ['0001_meta', '0002_sigma_rules']);
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
  });
}
