import { sql, type Kysely, type Selectable } from 'kysely';
import { requireRole, type RequestContext } from '../core/index.js';
import type { Database } from '../store/index.js';
import { findCase, caseNumberOf, plainText, type CaseRow } from './case-common.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { alertFromRow, caseFromRow, checkedList, jsonObject, tables, type CasesDeps } from './db.js';
import { CASE_SEVERITIES, CASE_STATES } from './lifecycle.js';
import type { CaseCommentTable, CaseEvidenceTable, CaseObservableTable, CaseTaskTable } from './schema.js';
import { buildTimeline, type HistoryItem } from './timeline.js';
import type {
  Case, CaseComment, CaseDetail, CaseFilter, CaseObservable, CaseSeverity, CaseState, CaseTask, EvidenceInfo, HashAlgorithm, ObservableType, Page, PageRequest,
  RelatedCase, TaskState, TimelineKind, TimelineValue,
} from './types.js';

export function taskFromRow(r: Selectable<CaseTaskTable>): CaseTask {
  return {
    id: r.id, caseId: r.case_id, title: r.title, description: r.description, state: r.state as TaskState, assignee: r.assignee,
    createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at, doneAt: r.done_at,
  };
}

export function commentFromRow(r: Selectable<CaseCommentTable>): CaseComment {
  return { id: r.id, caseId: r.case_id, author: r.author, text: r.text, createdAt: r.created_at };
}

export function evidenceFromRow(r: Omit<Selectable<CaseEvidenceTable>, 'content'>): EvidenceInfo {
  return { id: r.id, caseId: r.case_id, name: r.name, mediaType: r.media_type, size: Number(r.size), sha256: r.sha256, addedBy: r.added_by, addedAt: r.added_at };
}

export function observableFromRow(r: Selectable<CaseObservableTable>): CaseObservable {
  return {
    id: r.id, type: r.type as ObservableType, value: r.value, ...(r.algorithm ? { algorithm: r.algorithm as HashAlgorithm } : {}),
    ioc: r.ioc === 1, note: r.note, source: r.source === 'analyst' ? 'analyst' : 'alert', addedBy: r.added_by, addedAt: r.added_at,
  };
}

const EVIDENCE_COLUMNS = ['id', 'tenant', 'case_id', 'name', 'media_type', 'size', 'sha256', 'added_by', 'added_at', 'rev'] as const;

/** Everything the case page shows, read from the rows (a merged case shows its shell and history). */
export async function caseDetail(db: Kysely<Database>, ctx: RequestContext, row: CaseRow): Promise<CaseDetail> {
  const t = tables(db);
  const byCase = { tenant: ctx.tenant, id: row.id };
  const [alerts, tasks, comments, evidence, observables, history] = await Promise.all([
    t.selectFrom('alerts').selectAll().where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).orderBy('seq').execute(),
    t.selectFrom('case_tasks').selectAll().where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).orderBy('created_at').orderBy('rev').execute(),
    t.selectFrom('case_comments').selectAll().where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).orderBy('created_at').orderBy('rev').execute(),
    t.selectFrom('case_evidence').select(EVIDENCE_COLUMNS).where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).orderBy('added_at').orderBy('rev').execute(),
    t.selectFrom('case_observables').selectAll().where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).orderBy('added_at').orderBy('type').orderBy('value').execute(),
    t.selectFrom('case_history').selectAll().where('tenant', '=', byCase.tenant).where('case_id', '=', byCase.id).execute(),
  ]);
  const taskList = tasks.map((r) => ({ ...taskFromRow(r), rev: r.rev }));
  const commentList = comments.map((r) => ({ ...commentFromRow(r), rev: r.rev }));
  const evidenceList = evidence.map((r) => ({ ...evidenceFromRow(r), rev: r.rev }));
  const historyItems: HistoryItem[] = history.map((h) => ({
    at: h.at, actor: h.actor, kind: h.kind as TimelineKind, rev: h.rev, detail: jsonObject(h.detail) as Record<string, TimelineValue>,
  }));
  const timeline = buildTimeline({
    createdAt: row.created_at, createdBy: row.created_by, number: row.number, title: row.title,
    history: historyItems, tasks: taskList, comments: commentList, evidence: evidenceList,
  });
  const related = await relatedCases(db, ctx, row.id);
  const strip = <T extends { rev: number }>({ rev: _rev, ...rest }: T): Omit<T, 'rev'> => rest;
  return {
    ...caseFromRow(row, alerts.length),
    alerts: alerts.map(alertFromRow),
    tasks: taskList.map(strip),
    comments: commentList.map(strip),
    evidence: evidenceList.map(strip),
    observables: observables.map(observableFromRow),
    timeline,
    related,
  };
}

