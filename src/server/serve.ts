import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { recordDetections, registerCaseRoutes } from '../cases/index.js';
import { systemContext } from '../core/index.js';
import { registerRuleRoutes } from '../detect/index.js';
import { HubConnector, LiveIndicators, publishDue, registerIntelRoutes, registerTaxiiRoutes, type HubConnection } from '../intel/index.js';
import { registerIngestRoutes, Spool, startSyslogListeners, type SpoolInput, type SyslogListeners } from '../ingest/index.js';
import { registerVaultRoutes } from '../vault/index.js';
import { BODY_LIMIT, createApp } from './app.js';
import { IngestMetrics } from './metrics.js';
import { Pipeline } from './pipeline.js';
import { openDataStore } from './store.js';

export interface ServeOptions {
  readonly dataDir: string;
  readonly http: number;
  /** Address to bind (default 127.0.0.1; 0.0.0.0 to take logs from the network). */
  readonly host?: string;
  readonly syslogUdp?: number;
  readonly syslogTcp?: number;
  readonly syslogTls?: { readonly port: number; readonly cert: string | Buffer; readonly key: string | Buffer };
  /** postgres://… ; default: SQLite in dataDir. */
  readonly storeUrl?: string;
  /** The built console; default: none (API only). */
  readonly webRoot?: string;
  /** Time zone for syslog timestamps that carry none (RFC 3164); default UTC. */
  readonly timezone?: string;
  /** Vault files whose sites, snapshots and evidence the console shows. */
  readonly vaults?: readonly string[];
  readonly log?: (line: string) => void;
  /** Run as the sector hub (F-ISAC): members connect by TAXII; sector views. */
  readonly hub?: boolean;
  /** When sightings make a sector alert: distinct members within a window (default 2 in 24 h). */
  readonly sectorAlert?: { readonly members?: number; readonly windowMs?: number };
  /** A member's link to the hub: pull its intel, push sightings and shares. */
  readonly hubConnection?: HubConnection;
}

export interface Running {
  readonly url: string;
  readonly ports: { readonly http: number; readonly udp?: number; readonly tcp?: number; readonly tls?: number };
  readonly metrics: IngestMetrics;
  readonly rulesLoaded: number;
  /** Resolves once everything accepted so far is through detection and stored. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `lianfang serve`: the store, the spool, the detection pipeline, the syslog listeners, and
 * the HTTP API and console, in one process.
 */
export async function serve(opts: ServeOptions): Promise<Running> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store = await openDataStore(dataDir, opts.storeUrl);
  const { spool, report } = Spool.open({ dir: join(dataDir, 'spool') });
  for (const p of report.problems) log(`spool: ${p.where}: ${p.reason}`);
  const metrics = new IngestMetrics();
  const ctx = systemContext();
  const connector = opts.hubConnection
    ? new HubConnector(store.db, ctx.tenant, opts.hubConnection, { onPulled: (added) => void indicators.added(added), log })
    : null;
  const pipeline = new Pipeline({
    store,
    spool,
    metrics,
    log,
    ...(opts.timezone ? { timezone: opts.timezone } : {}),
    record: async (db, detections, now) => {
      const r = await recordDetections(db, ctx, detections, now, { audit: false });
      connector?.noteDetections(detections);
      return [...r.created, ...r.updated];
    },
  });
  // Indicators are matched on the detection thread, next to the rules.
  const indicators = new LiveIndicators(store.db, ctx.tenant, pipeline.indicators);
  const loaded = await pipeline.reloadRules();
  log(`rules: ${loaded.rules} enabled rules loaded${loaded.problems ? ` (${loaded.problems} problems)` : ''}`);
  await indicators.reload();
  if (indicators.size > 0) log(`intel: ${indicators.size} indicators live${indicators.problemCount ? ` (${indicators.problemCount} patterns did not load)` : ''}`);
  await pipeline.start();

