import { SEVERITIES } from '../../core/index.js';

/**
 * Sigma rules as parsed from YAML, before compilation. Field names and values are kept as
 * the rule wrote them; positions let errors name the line.
 */
export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export const LEVELS: readonly SigmaLevel[] = SEVERITIES;

export function levelRank(level: SigmaLevel): number {
  return LEVELS.indexOf(level);
}

export interface SigmaLogsource {
  readonly product?: string;
  readonly category?: string;
  readonly service?: string;
  readonly definition?: string;
}

/** A rule value as YAML gave it. */
export type SigmaScalar = string | number | boolean | null;

/** `Field|mod1|mod2: values` — one item of a selection map. */
export interface FieldCondition {
  /** Field name; '' for keyword search (a map key that starts with `|`). */
  readonly field: string;
  readonly modifiers: readonly string[];
  readonly values: readonly SigmaScalar[];
  /** Where the item is written (file:line), for errors found while compiling. */
  readonly where: string;
}

/** A named search identifier under `detection`. */
export type SearchIdentifier =
  /** A map: all items must match (AND). */
  | { readonly kind: 'map'; readonly items: readonly FieldCondition[]; readonly where: string }
  /** A list of maps: any map (OR). */
  | { readonly kind: 'maps'; readonly maps: readonly (readonly FieldCondition[])[]; readonly where: string }
  /** A list of plain values: keywords, any of them anywhere in the event (OR). */
  | { readonly kind: 'keywords'; readonly values: readonly SigmaScalar[]; readonly where: string };

export interface RuleMeta {
  readonly file: string;
  readonly line: number;
  readonly title: string;
  readonly id?: string;
  readonly name?: string;
  readonly status?: string;
  readonly description?: string;
  readonly author?: string;
  readonly level: SigmaLevel;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  readonly fields: readonly string[];
  readonly date?: string;
  readonly modified?: string;
}

export interface SigmaRule extends RuleMeta {
  readonly kind: 'rule';
  readonly logsource: SigmaLogsource;
  readonly detection: ReadonlyMap<string, SearchIdentifier>;
  /** One condition, or several (deprecated list form) which are ORed. */
  readonly conditions: readonly string[];
  readonly conditionWhere: string;
}

/** A filter (meta) rule: its condition is ANDed to each referenced rule's condition. */
export interface SigmaFilter {
  readonly kind: 'filter';
  readonly file: string;
  readonly line: number;
  readonly title: string;
  readonly id?: string;
  readonly logsource: SigmaLogsource;
  /** Rule ids or names the filter applies to; empty means every rule of the logsource. */
  readonly rules: readonly string[];
  readonly detection: ReadonlyMap<string, SearchIdentifier>;
  readonly condition: string;
  readonly conditionWhere: string;
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

export interface CorrelationCondition {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly eq?: number;
  readonly neq?: number;
  /** value_count: the field whose distinct values are counted. */
  readonly field?: string;
}

export interface SigmaCorrelation extends RuleMeta {
  readonly kind: 'correlation';
  readonly type: CorrelationType;
  /** Referenced rules by id or name, in order (order matters for temporal_ordered). */
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  readonly condition: CorrelationCondition;
  /** Field aliases: alias → (rule id/name → field in that rule's events). */
  readonly aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Whether the referenced rules also raise their own alerts. */
  readonly generate: boolean;
}

export type SigmaDocument = SigmaRule | SigmaFilter | SigmaCorrelation;
