import type {
  Alert, Case, CaseComment, CaseDetail, CaseObservable, CaseStats, CaseTask, DurationSummary, EvidenceInfo, Observable, TimelineEntry,
} from './types.js';

/** Domain objects as the API writes them: snake_case, every field present (null when empty). */

export function observableJson(o: Observable): Record<string, unknown> {
  return o.algorithm ? { type: o.type, value: o.value, algorithm: o.algorithm } : { type: o.type, value: o.value };
}

export function alertJson(a: Alert): Record<string, unknown> {
  return {
    id: a.id, rule_id: a.ruleId, rule_version: a.ruleVersion, rule_title: a.ruleTitle, level: a.level, techniques: a.techniques, tactics: a.tactics,
    author: a.author, host: a.host, user: a.user, status: a.status, status_note: a.statusNote, case_id: a.caseId, observables: a.observables.map(observableJson),
    event_ids: a.eventIds, event_count: a.eventCount, detection_count: a.detectionCount, matched_fields: a.matchedFields, first_seen: a.firstSeen,
    last_seen: a.lastSeen, created_at: a.createdAt, updated_at: a.updatedAt,
  };
}

export function caseJson(c: Case): Record<string, unknown> {
  return {
    id: c.id, number: c.number, ref: `#${c.number}`, title: c.title, description: c.description, severity: c.severity, state: c.state,
    assignee: c.assignee, tags: c.tags, tlp: c.tlp, pap: c.pap, summary: c.summary, merged_into: c.mergedInto, created_by: c.createdBy,
    created_at: c.createdAt, updated_at: c.updatedAt, revision: c.revision, alert_count: c.alertCount,
    clocks: {
      acknowledged_at: c.clocks.acknowledgedAt, time_to_acknowledge_ms: c.clocks.timeToAcknowledgeMs,
      resolved_at: c.clocks.resolvedAt, time_to_resolve_ms: c.clocks.timeToResolveMs,
    },
  };
}

export function taskJson(t: CaseTask): Record<string, unknown> {
  return {
    id: t.id, case_id: t.caseId, title: t.title, description: t.description, state: t.state, assignee: t.assignee, created_by: t.createdBy,
    created_at: t.createdAt, updated_at: t.updatedAt, done_at: t.doneAt,
  };
}

export function commentJson(c: CaseComment): Record<string, unknown> {
  return { id: c.id, case_id: c.caseId, author: c.author, text: c.text, created_at: c.createdAt };
}

export function evidenceJson(e: EvidenceInfo): Record<string, unknown> {
  return { id: e.id, case_id: e.caseId, name: e.name, media_type: e.mediaType, size: e.size, sha256: e.sha256, added_by: e.addedBy, added_at: e.addedAt };
}

export function caseObservableJson(o: CaseObservable): Record<string, unknown> {
  return { ...observableJson(o), id: o.id, ioc: o.ioc, note: o.note, source: o.source, added_by: o.addedBy, added_at: o.addedAt };
}

function timelineJson(e: TimelineEntry): Record<string, unknown> {
  return { at: e.at, actor: e.actor, kind: e.kind, summary: e.summary, detail: e.detail };
}

export function caseDetailJson(c: CaseDetail): Record<string, unknown> {
  return {
    ...caseJson(c),
    alerts: c.alerts.map(alertJson),
    tasks: c.tasks.map(taskJson),
    comments: c.comments.map(commentJson),
    evidence: c.evidence.map(evidenceJson),
    observables: c.observables.map(caseObservableJson),
    timeline: c.timeline.map(timelineJson),
    related: c.related.map((r) => ({ id: r.id, number: r.number, ref: `#${r.number}`, title: r.title, state: r.state, severity: r.severity, shared: r.shared })),
  };
}

function durationJson(d: DurationSummary): Record<string, unknown> {
  return { count: d.count, median_ms: d.medianMs, p90_ms: d.p90Ms };
}

export function statsJson(s: CaseStats): Record<string, unknown> {
  return {
    from: s.from, to: s.to, created: s.created, time_to_acknowledge: durationJson(s.timeToAcknowledge),
    time_to_resolve: durationJson(s.timeToResolve), by_state: s.byState, by_severity: s.bySeverity,
  };
}
