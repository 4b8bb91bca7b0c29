/**
 * bench/intel — what sector intel costs the live stream, and how fast it moves (issue 5).
 *
 * 1. Detection stream with indicators loaded. The live detector (LiveDetector, as the
 *    detection thread builds it) with every Windows Sigma rule — rules/windows,
 *    rules-emerging-threats and rules-threat-hunting, the set bench/ingest imports — over the
 *    shared Windows events (JSON) plus the CEF / FortiGate device samples as parseMessage
 *    normalises them, in the pipeline's batches of 2,000. The indicator matcher is wired as
 *    the detection thread wires it (detect-worker.ts): added to the detector, it runs over each
 *    group of LIVE_GROUP events right after the rules, on the events they decoded (GROUP=1
 *    gives the old event-by-event order). One detector, its matcher swapped (as a reload
 *    swaps it); ROUNDS × 3 passes, in which each batch runs three ways back to back, in
 *    rotating order, and the cost is the median over batches of each batch's loss (a
 *    scavenge or a burst of other load that lands in one run moves one batch, not the
 *    figure; in the fifteenth session sums over passes gave −38 % for two identical
 *    variants on this machine):
 *      - 0 indicators: the thread's matcher holds none (it returns at once);
 *      - N simple indicators (generated: IPv4 addresses, /24 blocks, domains, URLs, SHA-256
 *        hashes);
 *      - control: no indicators again (a second empty matcher), measured as "with" is: its
 *        figure is the method's noise floor and should be about 0.
 *    Not in either figure (the same with or without intel): syslog parsing, building rows,
 *    storing. Also: load time and heap of the N indicators, and the matcher's own µs/event
 *    with N and with 1,000 indicators. The code measured is tsc's output (what `serve` runs
 *    from dist/), built into .prof/bench-intel-dist first; TSX=1 measures the TypeScript
 *    sources as tsx runs them instead (esbuild's keepNames wraps each closure made per call,
 *    which costs per-event code like the matcher noticeably).
 * 2. TAXII POST. The store `serve` uses (SQLite file, WAL, in a temporary folder) + createApp +
 *    registerTaxiiRoutes on an ephemeral port; one member, collections it may read and write.
 *    OBJECTS (20,000) generated, valid STIX 2.1 objects (indicators with patterns, malware,
 *    relationships, identities) POSTed by the member (HTTP Basic) with fetch, one envelope of
 *    1,000 after another; objects/s = objects / wall time. Then the same count in one
 *    envelope (if it fits max_content_length, 32 MiB), the same as `serve` wires it (each
 *    POST hands its new indicators to the live matcher), and reading them back with GET pages of 1,000.
 * 3. Latency, hub publication → member alert. `lianfang serve --hub` and a member (`serve
 *    --hub-url … --hub-token … --hub-poll 200`) as child processes; each round publishes a
 *    fresh indicator at the hub by TAXII POST and sends a matching syslog line to the member
 *    over UDP every 50 ms until the alert shows at the member's /api/v1/alerts; latency =
 *    alert seen − POST sent. Dominated by the member's poll interval.
 *
 * Ends with one line: `intel_match_cost=<1 − events/s with N ÷ events/s with 0>
 * taxii_post_objects_per_s=<objects/s of the 1,000-object envelopes>`.
 *
 *   npm run bench:intel
 *     env: N=1000000 indicators, ROUNDS=5 (detection rounds and latency rounds),
 *          OBJECTS=20000, DATA=../shared/data, SKIP_LATENCY=1 to leave out part 3,
 *          TSX=1 to run part 1 on the sources under tsx, GROUP=n events per process() call
 *          (default the detection thread's LIVE_GROUP).
 *   1M indicators take about 750 MiB of heap (more while loading); when the heap limit is
 *   below ~1 GiB + 1.5 KB per indicator, the script runs itself again with --max-old-space-size.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemContext, type EventRecord } from '../src/core/index.js';
import type { LiveEvent, StoredRuleSet } from '../src/detect/index.js';
import {
  addMember, createCollection, LiveIndicators, registerTaxiiRoutes, TLP2_MARKING_ID, type AddedVersion, type IntelCollection, type PatternIndicator,
} from '../src/intel/index.js';
import { BODY_LIMIT } from '../src/server/app.js';
import { createApp, createToken, IngestMetrics, openDataStore } from '../src/server/index.js';
import { filesUnder } from './files.js';

const ROOT = new URL('../', import.meta.url).pathname;
const DATA = resolve(process.env.DATA ?? new URL('../../shared/data', import.meta.url).pathname);
const N = Number(process.env.N ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const OBJECTS = Number(process.env.OBJECTS ?? 20_000);
const ENVELOPE = 1000;
const SKIP_LATENCY = process.env.SKIP_LATENCY === '1';
/** Events per `process` call; unset, the detection thread's LIVE_GROUP. */
const GROUP = process.env.GROUP ? Number(process.env.GROUP) : undefined;
const COMPILED = process.env.TSX !== '1';
const HUB_POLL_MS = 200;
const RULE_DIRS = ['rules/windows', 'rules-emerging-threats', 'rules-threat-hunting'].map((d) => join(DATA, 'sigma', d));
const TAXII = 'application/taxii+json;version=2.1';
const MiB = 1048576;
type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Heap: 1M indicators hold about 750 MiB; run again with room if the limit is tight.

