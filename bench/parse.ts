/**
 * bench/parse — messages per second of parseMessage, per format, over the shared sample logs
 * (../shared/data/logs). One thread; each format's lines are parsed round-robin for about a
 * second after a warm-up. Figures are printed, never asserted.
 *
 *   cd /work/main && npx tsx bench/parse.ts          (env: SECONDS=1, DATA=../shared/data/logs)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMessage } from '../src/ingest/parse/index.js';

const LOGS = resolve(process.env.DATA ?? new URL('../../shared/data/logs', import.meta.url).pathname);
const SECONDS = Number(process.env.SECONDS ?? 1);

function lines(...parts: string[]): string[] {
  return readFileSync(join(LOGS, ...parts), 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
}

function snapshotXml(name: string): string {
  const text = readFileSync(join(LOGS, 'windows/evtx/expected-snapshots', name), 'utf8');
  return text.slice(text.indexOf('<?xml'));
}

const vectors = lines('syslog/rsyslog-parser-vectors.jsonl').map((l) => JSON.parse(l) as { input: string; template: string });
const cef = lines('elastic-integrations/cef/test-cef.log');
const fuzz = join(LOGS, 'syslog/rsyslog-fuzz-corpus');

const samples: [string, string[]][] = [
  ['CEF (bare)', cef],
  ['CEF in RFC 5424', cef.map((l, i) => `<134>1 2026-07-01T08:00:0${i}.123+08:00 fw01.bank.local ArcSight 4242 - - ${l}`)],
  ['CEF in RFC 3164', cef.map((l, i) => `<134>Jul  1 08:00:0${i} fw01 ${l}`)],
  ['RFC 5424 (rsyslog seeds)', readdirSync(fuzz).filter((f) => f.startsWith('rfc5424')).map((f) => readFileSync(join(fuzz, f), 'utf8').trim())],
  ['RFC 3164 (rsyslog vectors)', vectors.filter((v) => v.template.startsWith('%PRI%')).map((v) => v.input)],
  ['LEEF 1.0 (PAN-OS)', vectors.filter((v) => v.template.includes('leef')).map((v) => v.input)],
  ['FortiGate key=value', lines('elastic-integrations/fortinet_fortigate/test-fortinet-7-6.log')],
  ['PAN-OS CSV', lines('elastic-integrations/panw/test-panw-panos-threat-url-no-xff-sample.log')],
  ['Squid access.log', lines('elastic-integrations/squid/test-access.excerpt.log')],
  ['Suricata EVE JSON', lines('elastic-integrations/suricata/test-eve-small.log')],
  ['FireEye NX JSON', lines('elastic-integrations/fireeye_nx/test-nx.log')],
  ['ModSecurity JSON', lines('elastic-integrations/modsecurity/test-audit.log')],
  ['Winlogbeat JSON', (JSON.parse(readFileSync(join(LOGS, 'elastic-integrations/windows_security/test-4738.json'), 'utf8')) as { events: unknown[] }).events.map((e) => JSON.stringify(e))],
  ['Windows event XML', [snapshotXml('test_record_samples__event_xml_sample_with_event_data.snap'), snapshotXml('test_record_samples__event_xml_sample.snap')]],
  ['Snare MSWinEventLog', lines('windows/snare/sample-windows2025-security.data')],
];

const receivedAt = new Date('2026-07-01T00:00:00Z');
let sink = 0;

function run(messages: string[], seconds: number): { rate: number; bytes: number } {
  const bytesPerRound = messages.reduce((n, m) => n + m.length, 0);
  let count = 0;
  let chars = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (let r = 0; r < 200; r++) {
      for (const message of messages) sink += parseMessage(message, { receivedAt }).format.length;
    }
    count += 200 * messages.length;
    chars += 200 * bytesPerRound;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { rate: count / elapsed, bytes: chars / elapsed };
}

console.log(`parseMessage, one thread, ${SECONDS}s per format (node ${process.version})`);
console.log(`${'format'.padEnd(28)} ${'lines'.padStart(5)} ${'avg chars'.padStart(9)} ${'messages/s'.padStart(12)} ${'MB/s'.padStart(7)}`);
for (const [name, messages] of samples) {
  run(messages, Math.min(0.3, SECONDS)); // warm-up: let the JIT settle
  const { rate, bytes } = run(messages, SECONDS);
  const average = messages.reduce((n, m) => n + m.length, 0) / messages.length;
  console.log(`${name.padEnd(28)} ${String(messages.length).padStart(5)} ${average.toFixed(0).padStart(9)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ${(bytes / 1e6).toFixed(1).padStart(7)}`);
}
if (sink < 0) console.log(sink);
