import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError, LianfangError, NotAllowedError, type Clock, type RequestContext } from '../../core/index.js';
import type { Database } from '../../store/index.js';
import type { Kysely } from 'kysely';
import { canRead, canWrite, getCollection, listCollections, type IntelCollection } from '../hub/collections.js';
import { MemberPasswords, principalOf, type IntelPrincipal } from '../hub/members.js';
import { addObjects, deleteObject, queryObjects, type AddedVersion, type ObjectQuery, type StoredVersion } from '../stix/store.js';
import { nextDateAdded } from '../stix/time.js';
import { getStatus, saveStatus } from './status.js';
import { recordIntel, type LedgerOptions, type SectorAlert } from '../hub/ledger.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
export const API_ROOT = 'intel';
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

export interface TaxiiDeps {
  readonly db: Kysely<Database>;
  readonly tenant: string;
  /** Bearer tokens (the server's API tokens). */
  readonly bearer: (authorization: string) => Promise<RequestContext>;
  readonly title?: string;
  readonly description?: string;
  readonly maxContentLength: number;
  readonly clock?: Clock;
  /** Told what was stored (the live matcher takes new indicators). */
  readonly onAdded?: (collectionId: string, added: readonly AddedVersion[]) => void;
  /** Sector alert threshold and window. */
  readonly ledger?: LedgerOptions;
  readonly onSectorAlert?: (alerts: readonly SectorAlert[]) => void;
}

class TaxiiError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    taxii?: { ctx: RequestContext; who: IntelPrincipal };
  }
}

/** Does the Accept header take TAXII 2.1 JSON? (No header takes anything.) */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const version = params.find((p) => p.startsWith('version='))?.slice(8);
    if (type === '*/*' || type === 'application/*') return true;
    return type === 'application/taxii+json' && (version === undefined || version === '2.1');
  });
}

function listParam(q: Record<string, unknown>, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const values = (Array.isArray(v) ? v : [v]).map(String);
  return values.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

function oneParam(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError('PARAM_REPEATED', `${name} may be given once`, name);
  return String(v);
}

const KNOWN_PARAMS = new Set(['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]']);

function objectQuery(query: unknown, allowed: readonly string[]): ObjectQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(q)) {
    if (!KNOWN_PARAMS.has(k) || !allowed.includes(k)) throw new InputError('PARAM_UNKNOWN', `this endpoint does not take '${k}' (it takes ${allowed.join(', ')})`, k);
  }
  const limitText = oneParam(q, 'limit');
  let limit = DEFAULT_PAGE;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1) throw new InputError('LIMIT_INVALID', `limit must be a whole number of 1 or more; got '${limitText}'`, 'limit');
    limit = Math.min(limit, MAX_PAGE);
  }
  const addedAfter = oneParam(q, 'added_after');
  const next = oneParam(q, 'next');
  const ids = listParam(q, 'match[id]');
  const types = listParam(q, 'match[type]');
  const versions = listParam(q, 'match[version]');
  const specVersions = listParam(q, 'match[spec_version]');
  return {
    limit,
    ...(addedAfter !== undefined ? { addedAfter } : {}), ...(next !== undefined ? { next } : {}),
    ...(ids ? { ids } : {}), ...(types ? { types } : {}), ...(versions ? { versions } : {}), ...(specVersions ? { specVersions } : {}),
  };
}

function dateHeaders(reply: FastifyReply, versions: readonly StoredVersion[]): void {
  if (versions.length === 0) return;
  const added = versions.map((v) => v.dateAdded).sort();
  reply.header('X-TAXII-Date-Added-First', added[0]!);
  reply.header('X-TAXII-Date-Added-Last', added[added.length - 1]!);
}

