import type { Severity } from '../core/index.js';
import type { AlertStatus, CaseSeverity, CaseState, DurationSummary, Pap, TaskState, Tlp } from './types.js';

export const CASE_STATES: readonly CaseState[] = ['new', 'triage', 'in_progress', 'contained', 'resolved', 'closed', 'false_positive'];
export const CASE_SEVERITIES: readonly CaseSeverity[] = ['low', 'medium', 'high', 'critical'];
export const LEVELS: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];
export const ALERT_STATUSES: readonly AlertStatus[] = ['new', 'acknowledged', 'in_case', 'dismissed'];
export const TASK_STATES: readonly TaskState[] = ['todo', 'doing', 'done'];
/** Least to most restrictive. */
export const TLPS: readonly Tlp[] = ['clear', 'green', 'amber', 'amber+strict', 'red'];
export const PAPS: readonly Pap[] = ['clear', 'green', 'amber', 'red'];

/** States in which the work is over; reaching one stops the time-to-resolve clock. */
export const TERMINAL_STATES: ReadonlySet<CaseState> = new Set(['resolved', 'closed', 'false_positive']);

/**
 * Where a case may go from each state. The path is new → triage → in_progress → contained
 * → resolved → closed; shortcuts let an analyst drop a false positive or close a duplicate
 * early, and resolve straight from triage when there was nothing to contain. Every
 * terminal state reopens to `triage` (false_positive and resolved also close for good).
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseState, readonly CaseState[]>> = {
  new: ['triage', 'in_progress', 'false_positive', 'closed'],
  triage: ['in_progress', 'resolved', 'false_positive', 'closed'],
  in_progress: ['triage', 'contained', 'resolved', 'false_positive'],
  contained: ['in_progress', 'resolved'],
  resolved: ['closed', 'triage'],
  closed: ['triage'],
  false_positive: ['closed', 'triage'],
};

export function canTransition(from: CaseState, to: CaseState): boolean {
  return CASE_TRANSITIONS[from].includes(to);
}

/** Analysts may move an alert between these by hand; `in_case` comes only from merging. */
export const ALERT_TRANSITIONS: Readonly<Record<AlertStatus, readonly AlertStatus[]>> = {
  new: ['acknowledged', 'dismissed'],
  acknowledged: ['new', 'dismissed'],
  dismissed: ['new', 'acknowledged'],
  in_case: [],
};

/** A detection level as a case severity: nothing opens below `low`. */
export function caseSeverityOf(level: Severity): CaseSeverity {
  return level === 'informational' ? 'low' : level;
}

export function maxCaseSeverity(a: CaseSeverity, b: CaseSeverity): CaseSeverity {
  return CASE_SEVERITIES.indexOf(a) >= CASE_SEVERITIES.indexOf(b) ? a : b;
}

export function maxLevel(a: Severity, b: Severity): Severity {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

export function stricterTlp(a: Tlp, b: Tlp): Tlp {
  return TLPS.indexOf(a) >= TLPS.indexOf(b) ? a : b;
}

export function stricterPap(a: Pap, b: Pap): Pap {
  return PAPS.indexOf(a) >= PAPS.indexOf(b) ? a : b;
}

/** The stored clock columns of a case. */
export interface ClockState {
  readonly createdAt: string;
  readonly acknowledgedAt: string | null;
  readonly resolvedAt: string | null;
}

export interface ClockChange {
  readonly acknowledgedAt?: string;
  readonly timeToAcknowledgeMs?: number;
  /** null: the clock restarts because the case was reopened. */
  readonly resolvedAt?: string | null;
  readonly timeToResolveMs?: number | null;
}

function elapsed(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

/**
 * What a change does to the reporting clocks. Acknowledgement happens once: the first
 * move out of `new` or the first assignment. Resolution is the first reach of a terminal
 * state; reopening clears it, so time-to-resolve measures to the resolution that held
 * (a case reopened after three days was not resolved in one hour).
 */
export function clockChange(clocks: ClockState, change: { from: CaseState; to: CaseState; assigned: boolean }, at: string): ClockChange {
  const out: { -readonly [K in keyof ClockChange]: ClockChange[K] } = {};
  if (clocks.acknowledgedAt === null && (change.assigned || (change.from === 'new' && change.to !== 'new'))) {
    out.acknowledgedAt = at;
    out.timeToAcknowledgeMs = elapsed(clocks.createdAt, at);
  }
  if (change.from !== change.to) {
    if (TERMINAL_STATES.has(change.to) && !TERMINAL_STATES.has(change.from) && clocks.resolvedAt === null) {
      out.resolvedAt = at;
      out.timeToResolveMs = elapsed(clocks.createdAt, at);
    } else if (!TERMINAL_STATES.has(change.to) && TERMINAL_STATES.has(change.from)) {
      out.resolvedAt = null;
      out.timeToResolveMs = null;
    }
  }
  return out;
}

/**
 * The q-quantile (0..1) of sorted values by linear interpolation between closest ranks
 * (the usual spreadsheet PERCENTILE.INC), or null for no values.
 */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return Math.round(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
}

export function summarizeDurations(values: readonly number[]): DurationSummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9) };
}