const heapNeedMiB = Math.ceil(1024 + (N * 1500) / MiB);
if (getHeapStatistics().heap_size_limit / MiB < heapNeedMiB && process.env.LIANFANG_BENCH_REEXEC !== '1') {
  const args = [...process.execArgv, `--max-old-space-size=${heapNeedMiB}`, ...process.argv.slice(1)];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, LIANFANG_BENCH_REEXEC: '1' } });
  process.exit(r.status ?? 1);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / MiB;
}

// ---------------------------------------------------------------------------------------------
// 1. Detection stream

function synthetic(n: number, from = 0): PatternIndicator[] {
  const out: PatternIndicator[] = [];
  const hex = (i: number, len: number): string => (i.toString(16).padStart(8, '0').repeat(16)).slice(0, len);
  for (let i = from; i < from + n; i++) {
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

type DetectModule = typeof import('../src/detect/index.js');
type IngestModule = typeof import('../src/ingest/index.js');
type IntelModule = typeof import('../src/intel/index.js');
interface CodeUnderTest {
  readonly detect: DetectModule;
  readonly ingest: IngestModule;
  readonly intel: IntelModule;
  readonly what: string;
}

/**
 * The detector and matcher part 1 measures: the TypeScript sources as tsx runs them, or with
 * by default the same sources compiled by tsc (what `serve` runs from dist/), built into
 * .prof/ so their packages resolve. tsx compiles with esbuild's keepNames, which wraps every
 * closure made per call in a defineProperty; compiled code does not pay that.
 */
async function codeUnderTest(): Promise<CodeUnderTest> {
  if (!COMPILED) {
    return {
      detect: await import('../src/detect/index.js'), ingest: await import('../src/ingest/index.js'), intel: await import('../src/intel/index.js'),
      what: 'TypeScript sources run by tsx (esbuild with keepNames), as TSX=1 asks; by default tsc output, as serve runs',
    };
  }
  const out = join(ROOT, '.prof', 'bench-intel-dist');
  rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(join(out, 'detect', 'index.js'))) throw new Error(`tsc built nothing: ${r.stdout}${r.stderr}`);
  const load = async <T>(m: string): Promise<T> => (await import(pathToFileURL(join(out, m)).href)) as T;
  return {
    detect: await load<DetectModule>('detect/index.js'), ingest: await load<IngestModule>('ingest/index.js'), intel: await load<IntelModule>('intel/index.js'),
    what: `compiled by tsc into ${out.slice(ROOT.length)} in ${((performance.now() - t) / 1000).toFixed(0)} s, as serve runs them${r.status !== 0 ? ' (tsc reported type errors; its output is used anyway)' : ''}`,
  };
}

/** The shared Windows events and device samples, as the live detector sees them. */
function events(parseMessage: IngestModule['parseMessage']): { live: LiveEvent[]; windows: number; devices: number } {
  const parsed: EventRecord[] = [];
  for (const f of filesUnder(join(DATA, 'events', 'evtx-attack-samples'), '.jsonl')) {
    for (const l of readFileSync(f, 'utf8').split('\n')) if (l.trim()) parsed.push(JSON.parse(l) as EventRecord);
  }
  const windows = parsed.length;
  const t = new Date();
  for (const f of ['cef/test-cef.log', 'fortinet_fortigate/test-fortinet-7-6.log']) {
    let text = '';
    try {
      text = readFileSync(join(DATA, 'logs', 'elastic-integrations', f), 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (l.trim()) parsed.push(parseMessage(l, { receivedAt: t }).event);
  }
  const receivedAt = t.toISOString();
  return {
    live: parsed.map((event, i) => ({ id: `bench:${i + 1}`, event, receivedAt })),
    windows,
    devices: parsed.length - windows,
  };
}

function ruleSet(loadRules: DetectModule['loadRules']): StoredRuleSet {
  const c = loadRules(RULE_DIRS);
  return { rules: c.rules, filters: c.filters, correlations: c.correlations, problems: c.problems, versions: new Map(), fingerprint: 'bench' };
}

/** The value at fraction `q` of the sorted list (nearest rank). */
function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.round(q * (sorted.length - 1))]!;
}

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Wall and CPU (user + system, every thread of the process) milliseconds of a call. */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const wall = performance.now() - t;
  const d = process.cpuUsage(c);
  return { wall, cpu: (d.user + d.system) / 1000 };
}

