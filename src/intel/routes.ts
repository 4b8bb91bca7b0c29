import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, NotAllowedError, requireRole, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { listCollections } from './hub/collections.js';
import { agedIndicators, CREDIT_POINTS, creditLedger } from './hub/credit.js';
import { correlate, listSectorAlerts } from './hub/ledger.js';
import { intelDb, listMembers, principalOf } from './hub/members.js';

export interface IntelRoutesDeps {
  readonly store: Store;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  /** What the console shows about the link to the hub (member side). */
  readonly hubStatus?: () => Record<string, unknown>;
  readonly hub?: boolean;
}

const tag = { tags: ['intel'] };

/**
 * The console's and scripts' view of intel under /api/v1/intel: collections, aged
 * indicators, correlation, sector alerts and the contribution ledger. The ledger is the
 * hub's: staff see every standing, a member's connector token sees its own only.
 */
export function registerIntelRoutes(app: FastifyInstance, deps: IntelRoutesDeps): void {
  const db = deps.store.db;

  app.get('/api/v1/intel/overview', { schema: { ...tag, summary: 'Mode, link to the hub, counts of collections, objects, indicators, sightings and sector alerts' } }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const idb = intelDb(db);
    const count = async (table: 'stix_objects' | 'intel_sightings' | 'intel_sector_alerts' | 'taxii_collections' | 'intel_members', type?: string): Promise<number> => {
      let q = idb.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant', '=', ctx.tenant);
      if (type) q = q.where('type' as never, '=', type as never);
      return Number((await q.executeTakeFirst())?.n ?? 0);
    };
    return {
      mode: deps.hub ? 'hub' : 'member',
      hub_link: deps.hubStatus?.() ?? null,
      collections: await count('taxii_collections'),
      members: await count('intel_members'),
      objects: await count('stix_objects'),
      indicators: await count('stix_objects', 'indicator'),
      sightings: await count('intel_sightings'),
      sector_alerts: await count('intel_sector_alerts'),
    };
  });

  app.get('/api/v1/intel/collections', { schema: { ...tag, summary: 'TAXII collections with their rights and object counts' } }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const who = await principalOf(db, ctx);
    const list = await listCollections(db, ctx.tenant, { ...who, staff: true });
    const counts = await intelDb(db).selectFrom('stix_objects').select(['collection_id', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant', '=', ctx.tenant).groupBy('collection_id').execute();
    const byId = new Map(counts.map((c) => [c.collection_id, Number(c.n)]));
    return { items: list.map((c) => ({ id: c.id, title: c.title, description: c.description, alias: c.alias, readers: c.readers, writers: c.writers, anonymous: c.anonymous, objects: byId.get(c.id) ?? 0, created_at: c.createdAt })) };
  });

  app.get('/api/v1/intel/members', { schema: { ...tag, summary: 'Hub members and their sharing groups' } }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    return { items: (await listMembers(db, ctx.tenant)).map((m) => ({ name: m.name, identity_id: m.identityId, groups: m.groups, created_at: m.createdAt })) };
  });

  app.get('/api/v1/intel/indicators', {
    schema: { ...tag, summary: 'Indicators by decay score (IOC ageing): confidence halved every half-life since last confirmed', querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 5000 } } } },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const { limit } = req.query as { limit?: number };
    const items = await agedIndicators(db, ctx.tenant, new Date(), limit ?? 500);
    return {
      items: items.map((i) => ({
        id: i.id, name: i.name, pattern: i.pattern, score: i.score, half_life_days: i.halfLifeDays, last_confirmed: i.lastConfirmed,
        sightings: i.sightings, sighted_by: i.sightedBy, false_positives: i.falsePositives,
      })),
    };
  });

  app.get('/api/v1/intel/correlate', {
    schema: { ...tag, summary: "What one value links: indicators, reports, members (e.g. value=ipv4-addr:value=203.0.113.7)", querystring: { type: 'object', required: ['value'], properties: { value: { type: 'string', minLength: 3, maxLength: 1000 } } } },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const { value } = req.query as { value: string };
    if (!/^[a-z0-9-]+:[^=]+=.+$/.test(value)) throw new InputError('VALUE_INVALID', "a value is 'type:path=value', e.g. ipv4-addr:value=203.0.113.7", 'value');
    const c = await correlate(db, ctx.tenant, value);
    return { value: c.value, capped: c.capped, members: c.members, reports: c.reports, objects: c.objects.map((o) => ({ id: o.id, shared_by: o.sharedBy, sighted_by: o.sightedBy })) };
  });

  app.get('/api/v1/intel/sector-alerts', { schema: { ...tag, summary: 'Sector alerts: one indicator sighted by several members within the window' } }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const items = await listSectorAlerts(db, ctx.tenant);
    return {
      items: items.map((a) => ({
        id: a.id, indicator_id: a.indicatorId, indicator_name: a.indicatorName, members: a.members, sightings: a.sightings,
        first_seen: a.firstSeen, last_seen: a.lastSeen, created_at: a.createdAt, updated_at: a.updatedAt, status: a.status,
      })),
    };
  });

  app.get('/api/v1/intel/credit', { schema: { ...tag, summary: 'The contribution ledger: every standing for hub staff, its own for a member' } }, async (req) => {
    const ctx = deps.contextOf(req);
    const who = await principalOf(db, ctx);
    const all = await creditLedger(db, ctx.tenant);
    const json = (s: (typeof all)[number]) => ({
      member: s.member, points: s.points, rank: s.rank, shared: s.shared, corroborations: s.corroborations, first_reports: s.firstReports,
      false_positives: s.falsePositives, with_attack_context: s.withAttackContext, confident: s.confident, sightings_sent: s.sightingsSent, known_benign: s.knownBenign,
    });
    if (who.staff || ctx.actor.roles.includes('supervisor')) return { points: CREDIT_POINTS, members: all.length, items: all.map(json) };
    if (who.member === null) throw new NotAllowedError('LEDGER_PRIVATE', 'the contribution ledger is the hub’s; a member token sees its own standing');
    const mine = all.find((s) => s.member === who.member);
    return { points: CREDIT_POINTS, members: all.length, items: mine ? [json(mine)] : [] };
  });
}
