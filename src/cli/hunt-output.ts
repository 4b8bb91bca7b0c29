import type { ItemProblem } from '../core/index.js';
import type { HuntDetection, HuntResult } from '../detect/index.js';

export type HuntFormat = 'table' | 'json' | 'jsonl' | 'csv';
export const HUNT_FORMATS: readonly HuntFormat[] = ['table', 'json', 'jsonl', 'csv'];

export interface HuntSummary {
  readonly byLevel: Record<string, number>;
  readonly byTechnique: Array<{ technique: string; detections: number; rules: number }>;
  readonly byHost: Array<{ computer: string; detections: number; critical: number; high: number }>;
  readonly byRule: Array<{ rule_title: string; level: string; detections: number }>;
  readonly stats: HuntResult['stats'];
  readonly rulesLoaded: number;
  readonly rulesUnmapped: number;
  readonly problems: number;
  readonly firstTimestamp: string | null;
  readonly lastTimestamp: string | null;
  readonly busiestDates: Array<{ date: string; detections: number }>;
}

const LEVEL_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

export function summarize(result: HuntResult): HuntSummary {
  const byLevel: Record<string, number> = Object.fromEntries(LEVEL_ORDER.map((l) => [l, 0]));
  const tech = new Map<string, { detections: number; rules: Set<string> }>();
  const hosts = new Map<string, { detections: number; critical: number; high: number }>();
  const rules = new Map<string, { level: string; detections: number }>();
  for (const d of result.detections) {
    byLevel[d.level] = (byLevel[d.level] ?? 0) + 1;
    for (const t of d.techniques) {
      const e = tech.get(t) ?? { detections: 0, rules: new Set<string>() };
      e.detections++;
      e.rules.add(d.rule_title);
      tech.set(t, e);
    }
    const host = d.computer ?? '(unknown)';
    const h = hosts.get(host) ?? { detections: 0, critical: 0, high: 0 };
    h.detections++;
    if (d.level === 'critical') h.critical++;
    if (d.level === 'high') h.high++;
    hosts.set(host, h);
    const r = rules.get(d.rule_title) ?? { level: d.level, detections: 0 };
    r.detections++;
    rules.set(d.rule_title, r);
  }
  return {
    byLevel,
    byTechnique: [...tech]
      .map(([technique, e]) => ({ technique, detections: e.detections, rules: e.rules.size }))
      .sort((a, b) => b.detections - a.detections || a.technique.localeCompare(b.technique)),
    byHost: [...hosts]
      .map(([computer, e]) => ({ computer, ...e }))
      .sort((a, b) => b.critical - a.critical || b.high - a.high || b.detections - a.detections),
    byRule: [...rules]
      .map(([rule_title, e]) => ({ rule_title, ...e }))
      .sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || b.detections - a.detections),
    stats: result.stats,
    ...timeSpan(result.detections),
    rulesLoaded: result.build.rules,
    rulesUnmapped: result.build.unmapped.length,
    problems: result.problems.length,
  };
}

function timeSpan(detections: readonly HuntDetection[]): Pick<HuntSummary, 'firstTimestamp' | 'lastTimestamp' | 'busiestDates'> {
  const stamped = detections.map((d) => d.timestamp).filter((t): t is string => t !== null).sort();
  const byDate = new Map<string, number>();
  for (const t of stamped) byDate.set(t.slice(0, 10), (byDate.get(t.slice(0, 10)) ?? 0) + 1);
  return {
    firstTimestamp: stamped[0] ?? null,
    lastTimestamp: stamped[stamped.length - 1] ?? null,
    busiestDates: [...byDate].map(([date, n]) => ({ date, detections: n })).sort((a, b) => b.detections - a.detections).slice(0, 3),
  };
}

export function toJsonl(detections: readonly HuntDetection[]): string {
  return detections.map((d) => JSON.stringify(d)).join('\n') + (detections.length > 0 ? '\n' : '');
}

export function toJson(result: HuntResult): string {
  return JSON.stringify({ detections: result.detections, summary: summarize(result), problems: result.problems }, null, 2) + '\n';
}

const CSV_COLUMNS: Array<keyof HuntDetection> = [
  'timestamp', 'computer', 'channel', 'event_id', 'level', 'rule_title', 'rule_id', 'rule_type', 'techniques', 'tactic_names',
  'kill_chain_phase', 'matched', 'author', 'file', 'record', 'rule_file',
];

function csvCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (Array.isArray(v)) s = v.join(' ');
  else if (typeof v === 'object') s = Object.entries(v).map(([k, x]) => `${k}=${String(x)}`).join('; ');
  else s = String(v);
  // Cells starting with = + - @ are neutralised so a spreadsheet does not run them as formulas.
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(detections: readonly HuntDetection[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const d of detections) lines.push(CSV_COLUMNS.map((c) => csvCell(d[c])).join(','));
  return lines.join('\n') + '\n';
}

