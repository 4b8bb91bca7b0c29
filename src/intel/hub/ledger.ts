import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { InputError, NotFoundError, newId } from '../../core/index.js';
import type { Database } from '../../store/index.js';
import { parsePattern, type Comparison, type Literal, type Observation } from '../pattern/index.js';
import type { AddedVersion } from '../stix/store.js';
import { intelDb, type IntelDb } from './members.js';

/**
 * The hub's memory of who shared and who saw what: values for correlation, sightings for
 * sector alerts and credit. Fed by every POST, in the order objects arrive.
 */
export interface LedgerOptions {
  /** Distinct members sighting one indicator within `windowMs` that make a sector alert (default 2). */
  readonly sectorThreshold?: number;
  readonly windowMs?: number;
  readonly now?: Date;
}

export const DEFAULT_SECTOR_THRESHOLD = 2;
export const DEFAULT_SECTOR_WINDOW_MS = 24 * 3600_000;
/** MISP's over-correlation limit, in spirit: a value on more objects than this links nothing. */
export const MAX_CORRELATIONS_PER_VALUE = 20;

const FOLDED = new Set(['domain-name:value', 'email-addr:value', 'url:value']);

/** The exact values a pattern names (`=` and IN), as `path=value` keys: what correlation joins on. */
export function valuesOfPattern(pattern: string): string[] {
  let root: Observation;
  try {
    root = parsePattern(pattern).root;
  } catch (err) {
    if (err instanceof InputError) return [];
    throw err;
  }
  const out = new Set<string>();
  const fromComparison = (c: Comparison): void => {
    if (c.k === 'and' || c.k === 'or') return c.args.forEach(fromComparison);
    if (c.k !== 'test' || c.negated || (c.op !== '=' && c.op !== 'IN')) return;
    const literals = Array.isArray(c.value) ? (c.value as readonly Literal[]) : [c.value as Literal];
    for (const l of literals) {
      if (l.kind !== 'string' && l.kind !== 'int') continue;
      const hash = c.path.type === 'file' && c.path.text.includes('hashes');
      const v = String(l.value);
      out.add(`${c.path.text}=${hash || FOLDED.has(c.path.text) || isIP(v) === 6 ? v.toLowerCase() : v}`);
    }
  };
  const walk = (o: Observation): void => {
    if (o.k === 'observe') fromComparison(o.comparison);
    else if ('args' in o) o.args.forEach(walk);
    else walk(o.arg);
  };
  walk(root);
  return [...out];
}