interface StreamResult {
  readonly eps0: number;
  readonly epsN: number;
  readonly cost: number;
}

/** Passes over the events per round. */
const WINDOWS = 3;
/** The pipeline's batch (PipelineDeps.batchSize default). */
const BATCH = 2000;

async function detectionStream(): Promise<StreamResult> {
  const code = await codeUnderTest();
  const { live, windows, devices } = events(code.ingest.parseMessage);
  const t0 = performance.now();
  const detector = new code.detect.LiveDetector(ruleSet(code.detect.loadRules));
  console.log(`code: ${code.what}`);
  console.log(`rules: ${detector.report.rules} Windows Sigma rules live (${RULE_DIRS.map((d) => d.slice(DATA.length + 1)).join(', ')}), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`events: ${live.length} (${windows} Windows JSON events + ${devices} CEF/FortiGate/PAN device samples normalised by parseMessage)`);

  const before = heapMiB();
  let t = performance.now();
  let list: PatternIndicator[] | null = synthetic(N);
  const genMs = performance.now() - t;
  t = performance.now();
  const matcher = new code.intel.IndicatorMatcher(list);
  const loadMs = performance.now() - t;
  list = null;
  const heap = heapMiB() - before;
  const s = matcher.stats();
  console.log(
    `indicators: ${matcher.size} loaded into the matcher in ${(loadMs / 1000).toFixed(1)} s (${Math.round(matcher.size / (loadMs / 1000))}/s; generating them took another ${(genMs / 1000).toFixed(1)} s); ` +
      `heap +${heap.toFixed(0)} MiB (${Math.round((heap * MiB) / Math.max(1, matcher.size))} bytes each); ${s.hashed} by lookup, ${s.evaluated} evaluated per event, ${s.windowed} windowed`,
  );

  // Batches as the pipeline takes them from the spool; the detection thread decodes them in
  // groups of LIVE_GROUP and runs the rules, then the indicator matcher, over each group.
  // One detector for both figures, its indicator matcher swapped between passes (as a reload
  // swaps it): the only difference measured is the indicators, not a second detector's caches.
  const empty = new code.intel.IndicatorMatcher();
  let current = empty;
  detector.addMatcher({ name: 'stix-indicators', match: (e) => current.match(e) });
  const group = GROUP ?? code.detect.LIVE_GROUP;
  console.log(`groups: ${group} events per process() call${GROUP === undefined ? ' (LIVE_GROUP, as the detection thread hands them)' : ' (GROUP)'}`);
  let sigmaHits = 0;
  let intelHits = 0;
  const run = (from: number, to: number): void => {
    for (let i = from; i < to; i += group) {
      for (const x of detector.process(live.slice(i, Math.min(to, i + group)))) {
        if (x.ruleId.startsWith('ioc:')) intelHits++;
        else sigmaHits++;
      }
    }
  };
  // Three variants of each batch, back to back, the order rotating from batch to batch:
  // without indicators, with them, and a control that is the same as "without" (a second
  // empty matcher). The cost is the median over batches of 1 − t(without) ÷ t(with): a
  // scavenge or a burst of other load that lands in one run moves one batch's figure, not the
  // result (the twelfth session's sums over passes swung by ±20 % on this machine). The
  // control's figure, measured the same way, is the method's noise floor: it should be ~0.
  const control = new code.intel.IndicatorMatcher();
  const variants = [
    { name: 'without', matcher: empty, wall: 0, cpu: 0 },
    { name: 'with', matcher, wall: 0, cpu: 0 },
    { name: 'control', matcher: control, wall: 0, cpu: 0 },
  ];
  for (const v of [...variants, ...variants]) { // warm up every path
    current = v.matcher;
    run(0, live.length);
  }
  const costs: number[] = [];
  const controls: number[] = [];
  let turn = 0;
  for (let r = 0; r < ROUNDS * WINDOWS; r++) {
    sigmaHits = 0;
    intelHits = 0;
    for (let from = 0; from < live.length; from += BATCH) {
      const to = Math.min(live.length, from + BATCH);
      const t = new Map<string, number>();
      turn++;
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(turn + k) % variants.length]!;
        current = v.matcher;
        const x = timed(() => run(from, to));
        v.wall += x.wall;
        v.cpu += x.cpu;
        t.set(v.name, x.wall);
      }
      // Only whole batches: the short last one is too brief to time.
      if (to - from === BATCH) {
        costs.push(1 - t.get('without')! / t.get('with')!);
        controls.push(1 - t.get('without')! / t.get('control')!);
      }
    }
    sigmaHits /= 3;
  }
  const passes = ROUNDS * WINDOWS;
  const [without, withIntel] = [variants[0]!, variants[1]!];
  const n = live.length;
  const eps0 = n / (without.wall / passes / 1000);
  const epsN = n / (withIntel.wall / passes / 1000);
  const cost = median(costs);
  const quartiles = (xs: number[]): string => `${(quantile(xs, 0.25) * 100).toFixed(1)} to ${(quantile(xs, 0.75) * 100).toFixed(1)} %`;
  console.log(`detection stream, single thread, in pipeline batches of ${BATCH}; ${passes} passes over the ${n} events, each batch run without the indicators, with them and as a control (without, again), in rotating order; ${sigmaHits} Sigma detections and ${intelHits} indicator hits per pass`);
  console.log(`  0 indicators (the thread's matcher holds none): ${Math.round(eps0)} events/s`);
  console.log(`  ${matcher.size} indicators (matched after the rules over each group of events, as the detection thread does): ${Math.round(epsN)} events/s`);
  console.log(`  throughput lost: ${(cost * 100).toFixed(1)} % (median of ${costs.length} batches; quartiles ${quartiles(costs)}); summed over all passes ${((1 - epsN / eps0) * 100).toFixed(1)} % by wall time, ${((1 - without.cpu / withIntel.cpu) * 100).toFixed(1)} % by CPU time`);
  console.log(`  control (no indicators either way, measured the same way): ${(median(controls) * 100).toFixed(1)} % (quartiles ${quartiles(controls)}): the method's noise`);

  // Where the extra time goes, per event.
  const parsed = live.map((x) => x.event);
  const small = new code.intel.IndicatorMatcher(synthetic(1000, N));
  const matchAll = (m: typeof matcher) => (): void => {
    for (let i = 0; i < n; i++) m.match({ id: live[i]!.id, event: parsed[i]!, receivedAt: live[i]!.receivedAt });
  };
  const us = { big: Infinity, small: Infinity };
  matchAll(matcher)();
  matchAll(small)();
  for (let r = 0; r < ROUNDS * WINDOWS; r++) {
    us.big = Math.min(us.big, (timed(matchAll(matcher)).wall * 1000) / n);
    us.small = Math.min(us.small, (timed(matchAll(small)).wall * 1000) / n);
  }
  console.log(
    `  per event: Sigma ${(1e6 / eps0).toFixed(2)} µs; match ${us.big.toFixed(2)} µs with ${matcher.size} indicators, ` +
      `${us.small.toFixed(2)} µs with ${small.size} (lookups are hashed: the cost is per event, not per indicator)`,
  );
  return { eps0, epsN, cost };
}

// ---------------------------------------------------------------------------------------------
// 2. TAXII POST and GET

const PASSWORD = 'bench-member-password-1';
const basic = `Basic ${Buffer.from(`bank-a:${PASSWORD}`).toString('base64')}`;

/** `n` valid STIX 2.1 objects: identities, malware, indicators with patterns, relationships. */
function stixObjects(n: number, tag: number): Json[] {
  const ts = '2026-11-01T00:00:00.000Z';
  const common = (type: string): Json => ({
    type, spec_version: '2.1', id: `${type}--${randomUUID()}`, created: ts, modified: ts,
    object_marking_refs: [TLP2_MARKING_ID.green],
  });
  const identities: Json[] = Array.from({ length: 10 }, (_, i) => ({ ...common('identity'), name: `Bank ${tag}-${i}`, identity_class: 'organization', sectors: ['financial-services'] }));
  const malwareCount = Math.max(1, Math.floor(n / 20));
  const malware: Json[] = Array.from({ length: malwareCount }, (_, i) => ({
    ...common('malware'), name: `Family ${tag}-${i}`, is_family: true, malware_types: ['remote-access-trojan'], created_by_ref: identities[i % 10]!['id'],
  }));
  const relCount = Math.floor(n / 5);
  const indCount = n - identities.length - malware.length - relCount;
  const out: Json[] = [...identities, ...malware];
  const patterns = synthetic(indCount, tag * 10_000_000);
  for (let i = 0; i < indCount; i++) {
    const ind: Json = {
      ...common('indicator'), name: `Bench indicator ${tag}-${i}`, indicator_types: ['malicious-activity'],
      pattern: patterns[i]!.pattern, pattern_type: 'stix', pattern_version: '2.1', valid_from: '2026-11-01T00:00:00Z',
      created_by_ref: identities[i % 10]!['id'], kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'command-and-control' }],
    };
    out.push(ind);
    if (i < relCount) {
      out.push({ ...common('relationship'), relationship_type: 'indicates', source_ref: ind['id'], target_ref: malware[i % malwareCount]!['id'], created_by_ref: ind['created_by_ref'] });
    }
  }
  return out;
}

