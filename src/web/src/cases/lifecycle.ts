import type { CaseSeverity, CaseState, ObservableType, TaskState, Tlp } from '../api/types.js';

/**
 * Where a case may go from each state: the same table as the server's
 * (src/cases/lifecycle.ts). Copied because the console imports only types from the server; the
 * server refuses any other move, so a stale copy shows a wrong button, never a wrong state.
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseState, readonly CaseState[]>> = {
  new: ['triage', 'in_progress', 'false_positive', 'closed'],
  triage: ['in_progress', 'resolved', 'false_positive', 'closed'],
  in_progress: ['triage', 'contained', 'resolved', 'false_positive'],
  contained: ['in_progress', 'resolved'],
  resolved: ['closed', 'triage'],
  closed: ['triage'],
  false_positive: ['closed', 'triage'],
};

export const CASE_STATES: readonly CaseState[] = ['new', 'triage', 'in_progress', 'contained', 'resolved', 'closed', 'false_positive'];
export const CASE_SEVERITIES: readonly CaseSeverity[] = ['low', 'medium', 'high', 'critical'];
export const TLPS: readonly Tlp[] = ['clear', 'green', 'amber', 'amber+strict', 'red'];
export const TASK_STATES: readonly TaskState[] = ['todo', 'doing', 'done'];
export const OBSERVABLE_TYPES: readonly ObservableType[] = ['ip', 'domain', 'url', 'hash', 'user', 'host', 'email', 'file'];

/** States a case in `state` can move to, in the table's order. */
export function nextStates(state: CaseState): readonly CaseState[] {
  return CASE_TRANSITIONS[state] ?? [];
}

/** Open cases are those where work is still going on: the ones "Add to case…" offers. */
export function isOpenState(state: CaseState): boolean {
  return state !== 'resolved' && state !== 'closed' && state !== 'false_positive';
}

/** Standard base64 (RFC 4648 §4) of some bytes, in chunks so large files do not overflow the call stack. */
export function base64OfBytes(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}
