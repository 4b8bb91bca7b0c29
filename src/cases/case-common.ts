import type { Kysely, Selectable } from 'kysely';
import { ConflictError, InputError, NotFoundError, newId, type RequestContext } from '../core/index.js';
import type { Database } from '../store/index.js';
import { isPostgres, tables } from './db.js';
import type { CaseTable } from './schema.js';
import type { TimelineKind, TimelineValue } from './types.js';

export type CaseRow = Selectable<CaseTable>;

export const MAX_TITLE = 500;
export const MAX_LONG_TEXT = 100_000;
export const MAX_TAGS = 50;
export const MAX_TAG = 100;
export const MAX_ACTOR = 200;

function hasControlChars(text: string, allowNewlines: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (allowNewlines && (c === 0x0a || c === 0x0d || c === 0x09)) continue;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A one-line text of 1..max characters, trimmed; the error names the field. */
export function lineText(value: string, where: string, max = MAX_TITLE): string {
  const text = value.trim();
  if (text.length === 0) throw new InputError('TEXT_EMPTY', 'must not be empty', where);
  if (text.length > max) throw new InputError('TEXT_TOO_LONG', `is ${text.length} characters, at most ${max} allowed`, where);
  if (hasControlChars(text, false)) throw new InputError('TEXT_CONTROL', 'must be one line without control characters', where);
  return text;
}

/** Free text (descriptions, comments): newlines allowed, other control characters not. */
export function longText(value: string, where: string, options: { allowEmpty: boolean } = { allowEmpty: true }): string {
  if (!options.allowEmpty && value.trim().length === 0) throw new InputError('TEXT_EMPTY', 'must not be empty', where);
  if (value.length > MAX_LONG_TEXT) throw new InputError('TEXT_TOO_LONG', `is ${value.length} characters, at most ${MAX_LONG_TEXT} allowed`, where);
  if (hasControlChars(value, true)) throw new InputError('TEXT_CONTROL', 'contains control characters other than newlines and tabs', where);
  return value;
}

/** A filter or lookup value: any text without control characters (which no stored value has). */
export function plainText(value: string, where: string, max = 1000): string {
  if (value.length > max) throw new InputError('TEXT_TOO_LONG', `is ${value.length} characters, at most ${max} allowed`, where);
  if (hasControlChars(value, false)) throw new InputError('TEXT_CONTROL', 'must not contain control characters', where);
  return value;
}

export function actorName(value: string | null, where: string): string | null {
  return value === null ? null : lineText(value, where, MAX_ACTOR);
}

/** Tags trimmed, deduplicated in order. */
export function tagList(values: readonly string[], where: string): string[] {
  if (values.length > MAX_TAGS) throw new InputError('TAGS_TOO_MANY', `${values.length} tags, at most ${MAX_TAGS} allowed`, where);
  const out: string[] = [];
  values.forEach((v, i) => {
    const tag = lineText(v, `${where}[${i}]`, MAX_TAG);
    if (!out.includes(tag)) out.push(tag);
  });
  return out;
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], where: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new InputError('VALUE_INVALID', `'${value}' is not one of ${allowed.join(', ')}`, where);
  return value as T;
}

/** All digits, optionally after `#`: a case number as people write it. */
export function caseNumberOf(ref: string): number | undefined {
  const digits = ref.startsWith('#') ? ref.slice(1) : ref;
  if (digits.length === 0 || digits.length > 9) return undefined;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(digits);
}

/** A case by id or by number (`42`, `#42`), in the caller's tenant. */
export async function findCase(db: Kysely<Database>, ctx: RequestContext, ref: string, forUpdate = false): Promise<CaseRow> {
  let q = tables(db).selectFrom('cases').selectAll().where('tenant', '=', ctx.tenant);
  const number = caseNumberOf(ref);
  q = number === undefined ? q.where('id', '=', ref) : q.where('number', '=', number);
  if (forUpdate && isPostgres(db)) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError('CASE_NOT_FOUND', `no case ${number === undefined ? ref : `#${number}`}`);
  return row;
}

/** A case about to change: locked on PostgreSQL, and refused when it was merged away. */
export async function caseForWrite(tx: Kysely<Database>, ctx: RequestContext, ref: string): Promise<CaseRow> {
  const row = await findCase(tx, ctx, ref, true);
  if (row.merged_into !== null) {
    throw new ConflictError('CASE_MERGED', `case #${row.number} was merged into case ${row.merged_into} and is read-only; work there`);
  }
  return row;
}

/** Bumps the case's revision (and `updated_at`); rows written by this change carry the new revision. */
export async function bumpRevision(tx: Kysely<Database>, row: CaseRow, at: string): Promise<number> {
  const rev = row.revision + 1;
  await tables(tx).updateTable('cases').set({ revision: rev, updated_at: at }).where('id', '=', row.id).execute();
  return rev;
}

export async function addHistory(
  tx: Kysely<Database>,
  ctx: RequestContext,
  caseId: string,
  entry: { kind: TimelineKind; detail: Readonly<Record<string, TimelineValue>>; at: string; rev: number },
): Promise<void> {
  await tables(tx)
    .insertInto('case_history')
    .values({ id: newId(), tenant: ctx.tenant, case_id: caseId, at: entry.at, actor: ctx.actor.id, kind: entry.kind, detail: JSON.stringify(entry.detail), rev: entry.rev })
    .execute();
}
