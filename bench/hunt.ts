/**
 * bench/hunt — speed of the Sigma engine on the shared labelled Windows events.
 *
 * Prints: events/s of a bare JSON.parse pass (the ceiling), events/s of parse + detection
 * with every Windows rule loaded, their ratio; the same on all cores (worker threads, each
 * parsing and detecting its share); EVTX parse MB/s; and an end-to-end `hunt` of the EVTX
 * files. Ends with one line: hunt_vs_parse=<ratio> hunt_vs_parse_all_cores=<ratio>.
 *
 *   npm run bench:hunt            (env: ROUNDS=5, DATA=../shared/data)
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SigmaEngine, hunt, loadRules, type SigmaRule } from '../src/detect/index.js';
import { readEvtx } from '../src/ingest/index.js';
import { filesUnder } from './files.js';

const DATA = resolve(process.env.DATA ?? new URL('../../shared/data', import.meta.url).pathname);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RULE_DIRS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder', 'rules-compliance'].map((d) =>
  join(DATA, 'sigma', d),
);

function eventLines(): string[] {
  const lines: string[] = [];
  for (const f of filesUnder(join(DATA, 'events'), '.jsonl')) for (const l of readFileSync(f, 'utf8').split('\n')) if (l.trim()) lines.push(l);
  return lines;
}

/** Best of ROUNDS: the least disturbed run on a shared machine. */
function best(fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function parseOnly(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) n += (JSON.parse(l) as object) ? 1 : 0;
  return n;
}

/** Rules with a field-less search: they look at every value of every event they apply to. */
function hasKeywords(r: SigmaRule): boolean {
  return [...r.detection.values()].some((id) =>
    id.kind === 'keywords' || (id.kind === 'map' ? id.items : id.kind === 'maps' ? id.maps.flat() : []).some((i) => i.field === ''),
  );
}

function buildEngine(): SigmaEngine {
  return SigmaEngine.build(loadRules(RULE_DIRS).rules).engine;
}

function detect(engine: SigmaEngine, lines: readonly string[]): number {
  let hits = 0;
  for (const l of lines) hits += engine.match(JSON.parse(l)).length;
  return hits;
}

type Job = { lines: string[]; mode: 'parse' | 'detect' } | 'go';

function workerMain(): void {
  const engine = buildEngine();
  let job: Exclude<Job, 'go'> | null = null;
  parentPort!.on('message', (msg: Job) => {
    if (msg !== 'go') {
      job = msg;
      detect(engine, msg.lines); // warm up the JIT on its whole share, as the single-thread figure does
      parentPort!.postMessage('loaded');
      return;
    }
    const { lines, mode } = job!;
    let n = 0;
    for (let r = 0; r < ROUNDS; r++) {
      engine.forget();
      n += mode === 'parse' ? parseOnly(lines) : detect(engine, lines);
    }
    parentPort!.postMessage({ n });
  });
  parentPort!.postMessage('ready');
}

/**
 * Events/s of a pool of `cores` workers, each with its own engine and its share of the
 * events, all started together: wall time from "go" to the last one done.
 */
async function allCores(lines: string[], mode: 'parse' | 'detect', cores: number): Promise<number> {
  const workers = Array.from(
    { length: cores },
    () => new Worker(new URL('../scripts/tsx-worker.mjs', import.meta.url), { workerData: { entry: import.meta.url, role: 'worker' } }),
  );
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const share = Math.ceil(lines.length / cores);
  await Promise.all(
    workers.map((w, i) => new Promise((r) => {
      w.once('message', r);
      w.postMessage({ lines: lines.slice(i * share, (i + 1) * share), mode });
    })),
  );
  const t = performance.now();
  await Promise.all(workers.map((w) => new Promise((r) => {
    w.once('message', r);
    w.postMessage('go');
  })));
  const wall = (performance.now() - t) / ROUNDS;
  await Promise.all(workers.map((w) => w.terminate()));
  return lines.length / (wall / 1000);
}

