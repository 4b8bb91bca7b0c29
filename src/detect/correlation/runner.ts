import type { EventRecord } from '../../core/index.js';
import type { SigmaCorrelation } from '../sigma/types.js';
import type { Threshold } from './condition.js';
import { countedValues, groupOf, groupRecord } from './grouping.js';
import { newState, type GroupState, type Timed } from './state.js';
import type { BaseMatch, CorrelationHit } from './types.js';

/**
 * A hit of an inner correlation fed to the correlations that reference it. Its event is the
 * hit's group record: an outer correlation sees what a SIEM sees of an aggregation result,
 * the group-by fields (the spec: an outer rule only uses its own group-by).
 */
export class ChainedMatch implements BaseMatch {
  readonly ruleId: string | undefined;
  readonly ruleName: string | undefined;
  readonly event: EventRecord;
  readonly timeMs: number;

  constructor(readonly ref: CorrelationHit) {
    this.ruleId = ref.correlation.id;
    this.ruleName = ref.correlation.name;
    this.event = { ...ref.group };
    this.timeMs = ref.decidedMs;
  }
}

interface Group {
  readonly values: readonly string[];
  /** First match: where a closing window starts. */
  readonly startMs: number;
  lastMs: number;
  readonly state: GroupState;
}

export interface RunnerLimits {
  readonly maxGroups: number;
  readonly maxMatches: number;
}

/** One correlation's groups and windows. */
export class Runner {
  /**
   * Sliding windows: ordered by newest match (touched groups move to the back), so expiry
   * reads the front. Closing windows: ordered by start, so the next to close is the front.
   */
  private readonly groups = new Map<string, Group>();
  /** True when the condition can only be judged once a window closes. */
  readonly closing: boolean;
  dropped = 0;

  constructor(
    readonly correlation: SigmaCorrelation,
    private readonly threshold: Threshold,
    private readonly limits: RunnerLimits,
  ) {
    this.closing = !threshold.lowerOnly;
  }

  private get span(): number {
    return this.correlation.timespanMs;
  }

  /** A match at time t standing for `slots` of the rules list; a hit when gt/gte just came true. */
  accept(m: BaseMatch, t: number, slots: readonly number[]): CorrelationHit | null {
    const c = this.correlation;
    const key = groupOf(c, m);
    if (key === null) return null;
    const values = c.type === 'value_count' ? countedValues(c, m) : [];
    // A match without the counted field adds nothing and opens no window.
    if (c.type === 'value_count' && values.length === 0) return null;
    const g = this.groupFor(key.key, key.values, t);
    g.state.add({ t, m }, slots, values);
    g.lastMs = t;
    if (this.closing || !this.threshold.test(g.state.count())) return null;
    // The matches that made the hit are used up: the next hit needs a fresh set.
    this.groups.delete(key.key);
    return this.hit(g, g.state.earliest(), t);
  }

  private groupFor(key: string, values: readonly string[], t: number): Group {
    const g = this.groups.get(key);
    if (g === undefined) return this.open(key, values, t);
    if (!this.closing) {
      this.groups.delete(key);
      this.groups.set(key, g);
      g.state.evict(t - this.span);
    }
    return g;
  }

  private open(key: string, values: readonly string[], t: number): Group {
    if (this.groups.size >= this.limits.maxGroups) {
      const oldest = this.groups.keys().next();
      if (!oldest.done) this.groups.delete(oldest.value);
      this.dropped++;
    }
    const state = newState(this.correlation.type, {
      sliding: !this.closing,
      cap: this.limits.maxMatches,
      saturation: this.threshold.saturation,
      ruleCount: this.correlation.rules.length,
    });
    const g: Group = { values, startMs: t, lastMs: t, state };
    this.groups.set(key, g);
    return g;
  }

  /** When the oldest closing window ends (it closes once time passes that); Infinity if none. */
  nextDeadline(): number {
    if (!this.closing) return Number.POSITIVE_INFINITY;
    const first = this.groups.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.startMs + this.span;
  }

  /** Closes the oldest window and judges it. */
  closeNext(): CorrelationHit | null {
    const first = this.groups.entries().next();
    if (first.done) return null;
    const [key, g] = first.value;
    this.groups.delete(key);
    if (!this.threshold.test(g.state.count())) return null;
    return this.hit(g, g.startMs, g.startMs + this.span);
  }

  /** Sliding windows: drops groups whose newest match can no longer share a window with `now`. */
  expire(now: number): void {
    if (this.closing) return;
    for (const [key, g] of this.groups) {
      if (g.lastMs + this.span >= now) break;
      this.groups.delete(key);
    }
  }

  size(): number {
    let n = this.groups.size;
    for (const g of this.groups.values()) n += g.state.size();
    return n;
  }

  groupCount(): number {
    return this.groups.size;
  }

  private hit(g: Group, firstMs: number, decidedMs: number): CorrelationHit {
    const contributors = g.state.contributors();
    // An inner hit counts from when it became certain, but its own matches began earlier:
    // the hit spans them too.
    const innerFirst = contributors.map(({ m }) => (m instanceof ChainedMatch ? m.ref.firstMs : firstMs));
    return {
      correlation: this.correlation,
      group: groupRecord(this.correlation, g.values),
      firstMs: Math.min(firstMs, ...innerFirst),
      lastMs: g.lastMs,
      count: g.state.count(),
      matches: this.baseMatches(contributors),
      decidedMs,
    };
  }

  /** Inner hits are replaced by their own matches, so a hit always lists base matches. */
  private baseMatches(contributors: readonly Timed[]): BaseMatch[] {
    const out: BaseMatch[] = [];
    for (const { m } of contributors) {
      if (m instanceof ChainedMatch) out.push(...m.ref.matches);
      else out.push(m);
    }
    const chained = contributors.some((x) => x.m instanceof ChainedMatch);
    // Two inner correlations may share a base match: list it once, in time order.
    const sorted = chained ? [...new Set(out)].sort((a, b) => a.timeMs - b.timeMs) : out;
    return sorted.length > this.limits.maxMatches ? sorted.slice(-this.limits.maxMatches) : sorted;
  }
}
