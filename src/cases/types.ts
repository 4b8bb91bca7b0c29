import type { Severity } from '../core/index.js';

/** What an observable is. `file` is a path as the event wrote it, not an uploaded file (that is evidence). */
export type ObservableType = 'ip' | 'domain' | 'url' | 'hash' | 'user' | 'host' | 'email' | 'file';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512' | 'imphash';

/** A value worth pivoting on, taken from an event or added by an analyst. */
export interface Observable {
  readonly type: ObservableType;
  /** Normalised: hashes, domains and hosts lower-case, IPv6 compressed, IPv4-mapped IPv6 as IPv4. */
  readonly value: string;
  /** Only for `hash`. */
  readonly algorithm?: HashAlgorithm;
}

export type AlertStatus = 'new' | 'acknowledged' | 'in_case' | 'dismissed';

/** Detections of one rule on one host for one user within the grouping window. */
export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleTitle: string;
  readonly level: Severity;
  readonly techniques: readonly string[];
  readonly tactics: readonly string[];
  readonly author: string | null;
  readonly host: string | null;
  readonly user: string | null;
  readonly status: AlertStatus;
  /** Why it was acknowledged or dismissed, as the analyst wrote it. */
  readonly statusNote: string | null;
  readonly caseId: string | null;
  readonly observables: readonly Observable[];
  /** The first event ids seen (at most `MAX_ALERT_EVENT_IDS`); `eventCount` counts them all. */
  readonly eventIds: readonly string[];
  readonly eventCount: number;
  /** How many detections were folded into this alert. */
  readonly detectionCount: number;
  readonly matchedFields: readonly string[];
  /** Event times (ISO 8601) of the earliest and latest detection. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type CaseState = 'new' | 'triage' | 'in_progress' | 'contained' | 'resolved' | 'closed' | 'false_positive';

/** TheHive's four case severities; an `informational` detection opens a `low` case. */
export type CaseSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Traffic Light Protocol 2.0 labels. */
export type Tlp = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';

/** Permissible Actions Protocol: what may be done with the case's observables outside. */
export type Pap = 'clear' | 'green' | 'amber' | 'red';

export type TaskState = 'todo' | 'doing' | 'done';

export interface CaseTask {
  readonly id: string;
  readonly caseId: string;
  readonly title: string;
  readonly description: string;
  readonly state: TaskState;
  readonly assignee: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly doneAt: string | null;
}

export interface CaseComment {
  readonly id: string;
  readonly caseId: string;
  readonly author: string;
  readonly text: string;
  readonly createdAt: string;
}

/** An uploaded file's description; the bytes are read separately. */
export interface EvidenceInfo {
  readonly id: string;
  readonly caseId: string;
  readonly name: string;
  readonly mediaType: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the content. */
  readonly sha256: string;
  readonly addedBy: string;
  readonly addedAt: string;
}

export interface CaseObservable extends Observable {
  readonly id: string;
  /** An analyst marked it an indicator of compromise. */
  readonly ioc: boolean;
  readonly note: string | null;
  /** `alert` when it came from a merged alert's events. */
  readonly source: 'alert' | 'analyst';
  readonly addedBy: string;
  readonly addedAt: string;
}

/** The reporting clocks, stored when they stop. */
export interface CaseClocks {
  /** First move out of `new` or first assignment. */
  readonly acknowledgedAt: string | null;
  readonly timeToAcknowledgeMs: number | null;
  /** First reach of resolved, closed or false_positive since creation or the last reopening. */
  readonly resolvedAt: string | null;
  readonly timeToResolveMs: number | null;
}

/** A case as listed. */
export interface Case {
  readonly id: string;
  /** Per-tenant sequence: analysts say "#42". */
  readonly number: number;
  readonly title: string;
  readonly description: string;
  readonly severity: CaseSeverity;
  readonly state: CaseState;
  readonly assignee: string | null;
  readonly tags: readonly string[];
  readonly tlp: Tlp;
  readonly pap: Pap;
  /** The closing summary. */
  readonly summary: string | null;
  /** Set when this case was merged into another; it is then closed and read-only. */
  readonly mergedInto: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Grows with every change; a client may send it back to refuse lost updates. */
  readonly revision: number;
  readonly clocks: CaseClocks;
  readonly alertCount: number;
}

