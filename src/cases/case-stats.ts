import { InputError, requireRole, type RequestContext } from '../core/index.js';
import { checkedTime, clockOf, tables, type CasesDeps } from './db.js';
import { CASE_SEVERITIES, CASE_STATES, summarizeDurations } from './lifecycle.js';
import type { CaseSeverity, CaseState, CaseStats } from './types.js';

const DEFAULT_PERIOD_MS = 30 * 24 * 3600_000;

export interface StatsPeriod {
  /** ISO 8601, inclusive; default 30 days before `to`. */
  readonly from?: string;
  /** ISO 8601, exclusive; default now. */
  readonly to?: string;
}

function counts<K extends string>(keys: readonly K[], rows: ReadonlyArray<{ key: string; n: number | string | bigint }>): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const r of rows) if ((keys as readonly string[]).includes(r.key)) out[r.key as K] = Number(r.n);
  return out;
}

/**
 * Reporting figures over a period: cases opened, median and p90 time-to-acknowledge of the
 * cases acknowledged in it and time-to-resolve of the cases resolved in it (the "closed
 * this month" view), merged duplicates left out; and every case by state now.
 */
export async function caseStats(ctx: RequestContext, deps: CasesDeps, period: StatsPeriod = {}): Promise<CaseStats> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  const to = period.to === undefined ? clockOf(deps).now().toISOString() : checkedTime(period.to, 'to');
  const from = period.from === undefined ? new Date(Date.parse(to) - DEFAULT_PERIOD_MS).toISOString() : checkedTime(period.from, 'from');
  if (from >= to) throw new InputError('PERIOD_INVALID', `from (${from}) must be before to (${to})`, 'from');
  const t = tables(deps.db);
  const mine = t.selectFrom('cases').where('tenant', '=', ctx.tenant);
  const [created, tta, ttr, byState] = await Promise.all([
    mine.select(['severity as key', (eb) => eb.fn.countAll<number | string>().as('n')]).where('created_at', '>=', from).where('created_at', '<', to).groupBy('severity').execute(),
    mine.select('tta_ms').where('acknowledged_at', '>=', from).where('acknowledged_at', '<', to).where('merged_into', 'is', null).where('tta_ms', 'is not', null).execute(),
    mine.select('ttr_ms').where('resolved_at', '>=', from).where('resolved_at', '<', to).where('merged_into', 'is', null).where('ttr_ms', 'is not', null).execute(),
    mine.select(['state as key', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('state').execute(),
  ]);
  const bySeverity = counts<CaseSeverity>(CASE_SEVERITIES, created);
  return {
    from,
    to,
    created: Object.values(bySeverity).reduce((a, b) => a + b, 0),
    timeToAcknowledge: summarizeDurations(tta.map((r) => Number(r.tta_ms))),
    timeToResolve: summarizeDurations(ttr.map((r) => Number(r.ttr_ms))),
    byState: counts<CaseState>(CASE_STATES, byState),
    bySeverity,
  };
}