async function main(): Promise<void> {
  const lines = eventLines();
  const t0 = performance.now();
  const corpus = loadRules(RULE_DIRS);
  const { engine, report } = SigmaEngine.build(corpus.rules);
  const buildMs = performance.now() - t0;
  console.log(`rules: ${report.rules} Windows rules loaded (${report.unmapped.length} for other log sources left out), ${engine.stats().variants} variants in ${engine.stats().buckets} buckets; load+compile ${buildMs.toFixed(0)} ms`);
  console.log(`events: ${lines.length} JSON lines from ${join(DATA, 'events')}`);

  detect(engine, lines); // warm up the JIT on the whole set once
  const parseMs = best(() => parseOnly(lines));
  engine.tested = 0;
  let hits = 0;
  const huntMs = best(() => {
    engine.forget(); // each round is a first pass: nothing remembered from the last one
    hits = detect(engine, lines);
  });
  const parseRate = lines.length / (parseMs / 1000);
  const huntRate = lines.length / (huntMs / 1000);
  const ratio = huntRate / parseRate;
  console.log(`single thread: JSON.parse ${Math.round(parseRate)} events/s (ceiling); parse+detect ${Math.round(huntRate)} events/s; ratio ${ratio.toFixed(3)}; ${hits} rule matches; ${(engine.tested / (lines.length * ROUNDS)).toFixed(1)} rules tested per event`);

  // Where the time goes: the same pass without the rules that search every value (keywords).
  const keywordRules = engine.rules.map((l) => l.rule).filter(hasKeywords);
  const lean = SigmaEngine.build(corpus.rules.filter((r) => !hasKeywords(r))).engine;
  detect(lean, lines);
  const leanMs = best(() => {
    lean.forget();
    detect(lean, lines);
  });
  console.log(
    `  without the ${keywordRules.length} loaded keyword (field-less) rules: ratio ${(parseMs / leanMs).toFixed(3)} ` +
      `(${keywordRules.map((r) => r.file.split('/').pop()).slice(0, 3).join(', ')}${keywordRules.length > 3 ? ', …' : ''})`,
  );

  const cores = availableParallelism();
  const parseAll = await allCores(lines, 'parse', cores);
  const huntAll = await allCores(lines, 'detect', cores);
  const ratioAll = huntAll / parseAll;
  console.log(`all ${cores} cores: JSON.parse ${Math.round(parseAll)} events/s; parse+detect ${Math.round(huntAll)} events/s; ratio ${ratioAll.toFixed(3)}`);

  const evtxFiles = filesUnder(join(DATA, 'events'), '.evtx');
  const buffers = evtxFiles.map((f) => readFileSync(f));
  const evtxBytes = buffers.reduce((n, b) => n + b.length, 0);
  let records = 0;
  const evtxMs = best(() => {
    records = 0;
    for (const b of buffers) for (const item of readEvtx(b)) if (item.ok) records++;
  });
  console.log(`EVTX: ${evtxFiles.length} files, ${(evtxBytes / 1048576).toFixed(1)} MiB, ${records} records parsed at ${(evtxBytes / 1048576 / (evtxMs / 1000)).toFixed(0)} MiB/s (${Math.round(records / (evtxMs / 1000))} records/s)`);

  const t1 = performance.now();
  const result = await hunt([join(DATA, 'events', 'evtx-attack-samples')].filter((p) => statSync(p).isDirectory()), corpus);
  const endToEnd = performance.now() - t1;
  const evtxOnly = result.stats;
  console.log(`end to end: lianfang hunt over evtx-attack-samples (.evtx + .jsonl, ${evtxOnly.files} files, ${(evtxOnly.bytes / 1048576).toFixed(1)} MiB, ${evtxOnly.events} events) with ${report.rules} rules: ${(endToEnd / 1000).toFixed(2)} s incl. engine build, ${result.detections.length} detections`);
  console.log(`hunt_vs_parse=${ratio.toFixed(3)} hunt_vs_parse_all_cores=${ratioAll.toFixed(3)}`);
}

if (isMainThread) await main();
else if ((workerData as { role?: string } | null)?.role === 'worker') workerMain();
