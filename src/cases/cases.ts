import type { Kysely, Updateable } from 'kysely';
import type { CaseTable } from './schema.js';
import { ConflictError, InputError, NotFoundError, newId, requireRole, type RequestContext } from '../core/index.js';
import { appendAudit, type Database } from '../store/index.js';
import { addCaseObservablesFromAlert } from './alerts.js';
import { actorName, addHistory, bumpRevision, caseForWrite, lineText, longText, oneOf, tagList, type CaseRow } from './case-common.js';
import { caseDetail } from './case-read.js';
import { alertFromRow, clockOf, inTransaction, isPostgres, jsonArray, tables, type CasesDeps } from './db.js';
import {
  CASE_SEVERITIES, CASE_STATES, PAPS, TERMINAL_STATES, TLPS, canTransition, caseSeverityOf, clockChange, maxCaseSeverity, stricterPap, stricterTlp, CASE_TRANSITIONS,
} from './lifecycle.js';
import { mergeObservables } from './observables.js';
import type { Alert, CaseChanges, CaseDetail, CaseSeverity, CaseState, NewCase, Pap, Tlp } from './types.js';

const MAX_ALERTS_PER_MERGE = 1000;
const MAX_CASES_PER_MERGE = 20;
/** Enough for every alert's observables in a large case, bounded so a merge stays one statement batch. */
const MAX_CASE_OBSERVABLES_FROM_MERGE = 5000;

function alertIdList(ids: readonly string[], where: string): string[] {
  if (ids.length > MAX_ALERTS_PER_MERGE) throw new InputError('ALERTS_TOO_MANY', `${ids.length} alerts, at most ${MAX_ALERTS_PER_MERGE} at once`, where);
  return [...new Set(ids)];
}

/** The alerts to merge, all of them in the caller's tenant and none in another case. */
async function alertsForMerge(tx: Kysely<Database>, ctx: RequestContext, ids: readonly string[], caseId: string | null): Promise<Alert[]> {
  if (ids.length === 0) return [];
  let q = tables(tx).selectFrom('alerts').selectAll().where('tenant', '=', ctx.tenant).where('id', 'in', [...ids]);
  if (isPostgres(tx)) q = q.forUpdate();
  const rows = await q.orderBy('seq').execute();
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new NotFoundError('ALERT_NOT_FOUND', `no alert ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`);
  const elsewhere = rows.filter((r) => r.case_id !== null && r.case_id !== caseId);
  if (elsewhere.length > 0) {
    throw new ConflictError('ALERT_IN_OTHER_CASE', `alert ${elsewhere[0]!.id} is already in case ${elsewhere[0]!.case_id}; merge the cases instead`);
  }
  return rows.map(alertFromRow);
}

/** Puts alerts in the case: status in_case, their observables into the case's list, one history entry. */
async function attachAlerts(tx: Kysely<Database>, ctx: RequestContext, row: CaseRow, alerts: readonly Alert[], at: Date, rev: number): Promise<number> {
  const fresh = alerts.filter((a) => a.caseId !== row.id);
  if (fresh.length === 0) return 0;
  const iso = at.toISOString();
  const ids = fresh.map((a) => a.id);
  await tables(tx).updateTable('alerts').set({ status: 'in_case', case_id: row.id, merged_at: iso, updated_at: iso }).where('tenant', '=', ctx.tenant).where('id', 'in', ids).execute();
  for (const a of fresh) {
    await appendAudit(tx, ctx, { action: 'alert.merge', target: `alert:${a.id}`, detail: { status: { before: a.status, after: 'in_case' }, case_id: row.id } }, at);
  }
  await addCaseObservablesFromAlert(tx, ctx, row.id, mergeObservables(fresh.map((a) => a.observables), MAX_CASE_OBSERVABLES_FROM_MERGE), at);
  await addHistory(tx, ctx, row.id, { kind: 'alerts_merged', at: iso, rev, detail: { alert_ids: ids, count: ids.length, rules: [...new Set(fresh.map((a) => a.ruleTitle))] } });
  return fresh.length;
}

