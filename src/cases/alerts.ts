import type { Kysely } from 'kysely';
import { ConflictError, InputError, NotFoundError, newId, requireRole, type Detection, type RequestContext, type Severity } from '../core/index.js';
import { appendAudit, lockUntilCommit, type Database } from '../store/index.js';
import { longText, plainText } from './case-common.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { alertFromRow, checkedList, checkedTime, clockOf, inTransaction, isPostgres, observableToJson, tables, type CasesDeps, type CasesDb } from './db.js';
import { ALERT_STATUSES, ALERT_TRANSITIONS, LEVELS, maxLevel } from './lifecycle.js';
import { observableKey } from './observable-values.js';
import { observablesOf } from './observables.js';
import type { Alert, AlertFilter, AlertStatus, Observable, Page, PageRequest } from './types.js';

export const DEFAULT_ALERT_WINDOW_MS = 15 * 60_000;
/** Event ids kept per alert; `eventCount` goes on counting past it. */
export const MAX_ALERT_EVENT_IDS = 100;
export const MAX_ALERT_OBSERVABLES = 500;
const MAX_MATCHED_FIELDS = 100;
const MAX_KEY_TEXT = 255;
const LATEST_TIME = 253402300799999;

export interface RecordOptions {
  /** Detections of one rule, host and user whose times all fit in this span share an alert. */
  readonly windowMs?: number;
  /**
   * Write an audit entry for each alert created or grown (default true). The live pipeline
   * turns it off: grouping detections is the machine's bookkeeping, recorded in the alert
   * itself (counts, first/last seen, event ids), and one audit entry per alert change cost a
   * fifth of its throughput. What people and API clients do to alerts is always audited.
   */
  readonly audit?: boolean;
}

/** What a batch of detections did, for the server to push to the console. */
export interface RecordedAlerts {
  readonly created: Alert[];
  readonly updated: Alert[];
}

/** An alert being built or grown in memory during one batch. */
interface WorkingAlert {
  readonly id: string;
  readonly isNew: boolean;
  changed: boolean;
  ruleVersion: number;
  ruleTitle: string;
  level: Severity;
  techniques: Set<string>;
  tactics: Set<string>;
  author: string | null;
  status: AlertStatus;
  statusNote: string | null;
  caseId: string | null;
  mergedAt: string | null;
  observables: Observable[];
  observableKeys: Set<string>;
  /** Observables this batch added, for the alert's case. */
  addedObservables: Observable[];
  eventIds: string[];
  eventIdSet: Set<string>;
  eventCount: number;
  detectionCount: number;
  matchedFields: Set<string>;
  firstMs: number;
  lastMs: number;
  createdAt: string;
  before: { readonly detectionCount: number; readonly eventCount: number; readonly firstSeen: string; readonly lastSeen: string } | null;
}

interface GroupKey {
  readonly ruleId: string;
  readonly host: string;
  readonly user: string;
}

/** Trimmed, bounded, and without NUL (PostgreSQL text cannot hold it; event text is untrusted). */
function clip(text: string | undefined, max = MAX_KEY_TEXT): string {
  const t = (text ?? '').replaceAll('\u0000', '').trim();
  return t.length > max ? t.slice(0, max) : t;
}

/** Hosts group and display lower-case (Windows names ignore case); accounts keep their spelling. */
function keyOf(d: Detection): GroupKey {
  return { ruleId: clip(d.ruleId, 200), host: clip(d.host).toLowerCase(), user: clip(d.user) };
}

/** The detection's event time; an unreadable or absurd time falls back to when we saw it. */
function eventMs(d: Detection, now: Date): number {
  const ms = Date.parse(d.at);
  return Number.isNaN(ms) || ms < 0 || ms > LATEST_TIME ? now.getTime() : ms;
}

const iso = (ms: number): string => new Date(Math.min(Math.max(ms, 0), LATEST_TIME)).toISOString();

function span(a: WorkingAlert, ms: number): number {
  return Math.max(a.lastMs, ms) - Math.min(a.firstMs, ms);
}

function fromRow(r: Parameters<typeof alertFromRow>[0]): WorkingAlert {
  const a = alertFromRow(r);
  return {
    id: a.id, isNew: false, changed: false, ruleVersion: a.ruleVersion, ruleTitle: a.ruleTitle, level: a.level,
    techniques: new Set(a.techniques), tactics: new Set(a.tactics), author: a.author, status: a.status, statusNote: a.statusNote,
    caseId: a.caseId, mergedAt: r.merged_at, observables: [...a.observables], observableKeys: new Set(a.observables.map(observableKey)),
    addedObservables: [], eventIds: [...a.eventIds], eventIdSet: new Set(a.eventIds), eventCount: a.eventCount,
    detectionCount: a.detectionCount, matchedFields: new Set(a.matchedFields), firstMs: Date.parse(a.firstSeen), lastMs: Date.parse(a.lastSeen),
    createdAt: a.createdAt, before: { detectionCount: a.detectionCount, eventCount: a.eventCount, firstSeen: a.firstSeen, lastSeen: a.lastSeen },
  };
}

