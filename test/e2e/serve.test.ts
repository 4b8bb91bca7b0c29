import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { DATA, ROOT, lianfang, tempDir } from './cli.js';

/** `lianfang serve` as a child process on ephemeral ports, read off what it prints. */
interface Server {
  readonly child: ChildProcess;
  readonly http: string;
  readonly udp: number;
  readonly tcp: number;
  readonly tls: number;
}

function startServer(dataDir: string, tls: { cert: string; key: string }): Promise<Server> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--data', dataDir, '--http', '0',
    '--syslog-udp', '0', '--syslog-tcp', '0', '--syslog-tls', '0', '--tls-cert', tls.cert, '--tls-key', tls.key,
  ], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /serving (http:\/\/[0-9.:]+)/.exec(err)?.[1];
      const ports = /syslog: udp (\d+), tcp (\d+), tls (\d+)/.exec(err);
      if (url && ports) resolve({ child, http: url, udp: Number(ports[1]), tcp: Number(ports[2]), tls: Number(ports[3]) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function stopServer(s: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await exited;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const t = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const RULE = `title: Connection from the 89.160.0.0/16 test network
id: 7d5e2b7a-1c3f-4d0e-8a6b-0f1e2d3c4b5a
status: test
level: high
author: Lianfang e2e
tags:
    - attack.initial-access
    - attack.t1133
logsource:
    category: network_connection_ecs
detection:
    selection:
        source.ip|cidr: 89.160.0.0/16
    condition: selection
`.replace('logsource:\n    category: network_connection_ecs\n', '');

describe('lianfang serve end to end: syslog over UDP, TCP and TLS → events → alert → case; kill and restart', () => {
  const { dir, cleanup } = tempDir('lianfang-serve-');
  const data = join(dir, 'data');
  let server: Server;
  let token: string;
  const tls = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };

  before(async () => {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', tls.key, '-out', tls.cert], { stdio: 'ignore' });
    assert.equal(r.status, 0, 'openssl made a certificate');
    const t = await lianfang(['token', 'create', '--role', 'admin', '--name', 'e2e', '--data', data]);
    token = t.stdout.trim();
    server = await startServer(data, tls);
  });
  after(async () => {
    if (server) await stopServer(server);
    cleanup();
  });

  const api = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    const res = await fetch(server.http + path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const body = await res.json();
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  type Page<T> = { items: T[]; next: string | null };
  type Ev = { id: string; format: string; error: string | null; raw: string; source: { transport: string }; event: Record<string, unknown> };

  it('normalises CEF over TLS, RFC 5424 over UDP and LEEF over TCP; a Sigma rule fires; the alert becomes a case', async () => {
    await api('/api/v1/rules/import', { method: 'POST', body: JSON.stringify({ yaml: RULE }) });
    const cef = readFileSync(join(DATA, 'logs/elastic-integrations/cef/test-cef.log'), 'utf8').split('\n')[1]!.trimEnd();
    const rfc5424 = readFileSync(join(DATA, 'logs/syslog/rsyslog-fuzz-corpus/rfc5424-basic'), 'utf8').trim();
    const leef = (JSON.parse(readFileSync(join(DATA, 'logs/syslog/rsyslog-parser-vectors.jsonl'), 'utf8').split('\n').find((l) => l.includes('LEEF:1.0'))!) as { input: string }).input;

    // TLS: RFC 5425 octet counting.
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ port: server.tls, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        const frame = `<134>1 2026-11-21T08:00:00Z fw01 cef - - - ${cef}`;
        s.end(`${Buffer.byteLength(frame)} ${frame}`);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    // UDP: one datagram.
    await new Promise<void>((resolve, reject) => {
      const u = createSocket('udp4');
      u.send(rfc5424, server.udp, '127.0.0.1', (err) => (u.close(), err ? reject(err) : resolve()));
    });
    // TCP: newline framing.
    await new Promise<void>((resolve, reject) => {
      const s = connect(server.tcp, '127.0.0.1', () => s.end(`${leef}\n`));
      s.on('close', () => resolve());
      s.on('error', reject);
    });

    const events = await until('three events stored', async () => {
      const page = (await api('/api/v1/events?limit=10')) as Page<Ev>;
      return page.items.length >= 3 ? page.items : undefined;
    });
    assert.deepEqual(events.map((e) => `${e.source.transport}:${e.format}`).sort(), ['tcp:leef', 'tls:cef', 'udp:rfc5424']);
    const cefEvent = events.find((e) => e.source.transport === 'tls')!;
    assert.equal((cefEvent.event.source as Record<string, unknown>).ip, '89.160.20.156');
    assert.equal((cefEvent.event.destination as Record<string, unknown>).port, 443);
    assert.equal(cefEvent.error, null);
    const leefEvent = events.find((e) => e.source.transport === 'tcp')!;
    assert.equal(leefEvent.format, 'leef');
    assert.equal((leefEvent.event.source as Record<string, unknown>).ip, '172.19.50.39');
    const udpEvent = events.find((e) => e.source.transport === 'udp')!;
    assert.equal(udpEvent.format, 'rfc5424');
    assert.ok(udpEvent.raw.length > 0 && (udpEvent.event.log as { syslog: Record<string, unknown> }).syslog.appname !== undefined);

    type Alert = { id: string; rule_id: string; event_ids: string[]; observables: Array<{ type: string; value: string }> };
    const alerts = await until('the alert', async () => {
      const page = (await api('/api/v1/alerts?rule_id=7d5e2b7a-1c3f-4d0e-8a6b-0f1e2d3c4b5a')) as Page<Alert>;
      return page.items.length > 0 ? page.items : undefined;
    });
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]!.event_ids, [cefEvent.id]);
    const created = (await api('/api/v1/cases', { method: 'POST', body: JSON.stringify({ title: 'Access from a test network', alert_ids: [alerts[0]!.id] }) })) as { id: string };
    const got = (await api(`/api/v1/cases/${created.id}`)) as { alerts: Array<{ id: string }>; observables: Array<{ type: string; value: string }>; state: string };
    assert.deepEqual(got.alerts.map((a) => a.id), [alerts[0]!.id]);
    assert.ok(got.observables.some((o) => o.type === 'ip' && o.value === '89.160.20.156'), JSON.stringify(got.observables));
  });

  it('after kill -9, every message acknowledged over HTTP is stored and detected exactly once', async () => {
    const N = 40;
    const batch = 250;
    // Half the messages match the rule (source 89.160.x.y), half do not.
    const lines = (k: number) => Array.from({ length: k === N - 1 ? batch * 8 : batch }, (_, i) => `CEF:0|Lianfang|e2e|1|${k}|probe|3|src=${i % 2 === 0 ? `89.160.${k}.${i % 250}` : `10.0.${k}.${i % 250}`} dst=192.0.2.1 dpt=22 cs1=${k}-${i}`).join('\n');
    const before = (await api('/api/v1/events?limit=1000')) as Page<Ev>;
    let acked = 0;
    let lastSeq = 0;
    for (let k = 0; k < N; k++) {
      const r = await fetch(`${server.http}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: lines(k) });
      assert.equal(r.status, 200);
      const ack = (await r.json()) as { accepted: number; last_seq: number };
      acked += ack.accepted;
      lastSeq = ack.last_seq;
    }
    // The process dies without warning right after the last acknowledgement.
    await stopServer(server, 'SIGKILL');
    // The restart must have work to do for this test to mean anything: read the checkpoint
    // the dead process left.
    const db = new BetterSqlite3(join(data, 'lianfang.sqlite'), { readonly: true });
    const row = db.prepare("SELECT value FROM lianfang_meta WHERE key LIKE 'spool.checkpoint.%'").get() as { value: string } | undefined;
    db.close();
    const checkpoint = Number(row?.value ?? 0);
    assert.ok(checkpoint < lastSeq, `messages ${checkpoint + 1}..${lastSeq} were acknowledged but not yet processed at the kill`);
    server = await startServer(data, tls);
    const total = before.items.length + acked;
    const metrics = async (): Promise<string> => (await fetch(`${server.http}/metrics`)).text();
    await until('the restarted server to catch up', async () => {
      const m = await metrics();
      const pos = Number(/^lianfang_pipeline_position (\d+)$/m.exec(m)?.[1]);
      const last = Number(/^lianfang_spool_last_seq (\d+)$/m.exec(m)?.[1]);
      return pos === last ? true : undefined;
    }, 60_000);
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = (await api(`/api/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)) as Page<Ev>;
      for (const e of page.items) ids.add(e.id);
      cursor = page.next;
    } while (cursor);
    assert.equal(ids.size, total, 'every acknowledged message is stored, once');
    type Alert = { detection_count: number; event_count: number };
    let detections = 0;
    cursor = null;
    do {
      const page = (await api(`/api/v1/alerts?rule_id=7d5e2b7a-1c3f-4d0e-8a6b-0f1e2d3c4b5a&limit=200${cursor ? `&cursor=${cursor}` : ''}`)) as Page<Alert> & { next: string | null };
      for (const a of page.items) detections += a.detection_count;
      cursor = page.next;
    } while (cursor);
    assert.equal(detections, 1 + ((N - 1) * batch + batch * 8) / 2, 'each matching event detected exactly once (plus the CEF event of the first test)');
  });
});