function collectionResource(c: IntelCollection, who: IntelPrincipal): Record<string, unknown> {
  return {
    id: c.id, title: c.title, ...(c.description ? { description: c.description } : {}), ...(c.alias ? { alias: c.alias } : {}),
    can_read: canRead(c, who), can_write: canWrite(c, who), media_types: [STIX_MEDIA_TYPE],
  };
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 406: 'Not Acceptable', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error' };
const CATEGORY_STATUS: Record<LianfangError['category'], number> = { input: 400, not_found: 404, conflict: 409, not_allowed: 403, technical: 500 };

/**
 * TAXII 2.1 under /taxii2/: discovery, one API root, collections, objects (GET, POST,
 * DELETE), versions, manifest, status. Members authenticate with HTTP Basic or a bearer
 * token; what each may read is decided in the store query (collection rights, TLP,
 * sharing groups), so a page never holds what the caller may not see.
 */
export async function registerTaxiiRoutes(app: FastifyInstance, deps: TaxiiDeps): Promise<void> {
  const passwords = new MemberPasswords(deps.db, deps.tenant);
  await app.register(async (taxii) => {
    taxii.addContentTypeParser(['application/taxii+json', 'application/stix+json'], { parseAs: 'string', bodyLimit: deps.maxContentLength }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        done(new TaxiiError(400, 'Bad Request', `the body is not JSON: ${(err as Error).message}`), undefined);
      }
    });

    taxii.addHook('onRequest', async (req) => {
      if (req.method === 'GET' && !acceptsTaxii(req.headers.accept)) throw new TaxiiError(406, 'Not Acceptable', `this server answers ${TAXII_MEDIA_TYPE}; the Accept header asks for '${req.headers.accept}'`);
      const ctx = await authenticate(req.headers.authorization);
      req.taxii = { ctx, who: await principalOf(deps.db, ctx) };
    });

    async function authenticate(authorization: string | undefined): Promise<RequestContext> {
      const refuse = (why: string) => new TaxiiError(401, 'Unauthorized', why);
      if (!authorization) throw refuse('credentials are required: HTTP Basic (member name and password) or a bearer token');
      if (/^basic /i.test(authorization)) {
        const pair = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        const colon = pair.indexOf(':');
        const name = colon < 0 ? '' : pair.slice(0, colon);
        const password = colon < 0 ? '' : pair.slice(colon + 1);
        if (!name || !(await passwords.verify(name, password))) throw refuse('the member name or password is wrong');
        return { actor: { id: `member:${name}`, kind: 'user', roles: ['member-connector'] }, tenant: deps.tenant };
      }
      try {
        return await deps.bearer(authorization);
      } catch (err) {
        throw refuse(err instanceof Error ? err.message : 'the bearer token was refused');
      }
    }

    taxii.setErrorHandler((err: FastifyError | LianfangError | TaxiiError, req, reply) => {
      let status: number;
      let message = err.message;
      if (err instanceof TaxiiError) status = err.status;
      else if (err instanceof LianfangError) status = CATEGORY_STATUS[err.category];
      else if ((err as FastifyError).statusCode === 413) {
        status = 413;
        message = `the request is larger than max_content_length (${deps.maxContentLength} bytes)`;
      } else if ((err as FastifyError).statusCode === 415) status = 415;
      else if (typeof (err as FastifyError).statusCode === 'number' && (err as FastifyError).statusCode! < 500) status = (err as FastifyError).statusCode!;
      else {
        req.log.error(err);
        status = 500;
        message = 'internal error; see the server log';
      }
      if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="Lianfang TAXII", Bearer');
      const where = err instanceof InputError && err.where ? { details: { parameter: err.where } } : {};
      return reply.status(status).header('content-type', TAXII_MEDIA_TYPE).send(Buffer.from(JSON.stringify({
        title: TITLES[status] ?? 'Error', description: message, http_status: String(status),
        ...(err instanceof LianfangError ? { error_code: err.code } : {}), ...where,
      })));
    });

    const who = (req: FastifyRequest): IntelPrincipal => req.taxii!.who;
    // Bytes, so Fastify does not re-spell the media type (quotes, charset): it goes out as TAXII writes it.
    const send = (reply: FastifyReply, status: number, body: unknown) => reply.status(status).header('content-type', TAXII_MEDIA_TYPE).send(Buffer.from(JSON.stringify(body)));
    const rootPath = `/${API_ROOT}/`;

    taxii.get('/', { schema: { hide: true } }, async (req, reply) => {
      const base = `${req.protocol}://${req.headers.host ?? 'localhost'}/taxii2`;
      return send(reply, 200, {
        title: deps.title ?? 'Lianfang intel hub', description: deps.description ?? 'STIX 2.1 intel shared under TLP 2.0',
        default: `${base}${rootPath}`, api_roots: [`${base}${rootPath}`],
      });
    });

    taxii.get(rootPath, { schema: { hide: true } }, async (_req, reply) =>
      send(reply, 200, { title: deps.title ?? 'Lianfang intel', versions: [TAXII_MEDIA_TYPE], max_content_length: deps.maxContentLength }));

    taxii.get(`${rootPath}status/:statusId/`, { schema: { hide: true } }, async (req, reply) => {
      const { statusId } = req.params as { statusId: string };
      return send(reply, 200, await getStatus(deps.db, deps.tenant, who(req), statusId));
    });

    taxii.get(`${rootPath}collections/`, { schema: { hide: true } }, async (req, reply) => {
      const list = await listCollections(deps.db, deps.tenant, who(req));
      return send(reply, 200, list.length === 0 ? {} : { collections: list.map((c) => collectionResource(c, who(req))) });
    });

    const collectionOf = (req: FastifyRequest): Promise<IntelCollection> =>
      getCollection(deps.db, deps.tenant, who(req), (req.params as { collectionId: string }).collectionId);
    const readable = async (req: FastifyRequest): Promise<IntelCollection> => {
      const c = await collectionOf(req);
      if (!canRead(c, who(req))) throw new NotAllowedError('COLLECTION_NOT_READABLE', `you may write to collection ${c.id} but not read it`);
      return c;
    };

    taxii.get(`${rootPath}collections/:collectionId/`, { schema: { hide: true } }, async (req, reply) =>
      send(reply, 200, collectionResource(await collectionOf(req), who(req))));

    const filters = ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'];

    taxii.get(`${rootPath}collections/:collectionId/manifest/`, { schema: { hide: true } }, async (req, reply) => {
      const c = await readable(req);
      const page = await queryObjects(deps.db, deps.tenant, who(req), c.id, objectQuery(req.query, filters));
      dateHeaders(reply, page.versions);
      if (page.versions.length === 0) return send(reply, 200, {});
      return send(reply, 200, {
        more: page.more, ...(page.next ? { next: page.next } : {}),
        objects: page.versions.map((v) => ({ id: v.id, date_added: v.dateAdded, version: v.version, media_type: STIX_MEDIA_TYPE })),
      });
    });

    taxii.get(`${rootPath}collections/:collectionId/objects/`, { schema: { hide: true } }, async (req, reply) => {
      const c = await readable(req);
      const page = await queryObjects(deps.db, deps.tenant, who(req), c.id, objectQuery(req.query, filters));
      dateHeaders(reply, page.versions);
      if (page.versions.length === 0) return send(reply, 200, {});
      return send(reply, 200, { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.versions.map((v) => v.object) });
    });

    taxii.post(`${rootPath}collections/:collectionId/objects/`, { schema: { hide: true } }, async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/taxii+json') throw new TaxiiError(415, 'Unsupported Media Type', `POST an envelope as ${TAXII_MEDIA_TYPE}; got '${req.headers['content-type'] ?? '(none)'}'`);
      const c = await collectionOf(req);
      if (!canWrite(c, who(req))) throw new NotAllowedError('COLLECTION_NOT_WRITABLE', `you may not add objects to collection ${c.id}`);
      const body = req.body as { objects?: unknown } | null;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(body.objects)) {
        throw new InputError('ENVELOPE_INVALID', 'the body must be a TAXII envelope: {"objects": [ … ]}', 'objects');
      }
      const requestTimestamp = nextDateAdded(deps.clock?.now() ?? new Date());
      const me = who(req);
      const outcome = await addObjects(deps.db, deps.tenant, c, body.objects, { postedBy: me.member ?? '', ...(deps.clock ? { clock: deps.clock } : {}) });
      const status = await saveStatus(deps.db, deps.tenant, c.id, me.member ?? '', requestTimestamp, outcome);
      const raised = await recordIntel(deps.db, deps.tenant, me.member ?? '', outcome.added, deps.ledger);
      if (raised.length > 0) deps.onSectorAlert?.(raised);
      if (outcome.added.length > 0) deps.onAdded?.(c.id, outcome.added);
      return send(reply, 202, status);
    });

    const objectFilters = ['added_after', 'limit', 'next', 'match[version]', 'match[spec_version]'];

    taxii.get(`${rootPath}collections/:collectionId/objects/:objectId/`, { schema: { hide: true } }, async (req, reply) => {
      const c = await readable(req);
      const { objectId } = req.params as { objectId: string };
      const page = await queryObjects(deps.db, deps.tenant, who(req), c.id, { ...objectQuery(req.query, objectFilters), ids: [objectId] });
      if (page.versions.length === 0 && (req.query as Record<string, unknown>)['next'] === undefined) {
        throw new TaxiiError(404, 'Not Found', `no object ${objectId} in collection ${c.id} that you may read`);
      }
      dateHeaders(reply, page.versions);
      return send(reply, 200, { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.versions.map((v) => v.object) });
    });

    taxii.delete(`${rootPath}collections/:collectionId/objects/:objectId/`, { schema: { hide: true } }, async (req, reply) => {
      const c = await collectionOf(req);
      if (!canRead(c, who(req)) || !canWrite(c, who(req))) throw new NotAllowedError('COLLECTION_NOT_WRITABLE', `deleting from collection ${c.id} needs read and write rights`);
      const { objectId } = req.params as { objectId: string };
      const q = objectQuery(req.query, ['match[version]', 'match[spec_version]']);
      await deleteObject(deps.db, deps.tenant, who(req), c.id, objectId, q);
      return reply.status(200).send();
    });

    taxii.get(`${rootPath}collections/:collectionId/objects/:objectId/versions/`, { schema: { hide: true } }, async (req, reply) => {
      const c = await readable(req);
      const { objectId } = req.params as { objectId: string };
      const q = objectQuery(req.query, ['added_after', 'limit', 'next', 'match[spec_version]']);
      const page = await queryObjects(deps.db, deps.tenant, who(req), c.id, { ...q, ids: [objectId], versions: ['all'] });
      if (page.versions.length === 0 && q.next === undefined && q.addedAfter === undefined) {
        throw new TaxiiError(404, 'Not Found', `no object ${objectId} in collection ${c.id} that you may read`);
      }
      dateHeaders(reply, page.versions);
      return send(reply, 200, { more: page.more, ...(page.next ? { next: page.next } : {}), versions: page.versions.map((v) => v.version) });
    });

    // Anything else under /taxii2/ is a TAXII 404, not the console's page.
    taxii.all('/*', { schema: { hide: true } }, async (req) => {
      throw new TaxiiError(404, 'Not Found', `no TAXII resource at ${req.url}`);
    });
  }, { prefix: '/taxii2' });
}
