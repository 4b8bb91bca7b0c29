import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, NotAllowedError, requireRole, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { listCollections } from './hub/collections.js';
import { agedIndicators, CREDIT_POINTS, creditLedger } from './hub/credit.js';
import { correlate, DEFAULT_SECTOR_THRESHOLD, DEFAULT_SECTOR_WINDOW_MS, listSectorAlerts, setSectorAlertStatus, type LedgerOptions, type SectorAlert } from './hub/ledger.js';
import { intelDb, listMembers, principalOf } from './hub/members.js';
import { acknowledgeDisclosure, changeDisclosure, fileDisclosure, getDisclosure, listDisclosures, type Disclosure, type DisclosureState } from './disclosure/disclosures.js';

function sectorAlertJson(a: SectorAlert): Record<string, unknown> {
  return {
    id: a.id, indicator_id: a.indicatorId, indicator_name: a.indicatorName, members: a.members, sightings: a.sightings,
    first_seen: a.firstSeen, last_seen: a.lastSeen, created_at: a.createdAt, updated_at: a.updatedAt, status: a.status,
  };
}

function disclosureJson(d: Disclosure): Record<string, unknown> {
  return {
    id: d.id, number: d.number, title: d.title, description: d.description, reporter: d.reporter, filed_by: d.filedBy, vendor: d.vendor, product: d.product,
    affected_versions: d.affectedVersions, cve: d.cve, cvss: d.cvss, state: d.state, embargo_until: d.embargoUntil, vendor_contact: d.vendorContact,
    recipients: d.recipients.map((r) => ({ member: r.member, acked_at: r.ackedAt, patched_at: r.patchedAt })), fixed_version: d.fixedVersion,
    stix_id: d.stixId, created_at: d.createdAt, updated_at: d.updatedAt, history: d.history,
  };
}

export interface IntelRoutesDeps {
  readonly store: Store;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  /** What the console shows about the link to the hub (member side). */
  readonly hubStatus?: () => Record<string, unknown>;
  readonly hub?: boolean;
  /** The sector-alert rule the TAXII server applies (shown, not applied, here). */
  readonly sectorRule?: LedgerOptions;
}

const tag = { tags: ['intel'] };

