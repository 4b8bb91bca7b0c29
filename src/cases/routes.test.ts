import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { LianfangError, NotAllowedError, systemContext, type ErrorCategory, type RequestContext, type Role } from '../core/index.js';
import { migrate, verifyAudit, type Store } from '../store/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { detection, sampleEvent, TestClock } from './cases.suite.js';
import { casesMigrations, MAX_EVIDENCE_BYTES, recordDetections, registerCaseRoutes } from './index.js';

const STATUS: Record<ErrorCategory, number> = { input: 400, not_found: 404, conflict: 409, not_allowed: 403, technical: 500 };

/** The actor comes from test headers; the real server authenticates instead. */
function contextOf(req: FastifyRequest): RequestContext {
  const id = req.headers['x-test-actor'];
  if (typeof id !== 'string') throw new NotAllowedError('NO_ACTOR', 'no actor');
  const roles = String(req.headers['x-test-roles'] ?? 'analyst').split(',') as Role[];
  return { actor: { id, kind: 'user', roles }, tenant: String(req.headers['x-test-tenant'] ?? 'bank-a') };
}

interface Json {
  [k: string]: unknown;
}

describe('cases routes over a real socket', () => {
  let store: Store;
  let app: FastifyInstance;
  let base: string;
  const clock = new TestClock(Date.parse('2026-03-02T09:00:00.000Z'));

  async function call(method: string, path: string, body?: unknown, who: { actor?: string; roles?: string; tenant?: string } = {}): Promise<{ status: number; json: Json; headers: Headers; bytes: Buffer }> {
    const headers: Record<string, string> = { 'x-test-actor': who.actor ?? 'alice', 'x-test-roles': who.roles ?? 'analyst', 'x-test-tenant': who.tenant ?? 'bank-a' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const bytes = Buffer.from(await res.arrayBuffer());
    const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: res.status, json: isJson ? (JSON.parse(bytes.toString('utf8')) as Json) : {}, headers: res.headers, bytes };
  }

  before(async () => {
    store = openSqliteStore(':memory:');
    await migrate(store, [casesMigrations]);
    app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 'Lianfang', version: '0.1.0' } } });
    app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number; code?: string }, _req, reply) => {
      if (err instanceof LianfangError) {
        return reply.code(STATUS[err.category]).send({ error: { code: err.code, message: err.message } });
      }
      const status = err.validation ? 400 : err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
      return reply.code(status).send({ error: { code: err.code ?? 'ERROR', message: err.message } });
    });
    registerCaseRoutes(app, { store, contextOf, clock });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    await app?.close();
    await store?.close();
  });

  it('publishes every route in the OpenAPI document with tags, summary and a success response schema', () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, Json>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
    assert.deepEqual(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort(), [
      'GET /api/v1/alerts', 'GET /api/v1/alerts/{id}', 'GET /api/v1/cases', 'GET /api/v1/cases/stats', 'GET /api/v1/cases/{id}',
      'GET /api/v1/cases/{id}/evidence/{evId}', 'PATCH /api/v1/alerts/{id}', 'PATCH /api/v1/cases/{id}', 'PATCH /api/v1/cases/{id}/tasks/{taskId}',
      'POST /api/v1/cases', 'POST /api/v1/cases/{id}/alerts', 'POST /api/v1/cases/{id}/comments', 'POST /api/v1/cases/{id}/evidence',
      'POST /api/v1/cases/{id}/merge', 'POST /api/v1/cases/{id}/observables', 'POST /api/v1/cases/{id}/tasks',
    ]);
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      assert.ok(Array.isArray(op['tags']) && (op['tags'] as string[]).length > 0, `${where} tags`);
      assert.ok(typeof op['summary'] === 'string' && op['summary'] !== '', `${where} summary`);
      const responses = op['responses'] as Record<string, { content?: Record<string, { schema?: unknown }> }>;
      const ok = Object.entries(responses).find(([code]) => code.startsWith('2'));
      assert.ok(ok?.[1].content && Object.values(ok[1].content)[0]?.schema, `${where} success schema`);
      if (path.includes('{')) assert.ok(Array.isArray(op['parameters']) && (op['parameters'] as Json[]).some((p) => p['in'] === 'path'), `${where} path params`);
      if (method === 'post' || method === 'patch') assert.ok(op['requestBody'], `${where} body schema`);
    }
  });

  it('runs the analyst workflow end to end, in snake_case', async () => {
    await recordDetections(store.db, systemContext('bank-a'), [
      detection({ ruleId: 'r-http', ruleTitle: 'Suspicious cmd.exe child', at: '2026-03-02T08:00:00Z', host: 'PC01', event: sampleEvent() }),
      detection({ ruleId: 'r-http', ruleTitle: 'Suspicious cmd.exe child', at: '2026-03-02T08:01:00Z', host: 'PC01' }),
      detection({ ruleId: 'r-http-2', ruleTitle: 'Mimikatz Use', level: 'critical', at: '2026-03-02T08:02:00Z', host: 'PC02' }),
    ], clock.now());

    const list = await call('GET', '/api/v1/alerts?limit=10');
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.json).sort(), ['items', 'next']);
    const items = list.json['items'] as Json[];
    assert.equal(items.length, 2);
    assert.equal(list.json['next'], null);
    assert.equal(items[0]!['rule_id'], 'r-http-2', 'newest first');
    const first = items[1]!;
    assert.equal(first['detection_count'], 2);
    assert.ok((first['observables'] as Json[]).some((o) => o['type'] === 'hash' && o['algorithm'] === 'sha256'));
    assert.deepEqual(((await call('GET', '/api/v1/alerts?level=critical,high&status=new')).json['items'] as Json[]).map((a) => a['rule_id']), ['r-http-2', 'r-http']);
    assert.deepEqual(((await call('GET', '/api/v1/alerts?level=critical&level=informational')).json['items'] as Json[]).map((a) => a['rule_id']), ['r-http-2']);
    assert.deepEqual(((await call('GET', '/api/v1/alerts?host=pc02')).json['items'] as Json[]).map((a) => a['rule_id']), ['r-http-2']);

    const ack = await call('PATCH', `/api/v1/alerts/${String(first['id'])}`, { status: 'acknowledged', note: 'mine' });
    assert.equal(ack.status, 200);
    assert.equal(ack.json['status'], 'acknowledged');
    assert.equal(ack.json['status_note'], 'mine');

    const created = await call('POST', '/api/v1/cases', { alert_ids: [first['id']], assignee: 'alice', tags: ['web'] });
    assert.equal(created.status, 201);
    const c = created.json;
    assert.equal(c['ref'], '#1');
    assert.equal(c['state'], 'new');
    assert.equal(c['tlp'], 'amber');
    assert.equal((c['clocks'] as Json)['time_to_acknowledge_ms'], 0, 'created assigned: acknowledged at once');
    assert.equal(((c['alerts'] as Json[])[0]!)['status'], 'in_case');
    const id = String(c['id']);

    clock.advance(20);
    const moved = await call('PATCH', `/api/v1/cases/${id}`, { state: 'triage', revision: c['revision'] });
    assert.equal(moved.status, 200);
    assert.equal(moved.json['state'], 'triage');
    const stale = await call('PATCH', `/api/v1/cases/${id}`, { title: 'x', revision: c['revision'] });
    assert.equal(stale.status, 409);
    const bad = await call('PATCH', `/api/v1/cases/${id}`, { state: 'contained' });
    assert.equal(bad.status, 409);
    assert.match(String((bad.json['error'] as Json)['message']), /cannot move to contained/);

    const merged = await call('POST', `/api/v1/cases/${id}/alerts`, { alert_ids: [items[0]!['id']] });
    assert.equal(merged.status, 200);
    assert.equal(merged.json['alert_count'], 2);

    const comment = await call('POST', `/api/v1/cases/${id}/comments`, { text: 'Confirmed with the branch IT staff.' });
    assert.equal(comment.status, 201);
    assert.equal(comment.json['author'], 'alice');
    const task = await call('POST', `/api/v1/cases/${id}/tasks`, { title: 'Reimage PC01', assignee: 'bob' });
    assert.equal(task.status, 201);
    const done = await call('PATCH', `/api/v1/cases/${id}/tasks/${String(task.json['id'])}`, { state: 'done' });
    assert.equal(done.json['state'], 'done');
    assert.equal(done.json['done_at'], clock.now().toISOString());

    const content = Buffer.from('<html><script>alert(1)</script></html>', 'utf8');
    const ev = await call('POST', `/api/v1/cases/${id}/evidence`, {
      name: 'phish "landing" 頁面.html', media_type: 'text/html', content_base64: content.toString('base64'), sha256: createHash('sha256').update(content).digest('hex'),
    });
    assert.equal(ev.status, 201);
    assert.equal(ev.json['size'], content.length);
    const download = await call('GET', `/api/v1/cases/${id}/evidence/${String(ev.json['id'])}`);
    assert.equal(download.status, 200);
    assert.ok(download.bytes.equals(content), 'the same bytes come back');
    assert.match(download.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(download.headers.get('x-content-type-options'), 'nosniff');
    assert.match(download.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal(download.headers.get('content-disposition'), `attachment; filename="phish _landing_ __.html"; filename*=UTF-8''${encodeURIComponent('phish "landing" 頁面.html')}`);

    const obs = await call('POST', `/api/v1/cases/${id}/observables`, { type: 'domain', value: 'Login-Bank.Example.', ioc: true });
    assert.equal(obs.status, 201);
    assert.deepEqual([obs.json['value'], obs.json['ioc'], obs.json['source']], ['login-bank.example', true, 'analyst']);

    const detail = await call('GET', `/api/v1/cases/${id}`);
    assert.equal(detail.status, 200);
    const d = detail.json;
    assert.deepEqual((d['timeline'] as Json[]).map((e) => e['kind']), [
      'created', 'alerts_merged', 'state_changed', 'alerts_merged', 'comment', 'task_added', 'task_changed', 'evidence_added', 'observable_added',
    ]);
    const stateChange = (d['timeline'] as Json[]).find((e) => e['kind'] === 'state_changed')!;
    assert.deepEqual([stateChange['summary'], stateChange['detail'], stateChange['actor']], ['state new → triage', { from: 'new', to: 'triage' }, 'alice']);
    assert.ok((d['observables'] as Json[]).some((o) => o['value'] === 'login-bank.example'));
    assert.equal((d['evidence'] as Json[]).length, 1);
    assert.equal((d['tasks'] as Json[]).length, 1);
    assert.equal((d['comments'] as Json[]).length, 1);
    assert.equal((await call('GET', '/api/v1/cases/1')).json['id'], id, 'a case by its number');
    assert.deepEqual(d['related'], []);

    const other = await call('POST', '/api/v1/cases', { title: 'Same phishing kit', severity: 'high' });
    const mergedCases = await call('POST', `/api/v1/cases/${id}/merge`, { case_ids: [String(other.json['number'])] });
    assert.equal(mergedCases.status, 200);
    assert.equal(mergedCases.json['severity'], 'high');
    assert.equal((await call('GET', `/api/v1/cases/${String(other.json['id'])}`)).json['merged_into'], id);

    clock.advance(40);
    await call('PATCH', `/api/v1/cases/${id}`, { state: 'resolved', summary: 'Reimaged.' });
    const stats = await call('GET', '/api/v1/cases/stats?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z');
    assert.equal(stats.status, 200);
    assert.equal(stats.json['created'], 2);
    assert.deepEqual(stats.json['time_to_resolve'], { count: 1, median_ms: 60 * 60_000, p90_ms: 60 * 60_000 });
    assert.equal((stats.json['by_state'] as Json)['resolved'], 1);

    const cases = await call('GET', '/api/v1/cases?state=resolved,closed&text=CMD.EXE');
    assert.deepEqual(Object.keys(cases.json).sort(), ['items', 'next']);
    assert.deepEqual((cases.json['items'] as Json[]).map((x) => x['ref']), ['#1']);
    assert.deepEqual(((await call('GET', '/api/v1/cases?state=closed&text=phishing')).json['items'] as Json[]).map((x) => x['ref']), ['#2']);
    assert.equal((await verifyAudit(store.db)).ok, true);
  });

  it('pages cases with an opaque cursor that new cases do not disturb', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/api/v1/cases', { title: `paging ${i}` }, { tenant: 'bank-pages' });
    const who = { tenant: 'bank-pages' };
    const p1 = await call('GET', '/api/v1/cases?limit=2', undefined, who);
    await call('POST', '/api/v1/cases', { title: 'late arrival' }, who);
    const p2 = await call('GET', `/api/v1/cases?limit=2&cursor=${encodeURIComponent(String(p1.json['next']))}`, undefined, who);
    const p3 = await call('GET', `/api/v1/cases?limit=2&cursor=${encodeURIComponent(String(p2.json['next']))}`, undefined, who);
    const titles = [p1, p2, p3].flatMap((p) => (p.json['items'] as Json[]).map((c) => c['title']));
    assert.deepEqual(titles, ['paging 4', 'paging 3', 'paging 2', 'paging 1', 'paging 0']);
    assert.equal(p3.json['next'], null);
  });

  it('answers bad requests with 400 naming what is wrong, and never 500', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/v1/cases', { title: 'x', asignee: 'bob' }, /body\.asignee: unknown field/],
      ['GET', '/api/v1/alerts?stauts=new', undefined, /query\.stauts: unknown field/],
      ['GET', '/api/v1/alerts?status=open', undefined, /status: 'open' is not one of/],
      ['GET', '/api/v1/alerts?limit=100000', undefined, /limit/],
      ['GET', '/api/v1/alerts?cursor=garbage', undefined, /cursor: not a cursor/],
      ['GET', '/api/v1/alerts?host=a%00b', undefined, /host: must not contain control characters/],
      ['GET', '/api/v1/cases?text=%00', undefined, /text: must not contain control characters/],
      ['GET', '/api/v1/cases/stats?from=soon', undefined, /from: 'soon' is not an ISO 8601 time/],
      ['POST', '/api/v1/cases', {}, /title: a case without alerts needs a title/],
      ['POST', '/api/v1/cases', { title: 'x', severity: 'apocalyptic' }, /severity/],
      ['POST', '/api/v1/cases', '{"title": "x",', /JSON|Unexpected|Expected/],
      ['PATCH', '/api/v1/cases/1', {}, /fewer than 1|minProperties|must NOT have fewer/],
      ['POST', '/api/v1/cases/1/evidence', { name: 'a', media_type: 'text/plain', content_base64: 'not base64!' }, /content_base64: character " " at offset 3/],
      ['POST', '/api/v1/cases/1/observables', { type: 'ip', value: '300.1.1.1' }, /value: '300.1.1.1' is not an IPv4 or IPv6 address/],
      ['PATCH', '/api/v1/alerts/x', { status: 'in_case' }, /status/],
    ];
    for (const [method, path, body, message] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.match(String((r.json['error'] as Json)['message']), message, `${method} ${path}`);
    }
  });

  it('says 404 for what is not there or belongs to another tenant, 403 to readers who write', async () => {
    assert.equal((await call('GET', '/api/v1/cases/00000000-0000-0000-0000-000000000000')).status, 404);
    assert.equal((await call('GET', '/api/v1/alerts/nope')).status, 404);
    assert.equal((await call('GET', '/api/v1/cases/1', undefined, { tenant: 'bank-z' })).status, 404);
    assert.equal((await call('GET', '/api/v1/cases/1/evidence/nope')).status, 404);
    const auditor = { actor: 'audrey', roles: 'auditor' };
    assert.equal((await call('GET', '/api/v1/cases/1', undefined, auditor)).status, 200);
    assert.equal((await call('POST', '/api/v1/cases', { title: 'x' }, auditor)).status, 403);
    assert.equal((await call('POST', '/api/v1/cases/1/comments', { text: 'x' }, { actor: 'sup', roles: 'supervisor' })).status, 403);
  });

  it(`takes evidence up to ${MAX_EVIDENCE_BYTES} bytes through the body limit and refuses one byte more`, async () => {
    const c = await call('POST', '/api/v1/cases', { title: 'big evidence' });
    const id = String(c.json['id']);
    const max = Buffer.alloc(MAX_EVIDENCE_BYTES, 0x5a);
    const ok = await call('POST', `/api/v1/cases/${id}/evidence`, { name: 'disk.img', media_type: 'application/octet-stream', content_base64: max.toString('base64') });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.equal(ok.json['sha256'], createHash('sha256').update(max).digest('hex'));
    const back = await call('GET', `/api/v1/cases/${id}/evidence/${String(ok.json['id'])}`);
    assert.equal(back.bytes.length, MAX_EVIDENCE_BYTES);
    const over = await call('POST', `/api/v1/cases/${id}/evidence`, { name: 'disk.img', media_type: 'application/octet-stream', content_base64: Buffer.alloc(MAX_EVIDENCE_BYTES + 1).toString('base64') });
    assert.equal(over.status, 400);
    assert.match(String((over.json['error'] as Json)['message']), /at most 10485760 allowed/);
  });
});
