import type { CaseComment, CaseTask, EvidenceInfo, TimelineEntry, TimelineKind, TimelineValue } from './types.js';

/** A stored change (a `case_history` row) as the timeline reads it. */
export interface HistoryItem {
  readonly at: string;
  readonly actor: string;
  readonly kind: TimelineKind;
  readonly detail: Readonly<Record<string, TimelineValue>>;
  readonly rev: number;
}

export interface TimelineSources {
  readonly createdAt: string;
  readonly createdBy: string;
  readonly number: number;
  readonly title: string;
  readonly history: readonly HistoryItem[];
  readonly tasks: ReadonlyArray<CaseTask & { readonly rev: number }>;
  readonly comments: ReadonlyArray<CaseComment & { readonly rev: number }>;
  readonly evidence: ReadonlyArray<EvidenceInfo & { readonly rev: number }>;
}

/** Within one revision (one change), the order entries are told in. */
const KIND_ORDER: readonly TimelineKind[] = [
  'created', 'case_merged', 'merged_into', 'alerts_merged', 'state_changed', 'severity_changed', 'assignee_changed', 'fields_changed',
  'task_added', 'task_changed', 'comment', 'evidence_added', 'observable_added',
];

const str = (v: TimelineValue | undefined): string => (v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(v));

/** One line for people, from a stored change. */
export function summarize(kind: TimelineKind, d: Readonly<Record<string, TimelineValue>>): string {
  switch (kind) {
    case 'created': return `case #${str(d['number'])} opened: ${str(d['title'])}`;
    case 'alerts_merged': return d['count'] === 1 ? '1 alert merged' : `${str(d['count'])} alerts merged`;
    case 'case_merged': return `case #${str(d['number'])} merged into this case`;
    case 'merged_into': return `merged into case #${str(d['number'])}`;
    case 'state_changed': return `state ${str(d['from'])} → ${str(d['to'])}`;
    case 'severity_changed': return `severity ${str(d['from'])} → ${str(d['to'])}`;
    case 'assignee_changed': return d['to'] === null ? `unassigned (was ${str(d['from'])})` : `assigned to ${str(d['to'])}`;
    case 'fields_changed': return `${str(d['fields'])} changed`;
    case 'task_added': return `task added: ${str(d['title'])}`;
    case 'task_changed': return d['from'] !== d['to'] ? `task "${str(d['title'])}" ${str(d['from'])} → ${str(d['to'])}` : `task "${str(d['title'])}" assigned to ${str(d['assignee'])}`;
    case 'comment': return 'comment';
    case 'evidence_added': return `evidence added: ${str(d['name'])} (${str(d['size'])} bytes)`;
    case 'observable_added': return `observable added: ${str(d['type'])} ${str(d['value'])}`;
  }
}

interface Sortable extends TimelineEntry {
  readonly rev: number;
}

function entry(at: string, actor: string, kind: TimelineKind, rev: number, detail: Readonly<Record<string, TimelineValue>>): Sortable {
  return { at, actor, kind, rev, detail, summary: summarize(kind, detail) };
}

/**
 * A case's life, oldest first and newest last, derived from its stored rows: the case
 * itself (created), its changes, its tasks, comments and evidence. Entries written in the
 * same millisecond keep the order of the changes that made them (the case revision).
 */
export function buildTimeline(s: TimelineSources): TimelineEntry[] {
  const all: Sortable[] = [entry(s.createdAt, s.createdBy, 'created', 0, { number: s.number, title: s.title })];
  for (const h of s.history) all.push(entry(h.at, h.actor, h.kind, h.rev, h.detail));
  for (const t of s.tasks) all.push(entry(t.createdAt, t.createdBy, 'task_added', t.rev, { task_id: t.id, title: t.title }));
  for (const c of s.comments) all.push(entry(c.createdAt, c.author, 'comment', c.rev, { comment_id: c.id, text: c.text }));
  for (const e of s.evidence) {
    all.push(entry(e.addedAt, e.addedBy, 'evidence_added', e.rev, { evidence_id: e.id, name: e.name, size: e.size, sha256: e.sha256, media_type: e.mediaType }));
  }
  all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.rev - b.rev || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)));
  return all.map(({ rev: _rev, ...e }) => e);
}
