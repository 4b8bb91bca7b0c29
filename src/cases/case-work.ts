import { createHash } from 'node:crypto';
import { InputError, NotFoundError, newId, requireRole, type RequestContext } from '../core/index.js';
import { appendAudit } from '../store/index.js';
import { actorName, addHistory, bumpRevision, caseForWrite, findCase, lineText, longText, oneOf } from './case-common.js';
import { commentFromRow, evidenceFromRow, observableFromRow, taskFromRow } from './case-read.js';
import { clockOf, inTransaction, isPostgres, tables, type CasesDeps } from './db.js';
import { TASK_STATES } from './lifecycle.js';
import { checkObservable } from './observable-values.js';
import type {
  CaseComment, CaseObservable, CaseTask, EvidenceContent, EvidenceInfo, NewEvidence, NewObservable, NewTask, ObservableType, TaskChanges,
} from './types.js';

/** Evidence is kept in the database; beyond this it belongs in the vault. */
export const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;
const OBSERVABLE_TYPES: readonly ObservableType[] = ['ip', 'domain', 'url', 'hash', 'user', 'host', 'email', 'file'];

export async function addTask(ctx: RequestContext, deps: CasesDeps, caseRef: string, input: NewTask): Promise<CaseTask> {
  requireRole(ctx, 'analyst');
  const title = lineText(input.title, 'title');
  const description = longText(input.description ?? '', 'description');
  const assignee = actorName(input.assignee ?? null, 'assignee');
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    const rev = await bumpRevision(tx, row, at);
    const task = {
      id: newId(), tenant: ctx.tenant, case_id: row.id, title, description, state: 'todo', assignee, created_by: ctx.actor.id,
      created_at: at, updated_at: at, done_at: null, rev,
    };
    await tables(tx).insertInto('case_tasks').values(task).execute();
    await appendAudit(tx, ctx, { action: 'case.task.create', target: `case:${row.id}`, detail: { task_id: task.id, title, assignee } }, now);
    return taskFromRow(task);
  });
}

/** Renames, reassigns or moves a task between todo, doing and done (done stamps `done_at`). */
export async function updateTask(ctx: RequestContext, deps: CasesDeps, caseRef: string, taskId: string, changes: TaskChanges): Promise<CaseTask> {
  requireRole(ctx, 'analyst');
  const title = changes.title === undefined ? undefined : lineText(changes.title, 'title');
  const description = changes.description === undefined ? undefined : longText(changes.description, 'description');
  const state = changes.state === undefined ? undefined : oneOf(changes.state, TASK_STATES, 'state');
  const assignee = changes.assignee === undefined ? undefined : actorName(changes.assignee, 'assignee');
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    const t = tables(tx);
    let q = t.selectFrom('case_tasks').selectAll().where('tenant', '=', ctx.tenant).where('case_id', '=', row.id).where('id', '=', taskId);
    if (isPostgres(tx)) q = q.forUpdate();
    const task = await q.executeTakeFirst();
    if (!task) throw new NotFoundError('TASK_NOT_FOUND', `case #${row.number} has no task ${taskId}`);
    const next = {
      title: title ?? task.title,
      description: description ?? task.description,
      state: state ?? task.state,
      assignee: assignee === undefined ? task.assignee : assignee,
    };
    const changed = (Object.keys(next) as Array<keyof typeof next>).filter((k) => next[k] !== task[k]);
    if (changed.length === 0) return taskFromRow(task);
    const doneAt = next.state === 'done' ? (task.state === 'done' ? task.done_at : at) : null;
    const rev = await bumpRevision(tx, row, at);
    await t.updateTable('case_tasks').set({ ...next, done_at: doneAt, updated_at: at }).where('id', '=', task.id).execute();
    if (changed.includes('state') || changed.includes('assignee')) {
      await addHistory(tx, ctx, row.id, { kind: 'task_changed', at, rev, detail: { task_id: task.id, title: next.title, from: task.state, to: next.state, assignee: next.assignee } });
    }
    await appendAudit(tx, ctx, {
      action: 'case.task.update', target: `case:${row.id}`,
      detail: { task_id: task.id, ...Object.fromEntries(changed.map((k) => [k, { before: task[k], after: next[k] }])) },
    }, now);
    return taskFromRow({ ...task, ...next, done_at: doneAt, updated_at: at });
  });
}

export async function addComment(ctx: RequestContext, deps: CasesDeps, caseRef: string, text: string): Promise<CaseComment> {
  requireRole(ctx, 'analyst');
  const body = longText(text, 'text', { allowEmpty: false });
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    const rev = await bumpRevision(tx, row, at);
    const comment = { id: newId(), tenant: ctx.tenant, case_id: row.id, author: ctx.actor.id, text: body, created_at: at, rev };
    await tables(tx).insertInto('case_comments').values(comment).execute();
    await appendAudit(tx, ctx, { action: 'case.comment', target: `case:${row.id}`, detail: { comment_id: comment.id, text: body } }, now);
    return commentFromRow(comment);
  });
}

function isBase64Char(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

/**
 * Strict standard base64 (padding optional): Node's decoder skips what it does not
 * understand, which would store something other than what the analyst sent.
 */
export function decodeBase64(text: string, where: string, maxBytes: number): Buffer {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d && text.length - end < 2) end--;
  const bytes = Math.floor((end * 3) / 4);
  if (bytes > maxBytes) throw new InputError('EVIDENCE_TOO_LARGE', `decodes to ${bytes} bytes, at most ${maxBytes} allowed`, where);
  for (let i = 0; i < end; i++) {
    if (!isBase64Char(text.charCodeAt(i))) {
      throw new InputError('BASE64_INVALID', `character ${JSON.stringify(text[i])} at offset ${i} is not standard base64 (A–Z a–z 0–9 + /)`, where);
    }
  }
  if (end % 4 === 1 || (end < text.length && text.length % 4 !== 0)) {
    throw new InputError('BASE64_INVALID', `${text.length} characters is not a whole number of base64 groups`, where);
  }
  return Buffer.from(text, 'base64');
}

