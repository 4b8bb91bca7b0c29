import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { InputError, NotAllowedError, NotFoundError, type Clock } from '../../core/index.js';
import { inTransaction, type Database } from '../../store/index.js';
import type { IntelCollection } from '../hub/collections.js';
import { intelDb, membersByIdentity, type IntelPrincipal } from '../hub/members.js';
import type { IntelTables, StixObjectTable } from '../schema.js';
import { ANONYMOUS_PROPERTY, audienceOf, tlpOf } from './tlp.js';
import { nextDateAdded, timestampKey } from './time.js';
import { checkStixObject } from './validate.js';

/** One line of a TAXII status resource. */
export interface StatusDetail {
  readonly id: string;
  readonly version?: string;
  readonly message?: string;
}

export interface AddOutcome {
  readonly successes: StatusDetail[];
  readonly failures: StatusDetail[];
  /** The versions this call stored (not those already there), for correlation and credit. */
  readonly added: AddedVersion[];
}

export interface AddedVersion {
  readonly id: string;
  readonly type: string;
  readonly dateAdded: string;
  readonly object: StixJson;
}

export interface AddOptions {
  /** The member posting ('' for hub staff or a local import): attribution and credit. */
  readonly postedBy: string;
  /** 'local', or the URL of the TAXII collection these were pulled from. */
  readonly origin?: string;
  readonly clock?: Clock;
}

export type StixJson = Record<string, unknown>;

/** A version as stored, with the TAXII bookkeeping around it. */
export interface StoredVersion {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly version: string;
  readonly dateAdded: string;
  readonly specVersion: string;
  readonly tlp: string;
  readonly addedBy: string;
  readonly origin: string;
  readonly object: StixJson;
}

export interface ObjectQuery {
  readonly addedAfter?: string;
  readonly ids?: readonly string[];
  readonly types?: readonly string[];
  /** 'first', 'last', 'all' or timestamps; default ['last']. */
  readonly versions?: readonly string[];
  readonly specVersions?: readonly string[];
  readonly limit: number;
  /** A cursor from an earlier page of the same query. */
  readonly next?: string;
}

export interface ObjectPage {
  readonly versions: StoredVersion[];
  readonly more: boolean;
  readonly next?: string;
}

type Db = Kysely<Database & IntelTables>;
type Eb = ExpressionBuilder<Database & IntelTables & { o: IntelTables['stix_objects'] }, 'o'>;

const INSERT_CHUNK = 200;

/**
 * Stores a batch of STIX objects in a collection: each is validated on its own (an invalid
 * object is a failure naming the property; the rest still load), versioned by `modified`
 * (a version already stored is a success, not a second copy), and given the audience its
 * TLP and sharing properties allow. One transaction per call (the caller's, when `db` is
 * one): a crash stores all or none.
 */
