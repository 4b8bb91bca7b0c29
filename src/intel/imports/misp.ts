import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StixJson } from '../stix/store.js';
import { TLP2_MARKING_ID, type TlpLevel } from '../stix/tlp.js';
import { checkStixObject } from '../stix/validate.js';
import type { ImportProblem } from './bundle.js';
import { ATTRIBUTE_RULES, Unfit, fileObservable, objectComparisons, patternOf, uuidv5, type ObjectAttribute } from './misp-attributes.js';

/**
 * MISP core format events (draft-dulaunoy-misp-core-format) as STIX 2.1, the way the MISP
 * project's own converter (misp-stix) reads them, with the choices below where it is silent
 * or where our hub needs more:
 * - the event is a `report` (id `report--<event uuid>`) whose object_refs name everything
 *   made from it; Orgc is an `identity` with a UUIDv5 id, the creator of everything else;
 * - an attribute with to_ids is an `indicator--<attribute uuid>` (re-imports are versions
 *   of the same indicator); one without is an `observed-data--<attribute uuid>` showing SCOs
 *   with deterministic ids (STIX 2.1 §2.9), so values correlate across events and sources;
 * - text, comment and other attributes, and rules without to_ids, are `note`s on the report:
 *   there is nothing to observe or match; link attributes without to_ids are the report's
 *   external references (analysis pages, not observations); vulnerabilities are
 *   `vulnerability` SDOs;
 * - a MISP object is one indicator (the AND of its to_ids attributes), else one observed-data,
 *   else a note; its ObjectReferences are relationships;
 * - galaxy clusters are threat-actor, intrusion-set, malware, tool or attack-pattern SDOs that
 *   the event's indicators `indicate`;
 * - sightings (type 0) are one `sighting` per indicator, false positives (type 1) an `opinion`
 *   that strongly disagrees, expirations (type 2) the indicator's valid_until;
 * - TLP tags (`tlp:white` reads as TLP 2.0 CLEAR) mark everything the event or attribute
 *   produced, SCOs included, so the hub's audience rules apply to them. Reference objects
 *   (identities, galaxy clusters, CVEs) are public knowledge and carry no marking.
 */

type Json = Record<string, unknown>;
type Tlp = Exclude<TlpLevel, 'none'>;

export interface MispOptions {
  /** The marking of events that carry no TLP tag (default: none, so open to a collection's readers). */
  readonly defaultTlp?: Tlp;
}

export interface MispConversion {
  readonly objects: StixJson[];
  readonly problems: ImportProblem[];
}

/** Our namespace for ids MISP does not give (identities, galaxy clusters, relationships). */
const NAMESPACE = '17b4d500-daed-4fb6-a222-25462227ed0c';
/** created/modified of reference objects: fixed, so each event naming one adds no new version. */
const REFERENCE_TIME = '1970-01-01T00:00:00.000Z';
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const TLP_TAGS: Readonly<Record<string, Tlp>> = { 'tlp:white': 'clear', 'tlp:clear': 'clear', 'tlp:green': 'green', 'tlp:amber': 'amber', 'tlp:amber+strict': 'amber+strict', 'tlp:red': 'red' };
const TLP_RANK: Readonly<Record<Tlp, number>> = { clear: 1, green: 2, amber: 3, 'amber+strict': 4, red: 5 };
const THREAT_LEVELS: Readonly<Record<string, string>> = { '1': 'high', '2': 'medium', '3': 'low', '4': 'undefined' };
const ANALYSIS: Readonly<Record<string, string>> = { '0': 'initial', '1': 'ongoing', '2': 'complete' };
const NOTE_TYPES = new Set(['text', 'comment', 'other']);
const RULE_TYPES = new Set(['yara', 'snort', 'sigma']);

type GalaxySdo = 'threat-actor' | 'intrusion-set' | 'malware' | 'tool' | 'attack-pattern';
const GALAXIES: Readonly<Record<string, GalaxySdo>> = {
  'threat-actor': 'threat-actor', 'microsoft-activity-group': 'threat-actor',
  malpedia: 'malware', ransomware: 'malware', rat: 'malware', banker: 'malware', backdoor: 'malware', botnet: 'malware', stealer: 'malware', android: 'malware', 'exploit-kit': 'malware',
  tool: 'tool',
};
/** malware-type-ov words for galaxies that say what kind of malware they list. */
const MALWARE_TYPES: Readonly<Record<string, string>> = { ransomware: 'ransomware', rat: 'remote-access-trojan', banker: 'trojan', backdoor: 'backdoor', botnet: 'bot', stealer: 'spyware', 'exploit-kit': 'exploit-kit' };
const ATTACK_PAGES: Readonly<Record<string, string>> = { T: 'techniques', G: 'groups', S: 'software', M: 'mitigations', C: 'campaigns' };

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own properties only: a `__proto__` key in hostile JSON is data, not a prototype. */
function own(o: Json, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function text(o: Json, k: string): string | undefined {
  const v = own(o, k);
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** MISP writes booleans as JSON booleans, 0/1 or strings. */
function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || (typeof v === 'string' && v.toLowerCase() === 'true');
}

/** Unix seconds (MISP writes them as strings) → ms; undefined when not that. */
function seconds(v: unknown): number | undefined {
  const s = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,12}$/.test(s)) return undefined;
  const ms = Number(s) * 1000;
  return ms <= MAX_MS ? ms : undefined;
}

