import { isIP } from 'node:net';
import type { Detection, EventRecord, ItemProblem, Severity } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import { compileComparison, type ComparisonTest } from './evaluate.js';
import { observeInto, observeWants, type StixObject } from './observe.js';
import { canonical, foldsCase } from './canonical.js';
import { KeyFilter } from './key-filter.js';
import { parsePattern } from './parse.js';
import type { Comparison, Literal, ObjectPath, Observation } from './types.js';

/** An indicator as live matching needs it (a STIX 2.1 indicator with `pattern_type: stix`). */
export interface PatternIndicator {
  readonly id: string;
  readonly name?: string;
  readonly pattern: string;
  /** ISO 8601; the indicator matches events of its validity window only. */
  readonly validFrom?: string;
  readonly validUntil?: string;
  readonly level?: Severity;
  readonly techniques?: readonly string[];
  readonly tactics?: readonly string[];
}

/** An event as the matcher sees it (the live detector's LiveEvent). */
export interface MatchedEvent {
  readonly id: string;
  readonly event: EventRecord;
  readonly receivedAt: string;
}

interface Compiled {
  readonly indicator: PatternIndicator;
  readonly fromMs: number;
  readonly untilMs: number;
}

/** One observation expression of a windowed pattern, with the events it has seen. */
interface Leaf {
  readonly test: ComparisonTest;
  readonly seen: { timeMs: number; eventId: string }[];
}

interface Windowed extends Compiled {
  readonly root: WNode;
  readonly leaves: Leaf[];
}

type WNode =
  | { readonly k: 'leaf'; readonly leaf: Leaf }
  | { readonly k: 'and' | 'or' | 'followedby'; readonly args: readonly WNode[] }
  | { readonly k: 'within'; readonly ms: number; readonly arg: WNode }
  | { readonly k: 'repeats'; readonly times: number; readonly arg: WNode }
  | { readonly k: 'startstop'; readonly start: number; readonly stop: number; readonly arg: WNode };

/** A set of observations satisfying (part of) a pattern: its time span and events. */
interface Instance {
  readonly first: number;
  readonly last: number;
  readonly events: readonly string[];
}

/** Observations kept per leaf, and instances per node: bounds on hostile or noisy patterns. */
export const MAX_SEEN_PER_LEAF = 64;
const MAX_INSTANCES = 256;


/**
 * STIX indicators on the live event stream. Patterns of one observation whose comparisons
 * are equalities (or IN sets) joined by OR — nearly every indicator a sharing community
 * exchanges — are compiled into one hash table keyed by (object path, value): an event costs
 * one lookup per value it shows, however many indicators are loaded. CIDR blocks go into a
 * table per prefix length. Other one-observation patterns are evaluated on each event;
 * patterns over several observations (AND, OR, FOLLOWEDBY between `[…]`, WITHIN, REPEATS,
 * START/STOP) keep the recent observations of each part and are judged as events arrive.
 */
export class IndicatorMatcher {
  readonly name = 'stix-indicators';
  /**
   * Object path → value → indicators. An event is only asked for the paths held; a value is
   * looked up as it stands, without building a key string per value.
   */
  private readonly exact = new Map<string, ExactPath>();
  /**
   * `family/prefix length` → masked network → indicators. IPv4 networks are keyed by their
   * 32-bit number, so an event's address is parsed once and masked with integer arithmetic.
   */
  private readonly cidr = new Map<string, CidrTable>();
  /** The same tables as lists, for the per-event loops (no Map iterator per event). */
  private readonly exactList: ExactPath[] = [];
  private readonly cidrList: CidrTable[] = [];
  private readonly single: { c: Compiled; test: ComparisonTest; types: readonly string[] }[] = [];
  /** Object types some loaded pattern names: the only ones an event is asked for. */
  private readonly types = new Set<string>();
  /** Some pattern reads a file's name (or more than its hashes). */
  private fileNames = false;
  /** What an event's observation needs, from `types` and `fileNames`. */
  private wants = observeWants(new Set());
  private readonly windowed: Windowed[] = [];
  /** Reused per event (match is not re-entered). */
  private readonly hits = new Hits();
  private readonly observed = new Map<string, StixObject[]>();
  readonly problems: ItemProblem[] = [];
  private count = 0;

