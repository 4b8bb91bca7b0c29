import type { EventRecord, ItemProblem } from '../core/index.js';
import { InputError } from '../core/index.js';
import { attackFromTags, type AttackContext } from './attack/index.js';
import { deviceTarget, resolveLogsource, type LogsourceTarget } from './logsource/index.js';
import {
  compileDetection,
  matchedFields,
  alternativeCuts,
  requiredEquals,
  toClosure,
  type IndexAtom,
  type Pred,
} from './sigma/compile.js';
import { EventView, FieldTable } from './sigma/event-view.js';
import { specialize } from './sigma/specialize.js';
import { PlannedIndex, type PlanEntry } from './planned-index.js';
import { levelRank, type SigmaFilter, type SigmaLevel, type SigmaRule } from './sigma/types.js';

/** A rule the engine runs, with what alerts need to carry. */
export interface LoadedRule {
  /** Position in the engine, stable for one build. */
  readonly index: number;
  readonly rule: SigmaRule;
  readonly attack: AttackContext;
}

export interface EngineOptions {
  /** Evaluate every rule against every event, whatever its logsource says. */
  readonly ignoreLogsource?: boolean;
  /** Leave out rules below this level. */
  readonly minLevel?: SigmaLevel;
  /** Values for `|expand` placeholders. */
  readonly placeholders?: ReadonlyMap<string, readonly string[]>;
  /** Filter (meta) rules to apply to the rules they name. */
  readonly filters?: readonly SigmaFilter[];
  /** Build without the literal index (every rule of a logsource is tried): for tests and benchmarks. */
  readonly noIndex?: boolean;
  /**
   * Also run rules for network and application logsources (firewall, proxy, webserver, dns,
   * antivirus, vendor products) on ECS events from live device logs.
   */
  readonly devices?: boolean;
}

/** A rule compiled for one place in the logs (e.g. Sysmon 1, or Security 4688 with renames). */
export interface Variant {
  readonly id: number;
  readonly rule: LoadedRule;
  readonly pred: Pred;
  readonly test: (v: EventView) => boolean;
}

export interface BuildReport {
  readonly rules: number;
  /** Rules whose logsource maps to no Windows event log source: they never run (unless logsource is ignored). */
  readonly unmapped: { rule: SigmaRule; reason: string }[];
  readonly problems: ItemProblem[];
  /** How many variants run on every event of their bucket because no literal is known. */
  readonly unindexed: number;
}

const ANY = '*';

interface BucketEntry {
  readonly variant: Variant;
  /** Sets of literals one of which the event must hold, alternatives; none: test on every event of the bucket. */
  readonly cuts: readonly (readonly IndexAtom[])[];
}

function bucketKey(channel: string, eventId: string): string {
  return `${channel}\u0000${eventId}`;
}

/**
 * The detection engine. Rules are grouped by where their events live (channel and event
 * id, from the logsource mapping) and, within a group, indexed by the literal values they
 * require; an event is only tested against the rules it could match.
 */
export class SigmaEngine {
  readonly rules: LoadedRule[] = [];
  private readonly table = new FieldTable();
  private readonly view: EventView;
  /** Variants by where their events live: `channel\0eventId`, `*` for any. */
  private readonly buckets = new Map<string, BucketEntry[]>();
  /**
   * One index per combination of buckets an event falls in ((channel, id), (channel, *),
   * (*, id), (*, *)), built when first needed, so each field of an event is scanned once.
   */
  private readonly combined = new Map<string, PlannedIndex<Variant> | null>();
  /** Raw `Channel` + `EventID` of events seen → their combined index (bounded). */
  private readonly byEventKey = new Map<string, PlannedIndex<Variant> | null>();
  private readonly byChannel = new Map<string, Map<number | string, PlannedIndex<Variant> | null>>();
  private readonly variants: Variant[] = [];
  /** A rule's variants, by rule index (for explaining a match). */
  private readonly variantsOf: Variant[][] = [];
  private seenRule = new Int32Array(16);
  private gen = 0;
  /** Rule variants tested so far: events × rules actually evaluated (the index's saving). */
  tested = 0;

  private constructor(private readonly opts: EngineOptions) {
    this.view = new EventView(this.table);
  }

  static build(rules: readonly SigmaRule[], opts: EngineOptions = {}): { engine: SigmaEngine; report: BuildReport } {
    const engine = new SigmaEngine(opts);
    const report = engine.load(rules);
    return { engine, report };
  }