interface TaxiiServer {
  readonly base: string;
  readonly collections: IntelCollection[];
  readonly live: LiveIndicators | null;
  close(): Promise<void>;
}

/** serve's store and TAXII routes in this process; with `live`, each POST reloads the indicator matcher as serve does. */
async function taxiiServer(collections: number, live: boolean): Promise<TaxiiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-bench-taxii-'));
  const store = await openDataStore(dir);
  const ctx = systemContext();
  await addMember(store.db, ctx, 'bank-a', PASSWORD);
  const cs: IntelCollection[] = [];
  for (let i = 0; i < collections; i++) cs.push(await createCollection(store.db, ctx, { title: `Sector indicators ${i + 1}`, readers: ['bank-a'], writers: ['bank-a'] }));
  const indicators = live ? new LiveIndicators(store.db, ctx.tenant) : null;
  const { app, auth } = await createApp({ store, metrics: new IngestMetrics() });
  await registerTaxiiRoutes(app, {
    db: store.db, tenant: ctx.tenant, bearer: (h) => auth.contextOf(h), maxContentLength: BODY_LIMIT,
    ...(indicators ? { onAdded: (_collection: string, added: readonly AddedVersion[]) => void indicators.added(added) } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return {
    base: `http://127.0.0.1:${address.port}/taxii2/intel/`,
    collections: cs,
    live: indicators,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs the objects in envelopes of `size`, one after another; returns the wall time in ms. */
async function post(base: string, collection: string, objects: readonly Json[], size: number): Promise<number> {
  const bodies: string[] = [];
  for (let i = 0; i < objects.length; i += size) bodies.push(JSON.stringify({ objects: objects.slice(i, i + size) }));
  const t = performance.now();
  for (const body of bodies) {
    const res = await fetch(`${base}collections/${collection}/objects/`, { method: 'POST', headers: { authorization: basic, 'content-type': TAXII, accept: TAXII }, body });
    const status = (await res.json()) as Json;
    const sent = (JSON.parse(body) as { objects: unknown[] }).objects.length;
    if (res.status !== 202 || status['success_count'] !== sent) {
      throw new Error(`POST answered ${res.status}: ${JSON.stringify(status).slice(0, 600)}`);
    }
  }
  return performance.now() - t;
}

/** Reads a collection back with GET pages of `limit`; returns objects read and ms. */
async function readBack(base: string, collection: string, limit: number): Promise<{ count: number; ms: number; pages: number }> {
  let count = 0;
  let pages = 0;
  let next: string | undefined;
  const t = performance.now();
  for (;;) {
    const url = `${base}collections/${collection}/objects/?limit=${limit}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    const res = await fetch(url, { headers: { authorization: basic, accept: TAXII } });
    if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const page = (await res.json()) as { objects?: unknown[]; more?: boolean; next?: string };
    pages++;
    count += page.objects?.length ?? 0;
    if (!page.more || !page.next) break;
    next = page.next;
  }
  return { count, ms: performance.now() - t, pages };
}

async function taxii(): Promise<number> {
  const rate = (n: number, ms: number): number => Math.round(n / (ms / 1000));
  const a = stixObjects(OBJECTS, 1);
  const kinds = new Map<string, number>();
  for (const o of a) kinds.set(String(o['type']), (kinds.get(String(o['type'])) ?? 0) + 1);
  const bytes = Buffer.byteLength(JSON.stringify({ objects: a }));
  console.log(`TAXII: ${a.length} STIX 2.1 objects (${[...kinds].map(([k, v]) => `${v} ${k}`).join(', ')}), ${(bytes / MiB).toFixed(1)} MiB as one envelope; SQLite file store (WAL), member over HTTP Basic, loopback`);

  const server = await taxiiServer(2, false);
  let postRate: number;
  try {
    await post(server.base, server.collections[1]!.id, stixObjects(2 * ENVELOPE, 9), ENVELOPE); // warm up routes, store and JIT (another collection)
    const ms = await post(server.base, server.collections[0]!.id, a, ENVELOPE);
    postRate = rate(a.length, ms);
    console.log(`  POST in envelopes of ${ENVELOPE}: ${(ms / 1000).toFixed(2)} s, ${postRate} objects/s (MISP and OpenCTI: tens of objects/s)`);
    const g = await readBack(server.base, server.collections[0]!.id, 1000);
    if (g.count !== a.length) throw new Error(`read back ${g.count} objects, posted ${a.length}`);
    console.log(`  GET pages of 1000: ${g.count} objects in ${g.pages} pages, ${(g.ms / 1000).toFixed(2)} s, ${rate(g.count, g.ms)} objects/s`);
    const b = stixObjects(OBJECTS, 2);
    const bBytes = Buffer.byteLength(JSON.stringify({ objects: b }));
    if (bBytes > BODY_LIMIT) {
      console.log(`  POST in one envelope: ${(bBytes / MiB).toFixed(1)} MiB is over max_content_length (${BODY_LIMIT / MiB} MiB); not sent`);
    } else {
      const one = await post(server.base, server.collections[1]!.id, b, b.length);
      console.log(`  POST in one envelope of ${b.length} (${(bBytes / MiB).toFixed(1)} MiB of ${BODY_LIMIT / MiB} MiB allowed): ${(one / 1000).toFixed(2)} s, ${rate(b.length, one)} objects/s`);
    }
  } finally {
    await server.close();
  }

  // As serve wires it: every POST hands the indicators it stored to the live matcher.
  const wired = await taxiiServer(1, true);
  try {
    const c = stixObjects(OBJECTS, 3);
    const ms = await post(wired.base, wired.collections[0]!.id, c, ENVELOPE);
    const t = performance.now();
    await wired.live!.reload(); // until the matcher has them all
    const settle = performance.now() - t;
    console.log(
      `  POST in envelopes of ${ENVELOPE} as serve wires it (each POST's indicators go live): ${(ms / 1000).toFixed(2)} s, ${rate(c.length, ms)} objects/s; ` +
        `${wired.live!.size} indicators live ${(settle / 1000).toFixed(2)} s after the last answer`,
    );
  } finally {
    await wired.close();
  }
  return postRate;
}

// ---------------------------------------------------------------------------------------------
// 3. Latency: hub publication → member alert

interface Served {
  readonly child: ChildProcess;
  readonly http: string;
  readonly udp?: number;
}

/** `lianfang serve` as a child process; resolves with its HTTP URL and UDP port once it prints them. */
function start(args: readonly string[]): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--http', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((res, rej) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /serving (http:\/\/[0-9.:]+)/.exec(err)?.[1];
      const syslog = /syslog: (?:udp (\d+)|off)/.exec(err);
      if (url && syslog) res({ child, http: url, ...(syslog[1] ? { udp: Number(syslog[1]) } : {}) });
    });
    child.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function latency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-bench-hub-'));
  const hubData = join(dir, 'hub');
  const memberData = join(dir, 'member');
  const ctx = systemContext();
  const hubStore = await openDataStore(hubData);
  await addMember(hubStore.db, ctx, 'bank-a', PASSWORD);
  const memberToken = (await createToken(hubStore.db, ctx, 'member-connector', 'bank-a')).token;
  const collection = (await createCollection(hubStore.db, ctx, { title: 'Sector indicators', readers: ['bank-a'], writers: ['bank-a'] })).id;
  const hubAdmin = (await createToken(hubStore.db, ctx, 'admin', 'isac-staff')).token;
  await hubStore.close();
  const memberStore = await openDataStore(memberData);
  const analyst = (await createToken(memberStore.db, ctx, 'analyst', 'soc')).token;
  await memberStore.close();

  let hub: Served | null = null;
  let member: Served | null = null;
  const udp = createSocket('udp4');
  try {
    hub = await start(['--hub', '--data', hubData, '--no-syslog-udp', '--no-syslog-tcp']);
    member = await start(['--data', memberData, '--syslog-udp', '0', '--no-syslog-tcp', '--hub-url', `${hub.http}/taxii2/`, '--hub-token', memberToken, '--hub-poll', String(HUB_POLL_MS)]);
    const m = member;
    const h = hub;
    await sleep(1000); // the member's first sync (it creates the hub's collection locally)

    const round = async (r: number): Promise<{ total: number; posted: number }> => {
      const id = `indicator--${randomUUID()}`;
      const ip = `203.0.113.${10 + r}`;
      const t0 = performance.now();
      const res = await fetch(`${h.http}/taxii2/intel/collections/${collection}/objects/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hubAdmin}`, 'content-type': TAXII, accept: TAXII },
        body: JSON.stringify({ objects: [{
          type: 'indicator', spec_version: '2.1', id, created: '2026-11-01T00:00:00.000Z', modified: '2026-11-01T00:00:00.000Z',
          name: `C2 server ${r}`, pattern: `[ipv4-addr:value = '${ip}']`, pattern_type: 'stix', valid_from: '2020-01-01T00:00:00Z',
        }] }),
      });
      const posted = performance.now() - t0;
      if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
      const send = (): void => {
        const line = `<134>1 ${new Date().toISOString()} fw01 bench - - - CEF:0|Lianfang|bench|1|100|outbound|5|src=10.1.2.3 dst=${ip} dpt=443`;
        udp.send(line, m.udp!, '127.0.0.1');
      };
      send();
      const sender = setInterval(send, 50);
      try {
        for (;;) {
          const page = (await (await fetch(`${m.http}/api/v1/alerts?rule_id=ioc:${id}`, { headers: { authorization: `Bearer ${analyst}` } })).json()) as Json;
          if (((page['items'] as unknown[] | undefined)?.length ?? 0) > 0) return { total: performance.now() - t0, posted };
          if (performance.now() - t0 > 60_000) throw new Error(`no alert for ${id} at the member after 60 s`);
          await sleep(10);
        }
      } finally {
        clearInterval(sender);
      }
    };

    const warm = await round(0);
    const times: number[] = [];
    const posts: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      await sleep(100 + Math.random() * HUB_POLL_MS); // a different phase of the member's poll each round
      const x = await round(r);
      times.push(x.total);
      posts.push(x.posted);
    }
    const sorted = [...times].sort((x, y) => x - y);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    console.log(
      `latency, hub publication (TAXII POST sent) → alert at the member (seen in /api/v1/alerts, polled every 10 ms), ${ROUNDS} rounds: ` +
        `min ${sorted[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
    );
    console.log(
      `  member pulls every ${HUB_POLL_MS} ms (--hub-poll; the wait is mostly that), matching syslog line over UDP every 50 ms; ` +
        `the POST itself took ${Math.min(...posts).toFixed(0)}–${Math.max(...posts).toFixed(0)} ms; warm-up round (not counted) ${warm.total.toFixed(0)} ms; rounds ${times.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
  } finally {
    udp.close();
    if (member) await stop(member.child);
    if (hub) await stop(hub.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const stream = await detectionStream();
  const postRate = await taxii();
  if (SKIP_LATENCY) console.log('latency: skipped (SKIP_LATENCY=1)');
  else await latency();
  console.log(`(whole run ${((performance.now() - started) / 1000).toFixed(0)} s; heap limit ${(getHeapStatistics().heap_size_limit / MiB).toFixed(0)} MiB)`);
  console.log(`intel_match_cost=${stream.cost.toFixed(3)} taxii_post_objects_per_s=${postRate}`);
}

await main();
