import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '../../core/index.js';
import { createApp, createToken, IngestMetrics, ALL_MIGRATIONS } from '../../server/index.js';
import { migrate, type Store } from '../../store/index.js';
import { addMember, createCollection, registerTaxiiRoutes, TLP2_MARKING_ID, type HubMember, type IntelCollection } from '../index.js';

const STIX = new URL('../../../../shared/data/stix/', import.meta.url);
const POISON_IVY = JSON.parse(readFileSync(new URL('cti-documentation-examples/poisonivy.json', STIX), 'utf8')) as { objects: Json[] };

interface Json {
  [k: string]: unknown;
}

const TAXII = 'application/taxii+json;version=2.1';
const ROOT = '/taxii2/intel/';

function basic(name: string, password = `${name}-password-1`): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

function indicator(n: number, extra: Json = {}): Json {
  const uuid = `6b9f0c1e-3c2a-4d5e-9f10-${n.toString(16).padStart(12, '0')}`;
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--${uuid}`, created: '2026-01-02T03:04:05.000Z', modified: '2026-01-02T03:04:05.000Z',
    pattern: `[ipv4-addr:value = '198.51.100.${n % 250}']`, pattern_type: 'stix', valid_from: '2026-01-02T03:04:05Z', ...extra,
  };
}

/** The TAXII conformance suite, over the store `open` gives (SQLite and PostgreSQL run it). */
export function taxiiServerSuite(label: string, open: () => Store, skip?: string): void {
describe(`TAXII 2.1 server over a real socket (${label})`, { ...(skip ? { skip } : {}) }, () => {
  let store: Store;
  let base: string;
  let close: () => Promise<void>;
  let sector: IntelCollection;
  let writeOnly: IntelCollection;
  let hidden: IntelCollection;
  let anonymous: IntelCollection;
  let bankB: HubMember;
  let bankBToken: string;
  let adminToken: string;

  async function call(method: string, path: string, opts: { auth?: string; body?: unknown; type?: string; accept?: string } = {}): Promise<{ status: number; json: Json; headers: Headers }> {
    const headers: Record<string, string> = { accept: opts.accept ?? TAXII };
    if (opts.auth !== '') headers['authorization'] = opts.auth ?? basic('bank-a');
    if (opts.body !== undefined) headers['content-type'] = opts.type ?? TAXII;
    const res = await fetch(`${base}${path}`, { method, headers, ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  }

  const objects = (r: { json: Json }): Json[] => (r.json['objects'] as Json[] | undefined) ?? [];

  before(async () => {
    store = open();
    await migrate(store, ALL_MIGRATIONS);
    const ctx = systemContext();
    await addMember(store.db, ctx, 'bank-a', 'bank-a-password-1', ['north']);
    bankB = await addMember(store.db, ctx, 'bank-b', 'bank-b-password-1', ['north']);
    await addMember(store.db, ctx, 'bank-c', 'bank-c-password-1');
    bankBToken = (await createToken(store.db, ctx, 'member-connector', 'bank-b')).token;
    adminToken = (await createToken(store.db, ctx, 'admin', 'hub-staff')).token;
    sector = await createCollection(store.db, ctx, { title: 'Sector indicators', readers: ['*'], writers: ['*'] });
    writeOnly = await createCollection(store.db, ctx, { title: 'Reports to the hub', readers: [], writers: ['bank-a'] });
    hidden = await createCollection(store.db, ctx, { title: 'Staff only', readers: [], writers: [] });
    anonymous = await createCollection(store.db, ctx, { title: 'Anonymous sharing', readers: ['*'], writers: ['*'], anonymous: true });
    const { app, auth } = await createApp({ store, metrics: new IngestMetrics() });
    await registerTaxiiRoutes(app, { db: store.db, tenant: ctx.tenant, bearer: (h) => auth.contextOf(h), maxContentLength: 1024 * 1024 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
    close = async () => {
      await app.close();
      await store.close();
    };
  });

  after(async () => close());

  describe('discovery, API root, authentication and content negotiation', () => {
    it('serves discovery and the API root in the TAXII media type', async () => {
      const d = await call('GET', '/taxii2/');
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('content-type'), TAXII);
      assert.deepEqual(d.json['api_roots'], [`${base}${ROOT}`]);
      assert.equal(d.json['default'], `${base}${ROOT}`);
      const r = await call('GET', ROOT);
      assert.deepEqual(r.json['versions'], [TAXII]);
      assert.equal(r.json['max_content_length'], 1024 * 1024);
    });

    it('refuses missing and wrong credentials with 401, a challenge and a TAXII error', async () => {
      for (const auth of ['', basic('bank-a', 'not-the-password'), basic('nobody'), 'Bearer lf_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
        const r = await call('GET', `${ROOT}collections/`, { auth });
        assert.equal(r.status, 401, auth);
        assert.match(r.headers.get('www-authenticate') ?? '', /Basic/);
        assert.equal(r.headers.get('content-type'), TAXII);
        assert.equal(r.json['http_status'], '401');
        assert.equal(typeof r.json['title'], 'string');
        assert.equal(r.json['collections'], undefined);
      }
    });

    it('answers 406 to an Accept it cannot serve, and takes the usual Accepts', async () => {
      assert.equal((await call('GET', ROOT, { accept: 'application/xml' })).status, 406);
      assert.equal((await call('GET', ROOT, { accept: 'application/taxii+json;version=2.0' })).status, 406);
      assert.equal((await call('GET', ROOT, { accept: 'application/taxii+json' })).status, 200);
      assert.equal((await call('GET', ROOT, { accept: '*/*' })).status, 200);
    });

    it('answers unknown TAXII paths with a TAXII 404', async () => {
      const r = await call('GET', `${ROOT}nonsense/`);
      assert.equal(r.status, 404);
      assert.equal(r.json['http_status'], '404');
    });
  });

  describe('collections and rights', () => {
    it('lists only the collections a member may use, with its rights', async () => {
      const a = await call('GET', `${ROOT}collections/`);
      const byId = new Map((a.json['collections'] as Json[]).map((c) => [c['id'], c]));
      assert.equal(byId.has(hidden.id), false);
      assert.deepEqual([byId.get(sector.id)?.['can_read'], byId.get(sector.id)?.['can_write']], [true, true]);
      assert.deepEqual([byId.get(writeOnly.id)?.['can_read'], byId.get(writeOnly.id)?.['can_write']], [false, true]);
      assert.deepEqual(byId.get(sector.id)?.['media_types'], ['application/stix+json;version=2.1']);
      const c = await call('GET', `${ROOT}collections/`, { auth: basic('bank-c') });
      assert.deepEqual((c.json['collections'] as Json[]).map((x) => x['id']).sort(), [sector.id, anonymous.id].sort());
      const staff = await call('GET', `${ROOT}collections/`, { auth: `Bearer ${adminToken}` });
      assert.equal((staff.json['collections'] as Json[]).length, 4);
    });

    it('gives 404 for a collection the member may not use, 403 for reading a write-only one', async () => {
      assert.equal((await call('GET', `${ROOT}collections/${hidden.id}/`)).status, 404);
      assert.equal((await call('GET', `${ROOT}collections/${hidden.id}/objects/`)).status, 404);
      assert.equal((await call('GET', `${ROOT}collections/${writeOnly.id}/`, { auth: basic('bank-c') })).status, 404);
      const r = await call('GET', `${ROOT}collections/${writeOnly.id}/objects/`);
      assert.equal(r.status, 403);
      assert.equal(r.json['http_status'], '403');
      assert.equal((await call('GET', `${ROOT}collections/${writeOnly.id}/manifest/`)).status, 403);
      const post = await call('POST', `${ROOT}collections/${writeOnly.id}/objects/`, { auth: basic('bank-c'), body: { objects: [indicator(1)] } });
      assert.equal(post.status, 404);
      const staff = await call('GET', `${ROOT}collections/${hidden.id}/`, { auth: `Bearer ${adminToken}` });
      assert.equal(staff.status, 200);
    });
  });

  describe('objects', () => {
    let status: Json;

    before(async () => {
      const r = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: POISON_IVY.objects } });
      assert.equal(r.status, 202);
      status = r.json;
    });

    it('stores a large real bundle and says so in a status resource', async () => {
      assert.equal(status['status'], 'complete');
      assert.equal(status['total_count'], POISON_IVY.objects.length);
      assert.equal(status['success_count'], POISON_IVY.objects.length);
      assert.equal(status['failure_count'], 0);
      const again = await call('GET', `${ROOT}status/${String(status['id'])}/`);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, status);
      assert.equal((await call('GET', `${ROOT}status/${String(status['id'])}/`, { auth: basic('bank-c') })).status, 404, 'a status is its requester’s');
    });

    it('pages through every object with limit, next and more, in date_added order', async () => {
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const r = await call('GET', `${ROOT}collections/${sector.id}/objects/?match[type]=${[...new Set(POISON_IVY.objects.map((o) => o['type']))].join(',')}&limit=40${next ? `&next=${next}` : ''}`);
        assert.equal(r.status, 200);
        const objs = objects(r);
        assert.ok(objs.length <= 40);
        seen.push(...objs.map((o) => String(o['id'])));
        next = r.json['more'] === true ? String(r.json['next']) : undefined;
        if (r.json['more'] === true) assert.equal(objs.length, 40);
        pages++;
      } while (next);
      assert.equal(pages, Math.ceil(POISON_IVY.objects.length / 40));
      assert.deepEqual(seen, POISON_IVY.objects.map((o) => o['id']), 'all of them, once, in the order they were posted');
    });

    it('sets X-TAXII-Date-Added-First and -Last to the page’s first and last date_added', async () => {
      const m = await call('GET', `${ROOT}collections/${sector.id}/manifest/?limit=10`);
      const entries = objects(m);
      assert.equal(entries.length, 10);
      assert.equal(m.headers.get('x-taxii-date-added-first'), entries[0]!['date_added']);
      assert.equal(m.headers.get('x-taxii-date-added-last'), entries[9]!['date_added']);
      assert.equal(entries[0]!['media_type'], 'application/stix+json;version=2.1');
      assert.equal(entries[0]!['version'], POISON_IVY.objects[0]!['modified']);
      const o = await call('GET', `${ROOT}collections/${sector.id}/objects/?limit=10`);
      assert.equal(o.headers.get('x-taxii-date-added-first'), entries[0]!['date_added']);
      assert.equal(o.headers.get('x-taxii-date-added-last'), entries[9]!['date_added']);
    });

    it('filters by match[type], match[id] and added_after', async () => {
      const indicators = POISON_IVY.objects.filter((o) => o['type'] === 'indicator');
      const r = await call('GET', `${ROOT}collections/${sector.id}/objects/?match[type]=indicator`);
      assert.equal(objects(r).length, indicators.length);
      assert.ok(objects(r).every((o) => o['type'] === 'indicator'));
      const two = await call('GET', `${ROOT}collections/${sector.id}/objects/?match[type]=indicator,malware`);
      assert.equal(objects(two).length, POISON_IVY.objects.filter((o) => o['type'] === 'indicator' || o['type'] === 'malware').length);
      const ids = [String(indicators[0]!['id']), String(indicators[3]!['id'])];
      const byId = await call('GET', `${ROOT}collections/${sector.id}/objects/?match[id]=${ids.join(',')}`);
      assert.deepEqual(objects(byId).map((o) => o['id']).sort(), [...ids].sort());
      const m = objects(await call('GET', `${ROOT}collections/${sector.id}/manifest/`));
      const after = await call('GET', `${ROOT}collections/${sector.id}/manifest/?added_after=${String(m[99]!['date_added'])}`);
      assert.deepEqual(objects(after).map((e) => e['id']), m.slice(100).map((e) => e['id']));
      const none = await call('GET', `${ROOT}collections/${sector.id}/objects/?match[spec_version]=2.0`);
      assert.equal(none.status, 200);
      assert.deepEqual(none.json, {});
    });

    it('keeps versions by modified: last by default, first, all, a timestamp; the versions endpoint', async () => {
      const v1 = indicator(7);
      const v2 = { ...v1, modified: '2026-02-01T00:00:00.000Z', name: 'second version' };
      const v3 = { ...v1, modified: '2026-03-01T00:00:00.000000Z', name: 'third version' };
      const post = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [v1, v3, v2] } });
      assert.equal(post.json['success_count'], 3, JSON.stringify(post.json['failures']));
      const path = `${ROOT}collections/${sector.id}/objects/${String(v1['id'])}/`;
      assert.deepEqual(objects(await call('GET', path)).map((o) => o['name']), ['third version']);
      assert.deepEqual(objects(await call('GET', `${path}?match[version]=first`)).map((o) => o['modified']), [v1['modified']]);
      assert.equal(objects(await call('GET', `${path}?match[version]=all`)).length, 3);
      assert.deepEqual(objects(await call('GET', `${path}?match[version]=2026-02-01T00:00:00Z`)).map((o) => o['name']), ['second version'], 'a timestamp at another precision names the same version');
      assert.equal(objects(await call('GET', `${path}?match[version]=first,last`)).length, 2);
      const versions = await call('GET', `${path}versions/`);
      assert.deepEqual(versions.json['versions'], [v1['modified'], v3['modified'], v2['modified']]);
      assert.ok(versions.headers.get('x-taxii-date-added-first'));
      const again = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [v2] } });
      assert.equal(again.json['success_count'], 1);
      assert.match(String((again.json['successes'] as Json[])[0]!['message']), /already stored/);
      assert.equal(objects(await call('GET', `${path}?match[version]=all`)).length, 3, 'posting a stored version again adds nothing');
      const sco = { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd', value: '198.51.100.3' };
      await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [sco] } });
      const scoAgain = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [sco] } });
      assert.match(String((scoAgain.json['successes'] as Json[])[0]!['message']), /already stored/, 'an SCO (no modified) is one object, not one per post');
      assert.equal(objects(await call('GET', `${ROOT}collections/${sector.id}/objects/${sco.id}/?match[version]=all`)).length, 1);
      assert.equal((await call('GET', `${ROOT}collections/${sector.id}/objects/indicator--00000000-0000-4000-8000-000000000000/`)).status, 404);
      assert.equal((await call('GET', `${ROOT}collections/${sector.id}/objects/indicator--00000000-0000-4000-8000-000000000000/versions/`)).status, 404);
    });

    it('deletes an object only for its poster', async () => {
      const mine = indicator(8);
      await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [mine] } });
      const path = `${ROOT}collections/${sector.id}/objects/${String(mine['id'])}/`;
      assert.equal((await call('DELETE', path, { auth: basic('bank-b') })).status, 403);
      assert.equal((await call('DELETE', path)).status, 200);
      assert.equal((await call('GET', path)).status, 404);
    });
  });

  describe('bad input', () => {
    it('stores the valid objects of a bundle and names what is wrong with each invalid one', async () => {
      const good = indicator(20);
      const badTime = indicator(21, { valid_from: 'yesterday' });
      const badId = { ...indicator(22), id: 'indicator--123' };
      const nested = { type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [indicator(23)] };
      const r = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [good, badTime, badId, 'not an object', nested] } });
      assert.equal(r.status, 202);
      assert.equal(r.json['success_count'], 1);
      assert.equal(r.json['failure_count'], 4);
      assert.match(String((r.json['failures'] as Json[])[3]!['message']), /bundle cannot be stored/);
      const failures = r.json['failures'] as Json[];
      assert.equal(failures[0]!['id'], badTime['id']);
      assert.match(String(failures[0]!['message']), /objects\[1\].*valid_from/);
      assert.match(String(failures[1]!['message']), /objects\[2\].*\/id/);
      assert.match(String(failures[2]!['message']), /objects\[3\]/);
      assert.equal(objects(await call('GET', `${ROOT}collections/${sector.id}/objects/?match[id]=${String(badTime['id'])}`)).length, 0);
      assert.equal(objects(await call('GET', `${ROOT}collections/${sector.id}/objects/?match[id]=${String(good['id'])}`)).length, 1);
    });

    it('refuses a body that is not a TAXII envelope, a wrong media type and an oversized request', async () => {
      const p = `${ROOT}collections/${sector.id}/objects/`;
      const notJson = await call('POST', p, { body: '{"objects": [', type: TAXII });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.json['http_status'], '400');
      assert.equal((await call('POST', p, { body: { items: [] } })).status, 400);
      assert.equal((await call('POST', p, { body: [indicator(30)] })).status, 400);
      assert.equal((await call('POST', p, { body: { objects: [indicator(31)] }, type: 'application/json' })).status, 415);
      assert.equal((await call('POST', p, { body: { objects: [indicator(32)] }, type: 'text/plain' })).status, 415);
      const big = await call('POST', p, { body: { objects: [indicator(33, { description: 'x'.repeat(1024 * 1024) })] } });
      assert.equal(big.status, 413);
      assert.equal(big.json['http_status'], '413');
    });

    it('refuses bad filter values with a TAXII 400 naming the parameter', async () => {
      const p = `${ROOT}collections/${sector.id}/objects/`;
      for (const q of ['added_after=yesterday', 'limit=0', 'limit=ten', 'next=%2F%2F', 'next=czk5OTk5OTk5OTk5OTk5OTk5OQ', 'match[version]=latest', 'colour=red']) {
        const r = await call('GET', `${p}?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.json['http_status'], '400');
        assert.equal(typeof (r.json['details'] as Json | undefined)?.['parameter'], 'string', q);
      }
      assert.equal((await call('GET', `${ROOT}collections/${sector.id}/objects/${String(indicator(20)['id'])}/?match[type]=indicator`)).status, 400, 'match[type] is not a filter of one object');
    });
  });

  describe('TLP 2.0 and sharing groups, enforced in the query', () => {
    const red = indicator(40, { object_marking_refs: [TLP2_MARKING_ID.red], x_lianfang_recipients: ['bank-b'] });
    const redByIdentity = indicator(41, { object_marking_refs: [TLP2_MARKING_ID.red] });
    const redAlone = indicator(42, { object_marking_refs: ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'] });
    const north = indicator(43, { object_marking_refs: [TLP2_MARKING_ID.amber], x_lianfang_sharing_groups: ['north'] });
    const strict = indicator(44, { object_marking_refs: [TLP2_MARKING_ID['amber+strict']] });
    let redVersion2: Json;

    before(async () => {
      redByIdentity['x_lianfang_recipients'] = [bankB.identityId];
      // A GREEN first version and a RED second one: the RED one must not surface for others.
      const greenFirst = indicator(45, { object_marking_refs: [TLP2_MARKING_ID.green] });
      redVersion2 = { ...greenFirst, modified: '2026-05-01T00:00:00.000Z', object_marking_refs: [TLP2_MARKING_ID.red], x_lianfang_recipients: ['bank-b'], name: 'now red' };
      const r = await call('POST', `${ROOT}collections/${sector.id}/objects/`, { body: { objects: [red, redByIdentity, redAlone, north, strict, greenFirst, redVersion2] } });
      assert.equal(r.json['success_count'], 7, JSON.stringify(r.json['failures']));
    });

    const ids = (r: { json: Json }) => new Set(objects(r).map((o) => String(o['id'])));

    it('keeps TLP:RED with its named recipients and its poster', async () => {
      const p = `${ROOT}collections/${sector.id}/objects/?match[type]=indicator&limit=10000`;
      const c = ids(await call('GET', p, { auth: basic('bank-c') }));
      for (const o of [red, redByIdentity, redAlone]) assert.equal(c.has(String(o['id'])), false, `bank-c must not see ${String(o['id'])}`);
      const b = ids(await call('GET', p, { auth: `Bearer ${bankBToken}` }));
      assert.equal(b.has(String(red['id'])), true, 'named recipient');
      assert.equal(b.has(String(redByIdentity['id'])), true, 'named by identity id');
      assert.equal(b.has(String(redAlone['id'])), false, 'RED without recipients stays with its poster');
      const a = ids(await call('GET', p));
      assert.equal(a.has(String(redAlone['id'])), true, 'the poster sees its own');
    });

    it('leaks RED neither through the manifest, object by id, versions nor the last version', async () => {
      const auth = basic('bank-c');
      const manifest = await call('GET', `${ROOT}collections/${sector.id}/manifest/?limit=10000`, { auth });
      assert.equal(objects(manifest).some((e) => e['id'] === red['id']), false);
      assert.equal((await call('GET', `${ROOT}collections/${sector.id}/objects/${String(red['id'])}/`, { auth })).status, 404);
      assert.equal((await call('GET', `${ROOT}collections/${sector.id}/objects/${String(red['id'])}/versions/`, { auth })).status, 404);
      const path = `${ROOT}collections/${sector.id}/objects/${String(redVersion2['id'])}/`;
      const c = objects(await call('GET', path, { auth }));
      assert.deepEqual(c.map((o) => o['modified']), ['2026-01-02T03:04:05.000Z'], 'bank-c gets the GREEN version it may read as the last');
      assert.deepEqual((await call('GET', `${path}versions/`, { auth })).json['versions'], ['2026-01-02T03:04:05.000Z']);
      const b = objects(await call('GET', path, { auth: basic('bank-b') }));
      assert.deepEqual(b.map((o) => o['name']), ['now red']);
    });

    it('narrows an object to its sharing groups; AMBER+STRICT reaches each member', async () => {
      const p = `${ROOT}collections/${sector.id}/objects/?match[id]=${String(north['id'])},${String(strict['id'])}`;
      assert.deepEqual([...ids(await call('GET', p, { auth: basic('bank-c') }))], [String(strict['id'])]);
      assert.equal(ids(await call('GET', p, { auth: basic('bank-b') })).size, 2);
    });

    it('lets hub staff read everything', async () => {
      const s = ids(await call('GET', `${ROOT}collections/${sector.id}/objects/?match[type]=indicator&limit=10000`, { auth: `Bearer ${adminToken}` }));
      for (const o of [red, redByIdentity, redAlone, north, strict]) assert.equal(s.has(String(o['id'])), true);
    });

    it('strips created_by_ref from anonymous sharing for other members, keeping it for the poster and the hub', async () => {
      const o = indicator(50, { created_by_ref: 'identity--a1b2c3d4-0000-4000-8000-000000000001' });
      await call('POST', `${ROOT}collections/${anonymous.id}/objects/`, { body: { objects: [o] } });
      const path = `${ROOT}collections/${anonymous.id}/objects/${String(o['id'])}/`;
      assert.equal(objects(await call('GET', path, { auth: basic('bank-b') }))[0]!['created_by_ref'], undefined);
      assert.equal(objects(await call('GET', path))[0]!['created_by_ref'], o['created_by_ref']);
      assert.equal(objects(await call('GET', path, { auth: `Bearer ${adminToken}` }))[0]!['created_by_ref'], o['created_by_ref']);
    });
  });
});
}
