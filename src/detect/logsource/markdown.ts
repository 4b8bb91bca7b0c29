import { DEFENDER_FIELDS } from './channels.js';
import { describeMappings } from './resolve.js';
import type { LogsourceTarget } from './types.js';

function code(s: string): string {
  return '`' + s + '`';
}

function list(items: readonly string[], empty: string): string {
  return items.length === 0 ? empty : items.join('<br>');
}

function isDefenderRename(from: string, to: string): boolean {
  return DEFENDER_FIELDS[from] === to;
}

function renames(t: LogsourceTarget): string {
  const entries = Object.entries(t.fieldMap);
  const own = entries.filter(([from, to]) => !isDefenderRename(from, to));
  const cells = own.map(([from, to]) => `${code(from)} → ${code(to)}`);
  if (own.length < entries.length) cells.push('Defender names (see below)');
  return list(cells, '–');
}

function conditions(t: LogsourceTarget): string {
  const cells = Object.entries(t.conditions).map(([field, values]) => `${code(field)} ∈ ${values.map(code).join(', ')}`);
  return list(cells, '–');
}

function targetCells(t: LogsourceTarget): string[] {
  return [
    list(t.channels.map(code), 'any'),
    t.eventIds.length === 0 ? 'any' : t.eventIds.join(', '),
    renames(t),
    conditions(t),
  ];
}

/** The shipped table as Markdown, one row per target (a logsource with two targets has two rows). */
export function renderMappingTable(): string {
  const lines = [
    '| category | service | channels | EventIDs | field renames (Sigma → event) | extra conditions |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of describeMappings()) {
    for (const t of row.targets) {
      const cells = [row.category ? code(row.category) : '–', row.service ? code(row.service) : '–', ...targetCells(t)];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The Defender spelling table referred to by "Defender names (see below)". */
export function renderDefenderNames(): string {
  const byTarget = new Map<string, string[]>();
  for (const [from, to] of Object.entries(DEFENDER_FIELDS)) byTarget.set(to, [...(byTarget.get(to) ?? []), from]);
  const lines = ['| event field (as Windows writes it) | Sigma spellings mapped to it |', '| --- | --- |'];
  for (const [to, froms] of byTarget) lines.push(`| ${code(to)} | ${froms.map(code).join(', ')} |`);
  return lines.join('\n') + '\n';
}
