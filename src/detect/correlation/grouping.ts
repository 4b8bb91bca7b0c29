import type { FieldValue } from '../../core/index.js';
import { fieldValue } from '../sigma/fields.js';
import type { SigmaCorrelation } from '../sigma/types.js';
import type { BaseMatch } from './types.js';

/**
 * A field of a match as the correlation names it. An alias resolves by the match's rule
 * name, then id (the spec keys aliases by name; ids are accepted as rules may be referenced
 * by either); a rule the alias does not map reads the alias name as a plain field.
 */
export function aliasedValue(c: SigmaCorrelation, m: BaseMatch, name: string): FieldValue | undefined {
  const perRule = c.aliases.get(name);
  const field = (perRule && (lookup(perRule, m.ruleName) ?? lookup(perRule, m.ruleId))) ?? name;
  return fieldValue(m.event, field);
}

function lookup(map: ReadonlyMap<string, string>, key: string | undefined): string | undefined {
  return key === undefined ? undefined : map.get(key);
}

/** Values compare as exact text; lists and maps by their JSON. */
export function asText(v: FieldValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export interface GroupKey {
  readonly key: string;
  readonly values: readonly string[];
}

/**
 * The match's group, or null when a group-by field is absent or null: such a match takes
 * no part, as a SIEM's group-by drops null keys.
 */
export function groupOf(c: SigmaCorrelation, m: BaseMatch): GroupKey | null {
  const values: string[] = [];
  for (const name of c.groupBy) {
    const v = aliasedValue(c, m, name);
    if (v === undefined || v === null) return null;
    values.push(asText(v));
  }
  return { key: JSON.stringify(values), values };
}

export function groupRecord(c: SigmaCorrelation, values: readonly string[]): Record<string, string> {
  // fromEntries makes own properties even for odd names such as __proto__.
  return Object.fromEntries(c.groupBy.map((name, i) => [name, values[i] ?? '']));
}

/** value_count: the distinct values the match adds; each element of a list is one value. */
export function countedValues(c: SigmaCorrelation, m: BaseMatch): string[] {
  const v = aliasedValue(c, m, c.condition.field ?? '');
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [asText(v)];
  return [...new Set(v.filter((x) => x !== null).map(asText))];
}
