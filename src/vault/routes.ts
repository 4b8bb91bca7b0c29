import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, type ItemProblem, type RequestContext } from '../core/index.js';
import type { Store } from '../store/index.js';
import { importEvidence, listEvidence, readJournals, type EvidenceRecord } from './evidence.js';
import { listSnapshots, readVaultFile, type SiteOpener } from './vault.js';

export interface VaultRouteDeps {
  readonly store: Store;
  readonly contextOf: (req: FastifyRequest) => RequestContext;
  /** Vault files this server shows (`serve --vault FILE`). */
  readonly vaults: readonly string[];
  readonly open?: SiteOpener;
}

const evidence = { type: 'object', additionalProperties: true } as const;

const vaultSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    file: { type: 'string' },
    data: { type: 'object', properties: { k: { type: 'integer' }, n: { type: 'integer' } } },
    sites: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, url: { type: 'string' } } } },
    custodians: { type: 'array', items: { type: 'string' } },
    quorum: { type: 'integer' },
    snapshots: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, time: { type: 'string' }, host: { type: 'string' }, files: { type: 'integer' }, bytes: { type: 'number' } },
      },
    },
    snapshots_error: { type: ['string', 'null'] },
    last_verify: { ...evidence, nullable: true },
    last_drill: { ...evidence, nullable: true },
    problems: { type: 'array', items: { type: 'object', properties: { where: { type: 'string' }, reason: { type: 'string' } } } },
  },
} as const;

/**
 * The vault page's API: each configured vault with its sites, custodians (names only),
 * snapshots (read and signature-checked from the sites, no custodian needed), and the newest
 * verify and drill evidence. Journals beside the vault files are imported into the store on
 * each read, so evidence recorded by the CLI shows up without a restart.
 */
export function registerVaultRoutes(app: FastifyInstance, deps: VaultRouteDeps): void {
  const sync = async (path: string): Promise<ItemProblem[]> => {
    const { records, problems } = readJournals(path);
    await importEvidence(deps.store.db, records);
    return problems;
  };

  app.get('/api/v1/vaults', {
    schema: {
      tags: ['vault'],
      summary: 'Configured vaults: sites, snapshots, last verify and drill',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: vaultSummary } } } },
    },
  }, async (req) => {
    deps.contextOf(req);
    const items = [];
    for (const path of deps.vaults) {
      const file = readVaultFile(path);
      const problems = await sync(path);
      let snapshots: Awaited<ReturnType<typeof listSnapshots>> = [];
      let snapshotsError: string | null = null;
      try {
        snapshots = await listSnapshots(path, deps.open);
      } catch (err) {
        // A tampered chain or unreachable sites is what this page must show, not hide.
        snapshotsError = (err as Error).message;
      }
      const [lastVerify] = await listEvidence(deps.store.db, file.vaultId, { kind: 'vault.verify', limit: 1 });
      const [lastDrill] = await listEvidence(deps.store.db, file.vaultId, { kind: 'vault.restore-drill', limit: 1 });
      items.push({
        id: file.vaultId,
        file: path,
        data: file.data,
        sites: file.sites.map((s) => ({ name: s.name, url: s.url })),
        custodians: file.custody.shares.map((s) => s.custodian),
        quorum: file.custody.quorum,
        snapshots: snapshots.map((s) => ({ id: s.id, time: s.time, host: s.host, files: s.files, bytes: s.bytes })).reverse(),
        snapshots_error: snapshotsError,
        last_verify: lastVerify ?? null,
        last_drill: lastDrill ?? null,
        problems,
      });
    }
    return { items };
  });

  app.get('/api/v1/vaults/:id/evidence', {
    schema: {
      tags: ['vault'],
      summary: 'A vault\'s drill and verify records, newest first',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      querystring: {
        type: 'object',
        properties: { kind: { type: 'string', enum: ['vault.verify', 'vault.restore-drill'] }, limit: { type: 'integer', minimum: 1, maximum: 500 } },
        additionalProperties: false,
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: evidence } } } },
    },
  }, async (req) => {
    deps.contextOf(req);
    const { id } = req.params as { id: string };
    const q = req.query as { kind?: EvidenceRecord['kind']; limit?: number };
    const path = deps.vaults.find((p) => readVaultFile(p).vaultId === id);
    if (!path) throw new NotFoundError('VAULT_UNKNOWN', `this server shows no vault ${JSON.stringify(id)}`);
    await sync(path);
    return { items: await listEvidence(deps.store.db, id, q) };
  });
}
