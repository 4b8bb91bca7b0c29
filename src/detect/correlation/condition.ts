import type { SigmaCorrelation } from '../sigma/types.js';

const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
type Op = (typeof OPS)[number];

const COMPARE: Record<Op, (count: number, bound: number) => boolean> = {
  gt: (n, v) => n > v,
  gte: (n, v) => n >= v,
  lt: (n, v) => n < v,
  lte: (n, v) => n <= v,
  eq: (n, v) => n === v,
  neq: (n, v) => n !== v,
};

/** A correlation condition ready to test counts. */
export interface Threshold {
  /** Every comparison holds (several are ANDed: `gt: 100, lte: 200` is a range). */
  test(count: number): boolean;
  /**
   * Only gt/gte: once true, more matches keep it true, so a hit is certain the moment it
   * holds. Anything else (lt, lte, eq, neq) waits for the window to close.
   */
  readonly lowerOnly: boolean;
  /** Every count ≥ this compares alike, so counting past it changes nothing. */
  readonly saturation: number;
}

function isTemporal(c: SigmaCorrelation): boolean {
  return c.type === 'temporal' || c.type === 'temporal_ordered';
}

/** The condition as a Threshold, or why it cannot run. */
export function compileThreshold(c: SigmaCorrelation): Threshold | string {
  const bounds: Array<[Op, number]> = [];
  for (const op of OPS) {
    const raw = c.condition[op];
    if (raw === undefined) continue;
    // parse.ts writes a temporal rule without condition as `gte: NaN`: every listed rule.
    const bound = Number.isNaN(raw) && isTemporal(c) ? c.rules.length : raw;
    if (!Number.isFinite(bound)) return `condition ${op} must be a number`;
    bounds.push([op, bound]);
  }
  if (bounds.length === 0) return 'the correlation condition needs a comparison: gt, gte, lt, lte, eq or neq';
  if (c.type === 'value_count' && !c.condition.field) return "a value_count condition needs 'field'";
  const test = (n: number): boolean => bounds.every(([op, v]) => COMPARE[op](n, v));
  const saturation = Math.max(1, Math.floor(Math.max(...bounds.map(([, v]) => v))) + 1);
  // Counts start at 1 (a group exists once it has a match) and stop mattering at saturation;
  // temporal counts rules, so they end at the number listed.
  const most = isTemporal(c) ? c.rules.length : saturation;
  if (!range(1, most).some(test)) {
    return isTemporal(c)
      ? `condition can never hold: ${c.type} counts distinct rules and ${c.rules.length} are listed`
      : 'condition can never hold for a count of 1 or more';
  }
  return { test, lowerOnly: bounds.every(([op]) => op === 'gt' || op === 'gte'), saturation };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
