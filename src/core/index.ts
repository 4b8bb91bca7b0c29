export type { FieldValue, EventRecord, EventOrigin } from './event.js';
export {
  LianfangError,
  InputError,
  NotFoundError,
  ConflictError,
  NotAllowedError,
  errorMessage,
} from './errors.js';
export type { ErrorCategory } from './errors.js';
export type { ItemProblem, ItemResult, BatchResult } from './result.js';
export { emptyBatch } from './result.js';
export type { Role, Actor, RequestContext } from './context.js';
export { SYSTEM_ACTOR, systemContext, requireRole } from './context.js';
export { newId } from './ids.js';
export type { Clock } from './time.js';
export { systemClock, parseTimestamp } from './time.js';
export { walkFiles } from './files.js';
export { workerEntry } from './worker-entry.js';
export type { Transport, MessageSource, MessageFormat, ParsedMessage, IngestedEvent } from './ingest.js';
export type { Severity, Detection } from './detection.js';
export { SEVERITIES } from './detection.js';