const MAX_RELATED = 20;

/** Other cases of the tenant holding the same observables, most shared first. */
async function relatedCases(db: Kysely<Database>, ctx: RequestContext, caseId: string): Promise<RelatedCase[]> {
  const t = tables(db);
  const shared = await t
    .selectFrom('case_observables as mine')
    .innerJoin('case_observables as other', (j) =>
      j.onRef('other.tenant', '=', 'mine.tenant').onRef('other.type', '=', 'mine.type').onRef('other.value', '=', 'mine.value'))
    .select(['other.case_id as case_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('mine.tenant', '=', ctx.tenant)
    .where('mine.case_id', '=', caseId)
    .where('other.case_id', '!=', caseId)
    .groupBy('other.case_id')
    .orderBy('n', 'desc')
    .orderBy('other.case_id')
    .limit(MAX_RELATED)
    .execute();
  if (shared.length === 0) return [];
  const rows = await t.selectFrom('cases').select(['id', 'number', 'title', 'state', 'severity']).where('tenant', '=', ctx.tenant).where('id', 'in', shared.map((s) => s.case_id)).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return shared.flatMap((s) => {
    const r = byId.get(s.case_id);
    return r ? [{ id: r.id, number: r.number, title: r.title, state: r.state as CaseState, severity: r.severity as CaseSeverity, shared: Number(s.n) }] : [];
  });
}

/** A case with its alerts, tasks, comments, evidence, observables, timeline and clocks; by id or `#42`. */
export async function getCase(ctx: RequestContext, deps: CasesDeps, ref: string): Promise<CaseDetail> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  return caseDetail(deps.db, ctx, await findCase(deps.db, ctx, ref));
}

/** `%`, `_` and `\` match themselves in a LIKE pattern with `ESCAPE '\'`. */
function likeEscape(text: string): string {
  let out = '';
  for (const ch of text) out += ch === '%' || ch === '_' || ch === '\\' ? `\\${ch}` : ch;
  return out;
}

/** Cases, newest (highest number) first, filtered by state, severity, assignee, tag and text. */
export async function listCases(ctx: RequestContext, deps: CasesDeps, filter: CaseFilter = {}, page: PageRequest = {}): Promise<Page<Case>> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  const limit = pageSize(page.limit);
  const state = checkedList(filter.state, CASE_STATES, 'state');
  const severity = checkedList(filter.severity, CASE_SEVERITIES, 'severity');
  const t = tables(deps.db);
  let q = t.selectFrom('cases').selectAll().where('tenant', '=', ctx.tenant);
  if (state && state.length > 0) q = q.where('state', 'in', state);
  if (severity && severity.length > 0) q = q.where('severity', 'in', severity);
  if (filter.assignee !== undefined) q = filter.assignee === '' ? q.where('assignee', 'is', null) : q.where('assignee', '=', plainText(filter.assignee, 'assignee'));
  if (filter.tag !== undefined && filter.tag.trim() !== '') {
    const pattern = `%${likeEscape(JSON.stringify(plainText(filter.tag, 'tag').trim()).toLowerCase())}%`;
    q = q.where(sql<boolean>`lower(${sql.ref('tags')}) like ${pattern} escape '\\'`);
  }
  const text = plainText(filter.text ?? '', 'text').trim();
  if (text !== '') {
    const pattern = `%${likeEscape(text.toLowerCase())}%`;
    const number = caseNumberOf(text);
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`lower(${sql.ref('title')})`, 'like', sql<string>`${pattern} escape '\\'`),
        eb(sql<string>`lower(${sql.ref('description')})`, 'like', sql<string>`${pattern} escape '\\'`),
        ...(number === undefined ? [] : [eb('number', '=', number)]),
      ]),
    );
  }
  if (page.cursor !== undefined) q = q.where('number', '<', decodeCursor(page.cursor));
  const rows = await q.orderBy('number', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const counts = new Map<string, number>();
  if (items.length > 0) {
    const c = await t
      .selectFrom('alerts')
      .select(['case_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('tenant', '=', ctx.tenant)
      .where('case_id', 'in', items.map((r) => r.id))
      .groupBy('case_id')
      .execute();
    for (const r of c) if (r.case_id !== null) counts.set(r.case_id, Number(r.n));
  }
  return {
    items: items.map((r) => caseFromRow(r, counts.get(r.id) ?? 0)),
    next: rows.length > limit ? encodeCursor(items[items.length - 1]!.number) : null,
  };
}
