import { InputError } from '../../core/index.js';

/** How many of each kind of snapshot to keep; a missing rule keeps none for that reason. */
export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
}

export type RetentionRule = keyof RetentionPolicy;
const RULES: readonly RetentionRule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

export interface RetentionDecision {
  /** Snapshot id → the rules that keep it (e.g. `daily 2026-11-20`). */
  readonly keep: Map<string, string[]>;
  /** Ids to remove, newest first. */
  readonly remove: string[];
}

/**
 * Which snapshots a policy keeps, the way restic's `forget` decides: going from the newest
 * snapshot back, each rule keeps the newest snapshot of each of its last N periods that have
 * one (hours, days, ISO weeks, months, years in `timeZone`); `last` keeps the N newest. A
 * snapshot kept by any rule stays. An empty policy is refused: it would remove everything.
 */
export function retain(snapshots: ReadonlyArray<{ id: string; time: string }>, policy: RetentionPolicy, timeZone?: string): RetentionDecision {
  const active = RULES.filter((r) => policy[r] !== undefined);
  for (const r of active) {
    const n = policy[r]!;
    if (!Number.isInteger(n) || n < 0) throw new InputError('VAULT_RETENTION', `keep-${r} must be a whole number ≥ 0, got ${n}`);
  }
  if (!active.some((r) => policy[r]! > 0)) throw new InputError('VAULT_RETENTION', 'no keep rule: give at least one of --keep-last/-hourly/-daily/-weekly/-monthly/-yearly above 0');
  const periods = periodFormatter(timeZone);
  const dated = snapshots.map((s) => {
    const ms = Date.parse(s.time);
    if (Number.isNaN(ms)) throw new InputError('VAULT_RETENTION', `snapshot time ${JSON.stringify(s.time)} is not a date`, `snapshots/${s.id}`);
    return { id: s.id, ms };
  });
  dated.sort((a, b) => b.ms - a.ms || (a.id < b.id ? -1 : 1));
  const keep = new Map<string, string[]>();
  for (const rule of active) {
    let left = policy[rule]!;
    let lastPeriod: string | null = null;
    for (const s of dated) {
      if (left === 0) break;
      const period = rule === 'last' ? s.id : periods(s.ms)[rule];
      if (period === lastPeriod) continue;
      lastPeriod = period;
      left--;
      const reasons = keep.get(s.id) ?? [];
      reasons.push(rule === 'last' ? 'last' : `${rule} ${period}`);
      keep.set(s.id, reasons);
    }
  }
  return { keep, remove: dated.filter((s) => !keep.has(s.id)).map((s) => s.id) };
}

type Periods = Record<Exclude<RetentionRule, 'last'>, string>;

function periodFormatter(timeZone: string | undefined): (ms: number) => Periods {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
  } catch {
    throw new InputError('VAULT_RETENTION', `unknown time zone ${JSON.stringify(timeZone)}`);
  }
  return (ms) => {
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(ms)) parts[p.type] = p.value;
    const y = Number(parts.year);
    const m = Number(parts.month);
    const d = Number(parts.day);
    const day = `${parts.year}-${parts.month}-${parts.day}`;
    return { hourly: `${day}T${parts.hour}`, daily: day, weekly: isoWeek(y, m, d), monthly: `${parts.year}-${parts.month}`, yearly: parts.year! };
  };
}

/** ISO 8601 week of a calendar date, e.g. `2026-W47`. */
export function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3); // the Thursday of this week decides its year
  const year = date.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4)); // always in week 1
  const week = 1 + Math.round((date.getTime() - jan4.getTime()) / 86_400_000 / 7 + ((jan4.getUTCDay() + 6) % 7 - 3) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