/** "Rule title on host", or a count when the alerts are of several rules. */
function titleFromAlerts(alerts: readonly Alert[]): string {
  const rules = [...new Set(alerts.map((a) => a.ruleTitle))];
  const hosts = [...new Set(alerts.map((a) => a.host).filter((h): h is string => h !== null))];
  const what = rules.length === 1 ? rules[0]! : `${rules[0]!} and ${rules.length - 1} more rule${rules.length > 2 ? 's' : ''}`;
  const where = hosts.length === 1 ? ` on ${hosts[0]!}` : hosts.length > 1 ? ` on ${hosts.length} hosts` : '';
  return `${what}${where}`.slice(0, 500);
}

async function nextCaseNumber(tx: Kysely<Database>, tenant: string): Promise<number> {
  const t = tables(tx);
  await t.insertInto('case_numbers').values({ tenant, last_number: 0 }).onConflict((oc) => oc.column('tenant').doNothing()).execute();
  // The UPDATE takes the row lock on PostgreSQL, so concurrent creators queue for numbers.
  const r = await t.updateTable('case_numbers').set((eb) => ({ last_number: eb('last_number', '+', 1) })).where('tenant', '=', tenant).returning('last_number').executeTakeFirstOrThrow();
  return Number(r.last_number);
}

/**
 * Opens a case, empty or from alerts (which become `in_case`). Without a title it is
 * named after the alerts; without a severity it takes the highest alert level; the
 * alerts' ATT&CK techniques become tags. Created with an assignee, it is acknowledged at once.
 */
export async function createCase(ctx: RequestContext, deps: CasesDeps, input: NewCase): Promise<CaseDetail> {
  requireRole(ctx, 'analyst');
  const alertIds = alertIdList(input.alertIds ?? [], 'alert_ids');
  if (input.title === undefined && alertIds.length === 0) throw new InputError('CASE_TITLE_REQUIRED', 'a case without alerts needs a title', 'title');
  const title = input.title === undefined ? undefined : lineText(input.title, 'title');
  const description = longText(input.description ?? '', 'description');
  const severity = input.severity === undefined ? undefined : oneOf(input.severity, CASE_SEVERITIES, 'severity');
  const assignee = actorName(input.assignee ?? null, 'assignee');
  const tags = input.tags === undefined ? undefined : tagList(input.tags, 'tags');
  const tlp = oneOf(input.tlp ?? 'amber', TLPS, 'tlp');
  const pap = oneOf(input.pap ?? 'amber', PAPS, 'pap');
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const alerts = await alertsForMerge(tx, ctx, alertIds, null);
    const id = newId();
    const number = await nextCaseNumber(tx, ctx.tenant);
    const row = {
      id, tenant: ctx.tenant, number,
      title: title ?? titleFromAlerts(alerts),
      description,
      severity: severity ?? alerts.reduce<CaseSeverity>((s, a) => maxCaseSeverity(s, caseSeverityOf(a.level)), alerts.length > 0 ? 'low' : 'medium'),
      state: 'new', assignee, tags: JSON.stringify(tags ?? [...new Set(alerts.flatMap((a) => a.techniques))].slice(0, 50)), tlp, pap,
      summary: null, merged_into: null, created_by: ctx.actor.id, created_at: at, updated_at: at, revision: 1,
      acknowledged_at: assignee === null ? null : at, tta_ms: assignee === null ? null : 0, resolved_at: null, ttr_ms: null,
    };
    await tables(tx).insertInto('cases').values(row).execute();
    await attachAlerts(tx, ctx, row, alerts, now, 1);
    await appendAudit(tx, ctx, {
      action: 'case.create', target: `case:${id}`,
      detail: { number, title: row.title, severity: row.severity, assignee, tlp, pap, tags: jsonArray<string>(row.tags), alert_ids: alerts.map((a) => a.id) },
    }, now);
    return caseDetail(tx, ctx, row);
  });
}