  const accept = async (batch: SpoolInput[]): Promise<{ first: number; last: number }> => {
    const r = await spool.append(batch);
    metrics.received += batch.length;
    return r;
  };
  let listeners: SyslogListeners | null = null;
  const { app, contextOf, auth } = await createApp({
    store,
    metrics,
    ...(opts.webRoot ? { webRoot: resolve(opts.webRoot) } : {}),
    gauges: () => ({
      lianfang_spool_backlog_bytes: spool.backlogBytes,
      lianfang_spool_last_seq: spool.lastSeq,
      lianfang_pipeline_position: pipeline.position - 1,
      lianfang_rules_loaded: pipeline.rulesLoaded,
    }),
    health: () => ({
      spool: { id: spool.id, last_seq: spool.lastSeq, processed_seq: pipeline.position - 1, backlog_bytes: spool.backlogBytes },
      rules: { loaded: pipeline.rulesLoaded },
      listeners: listeners?.counters() ?? {},
    }),
  });
  registerIngestRoutes(app, { store, contextOf, accept, onRejected: () => metrics.httpRejected++ });
  registerRuleRoutes(app, { store, contextOf, onRulesChanged: async () => void (await pipeline.reloadRules()) });
  registerCaseRoutes(app, { store, contextOf });
  registerVaultRoutes(app, { store, contextOf, vaults: (opts.vaults ?? []).map((v) => resolve(v)) });
  const sectorRule = {
    ...(opts.sectorAlert?.members !== undefined ? { sectorThreshold: opts.sectorAlert.members } : {}),
    ...(opts.sectorAlert?.windowMs !== undefined ? { windowMs: opts.sectorAlert.windowMs } : {}),
  };
  await registerTaxiiRoutes(app, {
    db: store.db,
    tenant: ctx.tenant,
    bearer: (authorization) => auth.contextOf(authorization),
    maxContentLength: BODY_LIMIT,
    ...(opts.hub ? { title: 'Lianfang sector intel hub' } : {}),
    ledger: sectorRule,
    onAdded: (_collection, added) => void indicators.added(added),
    onSectorAlert: (alerts) => {
      for (const a of alerts) log(`intel: sector alert — ${a.indicatorName} sighted by ${a.members.length} members (${a.members.join(', ')})`);
    },
  });
  registerIntelRoutes(app, {
    store, contextOf, sectorRule, ...(opts.hub ? { hub: true } : {}),
    ...(connector ? { hubStatus: () => ({ url: opts.hubConnection!.url, last_sync: connector.lastSync, last_error: connector.lastError }) } : {}),
  });

  const host = opts.host ?? '127.0.0.1';
  try {
    if (opts.syslogUdp !== undefined || opts.syslogTcp !== undefined || opts.syslogTls) {
      listeners = await startSyslogListeners(
        {
          ...(opts.syslogUdp !== undefined ? { udp: { port: opts.syslogUdp, host } } : {}),
          ...(opts.syslogTcp !== undefined ? { tcp: { port: opts.syslogTcp, host } } : {}),
          ...(opts.syslogTls ? { tls: { port: opts.syslogTls.port, host, cert: opts.syslogTls.cert, key: opts.syslogTls.key } } : {}),
        },
        { accept: async (batch) => void (await accept(batch)) },
      );
    }
    await app.listen({ port: opts.http, host });
    connector?.start();
  } catch (err) {
    await listeners?.close();
    await pipeline.stop();
    await spool.close();
    await store.close();
    throw err;
  }
  const timer = setInterval(() => metrics.sample(), 1000);
  timer.unref();
  // Disclosures whose embargo has ended go out as STIX vulnerabilities, checked each minute.
  const publish = (): void => void publishDue(store.db, ctx.tenant).then((done) => {
    for (const d of done) log(`intel: ${d.number} published as ${d.stixId} (embargo ended)`);
  }, (err: unknown) => log(`intel: publishing disclosures failed: ${err instanceof Error ? err.message : String(err)}`));
  publish();
  const embargoTimer = setInterval(publish, 60_000);
  embargoTimer.unref();
  const address = app.server.address();
  const http = typeof address === 'object' && address ? address.port : opts.http;
  return {
    url: `http://${host}:${http}`,
    ports: { http, ...(listeners?.addresses ?? {}) },
    metrics,
    get rulesLoaded() {
      return pipeline.rulesLoaded;
    },
    drain: () => pipeline.drain(),
    async stop() {
      clearInterval(timer);
      clearInterval(embargoTimer);
      await connector?.stop();
      await listeners?.close();
      await app.close();
      await pipeline.drain();
      await pipeline.stop();
      await spool.close();
      await store.close();
    },
  };
}