function sectorRuleJson(rule: LedgerOptions | undefined): { members: number; window_hours: number } {
  return { members: rule?.sectorThreshold ?? DEFAULT_SECTOR_THRESHOLD, window_hours: (rule?.windowMs ?? DEFAULT_SECTOR_WINDOW_MS) / 3_600_000 };
}

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
    /** Objects, not versions: a STIX object posted in three versions is one object. */
    const distinct = async (type?: string): Promise<number> => {
      let q = idb.selectFrom('stix_objects').select((eb) => eb.fn.count<number>('id').distinct().as('n')).where('tenant', '=', ctx.tenant);
      if (type) q = q.where('type', '=', type);
      return Number((await q.executeTakeFirst())?.n ?? 0);
    };
    return {
      mode: deps.hub ? 'hub' : 'member',
      hub_link: deps.hubStatus?.() ?? null,
      collections: await count('taxii_collections'),
      members: await count('intel_members'),
      objects: await distinct(),
      object_versions: await count('stix_objects'),
      indicators: await distinct('indicator'),
      sightings: await count('intel_sightings'),
      sector_alerts: await count('intel_sector_alerts'),
      sector_alert_rule: sectorRuleJson(deps.sectorRule),
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
        sightings: i.sightings, sighted_by: i.sightedBy, false_positives: i.falsePositives, shared_by: i.sharedBy, confidence: i.confidence,
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
    return {
      value: c.value, capped: c.capped, members: c.members, reports: c.reports,
      objects: c.objects.map((o) => ({ id: o.id, type: o.type, name: o.name, pattern: o.pattern, modified: o.modified, shared_by: o.sharedBy, sighted_by: o.sightedBy })),
    };
  });

  app.get('/api/v1/intel/sector-alerts', {
    schema: {
      ...tag,
      summary: 'Sector alerts: one indicator sighted by several members within the window; most recently widened first, paged',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { status: { type: 'string', enum: ['open', 'closed'] }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, offset: { type: 'integer', minimum: 0 } },
      },
    },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst', 'auditor', 'supervisor');
    const q = req.query as { status?: 'open' | 'closed'; limit?: number; offset?: number };
    const limit = q.limit ?? 200;
    const offset = q.offset ?? 0;
    const page = await listSectorAlerts(db, ctx.tenant, { limit, offset, ...(q.status ? { status: q.status } : {}) });
    return { items: page.items.map(sectorAlertJson), total: page.total, limit, offset, rule: sectorRuleJson(deps.sectorRule) };
  });

  app.post('/api/v1/intel/sector-alerts/:id/status', {
    schema: { ...tag, summary: 'Close or reopen a sector alert (hub staff)', body: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: ['open', 'closed'] } } } },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    requireRole(ctx, 'analyst');
    const a = await setSectorAlertStatus(db, ctx.tenant, (req.params as { id: string }).id, (req.body as { status: 'open' | 'closed' }).status);
    return sectorAlertJson(a);
  });

  app.get('/api/v1/intel/credit', { schema: { ...tag, summary: 'The contribution ledger: every standing for hub staff, its own for a member' } }, async (req) => {
    const ctx = deps.contextOf(req);
    const who = await principalOf(db, ctx);
    const all = await creditLedger(db, ctx.tenant);
    const json = (s: (typeof all)[number]) => ({
      member: s.member, points: s.points, rank: s.rank, shared: s.shared, corroborations: s.corroborations, first_reports: s.firstReports,
      false_positives: s.falsePositives, with_attack_context: s.withAttackContext, confident: s.confident, sightings_sent: s.sightingsSent, known_benign: s.knownBenign,
    });
    if (who.staff || ctx.actor.roles.includes('supervisor') || ctx.actor.roles.includes('auditor')) return { points: CREDIT_POINTS, members: all.length, items: all.map(json) };
    if (who.member === null) throw new NotAllowedError('LEDGER_PRIVATE', 'the contribution ledger is the hub’s; a member token sees its own standing');
    const mine = all.find((s) => s.member === who.member);
    return { points: CREDIT_POINTS, members: all.length, items: mine ? [json(mine)] : [] };
  });

  app.post('/api/v1/intel/disclosures', {
    schema: {
      ...tag, summary: 'File a vulnerability report (a member or hub staff, on behalf of the researcher named in reporter)',
      body: {
        type: 'object', required: ['title', 'description', 'reporter', 'vendor', 'product'], additionalProperties: false,
        properties: {
          title: { type: 'string' }, description: { type: 'string' }, reporter: { type: 'string' }, vendor: { type: 'string' }, product: { type: 'string' },
          affected_versions: { type: 'string' }, cve: { type: 'string' }, cvss: { type: 'number' },
        },
      },
    },
  }, async (req, reply) => {
    const ctx = deps.contextOf(req);
    const b = req.body as { title: string; description: string; reporter: string; vendor: string; product: string; affected_versions?: string; cve?: string; cvss?: number };
    const d = await fileDisclosure(db, ctx, {
      title: b.title, description: b.description, reporter: b.reporter, vendor: b.vendor, product: b.product,
      ...(b.affected_versions !== undefined ? { affectedVersions: b.affected_versions } : {}), ...(b.cve !== undefined ? { cve: b.cve } : {}), ...(b.cvss !== undefined ? { cvss: b.cvss } : {}),
    });
    return reply.status(201).send(disclosureJson(d));
  });

  app.get('/api/v1/intel/disclosures', { schema: { ...tag, summary: 'Vulnerability disclosures: all for hub staff; for a member, what it filed or was routed' } }, async (req) => {
    const ctx = deps.contextOf(req);
    return { items: (await listDisclosures(db, ctx)).map(disclosureJson) };
  });

  app.get('/api/v1/intel/disclosures/:id', { schema: { ...tag, summary: 'One disclosure with its history' } }, async (req) => {
    const ctx = deps.contextOf(req);
    return disclosureJson(await getDisclosure(db, ctx, (req.params as { id: string }).id));
  });

  app.post('/api/v1/intel/disclosures/:id/transition', {
    schema: {
      ...tag, summary: 'Triage, route (recipients, vendor contact, embargo), track to a fix, or close a disclosure (hub staff)',
      body: {
        type: 'object', required: ['to'], additionalProperties: false,
        properties: {
          to: { type: 'string', enum: ['triaged', 'routed', 'fixing', 'fixed', 'published', 'rejected', 'duplicate'] }, note: { type: 'string' },
          recipients: { type: 'array', items: { type: 'string' } }, vendor_contact: { type: 'string' }, embargo_until: { type: 'string' }, fixed_version: { type: 'string' },
        },
      },
    },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    const b = req.body as { to: DisclosureState; note?: string; recipients?: string[]; vendor_contact?: string; embargo_until?: string; fixed_version?: string };
    const d = await changeDisclosure(db, ctx, (req.params as { id: string }).id, {
      to: b.to, ...(b.note !== undefined ? { note: b.note } : {}), ...(b.recipients ? { recipients: b.recipients } : {}),
      ...(b.vendor_contact !== undefined ? { vendorContact: b.vendor_contact } : {}), ...(b.embargo_until !== undefined ? { embargoUntil: b.embargo_until } : {}),
      ...(b.fixed_version !== undefined ? { fixedVersion: b.fixed_version } : {}),
    });
    return disclosureJson(d);
  });

  app.post('/api/v1/intel/disclosures/:id/acknowledge', {
    schema: { ...tag, summary: 'A routed member acknowledges the report, or says it has patched', body: { type: 'object', additionalProperties: false, properties: { patched: { type: 'boolean' } } } },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    const b = (req.body ?? {}) as { patched?: boolean };
    return disclosureJson(await acknowledgeDisclosure(db, ctx, (req.params as { id: string }).id, b.patched === true));
  });
}
