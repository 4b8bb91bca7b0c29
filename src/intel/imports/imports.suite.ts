import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { systemContext } from '../../core/index.js';
import { ALL_MIGRATIONS } from '../../server/index.js';
import { migrate, type Database, type Store } from '../../store/index.js';
import {
  addMember, addObjects, createCollection, mispEventToStix, queryObjects, readMispFeed, readStixBundle, TLP2_MARKING_ID,
  type IntelCollection, type IntelPrincipal, type StoredVersion,
} from '../index.js';

type Json = Record<string, unknown>;

const DATA = new URL('../../../../shared/data/', import.meta.url).pathname;
const TENANT = 'local';
const STAFF: IntelPrincipal = { staff: true, member: null, groups: [] };
const XORIST_REPORT = 'report--57c4445b-c548-4654-af0b-4be3950d210f';

/** Objects from one MISP event or STIX file, as `lianfang intel import` hands them to the store. */
interface Batch {
  readonly where: string;
  readonly objects: readonly Json[];
  readonly origin: string;
}

function batch(file: string, objects: readonly unknown[]): Batch {
  return { where: file, objects: objects as Json[], origin: pathToFileURL(file).href };
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'manifest.json').sort().map((f) => join(dir, f));
}

/** The MISP feed event by event, the MISP API export, and the STIX examples and TLP 2.0 bundles. */
function sources(): Batch[] {
  const out: Batch[] = [];
  for (const entry of readMispFeed(join(DATA, 'misp', 'feed'))) {
    assert.ok('event' in entry, entry.file);
    out.push(batch(entry.file, mispEventToStix(entry.event).objects));
  }
  for (const file of jsonFiles(join(DATA, 'misp', 'api-export'))) out.push(batch(file, mispEventToStix(JSON.parse(readFileSync(file, 'utf8'))).objects));
  for (const dir of ['cti-documentation-examples', 'tlp2']) {
    for (const file of jsonFiles(join(DATA, 'stix', dir))) {
      const r = readStixBundle(readFileSync(file, 'utf8'), file);
      assert.deepEqual(r.problems, [], file);
      out.push(batch(file, r.objects));
    }
  }
  return out;
}

/** A STIX timestamp at microsecond width, written here apart from the store's own. */
function microseconds(ts: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(ts);
  assert.ok(m, ts);
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** An object's version: its modified (else created) time; none for a cyber-observable. */
function versionOf(o: Json): string | undefined {
  const v = o['modified'] ?? o['created'];
  return typeof v === 'string' ? v : undefined;
}

function keyOf(o: Json): string {
  const v = versionOf(o);
  return `${String(o['id'])} ${v === undefined ? '' : microseconds(v)}`;
}

/** What the store should hold: the first copy of each version; a repeat is acknowledged, not stored. */
function expected(batches: readonly Batch[]): Map<string, { object: Json; origin: string }> {
  const out = new Map<string, { object: Json; origin: string }>();
  for (const b of batches) for (const o of b.objects) if (!out.has(keyOf(o))) out.set(keyOf(o), { object: o, origin: b.origin });
  return out;
}

/** Every version the principal may see, page by page in date_added order. */
async function everything(db: Kysely<Database>, collection: IntelCollection, who: IntelPrincipal, versions: readonly string[] = ['all']): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  let next: string | undefined;
  do {
    const page = await queryObjects(db, TENANT, who, collection.id, { versions, limit: 250, ...(next !== undefined ? { next } : {}) });
    out.push(...page.versions);
    next = page.next;
  } while (next !== undefined);
  return out;
}

function mispEvent(uuid: string, tag: string, attributes: readonly Json[]): Json {
  return {
    Event: {
      uuid, info: `made up, ${tag}`, date: '2024-05-01', timestamp: '1714560000', Tag: [{ name: tag }],
      Orgc: { name: 'Bank A', uuid: '0d7f5c2a-9b8e-4c1d-a2f3-4e5d6c7b8a90' }, Attribute: attributes,
    },
  };
}

