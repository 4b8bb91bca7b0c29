import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemContext } from '../core/index.js';
import { importRules } from '../detect/index.js';
import type { HubConnection } from '../intel/index.js';
import { openDataStore, serve } from '../server/index.js';

export interface ServeCommandOptions {
  readonly data: string;
  readonly http: number;
  readonly host: string;
  readonly syslogUdp?: number | false;
  readonly syslogTcp?: number | false;
  readonly syslogTls?: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly store?: string;
  readonly importRules?: string[];
  readonly timezone?: string;
  readonly vault?: string[];
  readonly hub?: boolean;
  readonly hubUrl?: string;
  readonly hubToken?: string;
  readonly hubUser?: string;
  readonly hubPassword?: string;
  readonly hubPoll?: number;
  readonly hubShareCollection?: string;
  readonly sectorMembers?: number;
  readonly sectorWindow?: number;
}

function hubConnection(opts: ServeCommandOptions): HubConnection | undefined {
  if (!opts.hubUrl) {
    if (opts.hubToken || opts.hubUser) throw new Error('--hub-token and --hub-user need --hub-url (the hub\'s TAXII discovery URL, …/taxii2/)');
    return undefined;
  }
  const token = opts.hubToken ?? process.env['LIANFANG_HUB_TOKEN'];
  const password = opts.hubPassword ?? process.env['LIANFANG_HUB_PASSWORD'];
  const auth = token ? { token } : opts.hubUser && password ? { user: opts.hubUser, password } : undefined;
  if (!auth) throw new Error('--hub-url needs --hub-token (or LIANFANG_HUB_TOKEN), or --hub-user with --hub-password (or LIANFANG_HUB_PASSWORD)');
  return { url: opts.hubUrl, auth, ...(opts.hubPoll ? { pollMs: opts.hubPoll } : {}), ...(opts.hubShareCollection ? { shareCollection: opts.hubShareCollection } : {}) };
}

/** The console built by `npm install` (dist/web), found from this file in src/ or dist/. */
const WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

export async function serveCommand(opts: ServeCommandOptions): Promise<void> {
  if (opts.syslogTls !== undefined && (!opts.tlsCert || !opts.tlsKey)) throw new Error('--syslog-tls needs --tls-cert and --tls-key (PEM files)');
  if (opts.hub && opts.hubUrl) throw new Error('--hub runs the hub; --hub-url connects a member to one: choose one');
  const connection = hubConnection(opts);
  if (opts.importRules && opts.importRules.length > 0) {
    const store = await openDataStore(opts.data, opts.store);
    try {
      const t = Date.now();
      const r = await importRules(store.db, systemContext(), opts.importRules);
      process.stderr.write(`rules import: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.problems.length} problems (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    } finally {
      await store.close();
    }
  }
  const running = await serve({
    dataDir: opts.data,
    http: opts.http,
    host: opts.host,
    ...(typeof opts.syslogUdp === 'number' ? { syslogUdp: opts.syslogUdp } : {}),
    ...(typeof opts.syslogTcp === 'number' ? { syslogTcp: opts.syslogTcp } : {}),
    ...(opts.syslogTls !== undefined ? { syslogTls: { port: opts.syslogTls, cert: readFileSync(opts.tlsCert!), key: readFileSync(opts.tlsKey!) } } : {}),
    ...(opts.store ? { storeUrl: opts.store } : {}),
    ...(opts.timezone ? { timezone: opts.timezone } : {}),
    ...(opts.vault ? { vaults: opts.vault } : {}),
    ...(opts.hub ? { hub: true } : {}),
    ...(opts.sectorMembers !== undefined || opts.sectorWindow !== undefined
      ? { sectorAlert: { ...(opts.sectorMembers !== undefined ? { members: opts.sectorMembers } : {}), ...(opts.sectorWindow !== undefined ? { windowMs: opts.sectorWindow * 3_600_000 } : {}) } }
      : {}),
    ...(connection ? { hubConnection: connection } : {}),
    webRoot: WEB_ROOT,
  });
  const p = running.ports;
  process.stderr.write(
    [
      `lianfang serving ${running.url}  (console and API; OpenAPI at ${running.url}/openapi.json, metrics at ${running.url}/metrics)`,
      `TAXII 2.1 at ${running.url}/taxii2/${opts.hub ? ' — sector hub: `lianfang hub member add NAME --password PW` adds a member' : ''}${connection ? `; connected to the hub at ${connection.url}` : ''}`,
      `syslog: ${[p.udp !== undefined ? `udp ${p.udp}` : '', p.tcp !== undefined ? `tcp ${p.tcp}` : '', p.tls !== undefined ? `tls ${p.tls}` : ''].filter(Boolean).join(', ') || 'off'}; HTTP ingest at ${running.url}/api/v1/ingest`,
      running.rulesLoaded === 0 ? 'no rules enabled: `lianfang rules import <folder>` (or --import-rules) loads Sigma rules' : `${running.rulesLoaded} rules live`,
      'sign in with a token from `lianfang token create --role analyst`; Ctrl-C stops (what was accepted is kept)',
    ].join('\n') + '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write('stopping: finishing what was accepted…\n');
      void running.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
