/**
 * Errors as values for batch work: importing a rule corpus, reading a log file, checking
 * backup chunks. Each item is ok, failed (with where and why) or skipped, and the batch goes on.
 */
export interface ItemProblem {
  /** Where: a file, file:line, a byte offset, a record id. */
  readonly where: string;
  /** Why, in words a user can act on. */
  readonly reason: string;
}

export type ItemResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: ItemProblem };

export interface BatchResult<T> {
  readonly ok: T[];
  readonly failed: ItemProblem[];
  readonly skipped: ItemProblem[];
}

export function emptyBatch<T>(): BatchResult<T> {
  return { ok: [], failed: [], skipped: [] };
}