export async function addObjects(db: Kysely<Database>, tenant: string, collection: IntelCollection, objects: readonly unknown[], opts: AddOptions): Promise<AddOutcome> {
  const successes: StatusDetail[] = [];
  const failures: StatusDetail[] = [];
  const added: AddedVersion[] = [];
  const now = (opts.clock?.now() ?? new Date());
  const byIdentity = await membersByIdentity(db, tenant);
  interface Pending { id: string; type: string; specVersion: string; versionText: string; version: string; obj: StixJson }
  const pending: Pending[] = [];
  const seen = new Set<string>();
  objects.forEach((obj, i) => {
    // A bundle is a wrapper, not an object to store: its objects belong in the envelope.
    const problems = isBundle(obj) ? [{ path: '/type', message: "a bundle cannot be stored as an object; post its 'objects' instead" }] : checkStixObject(obj);
    const o = (typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? obj : {}) as StixJson;
    const id = typeof o['id'] === 'string' ? o['id'] : `objects[${i}]`;
    if (problems.length > 0) {
      const where = problems.slice(0, 5).map((p) => `${p.path || '(object)'}: ${p.message}`).join('; ');
      failures.push({ id, message: `objects[${i}] is not valid STIX 2.1: ${where}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}` });
      return;
    }
    const versionText = String(o['modified'] ?? o['created'] ?? '');
    const version = versionText ? timestampKey(versionText) : undefined;
    const key = `${id}\u0000${version ?? ''}`;
    if (seen.has(key)) {
      successes.push({ id, ...(versionText ? { version: versionText } : {}), message: 'the same version appears earlier in this request' });
      return;
    }
    seen.add(key);
    pending.push({ id, type: String(o['type']), specVersion: typeof o['spec_version'] === 'string' ? o['spec_version'] : '2.1', versionText, version: version ?? '', obj: o });
  });

  await inTransaction(db, async (t) => {
    const tx = intelDb(t);
    // Versions already stored are acknowledged, not added again (TAXII: idempotent POST).
    const existing = new Set<string>();
    const ids = [...new Set(pending.map((p) => p.id))];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await tx.selectFrom('stix_objects').select(['id', 'version']).where('collection_id', '=', collection.id).where('id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) {
        existing.add(`${r.id}\u0000${r.version}`);
        // An SCO has no version of its own: its id (derived from its content) is the version.
        existing.add(`${r.id}\u0000`);
      }
    }
    const fresh: Pending[] = [];
    for (const p of pending) {
      if (existing.has(`${p.id}\u0000${p.version}`)) successes.push({ id: p.id, ...(p.versionText ? { version: p.versionText } : {}), message: 'already stored; not added again' });
      else fresh.push(p);
    }
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const chunk = fresh.slice(i, i + INSERT_CHUNK);
      const audiences = chunk.map((p) => audienceOf(p.obj, opts.postedBy, (identity) => byIdentity.get(identity)));
      const rows = chunk.map((p, j) => {
        const dateAdded = nextDateAdded(now);
        // An SCO without created/modified takes its date_added as its version.
        const version = p.version || dateAdded;
        const versionText = p.versionText || dateAdded;
        return {
          tenant, collection_id: collection.id, id: p.id, type: p.type, spec_version: p.specVersion, version, version_text: versionText, date_added: dateAdded,
          tlp: tlpOf(p.obj), open: audiences[j]!.open ? 1 : 0, added_by: opts.postedBy,
          anonymous: collection.anonymous || p.obj[ANONYMOUS_PROPERTY] === true ? 1 : 0, origin: opts.origin ?? 'local', json: JSON.stringify(p.obj),
        };
      });
      const inserted = await tx.insertInto('stix_objects').values(rows).returning(['seq', 'id', 'version_text']).execute();
      const audienceRows: { seq: number; principal: string }[] = [];
      // RETURNING order is not promised: pair rows back by id and version.
      const index = new Map(rows.map((row, j) => [`${row.id}\u0000${row.version_text}`, j]));
      inserted.forEach((r) => {
        const j = index.get(`${r.id}\u0000${r.version_text}`)!;
        successes.push({ id: r.id, version: r.version_text });
        added.push({ id: r.id, type: chunk[j]!.type, dateAdded: rows[j]!.date_added, object: chunk[j]!.obj });
        const a = audiences[j]!;
        if (!a.open) for (const principal of a.principals) audienceRows.push({ seq: Number(r.seq), principal });
      });
      for (let k = 0; k < audienceRows.length; k += 500) await tx.insertInto('stix_audience').values(audienceRows.slice(k, k + 500)).execute();
    }
  });
  return { successes, failures, added };
}

function isBundle(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && (obj as Record<string, unknown>)['type'] === 'bundle';
}

/** The rows this principal may see: open ones, or ones naming the member or its groups. */
function visible(who: IntelPrincipal, alias: 'o' | 'o2') {
  return (eb: ExpressionBuilder<Database & IntelTables & Record<typeof alias, IntelTables['stix_objects']>, typeof alias>) => {
    const principals = who.member === null ? [] : [`member:${who.member}`, ...who.groups.map((g) => `group:${g}`)];
    const open = eb(`${alias}.open` as 'o.open', '=', 1);
    if (principals.length === 0) return open;
    return eb.or([
      open,
      eb.exists(eb.selectFrom('stix_audience as a').select('a.seq').whereRef('a.seq', '=', `${alias}.seq` as 'o.seq').where('a.principal', 'in', principals)),
    ]);
  };
}

const VERSION_WORDS = new Set(['first', 'last', 'all']);

function checkQuery(q: ObjectQuery): void {
  if (q.addedAfter !== undefined && timestampKey(q.addedAfter) === undefined) throw new InputError('ADDED_AFTER_INVALID', `added_after must be a timestamp like 2026-01-31T00:00:00.000Z; got '${q.addedAfter}'`, 'added_after');
  for (const v of q.versions ?? []) {
    if (!VERSION_WORDS.has(v) && timestampKey(v) === undefined) throw new InputError('MATCH_VERSION_INVALID', `match[version] takes first, last, all or a timestamp; got '${v}'`, 'match[version]');
  }
}

