import { ALERT_STATUSES, CASE_SEVERITIES, CASE_STATES, LEVELS, PAPS, TASK_STATES, TLPS } from './lifecycle.js';

/**
 * JSON Schemas of the cases API: what Fastify validates and serialises, and what
 * @fastify/swagger publishes as the OpenAPI document. Field names are snake_case.
 */

const OBSERVABLE_TYPES = ['ip', 'domain', 'url', 'hash', 'user', 'host', 'email', 'file'] as const;
const HASH_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512', 'imphash'] as const;

const str = (description: string, maxLength = 1000) => ({ type: 'string', maxLength, description }) as const;
const nullableStr = (description: string) => ({ type: ['string', 'null'], description }) as const;
const time = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const nullableTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;
const strings = (description: string) => ({ type: 'array', items: { type: 'string' }, description }) as const;
const obj = <P extends Record<string, unknown>>(properties: P, required: ReadonlyArray<keyof P & string>, description?: string) =>
  ({ type: 'object', additionalProperties: false, properties, required, ...(description ? { description } : {}) }) as const;

export const observableSchema = obj(
  {
    type: { type: 'string', enum: OBSERVABLE_TYPES },
    value: { type: 'string', description: 'Normalised: hashes, domains and hosts lower-case, IPv6 compressed' },
    algorithm: { type: 'string', enum: HASH_ALGORITHMS, description: 'Only for hashes' },
  },
  ['type', 'value'],
);

export const alertSchema = obj(
  {
    id: { type: 'string' },
    rule_id: { type: 'string' },
    rule_version: { type: 'integer' },
    rule_title: { type: 'string' },
    level: { type: 'string', enum: LEVELS },
    techniques: strings('ATT&CK technique ids'),
    tactics: strings('ATT&CK tactic short names'),
    author: nullableStr("The rule's author (the Detection Rule License asks that it travel with every alert)"),
    host: nullableStr('Lower-case'),
    user: nullableStr('As the event wrote it'),
    status: { type: 'string', enum: ALERT_STATUSES },
    status_note: nullableStr('Why it was acknowledged or dismissed'),
    case_id: nullableStr('The case it was merged into'),
    observables: { type: 'array', items: observableSchema },
    event_ids: strings('The first event ids (at most 100)'),
    event_count: { type: 'integer', description: 'All events, including those past the kept ids' },
    detection_count: { type: 'integer' },
    matched_fields: strings('Event fields whose tests held'),
    first_seen: time('Event time of the earliest detection'),
    last_seen: time('Event time of the latest detection'),
    created_at: time('When the alert was opened'),
    updated_at: time('Last change'),
  },
  ['id', 'rule_id', 'rule_version', 'rule_title', 'level', 'techniques', 'tactics', 'author', 'host', 'user', 'status', 'status_note', 'case_id',
    'observables', 'event_ids', 'event_count', 'detection_count', 'matched_fields', 'first_seen', 'last_seen', 'created_at', 'updated_at'],
  'Detections of one rule on one host for one user within the grouping window',
);

const clocksSchema = obj(
  {
    acknowledged_at: nullableTime('First move out of new, or first assignment'),
    time_to_acknowledge_ms: { type: ['integer', 'null'] },
    resolved_at: nullableTime('First reach of resolved, closed or false_positive since creation or the last reopening'),
    time_to_resolve_ms: { type: ['integer', 'null'] },
  },
  ['acknowledged_at', 'time_to_acknowledge_ms', 'resolved_at', 'time_to_resolve_ms'],
);

const caseProperties = {
  id: { type: 'string' },
  number: { type: 'integer', description: 'Per-tenant sequence' },
  ref: { type: 'string', description: '"#42"' },
  title: { type: 'string' },
  description: { type: 'string' },
  severity: { type: 'string', enum: CASE_SEVERITIES },
  state: { type: 'string', enum: CASE_STATES },
  assignee: nullableStr('Actor id'),
  tags: strings('Tags'),
  tlp: { type: 'string', enum: TLPS, description: 'Traffic Light Protocol 2.0' },
  pap: { type: 'string', enum: PAPS, description: 'Permissible Actions Protocol' },
  summary: nullableStr('Closing summary'),
  merged_into: nullableStr('Set when merged into another case; the case is then closed and read-only'),
  created_by: { type: 'string' },
  created_at: time('Opened'),
  updated_at: time('Last change'),
  revision: { type: 'integer', description: 'Send it back with PATCH to refuse lost updates' },
  clocks: clocksSchema,
  alert_count: { type: 'integer' },
} as const;
const caseRequired = Object.keys(caseProperties) as Array<keyof typeof caseProperties>;

export const caseSchema = obj(caseProperties, caseRequired, 'A case as listed');