const BENIGN_ADDRESSES = new Set(['8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9', '149.112.112.112', '208.67.222.222', '208.67.220.220', '0.0.0.0', '255.255.255.255', '::1', '::']);
const BENIGN_DOMAINS = ['google.com', 'microsoft.com', 'windowsupdate.com', 'windows.com', 'office.com', 'live.com', 'apple.com', 'icloud.com', 'amazon.com', 'amazonaws.com', 'cloudflare.com', 'akamai.net', 'akamaiedge.net', 'github.com', 'gstatic.com', 'googleapis.com', 'facebook.com', 'youtube.com', 'localhost', 'example.com', 'example.org', 'example.net'];
/** Hashes of the empty input: MD5, SHA-1, SHA-256. */
const BENIGN_HASHES = new Set(['d41d8cd98f00b204e9800998ecf8427e', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']);

function privateV4(a: string): boolean {
  const [x, y] = a.split('.').map(Number) as [number, number];
  return x === 10 || x === 127 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254) || x >= 224;
}

/**
 * A built-in warning list of values no one earns credit for: private and reserved
 * addresses, public resolvers, the biggest cloud and software domains, empty-file hashes.
 * (MISP's warning lists are larger; this is the part that matters for a bank's feeds.)
 */
export function isKnownBenign(valueKey: string): boolean {
  const eq = valueKey.indexOf('=');
  const path = valueKey.slice(0, eq);
  const value = valueKey.slice(eq + 1).toLowerCase();
  if (path === 'ipv4-addr:value') {
    const ip = value.split('/')[0]!;
    return BENIGN_ADDRESSES.has(ip) || (isIP(ip) === 4 && privateV4(ip));
  }
  if (path === 'ipv6-addr:value') return BENIGN_ADDRESSES.has(value) || /^(fe80|fc|fd|ff)/.test(value);
  if (path === 'domain-name:value' || path === 'url:value') {
    const host = path === 'url:value' ? (/^[a-z]+:\/\/([^/:?#]+)/.exec(value)?.[1] ?? '') : value;
    return BENIGN_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
  }
  if (path.startsWith('file:hashes')) return BENIGN_HASHES.has(value);
  return false;
}

function falsePositiveRefs(o: Readonly<Record<string, unknown>>): string[] {
  if (o['type'] !== 'opinion' || (o['opinion'] !== 'disagree' && o['opinion'] !== 'strongly-disagree')) return [];
  return (Array.isArray(o['object_refs']) ? o['object_refs'] : []).filter((r): r is string => typeof r === 'string' && r.startsWith('indicator--'));
}

/**
 * Records what a POST added: the values of indicators (for correlation and lead time), the
 * sightings and false-positive opinions members sent, and raises or widens a sector alert
 * when enough distinct members sighted one indicator within the window. Returns the sector
 * alerts raised or widened.
 */
/**
 * A STIX timestamp as the ledger stores it: `toISOString`'s fixed form, so that times compare
 * as text (`…:00Z` sorts after `…:00.500Z`, which is later) and always fit the column.
 */
function instant(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export async function recordIntel(db: Kysely<Database>, tenant: string, member: string, added: readonly AddedVersion[], opts: LedgerOptions = {}): Promise<SectorAlert[]> {
  if (added.length === 0) return [];
  const now = opts.now ?? new Date();
  const at = now.toISOString();
  const idb = intelDb(db);
  const values: { tenant: string; value_key: string; object_id: string; member: string; kind: string; first_at: string }[] = [];
  const sightings: { tenant: string; sighting_id: string; indicator_id: string; member: string; count: number; first_seen: string; last_seen: string; received_at: string; false_positive: number }[] = [];
  for (const a of added) {
    const o = a.object;
    if (a.type === 'indicator' && typeof o['pattern'] === 'string' && o['pattern_type'] === 'stix') {
      for (const v of valuesOfPattern(o['pattern'])) values.push({ tenant, value_key: v, object_id: a.id, member, kind: 'indicator', first_at: a.dateAdded });
    } else if (a.type === 'sighting' && typeof o['sighting_of_ref'] === 'string' && o['sighting_of_ref'].startsWith('indicator--')) {
      const seen = instant(o['last_seen']) ?? instant(o['first_seen']) ?? at;
      sightings.push({
        tenant, sighting_id: a.id, indicator_id: o['sighting_of_ref'], member, count: typeof o['count'] === 'number' ? o['count'] : 1,
        first_seen: instant(o['first_seen']) ?? seen, last_seen: seen, received_at: at,
        false_positive: o['x_lianfang_false_positive'] === true ? 1 : 0,
      });
    } else {
      for (const ref of falsePositiveRefs(o)) sightings.push({ tenant, sighting_id: a.id, indicator_id: ref, member, count: 0, first_seen: at, last_seen: at, received_at: at, false_positive: 1 });
    }
  }
  const raised: SectorAlert[] = [];
  await idb.transaction().execute(async (tx) => {
    // Many rows per statement; a row already there keeps its first_at (the lead-time evidence).
    for (let i = 0; i < values.length; i += 500) {
      await tx.insertInto('intel_values').values(values.slice(i, i + 500)).onConflict((oc) => oc.columns(['tenant', 'value_key', 'object_id', 'member', 'kind']).doNothing()).execute();
    }
    for (let i = 0; i < sightings.length; i += 500) {
      await tx.insertInto('intel_sightings').values(sightings.slice(i, i + 500)).onConflict((oc) => oc.columns(['tenant', 'sighting_id', 'indicator_id']).doNothing()).execute();
    }
    // A member's sighting of an indicator also says which values it has seen.
    for (const indicator of new Set(sightings.filter((s) => s.false_positive === 0).map((s) => s.indicator_id))) {
      const keys = await tx.selectFrom('intel_values').select('value_key').distinct().where('tenant', '=', tenant).where('object_id', '=', indicator).where('kind', '=', 'indicator').execute();
      if (keys.length > 0) {
        await tx.insertInto('intel_values').values(keys.map((k) => ({ tenant, value_key: k.value_key, object_id: indicator, member, kind: 'sighting', first_at: at })))
          .onConflict((oc) => oc.columns(['tenant', 'value_key', 'object_id', 'member', 'kind']).doNothing()).execute();
      }
      const alert = await sectorCheck(tx, tenant, indicator, opts, now);
      if (alert) raised.push(alert);
    }
  });
  return raised;
}

export interface SectorAlert {
  readonly id: string;
  readonly indicatorId: string;
  readonly indicatorName: string;
  readonly members: readonly string[];
  readonly sightings: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly status: string;
}

async function sectorCheck(tx: IntelDb, tenant: string, indicator: string, opts: LedgerOptions, now: Date): Promise<SectorAlert | null> {
  const threshold = opts.sectorThreshold ?? DEFAULT_SECTOR_THRESHOLD;
  const windowMs = opts.windowMs ?? DEFAULT_SECTOR_WINDOW_MS;
  const since = new Date(now.getTime() - windowMs).toISOString();
  const rows = await tx.selectFrom('intel_sightings').select(['member', 'count', 'first_seen', 'last_seen']).where('tenant', '=', tenant).where('indicator_id', '=', indicator)
    .where('false_positive', '=', 0).where('member', '!=', '').where('last_seen', '>=', since).execute();
  const members = [...new Set(rows.map((r) => r.member))].sort();
  if (members.length < threshold) return null;
  const sightings = rows.reduce((n, r) => n + r.count, 0);
  const firstSeen = rows.map((r) => r.first_seen).sort()[0]!;
  const lastSeen = rows.map((r) => r.last_seen).sort().at(-1)!;
  const at = now.toISOString();
  const open = await tx.selectFrom('intel_sector_alerts').selectAll().where('tenant', '=', tenant).where('indicator_id', '=', indicator).where('status', '=', 'open').where('last_seen', '>=', since).executeTakeFirst();
  if (open) {
    if (JSON.stringify(members) === open.members && sightings === open.sightings) return null;
    await tx.updateTable('intel_sector_alerts').set({ members: JSON.stringify(members), sightings, last_seen: lastSeen, updated_at: at }).where('id', '=', open.id).execute();
    return { ...alertFromRow(open), members, sightings, lastSeen, updatedAt: at };
  }
  const name = await tx.selectFrom('stix_objects').select('json').where('tenant', '=', tenant).where('id', '=', indicator).orderBy('version', 'desc').executeTakeFirst();
  const indicatorName = name ? String((JSON.parse(name.json) as Record<string, unknown>)['name'] ?? (JSON.parse(name.json) as Record<string, unknown>)['pattern'] ?? indicator) : indicator;
  const row = { id: newId(), tenant, indicator_id: indicator, indicator_name: indicatorName, members: JSON.stringify(members), sightings, first_seen: firstSeen, last_seen: lastSeen, created_at: at, updated_at: at, status: 'open' };
  await tx.insertInto('intel_sector_alerts').values(row).execute();
  return alertFromRow(row);
}

function alertFromRow(r: { id: string; indicator_id: string; indicator_name: string; members: string; sightings: number; first_seen: string; last_seen: string; created_at: string; updated_at: string; status: string }): SectorAlert {
  return {
    id: r.id, indicatorId: r.indicator_id, indicatorName: r.indicator_name, members: JSON.parse(r.members) as string[], sightings: Number(r.sightings),
    firstSeen: r.first_seen, lastSeen: r.last_seen, createdAt: r.created_at, updatedAt: r.updated_at, status: r.status,
  };
}

/** Closes (or reopens) a sector alert; a closed one is not widened: new sightings open a new one. */
export async function setSectorAlertStatus(db: Kysely<Database>, tenant: string, id: string, status: 'open' | 'closed', now = new Date()): Promise<SectorAlert> {
  const idb = intelDb(db);
  const n = await idb.updateTable('intel_sector_alerts').set({ status, updated_at: now.toISOString() }).where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  if (Number(n.numUpdatedRows) === 0) throw new NotFoundError('SECTOR_ALERT_NOT_FOUND', `no sector alert ${id}`);
  return alertFromRow(await idb.selectFrom('intel_sector_alerts').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

/** Sector alerts, most recently widened first; `status` narrows, `offset`/`limit` page. */
export async function listSectorAlerts(
  db: Kysely<Database>,
  tenant: string,
  opts: { readonly limit?: number; readonly offset?: number; readonly status?: SectorAlert['status'] } = {},
): Promise<{ items: SectorAlert[]; total: number }> {
  const idb = intelDb(db);
  let q = idb.selectFrom('intel_sector_alerts').where('tenant', '=', tenant);
  if (opts.status) q = q.where('status', '=', opts.status);
  const total = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
  const rows = await q.selectAll().orderBy('updated_at', 'desc').orderBy('id').limit(opts.limit ?? 200).offset(opts.offset ?? 0).execute();
  return { items: rows.map(alertFromRow), total };
}

/** A STIX object as a correlation names it: enough to read without fetching it. */
export interface LinkedObject {
  readonly id: string;
  readonly type: string;
  readonly name: string | null;
  /** The indicator's pattern; null for other objects. */
  readonly pattern: string | null;
  /** Its latest version's `modified`, as stored. */
  readonly modified: string | null;
}

export interface Correlation {
  readonly value: string;
  /** Objects (indicators) carrying it, with the members who shared or sighted each. */
  readonly objects: (LinkedObject & { readonly sharedBy: readonly string[]; readonly sightedBy: readonly string[] })[];
  /** Reports and groupings that reference one of those objects. */
  readonly reports: readonly LinkedObject[];
  readonly members: readonly string[];
  /** True when the value sits on more objects than the limit: too common to link anything. */
  readonly capped: boolean;
}

/** What one value links: indicators, reports and the members who shared or saw it. */
export async function correlate(db: Kysely<Database>, tenant: string, valueKey: string, limit = MAX_CORRELATIONS_PER_VALUE): Promise<Correlation> {
  const idb = intelDb(db);
  const rows = await idb.selectFrom('intel_values').selectAll().where('tenant', '=', tenant).where('value_key', '=', valueKey).execute();
  const ids = [...new Set(rows.map((r) => r.object_id))];
  if (ids.length > limit) return { value: valueKey, objects: [], reports: [], members: [], capped: true };
  const linked = ids.length > 0 ? await latestVersions(db, tenant, ids) : new Map<string, LinkedObject>();
  const objects = ids.map((id) => ({
    ...(linked.get(id) ?? { id, type: id.slice(0, id.indexOf('--')), name: null, pattern: null, modified: null }),
    sharedBy: [...new Set(rows.filter((r) => r.object_id === id && r.kind === 'indicator').map((r) => r.member))].sort(),
    sightedBy: [...new Set(rows.filter((r) => r.object_id === id && r.kind === 'sighting').map((r) => r.member))].sort(),
  }));
  const reports = new Map<string, LinkedObject>();
  if (ids.length > 0) {
    const wanted = new Set(ids);
    const candidates = await idb.selectFrom('stix_objects').select(['id', 'version', 'json']).where('tenant', '=', tenant).where('type', 'in', ['report', 'grouping']).execute();
    const latest = new Map<string, { version: string; json: string }>();
    for (const r of candidates) if ((latest.get(r.id)?.version ?? '') < r.version) latest.set(r.id, r);
    for (const [id, r] of latest) {
      const o = JSON.parse(r.json) as Record<string, unknown>;
      const refs = o['object_refs'];
      if (Array.isArray(refs) && refs.some((x) => wanted.has(String(x)))) reports.set(id, linkedObject(id, o));
    }
  }
  const members = [...new Set(rows.map((r) => r.member).filter((m) => m !== ''))].sort();
  return { value: valueKey, objects, reports: [...reports.values()].sort((a, b) => a.id.localeCompare(b.id)), members, capped: false };
}

function linkedObject(id: string, o: Readonly<Record<string, unknown>>): LinkedObject {
  return {
    id,
    type: typeof o['type'] === 'string' ? o['type'] : id.slice(0, id.indexOf('--')),
    name: typeof o['name'] === 'string' ? o['name'] : null,
    pattern: typeof o['pattern'] === 'string' ? o['pattern'] : null,
    modified: typeof o['modified'] === 'string' ? o['modified'] : null,
  };
}

/** The latest stored version of each object, as a LinkedObject. */
async function latestVersions(db: Kysely<Database>, tenant: string, ids: readonly string[]): Promise<Map<string, LinkedObject>> {
  const rows = await intelDb(db).selectFrom('stix_objects').select(['id', 'version', 'json']).where('tenant', '=', tenant).where('id', 'in', ids).execute();
  const latest = new Map<string, { version: string; json: string }>();
  for (const r of rows) if ((latest.get(r.id)?.version ?? '') < r.version) latest.set(r.id, r);
  return new Map([...latest].map(([id, r]) => [id, linkedObject(id, JSON.parse(r.json) as Record<string, unknown>)]));
}
