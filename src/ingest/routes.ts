import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, requireRole, type MessageFormat, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { getEvent, listEvents } from './events-store.js';
import type { SpoolInput } from './spool/spool.js';

export interface IngestRouteDeps {
  readonly store: Store;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  /** Appends to the spool; resolves when durable. */
  readonly accept: (batch: SpoolInput[]) => Promise<{ first: number; last: number }>;
  readonly onRejected?: () => void;
}

const storedEvent = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    received_at: { type: 'string', format: 'date-time' },
    event_time: { type: 'string', format: 'date-time' },
    source: { type: 'object', properties: { transport: { type: 'string' }, peer: { type: 'string' }, listener: { type: 'string' } } },
    format: { type: 'string' },
    device: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    raw: { type: 'string' },
    event: { type: 'object', additionalProperties: true },
  },
} as const;

const accepted = {
  type: 'object',
  properties: { accepted: { type: 'integer' }, first_seq: { type: 'integer' }, last_seq: { type: 'integer' } },
} as const;

/**
 * HTTP ingest and the event search. A bulk body is acknowledged (200) only once every line
 * is in the spool on disk; a body that cannot be read is refused whole (nothing of it kept).
 */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  app.removeContentTypeParser('text/plain');
  for (const type of ['text/plain', 'application/x-ndjson', 'application/jsonl']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  }

  const peerOf = (req: FastifyRequest): string => `${req.ip}:${req.socket.remotePort ?? 0}`;

  const ingestRoute = (path: string, summary: string, description: string, messagesOf: (body: unknown) => string[]): void => {
    app.post(path, { schema: { tags: ['ingest'], summary, description, response: { 200: accepted } } }, async (req) => {
      requireRole(deps.contextOf(req), 'analyst', 'member-connector');
      const texts = messagesOf(req.body);
      const receivedAt = new Date();
      const source = { transport: 'http' as const, peer: peerOf(req), listener: `http:${path}` };
      const r = await deps.accept(texts.map((text) => ({ text, receivedAt, source })));
      return { accepted: texts.length, first_seq: r.first, last_seq: r.last };
    });
  };
  ingestRoute(
    '/api/v1/ingest',
    'Ingest messages: one per line (syslog, CEF, LEEF, JSON, Windows event XML)',
    'Body is text/plain or application/x-ndjson, one raw message per line, or a JSON array of strings or objects. Acknowledged once durable.',
    linesOf,
  );
  ingestRoute(
    '/api/v1/ingest/_bulk',
    'Ingest an Elasticsearch/ECS bulk body (action line, document line, …)',
    'Each index or create action line is followed by its document; a body with any other action is refused whole. Acknowledged once durable.',
    bulkDocuments,
  );

  app.get('/api/v1/events', {
    schema: {
      tags: ['events'],
      summary: 'Stored events, newest first; any other query parameter filters an ECS field (e.g. source.ip=10.0.0.1)',
      querystring: {
        type: 'object',
        properties: {
          since: { type: 'string' },
          until: { type: 'string' },
          host: { type: 'string' },
          format: { type: 'string' },
          failed: { type: 'boolean' },
          limit: { type: 'integer', minimum: 1, maximum: 1000 },
          cursor: { type: 'string' },
        },
        additionalProperties: { type: 'string' },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: storedEvent }, next: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    deps.contextOf(req);
    const { since, until, host, format, failed, limit, cursor, ...fields } = req.query as Record<string, string | number | boolean | undefined>;
    const page = await listEvents(deps.store.db, deps.store.dialect, {
      ...(since ? { since: String(since) } : {}),
      ...(until ? { until: String(until) } : {}),
      ...(host ? { host: String(host) } : {}),
      ...(format ? { format: String(format) as MessageFormat } : {}),
      ...(failed !== undefined ? { failed: Boolean(failed) } : {}),
      ...(limit ? { limit: Number(limit) } : {}),
      ...(cursor ? { cursor: String(cursor) } : {}),
      fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])),
    });
    return { items: page.items.map(eventJson), next: page.next };
  });

  app.get('/api/v1/events/:id', {
    schema: { tags: ['events'], summary: 'One stored event', params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, response: { 200: storedEvent } },
  }, async (req) => {
    deps.contextOf(req);
    return eventJson(await getEvent(deps.store.db, (req.params as { id: string }).id));
  });
}

function eventJson(e: Awaited<ReturnType<typeof getEvent>>): Record<string, unknown> {
  return {
    id: e.id,
    received_at: e.receivedAt,
    event_time: e.eventTime,
    source: e.source,
    format: e.format,
    device: e.device ?? null,
    error: e.error ?? null,
    raw: e.raw,
    event: e.event,
  };
}

/** Messages in a body: lines of text, or a JSON array of strings/objects. Empty lines are not messages. */
function linesOf(body: unknown): string[] {
  if (typeof body === 'string') return body.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (Array.isArray(body)) return body.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (body !== null && typeof body === 'object') return [JSON.stringify(body)];
  throw new InputError('BAD_BODY', 'send text/plain or application/x-ndjson lines, or a JSON array', 'body');
}

/** The documents of an Elasticsearch bulk body: each `index`/`create` action line is followed by its document. */
function bulkDocuments(body: unknown): string[] {
  if (typeof body !== 'string') throw new InputError('BAD_BODY', 'a bulk body is application/x-ndjson text', 'body');
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '');
  const docs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let action: unknown;
    try {
      action = JSON.parse(lines[i]!);
    } catch {
      throw new InputError('BAD_BULK', `line ${i + 1} should be an action ({"index":{}} or {"create":{}}) and is not JSON`, `line ${i + 1}`);
    }
    const kind = action && typeof action === 'object' ? Object.keys(action)[0] : undefined;
    if (kind !== 'index' && kind !== 'create') throw new InputError('BAD_BULK', `line ${i + 1}: only index and create actions carry documents, got ${String(kind)}`, `line ${i + 1}`);
    const doc = lines[++i];
    if (doc === undefined) throw new InputError('BAD_BULK', `line ${i}: the ${kind} action has no document after it`, `line ${i}`);
    docs.push(doc);
  }
  return docs;
}
