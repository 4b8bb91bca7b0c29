import { InputError } from '../../core/index.js';
import { compileComparison, type ComparisonTest } from './evaluate.js';
import type { Observed, StixObject } from './observe.js';
import { canonical, HASH_NAMES } from './canonical.js';
import type { Observation, Pattern } from './types.js';

/**
 * One observation as STIX 2.1 observed-data gives it: the objects seen, the window they were
 * seen in, and how often. `number_observed` n makes it n observations of the same objects.
 */
export interface TimedObservation {
  /** `first_observed` and `last_observed`, ms since the epoch (first <= last). */
  readonly first: number;
  readonly last: number;
  /** `number_observed`. */
  readonly count: number;
  readonly observed: Observed;
}

/** Combinations of observations tried (about) per pattern before giving up with an error: hostile or huge input. */
export const MAX_MATCH_WORK = 1_000_000;

/**
 * Whether a whole STIX pattern matches a batch of timed observations (STIX 2.1 part 9): some
 * set of distinct observations satisfies it. An observation is the interval [first, last], and
 * a qualifier holds only when it holds wherever in those intervals the observations really
 * happened, so no match is claimed that the times do not prove (the OASIS reference matcher,
 * cti-pattern-matcher, is content when some instants inside the intervals would fit):
 * - `A AND B`, `A FOLLOWEDBY B`: distinct observations (an observed-data counts
 *   `number_observed` times); FOLLOWEDBY: every observation of A ends no later than any of B begins;
 * - `REPEATS n TIMES`: n distinct sets of observations, each satisfying the expression;
 * - `WITHIN s SECONDS`: from the earliest `first` to the latest `last` of the observations used is at most s;
 * - `START t1 STOP t2`: each observation used lies in [t1, t2).
 * Comparisons inside `[…]` follow `compileComparison`; hash names and hash and domain values are
 * compared as the live matcher compares them (`file:hashes.md5` is `file:hashes.'MD5'`).
 * @throws InputError `STIX_PATTERN` for a regex or CIDR the evaluator refuses, and
 *   `STIX_PATTERN_COST` past MAX_MATCH_WORK combinations.
 * @example matchPattern(parsePattern("[file:name = 'a'] REPEATS 2 TIMES"), observationsFromStix(objects))
 */
export function matchPattern(pattern: Pattern, observations: readonly TimedObservation[]): boolean {
  return new BatchMatch(observations).bindings(compile(canonical(pattern.root)), false).length > 0;
}

// ---- evaluation: the sets of observations ("bindings") that satisfy each node ----

type Node =
  | { readonly k: 'leaf'; readonly test: ComparisonTest }
  | { readonly k: 'and' | 'or' | 'followedby'; readonly args: readonly Node[] }
  | { readonly k: 'within'; readonly ms: number; readonly arg: Node }
  | { readonly k: 'repeats'; readonly times: number; readonly arg: Node }
  | { readonly k: 'startstop'; readonly start: number; readonly stop: number; readonly arg: Node };

interface Binding {
  readonly first: number;
  readonly last: number;
  /** Pairs (observation index, how many of its `count` used), flat and by index: [i, n, j, m…]. */
  readonly uses: readonly number[];
  /** `uses` as text, to drop duplicates. */
  readonly key: string;
}

function compile(o: Observation): Node {
  switch (o.k) {
    case 'observe':
      return { k: 'leaf', test: compileComparison(o.comparison) };
    case 'and':
    case 'or':
    case 'followedby':
      return { k: o.k, args: o.args.map(compile) };
    case 'within':
      return { k: 'within', ms: o.seconds * 1000, arg: compile(o.arg) };
    case 'repeats':
      return { k: 'repeats', times: o.times, arg: compile(o.arg) };
    case 'startstop':
      return { k: 'startstop', start: o.start, stop: o.stop, arg: compile(o.arg) };
  }
}

class BatchMatch {
  private work = 0;

  constructor(private readonly obs: readonly TimedObservation[]) {}

  private spend(units: number): void {
    this.work += units;
    if (this.work > MAX_MATCH_WORK) {
      throw new InputError('STIX_PATTERN_COST', `matching needs more than ${MAX_MATCH_WORK} combinations of these ${this.obs.length} observations; send fewer observations per pattern`);
    }
  }

