import type { Kysely, Selectable } from 'kysely';
import { InputError, systemClock, type Clock } from '../core/index.js';
import type { Database } from '../store/index.js';
import type { AlertTable, CaseTable, CasesTables } from './schema.js';
import type { Alert, AlertStatus, Case, CaseSeverity, CaseState, HashAlgorithm, Observable, ObservableType, Pap, Tlp } from './types.js';
import type { Severity } from '../core/index.js';

/** What the case operations need: the store's database (or a transaction on it) and a clock. */
export interface CasesDeps {
  readonly db: Kysely<Database>;
  readonly clock?: Clock;
}

export type CasesDb = Kysely<Database & CasesTables>;

export function clockOf(deps: CasesDeps): Clock {
  return deps.clock ?? systemClock;
}

export { inTransaction, isPostgres } from '../store/index.js';

export function tables(db: Kysely<Database>): CasesDb {
  return db.withTables<CasesTables>();
}

/** A JSON array column; our own writes, but a hand-edited row must not take a page down. */
export function jsonArray<T>(text: string): T[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export function jsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function num(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

export function alertFromRow(r: Selectable<AlertTable>): Alert {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleVersion: r.rule_version,
    ruleTitle: r.rule_title,
    level: r.level as Severity,
    techniques: jsonArray<string>(r.techniques),
    tactics: jsonArray<string>(r.tactics),
    author: r.author,
    host: r.host === '' ? null : r.host,
    user: r.user_name === '' ? null : r.user_name,
    status: r.status as AlertStatus,
    statusNote: r.status_note,
    caseId: r.case_id,
    observables: jsonArray<{ t: ObservableType; v: string; a?: HashAlgorithm }>(r.observables).map(observableFromJson),
    eventIds: jsonArray<string>(r.event_ids),
    eventCount: r.event_count,
    detectionCount: r.detection_count,
    matchedFields: jsonArray<string>(r.matched_fields),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Observables in alert rows are stored compactly: `{t, v, a?}`. */
export function observableToJson(o: Observable): { t: ObservableType; v: string; a?: HashAlgorithm } {
  return o.algorithm ? { t: o.type, v: o.value, a: o.algorithm } : { t: o.type, v: o.value };
}

function observableFromJson(j: { t: ObservableType; v: string; a?: HashAlgorithm }): Observable {
  return j.a ? { type: j.t, value: j.v, algorithm: j.a } : { type: j.t, value: j.v };
}

export function caseFromRow(r: Selectable<CaseTable>, alertCount: number): Case {
  return {
    id: r.id,
    number: r.number,
    title: r.title,
    description: r.description,
    severity: r.severity as CaseSeverity,
    state: r.state as CaseState,
    assignee: r.assignee,
    tags: jsonArray<string>(r.tags),
    tlp: r.tlp as Tlp,
    pap: r.pap as Pap,
    summary: r.summary,
    mergedInto: r.merged_into,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revision: r.revision,
    clocks: {
      acknowledgedAt: r.acknowledged_at,
      timeToAcknowledgeMs: num(r.tta_ms),
      resolvedAt: r.resolved_at,
      timeToResolveMs: num(r.ttr_ms),
    },
    alertCount,
  };
}

/** `a,b` or repeated values → a checked list; an unknown value is an input error naming the field. */
export function checkedList<T extends string>(values: readonly string[] | undefined, allowed: readonly T[], where: string): T[] | undefined {
  if (values === undefined) return undefined;
  const out: T[] = [];
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v)) throw new InputError('FILTER_INVALID', `'${v}' is not one of ${allowed.join(', ')}`, where);
    out.push(v as T);
  }
  return out;
}

/** An ISO 8601 time from a user, re-serialised so it compares as text with stored times. */
export function checkedTime(text: string, where: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0 || ms > 253402300799999) throw new InputError('TIME_INVALID', `'${text}' is not an ISO 8601 time between 1970 and 9999`, where);
  return new Date(ms).toISOString();
}
