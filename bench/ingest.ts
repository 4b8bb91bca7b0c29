/**
 * bench/ingest — sustained syslog ingest with detection, next to rsyslog on the same stream.
 *
 * A second process sends N syslog lines over TCP on loopback (RFC 5424 headers around real
 * sample payloads: Windows events as JSON, CEF, FortiGate key=value), as fast as the receiver
 * reads. Lianfang (`serve` with every Windows rule imported into its store) counts as done
 * when all N are stored and through detection; rsyslog (Debian's, imtcp → omfile) when all
 * N lines are in its file. Prints events/s of each and ends with one line
 * `ingest_vs_rsyslog=<ratio>`.
 *
 *   npm run bench:ingest        (env: N=200000, DATA=../shared/data)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemContext } from '../src/core/index.js';
import { importRules } from '../src/detect/index.js';
import { openDataStore, serve } from '../src/server/index.js';
import { filesUnder } from './files.js';

const DATA = resolve(process.env.DATA ?? new URL('../../shared/data', import.meta.url).pathname);
const N = Number(process.env.N ?? 200_000);
const RULE_DIRS = ['rules/windows', 'rules-emerging-threats', 'rules-threat-hunting'].map((d) => join(DATA, 'sigma', d));

/** N single-line syslog messages cycling through the shared samples. */
function messages(): string {
  const payloads: string[] = [];
  for (const f of filesUnder(join(DATA, 'events/evtx-attack-samples'), '.jsonl')) {
    for (const l of readFileSync(f, 'utf8').split('\n')) if (l.trim()) payloads.push(l);
  }
  const cef = readFileSync(join(DATA, 'logs/elastic-integrations/cef/test-cef.log'), 'utf8').split('\n').filter((l) => l.startsWith('CEF:'));
  const forti = readFileSync(join(DATA, 'logs/elastic-integrations/fortinet_fortigate/test-fortinet-7-6.log'), 'utf8').split('\n').filter((l) => l.includes('devname='));
  for (let i = 0; i < payloads.length; i += 3) payloads.splice(i, 0, cef[i % cef.length]!, forti[i % forti.length]!);
  const out: string[] = [];
  for (let i = 0; i < N; i++) out.push(`<134>1 2026-11-21T08:00:00.000Z sender bench - - - ${payloads[i % payloads.length]}\n`);
  return out.join('');
}

/** Starts the sender process; resolves with its wall time once it has written everything. */
function send(port: number, file: string): Promise<number> {
  const code = `
    const net = require('node:net'); const fs = require('node:fs');
    const data = fs.readFileSync(${JSON.stringify(file)});
    const t = Date.now();
    const s = net.connect(${port}, '127.0.0.1', () => { s.end(data); });
    s.on('close', () => { process.stdout.write(String(Date.now() - t)); });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['-e', code]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', (c) => (c === 0 ? res(Number(out)) : rej(new Error(`sender exited ${c}`))));
  });
}

async function until(done: () => boolean, what: string, limitMs = 600_000): Promise<void> {
  const t = Date.now();
  while (!done()) {
    if (Date.now() - t > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lineCount(path: string): number {
  try {
    const buf = readFileSync(path);
    let n = 0;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}

async function lianfangRate(stream: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-bench-ingest-'));
  try {
    const store = await openDataStore(dir);
    const t0 = performance.now();
    const imp = await importRules(store.db, systemContext(), RULE_DIRS);
    await store.close();
    console.log(`lianfang: ${imp.added} rules imported in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const running = await serve({ dataDir: dir, http: 0, syslogTcp: 0, log: () => {} });
    console.log(`lianfang: ${running.rulesLoaded} rules loaded for live detection`);
    const t = performance.now();
    const sendMs = await send(running.ports.tcp!, stream);
    await until(() => running.metrics.detected >= N, 'lianfang to detect every event');
    const s = (performance.now() - t) / 1000;
    const m = running.metrics;
    console.log(`lianfang: ${N} events accepted, parsed (${m.failed} with a parse error), detected and stored in ${s.toFixed(2)} s (sender done after ${(sendMs / 1000).toFixed(2)} s); ${m.alerts} detections`);
    await running.stop();
    return N / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rsyslogRate(stream: string): Promise<number | null> {
  if (spawnSync('rsyslogd', ['-v']).status !== 0) {
    console.log('rsyslog: rsyslogd not found (Debian package rsyslog); no ratio');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-bench-rsyslog-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const out = join(dir, 'out.log');
  writeFileSync(join(dir, 'rsyslog.conf'), [
    'global(workDirectory="' + dir + '")',
    'module(load="imtcp" MaxSessions="100")',
    `input(type="imtcp" port="${port}")`,
    'template(name="raw" type="string" string="%rawmsg%\\n")',
    `action(type="omfile" file="${out}" template="raw" asyncWriting="on" ioBufferSize="256k" flushInterval="1")`,
  ].join('\n'));
  const daemon = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'pid')], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const t = performance.now();
    await send(port, stream);
    await until(() => lineCount(out) >= N, 'rsyslog to write every line');
    const s = (performance.now() - t) / 1000;
    console.log(`rsyslog: ${N} lines received and written to a file in ${s.toFixed(2)} s (${(statSync(out).size / 1048576).toFixed(1)} MiB)`);
    return N / s;
  } finally {
    daemon.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-bench-stream-'));
  const stream = join(dir, 'stream.txt');
  writeFileSync(stream, messages());
  console.log(`stream: ${N} syslog lines, ${(statSync(stream).size / 1048576).toFixed(1)} MiB`);
  try {
    const rs = await rsyslogRate(stream);
    const lf = await lianfangRate(stream);
    console.log(`lianfang: ${Math.round(lf)} events/s accepted and detected${rs ? `; rsyslog ${Math.round(rs)} events/s to a file` : ''}`);
    console.log(`ingest_vs_rsyslog=${rs ? (lf / rs).toFixed(3) : 'n/a'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
