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

/**
 * The indicators of every collection on the live stream. The matcher is rebuilt from the
 * store (the latest version of each indicator, revoked ones left out) and swapped in whole,
 * so detection never sees half a load.
 */
export class LiveIndicators {
  readonly name = 'stix-indicators';
  private matcher = new IndicatorMatcher();
  /** Indicator ids in the matcher: a new version of one of them needs a rebuild, a new id only an add. */
  private known = new Set<string>();
  private loading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly db: Kysely<Database>, private readonly tenant: string) {}

  get size(): number {
    return this.matcher.size;
  }

  get idle(): boolean {
    return this.matcher.size === 0;
  }

  get problems(): readonly ItemProblem[] {
    return this.matcher.problems;
  }

  match(event: MatchedEvent): Detection[] {
    return this.matcher.match(event);
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
    for (const o of indicators) {
      this.known.add(o.id);
      const i = patternIndicatorOf(o.object);
      if (i) this.matcher.add(i);
    }
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
          ({ matcher: this.matcher, ids: this.known } = await loadMatcher(this.db, this.tenant));
        } while (this.again);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}

async function loadMatcher(db: Kysely<Database>, tenant: string): Promise<{ matcher: IndicatorMatcher; ids: Set<string> }> {
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
  return { matcher: new IndicatorMatcher(indicators), ids: new Set(latest.keys()) };
}