/** Merges alerts into an open case; alerts already in it are left as they are. */
export async function mergeAlertsIntoCase(ctx: RequestContext, deps: CasesDeps, caseRef: string, alertIds: readonly string[]): Promise<CaseDetail> {
  requireRole(ctx, 'analyst');
  const ids = alertIdList(alertIds, 'alert_ids');
  if (ids.length === 0) throw new InputError('ALERTS_EMPTY', 'name at least one alert', 'alert_ids');
  const now = clockOf(deps).now();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    if (TERMINAL_STATES.has(row.state as CaseState)) {
      throw new ConflictError('CASE_CLOSED', `case #${row.number} is ${row.state}; reopen it (state triage) or open a new case`);
    }
    const alerts = await alertsForMerge(tx, ctx, ids, row.id);
    if (alerts.every((a) => a.caseId === row.id)) return caseDetail(tx, ctx, row);
    const rev = await bumpRevision(tx, row, now.toISOString());
    const n = await attachAlerts(tx, ctx, row, alerts, now, rev);
    await appendAudit(tx, ctx, { action: 'case.alerts.merge', target: `case:${row.id}`, detail: { alert_ids: alerts.filter((a) => a.caseId !== row.id).map((a) => a.id), count: n } }, now);
    return caseDetail(tx, ctx, { ...row, revision: rev, updated_at: now.toISOString() });
  });
}

interface CheckedChanges {
  title?: string;
  description?: string;
  severity?: CaseSeverity;
  state?: CaseState;
  assignee?: string | null;
  tags?: string[];
  tlp?: Tlp;
  pap?: Pap;
  summary?: string | null;
}

function checkChanges(c: CaseChanges): CheckedChanges {
  const out: CheckedChanges = {};
  if (c.title !== undefined) out.title = lineText(c.title, 'title');
  if (c.description !== undefined) out.description = longText(c.description, 'description');
  if (c.severity !== undefined) out.severity = oneOf(c.severity, CASE_SEVERITIES, 'severity');
  if (c.state !== undefined) out.state = oneOf(c.state, CASE_STATES, 'state');
  if (c.assignee !== undefined) out.assignee = actorName(c.assignee, 'assignee');
  if (c.tags !== undefined) out.tags = tagList(c.tags, 'tags');
  if (c.tlp !== undefined) out.tlp = oneOf(c.tlp, TLPS, 'tlp');
  if (c.pap !== undefined) out.pap = oneOf(c.pap, PAPS, 'pap');
  if (c.summary !== undefined) out.summary = c.summary === null ? null : longText(c.summary, 'summary');
  return out;
}

/** Column values before and after, for the fields that really change. */
function diff(row: CaseRow, c: CheckedChanges): Map<string, { before: unknown; after: unknown }> {
  const d = new Map<string, { before: unknown; after: unknown }>();
  const scalar = (name: keyof CheckedChanges & keyof CaseRow): void => {
    if (c[name] !== undefined && c[name] !== row[name]) d.set(name, { before: row[name], after: c[name] });
  };
  for (const name of ['title', 'description', 'severity', 'state', 'assignee', 'tlp', 'pap', 'summary'] as const) scalar(name);
  if (c.tags !== undefined && JSON.stringify(c.tags) !== row.tags) d.set('tags', { before: jsonArray<string>(row.tags), after: c.tags });
  return d;
}

/**
 * Changes a case's fields and state. State moves follow `CASE_TRANSITIONS`; the clocks
 * stop as they happen (`clockChange`). With `revision`, the change is refused when someone
 * else changed the case since the caller read it.
 */
