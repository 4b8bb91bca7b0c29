/**
 * bench/intel — cost per event of STIX indicator matching on the live stream.
 *
 * Loads N indicators (default 300,000: addresses, CIDR blocks, domains, URLs and file
 * hashes, generated; plus every indicator of the shared STIX examples), then runs the shared
 * Windows events and firewall/CEF samples (as the normaliser makes them) through the matcher.
 * Prints the matcher's µs per event with N indicators next to the same with 30, and next to
 * a bare JSON.parse of the same events (a familiar yardstick). Ends with one line
 * `indicators=<N> matcher_us_per_event=<x> vs_parse=<ratio of matcher time to JSON.parse time>`.
 *
 *   npm run bench:intel        (env: N=300000, DATA=../shared/data)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventRecord } from '../src/core/index.js';
import { parseMessage } from '../src/ingest/index.js';
import { IndicatorMatcher, type PatternIndicator } from '../src/intel/index.js';
import { filesUnder } from './files.js';

const DATA = resolve(process.env.DATA ?? new URL('../../shared/data', import.meta.url).pathname);
const N = Number(process.env.N ?? 300_000);

function synthetic(n: number): PatternIndicator[] {
  const out: PatternIndicator[] = [];
  const hex = (i: number, len: number): string => (i.toString(16).padStart(8, '0').repeat(16)).slice(0, len);
  for (let i = 0; i < n; i++) {
    const a = `${11 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`;
    const pattern = [
      `[ipv4-addr:value = '${a}']`,
      `[domain-name:value = 'host${i}.example-${i % 97}.net']`,
      `[file:hashes.'SHA-256' = '${hex(i * 2654435761, 64)}']`,
      `[url:value = 'http://cdn${i}.example.org/p/${i}']`,
      `[ipv4-addr:value = '${11 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.0/24']`,
    ][i % 5]!;
    out.push({ id: `indicator--bench-${i}`, pattern });
  }
  return out;
}

function examples(): PatternIndicator[] {
  const out: PatternIndicator[] = [];
  for (const f of filesUnder(join(DATA, 'stix', 'cti-documentation-examples'), '.json')) {
    const b = JSON.parse(readFileSync(f, 'utf8')) as { objects?: Record<string, unknown>[] };
    for (const o of b.objects ?? []) if (o.type === 'indicator' && typeof o.pattern === 'string') out.push({ id: String(o.id), pattern: o.pattern });
  }
  return out;
}

function events(): { parsed: EventRecord[]; lines: string[] } {
  const lines: string[] = [];
  for (const f of filesUnder(join(DATA, 'events', 'evtx-attack-samples'), '.jsonl')) for (const l of readFileSync(f, 'utf8').split('\n')) if (l.trim()) lines.push(l);
  const parsed = lines.map((l) => JSON.parse(l) as EventRecord);
  const t = new Date();
  for (const f of ['cef/test-cef.log', 'fortinet_fortigate/test-fortinet-7-6.log', 'panw/pan_inc_traffic.log']) {
    let text = '';
    try {
      text = readFileSync(join(DATA, 'logs', 'elastic-integrations', f), 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (l.trim()) parsed.push(parseMessage(l, { receivedAt: t }).event);
  }
  return { parsed, lines };
}

function best(fn: () => void, rounds = 5): number {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const { parsed, lines } = events();
const ex = examples();
const t0 = performance.now();
const big = new IndicatorMatcher([...synthetic(N), ...ex]);
const loadMs = performance.now() - t0;
const small = new IndicatorMatcher(ex);
const inputs = parsed.map((event, i) => ({ id: `e${i}`, event, receivedAt: '2026-11-21T09:00:00Z' }));
let hits = 0;
const run = (m: IndicatorMatcher) => () => {
  hits = 0;
  for (const e of inputs) hits += m.match(e).length;
};
run(big)();
const bigMs = best(run(big));
const bigHits = hits;
run(small)();
const smallMs = best(run(small));
const parseMs = best(() => {
  for (const l of lines) JSON.parse(l);
}) * (inputs.length / lines.length);
const us = (ms: number): number => (ms * 1000) / inputs.length;
const s = big.stats();
console.log(`indicators: ${big.size} loaded in ${(loadMs / 1000).toFixed(1)} s (${s.hashed} by lookup, ${s.evaluated} evaluated per event, ${s.windowed} windowed); heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB`);
console.log(`events: ${inputs.length} (${lines.length} Windows JSON lines + device samples), ${bigHits} indicator hits`);
console.log(`matcher: ${us(bigMs).toFixed(2)} µs/event with ${big.size} indicators; ${us(smallMs).toFixed(2)} µs/event with ${small.size}; JSON.parse of a line ${us(parseMs).toFixed(2)} µs`);
console.log(`indicators=${big.size} matcher_us_per_event=${us(bigMs).toFixed(2)} vs_parse=${(bigMs / parseMs).toFixed(2)}`);
