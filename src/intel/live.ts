import type { Kysely } from 'kysely';
import type { Detection, ItemProblem } from '../core/index.js';
import type { Database } from '../store/index.js';
import { intelDb } from './hub/members.js';
import { IndicatorMatcher, type MatchedEvent, type PatternIndicator } from './pattern/index.js';

/** The indicator a STIX object is, for live matching; undefined for anything else. */
export function patternIndicatorOf(obj: Readonly<Record<string, unknown>>): PatternIndicator | undefined {
  if (obj['type'] !== 'indicator' || obj['revoked'] === true) return undefined;
  if (obj['pattern_type'] !== 'stix' || typeof obj['pattern'] !== 'string' || typeof obj['id'] !== 'string') return undefined;
  const tactics: string[] = [];
  for (const phase of Array.isArray(obj['kill_chain_phases']) ? obj['kill_chain_phases'] : []) {
    const p = phase as Record<string, unknown>;
    if (p['kill_chain_name'] === 'mitre-attack' && typeof p['phase_name'] === 'string') tactics.push(p['phase_name']);
  }
  return {
    id: obj['id'],
    pattern: obj['pattern'],
    ...(typeof obj['name'] === 'string' ? { name: obj['name'] } : {}),
    ...(typeof obj['valid_from'] === 'string' ? { validFrom: obj['valid_from'] } : {}),
    ...(typeof obj['valid_until'] === 'string' ? { validUntil: obj['valid_until'] } : {}),
    ...(tactics.length > 0 ? { tactics } : {}),
  };
}

/** How many indicators a matcher holds, and the first patterns it could not take. */
export interface IndicatorCount {
  readonly size: number;
  /** The first problems (at most `MAX_PROBLEMS_SHOWN`); `problemCount` says how many in all. */
  readonly problems: readonly ItemProblem[];
  readonly problemCount: number;
}

export const MAX_PROBLEMS_SHOWN = 20;

/**
 * A matcher kept elsewhere, typically on the detection thread, where each event is already
 * decoded for the rules: matching there spares the main thread a second decode of every
 * stored row. Calls apply in order.
 */
export interface IndicatorSink {
  /** Replaces every indicator held. */
  reset(indicators: readonly PatternIndicator[]): Promise<IndicatorCount>;
  add(indicators: readonly PatternIndicator[]): Promise<IndicatorCount>;
}

/** What a matcher reports about itself, as an IndicatorSink answers. */
export function countOf(matcher: IndicatorMatcher): IndicatorCount {
  return { size: matcher.size, problems: matcher.problems.slice(0, MAX_PROBLEMS_SHOWN), problemCount: matcher.problems.length };
}

/**
 * The indicators of every collection on the live stream. The matcher is rebuilt from the
 * store (the latest version of each indicator, revoked ones left out) and swapped in whole,
 * so detection never sees half a load. Without a sink the matcher lives here and this is the
 * pipeline's EventMatcher; with one, the indicators go to the sink and nothing is matched here.
 */
export class LiveIndicators {
  readonly name = 'stix-indicators';
  private matcher = new IndicatorMatcher();
  private remote: IndicatorCount = { size: 0, problems: [], problemCount: 0 };
  /** Indicator ids in the matcher: a new version of one of them needs a rebuild, a new id only an add. */
  private known = new Set<string>();
  private loading: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenant: string,
    private readonly sink: IndicatorSink | null = null,
  ) {}

  get size(): number {
    return this.sink ? this.remote.size : this.matcher.size;
  }

  /** Nothing to match on this thread: no indicators, or they live in the sink. */
  get idle(): boolean {
    return this.sink !== null || this.matcher.size === 0;
  }

  /** Patterns that did not load (the first ones; `problemCount` has them all). */
  get problems(): readonly ItemProblem[] {
    return this.sink ? this.remote.problems : this.matcher.problems;
  }

  get problemCount(): number {
    return this.sink ? this.remote.problemCount : this.matcher.problems.length;
  }

  match(event: MatchedEvent): Detection[] {
    return this.sink ? [] : this.matcher.match(event);
  }

  /**
   * Takes what a POST or a pull just stored: new indicators are added to the live matcher
   * in place (a rebuild at a million indicators takes seconds); a new version of one it
   * holds (changed, revoked) rebuilds it from the store.
   */
  added(objects: readonly { readonly id: string; readonly type: string; readonly object: Readonly<Record<string, unknown>> }[]): Promise<void> {
    const indicators = objects.filter((o) => o.type === 'indicator');
    if (indicators.length === 0) return Promise.resolve();
    if (this.loading || indicators.some((o) => this.known.has(o.id))) return this.reload();
    const list: PatternIndicator[] = [];
    for (const o of indicators) {
      this.known.add(o.id);
      const i = patternIndicatorOf(o.object);
      if (i) list.push(i);
    }
    if (this.sink) return this.sink.add(list).then((c) => void (this.remote = c), sinkFailed);
    for (const i of list) this.matcher.add(i);
    return Promise.resolve();
  }

  /** Reloads; calls during a load fold into one more load after it. */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          const { indicators, ids } = await loadIndicators(this.db, this.tenant);
          if (this.sink) this.remote = await this.sink.reset(indicators).catch((err: unknown) => (sinkFailed(err), this.remote));
          else this.matcher = new IndicatorMatcher(indicators);
          this.known = ids;
        } while (this.again);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}

/**
 * A sink that failed (its thread died with the call in flight) is not this caller's to
 * repair: the sink keeps what it was sent and gives it to its next thread. The count shown
 * stays the last one known until the next answer.
 */
function sinkFailed(_err: unknown): void {}

async function loadIndicators(db: Kysely<Database>, tenant: string): Promise<{ indicators: PatternIndicator[]; ids: Set<string> }> {
  const rows = await intelDb(db).selectFrom('stix_objects').select(['id', 'version', 'json']).where('tenant', '=', tenant).where('type', '=', 'indicator').orderBy('seq').execute();
  const latest = new Map<string, { version: string; json: string }>();
  for (const r of rows) {
    const had = latest.get(r.id);
    if (!had || had.version < r.version) latest.set(r.id, { version: r.version, json: r.json });
  }
  const indicators: PatternIndicator[] = [];
  for (const { json } of latest.values()) {
    const i = patternIndicatorOf(JSON.parse(json) as Record<string, unknown>);
    if (i) indicators.push(i);
  }
  return { indicators, ids: new Set(latest.keys()) };
}