function ruleVersionOf(d: Detection): number {
  return Number.isSafeInteger(d.ruleVersion) && d.ruleVersion >= 0 && d.ruleVersion < 2 ** 31 ? d.ruleVersion : 0;
}

function newWorking(d: Detection, ms: number, now: Date): WorkingAlert {
  return {
    id: newId(), isNew: true, changed: true, ruleVersion: ruleVersionOf(d), ruleTitle: clip(d.ruleTitle, 1000), level: LEVELS.includes(d.level) ? d.level : 'medium',
    techniques: new Set(), tactics: new Set(), author: d.author === undefined ? null : clip(d.author, 1000), status: 'new', statusNote: null, caseId: null, mergedAt: null,
    observables: [], observableKeys: new Set(), addedObservables: [], eventIds: [], eventIdSet: new Set(), eventCount: 0,
    detectionCount: 0, matchedFields: new Set(), firstMs: ms, lastMs: ms, createdAt: now.toISOString(), before: null,
  };
}

/** Folds one detection in; false when it is a redelivery of a detection already counted. */
function fold(a: WorkingAlert, d: Detection, ms: number): boolean {
  if (d.eventId !== '' && a.eventIdSet.has(d.eventId)) return false;
  for (const id of [d.eventId, ...(d.relatedEventIds ?? [])]) {
    if (id === '' || a.eventIdSet.has(id)) continue;
    a.eventCount++;
    if (a.eventIds.length < MAX_ALERT_EVENT_IDS) {
      a.eventIds.push(id);
      a.eventIdSet.add(id);
    }
  }
  a.detectionCount++;
  a.firstMs = Math.min(a.firstMs, ms);
  a.lastMs = Math.max(a.lastMs, ms);
  // The latest rule version speaks for the alert (a rule edited mid-incident).
  if (ruleVersionOf(d) >= a.ruleVersion) {
    a.ruleVersion = ruleVersionOf(d);
    a.ruleTitle = clip(d.ruleTitle, 1000);
    a.author = d.author === undefined ? a.author : clip(d.author, 1000);
  }
  a.level = maxLevel(a.level, LEVELS.includes(d.level) ? d.level : 'medium');
  for (const t of d.techniques) a.techniques.add(t);
  for (const t of d.tactics) a.tactics.add(t);
  for (const f of d.matchedFields ?? []) if (a.matchedFields.size < MAX_MATCHED_FIELDS) a.matchedFields.add(f);
  for (const o of observablesOf(d.event)) {
    if (a.observables.length >= MAX_ALERT_OBSERVABLES) break;
    const key = observableKey(o);
    if (a.observableKeys.has(key)) continue;
    a.observableKeys.add(key);
    a.observables.push(o);
    if (!a.isNew) a.addedObservables.push(o);
  }
  a.changed = true;
  return true;
}

function toAlert(a: WorkingAlert, key: GroupKey, now: Date): Alert {
  return {
    id: a.id, ruleId: key.ruleId, ruleVersion: a.ruleVersion, ruleTitle: a.ruleTitle, level: a.level,
    techniques: [...a.techniques], tactics: [...a.tactics], author: a.author, host: key.host === '' ? null : key.host,
    user: key.user === '' ? null : key.user, status: a.status, statusNote: a.statusNote, caseId: a.caseId,
    observables: a.observables, eventIds: a.eventIds, eventCount: a.eventCount, detectionCount: a.detectionCount,
    matchedFields: [...a.matchedFields], firstSeen: iso(a.firstMs), lastSeen: iso(a.lastMs), createdAt: a.createdAt, updatedAt: now.toISOString(),
  };
}

async function loadCandidates(t: CasesDb, tenant: string, key: GroupKey, fromMs: number, toMs: number): Promise<WorkingAlert[]> {
  const rows = await t
    .selectFrom('alerts')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('rule_id', '=', key.ruleId)
    .where('host', '=', key.host)
    .where('user_name', '=', key.user)
    // A dismissed alert does not swallow what comes next: the analyst judged what they saw.
    .where('status', '!=', 'dismissed')
    .where('last_seen', '>=', iso(fromMs))
    .where('first_seen', '<=', iso(toMs))
    .orderBy('last_seen', 'desc')
    .limit(100)
    .execute();
  return rows.map(fromRow);
}