  /**
   * The bindings of a node. `shared`: an ancestor (AND, FOLLOWEDBY, REPEATS) joins them with
   * other bindings, so which observations they use matters, not only when.
   */
  bindings(n: Node, shared: boolean): Binding[] {
    switch (n.k) {
      case 'leaf': {
        const out: Binding[] = [];
        this.obs.forEach((o, i) => {
          if (o.count >= 1 && n.test(o.observed)) out.push({ first: o.first, last: o.last, uses: [i, 1], key: `${i},1` });
        });
        this.spend(this.obs.length);
        return prune(out, shared);
      }
      case 'or':
        return prune(n.args.flatMap((a) => this.bindings(a, shared)), shared);
      case 'and':
      case 'followedby': {
        let acc = this.bindings(n.args[0]!, true);
        for (const a of n.args.slice(1)) {
          const right = this.bindings(a, true);
          const next: Binding[] = [];
          for (const x of acc) {
            for (const y of right) {
              if (n.k === 'followedby' && x.last > y.first) continue;
              const c = this.join(x, y);
              if (c) next.push(c);
            }
          }
          acc = prune(next, true);
        }
        return prune(acc, shared);
      }
      case 'within':
        return this.bindings(n.arg, shared).filter((b) => b.last - b.first <= n.ms);
      case 'startstop':
        return this.bindings(n.arg, shared).filter((b) => b.first >= n.start && b.last < n.stop);
      case 'repeats':
        return this.repeats(this.bindings(n.arg, true), n.times, shared);
    }
  }

  /** x and y together, if the observations they use are available that many times. */
  private join(x: Binding, y: Binding): Binding | null {
    const a = x.uses;
    const b = y.uses;
    this.spend(1 + (a.length + b.length) / 2);
    const uses: number[] = [];
    let p = 0;
    let q = 0;
    while (p < a.length || q < b.length) {
      if (q >= b.length || (p < a.length && a[p]! < b[q]!)) {
        uses.push(a[p]!, a[p + 1]!);
        p += 2;
      } else if (p >= a.length || b[q]! < a[p]!) {
        uses.push(b[q]!, b[q + 1]!);
        q += 2;
      } else {
        const total = a[p + 1]! + b[q + 1]!;
        if (total > this.obs[a[p]!]!.count) return null;
        uses.push(a[p]!, total);
        p += 2;
        q += 2;
      }
    }
    return { first: Math.min(x.first, y.first), last: Math.max(x.last, y.last), uses, key: uses.join(',') };
  }

  private repeats(child: Binding[], times: number, shared: boolean): Binding[] {
    if (times === 1 || child.length === 0) return prune(child, shared);
    // Each binding uses at least one observation: too few observations in all, no repeats.
    const seen = new Set(child.flatMap((b) => b.uses.filter((_, k) => k % 2 === 0)));
    let capacity = 0;
    for (const i of seen) capacity += this.obs[i]!.count;
    if (capacity < times) return [];
    if (!shared && child.every((b) => b.uses.length === 2 && b.uses[1] === 1)) return this.tightest(child, times);
    // Sets of k, then k + 1 …: pruning each level by dominance keeps a dominating set of every size.
    let level = child;
    for (let k = 2; k <= times && level.length > 0; k++) {
      const next: Binding[] = [];
      for (const p of level) {
        for (const c of child) {
          const j = this.join(p, c);
          if (j) next.push(j);
        }
      }
      level = prune(next, true);
    }
    return prune(level, shared);
  }

  /**
   * REPEATS n of single observations when only the times matter (no ancestor joins the result,
   * so its bindings carry spans, not uses). For each start, from the latest back, the n uses
   * that end soonest among those starting no earlier: every other choice spans at least as long
   * as one of these, so nothing a qualifier above could accept is lost. O(m log m).
   */
  private tightest(child: Binding[], times: number): Binding[] {
    const byStart = child.map((b) => this.obs[b.uses[0]!]!).sort((a, b) => b.first - a.first);
    const chosen = new MaxHeap();
    let total = 0;
    const out: Binding[] = [];
    for (let k = 0; k < byStart.length; k++) {
      this.spend(1);
      const o = byStart[k]!;
      chosen.push({ last: o.last, take: o.count });
      total += o.count;
      // Give back uses from the latest ends until exactly n remain: those never come back.
      while (total > times) {
        const top = chosen.peek()!;
        const give = Math.min(top.take, total - times);
        top.take -= give;
        total -= give;
        if (top.take === 0) chosen.pop();
      }
      const next = byStart[k + 1];
      if (total === times && (next === undefined || next.first < o.first)) {
        const last = chosen.peek()!.last;
        out.push({ first: o.first, last, uses: [], key: `${o.first}~${last}` });
      }
    }
    return prune(out, false);
  }
}

