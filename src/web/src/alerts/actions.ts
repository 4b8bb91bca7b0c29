import type { Alert, AlertStatus } from '../api/types.js';

/**
 * What an analyst can do to the selected alerts. Buttons, keyboard shortcuts and the
 * shortcut help all read this one list, so they cannot disagree.
 */
export interface QueueAction {
  readonly id: 'acknowledge' | 'dismiss' | 'reopen' | 'create_case' | 'add_to_case';
  readonly label: string;
  /** A single key, pressed with no modifier while the queue has focus. */
  readonly key: string;
  /** The alerts of a selection this action applies to (an action with none is disabled). */
  readonly appliesTo: (alert: Alert) => boolean;
  /** The alert status it sets, for the status actions. */
  readonly sets?: AlertStatus;
}

export const QUEUE_ACTIONS: readonly QueueAction[] = [
  { id: 'create_case', label: 'Create case', key: 'c', appliesTo: (a) => a.status !== 'in_case' },
  { id: 'add_to_case', label: 'Add to case…', key: 'm', appliesTo: (a) => a.status !== 'in_case' },
  { id: 'acknowledge', label: 'Acknowledge', key: 'a', appliesTo: (a) => a.status === 'new' || a.status === 'dismissed', sets: 'acknowledged' },
  { id: 'dismiss', label: 'Dismiss', key: 'd', appliesTo: (a) => a.status === 'new' || a.status === 'acknowledged', sets: 'dismissed' },
  { id: 'reopen', label: 'Reopen', key: 'u', appliesTo: (a) => a.status === 'acknowledged' || a.status === 'dismissed', sets: 'new' },
];

/** Navigation keys of the queue, listed with the actions in the help. */
export const QUEUE_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['j / k', 'next / previous alert'],
  ['x', 'select the current alert'],
  ['Esc', 'close the alert details'],
  ['/', 'filter by text'],
  ['r', 'refresh now'],
];

export function applicable(action: QueueAction, selected: readonly Alert[]): Alert[] {
  return selected.filter(action.appliesTo);
}

export function actionForKey(key: string): QueueAction | undefined {
  return QUEUE_ACTIONS.find((a) => a.key === key);
}

/** Moves the keyboard cursor through the rows; stays put at either end; starts at the top. */
export function moveCursor(ids: readonly string[], current: string | null, delta: number): string | null {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return ids[0]!;
  return ids[Math.min(ids.length - 1, Math.max(0, at + delta))]!;
}

export function toggled(selected: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** A case title from the alerts it starts with: the rule, and the host when there is one. */
export function suggestedCaseTitle(alerts: readonly Alert[]): string {
  const first = alerts[0];
  if (!first) return '';
  const rules = new Set(alerts.map((a) => a.rule_title));
  const hosts = new Set(alerts.map((a) => a.host).filter((h): h is string => h !== null));
  const what = rules.size === 1 ? first.rule_title : `${first.rule_title} (+${rules.size - 1} rules)`;
  if (hosts.size === 0) return what;
  return hosts.size === 1 ? `${what} on ${[...hosts][0]}` : `${what} on ${hosts.size} hosts`;
}