/** first_seen/last_seen: ISO 8601 text (microseconds and offsets allowed) → ms. */
function isoMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length > 64 || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) || ms < 0 || ms > MAX_MS ? undefined : ms;
}

function dayMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const ms = Date.parse(`${v}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

const stamp = (ms: number): string => new Date(ms).toISOString();

function clip(s: string, n = 200): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}

/** A MISP uuid as a STIX id's UUID: as given when RFC 4122, else a UUIDv5 of it (stable too). */
function stixUuid(u: string): string {
  return UUID.test(u) ? u.toLowerCase() : uuidv5(`misp:${u}`, NAMESPACE);
}

function strictest(levels: readonly (Tlp | undefined)[]): Tlp | undefined {
  let best: Tlp | undefined;
  for (const l of levels) if (l !== undefined && (best === undefined || TLP_RANK[l] > TLP_RANK[best])) best = l;
  return best;
}

function tlpOfTags(tags: readonly string[]): Tlp | undefined {
  return strictest(tags.map((t) => TLP_TAGS[t.toLowerCase()]));
}

/** A uri-format value (RFC 3986) for external references; spaces and non-ASCII are percent-encoded. */
function asUri(v: string): string | undefined {
  const ok = (s: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/.test(s);
  const s = v.trim();
  if (ok(s)) return s;
  try {
    const e = encodeURI(s);
    return ok(e) ? e : undefined;
  } catch {
    return undefined;
  }
}

interface Cluster {
  readonly galaxy: string;
  readonly value: string;
  readonly description?: string;
  readonly synonyms?: readonly string[];
  readonly externalId?: string;
}

interface Attr {
  readonly uuid: string;
  readonly type: string;
  readonly value: string;
  readonly category: string;
  readonly comment: string;
  readonly relation: string;
  readonly toIds: boolean;
  readonly ms: number;
  readonly firstMs?: number;
  readonly lastMs?: number;
  readonly tags: readonly string[];
  readonly clusters: readonly Cluster[];
  readonly tlp?: Tlp;
  readonly sightings: unknown;
  readonly where: string;
}

interface IndicatorInfo {
  readonly ms: number;
  readonly tlp?: Tlp;
}

/**
 * One MISP event (`{"Event": {…}}` or the bare event, from a feed or the REST API) as STIX 2.1
 * objects. Never throws: what cannot be converted is a problem naming the attribute or
 * object uuid, and the rest still converts. Every object returned passes `checkStixObject`;
 * converting the same event twice gives the same objects.
 * @example mispEventToStix(JSON.parse(readFileSync('57c4445b-….json', 'utf8'))).objects
 */
export function mispEventToStix(event: unknown, opts: MispOptions = {}): MispConversion {
  const c = new EventConversion(opts);
  try {
    return { objects: c.run(event), problems: c.problems };
  } catch (err) {
    // A getter or proxy that throws, or a bug: say so rather than take the import down.
    c.problems.push({ where: 'event', reason: `could not be converted: ${err instanceof Error ? err.message : String(err)}` });
    return { objects: [], problems: c.problems };
  }
}

class EventConversion {
  readonly problems: ImportProblem[] = [];
  private readonly out = new Map<string, StixJson>();
  private readonly whereOf = new Map<string, string>();
  private readonly indicators = new Map<string, IndicatorInfo>();
  /** MISP attribute and object uuids → the STIX object made of them (for ObjectReferences). */
  private readonly made = new Map<string, string>();
  private readonly links: Json[] = [];
  private creator: string | undefined;
  private creatorName: string | undefined;
  private eventTlp: Tlp | undefined;
  private eventMs = 0;
  private reportId = '';

  constructor(private readonly opts: MispOptions) {}

  private problem(where: string, reason: string): void {
    this.problems.push({ where, reason });
  }

  run(input: unknown): StixJson[] {
    const ev = isObj(input) && isObj(own(input, 'Event')) ? (own(input, 'Event') as Json) : input;
    if (!isObj(ev)) {
      this.problem('event', `a MISP event must be a JSON object ({"Event": {…}} or the event itself); got ${kindOf(ev)}`);
      return [];
    }
    const uuid = text(ev, 'uuid');
    if (!uuid) {
      this.problem('event', `the event has no 'uuid'; without it re-imports could not be recognised`);
      return [];
    }
    const where = `event ${uuid}`;
    const dateMs = dayMs(own(ev, 'date'));
    const eventMs = seconds(own(ev, 'timestamp')) ?? dateMs;
    if (eventMs === undefined) {
      this.problem(where, `the event has neither a Unix 'timestamp' nor a 'date' (YYYY-MM-DD); it cannot be versioned`);
      return [];
    }
    this.eventMs = eventMs;
    this.reportId = `report--${stixUuid(uuid)}`;
    const orgc = own(ev, 'Orgc');
    if (isObj(orgc)) {
      this.creator = this.identity(orgc, where);
      this.creatorName = text(orgc, 'name');
    }
    const tags = this.tags(ev, where);
    this.eventTlp = tlpOfTags(tags) ?? this.opts.defaultTlp;
    const eventGalaxies = this.galaxies(this.clusters(ev, tags, where), where);

    this.list(ev, 'Attribute', where).forEach((a, i) => this.attribute(a, `${where} Attribute[${i}]`));
    const references: { source: string; ref: Json; ms: number; where: string }[] = [];
    this.list(ev, 'Object', where).forEach((o, i) => {
      const made = this.object(o, `${where} Object[${i}]`);
      if (made) for (const ref of this.list(o as Json, 'ObjectReference', made.where)) if (isObj(ref)) references.push({ source: made.uuid, ref, ms: made.ms, where: made.where });
    });
    for (const r of references) this.reference(r.source, r.ref, r.ms, r.where);
    for (const [indicator, info] of this.indicators) for (const g of eventGalaxies) this.relate(indicator, 'indicates', g, info.ms, info.tlp, where);

    const kept = this.prune();
    const report = this.report(ev, uuid, tags, dateMs, kept.map((o) => String(o['id'])), where);
    return report ? [report, ...kept] : kept;
  }

  // ---- reading ----

  /** A list property; anything else is a problem and reads as empty. */
  private list(o: Json, k: string, where: string): unknown[] {
    const v = own(o, k);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problem(where, `'${k}' must be a list; got ${kindOf(v)}`);
      return [];
    }
    return v;
  }

  private tags(o: Json, where: string): string[] {
    const out: string[] = [];
    for (const t of this.list(o, 'Tag', where)) {
      const name = typeof t === 'string' ? t : isObj(t) ? text(t, 'name') : undefined;
      if (name) out.push(name);
    }
    return out;
  }

  /** Galaxy clusters from `misp-galaxy:TYPE="VALUE"` tags and the REST API's Galaxy lists (which say more). */
  private clusters(o: Json, tags: readonly string[], where: string): Cluster[] {
    const byKey = new Map<string, Cluster>();
    for (const t of tags) {
      const m = /^misp-galaxy:([a-z0-9-]+)="(.+)"$/s.exec(t);
      if (m) byKey.set(`${m[1]}=${m[2]}`, { galaxy: m[1]!, value: m[2]! });
    }
    for (const g of this.list(o, 'Galaxy', where)) {
      if (!isObj(g)) continue;
      const list = own(g, 'GalaxyCluster');
      for (const c of Array.isArray(list) ? list : []) {
        if (!isObj(c)) continue;
        const galaxy = text(c, 'type') ?? text(g, 'type');
        const value = text(c, 'value');
        if (!galaxy || !value) continue;
        const meta = isObj(own(c, 'meta')) ? (own(c, 'meta') as Json) : {};
        const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);
        const description = text(c, 'description');
        const synonyms = strings(own(meta, 'synonyms'));
        const externalId = strings(own(meta, 'external_id'))[0];
        byKey.set(`${galaxy}=${value}`, {
          galaxy, value, ...(description ? { description } : {}), ...(synonyms.length > 0 ? { synonyms } : {}), ...(externalId ? { externalId } : {}),
        });
      }
    }
    return [...byKey.values()];
  }

  private attr(raw: unknown, where: string): Attr | undefined {
    if (!isObj(raw)) {
      this.problem(where, `an attribute must be an object; got ${kindOf(raw)}`);
      return undefined;
    }
    if (flag(own(raw, 'deleted'))) return undefined;
    const uuid = text(raw, 'uuid');
    const type = text(raw, 'type');
    const value = text(raw, 'value');
    const at = uuid ? `${where.replace(/ Attribute\[\d+\]$/, '')} attribute ${uuid}` : where;
    if (!uuid) return void this.problem(at, `the attribute has no 'uuid'; without it re-imports could not be recognised`);
    if (!type) return void this.problem(at, `the attribute has no 'type'`);
    if (value === undefined || value === '') return void this.problem(at, `the ${type} attribute has no value`);
    const ts = own(raw, 'timestamp');
    const ms = seconds(ts);
    if (ts !== undefined && ms === undefined) this.problem(at, `'timestamp' is not Unix seconds; the event's is used`);
    const tags = this.tags(raw, at);
    const firstMs = isoMs(own(raw, 'first_seen'));
    const lastMs = isoMs(own(raw, 'last_seen'));
    return {
      uuid, type, value, category: text(raw, 'category') ?? '', comment: text(raw, 'comment') ?? '', relation: text(raw, 'object_relation') ?? '',
      toIds: flag(own(raw, 'to_ids')), ms: ms ?? this.eventMs, tags, clusters: this.clusters(raw, tags, at), tlp: tlpOfTags(tags) ?? this.eventTlp,
      sightings: own(raw, 'Sighting'), where: at, ...(firstMs !== undefined ? { firstMs } : {}), ...(lastMs !== undefined ? { lastMs } : {}),
    };
  }

  // ---- making objects ----

  private base(type: string, id: string, createdMs: number, modifiedMs: number, tlp: Tlp | undefined): StixJson {
    return {
      type, spec_version: '2.1', id, created: stamp(createdMs), modified: stamp(modifiedMs),
      ...(this.creator ? { created_by_ref: this.creator } : {}), ...(tlp ? { object_marking_refs: [TLP2_MARKING_ID[tlp]] } : {}),
    };
  }

  private add(o: StixJson, where: string): void {
    const id = String(o['id']);
    if (!this.out.has(id)) {
      this.out.set(id, o);
      this.whereOf.set(id, where);
    }
  }

  /** SCOs are shared by every attribute showing the value; the strictest marking wins. */
  private addSco(o: StixJson, tlp: Tlp | undefined, where: string): string {
    const id = String(o['id']);
    const had = this.out.get(id);
    const marked = (t: Tlp | undefined): StixJson => (t ? { ...o, object_marking_refs: [TLP2_MARKING_ID[t]] } : o);
    if (!had) {
      this.add(marked(tlp), where);
      return id;
    }
    // Same id, same value: a domain one attribute shows alone and another with its address
    // (domain|ip) is one domain-name SCO that resolves to the address.
    const merged: StixJson = { ...had };
    for (const [k, v] of Object.entries(o)) {
      if (merged[k] === undefined) merged[k] = v;
      else if (k.endsWith('_refs') && Array.isArray(v) && Array.isArray(merged[k])) merged[k] = [...new Set([...(merged[k] as unknown[]), ...v])];
    }
    const wasTlp = this.tlpOf(id);
    // A value shown without a marking by one attribute and with one by another keeps the marking.
    if (tlp && (!wasTlp || TLP_RANK[tlp] > TLP_RANK[wasTlp])) merged['object_marking_refs'] = [TLP2_MARKING_ID[tlp]];
    this.out.set(id, merged);
    return id;
  }

  private identity(org: Json, where: string): string | undefined {
    const name = text(org, 'name');
    const key = text(org, 'uuid') || name;
    if (!name || !key) return undefined;
    const id = `identity--${uuidv5(`misp-org:${key.toLowerCase()}`, NAMESPACE)}`;
    this.add({ type: 'identity', spec_version: '2.1', id, created: REFERENCE_TIME, modified: REFERENCE_TIME, name, identity_class: 'organization' }, where);
    return id;
  }

  private labels(a: Attr): string[] {
    return [`misp:type="${a.type}"`, ...(a.category ? [`misp:category="${a.category}"`] : []), ...a.tags.filter((t) => TLP_TAGS[t.toLowerCase()] === undefined)];
  }

  private indicator(uuid: string, a: { name: string; comment: string; ms: number; firstMs?: number; tlp?: Tlp; labels: string[] }, pattern: string, patternType: string, where: string): string {
    const id = `indicator--${stixUuid(uuid)}`;
    this.add({
      ...this.base('indicator', id, a.ms, a.ms, a.tlp), name: clip(a.name), ...(a.comment ? { description: a.comment } : {}),
      indicator_types: ['malicious-activity'], pattern, pattern_type: patternType, ...(patternType === 'stix' ? { pattern_version: '2.1' } : {}),
      valid_from: stamp(a.firstMs ?? a.ms), ...(a.labels.length > 0 ? { labels: a.labels } : {}),
    }, where);
    this.indicators.set(id, { ms: a.ms, ...(a.tlp ? { tlp: a.tlp } : {}) });
    return id;
  }

  private observed(uuid: string, a: { ms: number; firstMs?: number; lastMs?: number; tlp?: Tlp; labels: string[] }, scos: readonly StixJson[], where: string): string {
    const id = `observed-data--${stixUuid(uuid)}`;
    const refs = [...new Set(scos.map((s) => this.addSco(s, a.tlp, where)))];
    const first = a.firstMs ?? a.ms;
    const last = a.lastMs !== undefined && a.lastMs >= first ? a.lastMs : first;
    this.add({
      ...this.base('observed-data', id, a.ms, a.ms, a.tlp), first_observed: stamp(first), last_observed: stamp(last), number_observed: 1, object_refs: refs,
      ...(a.labels.length > 0 ? { labels: a.labels } : {}),
    }, where);
    return id;
  }

  private note(uuid: string, a: { ms: number; tlp?: Tlp; labels: string[] }, abstract: string, content: string, where: string): string {
    const id = `note--${stixUuid(uuid)}`;
    this.add({
      ...this.base('note', id, a.ms, a.ms, a.tlp), abstract: clip(abstract), content, object_refs: [this.reportId],
      ...(this.creatorName ? { authors: [this.creatorName] } : {}), ...(a.labels.length > 0 ? { labels: a.labels } : {}),
    }, where);
    return id;
  }

  private relate(source: string, type: string, target: string, ms: number, tlp: Tlp | undefined, where: string, uuid?: string): void {
    const id = `relationship--${uuid ? stixUuid(uuid) : uuidv5(`${source} ${type} ${target}`, NAMESPACE)}`;
    this.add({ ...this.base('relationship', id, ms, ms, tlp), relationship_type: type, source_ref: source, target_ref: target }, where);
  }

  // ---- attributes ----

  private attribute(raw: unknown, at: string): void {
    const a = this.attr(raw, at);
    if (!a) return;
    const made = this.attributeObject(a);
    if (made) this.made.set(a.uuid, made);
    const isIndicator = made?.startsWith('indicator--') === true;
    if (isIndicator) {
      this.sightings(made!, [a]);
      for (const g of this.galaxies(a.clusters, a.where)) this.relate(made!, 'indicates', g, a.ms, a.tlp, a.where);
    } else if (Array.isArray(a.sightings) && a.sightings.length > 0) {
      this.problem(a.where, `its sightings are not converted: only an indicator (to_ids) can be sighted`);
    }
  }

  /** The one STIX object an attribute becomes (undefined when none, or a link on the report). */
  private attributeObject(a: Attr): string | undefined {
    const labels = this.labels(a);
    const name = `${a.type}: ${a.value}`;
    if (NOTE_TYPES.has(a.type) || (RULE_TYPES.has(a.type) && !a.toIds)) {
      return this.note(a.uuid, { ...a, labels }, a.comment || `MISP ${a.type}${a.category ? ` (${a.category})` : ''}`, a.value, a.where);
    }
    if (RULE_TYPES.has(a.type)) return this.indicator(a.uuid, { ...a, name, labels }, a.value, a.type, a.where);
    if (a.type === 'vulnerability') return this.vulnerability(a);
    if (a.type === 'link' && !a.toIds) {
      const url = asUri(a.value);
      if (!url) return void this.problem(a.where, `link '${clip(a.value, 80)}' is not a URL`);
      if (!this.links.some((l) => l['url'] === url)) this.links.push({ source_name: new URL(url).hostname || 'link', url, ...(a.comment ? { description: a.comment } : {}) });
      return undefined;
    }
    const rule = ATTRIBUTE_RULES.get(a.type);
    if (!rule) return void this.problem(a.where, `MISP type '${a.type}' has no STIX mapping here; skipped`);
    try {
      if (a.toIds) return this.indicator(a.uuid, { ...a, name, labels }, patternOf(rule.compare(a.value)), 'stix', a.where);
      if (!rule.observe) return void this.problem(a.where, `MISP type '${a.type}' without to_ids has no STIX cyber-observable form; skipped`);
      return this.observed(a.uuid, { ...a, labels }, rule.observe(a.value), a.where);
    } catch (err) {
      if (!(err instanceof Unfit)) throw err;
      return void this.problem(a.where, `${a.type}: ${err.message}; skipped`);
    }
  }

  private vulnerability(a: Attr): string {
    const cve = /^CVE-\d{4}-\d{4,}$/i.test(a.value.trim()) ? a.value.trim().toUpperCase() : undefined;
    if (!cve) return this.note(a.uuid, { ...a, labels: this.labels(a) }, a.comment || 'MISP vulnerability', a.value, a.where);
    const id = `vulnerability--${uuidv5(`vulnerability:${cve}`, NAMESPACE)}`;
    this.add({ type: 'vulnerability', spec_version: '2.1', id, created: REFERENCE_TIME, modified: REFERENCE_TIME, name: cve, external_references: [{ source_name: 'cve', external_id: cve }] }, a.where);
    return id;
  }

  /** MISP sighting types: 0 seen, 1 false positive, 2 expiration. */
  private sightings(indicatorId: string, attrs: readonly Attr[]): void {
    const seen: number[] = [];
    const falsePositive: number[] = [];
    const expired: number[] = [];
    const orgs = { seen: new Set<string>(), falsePositive: new Set<string>(), names: new Set<string>() };
    let where = '';
    let tlp: Tlp | undefined;
    for (const a of attrs) {
      if (a.sightings === undefined || a.sightings === null) continue;
      if (!Array.isArray(a.sightings)) {
        this.problem(a.where, `'Sighting' must be a list; got ${kindOf(a.sightings)}`);
        continue;
      }
      where ||= a.where;
      tlp = strictest([tlp, a.tlp]);
      a.sightings.forEach((s, i) => {
        const ms = isObj(s) ? seconds(own(s, 'date_sighting')) : undefined;
        if (!isObj(s) || ms === undefined) return this.problem(a.where, `Sighting[${i}] has no Unix 'date_sighting'; skipped`);
        const type = text(s, 'type') ?? '0';
        const org = isObj(own(s, 'Organisation')) ? (own(s, 'Organisation') as Json) : undefined;
        const orgId = org ? this.identity(org, a.where) : undefined;
        if (type === '0') {
          seen.push(ms);
          if (orgId) orgs.seen.add(orgId);
        } else if (type === '1') {
          falsePositive.push(ms);
          if (orgId) orgs.falsePositive.add(orgId);
          if (org && text(org, 'name')) orgs.names.add(text(org, 'name')!);
        } else if (type === '2') expired.push(ms);
        else this.problem(a.where, `Sighting[${i}] has an unknown type '${clip(type, 20)}'; skipped`);
      });
    }
    const ind = this.out.get(indicatorId)!;
    const by = (ids: Set<string>): StixJson => (ids.size === 1 ? { created_by_ref: [...ids][0] } : {});
    if (seen.length > 0) {
      const first = Math.min(...seen);
      const last = Math.max(...seen);
      const id = `sighting--${uuidv5(`${indicatorId} sighting`, NAMESPACE)}`;
      this.add({
        ...this.base('sighting', id, first, last, tlp), ...by(orgs.seen), sighting_of_ref: indicatorId, count: Math.min(seen.length, 999_999_999),
        first_seen: stamp(first), last_seen: stamp(last), ...(orgs.seen.size > 0 ? { where_sighted_refs: [...orgs.seen] } : {}),
      }, where);
    }
    if (falsePositive.length > 0) {
      const id = `opinion--${uuidv5(`${indicatorId} false-positive`, NAMESPACE)}`;
      this.add({
        ...this.base('opinion', id, Math.min(...falsePositive), Math.max(...falsePositive), tlp), ...by(orgs.falsePositive), opinion: 'strongly-disagree',
        explanation: `reported as a false positive in MISP ${falsePositive.length === 1 ? 'once' : `${falsePositive.length} times`}`, object_refs: [indicatorId],
        ...(orgs.names.size > 0 ? { authors: [...orgs.names] } : {}),
      }, where);
    }
    if (expired.length > 0) {
      const until = Math.min(...expired);
      if (until > Date.parse(String(ind['valid_from']))) ind['valid_until'] = stamp(until);
      else this.problem(where, `an expiration sighting (${stamp(until)}) is not after the indicator's valid_from; ignored`);
    }
  }

  // ---- objects ----

  private object(raw: unknown, at: string): { uuid: string; ms: number; where: string } | undefined {
    if (!isObj(raw)) return void this.problem(at, `an object must be a JSON object; got ${kindOf(raw)}`);
    if (flag(own(raw, 'deleted'))) return undefined;
    const uuid = text(raw, 'uuid');
    const name = text(raw, 'name') ?? 'object';
    if (!uuid) return void this.problem(at, `the ${name} object has no 'uuid'; without it re-imports could not be recognised`);
    const where = `${at.replace(/ Object\[\d+\]$/, '')} object ${uuid} (${name})`;
    const attrs = this.list(raw, 'Attribute', where).map((a, i) => this.attr(a, `${where} Attribute[${i}]`)).filter((a): a is Attr => a !== undefined);
    if (attrs.length === 0) return void this.problem(where, `the object has no attributes; skipped`);
    const ms = seconds(own(raw, 'timestamp')) ?? Math.max(...attrs.map((a) => a.ms));
    const firstMs = isoMs(own(raw, 'first_seen'));
    const lastMs = isoMs(own(raw, 'last_seen'));
    const tlp = strictest(attrs.map((a) => a.tlp));
    const info = { ms, tlp, labels: [`misp:name="${name}"`, ...(text(raw, 'meta-category') ? [`misp:meta-category="${text(raw, 'meta-category')}"`] : [])], ...(firstMs !== undefined ? { firstMs } : {}), ...(lastMs !== undefined ? { lastMs } : {}) };
    const detect = attrs.filter((a) => a.toIds);
    let id: string | undefined;
    if (detect.length > 0) {
      const comparisons: string[] = [];
      for (const a of detect) {
        try {
          for (const c of objectComparisons(name, a.relation, a.type, a.value)) if (!comparisons.includes(c)) comparisons.push(c);
        } catch (err) {
          if (!(err instanceof Unfit)) throw err;
          this.problem(a.where, `${a.relation || a.type}: ${err.message}; left out of the object's pattern`);
        }
      }
      if (comparisons.length === 0) return void this.problem(where, `none of its to_ids attributes has a STIX pattern; skipped`);
      const title = `${name}: ${detect.map((a) => a.value).join(' / ')}`;
      id = this.indicator(uuid, { ...info, name: title, comment: text(raw, 'comment') ?? '' }, patternOf(comparisons), 'stix', where);
      this.sightings(id, attrs);
      for (const g of this.galaxies(attrs.flatMap((a) => a.clusters), where)) this.relate(id, 'indicates', g, ms, tlp, where);
    } else {
      const scos = this.objectObservables(name, attrs, where);
      id = scos.length > 0 ? this.observed(uuid, info, scos, where)
        : this.note(uuid, info, text(raw, 'comment') || `MISP ${name} object`, attrs.map((a) => `${a.relation || a.type}: ${a.value}`).join('\n'), where);
    }
    this.made.set(uuid, id);
    for (const a of attrs) this.made.set(a.uuid, id);
    return { uuid, ms, where };
  }

  /** The SCOs a MISP object without to_ids shows; none for PE headers, which are notes. */
  private objectObservables(name: string, attrs: readonly Attr[], where: string): StixJson[] {
    try {
      if (name === 'pe' || name === 'pe-section') return [];
      if (name === 'file') {
        const f = fileObservable(attrs as readonly ObjectAttribute[]);
        return f ? [f] : [];
      }
      const ip = attrs.find((a) => a.type === 'ip-dst' || a.type === 'ip-src');
      const port = attrs.find((a) => a.relation === 'dst-port' || a.relation === 'src-port');
      if (name === 'ip-port' && ip && port) return ATTRIBUTE_RULES.get(`${ip.type}|port`)!.observe!(`${ip.value}|${port.value}`);
      const out: StixJson[] = [];
      for (const a of attrs) {
        const rule = a.type === 'link' ? undefined : ATTRIBUTE_RULES.get(a.type);
        if (rule?.observe) out.push(...rule.observe(a.value));
      }
      return out;
    } catch (err) {
      if (!(err instanceof Unfit)) throw err;
      this.problem(where, `${err.message}; the object is kept as a note`);
      return [];
    }
  }

  private reference(source: string, ref: Json, ms: number, where: string): void {
    const target = text(ref, 'referenced_uuid');
    const from = this.made.get(source);
    const to = target ? this.made.get(target) : undefined;
    if (!from) return;
    if (!to) return void this.problem(where, `its reference to ${target ?? '(no referenced_uuid)'} names nothing converted from this event; left out`);
    const type = (text(ref, 'relationship_type') ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'related-to';
    const uuid = text(ref, 'uuid');
    const tlp = strictest([this.tlpOf(from), this.tlpOf(to)]);
    this.relate(from, type, to, seconds(own(ref, 'timestamp')) ?? ms, tlp, where, uuid);
  }

  private tlpOf(id: string): Tlp | undefined {
    const ref = (this.out.get(id)?.['object_marking_refs'] as string[] | undefined)?.[0];
    return (Object.keys(TLP2_MARKING_ID) as Tlp[]).find((l) => TLP2_MARKING_ID[l] === ref);
  }

  // ---- galaxies ----

  private galaxies(clusters: readonly Cluster[], where: string): string[] {
    const ids: string[] = [];
    for (const c of clusters) {
      const id = this.galaxy(c, where);
      if (id && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  private galaxy(c: Cluster, where: string): string | undefined {
    const mitre = /^mitre-(?:(?:enterprise|mobile|pre)-attack-)?(attack-pattern|intrusion-set|malware|tool)$/.exec(c.galaxy);
    const type: GalaxySdo | undefined = mitre ? (mitre[1] as GalaxySdo) : GALAXIES[c.galaxy];
    if (!type) return undefined; // other galaxies stay labels on the report
    // ATT&CK cluster values end in their id: 'Stolen Developer Credentials or Signing Keys - T1441'.
    const m = /^(.*\S)\s+-\s+([TGSMC]\d{4}(?:\.\d{3})?)$/.exec(c.value);
    const name = m && mitre ? m[1]! : c.value;
    const externalId = mitre ? c.externalId ?? m?.[2] : undefined;
    const id = `${type}--${uuidv5(`misp-galaxy:${c.galaxy}=${c.value}`, NAMESPACE)}`;
    const aliases = [...new Set(c.synonyms ?? [])].filter((s) => s !== name);
    this.add({
      type, spec_version: '2.1', id, created: REFERENCE_TIME, modified: REFERENCE_TIME, name,
      ...(c.description ? { description: c.description } : {}), ...(aliases.length > 0 ? { aliases } : {}),
      ...(type === 'malware' ? { is_family: true, ...(MALWARE_TYPES[c.galaxy] ? { malware_types: [MALWARE_TYPES[c.galaxy]] } : {}) } : {}),
      ...(externalId ? { external_references: [{ source_name: 'mitre-attack', external_id: externalId, url: `https://attack.mitre.org/${ATTACK_PAGES[externalId[0]!]}/${externalId.replace('.', '/')}` }] } : {}),
      labels: [`misp-galaxy:${c.galaxy}`],
    }, where);
    return id;
  }

  // ---- the report, and the check every object passes ----

  /** Leaves out what does not validate, and then what refers to it. */
  private prune(): StixJson[] {
    const dropped = new Set<string>();
    for (const [id, o] of this.out) {
      const p = checkStixObject(o);
      if (p.length === 0) continue;
      dropped.add(id);
      this.problem(this.whereOf.get(id) ?? id, `${id} is not valid STIX 2.1 and was left out: ${p[0]!.path || '(object)'}: ${p[0]!.message}${p.length > 1 ? ` (and ${p.length - 1} more)` : ''}`);
    }
    for (let changed = dropped.size > 0; changed;) {
      changed = false;
      for (const [id, o] of this.out) {
        if (dropped.has(id)) continue;
        const bad = refsOf(o).find((r) => dropped.has(r));
        if (bad === undefined) continue;
        dropped.add(id);
        changed = true;
        this.problem(this.whereOf.get(id) ?? id, `${id} was left out: it refers to ${bad}, which was left out`);
      }
    }
    return [...this.out.values()].filter((o) => !dropped.has(String(o['id'])));
  }

  private report(ev: Json, uuid: string, tags: readonly string[], dateMs: number | undefined, refs: string[], where: string): StixJson | undefined {
    if (refs.length === 0) return void this.problem(where, `nothing in the event could be converted, so there is no report`);
    const published = seconds(own(ev, 'publish_timestamp')) || dateMs || this.eventMs;
    const labels = tags.filter((t) => TLP_TAGS[t.toLowerCase()] === undefined);
    const threat = THREAT_LEVELS[text(ev, 'threat_level_id') ?? ''];
    const analysis = ANALYSIS[text(ev, 'analysis') ?? ''];
    const report: StixJson = {
      ...this.base('report', this.reportId, Math.min(dateMs ?? this.eventMs, this.eventMs), this.eventMs, this.eventTlp),
      name: text(ev, 'info') || `MISP event ${uuid}`, report_types: ['threat-report'], published: stamp(published), object_refs: refs,
      ...(labels.length > 0 ? { labels } : {}), ...(this.links.length > 0 ? { external_references: this.links } : {}),
      ...(threat ? { x_misp_threat_level: threat } : {}), ...(analysis ? { x_misp_analysis: analysis } : {}),
    };
    const p = checkStixObject(report);
    if (p.length > 0) return void this.problem(where, `the report is not valid STIX 2.1 and was left out: ${p[0]!.path}: ${p[0]!.message}`);
    return report;
  }
}

/** The ids an object refers to, markings aside. */
function refsOf(o: StixJson): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'object_marking_refs') continue;
    if (k.endsWith('_ref') && typeof v === 'string') out.push(v);
    else if (k.endsWith('_refs') && Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}

/**
 * The MISP events in a parsed JSON document: `{"Event": …}`, a bare event, the REST API's
 * `{"response": [{"Event": …}, …]}` or a list of those; undefined when it is not MISP.
 */
export function mispEventsIn(json: unknown): unknown[] | undefined {
  const isEvent = (v: unknown): boolean => isObj(v) && (isObj(own(v, 'Event')) || (!Object.hasOwn(v, 'type') && typeof own(v, 'info') === 'string' && Object.hasOwn(v, 'uuid')));
  if (isEvent(json)) return [json];
  const list = isObj(json) && Array.isArray(own(json, 'response')) ? (own(json, 'response') as unknown[]) : json;
  return Array.isArray(list) && list.length > 0 && list.every(isEvent) ? list : undefined;
}

export type MispFeedEntry = { readonly file: string; readonly event: unknown } | { readonly file: string; readonly problem: ImportProblem };

/**
 * The events of a MISP feed folder (`manifest.json` and one `<uuid>.json` per event), one at
 * a time. A missing or broken event file is a problem naming the file and the rest follow;
 * a missing or broken manifest is one problem. hashes.csv is not read.
 */
export function* readMispFeed(dir: string): Generator<MispFeedEntry> {
  const manifestFile = join(dir, 'manifest.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (err) {
    yield { file: manifestFile, problem: { where: manifestFile, reason: `not a MISP feed manifest: ${err instanceof Error ? err.message : String(err)}` } };
    return;
  }
  if (!isObj(manifest)) {
    yield { file: manifestFile, problem: { where: manifestFile, reason: `not a MISP feed manifest: it holds ${kindOf(manifest)}, not an object keyed by event uuid` } };
    return;
  }
  for (const uuid of Object.keys(manifest)) {
    // The key becomes a file name: nothing but a uuid may reach the file system.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
      yield { file: manifestFile, problem: { where: manifestFile, reason: `'${clip(uuid, 80)}' is not an event uuid; skipped` } };
      continue;
    }
    const file = join(dir, `${uuid}.json`);
    let event: unknown;
    try {
      event = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      yield { file, problem: { where: file, reason: e.code === 'ENOENT' ? 'the manifest lists this event but the file is missing' : `not readable as JSON: ${e.message}` } };
      continue;
    }
    const inner = isObj(event) && isObj(own(event, 'Event')) ? (own(event, 'Event') as Json) : event;
    const got = isObj(inner) ? text(inner, 'uuid') : undefined;
    if (got !== undefined && got.toLowerCase() !== uuid.toLowerCase()) yield { file, problem: { where: file, reason: `the manifest lists ${uuid} but the file holds event ${clip(got, 60)}` } };
    yield { file, event };
  }
}