async function writeAlert(tx: Kysely<Database>, ctx: RequestContext, a: WorkingAlert, key: GroupKey, now: Date, audit: boolean): Promise<Alert> {
  const t = tables(tx);
  const alert = toAlert(a, key, now);
  const columns = {
    rule_version: alert.ruleVersion, rule_title: alert.ruleTitle, level: alert.level, techniques: JSON.stringify(alert.techniques),
    tactics: JSON.stringify(alert.tactics), author: alert.author, observables: JSON.stringify(alert.observables.map(observableToJson)),
    event_ids: JSON.stringify(alert.eventIds), event_count: alert.eventCount, detection_count: alert.detectionCount,
    matched_fields: JSON.stringify(alert.matchedFields), first_seen: alert.firstSeen, last_seen: alert.lastSeen, updated_at: alert.updatedAt,
  };
  if (a.isNew) {
    await t.insertInto('alerts').values({
      ...columns, id: a.id, tenant: ctx.tenant, rule_id: key.ruleId, host: key.host, user_name: key.user, status: 'new',
      status_note: null, case_id: null, merged_at: null, created_at: a.createdAt,
    }).execute();
    if (audit) await appendAudit(tx, ctx, {
      action: 'alert.create', target: `alert:${a.id}`,
      detail: { rule_id: key.ruleId, rule_version: alert.ruleVersion, level: alert.level, host: key.host, user: key.user, detections: alert.detectionCount, first_seen: alert.firstSeen },
    }, now);
    return alert;
  }
  await t.updateTable('alerts').set(columns).where('id', '=', a.id).where('tenant', '=', ctx.tenant).execute();
  const b = a.before!;
  if (audit) await appendAudit(tx, ctx, {
    action: 'alert.update', target: `alert:${a.id}`,
    detail: {
      detections: { before: b.detectionCount, after: alert.detectionCount }, events: { before: b.eventCount, after: alert.eventCount },
      last_seen: { before: b.lastSeen, after: alert.lastSeen }, first_seen: { before: b.firstSeen, after: alert.firstSeen },
      ...(a.caseId && a.addedObservables.length > 0 ? { case_id: a.caseId, observables_added_to_case: a.addedObservables.length } : {}),
    },
  }, now);
  if (a.caseId && a.addedObservables.length > 0) await addCaseObservablesFromAlert(tx, ctx, a.caseId, a.addedObservables, now);
  return alert;
}

/** Alert observables join their case's list (the case's observables are the union of its alerts'). */
export async function addCaseObservablesFromAlert(tx: Kysely<Database>, ctx: RequestContext, caseId: string, observables: readonly Observable[], now: Date): Promise<void> {
  if (observables.length === 0) return;
  const t = tables(tx);
  const at = now.toISOString();
  // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
  for (let i = 0; i < observables.length; i += 500) {
    const rows = observables.slice(i, i + 500).map((o) => ({
      id: newId(), tenant: ctx.tenant, case_id: caseId, type: o.type, value: o.value, algorithm: o.algorithm ?? '', ioc: 0, note: null,
      source: 'alert', added_by: ctx.actor.id, added_at: at,
    }));
    await t.insertInto('case_observables').values(rows).onConflict((oc) => oc.columns(['case_id', 'type', 'value']).doNothing()).execute();
  }
}

/**
 * Deduplicates and groups detections into alerts: detections of one rule on one host for
 * one user whose event times fit in one window (default 15 minutes) become one alert whose
 * counts, first/last seen, event ids and observables grow. A detection whose event id the
 * alert already holds is a redelivery and is not counted twice. Dismissed alerts do not
 * absorb new detections; alerts in a case do, and their new observables join the case.
 *
 * Call it with the transaction the pipeline holds (it joins it; given the plain database it
 * opens its own). Every created or grown alert gets an audit entry in that transaction, unless `options.audit` is false.
 */
export async function recordDetections(
  db: Kysely<Database>,
  ctx: RequestContext,
  detections: readonly Detection[],
  now: Date,
  options: RecordOptions = {},
): Promise<RecordedAlerts> {
  requireRole(ctx, 'analyst');
  const windowMs = options.windowMs ?? DEFAULT_ALERT_WINDOW_MS;
  if (!Number.isFinite(windowMs) || windowMs < 0) throw new InputError('WINDOW_INVALID', `must be a non-negative number of milliseconds, got ${windowMs}`, 'windowMs');
  if (detections.length === 0) return { created: [], updated: [] };
  if (!db.isTransaction) return db.transaction().execute((tx) => recordDetections(tx, ctx, detections, now, options));

  const groups = new Map<string, { key: GroupKey; items: Array<{ d: Detection; ms: number }> }>();
  for (const d of detections) {
    const key = keyOf(d);
    const id = JSON.stringify([key.ruleId, key.host, key.user]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, items: [] }));
    g.items.push({ d, ms: eventMs(d, now) });
  }
  const t = tables(db);
  const result: { created: Alert[]; updated: Alert[] } = { created: [], updated: [] };
  // Sorted, so two workers lock overlapping groups in the same order and cannot deadlock.
  for (const id of [...groups.keys()].sort()) {
    const { key, items } = groups.get(id)!;
    // Two scale-out workers must not both open an alert for one group: serialise per group.
    await lockUntilCommit(db, ['lianfang.alerts', ctx.tenant, id]);
    items.sort((x, y) => x.ms - y.ms);
    const working = await loadCandidates(t, ctx.tenant, key, items[0]!.ms - windowMs, items[items.length - 1]!.ms + windowMs);
    for (const { d, ms } of items) {
      let best: WorkingAlert | undefined;
      for (const a of working) if (span(a, ms) <= windowMs && (!best || a.lastMs > best.lastMs)) best = a;
      if (!best) working.push((best = newWorking(d, ms, now)));
      fold(best, d, ms);
    }
    for (const a of working) {
      if (!a.changed) continue;
      const alert = await writeAlert(db, ctx, a, key, now, options.audit ?? true);
      (a.isNew ? result.created : result.updated).push(alert);
    }
  }
  return result;
}

