import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { LianfangError, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { IngestMetrics } from './metrics.js';
import { TokenAuthenticator, UnauthenticatedError } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    lianfang?: RequestContext;
    /** Why the bearer token was refused, told to routes that need a caller. */
    lianfangRefused?: UnauthenticatedError;
  }
}

export interface AppDeps {
  readonly store: Store;
  readonly metrics: IngestMetrics;
  /** Built console (index.html and assets); absent: the API only. */
  readonly webRoot?: string;
  /** Extra gauges for /metrics (spool backlog, open connections…). */
  readonly gauges?: () => Record<string, number>;
  /** Listener, spool and pipeline state for the console's ingest health page. */
  readonly health?: () => Record<string, unknown>;
  readonly version?: string;
}

export interface App {
  readonly app: FastifyInstance;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  readonly auth: TokenAuthenticator;
}

/** The largest request body (TAXII's max_content_length says so to clients). */
export const BODY_LIMIT = 32 * 1024 * 1024;

const STATUS: Record<LianfangError['category'], number> = { input: 400, not_found: 404, conflict: 409, not_allowed: 403, technical: 500 };

/**
 * The HTTP shell: token authentication, one error → status map, the OpenAPI document and
 * /metrics. Capabilities mount their own routes on `app` before it listens.
 */
export async function createApp(deps: AppDeps): Promise<App> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Lianfang API', version: deps.version ?? '0.1.0', description: 'Live SOC: events, alerts, cases, rules. Bearer token from `lianfang token create`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const auth = new TokenAuthenticator(deps.store.db);

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    try {
      req.lianfang = await auth.contextOf(req.headers.authorization);
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
      // Left unset: contextOf() answers 401, with this reason, for the routes that need a caller.
      req.lianfangRefused = err;
    }
  });

  const contextOf = (req: FastifyRequest): RequestContext => {
    if (!req.lianfang) throw req.lianfangRefused ?? new UnauthenticatedError('an API token is required: Authorization: Bearer <token>');
    return req.lianfang;
  };

  app.setErrorHandler((err: FastifyError | LianfangError | Error, req, reply) => {
    if (err instanceof UnauthenticatedError) return reply.status(401).header('www-authenticate', 'Bearer').send({ error: err.code, message: err.message });
    if (err instanceof LianfangError) {
      const where = 'where' in err && typeof err.where === 'string' ? { where: err.where } : {};
      return reply.status(STATUS[err.category]).send({ error: err.code, message: err.message, ...where });
    }
    const fe = err as FastifyError;
    if (fe.validation) return reply.status(400).send({ error: 'BAD_REQUEST', message: fe.message });
    if (typeof fe.statusCode === 'number' && fe.statusCode < 500) return reply.status(fe.statusCode).send({ error: fe.code ?? 'BAD_REQUEST', message: fe.message });
    req.log.error(err);
    return reply.status(500).send({ error: 'INTERNAL', message: 'internal error; see the server log' });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return deps.metrics.prometheus(deps.gauges?.() ?? {});
  });
  app.get('/api/v1/me', {
    schema: {
      tags: ['auth'],
      summary: 'Who the token belongs to',
      response: { 200: { type: 'object', properties: { actor: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, tenant: { type: 'string' } } } },
    },
  }, async (req) => {
    const ctx = contextOf(req);
    return { actor: ctx.actor.id, roles: ctx.actor.roles, tenant: ctx.tenant };
  });

  app.get('/api/v1/ingest/health', {
    schema: {
      tags: ['ingest'],
      summary: 'Live ingest counters and rates, spool backlog, listeners and detection state',
      response: {
        200: {
          type: 'object',
          properties: {
            counters: {
              type: 'object',
              properties: { received: { type: 'integer' }, parsed: { type: 'integer' }, failed: { type: 'integer' }, detected: { type: 'integer' }, alerts: { type: 'integer' }, spool_damaged: { type: 'integer' }, http_rejected: { type: 'integer' } },
            },
            rates: { type: 'object', properties: { received_per_s: { type: 'number' }, detected_per_s: { type: 'number' } } },
          },
          additionalProperties: true,
        },
      },
    },
  }, async (req) => {
    contextOf(req);
    const m = deps.metrics;
    m.sample();
    const rates = m.rates();
    return {
      counters: { received: m.received, parsed: m.parsed, failed: m.failed, detected: m.detected, alerts: m.alerts, spool_damaged: m.spoolDamaged, http_rejected: m.httpRejected },
      rates: { received_per_s: rates.received, detected_per_s: rates.detected },
      ...(deps.health?.() ?? {}),
    };
  });

  if (deps.webRoot && existsSync(join(deps.webRoot, 'index.html'))) serveConsole(app, deps.webRoot);
  return { app, contextOf, auth };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};

/** The built console: files under webRoot, and index.html for the app's own paths. */
function serveConsole(app: FastifyInstance, root: string): void {
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = decodeURIComponent((req.params as { '*': string })['*'] ?? '');
    const file = normalize(join(root, path));
    if (path !== '' && file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
      reply.type(TYPES[extname(file)] ?? 'application/octet-stream');
      if (path.startsWith('assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
      return reply.send(readFileSync(file));
    }
    if (path.startsWith('api/')) return reply.status(404).send({ error: 'NOT_FOUND', message: `no route ${req.url}` });
    // Read each time: a rebuilt console is served without a restart.
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(readFileSync(join(root, 'index.html')));
  });
}