function decodeNext(next: string): number {
  const bad = () => new InputError('NEXT_INVALID', `'${next.slice(0, 80)}' is not a next value this server handed out`, 'next');
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(next)) throw bad();
  const m = /^s(\d{1,15})$/.exec(Buffer.from(next, 'base64url').toString('latin1'));
  if (!m) throw bad();
  return Number(m[1]);
}

function encodeNext(seq: number): string {
  return Buffer.from(`s${seq}`, 'latin1').toString('base64url');
}

/**
 * A page of object versions in date_added order, as TAXII's objects and manifest endpoints
 * serve them. TLP and sharing rules are part of the query: a version the principal may not
 * see is never read, and does not count towards `last` or `first` either.
 */
export async function queryObjects(db: Kysely<Database>, tenant: string, who: IntelPrincipal, collectionId: string, q: ObjectQuery): Promise<ObjectPage> {
  checkQuery(q);
  const idb: Db = intelDb(db);
  let query = idb.selectFrom('stix_objects as o').selectAll('o').where('o.tenant', '=', tenant).where('o.collection_id', '=', collectionId);
  if (!who.staff) query = query.where(visible(who, 'o') as (eb: Eb) => ReturnType<Eb['or']>);
  if (q.addedAfter !== undefined) query = query.where('o.date_added', '>', timestampKey(q.addedAfter)!);
  if (q.ids && q.ids.length > 0) query = query.where('o.id', 'in', [...q.ids]);
  if (q.types && q.types.length > 0) query = query.where('o.type', 'in', [...q.types]);
  if (q.specVersions && q.specVersions.length > 0) query = query.where('o.spec_version', 'in', [...q.specVersions]);
  const versions = q.versions && q.versions.length > 0 ? q.versions : ['last'];
  if (!versions.includes('all')) {
    query = query.where((eb) => {
      const edge = (fn: 'max' | 'min') => {
        let sub = eb.selectFrom('stix_objects as o2').select((e2) => e2.fn[fn]('o2.version').as('v')).whereRef('o2.collection_id', '=', 'o.collection_id').whereRef('o2.id', '=', 'o.id');
        if (!who.staff) sub = sub.where(visible(who, 'o2') as never);
        if (q.specVersions && q.specVersions.length > 0) sub = sub.where('o2.spec_version', 'in', [...q.specVersions]);
        return eb('o.version', '=', sub);
      };
      return eb.or(versions.map((v) => (v === 'last' ? edge('max') : v === 'first' ? edge('min') : eb('o.version', '=', timestampKey(v)!))));
    });
  }
  if (q.next !== undefined) query = query.where('o.seq', '>', decodeNext(q.next));
  const rows = await query.orderBy('o.seq').limit(q.limit + 1).execute();
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit).map((r) => toStored(r, who));
  return { versions: page, more, ...(more ? { next: encodeNext(page[page.length - 1]!.seq) } : {}) };
}

function toStored(r: Selectable<StixObjectTable>, who: IntelPrincipal): StoredVersion {
  const object = JSON.parse(r.json) as StixJson;
  // Anonymous sharing: other members never learn who posted; the hub keeps it (added_by).
  if (r.anonymous === 1 && !who.staff && who.member !== r.added_by) delete object['created_by_ref'];
  return {
    seq: Number(r.seq), id: r.id, type: r.type, version: r.version_text, dateAdded: r.date_added, specVersion: r.spec_version,
    tlp: r.tlp, addedBy: r.added_by, origin: r.origin, object,
  };
}

/** Removes versions of one object; a member removes only what it posted. */
export async function deleteObject(db: Kysely<Database>, tenant: string, who: IntelPrincipal, collectionId: string, id: string, q: Pick<ObjectQuery, 'versions' | 'specVersions'>): Promise<number> {
  const page = await queryObjects(db, tenant, who, collectionId, { ids: [id], versions: q.versions && q.versions.length > 0 ? q.versions : ['all'], ...(q.specVersions ? { specVersions: q.specVersions } : {}), limit: 100_000 });
  if (page.versions.length === 0) throw new NotFoundError('OBJECT_NOT_FOUND', `no object ${id} in this collection`);
  const mine = page.versions.filter((v) => who.staff || v.addedBy === who.member);
  if (mine.length === 0) throw new NotAllowedError('OBJECT_NOT_YOURS', `${id} was posted by another member; only its poster or hub staff may delete it`);
  const seqs = mine.map((v) => v.seq);
  await intelDb(db).transaction().execute(async (tx) => {
    await tx.deleteFrom('stix_audience').where('seq', 'in', seqs).execute();
    await tx.deleteFrom('stix_objects').where('seq', 'in', seqs).execute();
  });
  return seqs.length;
}