export const taskSchema = obj(
  {
    id: { type: 'string' },
    case_id: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    state: { type: 'string', enum: TASK_STATES },
    assignee: nullableStr('Actor id'),
    created_by: { type: 'string' },
    created_at: time('Added'),
    updated_at: time('Last change'),
    done_at: nullableTime('When it was done'),
  },
  ['id', 'case_id', 'title', 'description', 'state', 'assignee', 'created_by', 'created_at', 'updated_at', 'done_at'],
);

export const commentSchema = obj(
  { id: { type: 'string' }, case_id: { type: 'string' }, author: { type: 'string' }, text: { type: 'string' }, created_at: time('Written') },
  ['id', 'case_id', 'author', 'text', 'created_at'],
);

export const evidenceSchema = obj(
  {
    id: { type: 'string' },
    case_id: { type: 'string' },
    name: { type: 'string' },
    media_type: { type: 'string' },
    size: { type: 'integer', description: 'Bytes' },
    sha256: { type: 'string', description: 'Lower-case hex' },
    added_by: { type: 'string' },
    added_at: time('Added'),
  },
  ['id', 'case_id', 'name', 'media_type', 'size', 'sha256', 'added_by', 'added_at'],
);

export const caseObservableSchema = obj(
  {
    ...observableSchema.properties,
    id: { type: 'string' },
    ioc: { type: 'boolean', description: 'Marked an indicator of compromise' },
    note: nullableStr('Analyst note'),
    source: { type: 'string', enum: ['alert', 'analyst'] },
    added_by: { type: 'string' },
    added_at: time('Added'),
  },
  ['id', 'type', 'value', 'ioc', 'note', 'source', 'added_by', 'added_at'],
);

const timelineEntrySchema = obj(
  {
    at: time('When'),
    actor: { type: 'string' },
    kind: {
      type: 'string',
      enum: ['created', 'alerts_merged', 'case_merged', 'merged_into', 'state_changed', 'assignee_changed', 'severity_changed', 'fields_changed',
        'task_added', 'task_changed', 'comment', 'evidence_added', 'observable_added'],
    },
    summary: { type: 'string', description: 'One line for people' },
    detail: { type: 'object', additionalProperties: true, description: 'What changed (snake_case keys)' },
  },
  ['at', 'actor', 'kind', 'summary', 'detail'],
);

export const caseDetailSchema = obj(
  {
    ...caseProperties,
    alerts: { type: 'array', items: alertSchema },
    tasks: { type: 'array', items: taskSchema },
    comments: { type: 'array', items: commentSchema },
    evidence: { type: 'array', items: evidenceSchema, description: 'Descriptions; GET …/evidence/{evidence_id} for the bytes' },
    observables: { type: 'array', items: caseObservableSchema },
    timeline: { type: 'array', items: timelineEntrySchema, description: 'Oldest first, newest last' },
    related: {
      type: 'array',
      description: 'Other cases sharing observables with this one, most shared first (at most 20)',
      items: obj(
        {
          id: { type: 'string' }, number: { type: 'integer' }, ref: { type: 'string' }, title: { type: 'string' },
          state: { type: 'string', enum: CASE_STATES }, severity: { type: 'string', enum: CASE_SEVERITIES },
          shared: { type: 'integer', description: 'Observables in common' },
        },
        ['id', 'number', 'ref', 'title', 'state', 'severity', 'shared'],
      ),
    },
  },
  [...caseRequired, 'alerts', 'tasks', 'comments', 'evidence', 'observables', 'timeline', 'related'],
  'A case with everything the case page shows',
);

export const pageOf = <S extends object>(items: S) =>
  obj({ items: { type: 'array', items }, next: { type: ['string', 'null'], description: 'Opaque cursor of the next page; null at the end' } }, ['items', 'next']);

const durationSchema = obj(
  { count: { type: 'integer' }, median_ms: { type: ['integer', 'null'] }, p90_ms: { type: ['integer', 'null'] } },
  ['count', 'median_ms', 'p90_ms'],
);

const countsOf = (keys: readonly string[]) => obj(Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])), keys);

export const statsSchema = obj(
  {
    from: time('Period start (inclusive)'),
    to: time('Period end (exclusive)'),
    created: { type: 'integer', description: 'Cases opened in the period' },
    time_to_acknowledge: { ...durationSchema, description: 'Cases acknowledged in the period' },
    time_to_resolve: { ...durationSchema, description: 'Cases resolved in the period (merged duplicates left out)' },
    by_state: { ...countsOf(CASE_STATES), description: 'All cases now' },
    by_severity: { ...countsOf(CASE_SEVERITIES), description: 'Cases opened in the period' },
  },
  ['from', 'to', 'created', 'time_to_acknowledge', 'time_to_resolve', 'by_state', 'by_severity'],
);

/* Requests. Multi-valued filters repeat (`status=new&status=acknowledged`) or use commas (`status=new,acknowledged`). */