/** The chosen uses of `tightest`, latest end on top. */
class MaxHeap {
  private readonly items: { last: number; take: number }[] = [];

  peek(): { last: number; take: number } | undefined {
    return this.items[0];
  }

  push(item: { last: number; take: number }): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up]!.last >= a[i]!.last) break;
      [a[up], a[i]] = [a[i]!, a[up]!];
      i = up;
    }
  }

  pop(): void {
    const a = this.items;
    const end = a.pop()!;
    if (a.length === 0) return;
    a[0] = end;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let big = i;
      if (l < a.length && a[l]!.last > a[big]!.last) big = l;
      if (r < a.length && a[r]!.last > a[big]!.last) big = r;
      if (big === i) return;
      [a[big], a[i]] = [a[i]!, a[big]!];
      i = big;
    }
  }
}

/** Drops duplicates and bindings another one beats on every count (see `dominates`). */
function prune(list: Binding[], shared: boolean): Binding[] {
  const unique = [...new Map(list.map((b) => [b.key, b])).values()];
  if (!shared) {
    // Only the span matters: keep the spans that hold no other span.
    unique.sort((a, b) => b.first - a.first || a.last - b.last);
    const out: Binding[] = [];
    let minLast = Infinity;
    for (const b of unique) {
      if (b.last < minLast) {
        out.push(b);
        minLast = b.last;
      }
    }
    return out;
  }
  if (unique.length > 500) return unique;
  return unique.filter((b) => !unique.some((a) => a !== b && dominates(a, b)));
}

/**
 * `a` spans within `b` and uses no more than `b`: wherever `b` completes a match, `a` does too
 * (every qualifier and FOLLOWEDBY only ask spans to be short, late or early enough).
 */
function dominates(a: Binding, b: Binding): boolean {
  if (a.first < b.first || a.last > b.last || a.uses.length > b.uses.length) return false;
  let q = 0;
  for (let p = 0; p < a.uses.length; p += 2) {
    while (q < b.uses.length && b.uses[q]! < a.uses[p]!) q += 2;
    if (q >= b.uses.length || b.uses[q] !== a.uses[p] || b.uses[q + 1]! < a.uses[p + 1]!) return false;
  }
  return true;
}

// ---- observed-data and their SCOs → timed observations ----

const STIX_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const SRO_REF = /^(relationship|sighting)--/;
type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The observations in a list of STIX 2.1 objects: each observed-data SDO is one (×
 * `number_observed`), showing the SCOs its `object_refs` name (found in the same list) or those
 * of its deprecated `objects` dictionary. `_ref`/`_refs` properties of the SCOs are replaced
 * by the objects they name, so paths such as `network-traffic:dst_ref.value` reach them.
 * Other objects (identities, sightings, indicators…) are ignored, so a bundle's `objects` will do.
 * @throws InputError `STIX_OBSERVED` naming the object and what is wrong with it.
 */
export function observationsFromStix(objects: readonly unknown[]): TimedObservation[] {
  const named = new Map<string, Json>();
  objects.forEach((o, i) => {
    if (!isObject(o) || typeof o.type !== 'string') throw new InputError('STIX_OBSERVED', `observed[${i}] is not a STIX object (an object with a type)`);
    if (o.type !== 'observed-data' && typeof o.id === 'string') named.set(o.id, o);
  });
  const linked = link(named);
  const out: TimedObservation[] = [];
  objects.forEach((o, i) => {
    const sdo = o as Json;
    if (sdo.type !== 'observed-data') return;
    const where = `observed[${i}]${typeof sdo.id === 'string' ? ` (${sdo.id})` : ''}`;
    const fail = (why: string): never => {
      throw new InputError('STIX_OBSERVED', `${where}: ${why}`);
    };
    const first = timestamp(sdo.first_observed, 'first_observed', fail);
    const last = timestamp(sdo.last_observed, 'last_observed', fail);
    if (last < first) fail(`last_observed ${String(sdo.last_observed)} is before first_observed ${String(sdo.first_observed)}`);
    const count = sdo.number_observed;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 999_999_999) fail('number_observed must be a whole number from 1 to 999,999,999');
    out.push({ first, last, count: count as number, observed: byType(rootsOf(sdo, linked, fail)) });
  });
  return out;
}

