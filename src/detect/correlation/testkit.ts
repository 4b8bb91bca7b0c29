// Helpers shared by the correlation tests (not a test file itself).
import assert from 'node:assert/strict';
import type { EventRecord } from '../../core/index.js';
import { parseRuleFile } from '../sigma/parse.js';
import type { SigmaCorrelation } from '../sigma/types.js';
import type { BaseMatch, CorrelationHit } from './types.js';

export const SEC = 1000;
export const MIN = 60 * SEC;
export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

/** The correlation documents of an inline YAML file; any parse problem fails the test. */
export function correlations(yaml: string): SigmaCorrelation[] {
  const { documents, problems } = parseRuleFile(yaml, 'inline.yml');
  assert.deepEqual(problems, []);
  return documents.filter((d): d is SigmaCorrelation => d.kind === 'correlation');
}

/** A match of rule `name` (by name; pass id to reference by id) at T0 + offset. */
export function match(name: string, offsetMs: number, event: EventRecord = {}, id?: string): BaseMatch {
  return { ruleName: name, ruleId: id, event, timeMs: T0 + offsetMs, ref: `${name}@${offsetMs}` };
}

/** A hit reduced to what the tests compare, times as offsets from T0. */
export function brief(h: CorrelationHit): { title: string; group: Record<string, string>; count: number; first: number; last: number; refs: unknown[] } {
  return { title: h.correlation.title, group: h.group, count: h.count, first: h.firstMs - T0, last: h.lastMs - T0, refs: h.matches.map((m) => m.ref) };
}
