import { InputError } from '../core/index.js';

/**
 * Opaque list cursors. A cursor carries the sort key of the last item shown; the next page
 * starts strictly after it. Sort keys only grow with inserts (alert sequence, case number),
 * so a page boundary never moves when new items arrive.
 */
export function encodeCursor(key: number): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key }), 'utf8').toString('base64url');
}

const MAX_CURSOR_LENGTH = 200;

/** The sort key in a cursor; a cursor we did not make is an input error naming `cursor`. */
export function decodeCursor(cursor: string): number {
  const bad = (): InputError => new InputError('CURSOR_INVALID', 'not a cursor this server handed out; start again without one', 'cursor');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad();
  const { v, k } = parsed as { v?: unknown; k?: unknown };
  if (v !== 1 || typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0) throw bad();
  return k;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError('LIMIT_INVALID', `must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}`, 'limit');
  }
  return limit;
}