function timestamp(v: unknown, name: string, fail: (why: string) => never): number {
  if (v === undefined) return fail(`${name} is missing`);
  const ms = typeof v === 'string' && STIX_TIMESTAMP.test(v) ? Date.parse(v) : NaN;
  // Date.parse rolls 2017-02-30 over to March: the round trip catches it.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== (v as string).slice(0, 19)) {
    return fail(`${name} ${JSON.stringify(v)} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)`);
  }
  return ms;
}

function rootsOf(sdo: Json, linked: ReadonlyMap<string, StixObject>, fail: (why: string) => never): StixObject[] {
  const refs = sdo.object_refs;
  const dict = sdo.objects;
  if (refs !== undefined && dict !== undefined) return fail('has both object_refs and objects; STIX 2.1 allows one');
  if (refs !== undefined) {
    if (!Array.isArray(refs) || refs.length === 0 || !refs.every((r) => typeof r === 'string')) return fail('object_refs must be a non-empty list of ids');
    const out: StixObject[] = [];
    for (const id of refs as string[]) {
      if (SRO_REF.test(id)) continue;
      const o = linked.get(id);
      if (!o) return fail(`object_refs names ${id}, which is not in observed`);
      out.push(o);
    }
    return out;
  }
  if (!isObject(dict) || Object.keys(dict).length === 0) return fail('has neither object_refs nor a non-empty objects dictionary');
  const local = new Map<string, Json>();
  for (const [k, v] of Object.entries(dict)) {
    if (!isObject(v) || typeof v.type !== 'string') return fail(`objects.${k} is not a cyber-observable object (an object with a type)`);
    local.set(k, v);
  }
  return [...link(local).values()];
}

function byType(objects: readonly StixObject[]): Observed {
  const out = new Map<string, StixObject[]>();
  for (const o of objects) {
    const list = out.get(o.type);
    if (list) list.push(o);
    else out.set(o.type, [o]);
  }
  return out;
}

interface Fixup {
  readonly holder: Json;
  readonly key: string;
  readonly ids: string | readonly string[];
}

/** Copies of the objects with their references replaced by the copies they name (cycles allowed). */
function link(source: ReadonlyMap<string, Json>): Map<string, StixObject> {
  const fixups: Fixup[] = [];
  const copies = new Map<string, StixObject>();
  for (const [id, o] of source) copies.set(id, copy(o, fixups) as StixObject);
  for (const f of fixups) {
    // A reference to something not given stays the id it was.
    f.holder[f.key] = typeof f.ids === 'string' ? copies.get(f.ids) ?? f.ids : f.ids.map((id) => copies.get(id) ?? id);
  }
  for (const o of copies.values()) {
    if (o.type === 'domain-name' && typeof o.value === 'string') o.value = o.value.toLowerCase().replace(/\.$/, '');
  }
  return copies;
}

function copy(v: unknown, fixups: Fixup[]): unknown {
  if (Array.isArray(v)) return v.map((x) => copy(x, fixups));
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.endsWith('_ref') && typeof x === 'string') {
      out[k] = x;
      fixups.push({ holder: out, key: k, ids: x });
    } else if (k.endsWith('_refs') && Array.isArray(x) && x.every((r) => typeof r === 'string')) {
      out[k] = x;
      fixups.push({ holder: out, key: k, ids: x as string[] });
    } else if (k === 'hashes' && isObject(x)) {
      out[k] = Object.fromEntries(Object.entries(x).map(([name, h]) => [HASH_NAMES[name.toLowerCase()] ?? name, typeof h === 'string' ? h.toLowerCase() : h]));
    } else {
      out[k] = copy(x, fixups);
    }
  }
  return out;
}

