import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { systemContext, type RequestContext, type Role } from '../../core/index.js';
import { ALL_MIGRATIONS } from '../../server/index.js';
import { migrate, type Store } from '../../store/index.js';
import {
  addMember, addObjects, agedIndicators, correlate, createCollection, creditLedger, decayScore, isKnownBenign, listSectorAlerts, recordIntel,
  registerIntelRoutes, setSectorAlertStatus, valuesOfPattern, type IntelCollection,
} from '../index.js';

type Json = Record<string, unknown>;
let n = 0;
const uuid = () => `0a1b2c3d-4e5f-4a6b-8c7d-${(++n).toString(16).padStart(12, '0')}`;

function indicator(pattern: string, extra: Json = {}): Json {
  return { type: 'indicator', spec_version: '2.1', id: `indicator--${uuid()}`, created: '2026-11-01T00:00:00.000Z', modified: '2026-11-01T00:00:00.000Z', pattern, pattern_type: 'stix', valid_from: '2026-11-01T00:00:00Z', ...extra };
}

function sighting(of: string, at: string, count = 1, extra: Json = {}): Json {
  return { type: 'sighting', spec_version: '2.1', id: `sighting--${uuid()}`, created: at, modified: at, sighting_of_ref: of, count, first_seen: at, last_seen: at, ...extra };
}

