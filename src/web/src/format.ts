/** Pure display helpers: the same text in every table, and testable without a browser. */

const LEVEL_ORDER = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/** 0 (informational) … 4 (critical); unknown levels sort lowest. */
export function levelRank(level: string): number {
  return LEVEL_ORDER.indexOf(level as (typeof LEVEL_ORDER)[number]);
}

/** The levels at or above `min`, for a "level ≥" filter. */
export function levelsAtLeast(min: string): string[] {
  const at = levelRank(min);
  return at < 0 ? [] : LEVEL_ORDER.slice(at);
}

/** Short level label for dense tables. */
export function levelLabel(level: string): string {
  return level === 'informational' ? 'info' : level;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2026-11-21 08:03:12` in the browser's time zone: analysts read local time; the tooltip keeps ISO. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `45s`, `12m`, `3h 05m`, `2d 04h`: durations as analysts quote SLAs. Negative is clamped to 0. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** `5s ago`, `3h 05m ago`; a time in the future (clock skew) reads `just now`. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const ms = now - t;
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** `1,234,567` */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Rates: one decimal below 10/s, whole numbers above. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '—';
  return perSecond < 10 ? perSecond.toFixed(1) : formatCount(perSecond);
}

/** `512 B`, `1.5 KiB`, `10.0 MiB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** `in_progress` → `in progress` */
export function humanize(code: string): string {
  return code.replace(/_/g, ' ');
}

/**
 * How long a reporting clock has run: its stored value once stopped, else the time since
 * the case was opened (a running clock).
 */
export function clockValue(stoppedMs: number | null, createdAt: string, now: number): { ms: number; running: boolean } {
  if (stoppedMs !== null) return { ms: stoppedMs, running: false };
  const t = Date.parse(createdAt);
  return { ms: Number.isNaN(t) ? 0 : Math.max(0, now - t), running: true };
}
