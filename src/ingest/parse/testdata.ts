/**
 * Test support: where the shared sample logs are (they are read in place, never copied into
 * the repository: several are under licences that do not allow it) and how to compare events.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRecord, FieldValue } from '../../core/index.js';

export const LOGS = new URL('../../../../shared/data/logs/', import.meta.url).pathname;

export function logPath(...parts: string[]): string {
  return join(LOGS, ...parts);
}

export function haveLogs(): boolean {
  return existsSync(LOGS);
}

/** Non-empty lines of a shared sample file. */
export function sampleLines(...parts: string[]): string[] {
  return readFileSync(logPath(...parts), 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** `{a: {b: 1}}` → `{'a.b': 1}`; arrays are leaves. */
export function flatten(value: FieldValue | EventRecord, prefix = '', out: Record<string, FieldValue> = {}): Record<string, FieldValue> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const key of Object.keys(value)) flatten(value[key]!, prefix ? `${prefix}.${key}` : key, out);
  } else out[prefix] = value;
  return out;
}

/** The `[section]` blocks of a Wazuh ruleset test file: each raw log line with its expected decoder. */
export function wazuhCases(file: string): { section: string; decoder?: string; lines: string[] }[] {
  const cases: { section: string; decoder?: string; lines: string[] }[] = [];
  for (const raw of readFileSync(logPath('wazuh-ruleset-tests', file), 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('[') && line.endsWith(']')) cases.push({ section: line.slice(1, -1), lines: [] });
    const current = cases[cases.length - 1];
    if (!current) continue;
    const pass = /^log \d+ (?:pass|fail) = /.exec(line);
    if (pass) current.lines.push(line.slice(pass[0].length));
    else if (line.startsWith('decoder = ')) current.decoder = line.slice('decoder = '.length);
  }
  return cases;
}