  constructor(indicators: readonly PatternIndicator[] = []) {
    for (const i of indicators) this.add(i);
  }

  get size(): number {
    return this.count;
  }

  /** Numbers for the console and benchmarks. */
  stats(): { hashed: number; evaluated: number; windowed: number } {
    let hashed = 0;
    for (const p of this.exact.values()) for (const list of p.values.values()) hashed += list.length;
    for (const t of this.cidr.values()) for (const list of t.nets.values()) hashed += list.length;
    return { hashed, evaluated: this.single.length, windowed: this.windowed.length };
  }

  /** Adds an indicator; a pattern that does not parse is a problem naming the indicator, not an exception. */
  add(indicator: PatternIndicator): boolean {
    let root: Observation;
    try {
      root = canonical(parsePattern(indicator.pattern).root);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.problems.push({ where: indicator.id, reason: err.message });
      return false;
    }
    const c: Compiled = {
      indicator,
      fromMs: indicator.validFrom ? Date.parse(indicator.validFrom) || -Infinity : -Infinity,
      untilMs: indicator.validUntil ? Date.parse(indicator.validUntil) || Infinity : Infinity,
    };
    try {
      if (root.k === 'observe') {
        const keys = root.comparison ? equalityKeys(root.comparison) : null;
        if (keys) for (const k of keys) this.file(k, c);
        else this.single.push({ c, test: compileComparison(root.comparison), types: [...typesOf(root.comparison)] });
      } else {
        const leaves: Leaf[] = [];
        const node = this.windowNode(root, leaves);
        this.windowed.push({ ...c, root: node, leaves });
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.problems.push({ where: indicator.id, reason: err.message });
      return false;
    }
    const known = { types: this.types.size, fileNames: this.fileNames };
    for (const t of typesOfObservation(root)) this.types.add(t);
    // Files are only worth building without hashes when a pattern looks at more than hashes.
    if (!this.fileNames && pathsOfObservation(root).some((p) => p.type === 'file' && !(p.steps[0] !== undefined && 'prop' in p.steps[0] && p.steps[0].prop === 'hashes'))) this.fileNames = true;
    if (this.types.size !== known.types || this.fileNames !== known.fileNames) this.wants = observeWants(this.types, { fileNames: this.fileNames });
    this.count++;
    return true;
  }

  private windowNode(o: Observation, leaves: Leaf[]): WNode {
    switch (o.k) {
      case 'observe': {
        const leaf: Leaf = { test: compileComparison(o.comparison), seen: [] };
        leaves.push(leaf);
        return { k: 'leaf', leaf };
      }
      case 'and':
      case 'or':
      case 'followedby':
        return { k: o.k, args: o.args.map((a) => this.windowNode(a, leaves)) };
      case 'within':
        return { k: 'within', ms: o.seconds * 1000, arg: this.windowNode(o.arg, leaves) };
      case 'repeats':
        return { k: 'repeats', times: o.times, arg: this.windowNode(o.arg, leaves) };
      case 'startstop':
        return { k: 'startstop', start: o.start, stop: o.stop, arg: this.windowNode(o.arg, leaves) };
    }
  }

  private file(key: { path: ObjectPath; value: string; cidr: boolean }, c: Compiled): void {
    if (key.cidr) {
      const [address, bits] = key.value.split('/');
      const family = isIP(address!);
      const slot = `${family}/${bits}`;
      let table = this.cidr.get(slot);
      if (!table) {
        this.cidr.set(slot, (table = { family, bits: Number(bits), mask: ipv4Mask(Number(bits)), nets: new Map(), filter: new KeyFilter() }));
        this.cidrList.push(table);
      }
      const m = table.nets;
      const net = family === 4 ? (ipv4Number(address!) & table.mask) >>> 0 : masked(address!, Number(bits), family);
      let list = m.get(net);
      if (!list) {
        m.set(net, (list = []));
        table.filter.add(net, () => m.keys());
      }
      list.push(c);
      return;
    }
    let p = this.exact.get(key.path.text);
    if (!p) {
      this.exact.set(key.path.text, (p = { path: key.path, folds: foldsCase(key.path), values: new Map(), filter: new KeyFilter() }));
      this.exactList.push(p);
    }
    let list = p.values.get(key.value);
    if (!list) {
      const values = p.values;
      values.set(key.value, (list = []));
      p.filter.add(key.value, () => values.keys());
    }
    if (!list.includes(c)) list.push(c);
  }

  /** The detections an event raises (an EventMatcher for the live detector). */
  match(e: MatchedEvent): Detection[] {
    if (this.count === 0) return NO_DETECTIONS;
    const observed = observeInto(this.observed, e.event, this.wants);
    if (observed.size === 0 && this.windowed.length === 0) return NO_DETECTIONS;
    // Most events hit nothing: the event's time is read only for a candidate.
    const hits = this.hits.reset(e);
    for (const p of this.exactList) {
      const objects = observed.get(p.path.type);
      if (objects === undefined) continue;
      for (const o of objects) lookUp(valueAtPath(o, p.path), p, hits);
    }
    if (this.cidrList.length > 0) {
      for (const type of ADDRESS_TYPES) {
        for (const o of observed.get(type) ?? NO_OBJECTS) {
          const address = String(o.value);
          // IPv4 text is parsed by hand (no regex, no strings): -1 when it is not a plain dotted quad.
          const v4 = type === 'ipv4-addr' ? ipv4Number(address) : -1;
          const family = v4 >= 0 ? 4 : type === 'ipv6-addr' ? isIP(address) : 0;
          if (family === 0) continue;
          for (const t of this.cidrList) {
            if (t.family !== family) continue;
            const net = family === 4 ? (v4 & t.mask) >>> 0 : masked(address, t.bits, family);
            if (!t.filter.has(net)) continue;
            const list = t.nets.get(net);
            if (list !== undefined) for (const c of list) hits.add(c);
          }
        }
      }
    }
    // A comparison can only hold when the event shows an object of a type it names.
    for (const s of this.single) if (s.types.some((t) => observed.has(t)) && s.test(observed)) hits.add(s.c);
    for (const w of this.windowed) {
      const timeMs = hits.timeMs();
      if (timeMs < w.fromMs || timeMs >= w.untilMs) continue;
      let touched = false;
      for (const leaf of w.leaves) {
        if (!leaf.test(observed)) continue;
        touched = true;
        leaf.seen.push({ timeMs, eventId: e.id });
        if (leaf.seen.length > MAX_SEEN_PER_LEAF) leaf.seen.shift();
      }
      if (!touched) continue;
      // Fires when a complete set of observations includes this event (so once per completion).
      const done = instances(w.root).find((i) => i.events.includes(e.id));
      if (done) {
        hits.add(w, done.events);
        // The observations that completed it are used up: the next hit needs new ones.
        for (const leaf of w.leaves) for (let k = leaf.seen.length - 1; k >= 0; k--) if (done.events.includes(leaf.seen[k]!.eventId)) leaf.seen.splice(k, 1);
      }
    }
    return hits.detections();
  }
}

const NO_DETECTIONS: Detection[] = [];
const NO_OBJECTS: readonly StixObject[] = [];
const ADDRESS_TYPES = ['ipv4-addr', 'ipv6-addr'] as const;

interface ExactPath {
  readonly path: ObjectPath;
  readonly folds: boolean;
  readonly values: Map<string, Compiled[]>;
  /** The keys of `values`: a value it rules out is not looked up (see KeyFilter). */
  readonly filter: KeyFilter;
}

/** The indicators one event hits, each once, in the order found; allocates only on a hit. */
class Hits {
  private found: Map<Compiled, readonly string[] | null> | null = null;
  private ms = Number.NaN;
  private e: MatchedEvent | null = null;