function isTokenChar(c: number): boolean {
  // RFC 9110 tchar.
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || '!#$%&\'*+-.^_`|~'.includes(String.fromCharCode(c));
}

/** `type/subtype` (RFC 9110 tokens), lower-cased; parameters are dropped. */
export function checkMediaType(text: string, where: string): string {
  const semi = text.indexOf(';');
  const main = (semi >= 0 ? text.slice(0, semi) : text).trim().toLowerCase();
  const slash = main.indexOf('/');
  let ok = main.length <= 255 && slash > 0 && slash < main.length - 1 && main.indexOf('/', slash + 1) < 0;
  for (let i = 0; ok && i < main.length; i++) if (i !== slash && !isTokenChar(main.charCodeAt(i))) ok = false;
  if (!ok) throw new InputError('MEDIA_TYPE_INVALID', `'${text.slice(0, 100)}' is not a media type such as application/pdf`, where);
  return main;
}

/** Stores a file in the case (at most `MAX_EVIDENCE_BYTES`), with its SHA-256. */
export async function addEvidence(ctx: RequestContext, deps: CasesDeps, caseRef: string, input: NewEvidence): Promise<EvidenceInfo> {
  requireRole(ctx, 'analyst');
  const name = lineText(input.name, 'name', 255);
  const mediaType = checkMediaType(input.mediaType, 'media_type');
  const content = decodeBase64(input.contentBase64, 'content_base64', MAX_EVIDENCE_BYTES);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (input.sha256 !== undefined && input.sha256.trim().toLowerCase() !== sha256) {
    throw new InputError('EVIDENCE_HASH_MISMATCH', `the content hashes to ${sha256}, not ${input.sha256}: it was damaged on the way`, 'sha256');
  }
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    const rev = await bumpRevision(tx, row, at);
    const ev = { id: newId(), tenant: ctx.tenant, case_id: row.id, name, media_type: mediaType, size: content.length, sha256, content, added_by: ctx.actor.id, added_at: at, rev };
    await tables(tx).insertInto('case_evidence').values(ev).execute();
    await appendAudit(tx, ctx, { action: 'case.evidence.add', target: `case:${row.id}`, detail: { evidence_id: ev.id, name, media_type: mediaType, size: ev.size, sha256 } }, now);
    return evidenceFromRow(ev);
  });
}

/** An evidence file with its bytes. */
export async function getEvidence(ctx: RequestContext, deps: CasesDeps, caseRef: string, evidenceId: string): Promise<EvidenceContent> {
  requireRole(ctx, 'analyst', 'auditor', 'supervisor');
  const row = await findCase(deps.db, ctx, caseRef);
  const ev = await tables(deps.db).selectFrom('case_evidence').selectAll().where('tenant', '=', ctx.tenant).where('case_id', '=', row.id).where('id', '=', evidenceId).executeTakeFirst();
  if (!ev) throw new NotFoundError('EVIDENCE_NOT_FOUND', `case #${row.number} has no evidence ${evidenceId}`);
  return { ...evidenceFromRow(ev), content: Buffer.from(ev.content) };
}

/**
 * Adds an analyst's observable to a case, checked and normalised by its type. Adding one
 * the case already has updates its IOC mark and note instead.
 */
export async function addObservable(ctx: RequestContext, deps: CasesDeps, caseRef: string, input: NewObservable): Promise<CaseObservable> {
  requireRole(ctx, 'analyst');
  const type = oneOf(input.type, OBSERVABLE_TYPES, 'type');
  const checked = checkObservable(type, input.value, input.algorithm);
  if (typeof checked === 'string') throw new InputError('OBSERVABLE_INVALID', checked, 'value');
  const note = input.note === undefined ? null : longText(input.note, 'note');
  const ioc = input.ioc === true ? 1 : 0;
  const now = clockOf(deps).now();
  const at = now.toISOString();
  return inTransaction(deps.db, async (tx) => {
    const row = await caseForWrite(tx, ctx, caseRef);
    const t = tables(tx);
    const existing = await t.selectFrom('case_observables').selectAll().where('case_id', '=', row.id).where('type', '=', checked.type).where('value', '=', checked.value).executeTakeFirst();
    const rev = await bumpRevision(tx, row, at);
    let result;
    if (existing) {
      const set = { ioc: Math.max(existing.ioc, ioc), note: note ?? existing.note };
      await t.updateTable('case_observables').set(set).where('id', '=', existing.id).execute();
      result = { ...existing, ...set };
    } else {
      result = {
        id: newId(), tenant: ctx.tenant, case_id: row.id, type: checked.type, value: checked.value, algorithm: checked.algorithm ?? '',
        ioc, note, source: 'analyst', added_by: ctx.actor.id, added_at: at,
      };
      await t.insertInto('case_observables').values(result).execute();
    }
    await addHistory(tx, ctx, row.id, { kind: 'observable_added', at, rev, detail: { type: checked.type, value: checked.value, ioc: result.ioc === 1 } });
    await appendAudit(tx, ctx, {
      action: 'case.observable.add', target: `case:${row.id}`,
      detail: { observable_id: result.id, type: checked.type, value: checked.value, ioc: result.ioc === 1, note: result.note, existed: existing !== undefined },
    }, now);
    return observableFromRow(result);
  });
}
