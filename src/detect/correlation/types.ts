import type { EventRecord } from '../../core/index.js';
import type { SigmaCorrelation } from '../sigma/types.js';

/** One match of a rule a correlation refers to: what the caller feeds the engine. */
export interface BaseMatch {
  readonly ruleId?: string;
  readonly ruleName?: string;
  readonly event: EventRecord;
  readonly timeMs: number;
  /** Opaque pointer back to the alert/event for the caller; for a chained correlation, the inner CorrelationHit. */
  readonly ref: unknown;
}

export interface CorrelationHit {
  readonly correlation: SigmaCorrelation;
  /** group-by name (alias name when aliased) → value as text. */
  readonly group: Record<string, string>;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Events (event_count), distinct values (value_count), distinct rules (temporal, temporal_ordered). */
  readonly count: number;
  /**
   * The base matches that made the hit, oldest first: at most `maxMatches` (default 100), the
   * newest ones. Matches of an inner (chained) correlation are listed, not the inner hit.
   */
  readonly matches: BaseMatch[];
  /**
   * Stream time at which the hit became certain: the deciding match's time for gt/gte,
   * the window's end for conditions judged when the window closes. A chained hit enters
   * the outer correlation at this time.
   */
  readonly decidedMs: number;
}

export interface EngineOptions {
  /** Open groups kept per correlation; past it the least recent group is dropped. */
  readonly maxGroups?: number;
  /** Base matches a hit carries. */
  readonly maxMatches?: number;
}

export interface EngineStats {
  readonly groups: number;
  /** Groups + what they hold (timestamps, values, rule slots): the engine's memory in entries. */
  readonly entries: number;
  /** Groups dropped because a correlation hit maxGroups. */
  readonly droppedGroups: number;
  /** Matches older than one already seen, processed at the newest time seen. */
  readonly lateMatches: number;
  /** Matches without a finite timeMs, ignored. */
  readonly skippedMatches: number;
}