const listValues = (allowed: readonly string[]) =>
  ({ type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 20, description: `Any of: ${allowed.join(', ')}; repeat the parameter or separate with commas` }) as const;
const page = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: str('The `next` of the previous page', 200),
} as const;

export const idParams = obj({ id: str('Id, or a case number such as 42', 100) }, ['id']);
export const taskParams = obj({ id: str('Case id or number', 100), taskId: str('Task id', 100) }, ['id', 'taskId']);
export const evidenceParams = obj({ id: str('Case id or number', 100), evId: str('Evidence id', 100) }, ['id', 'evId']);

export const alertsQuery = obj(
  {
    rule_id: str('Sigma rule id', 200),
    status: listValues(ALERT_STATUSES),
    host: str('Host name (case-insensitive)', 255),
    level: listValues(LEVELS),
    since: str('ISO 8601: alerts whose latest detection is at or after it', 40),
    ...page,
  },
  [],
);

export const casesQuery = obj(
  {
    state: listValues(CASE_STATES),
    severity: listValues(CASE_SEVERITIES),
    assignee: str('Actor id; empty for unassigned cases', 200),
    tag: str('A tag (case-insensitive)', 100),
    text: str('Words in the title or description, or a case number (#42)', 500),
    ...page,
  },
  [],
);

export const statsQuery = obj({ from: str('ISO 8601, default 30 days before `to`', 40), to: str('ISO 8601, default now', 40) }, []);

const idList = (description: string, max: number) => ({ type: 'array', items: { type: 'string', maxLength: 100 }, minItems: 1, maxItems: max, description }) as const;

export const alertPatchBody = obj(
  { status: { type: 'string', enum: ['new', 'acknowledged', 'dismissed'] }, note: { type: ['string', 'null'], maxLength: 100_000, description: 'Why' } },
  ['status'],
);

export const caseCreateBody = obj(
  {
    title: str('Required unless alert_ids are given', 500),
    description: str('Markdown', 100_000),
    severity: { type: 'string', enum: CASE_SEVERITIES },
    assignee: { type: ['string', 'null'], maxLength: 200 },
    tags: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 50 },
    tlp: { type: 'string', enum: TLPS, default: 'amber' },
    pap: { type: 'string', enum: PAPS, default: 'amber' },
    alert_ids: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 1000, description: 'Alerts the case opens from' },
  },
  [],
);

export const casePatchBody = {
  ...obj(
    {
      title: str('Title', 500),
      description: str('Markdown', 100_000),
      severity: { type: 'string', enum: CASE_SEVERITIES },
      state: { type: 'string', enum: CASE_STATES },
      assignee: { type: ['string', 'null'], maxLength: 200, description: 'null unassigns' },
      tags: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 50, description: 'Replaces the tags' },
      tlp: { type: 'string', enum: TLPS },
      pap: { type: 'string', enum: PAPS },
      summary: { type: ['string', 'null'], maxLength: 100_000, description: 'Closing summary' },
      revision: { type: 'integer', minimum: 0, description: 'Refuse the change unless the case is still at this revision' },
    },
    [],
  ),
  minProperties: 1,
} as const;

export const mergeAlertsBody = obj({ alert_ids: idList('Alerts to merge into the case', 1000) }, ['alert_ids']);
export const mergeCasesBody = obj({ case_ids: idList('Cases (ids or numbers) to merge into this one', 20) }, ['case_ids']);
export const commentBody = obj({ text: str('Markdown', 100_000) }, ['text']);
export const taskCreateBody = obj({ title: str('Title', 500), description: str('Markdown', 100_000), assignee: { type: ['string', 'null'], maxLength: 200 } }, ['title']);
export const taskPatchBody = {
  ...obj(
    { title: str('Title', 500), description: str('Markdown', 100_000), state: { type: 'string', enum: TASK_STATES }, assignee: { type: ['string', 'null'], maxLength: 200 } },
    [],
  ),
  minProperties: 1,
} as const;
export const evidenceBody = obj(
  {
    name: str('File name', 255),
    media_type: str('Such as application/pdf', 255),
    content_base64: { type: 'string', description: 'The file, standard base64; at most 10 MiB decoded' },
    sha256: { type: 'string', minLength: 64, maxLength: 64, description: 'When given, the decoded content must hash to it' },
  },
  ['name', 'media_type', 'content_base64'],
);
export const observableBody = obj(
  {
    type: { type: 'string', enum: OBSERVABLE_TYPES },
    value: str('The value; normalised by its type', 2048),
    algorithm: { type: 'string', enum: HASH_ALGORITHMS, description: 'For hashes; else taken from the length' },
    ioc: { type: 'boolean', default: false },
    note: str('Analyst note', 100_000),
  },
  ['type', 'value'],
);