  private load(rules: readonly SigmaRule[]): BuildReport {
    const problems: ItemProblem[] = [];
    const unmapped: { rule: SigmaRule; reason: string }[] = [];
    const min = this.opts.minLevel ? levelRank(this.opts.minLevel) : 0;
    const pending = new Map<string, Variant[]>();
    for (const rule of rules) {
      if (levelRank(rule.level) < min) continue;
      const targets = this.targetsOf(rule);
      if (targets.kind === 'unmapped') {
        unmapped.push({ rule, reason: targets.reason });
        continue;
      }
      const loaded: LoadedRule = { index: this.rules.length, rule, attack: attackFromTags(rule.tags) };
      try {
        // All of a rule's variants compile, or none is kept.
        const variants = targets.targets.map((t) => this.compileVariant(loaded, t)).map((v, i) => ({ ...v, id: this.variants.length + i }));
        this.variants.push(...variants);
        this.variantsOf[loaded.index] = variants;
        this.rules.push(loaded);
        targets.targets.forEach((t, i) => this.place(t, variants[i]!, pending));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        problems.push({ where: err.where ?? `${rule.file}:${rule.line}`, reason: err.message.replace(`${err.where}: `, '') });
      }
    }
    let unindexed = 0;
    for (const [key, list] of pending) {
      const entries: BucketEntry[] = [];
      for (const v of list) {
        const cuts = this.opts.noIndex ? [] : alternativeCuts(v.pred);
        if (cuts.some((c) => c.length === 0)) continue; // can never match
        if (cuts.length === 0) unindexed++;
        entries.push({ variant: v, cuts });
      }
      this.buckets.set(key, entries);
    }
    this.seenRule = new Int32Array(this.rules.length + 1);
    return { rules: this.rules.length, unmapped, problems, unindexed };
  }

  private targetsOf(rule: SigmaRule): { kind: 'targets'; targets: LogsourceTarget[] } | { kind: 'unmapped'; reason: string } {
    if (this.opts.ignoreLogsource) return { kind: 'targets', targets: [anyTarget()] };
    const r = resolveLogsource(rule.logsource);
    if (r.kind === 'any') return { kind: 'targets', targets: [anyTarget()] };
    if (r.kind === 'unmapped' && this.opts.devices) {
      const device = deviceTarget(rule.logsource);
      if (device) return { kind: 'targets', targets: [device] };
    }
    return r;
  }

  private compileVariant(rule: LoadedRule, target: LogsourceTarget): Variant {
    const r = rule.rule;
    const opts = { table: this.table, fieldMap: target.fieldMap, placeholders: this.opts.placeholders };
    let pred = compileDetection(r.detection, r.conditions, r.conditionWhere, opts);
    const extra = Object.entries(target.conditions).map(([field, values]): Pred =>
      compileDetection(
        new Map([['c', { kind: 'map', items: [{ field, modifiers: [], values, where: r.conditionWhere }], where: r.conditionWhere }]]),
        ['c'],
        r.conditionWhere,
        { table: this.table },
      ),
    );
    const filters = (this.opts.filters ?? []).filter((f) => filterApplies(f, r));
    const filterPreds = filters.map((f) => compileDetection(f.detection, [f.condition], f.conditionWhere, opts));
    if (extra.length + filterPreds.length > 0) pred = { k: 'and', args: [pred, ...extra, ...filterPreds] };
    return { id: -1, rule, pred, test: toClosure(pred) };
  }

  private place(target: LogsourceTarget, variant: Variant, pending: Map<string, Variant[]>): void {
    const channels = target.channels.length > 0 ? target.channels.map((c) => c.toLowerCase()) : [ANY];
    // A rule for a whole channel that names its event ids in the detection is filed under
    // those ids, so events with other ids never see it.
    const pinned = target.eventIds.length === 0 ? requiredEquals(variant.pred, 'EventID') : null;
    const ids = target.eventIds.length > 0 ? target.eventIds.map(String) : pinned && pinned.every((x) => /^[0-9]+$/.test(x)) ? [...new Set(pinned)] : [ANY];
    for (const c of channels) {
      for (const id of ids) {
        const key = bucketKey(c, id);
        let list = pending.get(key);
        if (!list) pending.set(key, (list = []));
        list.push(variant);
      }
    }
  }

  /** The rules an event matches, in rule order. */
  match(event: EventRecord): LoadedRule[] {
    const view = this.view.reset(event);
    const channelValue = event.Channel;
    const idValue = event.EventID;
    const index = this.indexOf(
      typeof channelValue === 'string' ? channelValue : ANY,
      typeof idValue === 'number' || typeof idValue === 'string' ? idValue : ANY,
    );
    const gen = ++this.gen;
    const hits: LoadedRule[] = [];
    if (index === null) return hits;
    for (const v of index.always) this.tryVariant(v, view, gen, hits);
    const found = index.candidates(view);
    const ids = found.ids;
    for (let k = 0; k < found.n; k++) this.tryVariant(index.items[ids[k]!]!, view, gen, hits);
    if (hits.length > 1) hits.sort((a, b) => a.index - b.index);
    return hits;
  }

