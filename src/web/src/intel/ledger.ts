import type { CreditStanding } from '../api/types.js';
import { toCsv } from '../csv.js';

type Count = Exclude<{ [K in keyof CreditStanding]: CreditStanding[K] extends number ? K : never }[keyof CreditStanding], 'points' | 'rank'>;

/** One column of the ledger: what a member did, and which entry of the points scheme pays for it. */
export interface LedgerFactor {
  readonly key: Count;
  /** The key in the server's points table (CREDIT_POINTS); null: counted, but earns nothing. */
  readonly pointsKey: string | null;
  readonly label: string;
  readonly explains: string;
}

/** The ledger's columns in the order the hub counts them (src/intel/hub/credit.ts). */
export const LEDGER_FACTORS: readonly LedgerFactor[] = [
  { key: 'shared', pointsKey: null, label: 'Shared', explains: 'indicators this member shared' },
  { key: 'corroborations', pointsKey: 'corroboration', label: 'Corroborations', explains: 'per distinct other member that sighted an indicator it shared' },
  { key: 'first_reports', pointsKey: 'firstReport', label: 'First reports', explains: 'per indicator whose value it was first in the sector to share' },
  { key: 'false_positives', pointsKey: 'falsePositive', label: 'False positives', explains: 'per false-positive report by another member (a disagreeing opinion or a flagged sighting)' },
  { key: 'with_attack_context', pointsKey: 'attackContext', label: 'ATT&CK context', explains: 'per shared indicator tied to ATT&CK (kill chain phase or a relationship to an attack-pattern)' },
  { key: 'confident', pointsKey: 'confidence', label: 'Confidence ≥ 70', explains: 'per shared indicator with confidence 70 or more' },
  { key: 'sightings_sent', pointsKey: 'sightingSent', label: 'Sightings sent', explains: 'per distinct indicator of someone else it sighted and reported back' },
  { key: 'known_benign', pointsKey: null, label: 'Warning list', explains: 'shared indicators whose values are all on the warning list: no credit either way' },
];

/** `+3`, `−4`, `0`: points with their sign, as the scheme is read. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : '0';
}

/** The points scheme as the server sent it, each entry with its explanation (unknown entries kept, unexplained). */
export function schemeOf(points: Readonly<Record<string, number>>): Array<{ key: string; points: number; label: string; explains: string | null }> {
  return Object.entries(points).map(([key, p]) => {
    const f = LEDGER_FACTORS.find((x) => x.pointsKey === key);
    return { key, points: p, label: f?.label ?? key, explains: f?.explains ?? null };
  });
}

export const LEDGER_CSV_HEADER = ['rank', 'member', 'points', ...LEDGER_FACTORS.map((f) => f.key)] as const;

/** The ledger table as CSV: one row per member, counts as the API gives them. */
export function ledgerCsv(items: readonly CreditStanding[]): string {
  return toCsv(LEDGER_CSV_HEADER, items.map((s) => [s.rank, s.member, s.points, ...LEDGER_FACTORS.map((f) => s[f.key])]));
}

/**
 * Horizontal bars for values that may be negative: each bar's start and width in percent of
 * the chart, and where zero sits (at the left edge when nothing is negative).
 */
export function barGeometry(values: readonly number[]): { zero: number; bars: Array<{ left: number; width: number }> } {
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const zero = min < 0 ? (-min / span) * 100 : 0;
  return { zero, bars: values.map((v) => ({ left: v < 0 ? zero - (-v / span) * 100 : zero, width: (Math.abs(v) / span) * 100 })) };
}