export async function updateCase(ctx: RequestContext, deps: CasesDeps, caseRef: string, changes: CaseChanges): Promise<CaseDetail> {
  requireRole(ctx, 'analyst');
  const c = checkChanges(changes);
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    if (changes.revision !== undefined && changes.revision !== row.revision) {
      throw new ConflictError('CASE_REVISION', `case #${row.number} is at revision ${row.revision}, not ${changes.revision}: someone changed it; reload and retry`);
    }
    const from = row.state as CaseState;
    const to = c.state ?? from;
    if (to !== from && !canTransition(from, to)) {
      throw new ConflictError('CASE_TRANSITION', `a case in state ${from} cannot move to ${to}; from ${from} it may go to ${CASE_TRANSITIONS[from].join(', ')}`);
    }
    const d = diff(row, c);
    if (d.size === 0) return caseDetail(tx, ctx, row);
    const assigned = d.has('assignee') && c.assignee !== null;
    const clocks = clockChange({ createdAt: row.created_at, acknowledgedAt: row.acknowledged_at, resolvedAt: row.resolved_at }, { from, to, assigned }, at);
    const set: Updateable<CaseTable> = { revision: row.revision + 1, updated_at: at };
    for (const [name, { after }] of d) Object.assign(set, { [name]: name === 'tags' ? JSON.stringify(after) : after });
    if (clocks.acknowledgedAt !== undefined) Object.assign(set, { acknowledged_at: clocks.acknowledgedAt, tta_ms: clocks.timeToAcknowledgeMs });
    if (clocks.resolvedAt !== undefined) Object.assign(set, { resolved_at: clocks.resolvedAt, ttr_ms: clocks.timeToResolveMs });
    await tables(tx).updateTable('cases').set(set).where('id', '=', row.id).execute();
    const rev = row.revision + 1;
    const hist = (kind: 'state_changed' | 'severity_changed' | 'assignee_changed', name: string): Promise<void> => {
      const v = d.get(name)!;
      return addHistory(tx, ctx, row.id, { kind, at, rev, detail: { from: v.before as string | null, to: v.after as string | null } });
    };
    if (d.has('state')) await hist('state_changed', 'state');
    if (d.has('severity')) await hist('severity_changed', 'severity');
    if (d.has('assignee')) await hist('assignee_changed', 'assignee');
    const others = [...d.keys()].filter((k) => k !== 'state' && k !== 'severity' && k !== 'assignee');
    if (others.length > 0) {
      const shown: Record<string, string | string[] | null> = {};
      for (const k of others) if (k === 'title' || k === 'tlp' || k === 'pap' || k === 'tags') shown[k] = d.get(k)!.after as string | string[];
      await addHistory(tx, ctx, row.id, { kind: 'fields_changed', at, rev, detail: { fields: others, ...shown } });
    }
    await appendAudit(tx, ctx, {
      action: 'case.update', target: `case:${row.id}`,
      detail: { ...Object.fromEntries(d), ...(Object.keys(clocks).length > 0 ? { clocks } : {}) },
    }, now);
    return caseDetail(tx, ctx, { ...row, ...set } as CaseRow);
  });
}

/** Moves a source case's alerts, tasks, comments, evidence and observables into the target. */
async function moveCaseContents(tx: Kysely<Database>, ctx: RequestContext, source: CaseRow, target: CaseRow, now: Date): Promise<Record<string, number>> {
  const t = tables(tx);
  const where = { tenant: ctx.tenant, from: source.id };
  const moved: Record<string, number> = {};
  const alerts = await t.selectFrom('alerts').select(['id']).where('tenant', '=', where.tenant).where('case_id', '=', where.from).execute();
  if (alerts.length > 0) {
    await t.updateTable('alerts').set({ case_id: target.id, updated_at: now.toISOString() }).where('tenant', '=', where.tenant).where('case_id', '=', where.from).execute();
    for (const a of alerts) await appendAudit(tx, ctx, { action: 'alert.move', target: `alert:${a.id}`, detail: { case_id: { before: source.id, after: target.id } } }, now);
  }
  moved['alerts'] = alerts.length;
  for (const table of ['case_tasks', 'case_comments', 'case_evidence'] as const) {
    const r = await t.updateTable(table).set({ case_id: target.id }).where('tenant', '=', where.tenant).where('case_id', '=', where.from).executeTakeFirst();
    moved[table.slice(5)] = Number(r.numUpdatedRows);
  }
  const observables = await t.selectFrom('case_observables').selectAll().where('tenant', '=', where.tenant).where('case_id', '=', where.from).execute();
  for (const o of observables) {
    await t.insertInto('case_observables').values({ ...o, id: newId(), case_id: target.id }).onConflict((oc) => oc.columns(['case_id', 'type', 'value']).doNothing()).execute();
    // An analyst's IOC mark survives the merge even when the target already had the value.
    if (o.ioc === 1) await t.updateTable('case_observables').set({ ioc: 1 }).where('case_id', '=', target.id).where('type', '=', o.type).where('value', '=', o.value).execute();
  }
  await t.deleteFrom('case_observables').where('tenant', '=', where.tenant).where('case_id', '=', where.from).execute();
  moved['observables'] = observables.length;
  return moved;
}

