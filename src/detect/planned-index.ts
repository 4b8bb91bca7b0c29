import type { EventView, FieldTable } from './sigma/event-view.js';
import type { IndexAtom } from './sigma/pred.js';
import { Found, RuleIndex } from './rule-index.js';

/** An item (rule variant) with the cuts it can be indexed by, best guess first; none: always tried. */
export interface PlanEntry<T> {
  readonly item: T;
  readonly cuts: readonly (readonly IndexAtom[])[];
}

/** Events an index watches before it chooses its plan. */
export const SAMPLE_EVENTS = 64;

/**
 * Items indexed by the cut that fires least on the events this index actually sees.
 *
 * A rule usually offers several cuts (`EventType = CreateKey` or `TargetObject` ends with
 * `\Netwire`): static cost can only guess which is rare, and a wrong guess tests the rule on
 * every event. So the first `SAMPLE_EVENTS` events are matched against every cut of every
 * item at once (one index over all of them), counting how often each fires, while items are
 * tried by their first cut; then each item keeps its rarest cut and an index of just those
 * is built (and kept, keyed by the choice, for the next time the same plan is chosen).
 */
export class PlannedIndex<T> {
  readonly items: T[] = [];
  readonly always: T[] = [];
  private readonly sampler: RuleIndex<number>;
  /** Per sampler item (one per cut): the item it belongs to and the cut's rank there. */
  private readonly owner: number[] = [];
  private readonly rank: number[] = [];
  private readonly cutsOf: (readonly (readonly IndexAtom[])[])[] = [];
  private readonly counts: Int32Array;
  private readonly found: Found;
  private sampled = 0;
  private planned: RuleIndex<number> | null = null;
  private readonly plans = new Map<string, RuleIndex<number>>();

  constructor(
    private readonly table: FieldTable,
    entries: readonly PlanEntry<T>[],
    private readonly sampleEvents = SAMPLE_EVENTS,
  ) {
    this.sampler = new RuleIndex<number>(table);
    for (const e of entries) {
      if (e.cuts.length === 0) {
        this.always.push(e.item);
        continue;
      }
      const id = this.items.length;
      this.items.push(e.item);
      this.cutsOf.push(e.cuts);
      e.cuts.forEach((cut, r) => {
        this.sampler.add(this.owner.length, cut);
        this.owner.push(id);
        this.rank.push(r);
      });
    }
    this.sampler.freeze();
    this.counts = new Int32Array(this.owner.length);
    this.found = new Found(this.items.length);
    // With one cut per item there is nothing to choose: the sampler is the plan.
    if (this.cutsOf.every((c) => c.length === 1)) this.planned = this.sampler;
  }

  /** Ids (into `items`) of the items the event may match, ascending; valid until the next call. */
  candidates(view: EventView): Found {
    if (this.planned !== null) return this.planned.candidates(view);
    const fired = this.sampler.candidates(view);
    const found = this.found;
    found.reset();
    for (let k = 0; k < fired.n; k++) {
      const cut = fired.ids[k]!;
      this.counts[cut]!++;
      if (this.rank[cut] === 0) found.add(this.owner[cut]!);
    }
    if (++this.sampled >= this.sampleEvents) this.plan();
    return found;
  }

  private plan(): void {
    const choice: number[] = [];
    let cut = 0;
    for (const cuts of this.cutsOf) {
      let best = 0;
      for (let r = 1; r < cuts.length; r++) if (this.counts[cut + r]! < this.counts[cut + best]!) best = r;
      choice.push(best);
      cut += cuts.length;
    }
    const key = choice.join(',');
    let index = this.plans.get(key);
    if (index === undefined) {
      index = new RuleIndex<number>(this.table);
      choice.forEach((r, id) => index!.add(id, this.cutsOf[id]![r]!));
      index.freeze();
      if (this.plans.size >= 4) this.plans.clear();
      this.plans.set(key, index);
    }
    this.planned = index;
  }

  /** Back to a first pass: remembered values and the sample are dropped, built plans kept. */
  forget(): void {
    this.sampler.forget();
    for (const p of this.plans.values()) p.forget();
    if (this.planned === this.sampler) return;
    this.counts.fill(0);
    this.sampled = 0;
    this.planned = null;
  }
}