/** The ledger suite over the store `open` gives (SQLite and PostgreSQL run it). */
export function ledgerSuite(label: string, open: () => Store, skip?: string): void {
describe(`the hub ledger: correlation, sector alerts, ageing, credit (${label})`, { ...(skip ? { skip } : {}) }, () => {
  let store: Store;
  let col: IntelCollection;
  const tenant = 'local';
  const now = new Date('2026-11-21T12:00:00.000Z');

  async function post(member: string, objects: Json[], at = now) {
    const r = await addObjects(store.db, tenant, col, objects, { postedBy: member, clock: { now: () => at } });
    assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
    return recordIntel(store.db, tenant, member, r.added, { now: at });
  }

  before(async () => {
    store = open();
    await migrate(store, ALL_MIGRATIONS);
    const ctx = systemContext();
    for (const m of ['bank-a', 'bank-b', 'bank-c', 'bank-d']) await addMember(store.db, ctx, m, `${m}-password-1`);
    col = await createCollection(store.db, ctx, { title: 'Sector', readers: ['*'], writers: ['*'] });
  });

  after(async () => store.close());

  it('reads the exact values of a pattern, folding what is case-blind', () => {
    assert.deepEqual(valuesOfPattern("[ipv4-addr:value = '203.0.113.9'] OR [domain-name:value = 'Bad.Example.NET']").sort(), ['domain-name:value=bad.example.net', 'ipv4-addr:value=203.0.113.9']);
    assert.deepEqual(valuesOfPattern("[file:hashes.'SHA-256' IN ('AA', 'bb')]").sort(), ["file:hashes.'SHA-256'=aa", "file:hashes.'SHA-256'=bb"]);
    assert.deepEqual(valuesOfPattern("[url:value LIKE 'http://x/%']"), [], 'a LIKE names no exact value');
    assert.deepEqual(valuesOfPattern('[broken'), []);
  });

  it('knows the warning list', () => {
    for (const v of ['ipv4-addr:value=8.8.8.8', 'ipv4-addr:value=10.1.2.3', 'ipv4-addr:value=192.168.0.0/16', 'domain-name:value=update.microsoft.com', 'url:value=https://www.google.com/x', "file:hashes.'MD5'=d41d8cd98f00b204e9800998ecf8427e"]) assert.equal(isKnownBenign(v), true, v);
    for (const v of ['ipv4-addr:value=203.0.113.9', 'domain-name:value=microsoft.com.evil.example', 'domain-name:value=notgoogle.com']) assert.equal(isKnownBenign(v), false, v);
  });

  it('raises a sector alert when enough members sight one indicator in the window, and widens it', async () => {
    const c2 = indicator("[ipv4-addr:value = '198.51.100.23']", { name: 'Loader C2' });
    await post('bank-a', [c2]);
    const id = String(c2['id']);
    assert.deepEqual(await post('bank-b', [sighting(id, '2026-11-21T10:00:00.000Z', 3)]), [], 'one member is not a sector event');
    const old = await post('bank-c', [sighting(id, '2026-11-10T10:00:00.000Z')]);
    assert.deepEqual(old, [], 'a sighting outside the 24 h window does not count');
    const raised = await post('bank-c', [sighting(id, '2026-11-21T11:00:00.000Z', 2)]);
    assert.equal(raised.length, 1);
    assert.deepEqual(raised[0]!.members, ['bank-b', 'bank-c']);
    assert.equal(raised[0]!.indicatorName, 'Loader C2');
    const wider = await post('bank-d', [sighting(id, '2026-11-21T11:30:00.000Z')]);
    assert.equal(wider.length, 1);
    assert.equal(wider[0]!.id, raised[0]!.id, 'the same alert, widened');
    assert.deepEqual(wider[0]!.members, ['bank-b', 'bank-c', 'bank-d']);
    assert.equal((await listSectorAlerts(store.db, tenant)).items.filter((a) => a.indicatorId === id).length, 1);
    const closed = await setSectorAlertStatus(store.db, tenant, raised[0]!.id, 'closed');
    assert.equal(closed.status, 'closed');
    const again = await post('bank-a', [sighting(id, '2026-11-21T11:45:00.000Z')]);
    assert.equal(again.length, 1);
    assert.notEqual(again[0]!.id, raised[0]!.id, 'a closed alert is not widened: new sightings open a new one');
    // Paging and the status filter: each page a different slice of the same ordered list.
    const all = await listSectorAlerts(store.db, tenant);
    assert.equal(all.total, all.items.length);
    assert.ok(all.total >= 2);
    const pages = [await listSectorAlerts(store.db, tenant, { limit: 1 }), await listSectorAlerts(store.db, tenant, { limit: 1, offset: 1 })];
    assert.deepEqual(pages.map((p) => p.items.map((a) => a.id)).flat(), all.items.slice(0, 2).map((a) => a.id));
    assert.equal(pages[1]!.total, all.total);
    const closedOnly = await listSectorAlerts(store.db, tenant, { status: 'closed' });
    assert.ok(closedOnly.items.some((a) => a.id === raised[0]!.id));
    assert.ok(closedOnly.items.every((a) => a.status === 'closed'));
    assert.equal(closedOnly.total + (await listSectorAlerts(store.db, tenant, { status: 'open' })).total, all.total);
    await assert.rejects(setSectorAlertStatus(store.db, tenant, 'no-such-alert', 'closed'), /no sector alert/);
  });

  it('compares sighting times as instants, whatever fraction of a second they are written with', async () => {
    const c2 = indicator("[domain-name:value = 'edge.example.net']");
    await post('bank-a', [c2]);
    const id = String(c2['id']);
    const seenAt = (t: string): Json => sighting(id, '2026-11-21T12:00:00.000Z', 1, { first_seen: t, last_seen: t });
    // Now is half a second past noon, so the 24 h window opens at 2026-11-20T12:00:00.500Z.
    // A sighting written '2026-11-20T12:00:00Z' is half a second before it; compared as text
    // it sorted after ('Z' > '.') and counted.
    const later = new Date('2026-11-21T12:00:00.500Z');
    assert.deepEqual(await post('bank-b', [seenAt('2026-11-20T12:00:00Z')], later), []);
    assert.deepEqual(await post('bank-c', [seenAt('2026-11-21T11:00:00Z')], later), [], "bank-b's sighting is outside the window");
    const raised = await post('bank-d', [seenAt('2026-11-21T11:30:00.123456Z')], later);
    assert.equal(raised.length, 1);
    assert.deepEqual(raised[0]!.members, ['bank-c', 'bank-d']);
    assert.equal(raised[0]!.firstSeen, '2026-11-21T11:00:00.000Z');
    assert.equal(raised[0]!.lastSeen, '2026-11-21T11:30:00.123Z');
  });

  it('correlates a value across members, indicators and reports, and caps common values', async () => {
    const a = indicator("[domain-name:value = 'pay-update.example-bank.com']");
    const b = indicator("[domain-name:value = 'PAY-UPDATE.example-bank.com'] OR [ipv4-addr:value = '192.0.2.200']");
    await post('bank-a', [a]);
    await post('bank-b', [b, { type: 'report', spec_version: '2.1', id: `report--${uuid()}`, created: '2026-11-20T00:00:00.000Z', modified: '2026-11-20T00:00:00.000Z', name: 'Phishing wave', published: '2026-11-20T00:00:00Z', object_refs: [b['id']] }]);
    await post('bank-c', [sighting(String(a['id']), '2026-11-21T09:00:00.000Z')]);
    const c = await correlate(store.db, tenant, 'domain-name:value=pay-update.example-bank.com');
    assert.equal(c.capped, false);
    assert.deepEqual(c.objects.map((o) => o.id).sort(), [String(a['id']), String(b['id'])].sort());
    assert.deepEqual(c.members, ['bank-a', 'bank-b', 'bank-c']);
    assert.equal(c.reports.length, 1);
    assert.equal(c.reports[0]!.name, 'Phishing wave', 'a report is named, not just an id');
    assert.equal(c.reports[0]!.type, 'report');
    const linkedB = c.objects.find((o) => o.id === b['id'])!;
    assert.equal(linkedB.type, 'indicator');
    assert.equal(linkedB.pattern, b['pattern']);
    assert.deepEqual(c.objects.find((o) => o.id === a['id'])?.sightedBy, ['bank-c']);
    // A new version of the indicator: the correlation shows the latest.
    await post('bank-a', [{ ...a, name: 'Phishing domain (v2)', modified: '2026-11-21T13:00:00.000Z' }]);
    const again = await correlate(store.db, tenant, 'domain-name:value=pay-update.example-bank.com');
    assert.equal(again.objects.find((o) => o.id === a['id'])?.name, 'Phishing domain (v2)');
    const capped = await correlate(store.db, tenant, 'domain-name:value=pay-update.example-bank.com', 1);
    assert.equal(capped.capped, true);
    assert.equal(capped.objects.length, 0);
  });

  it('ages indicators: a half-life per kind, reset by sightings, zero when revoked or expired', () => {
    const o = indicator("[ipv4-addr:value = '203.0.113.50']", { confidence: 80, modified: '2026-11-07T12:00:00.000Z' });
    assert.equal(decayScore(o, null, 0, now).score, 40, '14 days on an address halves it');
    assert.equal(decayScore(o, '2026-11-21T12:00:00.000Z', 0, now).score, 80, 'a sighting today resets it');
    assert.equal(decayScore(o, '2026-11-21T12:00:00.000Z', 1, now).score, 40, 'a false-positive report halves it');
    assert.equal(decayScore({ ...o, pattern: "[file:hashes.MD5 = 'aabbccddeeff00112233445566778899']" }, null, 0, now).score > 75, true, 'a hash ages slowly');
    assert.equal(decayScore({ ...o, revoked: true }, null, 0, now).score, 0);
    assert.equal(decayScore({ ...o, valid_until: '2026-11-20T00:00:00Z' }, null, 0, now).score, 0);
  });

  it('credits corroboration, first reports, context; debits false positives; pays nothing for known-benign values', async () => {
    const first = indicator("[ipv4-addr:value = '198.51.100.77']", { kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'command-and-control' }], confidence: 90 });
    await post('bank-d', [first]);
    const late = indicator("[ipv4-addr:value = '198.51.100.77']");
    await post('bank-c', [late], new Date('2026-11-21T12:05:00.000Z'));
    const benign = indicator("[ipv4-addr:value = '8.8.8.8']");
    await post('bank-d', [benign]);
    await post('bank-a', [sighting(String(first['id']), '2026-11-21T11:00:00.000Z'), sighting(String(benign['id']), '2026-11-21T11:00:00.000Z')]);
    await post('bank-b', [sighting(String(first['id']), '2026-11-21T11:10:00.000Z'), sighting(String(benign['id']), '2026-11-21T11:00:00.000Z')]);
    await post('bank-c', [{ type: 'opinion', spec_version: '2.1', id: `opinion--${uuid()}`, created: '2026-11-21T11:20:00.000Z', modified: '2026-11-21T11:20:00.000Z', opinion: 'strongly-disagree', object_refs: [first['id']], explanation: 'our CDN' }]);
    const ledger = await creditLedger(store.db, tenant);
    const d = ledger.find((s) => s.member === 'bank-d')!;
    assert.equal(d.corroborations, 2, 'bank-a and bank-b sighted it');
    assert.equal(d.falsePositives, 1);
    assert.equal(d.withAttackContext, 1);
    assert.equal(d.confident, 1);
    assert.equal(d.knownBenign, 1);
    const c = ledger.find((s) => s.member === 'bank-c')!;
    assert.equal(c.firstReports, 0, 'bank-d shared 198.51.100.77 first');
    assert.ok(d.firstReports >= 1);
    const a = ledger.find((s) => s.member === 'bank-a')!;
    assert.ok(a.sightingsSent >= 1);
    assert.deepEqual(ledger.map((s) => s.points), [...ledger.map((s) => s.points)].sort((x, y) => y - x), 'ordered by points');
    assert.equal(ledger[0]!.rank, 1);
    const aged = await agedIndicators(store.db, tenant, now);
    const agedFirst = aged.find((i) => i.id === first['id'])!;
    assert.equal(agedFirst.sightedBy, 2);
    assert.equal(agedFirst.falsePositives, 1);
  });

  it('shows hub staff every standing and a member only its own', async () => {
    const app = Fastify();
    app.setErrorHandler((err: Error & { category?: string }, _req, reply) => reply.status(err.category === 'not_allowed' ? 403 : 400).send({ error: err.message }));
    const contextOf = (req: { headers: Record<string, unknown> }): RequestContext => ({
      actor: { id: String(req.headers['x-actor']), kind: 'token', roles: [String(req.headers['x-role']) as Role] }, tenant,
    });
    registerIntelRoutes(app, { store, contextOf, hub: true });
    const get = async (actor: string, role: string) => app.inject({ method: 'GET', url: '/api/v1/intel/credit', headers: { 'x-actor': actor, 'x-role': role } });
    const staff = (await get('token:isac', 'admin')).json() as { items: Json[]; members: number };
    assert.equal(staff.items.length, 4);
    const mine = (await get('token:bank-b', 'member-connector')).json() as { items: Json[]; members: number };
    assert.deepEqual(mine.items.map((i) => i['member']), ['bank-b']);
    assert.equal(mine.members, 4);
    assert.equal((await get('token:stranger', 'member-connector')).statusCode, 403);
    const alerts = await app.inject({ method: 'GET', url: '/api/v1/intel/sector-alerts', headers: { 'x-actor': 'token:bank-b', 'x-role': 'member-connector' } });
    assert.equal(alerts.statusCode, 403, 'sector views are the hub’s');
    await app.close();
  });
});
}