/** Alerts, newest first, filtered. */
export async function listAlerts(ctx: RequestContext, deps: CasesDeps, filter: AlertFilter = {}, page: PageRequest = {}): Promise<Page<Alert>> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  const limit = pageSize(page.limit);
  const status = checkedList(filter.status, ALERT_STATUSES, 'status');
  const level = checkedList(filter.level, LEVELS, 'level');
  let q = tables(deps.db).selectFrom('alerts').selectAll().where('tenant', '=', ctx.tenant);
  if (filter.ruleId !== undefined) q = q.where('rule_id', '=', plainText(filter.ruleId, 'rule_id'));
  if (filter.host !== undefined) q = q.where('host', '=', plainText(filter.host, 'host').trim().toLowerCase());
  if (status && status.length > 0) q = q.where('status', 'in', status);
  if (level && level.length > 0) q = q.where('level', 'in', level);
  if (filter.since !== undefined) q = q.where('last_seen', '>=', checkedTime(filter.since, 'since'));
  if (page.cursor !== undefined) q = q.where('seq', '<', decodeCursor(page.cursor));
  const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const next = rows.length > limit ? encodeCursor(Number(items[items.length - 1]!.seq)) : null;
  return { items: items.map(alertFromRow), next };
}

export async function getAlert(ctx: RequestContext, deps: CasesDeps, id: string): Promise<Alert> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  const row = await tables(deps.db).selectFrom('alerts').selectAll().where('tenant', '=', ctx.tenant).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('ALERT_NOT_FOUND', `no alert ${id}`);
  return alertFromRow(row);
}

export interface AlertStatusChange {
  readonly status: AlertStatus;
  /** Why: "benign admin script", "looking into it". */
  readonly note?: string | null;
}

/** Acknowledge, dismiss or reopen an alert by hand. Alerts in a case move with their case. */
export async function setAlertStatus(ctx: RequestContext, deps: CasesDeps, id: string, change: AlertStatusChange): Promise<Alert> {
  requireRole(ctx, 'analyst');
  const now = clockOf(deps).now();
  return inTransaction(deps.db, async (tx) => {
    const t = tables(tx);
    let q = t.selectFrom('alerts').selectAll().where('tenant', '=', ctx.tenant).where('id', '=', id);
    if (isPostgres(tx)) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new NotFoundError('ALERT_NOT_FOUND', `no alert ${id}`);
    const from = row.status as AlertStatus;
    if (!ALERT_STATUSES.includes(change.status)) throw new InputError('ALERT_STATUS_INVALID', `'${change.status}' is not one of ${ALERT_STATUSES.join(', ')}`, 'status');
    if (from === 'in_case') throw new ConflictError('ALERT_IN_CASE', `alert ${id} belongs to case ${row.case_id}; it follows that case`);
    if (change.status === 'in_case') throw new InputError('ALERT_STATUS_INVALID', 'an alert enters a case by merging it into one (POST /cases/{id}/alerts)', 'status');
    const note = change.note === undefined ? row.status_note : change.note === null ? null : longText(change.note, 'note');
    if (from === change.status && note === row.status_note) return alertFromRow(row);
    if (from !== change.status && !ALERT_TRANSITIONS[from].includes(change.status)) {
      throw new ConflictError('ALERT_TRANSITION', `an alert that is ${from} cannot become ${change.status}`);
    }
    const updatedAt = now.toISOString();
    await t.updateTable('alerts').set({ status: change.status, status_note: note, updated_at: updatedAt }).where('id', '=', id).execute();
    await appendAudit(tx, ctx, {
      action: 'alert.status', target: `alert:${id}`,
      detail: { status: { before: from, after: change.status }, note: { before: row.status_note, after: note } },
    }, now);
    return { ...alertFromRow(row), status: change.status, statusNote: note, updatedAt };
  });
}
