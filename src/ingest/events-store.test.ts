import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { IngestedEvent } from '../core/index.js';
import { migrate, type Store } from '../store/index.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { throwawayDatabase } from '../store/postgres/throwaway.suite.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { ingestMigrations, listEvents, storeEvents } from './events-store.js';
import { parseMessage } from './parse/index.js';

const CEF = [
  'CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Web request|low|eventId=3457 requestMethod=POST src=89.160.20.156 spt=33876 dst=192.168.10.1 dpt=443',
  'CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Authentication|low|eventId=123 src=89.160.20.156 spt=33876 dst=10.0.0.9 dpt=22 duser=alice',
  'CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Authentication|low|eventId=124 src=10.1.1.1 spt=40000 dst=10.0.0.9 dpt=22',
];

function ingested(raw: string, i: number): IngestedEvent {
  const at = new Date(Date.UTC(2026, 10, 21, 8, 0, i));
  return { ...parseMessage(raw, { receivedAt: at }), id: `sp:${i + 1}`, receivedAt: at.toISOString(), raw, source: { transport: 'tcp', peer: '127.0.0.1:1', listener: 'syslog-tcp:5514' } };
}

/** The same checks on each dialect: the JSON-path filter is written per dialect. */
function suite(name: string, open: () => Promise<Store>, skip?: string): void {
  describe(`stored events: ${name}`, { skip }, () => {
    let store: Store;
    after(async () => store?.close());
    it('stores each id once, lists newest first, and filters on ECS fields and time', async () => {
      store = await open();
      await migrate(store, [ingestMigrations]);
      const events = [...CEF, 'this is not a known format\u0000 at all'].map(ingested);
      await storeEvents(store.db, events);
      await storeEvents(store.db, events.slice(0, 2)); // redelivered: nothing changes
      const all = await listEvents(store.db, store.dialect);
      assert.deepEqual(all.items.map((e) => e.id), ['sp:4', 'sp:3', 'sp:2', 'sp:1']);
      const bySource = await listEvents(store.db, store.dialect, { fields: { 'source.ip': '89.160.20.156' } });
      assert.deepEqual(bySource.items.map((e) => e.id), ['sp:2', 'sp:1']);
      const byPort = await listEvents(store.db, store.dialect, { fields: { 'destination.port': '22', 'source.ip': '10.1.1.1' } });
      assert.deepEqual(byPort.items.map((e) => e.id), ['sp:3']);
      const window = await listEvents(store.db, store.dialect, { since: '2026-11-21T08:00:01Z', until: '2026-11-21T08:00:02Z' });
      assert.deepEqual(window.items.map((e) => e.id), ['sp:3', 'sp:2']);
      const page = await listEvents(store.db, store.dialect, { limit: 3 });
      const rest = await listEvents(store.db, store.dialect, { limit: 3, cursor: page.next! });
      assert.deepEqual(rest.items.map((e) => e.id), ['sp:1']);
      // PostgreSQL holds no NUL in text or jsonb: stored as ␀ on both dialects, and said so.
      assert.equal(all.items[0]!.raw, 'this is not a known format\u2400 at all');
      assert.match(all.items[0]!.error ?? '', /NUL bytes stored as \u2400/);
      assert.equal(JSON.stringify(all.items[0]!.event).includes('\\u0000'), false);
      await assert.rejects(listEvents(store.db, store.dialect, { fields: { "x') or 1=1 --": 'a' } }), /is not a field name/);
    });
  });
}

suite('sqlite', async () => openSqliteStore(':memory:'));

const pgDb = await throwawayDatabase('lf_events');
suite('postgres', async () => openPostgresStore(pgDb.url), pgDb.skip);