interface Style {
  level(level: string, text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const COLORS: Record<string, string> = { critical: '\x1b[1;31m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[32m', informational: '\x1b[36m' };

export function style(color: boolean): Style {
  if (!color) return { level: (_l, t) => t, dim: (t) => t, bold: (t) => t };
  return {
    level: (l, t) => `${COLORS[l] ?? ''}${t}\x1b[0m`,
    dim: (t) => `\x1b[2m${t}\x1b[0m`,
    bold: (t) => `\x1b[1m${t}\x1b[0m`,
  };
}

const LEVEL_SHORT: Record<string, string> = { critical: 'crit', high: 'high', medium: 'med', low: 'low', informational: 'info' };
const PHASE_SHORT: Record<string, string> = {
  reconnaissance: 'Recon', weaponization: 'Weapon', delivery: 'Delivery', exploitation: 'Exploit', installation: 'Install',
  'command-and-control': 'C2', 'actions-on-objectives': 'Objectives',
};

function shortChannel(channel: string | null): string {
  if (!channel) return '-';
  const known: Record<string, string> = {
    'microsoft-windows-sysmon/operational': 'Sysmon', security: 'Sec', system: 'Sys', application: 'App',
    'microsoft-windows-powershell/operational': 'PwSh', 'windows powershell': 'PwShClassic',
    'microsoft-windows-windows defender/operational': 'Defender',
  };
  return known[channel.toLowerCase()] ?? channel.replace(/^Microsoft-Windows-/, '').replace(/\/Operational$/, '');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** The timeline, one line per detection, as an analyst reads it on a terminal. */
export function timelineTable(detections: readonly HuntDetection[], st: Style, width = 200): string {
  if (detections.length === 0) return '';
  const out: string[] = [st.bold('Timestamp · Computer · Channel:EventID · RecordID · Level · Rule · ATT&CK · Kill chain · Details')];
  for (const d of detections) {
    const ts = d.timestamp ? d.timestamp.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1') : '-';
    const where = `${shortChannel(d.channel)}:${d.event_id ?? '-'}`;
    const attack = [d.techniques.join(','), d.tactic_names.join(',')].filter(Boolean).join(' ');
    const phase = d.kill_chain_phase ? PHASE_SHORT[d.kill_chain_phase] ?? d.kill_chain_phase : '-';
    const details = Object.entries(d.matched).map(([k, v]) => `${k}: ${v.replace(/\s+/g, ' ')}`).join(' ¦ ');
    const head = `${ts} · ${d.computer ?? '-'} · ${where} · ${d.event_record_id ?? d.record} · ${LEVEL_SHORT[d.level]} · ${d.rule_title}`;
    const room = Math.max(40, width - head.length - attack.length - phase.length - 9);
    out.push(`${st.level(d.level, head)} · ${attack || '-'} · ${phase} · ${st.dim(truncate(details || '-', room))}`);
  }
  return out.join('\n') + '\n';
}

export function summaryText(s: HuntSummary, problems: readonly ItemProblem[], st: Style): string {
  const lines: string[] = ['', st.bold('Results summary')];
  lines.push(
    `  detections by level: ${LEVEL_ORDER.map((l) => st.level(l, `${l} ${s.byLevel[l] ?? 0}`)).join(' · ')}`,
  );
  lines.push(`  total detections: ${s.stats.detections} from ${s.byRule.length} rules`);
  if (s.stats.events > 0) {
    const pct = (100 * s.stats.eventsWithHits) / s.stats.events;
    lines.push(
      `  events with hits / total events: ${s.stats.eventsWithHits} / ${s.stats.events} ` +
        `(data reduction: ${s.stats.events - s.stats.eventsWithHits} events, ${(100 - pct).toFixed(2)} %)`,
    );
  }
  if (s.firstTimestamp) lines.push(`  first timestamp: ${s.firstTimestamp} · last timestamp: ${s.lastTimestamp}`);
  if (s.busiestDates.length > 0) {
    lines.push(`  dates with most detections: ${s.busiestDates.map((d) => `${d.date} (${d.detections})`).join(', ')}`);
  }
  if (s.byHost.length > 0) {
    lines.push('', st.bold('  Hosts (most severe first)'));
    for (const h of s.byHost.slice(0, 10)) lines.push(`    ${h.computer}: ${h.detections} (critical ${h.critical}, high ${h.high})`);
  }
  if (s.byTechnique.length > 0) {
    lines.push('', st.bold('  ATT&CK techniques'));
    for (const t of s.byTechnique.slice(0, 15)) lines.push(`    ${t.technique}: ${t.detections} detections, ${t.rules} rules`);
  }
  if (s.byRule.length > 0) {
    lines.push('', st.bold('  Top rules'));
    for (const r of s.byRule.slice(0, 15)) lines.push(`    ${st.level(r.level, LEVEL_SHORT[r.level] ?? r.level)} ${r.rule_title}: ${r.detections}`);
  }
  const secs = s.stats.ms / 1000;
  lines.push(
    '',
    `  scanned ${s.stats.files} files, ${(s.stats.bytes / 1048576).toFixed(1)} MiB, ${s.stats.events} events in ${secs.toFixed(2)} s including rule compilation ` +
      `(${Math.round(s.stats.events / Math.max(secs, 1e-3))} events/s, ${s.stats.threads} thread${s.stats.threads > 1 ? 's' : ''}) with ${s.rulesLoaded} rules` +
      (s.rulesUnmapped ? ` (${s.rulesUnmapped} rules for other log sources not used)` : ''),
  );
  if (problems.length > 0) {
    lines.push('', st.bold(`  ${problems.length} input problems (skipped, the rest was scanned):`));
    for (const p of problems.slice(0, 20)) lines.push(`    ${p.where}: ${p.reason}`);
    if (problems.length > 20) lines.push(`    … and ${problems.length - 20} more (use --format json to see all)`);
  }
  return lines.join('\n') + '\n';
}
