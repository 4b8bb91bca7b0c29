import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import { InputError, type Clock, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { getAlert, listAlerts, setAlertStatus } from './alerts.js';
import {
  alertJson, caseDetailJson, caseJson, caseObservableJson, commentJson, evidenceJson, statsJson, taskJson,
} from './api-json.js';
import * as S from './api-schemas.js';
import { caseStats } from './case-stats.js';
import { addComment, addEvidence, addObservable, addTask, getEvidence, MAX_EVIDENCE_BYTES, updateTask } from './case-work.js';
import { getCase, listCases } from './case-read.js';
import { createCase, mergeAlertsIntoCase, mergeCases, updateCase } from './cases.js';
import type { CasesDeps } from './db.js';
import type {
  AlertStatus, CaseSeverity, CaseState, HashAlgorithm, ObservableType, Pap, TaskState, Tlp,
} from './types.js';
import type { Severity } from '../core/index.js';

export interface CaseRoutesDeps {
  readonly store: Store;
  /** The actor and tenant of a request (the server's authentication decides). */
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  readonly clock?: Clock;
}

const PREFIX = '/api/v1';
/** Base64 of the largest evidence file, plus room for the rest of the JSON. */
const EVIDENCE_BODY_LIMIT = Math.ceil(MAX_EVIDENCE_BYTES / 3) * 4 + 64 * 1024;

interface Paged {
  limit?: number;
  cursor?: string;
}

/** `?s=a,b&s=c` → ['a', 'b', 'c']; absent stays absent. */
function split(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((value) => value.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * Refuses fields a route does not know, naming them. Fastify's usual Ajv set-up removes
 * them silently, so a misspelt `asignee` would otherwise change nothing and say nothing.
 */
function strictFields(schema: { body?: { properties: object }; querystring?: { properties: object } }): preValidationHookHandler {
  const check = (value: unknown, known: object | undefined, where: string): void => {
    if (known === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(known, key)) {
        throw new InputError('FIELD_UNKNOWN', `unknown field; this request takes ${Object.keys(known).join(', ') || 'no fields'}`, `${where}.${key}`);
      }
    }
  };
  return async function strictFieldsHook(req: FastifyRequest): Promise<void> {
    check(req.query, schema.querystring?.properties, 'query');
    check(req.body, schema.body?.properties, 'body');
  };
}

/** An ASCII file name for `filename=`, the real one in `filename*=` (RFC 6266). */
function contentDisposition(name: string): string {
  let ascii = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    const plain = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || ch === '.' || ch === '_' || ch === '-' || ch === ' ';
    ascii += ch.length === 1 && plain ? ch : '_';
  }
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The cases API under /api/v1: alerts, cases and everything in them. Every route declares
 * its schema (for validation, serialisation and the OpenAPI document); domain errors are
 * thrown for the server's one error-to-status map.
 */
export function registerCaseRoutes(app: FastifyInstance, deps: CaseRoutesDeps): void {
  const cases: CasesDeps = { db: deps.store.db, ...(deps.clock ? { clock: deps.clock } : {}) };
  alertRoutes(app, cases, deps.contextOf);
  caseRoutes(app, cases, deps.contextOf);
  caseWorkRoutes(app, cases, deps.contextOf);
}

type ContextOf = CaseRoutesDeps['contextOf'];
const alertsTags = ['alerts'];
const casesTags = ['cases'];

function alertRoutes(app: FastifyInstance, cases: CasesDeps, ctx: ContextOf): void {
  app.get<{ Querystring: { rule_id?: string; status?: string[]; host?: string; level?: string[]; since?: string } & Paged }>(`${PREFIX}/alerts`, {
    schema: { tags: alertsTags, summary: 'List alerts, newest first', querystring: S.alertsQuery, response: { 200: S.pageOf(S.alertSchema) } },
    preValidation: strictFields({ querystring: S.alertsQuery }),
  }, async (req) => {
    const q = req.query;
    const page = await listAlerts(ctx(req), cases, {
      ...(q.rule_id !== undefined ? { ruleId: q.rule_id } : {}),
      ...(q.status !== undefined ? { status: split(q.status) as AlertStatus[] } : {}),
      ...(q.host !== undefined ? { host: q.host } : {}),
      ...(q.level !== undefined ? { level: split(q.level) as Severity[] } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
    }, { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    return { items: page.items.map(alertJson), next: page.next };
  });

  app.get<{ Params: { id: string } }>(`${PREFIX}/alerts/:id`, {
    schema: { tags: alertsTags, summary: 'Get an alert', params: S.idParams, response: { 200: S.alertSchema } },
  }, async (req) => alertJson(await getAlert(ctx(req), cases, req.params.id)));

  app.patch<{ Params: { id: string }; Body: { status: AlertStatus; note?: string | null } }>(`${PREFIX}/alerts/:id`, {
    schema: { tags: alertsTags, summary: 'Acknowledge, dismiss or reopen an alert', params: S.idParams, body: S.alertPatchBody, response: { 200: S.alertSchema } },
    preValidation: strictFields({ body: S.alertPatchBody }),
  }, async (req) => alertJson(await setAlertStatus(ctx(req), cases, req.params.id, {
    status: req.body.status, ...(req.body.note !== undefined ? { note: req.body.note } : {}),
  })));
}

/** The case itself: list, open, read, change, merge, figures. */
function caseRoutes(app: FastifyInstance, cases: CasesDeps, ctx: ContextOf): void {
  app.get<{ Querystring: { state?: string[]; severity?: string[]; assignee?: string; tag?: string; text?: string } & Paged }>(`${PREFIX}/cases`, {
    schema: { tags: casesTags, summary: 'List cases, newest first', querystring: S.casesQuery, response: { 200: S.pageOf(S.caseSchema) } },
    preValidation: strictFields({ querystring: S.casesQuery }),
  }, async (req) => {
    const q = req.query;
    const page = await listCases(ctx(req), cases, {
      ...(q.state !== undefined ? { state: split(q.state) as CaseState[] } : {}),
      ...(q.severity !== undefined ? { severity: split(q.severity) as CaseSeverity[] } : {}),
      ...(q.assignee !== undefined ? { assignee: q.assignee } : {}),
      ...(q.tag !== undefined ? { tag: q.tag } : {}),
      ...(q.text !== undefined ? { text: q.text } : {}),
    }, { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    return { items: page.items.map(caseJson), next: page.next };
  });

  app.post<{ Body: { title?: string; description?: string; severity?: CaseSeverity; assignee?: string | null; tags?: string[]; tlp?: Tlp; pap?: Pap; alert_ids?: string[] } }>(`${PREFIX}/cases`, {
    schema: { tags: casesTags, summary: 'Open a case, empty or from alerts', body: S.caseCreateBody, response: { 201: S.caseDetailSchema } },
    preValidation: strictFields({ body: S.caseCreateBody }),
  }, async (req, reply) => {
    const b = req.body;
    const c = await createCase(ctx(req), cases, {
      ...(b.title !== undefined ? { title: b.title } : {}), ...(b.description !== undefined ? { description: b.description } : {}),
      ...(b.severity !== undefined ? { severity: b.severity } : {}), ...(b.assignee !== undefined ? { assignee: b.assignee } : {}),
      ...(b.tags !== undefined ? { tags: b.tags } : {}), ...(b.tlp !== undefined ? { tlp: b.tlp } : {}), ...(b.pap !== undefined ? { pap: b.pap } : {}),
      ...(b.alert_ids !== undefined ? { alertIds: b.alert_ids } : {}),
    });
    return reply.code(201).send(caseDetailJson(c));
  });

  app.get<{ Querystring: { from?: string; to?: string } }>(`${PREFIX}/cases/stats`, {
    schema: { tags: casesTags, summary: 'Case figures over a period: median and p90 time-to-acknowledge and time-to-resolve', querystring: S.statsQuery, response: { 200: S.statsSchema } },
    preValidation: strictFields({ querystring: S.statsQuery }),
  }, async (req) => statsJson(await caseStats(ctx(req), cases, {
    ...(req.query.from !== undefined ? { from: req.query.from } : {}), ...(req.query.to !== undefined ? { to: req.query.to } : {}),
  })));

  app.get<{ Params: { id: string } }>(`${PREFIX}/cases/:id`, {
    schema: { tags: casesTags, summary: 'Get a case with its alerts, tasks, observables, timeline and clocks', params: S.idParams, response: { 200: S.caseDetailSchema } },
  }, async (req) => caseDetailJson(await getCase(ctx(req), cases, req.params.id)));

  app.patch<{ Params: { id: string }; Body: { title?: string; description?: string; severity?: CaseSeverity; state?: CaseState; assignee?: string | null; tags?: string[]; tlp?: Tlp; pap?: Pap; summary?: string | null; revision?: number } }>(`${PREFIX}/cases/:id`, {
    schema: { tags: casesTags, summary: 'Change a case: fields, state (see the transitions), assignee', params: S.idParams, body: S.casePatchBody, response: { 200: S.caseDetailSchema } },
    preValidation: strictFields({ body: S.casePatchBody }),
  }, async (req) => caseDetailJson(await updateCase(ctx(req), cases, req.params.id, req.body)));

  app.post<{ Params: { id: string }; Body: { alert_ids: string[] } }>(`${PREFIX}/cases/:id/alerts`, {
    schema: { tags: casesTags, summary: 'Merge alerts into a case', params: S.idParams, body: S.mergeAlertsBody, response: { 200: S.caseDetailSchema } },
    preValidation: strictFields({ body: S.mergeAlertsBody }),
  }, async (req) => caseDetailJson(await mergeAlertsIntoCase(ctx(req), cases, req.params.id, req.body.alert_ids)));

  app.post<{ Params: { id: string }; Body: { case_ids: string[] } }>(`${PREFIX}/cases/:id/merge`, {
    schema: { tags: casesTags, summary: 'Merge other cases into this one (they close, read-only)', params: S.idParams, body: S.mergeCasesBody, response: { 200: S.caseDetailSchema } },
    preValidation: strictFields({ body: S.mergeCasesBody }),
  }, async (req) => caseDetailJson(await mergeCases(ctx(req), cases, req.params.id, req.body.case_ids)));
}

/** What analysts add to a case: comments, tasks, evidence, observables. */
function caseWorkRoutes(app: FastifyInstance, cases: CasesDeps, ctx: ContextOf): void {
  app.post<{ Params: { id: string }; Body: { text: string } }>(`${PREFIX}/cases/:id/comments`, {
    schema: { tags: casesTags, summary: 'Comment on a case', params: S.idParams, body: S.commentBody, response: { 201: S.commentSchema } },
    preValidation: strictFields({ body: S.commentBody }),
  }, async (req, reply) => reply.code(201).send(commentJson(await addComment(ctx(req), cases, req.params.id, req.body.text))));

  app.post<{ Params: { id: string }; Body: { title: string; description?: string; assignee?: string | null } }>(`${PREFIX}/cases/:id/tasks`, {
    schema: { tags: casesTags, summary: 'Add a task to a case', params: S.idParams, body: S.taskCreateBody, response: { 201: S.taskSchema } },
    preValidation: strictFields({ body: S.taskCreateBody }),
  }, async (req, reply) => {
    const b = req.body;
    const task = await addTask(ctx(req), cases, req.params.id, {
      title: b.title, ...(b.description !== undefined ? { description: b.description } : {}), ...(b.assignee !== undefined ? { assignee: b.assignee } : {}),
    });
    return reply.code(201).send(taskJson(task));
  });

  app.patch<{ Params: { id: string; taskId: string }; Body: { title?: string; description?: string; state?: TaskState; assignee?: string | null } }>(`${PREFIX}/cases/:id/tasks/:taskId`, {
    schema: { tags: casesTags, summary: 'Change a task: todo, doing, done; rename; reassign', params: S.taskParams, body: S.taskPatchBody, response: { 200: S.taskSchema } },
    preValidation: strictFields({ body: S.taskPatchBody }),
  }, async (req) => taskJson(await updateTask(ctx(req), cases, req.params.id, req.params.taskId, req.body)));

  app.post<{ Params: { id: string }; Body: { name: string; media_type: string; content_base64: string; sha256?: string } }>(`${PREFIX}/cases/:id/evidence`, {
    bodyLimit: EVIDENCE_BODY_LIMIT,
    schema: { tags: casesTags, summary: 'Add an evidence file (base64 in JSON, at most 10 MiB)', params: S.idParams, body: S.evidenceBody, response: { 201: S.evidenceSchema } },
    preValidation: strictFields({ body: S.evidenceBody }),
  }, async (req, reply) => {
    const b = req.body;
    const ev = await addEvidence(ctx(req), cases, req.params.id, {
      name: b.name, mediaType: b.media_type, contentBase64: b.content_base64, ...(b.sha256 !== undefined ? { sha256: b.sha256 } : {}),
    });
    return reply.code(201).send(evidenceJson(ev));
  });

  app.get<{ Params: { id: string; evId: string } }>(`${PREFIX}/cases/:id/evidence/:evId`, {
    schema: {
      tags: casesTags, summary: 'Download an evidence file (its bytes, as an attachment)', params: S.evidenceParams,
      response: { 200: { description: 'The file as stored; Content-Type is its media type, ETag its SHA-256', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
    },
  }, async (req, reply: FastifyReply) => {
    const ev = await getEvidence(ctx(req), cases, req.params.id, req.params.evId);
    // Served as a download in a sandbox: uploaded HTML must never run as the console.
    return reply
      .header('content-type', ev.mediaType)
      .header('content-disposition', contentDisposition(ev.name))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "sandbox; default-src 'none'")
      .header('etag', `"${ev.sha256}"`)
      .send(ev.content);
  });

  app.post<{ Params: { id: string }; Body: { type: ObservableType; value: string; algorithm?: HashAlgorithm; ioc?: boolean; note?: string } }>(`${PREFIX}/cases/:id/observables`, {
    schema: { tags: casesTags, summary: 'Add an observable to a case (or mark one an IOC)', params: S.idParams, body: S.observableBody, response: { 201: S.caseObservableSchema } },
    preValidation: strictFields({ body: S.observableBody }),
  }, async (req, reply) => {
    const b = req.body;
    const o = await addObservable(ctx(req), cases, req.params.id, {
      type: b.type, value: b.value, ...(b.algorithm !== undefined ? { algorithm: b.algorithm } : {}), ...(b.ioc !== undefined ? { ioc: b.ioc } : {}),
      ...(b.note !== undefined ? { note: b.note } : {}),
    });
    return reply.code(201).send(caseObservableJson(o));
  });
}
