import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { getRule, importRuleText, listRules, setRuleEnabled, type StoredRule } from './rule-store.js';

export interface RuleRouteDeps {
  readonly store: Store;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  /** Told after rules change, so live detection reloads them. */
  readonly onRulesChanged?: () => Promise<void> | void;
}

const rule = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    kind: { type: 'string', enum: ['rule', 'filter', 'correlation'] },
    title: { type: 'string' },
    level: { type: 'string' },
    status: { type: ['string', 'null'] },
    author: { type: ['string', 'null'] },
    logsource: { type: 'object', additionalProperties: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    source: { type: 'string' },
    imported_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

function ruleJson(r: StoredRule): Record<string, unknown> {
  return {
    id: r.id, version: r.version, kind: r.kind, title: r.title, level: r.level, status: r.status, author: r.author,
    logsource: r.logsource, tags: r.tags, enabled: r.enabled, source: r.source, imported_at: r.importedAt, updated_at: r.updatedAt,
  };
}

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

export function registerRuleRoutes(app: FastifyInstance, deps: RuleRouteDeps): void {
  app.get('/api/v1/rules', {
    schema: {
      tags: ['rules'],
      summary: 'Sigma rules in the store (newest version of each)',
      querystring: {
        type: 'object',
        properties: { enabled: { type: 'boolean' }, q: { type: 'string' }, level: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, cursor: { type: 'string' } },
        additionalProperties: false,
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: rule }, next: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    deps.contextOf(req);
    const q = req.query as { enabled?: boolean; q?: string; level?: string; limit?: number; cursor?: string };
    const page = await listRules(deps.store.db, q);
    return { items: page.items.map(ruleJson), next: page.next };
  });

  app.get('/api/v1/rules/:id', {
    schema: {
      tags: ['rules'],
      summary: 'One rule with its YAML and version history',
      params: idParams,
      response: {
        200: {
          type: 'object',
          properties: {
            ...rule.properties,
            yaml: { type: 'string' },
            versions: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, imported_at: { type: 'string' }, source: { type: 'string' } } } },
          },
        },
      },
    },
  }, async (req) => {
    deps.contextOf(req);
    const r = await getRule(deps.store.db, (req.params as { id: string }).id);
    return { ...ruleJson(r), yaml: r.yaml, versions: r.versions.map((v) => ({ version: v.version, imported_at: v.importedAt, source: v.source })) };
  });

  app.patch('/api/v1/rules/:id', {
    schema: {
      tags: ['rules'],
      summary: 'Enable or disable a rule',
      params: idParams,
      body: { type: 'object', properties: { enabled: { type: 'boolean' } }, required: ['enabled'], additionalProperties: false },
      response: { 200: rule },
    },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    const id = (req.params as { id: string }).id;
    const changed = await setRuleEnabled(deps.store.db, ctx, id, (req.body as { enabled: boolean }).enabled);
    if (changed) await deps.onRulesChanged?.();
    return ruleJson(await getRule(deps.store.db, id));
  });

  app.post('/api/v1/rules/import', {
    schema: {
      tags: ['rules'],
      summary: 'Import Sigma YAML (one or more documents); new rules are enabled',
      body: { type: 'object', properties: { name: { type: 'string' }, yaml: { type: 'string' } }, required: ['yaml'], additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            added: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' },
            problems: { type: 'array', items: { type: 'object', properties: { where: { type: 'string' }, reason: { type: 'string' } } } },
          },
        },
      },
    },
  }, async (req) => {
    const ctx = deps.contextOf(req);
    const body = req.body as { name?: string; yaml: string };
    const report = await importRuleText(deps.store.db, ctx, body.yaml, body.name ?? 'upload.yml');
    if (report.added + report.updated === 0 && report.problems.length > 0) {
      throw new InputError('RULE_INVALID', report.problems.map((p) => `${p.where}: ${p.reason}`).join('; '), report.problems[0]!.where);
    }
    if (report.added + report.updated > 0) await deps.onRulesChanged?.();
    return report;
  });
}