export type TimelineKind =
  | 'created'
  | 'alerts_merged'
  | 'case_merged'
  | 'merged_into'
  | 'state_changed'
  | 'assignee_changed'
  | 'severity_changed'
  | 'fields_changed'
  | 'task_added'
  | 'task_changed'
  | 'comment'
  | 'evidence_added'
  | 'observable_added';

export type TimelineValue = string | number | boolean | null | readonly string[];

/** One thing that happened in a case's life. */
export interface TimelineEntry {
  readonly at: string;
  readonly actor: string;
  readonly kind: TimelineKind;
  /** One line for people: `state new → triage`. */
  readonly summary: string;
  readonly detail: Readonly<Record<string, TimelineValue>>;
}

/** Another case that saw some of the same observables (TheHive's "related cases"). */
export interface RelatedCase {
  readonly id: string;
  readonly number: number;
  readonly title: string;
  readonly state: CaseState;
  readonly severity: CaseSeverity;
  /** How many observables the two cases share. */
  readonly shared: number;
}

/** A case with everything the case page shows. */
export interface CaseDetail extends Case {
  readonly alerts: readonly Alert[];
  readonly tasks: readonly CaseTask[];
  readonly comments: readonly CaseComment[];
  readonly evidence: readonly EvidenceInfo[];
  readonly observables: readonly CaseObservable[];
  /** Oldest first, newest last. */
  readonly timeline: readonly TimelineEntry[];
  /** Most shared observables first, at most 20. */
  readonly related: readonly RelatedCase[];
}

/** One page of a list, newest first; `next` is an opaque cursor or null at the end. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AlertFilter {
  readonly ruleId?: string;
  readonly status?: readonly AlertStatus[];
  readonly host?: string;
  readonly level?: readonly Severity[];
  /** ISO 8601: alerts whose last detection is at or after it. */
  readonly since?: string;
}

export interface CaseFilter {
  readonly state?: readonly CaseState[];
  readonly severity?: readonly CaseSeverity[];
  /** An actor id; the empty string lists unassigned cases. */
  readonly assignee?: string;
  readonly tag?: string;
  /** Words in the title or description, or `#42` / `42` for a case number. */
  readonly text?: string;
}

export interface NewCase {
  readonly title?: string;
  readonly description?: string;
  readonly severity?: CaseSeverity;
  readonly assignee?: string | null;
  readonly tags?: readonly string[];
  readonly tlp?: Tlp;
  readonly pap?: Pap;
  readonly alertIds?: readonly string[];
}

export interface CaseChanges {
  readonly title?: string;
  readonly description?: string;
  readonly severity?: CaseSeverity;
  readonly state?: CaseState;
  readonly assignee?: string | null;
  readonly tags?: readonly string[];
  readonly tlp?: Tlp;
  readonly pap?: Pap;
  readonly summary?: string | null;
  /** When given, the update is refused unless the case is still at this revision. */
  readonly revision?: number;
}

export interface NewTask {
  readonly title: string;
  readonly description?: string;
  readonly assignee?: string | null;
}

export interface TaskChanges {
  readonly title?: string;
  readonly description?: string;
  readonly state?: TaskState;
  readonly assignee?: string | null;
}

export interface NewEvidence {
  readonly name: string;
  readonly mediaType: string;
  /** Standard base64 (RFC 4648 §4), padding optional. */
  readonly contentBase64: string;
  /** When given, the decoded content must hash to it. */
  readonly sha256?: string;
}

export interface EvidenceContent extends EvidenceInfo {
  readonly content: Buffer;
}

export interface NewObservable {
  readonly type: ObservableType;
  readonly value: string;
  readonly algorithm?: HashAlgorithm;
  readonly ioc?: boolean;
  readonly note?: string;
}

export interface DurationSummary {
  readonly count: number;
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
}

export interface CaseStats {
  readonly from: string;
  readonly to: string;
  /** Cases opened in the period. */
  readonly created: number;
  /** Cases acknowledged in the period, and how long that took. */
  readonly timeToAcknowledge: DurationSummary;
  /** Cases resolved in the period, and how long that took. Merged duplicates are left out. */
  readonly timeToResolve: DurationSummary;
  /** All cases of the tenant now, by state (not limited to the period). */
  readonly byState: Readonly<Record<CaseState, number>>;
  /** Cases opened in the period, by severity. */
  readonly bySeverity: Readonly<Record<CaseSeverity, number>>;
}