/**
 * Merges cases into the target: their alerts, tasks, comments, evidence and observables
 * move over, the target takes the union of tags, the highest severity and the stricter
 * TLP and PAP, and each source is closed, marked `merged_into` and becomes read-only.
 */
export async function mergeCases(ctx: RequestContext, deps: CasesDeps, targetRef: string, sourceRefs: readonly string[]): Promise<CaseDetail> {
  requireRole(ctx, 'analyst');
  if (sourceRefs.length === 0) throw new InputError('CASES_EMPTY', 'name at least one case to merge', 'case_ids');
  if (sourceRefs.length > MAX_CASES_PER_MERGE) throw new InputError('CASES_TOO_MANY', `${sourceRefs.length} cases, at most ${MAX_CASES_PER_MERGE} at once`, 'case_ids');
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    let target = await caseForWrite(tx, ctx, targetRef);
    if (TERMINAL_STATES.has(target.state as CaseState)) throw new ConflictError('CASE_CLOSED', `case #${target.number} is ${target.state}; reopen it before merging into it`);
    const seen = new Set<string>();
    for (const ref of sourceRefs) {
      const source = await caseForWrite(tx, ctx, ref);
      if (source.id === target.id) throw new InputError('CASE_MERGE_SELF', `case #${source.number} cannot be merged into itself`, 'case_ids');
      if (seen.has(source.id)) continue;
      seen.add(source.id);
      const moved = await moveCaseContents(tx, ctx, source, target, now);
      const tags = [...new Set([...jsonArray<string>(target.tags), ...jsonArray<string>(source.tags)])].slice(0, 50);
      const targetSet = {
        tags: JSON.stringify(tags), severity: maxCaseSeverity(target.severity as CaseSeverity, source.severity as CaseSeverity),
        tlp: stricterTlp(target.tlp as Tlp, source.tlp as Tlp), pap: stricterPap(target.pap as Pap, source.pap as Pap),
        revision: target.revision + 1, updated_at: at,
      };
      await tables(tx).updateTable('cases').set(targetSet).where('id', '=', target.id).execute();
      await addHistory(tx, ctx, target.id, { kind: 'case_merged', at, rev: targetSet.revision, detail: { case_id: source.id, number: source.number, title: source.title } });
      const closing = clockChange({ createdAt: source.created_at, acknowledgedAt: source.acknowledged_at, resolvedAt: source.resolved_at }, { from: source.state as CaseState, to: 'closed', assigned: false }, at);
      const sourceSet = {
        state: 'closed', merged_into: target.id, summary: source.summary ?? `merged into #${target.number}`, revision: source.revision + 1, updated_at: at,
        ...(closing.acknowledgedAt !== undefined ? { acknowledged_at: closing.acknowledgedAt, tta_ms: closing.timeToAcknowledgeMs } : {}),
        ...(closing.resolvedAt !== undefined ? { resolved_at: closing.resolvedAt, ttr_ms: closing.timeToResolveMs } : {}),
      };
      await tables(tx).updateTable('cases').set(sourceSet).where('id', '=', source.id).execute();
      await addHistory(tx, ctx, source.id, { kind: 'merged_into', at, rev: sourceSet.revision, detail: { case_id: target.id, number: target.number } });
      await appendAudit(tx, ctx, { action: 'case.merge', target: `case:${target.id}`, detail: { from: source.id, number: source.number, moved, severity: { before: target.severity, after: targetSet.severity } } }, now);
      await appendAudit(tx, ctx, { action: 'case.update', target: `case:${source.id}`, detail: { state: { before: source.state, after: 'closed' }, merged_into: { before: null, after: target.id } } }, now);
      target = { ...target, ...targetSet };
    }
    return caseDetail(tx, ctx, target);
  });
}