  private tryVariant(v: Variant, view: EventView, gen: number, hits: LoadedRule[]): void {
    const r = v.rule;
    if (this.seenRule[r.index] === gen) return;
    this.tested++;
    if (v.test(view)) {
      this.seenRule[r.index] = gen;
      hits.push(r);
    }
  }

  /** The index for an event's raw Channel and EventID, cached without building strings. */
  private indexOf(channel: string, eventId: number | string): PlannedIndex<Variant> | null {
    let byId = this.byChannel.get(channel);
    if (byId === undefined) {
      // Hostile input can invent endless channels and ids; the caches stay bounded.
      if (this.byChannel.size >= 4096) this.byChannel.clear();
      this.byChannel.set(channel, (byId = new Map()));
    }
    let index = byId.get(eventId);
    if (index === undefined) {
      if (byId.size >= 4096) byId.clear();
      index = this.indexFor(channel, String(eventId));
      byId.set(eventId, index);
    }
    return index;
  }

  private indexFor(channel: string, eventId: string): PlannedIndex<Variant> | null {
    const key = bucketKey(channel, eventId);
    let index = this.byEventKey.get(key);
    if (index !== undefined) return index;
    const ch = channel === ANY ? ANY : channel.toLowerCase();
    const keys = [bucketKey(ch, eventId), bucketKey(ch, ANY), bucketKey(ANY, eventId), bucketKey(ANY, ANY)];
    const present = [...new Set(keys)].filter((k) => this.buckets.has(k));
    // Rules name event ids; for an id some rule names, the index is built for that id alone
    // (see specialize), a finite set. Other ids share one index per channel.
    const pinnedId = eventId !== ANY && present.some((k) => k.endsWith(`\u0000${eventId}`)) ? eventId : null;
    const comboKey = present.join('\u0001') + (pinnedId === null ? '' : `\u0002${pinnedId}`);
    index = this.combined.get(comboKey);
    if (index === undefined) {
      index = present.length === 0 ? null : this.buildIndex(present, pinnedId);
      this.combined.set(comboKey, index);
    }
    // Hostile input can invent endless channels; the cache stays bounded, the combos are few.
    if (this.byEventKey.size >= 65_536) this.byEventKey.clear();
    this.byEventKey.set(key, index);
    return index;
  }

  private buildIndex(keys: readonly string[], eventId: string | null): PlannedIndex<Variant> {
    const entries: PlanEntry<Variant>[] = [];
    const seen = new Set<Variant>();
    for (const k of keys) {
      for (const e of this.buckets.get(k)!) {
        if (seen.has(e.variant)) continue;
        seen.add(e.variant);
        const pred = eventId === null || this.opts.noIndex ? e.variant.pred : specialize(e.variant.pred, 'EventID', eventId, this.table);
        if (pred === e.variant.pred) {
          entries.push({ item: e.variant, cuts: e.cuts });
          continue;
        }
        const cuts = alternativeCuts(pred);
        if (cuts.some((c) => c.length === 0)) continue; // needs another event id
        entries.push({ item: { ...e.variant, pred, test: toClosure(pred) }, cuts });
      }
    }
    return new PlannedIndex(this.table, entries);
  }

  /** The event fields whose tests held for a rule the event matched: the alert's "why". */
  explain(event: EventRecord, rule: LoadedRule): string[] {
    const view = this.view.reset(event);
    for (const v of this.variantsOf[rule.index] ?? []) {
      const out = new Set<string>();
      if (matchedFields(v.pred, view, out)) return [...out];
    }
    return [];
  }

  /** Forgets the field values remembered so far, as if no event had been seen. */
  forget(): void {
    for (const index of this.combined.values()) index?.forget();
  }

  /** Numbers for `rules check` and benchmarks. */
  stats(): { buckets: number; variants: number } {
    return { buckets: this.buckets.size, variants: this.variants.length };
  }
}

function anyTarget(): LogsourceTarget {
  return { channels: [], eventIds: [], fieldMap: {}, conditions: {} };
}

/** A filter applies to the rules it names (by id, name or title) when the logsource agrees. */
function filterApplies(f: SigmaFilter, r: SigmaRule): boolean {
  const named = f.rules.length === 0 || f.rules.some((x) => x === r.id || x === r.name || x === r.title);
  if (!named) return false;
  const a = f.logsource;
  const b = r.logsource;
  const same = (x?: string, y?: string): boolean => x === undefined || y === undefined || x.toLowerCase() === y.toLowerCase();
  return same(a.product, b.product) && same(a.category, b.category) && same(a.service, b.service);
}
