/**
 * Cases: detections become alerts (deduplicated and grouped), alerts become cases — the
 * SOC's unit of work with tasks, comments, evidence, observables, a timeline and reporting
 * clocks — over the store, with REST routes under /api/v1.
 */
export type {
  Alert, AlertFilter, AlertStatus, Case, CaseChanges, CaseClocks, CaseComment, CaseDetail, CaseFilter, CaseObservable, CaseSeverity, CaseState,
  CaseStats, CaseTask, DurationSummary, EvidenceContent, EvidenceInfo, HashAlgorithm, NewCase, NewEvidence, NewObservable, NewTask, Observable,
  ObservableType, Page, PageRequest, Pap, RelatedCase, TaskChanges, TaskState, TimelineEntry, TimelineKind, TimelineValue, Tlp,
} from './types.js';
export { casesMigrations, type CasesTables } from './schema.js';
export type { CasesDeps } from './db.js';
export { observablesOf } from './observables.js';
export { checkObservable } from './observable-values.js';
export {
  recordDetections, listAlerts, getAlert, setAlertStatus, DEFAULT_ALERT_WINDOW_MS, MAX_ALERT_EVENT_IDS,
  type RecordOptions, type RecordedAlerts, type AlertStatusChange,
} from './alerts.js';
export { createCase, updateCase, mergeAlertsIntoCase, mergeCases } from './cases.js';
export { getCase, listCases } from './case-read.js';
export { addTask, updateTask, addComment, addEvidence, getEvidence, addObservable, MAX_EVIDENCE_BYTES } from './case-work.js';
export { caseStats, type StatsPeriod } from './case-stats.js';
export { CASE_TRANSITIONS, canTransition } from './lifecycle.js';
export { registerCaseRoutes, type CaseRoutesDeps } from './routes.js';
