import type { Query } from '../api/client.js';
import type { Alert, AlertStatus } from '../api/types.js';
import { levelsAtLeast } from '../format.js';

/** What the queue shows; kept in the page address so a reload or a shared link shows the same. */
export interface AlertFilters {
  /** `open` = new + acknowledged, the analyst's working set. */
  readonly status: 'open' | AlertStatus | 'all';
  readonly minLevel: string;
  readonly host: string;
  readonly ruleId: string;
  /** Words matched in the page (title, host, user, techniques, observables). */
  readonly text: string;
  /** `1h`, `24h`, `7d` or '' for any time. */
  readonly window: string;
}

export const STATUS_CHOICES: ReadonlyArray<{ value: AlertFilters['status']; label: string }> = [
  { value: 'open', label: 'Open (new + acknowledged)' },
  { value: 'new', label: 'New' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'in_case', label: 'In a case' },
  { value: 'dismissed', label: 'Dismissed' },
  { value: 'all', label: 'All' },
];

export const WINDOWS: Readonly<Record<string, number>> = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

const STATUSES = new Set<string>(['open', 'new', 'acknowledged', 'in_case', 'dismissed', 'all']);

export function filtersFromSearch(search: URLSearchParams): AlertFilters {
  const status = search.get('status') ?? 'open';
  const window = search.get('window') ?? '';
  return {
    status: (STATUSES.has(status) ? status : 'open') as AlertFilters['status'],
    minLevel: levelsAtLeast(search.get('level') ?? '').length > 0 ? search.get('level')! : '',
    host: search.get('host') ?? '',
    ruleId: search.get('rule') ?? '',
    text: search.get('q') ?? '',
    window: window in WINDOWS ? window : '',
  };
}

/** The address parameters for these filters (defaults left out). */
export function searchOfFilters(f: AlertFilters): Record<string, string | undefined> {
  return {
    status: f.status === 'open' ? undefined : f.status,
    level: f.minLevel || undefined,
    host: f.host || undefined,
    rule: f.ruleId || undefined,
    q: f.text || undefined,
    window: f.window || undefined,
  };
}

/** The API query for these filters; the text filter is applied in the page (the API has none). */
export function alertQuery(f: AlertFilters, now: number, limit = 200): Query {
  const status = f.status === 'all' ? undefined : f.status === 'open' ? ['new', 'acknowledged'] : [f.status];
  const span = WINDOWS[f.window];
  return {
    status,
    level: f.minLevel ? levelsAtLeast(f.minLevel) : undefined,
    host: f.host.trim() || undefined,
    rule_id: f.ruleId || undefined,
    since: span === undefined ? undefined : new Date(now - span).toISOString(),
    limit,
  };
}

/** Every word of `text` appears somewhere in the alert (case-insensitive); empty text matches all. */
export function matchesText(alert: Alert, text: string): boolean {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  const hay = [
    alert.rule_title, alert.rule_id, alert.host ?? '', alert.user ?? '', alert.level, alert.status,
    ...alert.techniques, ...alert.tactics, ...alert.observables.map((o) => o.value),
  ].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}
