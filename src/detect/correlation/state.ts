import type { CorrelationType } from '../sigma/types.js';
import type { BaseMatch } from './types.js';

/** A match at the time the engine placed it (late arrivals are moved up to "now"). */
export interface Timed {
  readonly t: number;
  readonly m: BaseMatch;
}

/** What one group of one correlation remembers. */
export interface GroupState {
  /** slots: positions in `rules` the match stands for; values: value_count's values. */
  add(x: Timed, slots: readonly number[], values: readonly string[]): void;
  /** Forgets contributions before cutoff (sliding windows only). */
  evict(cutoff: number): void;
  count(): number;
  /** Time of the oldest contribution to the current count. */
  earliest(): number;
  /** The matches behind the current count, oldest first (event_count: the newest `cap`). */
  contributors(): Timed[];
  /** Entries held, for the memory bound. */
  size(): number;
}

export interface StateOptions {
  /** Sliding windows need per-match timestamps to evict; closing windows only counts. */
  readonly sliding: boolean;
  /** Matches kept for the hit. */
  readonly cap: number;
  /** value_count in a closing window: distinct values worth storing (see Threshold.saturation). */
  readonly saturation: number;
  readonly ruleCount: number;
}

export function newState(type: CorrelationType, o: StateOptions): GroupState {
  switch (type) {
    case 'event_count':
      return new EventCountState(o.sliding, o.cap);
    case 'value_count':
      return new ValueCountState(o.sliding ? Number.POSITIVE_INFINITY : o.saturation);
    case 'temporal':
      return new TemporalState(o.ruleCount);
    case 'temporal_ordered':
      return new OrderedState(o.ruleCount);
  }
}

class EventCountState implements GroupState {
  /** Sliding only: every timestamp in the window, consumed from `head`. */
  private times: number[] = [];
  private head = 0;
  private n = 0;
  private readonly recent: Timed[] = [];

  constructor(
    private readonly sliding: boolean,
    private readonly cap: number,
  ) {}

  add(x: Timed): void {
    if (this.sliding) this.times.push(x.t);
    this.n++;
    this.recent.push(x);
    if (this.recent.length > this.cap) this.recent.shift();
  }

  evict(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head]! < cutoff) {
      this.head++;
      this.n--;
    }
    // Compact now and then so the array does not keep what the window has left behind.
    if (this.head > 32 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    while (this.recent.length > 0 && this.recent[0]!.t < cutoff) this.recent.shift();
  }

  count(): number {
    return this.n;
  }

  earliest(): number {
    return (this.sliding ? this.times[this.head] : this.recent[0]?.t) ?? Number.NaN;
  }

  contributors(): Timed[] {
    return [...this.recent];
  }

  size(): number {
    return this.times.length + this.recent.length;
  }
}

class ValueCountState implements GroupState {
  /** Value → its newest match; Map order is by newest time, so eviction reads the front. */
  private readonly seen = new Map<string, Timed>();

  constructor(private readonly limit: number) {}

  add(x: Timed, _slots: readonly number[], values: readonly string[]): void {
    for (const v of values) {
      if (this.seen.delete(v) || this.seen.size < this.limit) this.seen.set(v, x);
    }
  }

  evict(cutoff: number): void {
    for (const [v, x] of this.seen) {
      if (x.t >= cutoff) break;
      this.seen.delete(v);
    }
  }

  count(): number {
    return this.seen.size;
  }

  earliest(): number {
    return this.seen.values().next().value?.t ?? Number.NaN;
  }

  contributors(): Timed[] {
    return [...new Set(this.seen.values())];
  }

  size(): number {
    return this.seen.size;
  }
}

/** temporal: the newest match of each listed rule (the newest leaves the most room). */
class TemporalState implements GroupState {
  private readonly latest: Array<Timed | undefined>;

  constructor(ruleCount: number) {
    this.latest = new Array<Timed | undefined>(ruleCount).fill(undefined);
  }

  add(x: Timed, slots: readonly number[]): void {
    for (const s of slots) this.latest[s] = x;
  }

  evict(cutoff: number): void {
    this.latest.forEach((x, i) => {
      if (x !== undefined && x.t < cutoff) this.latest[i] = undefined;
    });
  }

  count(): number {
    return this.latest.filter((x) => x !== undefined).length;
  }

  earliest(): number {
    return this.contributors()[0]?.t ?? Number.NaN;
  }

  contributors(): Timed[] {
    const present = this.latest.filter((x): x is Timed => x !== undefined);
    return [...new Set(present)].sort((a, b) => a.t - b.t);
  }

  size(): number {
    return this.count();
  }
}

interface Chain {
  readonly start: number;
  readonly items: readonly Timed[];
}

/**
 * temporal_ordered: the longest run of listed rules seen in list order (a subsequence, so
 * `a, c` counts 2 of `a, b, c`). For each rule position and run length it keeps the run with
 * the latest start, which is the one that stays inside a sliding window longest.
 */
class OrderedState implements GroupState {
  /** chains[slot][length - 1]: the best run of that length ending with that slot's rule. */
  private readonly chains: Array<Array<Chain | undefined>>;

  constructor(ruleCount: number) {
    this.chains = Array.from({ length: ruleCount }, () => new Array<Chain | undefined>(ruleCount).fill(undefined));
  }

  add(x: Timed, slots: readonly number[]): void {
    // Highest slot first, so one match never extends a run it has just been added to.
    for (const i of [...slots].sort((a, b) => b - a)) {
      const row = this.chains[i]!;
      this.offer(row, 0, { start: x.t, items: [x] });
      for (let len = 2; len <= i + 1; len++) {
        const prev = this.bestBefore(i, len - 1);
        if (prev !== undefined) this.offer(row, len - 1, { start: prev.start, items: [...prev.items, x] });
      }
    }
  }

  private offer(row: Array<Chain | undefined>, at: number, chain: Chain): void {
    const cur = row[at];
    if (cur === undefined || chain.start >= cur.start) row[at] = chain;
  }

  private bestBefore(slot: number, len: number): Chain | undefined {
    let best: Chain | undefined;
    for (let j = 0; j < slot; j++) {
      const c = this.chains[j]![len - 1];
      if (c !== undefined && (best === undefined || c.start > best.start)) best = c;
    }
    return best;
  }

  evict(cutoff: number): void {
    for (const row of this.chains) {
      row.forEach((c, k) => {
        if (c !== undefined && c.start < cutoff) row[k] = undefined;
      });
    }
  }

  private best(): Chain | undefined {
    let best: Chain | undefined;
    for (const row of this.chains) {
      for (const c of row) {
        if (c === undefined) continue;
        const longer = best === undefined || c.items.length > best.items.length;
        if (longer || (c.items.length === best!.items.length && c.start > best!.start)) best = c;
      }
    }
    return best;
  }

  count(): number {
    return this.best()?.items.length ?? 0;
  }

  earliest(): number {
    return this.best()?.start ?? Number.NaN;
  }

  contributors(): Timed[] {
    return [...(this.best()?.items ?? [])];
  }

  size(): number {
    return this.chains.reduce((n, row) => n + row.filter((c) => c !== undefined).length, 0);
  }
}
