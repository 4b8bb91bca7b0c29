/**
 * Sigma correlation rules (specification v2: event_count, value_count, temporal,
 * temporal_ordered) over a stream of base-rule matches.
 *
 * Decisions where the specification leaves room:
 * - Time: matches come in non-decreasing timeMs. A late one is processed as if it arrived
 *   at the newest time seen (counted in stats().lateMatches), so a live feed with a little
 *   disorder keeps working; one without a finite time is skipped.
 * - The timespan is inclusive: matches exactly `timespan` apart share a window, 1 ms more
 *   do not.
 * - Conditions with only gt/gte (and temporal rules without condition, which need every
 *   listed rule): a sliding window ending at each match, as the spec asks for no fixed
 *   boundaries. The match that makes the condition true emits the hit at once, and the
 *   group's matches are used up, so 30 matches with gte: 10 make 3 hits, not 21.
 * - Any lt, lte, eq or neq (alone or in a range with gt/gte) can only be decided when no
 *   more matches can join: a window opens at a group's first match, takes matches up to
 *   first + timespan, and is judged once time passes its end (a later push, advance() or
 *   flush()). The next match opens the next window. A group without matches has no window,
 *   so `lt: 5` means 1 to 4 matches, never 0.
 * - Counts: event_count counts matches; value_count distinct values of condition.field
 *   (each element of a list is a value; matches without the field are ignored); temporal
 *   the distinct listed rules seen; temporal_ordered the longest run of listed rules seen in
 *   list order (a subsequence, so the default "all rules" means the whole sequence; matches
 *   with equal times go by arrival order).
 * - group-by: a match whose group-by field is absent or null takes no part in that
 *   correlation (SIEM group-bys drop null keys). Values compare as exact text.
 * - Aliases resolve per match by its rule's name, then id; a rule the alias does not map
 *   reads the alias name as a plain field. condition.field may be an alias too.
 * - Chaining: a correlation referenced (by id or name) by another feeds it its hits, as a
 *   match whose event is the hit's group record, at the time the hit became certain
 *   (decidedMs). A reference naming both a correlation and a base rule means the correlation.
 *   Hits of a correlation referenced only by correlations with generate: false are not
 *   returned (the spec alerts on the outermost rule by default); for base rules the caller
 *   asks raisesOwnAlerts(). An outer hit lists the inner hits' base matches, and its firstMs
 *   is the earliest of them.
 * - Correlations that cannot run (no comparison, impossible condition, zero timespan,
 *   duplicate id/name, loops, or depending on such) are left out and listed in `problems`;
 *   the rest run.
 * - Memory: a group holds fewer timestamps (event_count) or values (value_count) than the
 *   condition's bound + 1 (closing windows count past it without storing), and at most
 *   rules² runs (temporal_ordered); groups go once their newest match is older than the
 *   timespan or their window closes; at most maxGroups (100 000) groups per correlation, the
 *   least recent dropped first (stats().droppedGroups); a hit keeps the newest 100 matches.
 */
import type { ItemProblem } from '../../core/index.js';
import type { SigmaCorrelation } from '../sigma/types.js';
import { planCorrelations, type Plan } from './plan.js';
import { ChainedMatch, Runner } from './runner.js';
import type { BaseMatch, CorrelationHit, EngineOptions, EngineStats } from './types.js';

const DEFAULT_MAX_GROUPS = 100_000;
const DEFAULT_MAX_MATCHES = 100;

export class CorrelationEngine {
  /** Rule ids/names the correlations need matches of (so the caller only feeds those). */
  readonly referencedRules: ReadonlySet<string>;
  /** Correlations left out, with where (file:line) and why. */
  readonly problems: readonly ItemProblem[];
  private readonly plan: Plan;
  private readonly runners: Runner[];
  private readonly closing: Runner[];
  private now = Number.NEGATIVE_INFINITY;
  private late = 0;
  private skipped = 0;

  constructor(correlations: readonly SigmaCorrelation[], options: EngineOptions = {}) {
    this.plan = planCorrelations(correlations);
    const limits = {
      maxGroups: Math.max(1, options.maxGroups ?? DEFAULT_MAX_GROUPS),
      maxMatches: Math.max(1, options.maxMatches ?? DEFAULT_MAX_MATCHES),
    };
    this.runners = this.plan.correlations.map((c, i) => new Runner(c, this.plan.thresholds[i]!, limits));
    this.closing = this.runners.filter((r) => r.closing);
    this.referencedRules = new Set(this.plan.baseRoutes.keys());
    this.problems = this.plan.problems;
  }