  reset(e: MatchedEvent): this {
    this.e = e;
    this.found = null;
    this.ms = Number.NaN;
    return this;
  }

  timeMs(): number {
    if (Number.isNaN(this.ms)) this.ms = eventTime(this.e!);
    return this.ms;
  }

  add(c: Compiled, related: readonly string[] | null = null): void {
    const t = this.timeMs();
    if (t < c.fromMs || t >= c.untilMs) return;
    this.found ??= new Map();
    if (!this.found.has(c)) this.found.set(c, related);
  }

  detections(): Detection[] {
    const found = this.found;
    const e = this.e!;
    this.e = null;
    if (found === null) return NO_DETECTIONS;
    this.found = null;
    const out: Detection[] = [];
    // A hit read the time already.
    for (const [c, related] of found) out.push(detectionOf(c.indicator, e, this.ms, related));
    return out;
  }
}

/** Looks up what an object shows at an exact path (a list: each member), as the table keys it. */
function lookUp(v: unknown, p: ExactPath, hits: Hits): void {
  if (Array.isArray(v)) {
    for (const x of v) lookUpOne(String(x), p, hits);
  } else if (typeof v === 'string') {
    lookUpOne(p.folds ? v.toLowerCase() : v, p, hits);
  } else if (typeof v === 'number') {
    lookUpOne(String(v), p, hits);
  }
}

function lookUpOne(v: string, p: ExactPath, hits: Hits): void {
  if (!p.filter.hasText(v)) return;
  const list = p.values.get(v);
  if (list !== undefined) for (const c of list) hits.add(c);
}

function valueAtPath(o: StixObject, path: ObjectPath): unknown {
  let v: unknown = o;
  for (const s of path.steps) {
    if (typeof v !== 'object' || v === null || !('prop' in s)) return undefined;
    v = (v as Record<string, unknown>)[s.prop];
  }
  return v;
}

function typesOf(c: Comparison): Set<string> {
  const paths: ObjectPath[] = [];
  pathsOf(c, paths);
  return new Set(paths.map((p) => p.type));
}

function pathsOf(c: Comparison, out: ObjectPath[]): void {
  switch (c.k) {
    case 'and':
    case 'or':
      for (const a of c.args) pathsOf(a, out);
      break;
    default:
      out.push(c.path);
  }
}

function pathsOfObservation(o: Observation, out: ObjectPath[] = []): ObjectPath[] {
  switch (o.k) {
    case 'observe':
      pathsOf(o.comparison, out);
      break;
    case 'and':
    case 'or':
    case 'followedby':
      for (const a of o.args) pathsOfObservation(a, out);
      break;
    default:
      pathsOfObservation(o.arg, out);
  }
  return out;
}

function typesOfObservation(o: Observation): Set<string> {
  return new Set(pathsOfObservation(o).map((p) => p.type));
}

function eventTime(e: MatchedEvent): number {
  const t = e.event['@timestamp'];
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? Date.parse(e.receivedAt) : ms;
}

function detectionOf(i: PatternIndicator, e: MatchedEvent, timeMs: number, related: readonly string[] | null): Detection {
  return {
    ruleId: `ioc:${i.id}`,
    ruleVersion: 1,
    ruleTitle: i.name ?? i.pattern.slice(0, 200),
    level: i.level ?? 'high',
    techniques: i.techniques ?? [],
    tactics: i.tactics ?? [],
    eventId: e.id,
    ...(related && related.length > 1 ? { relatedEventIds: related } : {}),
    at: new Date(timeMs).toISOString(),
    event: e.event,
    matchedFields: [i.pattern.slice(0, 500)],
  };
}

/** Instances of a node over the leaves' remembered observations (bounded). */
function instances(n: WNode): Instance[] {
  switch (n.k) {
    case 'leaf':
      return n.leaf.seen.map((s) => ({ first: s.timeMs, last: s.timeMs, events: [s.eventId] }));
    case 'or':
      return n.args.flatMap(instances).slice(-MAX_INSTANCES);
    case 'and':
    case 'followedby': {
      let acc = instances(n.args[0]!);
      for (const a of n.args.slice(1)) {
        const right = instances(a);
        const next: Instance[] = [];
        for (const x of acc) {
          for (const y of right) {
            if (n.k === 'followedby' && y.first < x.last) continue;
            if (y.events.some((id) => x.events.includes(id))) continue; // distinct observations
            next.push({ first: Math.min(x.first, y.first), last: Math.max(x.last, y.last), events: [...x.events, ...y.events] });
          }
        }
        acc = next.slice(-MAX_INSTANCES);
      }
      return acc;
    }
    case 'within':
      return instances(n.arg).filter((i) => i.last - i.first <= n.ms);
    case 'startstop':
      return instances(n.arg).filter((i) => i.first >= n.start && i.last < n.stop);
    case 'repeats': {
      // n disjoint instances, in time order: consecutive runs of the sorted list.
      const all = instances(n.arg).sort((a, b) => a.last - b.last);
      const out: Instance[] = [];
      for (let s = 0; s + n.times <= all.length; s++) {
        const group = all.slice(s, s + n.times);
        const ids = group.flatMap((g) => g.events);
        if (new Set(ids).size !== ids.length) continue;
        out.push({ first: Math.min(...group.map((g) => g.first)), last: Math.max(...group.map((g) => g.last)), events: ids });
      }
      return out.slice(-MAX_INSTANCES);
    }
  }
}

/**
 * The (path, value) keys of a comparison made only of `=` / IN tests joined by OR, or null.
 * Paths with list steps are left to the evaluator.
 */
function equalityKeys(c: Comparison): { path: ObjectPath; value: string; cidr: boolean }[] | null {
  if (c.k === 'or') {
    const out: { path: ObjectPath; value: string; cidr: boolean }[] = [];
    for (const a of c.args) {
      const k = equalityKeys(a);
      if (!k) return null;
      out.push(...k);
    }
    return out;
  }
  if (c.k !== 'test' || c.negated || (c.op !== '=' && c.op !== 'IN')) return null;
  if (c.path.steps.some((s) => 'index' in s)) return null;
  const literals = Array.isArray(c.value) ? (c.value as readonly Literal[]) : [c.value as Literal];
  const out: { path: ObjectPath; value: string; cidr: boolean }[] = [];
  const address = c.path.text === 'ipv4-addr:value' || c.path.text === 'ipv6-addr:value';
  for (const l of literals) {
    if (l.kind !== 'string' && l.kind !== 'int') return null;
    const value = String(l.value);
    if (address && value.includes('/')) {
      const [a, bits] = value.split('/');
      const family = isIP(a!);
      if (family === 0 || !/^\d+$/.test(bits!) || Number(bits) > (family === 4 ? 32 : 128)) return null;
      out.push({ path: c.path, value, cidr: true });
    } else {
      out.push({ path: c.path, value: address && isIP(value) === 6 ? value.toLowerCase() : value, cidr: false });
    }
  }
  return out;
}

interface CidrTable {
  readonly family: number;
  readonly bits: number;
  /** IPv4: the network mask as an unsigned 32-bit number. */
  readonly mask: number;
  /** IPv4 networks by number, IPv6 ones by `masked` text. */
  readonly nets: Map<number | string, Compiled[]>;
  readonly filter: KeyFilter;
}

function ipv4Mask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 for anything isIP would not
 * call IPv4 (a part out of range or with a leading zero, too few or many parts, a zone).
 */
export function ipv4Number(address: string): number {
  let out = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      out = out * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return out * 256 + part;
}

/** An address with its host bits cleared, as text keyed by family (the CIDR table's key). */
function masked(address: string, bits: number, family: number): string {
  const bytes = family === 4 ? address.split('.').map(Number) : ipv6Bytes(address);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out.push(bytes[i]! & ((0xff << (8 - keep)) & 0xff));
  }
  return out.join('.');
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const part = (s: string | undefined): number[] => (s ? s.split(':').flatMap((h) => (h.includes('.') ? [] : [Number.parseInt(h, 16)])) : []);
  const hi = part(head);
  const lo = part(tail);
  const words = tail === undefined ? hi : [...hi, ...Array(8 - hi.length - lo.length).fill(0), ...lo];
  return words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
}