function attribute(uuid: string, type: string, value: string, toIds = true): Json {
  return { uuid, type, value, to_ids: toIds, category: 'Payload delivery', timestamp: '1714560000' };
}

/** The store side of `lianfang intel import`, over the store `open` gives (SQLite and PostgreSQL run it). */
export function importsSuite(label: string, open: () => Store, skip?: string): void {
describe(`MISP events and STIX bundles into the store (${label})`, { ...(skip ? { skip } : {}) }, () => {
  let store: Store;
  let imported: IntelCollection;
  let batches: Batch[];

  before(async () => {
    store = open();
    await migrate(store, ALL_MIGRATIONS);
    for (const m of ['bank-b', 'bank-c']) await addMember(store.db, systemContext(), m, `${m}-password-1`);
    imported = await createCollection(store.db, systemContext(), { title: 'Imported', alias: 'misp' });
    batches = sources();
  });

  after(async () => store.close());

  it('stores every object of the MISP feed, the API export and the STIX examples once, as it was sent', async () => {
    let added = 0;
    for (const b of batches) {
      const r = await addObjects(store.db, TENANT, imported, b.objects, { postedBy: '', origin: b.origin });
      assert.deepEqual(r.failures, [], b.where);
      assert.equal(r.successes.length, b.objects.length, b.where);
      added += r.added.length;
    }
    const want = expected(batches);
    assert.ok(want.size > 1000, `${want.size} distinct versions`);
    assert.equal(added, want.size);
    const rows = await everything(store.db, imported, STAFF);
    assert.equal(rows.length, want.size);
    for (const row of rows) {
      const w = want.get(keyOf(row.object));
      assert.ok(w, `${row.id} was not sent`);
      assert.deepEqual(row.object, w.object, row.id);
      assert.equal(row.type, w.object['type'], row.id);
      assert.equal(row.origin, w.origin, row.id);
      assert.equal(row.version, versionOf(w.object) ?? row.dateAdded, `${row.id}: the version as the object writes it`);
      assert.equal(row.specVersion, '2.1', row.id);
    }
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i]!.seq > rows[i - 1]!.seq, 'pages follow on in the order stored');
      assert.ok(rows[i]!.dateAdded > rows[i - 1]!.dateAdded, 'date_added rises with it');
    }
    const report = rows.find((r) => r.id === XORIST_REPORT);
    assert.ok(report);
    assert.equal(report.tlp, 'clear', 'MISP tlp:white is TLP:CLEAR');
    assert.match(report.origin, /^file:\/\/.*\/misp\/feed\/57c4445b-c548-4654-af0b-4be3950d210f\.json$/);
    const latest = await everything(store.db, imported, STAFF, ['last']);
    assert.equal(latest.length, new Set(rows.map((r) => r.id)).size, 'the latest version: one per object');
  });

  it('finds every version already there on a second import, cyber-observables included', async () => {
    const before = (await everything(store.db, imported, STAFF)).length;
    for (const b of batches) {
      const r = await addObjects(store.db, TENANT, imported, b.objects, { postedBy: '', origin: b.origin });
      assert.deepEqual(r.failures, [], b.where);
      assert.deepEqual(r.added, [], b.where);
      assert.ok(r.successes.every((s) => s.message !== undefined), b.where);
    }
    assert.equal((await everything(store.db, imported, STAFF)).length, before);
    const ids = [...new Set(batches.flatMap((b) => b.objects.filter((o) => versionOf(o) === undefined).map((o) => String(o['id']))))];
    assert.ok(ids.length > 10, 'the data has cyber-observables');
    const found = await queryObjects(store.db, TENANT, STAFF, imported.id, { ids, versions: ['all'], limit: ids.length + 1 });
    assert.deepEqual(found.versions.map((v) => v.id).sort(), [...ids].sort(), 'each cyber-observable once');
  });

  it('orders the versions of a bundle by time, whatever width they are written at, and keeps each as written', async () => {
    const id = 'indicator--3f2d6b8e-4c1a-4e5f-9a7b-1c2d3e4f5a6b';
    const at = ['2026-01-02T03:04:05.000001Z', '2026-01-02T03:04:05.500Z', `2026-01-02T03:04:05.${'1'.repeat(43)}Z`, '2026-01-02T03:04:05.000Z'];
    const objects = at.map((modified, i) => ({
      type: 'indicator', spec_version: '2.1', id, created: '2026-01-02T03:04:05.000Z', modified, name: `v${i}`,
      pattern: `[ipv4-addr:value = '192.0.2.${i}']`, pattern_type: 'stix', valid_from: '2026-01-02T03:04:05Z',
    }));
    assert.equal(at[2]!.length, 64, 'as long as a STIX timestamp may be');
    const read = readStixBundle(`\ufeff${JSON.stringify({ type: 'bundle', id: 'bundle--3f2d6b8e-4c1a-4e5f-9a7b-1c2d3e4f5a6c', objects })}`, 'versions.json');
    assert.deepEqual(read.problems, []);
    const r = await addObjects(store.db, TENANT, imported, read.objects, { postedBy: '' });
    assert.deepEqual(r.failures, []);
    assert.equal(r.added.length, 4);
    const versions = async (which: string): Promise<string[]> => (await queryObjects(store.db, TENANT, STAFF, imported.id, { ids: [id], versions: [which], limit: 10 })).versions.map((v) => v.version);
    assert.deepEqual((await versions('all')).sort(), [...at].sort());
    assert.deepEqual(await versions('first'), ['2026-01-02T03:04:05.000Z']);
    assert.deepEqual(await versions('last'), ['2026-01-02T03:04:05.500Z']);
    assert.deepEqual(await versions(at[2]!), [at[2]!]);
    assert.deepEqual(await versions('2026-01-02T03:04:05.000001Z'), ['2026-01-02T03:04:05.000001Z']);
    const again = await addObjects(store.db, TENANT, imported, [objects[2]!], { postedBy: '' });
    assert.deepEqual(again.successes, [{ id, version: at[2], message: 'already stored; not added again' }]);
  });

  it('keeps hostile text as it was sent: quotes, backslashes, newlines, NUL, separators, astral and lone surrogates', async () => {
    const hostile = "it's a \\\\server\\share \"x\"\r\nname\u0000\u2028\u2029.exe \u{1F409} \ud800 \u00e9\u0301";
    const event = mispEvent('6a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e60', 'tlp:clear', [
      attribute('1a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', 'filename', hostile),
      attribute('2a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', 'filename', hostile, false),
      attribute('3a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', 'email-subject', `${hostile}\u0000`),
    ]);
    const converted = mispEventToStix(event);
    assert.deepEqual(converted.problems, []);
    const r = await addObjects(store.db, TENANT, imported, converted.objects, { postedBy: '' });
    assert.deepEqual(r.failures, []);
    assert.equal(r.added.length, converted.objects.length);
    const ids = converted.objects.map((o) => String(o['id']));
    const stored = await queryObjects(store.db, TENANT, STAFF, imported.id, { ids, versions: ['all'], limit: ids.length + 1 });
    const byId = new Map(stored.versions.map((v) => [v.id, v.object]));
    for (const o of converted.objects) assert.deepEqual(byId.get(String(o['id'])), o, String(o['id']));
    assert.ok(stored.versions.some((v) => JSON.stringify(v.object).includes('\\u0000')), 'a NUL made it through');
    assert.ok(stored.versions.some((v) => v.type === 'file' && v.object['name'] === hostile), 'the observed file name, to the character');
  });

  it('keeps a TLP:RED event from every member but its poster, and shows TLP:CLEAR to every reader', async () => {
    const shared = await createCollection(store.db, systemContext(), { title: 'Shared', readers: ['*'], writers: ['*'] });
    const clear = batches.find((b) => b.where.endsWith('57c4445b-c548-4654-af0b-4be3950d210f.json'))!;
    assert.deepEqual((await addObjects(store.db, TENANT, shared, clear.objects, { postedBy: '', origin: clear.origin })).failures, []);
    const red = mispEventToStix(mispEvent('6a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e61', 'tlp:red', [
      attribute('4a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', 'domain', 'red.example'),
      attribute('5a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', 'ip-dst', '198.51.100.99', false),
    ]));
    assert.deepEqual(red.problems, []);
    const posted = await addObjects(store.db, TENANT, shared, red.objects, { postedBy: 'bank-b' });
    assert.deepEqual(posted.failures, []);
    // The converter marks the event's report, indicators and observables; the author's identity is unmarked.
    const isRed = (o: Json): boolean => Array.isArray(o['object_marking_refs']) && o['object_marking_refs'].includes(TLP2_MARKING_ID.red);
    const redIds = new Set(red.objects.filter(isRed).map((o) => String(o['id'])));
    const unmarked = red.objects.filter((o) => !isRed(o)).map((o) => String(o['id']));
    assert.ok(redIds.size >= 4, `${redIds.size} objects marked red`);
    const clearIds = new Set(clear.objects.map((o) => String(o['id'])));
    const seenBy = async (member: string): Promise<Set<string>> => new Set((await everything(store.db, shared, { staff: false, member, groups: [] })).map((v) => v.id));
    assert.deepEqual(await seenBy('bank-c'), new Set([...clearIds, ...unmarked]), 'another member reads the clear event and nothing red');
    assert.deepEqual(await seenBy('bank-b'), new Set([...clearIds, ...unmarked, ...redIds]), 'the poster reads its own red event');
    const staff = await everything(store.db, shared, STAFF);
    assert.deepEqual(staff.filter((v) => v.tlp === 'red').map((v) => v.id).sort(), [...redIds].sort());
    assert.ok(staff.filter((v) => redIds.has(v.id)).every((v) => v.addedBy === 'bank-b'));
    assert.equal(staff.length, clearIds.size + red.objects.length);
  });

  it('refuses what is not STIX 2.1 object by object, names it, and stores the rest', async () => {
    const old = { type: 'indicator', id: 'indicator--5d0092c5-5f74-4287-9642-33f4c354e56d', created: '2017-01-01T00:00:00.000Z', modified: '2017-01-01T00:00:00.000Z', labels: ['malicious-activity'], pattern: "[ipv4-addr:value = '192.0.2.1']", valid_from: '2017-01-01T00:00:00Z' };
    const read = readStixBundle(JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56e', spec_version: '2.0', objects: [old] }), 'old.json');
    assert.match(read.problems[0]!.reason, /STIX 2\.0 bundle/);
    const fine = { ...old, id: 'indicator--5d0092c5-5f74-4287-9642-33f4c354e56f', spec_version: '2.1', pattern_type: 'stix' };
    const nested = { type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e570', objects: [] };
    const r = await addObjects(store.db, TENANT, imported, [...read.objects, fine, nested], { postedBy: '' });
    assert.deepEqual(r.failures.map((f) => f.id), [old.id, nested.id]);
    assert.match(r.failures[0]!.message!, /^objects\[0\] is not valid STIX 2\.1: .*spec_version/);
    assert.match(r.failures[1]!.message!, /a bundle cannot be stored as an object/);
    assert.deepEqual(r.added.map((a) => a.id), [fine.id]);
    const stored = await queryObjects(store.db, TENANT, STAFF, imported.id, { ids: [old.id, fine.id, nested.id], versions: ['all'], limit: 10 });
    assert.deepEqual(stored.versions.map((v) => v.id), [fine.id]);
  });
});
}