  /** Feed matches in non-decreasing timeMs order (streaming). Returns hits that became certain now. */
  push(m: BaseMatch): CorrelationHit[] {
    if (!Number.isFinite(m.timeMs)) {
      this.skipped++;
      return [];
    }
    if (m.timeMs < this.now) this.late++;
    const t = Math.max(m.timeMs, this.now);
    const out = this.advanceTo(t);
    for (const [idx, slots] of this.routesOf(m)) this.feed(idx, m, t, slots, out);
    return out;
  }

  /** Advance time without a match (closes windows for lt/lte/eq/neq conditions). */
  advance(nowMs: number): CorrelationHit[] {
    return nowMs > this.now && nowMs !== Number.POSITIVE_INFINITY ? this.advanceTo(nowMs) : [];
  }

  /** End of input: judges every open window and forgets everything. Time stays where it was. */
  flush(): CorrelationHit[] {
    const out: CorrelationHit[] = [];
    this.closeBefore(Number.POSITIVE_INFINITY, out);
    for (const r of this.runners) r.expire(Number.POSITIVE_INFINITY);
    return out;
  }

  /**
   * Whether a base rule's own matches should alert: not when every correlation that refers
   * to it (by id or name) has generate: false.
   */
  raisesOwnAlerts(ruleId?: string, ruleName?: string): boolean {
    const flags = [ruleId, ruleName].flatMap((k) => (k === undefined ? [] : this.plan.baseGenerate.get(k) ?? []));
    return flags.length === 0 || flags.some((g) => g);
  }

  /** Entries held (groups and their contents); stays bounded on an endless stream. */
  stateSize(): number {
    return this.runners.reduce((n, r) => n + r.size(), 0);
  }

  stats(): EngineStats {
    return {
      groups: this.runners.reduce((n, r) => n + r.groupCount(), 0),
      entries: this.stateSize(),
      droppedGroups: this.runners.reduce((n, r) => n + r.dropped, 0),
      lateMatches: this.late,
      skippedMatches: this.skipped,
    };
  }

  private advanceTo(now: number): CorrelationHit[] {
    const out: CorrelationHit[] = [];
    this.closeBefore(now, out);
    for (const r of this.runners) r.expire(now);
    this.now = now;
    return out;
  }

  /**
   * Closes every window that ends before `now`, earliest first across all correlations
   * (inner first on ties), so hits reach outer correlations in time order.
   */
  private closeBefore(now: number, out: CorrelationHit[]): void {
    for (;;) {
      let next: Runner | undefined;
      let at = now;
      for (const r of this.closing) {
        const d = r.nextDeadline();
        if (d < at) {
          next = r;
          at = d;
        }
      }
      if (next === undefined) return;
      const hit = next.closeNext();
      if (hit !== null) this.deliver(this.runners.indexOf(next), hit, out);
    }
  }

  private feed(idx: number, m: BaseMatch, t: number, slots: readonly number[], out: CorrelationHit[]): void {
    const hit = this.runners[idx]!.accept(m, t, slots);
    if (hit !== null) this.deliver(idx, hit, out);
  }

  private deliver(idx: number, hit: CorrelationHit, out: CorrelationHit[]): void {
    if (!this.plan.silent[idx]) out.push(hit);
    const outers = this.plan.outers[idx]!;
    if (outers.length === 0) return;
    const chained = new ChainedMatch(hit);
    for (const [o, slots] of bySlots(outers)) this.feed(o, chained, hit.decidedMs, slots, out);
  }

  /** Runner → the slots a base match stands for, via its id and its name. */
  private routesOf(m: BaseMatch): Array<[number, number[]]> {
    const routes = [m.ruleId, m.ruleName].flatMap((k) => (k === undefined ? [] : this.plan.baseRoutes.get(k) ?? []));
    return bySlots(routes);
  }
}

function bySlots(routes: readonly { idx: number; slot: number }[]): Array<[number, number[]]> {
  const out = new Map<number, number[]>();
  for (const { idx, slot } of routes) {
    const slots = out.get(idx);
    if (slots === undefined) out.set(idx, [slot]);
    else if (!slots.includes(slot)) slots.push(slot);
  }
  // Runner order is inner-before-outer: keep it, whatever order the routes came in.
  return [...out].sort(([a], [b]) => a - b);
}

/** Batch helper for files: sorts by time (stable) then streams, and flushes at the end. */
export function correlate(correlations: readonly SigmaCorrelation[], matches: readonly BaseMatch[], options?: EngineOptions): CorrelationHit[] {
  const engine = new CorrelationEngine(correlations, options);
  const sorted = matches.filter((m) => Number.isFinite(m.timeMs)).sort((a, b) => a.timeMs - b.timeMs);
  const out: CorrelationHit[] = [];
  for (const m of sorted) for (const hit of engine.push(m)) out.push(hit);
  for (const hit of engine.flush()) out.push(hit);
  return out;
}
