import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext, type IngestedEvent } from '../core/index.js';
import { detectMigrations, registerRuleRoutes } from '../detect/index.js';
import { ingestMigrations, registerIngestRoutes, storeEvents, type SpoolInput } from '../ingest/index.js';
import { migrate, verifyAudit, type Store } from '../store/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { createApp, type App } from './app.js';
import { IngestMetrics } from './metrics.js';
import { createToken, tokenMigrations } from './tokens.js';

const RULE = `title: Test rule for the API
id: 2b1f3c4d-0000-4000-8000-000000000001
status: test
level: medium
logsource:
    category: firewall
detection:
    selection:
        dst_port: 23
    condition: selection
`;

function ev(id: string, time: string, ip: string): IngestedEvent {
  return {
    id, receivedAt: time, raw: `CEF:0|V|P|1|1|n|3|src=${ip}`, format: 'cef', device: 'cef',
    source: { transport: 'tcp', peer: '127.0.0.1:40000', listener: 'syslog-tcp:5514' },
    event: { '@timestamp': time, source: { ip }, event: { category: ['network'] }, host: { name: 'fw01' } },
  };
}

describe('HTTP API shell', () => {
  let store: Store;
  let app: App;
  let base: string;
  let analyst: string;
  let auditor: string;
  const accepted: SpoolInput[][] = [];
  before(async () => {
    store = openSqliteStore(':memory:');
    await migrate(store, [ingestMigrations, detectMigrations, tokenMigrations]);
    app = await createApp({ store, metrics: new IngestMetrics() });
    registerIngestRoutes(app.app, {
      store, contextOf: app.contextOf,
      accept: async (batch) => {
        accepted.push(batch);
        return { first: 1, last: batch.length };
      },
    });
    registerRuleRoutes(app.app, { store, contextOf: app.contextOf });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const a = app.app.server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    analyst = (await createToken(store.db, systemContext(), 'analyst', 'alice')).token;
    auditor = (await createToken(store.db, systemContext(), 'auditor', 'audrey')).token;
    await storeEvents(store.db, [ev('s:1', '2026-11-21T01:00:00.000Z', '10.0.0.1'), ev('s:2', '2026-11-21T02:00:00.000Z', '10.0.0.2'), ev('s:3', '2026-11-21T03:00:00.000Z', '10.0.0.1')]);
  });
  after(async () => {
    await app.app.close();
    await store.close();
  });

  const get = (path: string, token?: string) => fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('asks for a token, refuses a wrong one, and knows who a right one is', async () => {
    assert.equal((await get('/api/v1/events')).status, 401);
    const wrong = await get('/api/v1/events', `lf_0123456789abcdef_${'x'.repeat(32)}`);
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { message: string }).message, /unknown or revoked/);
    const me = await (await get('/api/v1/me', analyst)).json();
    assert.deepEqual(me, { actor: 'token:alice', roles: ['analyst'], tenant: 'local' });
  });

  it('stores tokens hashed: the database holds no token', async () => {
    const rows = await store.db.selectFrom('api_tokens' as never).selectAll().execute();
    const dump = JSON.stringify(rows);
    assert.equal(dump.includes(analyst.slice('lf_0123456789abcdef_'.length) /* the secret may itself hold '_' */), false);
  });

  it('lists events newest first with a cursor, and filters on an ECS field', async () => {
    const p1 = await (await get('/api/v1/events?limit=2', analyst)).json() as { items: Array<{ id: string }>; next: string | null };
    assert.deepEqual(p1.items.map((e) => e.id), ['s:3', 's:2']);
    const p2 = await (await get(`/api/v1/events?limit=2&cursor=${p1.next}`, analyst)).json() as { items: Array<{ id: string }>; next: string | null };
    assert.deepEqual(p2.items.map((e) => e.id), ['s:1']);
    assert.equal(p2.next, null);
    const byIp = await (await get('/api/v1/events?source.ip=10.0.0.1', analyst)).json() as { items: Array<{ id: string }> };
    assert.deepEqual(byIp.items.map((e) => e.id), ['s:3', 's:1']);
    const bad = await get('/api/v1/events?since=yesterday', analyst);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /since must be an ISO 8601 time/);
  });

  it('acknowledges HTTP ingest lines and ECS bulk documents, and refuses a broken bulk body whole', async () => {
    const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'text/plain' }, body: 'CEF:0|a|b|1|2|n|3|src=1.2.3.4\n\n<13>Nov 21 08:00:00 host app: hello\n' });
    assert.equal(r.status, 200);
    assert.deepEqual((await r.json() as { accepted: number }).accepted, 2);
    assert.deepEqual(accepted.at(-1)!.map((m) => m.text), ['CEF:0|a|b|1|2|n|3|src=1.2.3.4', '<13>Nov 21 08:00:00 host app: hello']);
    assert.equal(accepted.at(-1)![0]!.source.transport, 'http');
    const bulk = '{"index":{"_index":"logs"}}\n{"@timestamp":"2026-11-21T00:00:00Z","source":{"ip":"1.2.3.4"}}\n{"create":{}}\n{"message":"two"}\n';
    const b = await fetch(`${base}/api/v1/ingest/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal((await b.json() as { accepted: number }).accepted, 2);
    const before = accepted.length;
    const broken = await fetch(`${base}/api/v1/ingest/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/x-ndjson' }, body: '{"index":{}}\n{"a":1}\n{"delete":{}}\n' });
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { message: string }).message, /line 3: only index and create actions/);
    assert.equal(accepted.length, before, 'nothing of a refused body is kept');
    const denied = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(denied.status, 403);
  });

  it('imports, lists and disables rules over the API, audited; an auditor may read but not change', async () => {
    const admin = (await createToken(store.db, systemContext(), 'admin', 'root')).token;
    const imp = await fetch(`${base}/api/v1/rules/import`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ yaml: RULE }) });
    assert.deepEqual(await imp.json(), { added: 1, updated: 0, unchanged: 0, problems: [] });
    const broken = await fetch(`${base}/api/v1/rules/import`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ yaml: RULE.replace('condition: selection', 'condition: selection and (') }) });
    assert.equal(broken.status, 400);
    const list = await (await get('/api/v1/rules?q=test%20rule', auditor)).json() as { items: Array<{ id: string; enabled: boolean }> };
    assert.deepEqual(list.items.map((r) => [r.id, r.enabled]), [['2b1f3c4d-0000-4000-8000-000000000001', true]]);
    const patch = (token: string) => fetch(`${base}/api/v1/rules/2b1f3c4d-0000-4000-8000-000000000001`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
    assert.equal((await patch(auditor)).status, 403);
    const off = await patch(analyst);
    assert.equal(((await off.json()) as { enabled: boolean }).enabled, false);
    const verdict = await verifyAudit(store.db);
    assert.ok(verdict.ok);
    assert.equal(verdict.ok && verdict.entries, 5, 'three tokens, one import, one disable');
  });

  it('publishes an OpenAPI document listing the routes, and Prometheus counters', async () => {
    const doc = await (await get('/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/v1/events', '/api/v1/ingest', '/api/v1/rules', '/api/v1/rules/{id}']) assert.ok(doc.paths[p], `${p} in the OpenAPI document`);
    const metrics = await (await get('/metrics')).text();
    for (const name of ['lianfang_events_received_total', 'lianfang_events_parsed_total', 'lianfang_events_failed_total', 'lianfang_alerts_total']) assert.match(metrics, new RegExp(`^${name} \\d+$`, 'm'));
  });
});
