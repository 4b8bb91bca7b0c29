import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry, type EventRecord, type ItemProblem } from '../core/index.js';
import { findEventFiles, readEventFile, type EventFile } from '../ingest/index.js';
import { CorrelationEngine, type BaseMatch, type CorrelationHit } from './correlation/index.js';
import { attackFromTags } from './attack/index.js';
import { SigmaEngine, type BuildReport, type LoadedRule } from './engine.js';
import type { RuleCorpus } from './rules.js';
import { fieldValue } from './sigma/fields.js';
import { levelRank, type SigmaLevel } from './sigma/types.js';

/** One detection in a hunt's timeline: what matched, where, and why. */
export interface HuntDetection {
  readonly timestamp: string | null;
  readonly computer: string | null;
  readonly channel: string | null;
  readonly event_id: number | string | null;
  /** The event's own record id (EventRecordID), when it has one. */
  readonly event_record_id: number | null;
  readonly file: string;
  readonly record: number;
  readonly rule_id: string | null;
  readonly rule_title: string;
  readonly rule_type: 'detection' | 'correlation';
  readonly level: SigmaLevel;
  readonly techniques: string[];
  readonly tactics: string[];
  readonly tactic_names: string[];
  readonly kill_chain_phase: string | null;
  /** Required by the Detection Rule License: the rule's author travels with the alert. */
  readonly author: string | null;
  readonly rule_file: string;
  /** The fields whose tests held, with their values. */
  readonly matched: Record<string, string>;
}

export interface HuntOptions {
  readonly minLevel?: SigmaLevel;
  readonly ignoreLogsource?: boolean;
  readonly placeholders?: ReadonlyMap<string, readonly string[]>;
  /** Called after each file, and within big files, with bytes done of the total. */
  readonly onProgress?: (done: number, total: number, file: string) => void;
  /** Worker threads; default: one per core when the input is 256 MiB or more, else 1. */
  readonly threads?: number;
  /** Rule statuses left out (Hayabusa's default leaves out deprecated and unsupported rules). */
  readonly excludeStatus?: readonly string[];
  /** Only events at or after / before this time (ms since the epoch) are scanned. */
  readonly startMs?: number;
  readonly endMs?: number;
}

export const DEFAULT_EXCLUDED_STATUS: readonly string[] = ['deprecated', 'unsupported'];

export interface HuntStats {
  files: number;
  bytes: number;
  events: number;
  badRecords: number;
  detections: number;
  /** Events that matched at least one rule (what an analyst has to look at). */
  eventsWithHits: number;
  ms: number;
  threads: number;
}

export interface HuntResult {
  readonly detections: HuntDetection[];
  readonly problems: ItemProblem[];
  readonly stats: HuntStats;
  readonly build: BuildReport;
}

const TIME_FIELDS = ['TimeCreated_SystemTime', '@timestamp', 'timestamp', 'EventTime', 'TimeCreated'];

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '(too deeply nested to show)';
  }
}

export function eventTimestamp(event: EventRecord): string | null {
  for (const f of TIME_FIELDS) {
    const v = text(fieldValue(event, f));
    if (v) return v;
  }
  return null;
}

function detectionOf(engine: SigmaEngine, rule: LoadedRule, event: EventRecord, file: string, record: number): HuntDetection {
  const r = rule.rule;
  const matched: Record<string, string> = {};
  const fields = engine.explain(event, rule);
  // The event id is shown on its own; list it as a reason only when it is the only one.
  const shown = fields.length > 1 ? fields.filter((f) => f !== 'EventID') : fields;
  for (const f of shown) {
    const v = fieldValue(event, f);
    matched[f] = typeof v === 'object' && v !== null ? safeJson(v) : String(v);
  }
  const id = event.EventID;
  return {
    timestamp: eventTimestamp(event),
    computer: text(event.Computer ?? fieldValue(event, 'host.name')),
    channel: text(event.Channel),
    event_id: typeof id === 'number' || typeof id === 'string' ? id : null,
    event_record_id: typeof event.EventRecordID === 'number' ? event.EventRecordID : null,
    file,
    record,
    rule_id: r.id ?? null,
    rule_title: r.title,
    rule_type: 'detection',
    level: r.level,
    techniques: rule.attack.techniques,
    tactics: rule.attack.tactics,
    tactic_names: rule.attack.tacticNames,
    kill_chain_phase: rule.attack.killChainPhase,
    author: r.author ?? null,
    rule_file: r.file,
    matched,
  };
}

/** What scanning one file yields; workers send it back whole. */
export interface FileScan {
  readonly detections: HuntDetection[];
  /** Matches of rules that correlations need, with the event for their group-by fields. */
  readonly baseMatches: Array<{ ruleId?: string; ruleName?: string; event: EventRecord; timeMs: number; detection: HuntDetection }>;
  readonly problems: ItemProblem[];
  readonly events: number;
  readonly eventsWithHits: number;
  readonly badRecords: number;
}

/** The per-file work, shared by the single-threaded path and the worker threads. */
export class FileScanner {
  readonly engine: SigmaEngine;
  readonly report: BuildReport;
  readonly correlations: CorrelationEngine;
  private readonly min: number;

  private readonly window: { start: number; end: number } | null;

  constructor(corpus: Pick<RuleCorpus, 'rules' | 'filters' | 'correlations'>, opts: HuntOptions) {
    const excluded = new Set((opts.excludeStatus ?? DEFAULT_EXCLUDED_STATUS).map((x) => x.toLowerCase()));
    const rules = corpus.rules.filter((r) => !excluded.has((r.status ?? '').toLowerCase()));
    this.window =
      opts.startMs === undefined && opts.endMs === undefined ? null : { start: opts.startMs ?? -Infinity, end: opts.endMs ?? Infinity };
    const built = SigmaEngine.build(rules, {
      ignoreLogsource: opts.ignoreLogsource,
      placeholders: opts.placeholders,
      filters: corpus.filters,
    });
    this.engine = built.engine;
    this.report = built.report;
    this.correlations = new CorrelationEngine(corpus.correlations);
    this.min = levelRank(opts.minLevel ?? 'informational');
  }

  /** `onAt` is told, now and then, how far into the file the scan is (for a progress bar). */
  scan(file: EventFile, onAt?: (at: number) => void): FileScan {
    const out: FileScan = { detections: [], baseMatches: [], problems: [], events: 0, eventsWithHits: 0, badRecords: 0 };
    const needed = this.correlations.referencedRules;
    let events = 0;
    let withHits = 0;
    let bad = 0;
    for (const item of readEventFile(file)) {
      if (!item.ok) {
        bad++;
        out.problems.push(item.problem);
        continue;
      }
      if (this.window !== null && !this.inWindow(item.event)) continue;
      events++;
      if (onAt !== undefined && (events & 4095) === 0 && item.at !== undefined) onAt(item.at);
      const before = out.detections.length;
      for (const rule of this.engine.match(item.event)) {
        // A rule that only feeds a correlation (generate: false) raises no alert of its own.
        const own = needed.size === 0 || this.correlations.raisesOwnAlerts(rule.rule.id, rule.rule.name);
        const reported = own && levelRank(rule.rule.level) >= this.min;
        const feeds = (rule.rule.id !== undefined && needed.has(rule.rule.id)) || (rule.rule.name !== undefined && needed.has(rule.rule.name));
        if (!reported && !feeds) continue; // below --min-level: no need to explain it
        const d = detectionOf(this.engine, rule, item.event, file.path, item.record);
        if (reported) out.detections.push(d);
        if (feeds) {
          const ms = d.timestamp ? Date.parse(d.timestamp) : Number.NaN;
          if (!Number.isNaN(ms)) out.baseMatches.push({ ruleId: rule.rule.id, ruleName: rule.rule.name, event: item.event, timeMs: ms, detection: d });
        }
      }
      if (out.detections.length > before) withHits++;
    }
    return { ...out, events, eventsWithHits: withHits, badRecords: bad };
  }

  /** Events without a readable time are kept: a time filter should not hide them silently. */
  private inWindow(event: EventRecord): boolean {
    const t = eventTimestamp(event);
    const ms = t === null ? Number.NaN : Date.parse(t);
    return Number.isNaN(ms) || (ms >= this.window!.start && ms <= this.window!.end);
  }
}

/** How many worker threads a hunt uses when not told: one per core for big inputs, else none. */
export function defaultThreads(totalBytes: number): number {
  return totalBytes >= 256 * 1048576 ? availableParallelism() : 1;
}

/**
 * Runs rules over event files: every file's events through the engine (on worker threads
 * for big inputs, each with its own compiled engine), then correlation rules over the base
 * matches they need, sorted into one timeline.
 */
export async function hunt(paths: readonly string[], corpus: RuleCorpus, opts: HuntOptions = {}): Promise<HuntResult> {
  const started = performance.now();
  const found = findEventFiles(paths);
  const total = found.files.reduce((n, f) => n + f.size, 0);
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(total), found.files.length));
  const scanner = new FileScanner(corpus, opts);
  const problems: ItemProblem[] = [...found.problems, ...scanner.correlations.problems];
  const stats: HuntStats = { files: found.files.length, bytes: total, events: 0, eventsWithHits: 0, badRecords: 0, detections: 0, ms: 0, threads };
  const scans: FileScan[] = [];
  let done = 0;
  const collect = (file: EventFile, scan: FileScan): void => {
    scans.push(scan);
    done += file.size;
    opts.onProgress?.(done, total, file.path);
  };
  if (threads <= 1) {
    for (const file of found.files) {
      const base = done;
      const onAt = opts.onProgress ? (at: number) => opts.onProgress!(base + Math.min(at, file.size), total, file.path) : undefined;
      collect(file, scanner.scan(file, onAt));
      await new Promise((r) => setImmediate(r));
    }
  } else {
    await scanOnWorkers(found.files, corpus, opts, threads, collect);
  }
  const detections: HuntDetection[] = [];
  const baseMatches: BaseMatch[] = [];
  for (const scan of scans) {
    detections.push(...scan.detections);
    problems.push(...scan.problems);
    stats.events += scan.events;
    stats.eventsWithHits += scan.eventsWithHits;
    stats.badRecords += scan.badRecords;
    for (const m of scan.baseMatches) baseMatches.push({ ruleId: m.ruleId, ruleName: m.ruleName, event: m.event, timeMs: m.timeMs, ref: m.detection });
  }
  const min = levelRank(opts.minLevel ?? 'informational');
  if (baseMatches.length > 0) {
    // Files are not in time order with each other: sort the base matches, then stream them.
    baseMatches.sort((a, b) => a.timeMs - b.timeMs);
    const c = scanner.correlations;
    const hits = [...baseMatches.flatMap((m) => c.push(m)), ...c.flush()];
    for (const hit of hits) if (levelRank(hit.correlation.level) >= min) detections.push(correlationDetection(hit));
  }
  detections.sort(byTime);
  stats.detections = detections.length;
  stats.ms = performance.now() - started;
  return { detections, problems, stats, build: scanner.report };
}

async function scanOnWorkers(
  files: readonly EventFile[],
  corpus: RuleCorpus,
  opts: HuntOptions,
  threads: number,
  collect: (file: EventFile, scan: FileScan) => void,
): Promise<void> {
  // Biggest files first, so no thread is left with a large one at the end.
  const queue = [...files].sort((a, b) => b.size - a.size);
  const { url, data } = workerEntry(import.meta.url, './hunt-worker');
  const init: HuntWorkerInit = {
    rules: corpus.rules,
    filters: corpus.filters,
    correlations: corpus.correlations,
    minLevel: opts.minLevel,
    ignoreLogsource: opts.ignoreLogsource,
    placeholders: opts.placeholders ? [...opts.placeholders] : undefined,
    excludeStatus: opts.excludeStatus,
    startMs: opts.startMs,
    endMs: opts.endMs,
  };
  const run = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url, { workerData: { ...data, init } });
      const next = (): void => {
        const file = queue.shift();
        if (file === undefined) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.once('message', (scan: FileScan) => {
          collect(file, scan);
          next();
        });
        worker.postMessage(file);
      };
      worker.once('error', reject);
      next();
    });
  await Promise.all(Array.from({ length: threads }, run));
}

/** What a hunt worker needs to build its own engine. */
export interface HuntWorkerInit {
  readonly rules: RuleCorpus['rules'];
  readonly filters: RuleCorpus['filters'];
  readonly correlations: RuleCorpus['correlations'];
  readonly minLevel?: SigmaLevel;
  readonly ignoreLogsource?: boolean;
  readonly placeholders?: Array<[string, readonly string[]]>;
  readonly excludeStatus?: readonly string[];
  readonly startMs?: number;
  readonly endMs?: number;
}

function correlationDetection(hit: CorrelationHit): HuntDetection {
  const c = hit.correlation;
  const last = hit.matches[hit.matches.length - 1]?.ref as HuntDetection | undefined;
  const attack = attackFromTags(c.tags);
  return {
    timestamp: new Date(hit.lastMs).toISOString(),
    computer: last?.computer ?? null,
    channel: last?.channel ?? null,
    event_id: last?.event_id ?? null,
    event_record_id: last?.event_record_id ?? null,
    file: last?.file ?? '',
    record: last?.record ?? 0,
    rule_id: c.id ?? null,
    rule_title: c.title,
    rule_type: 'correlation',
    level: c.level,
    techniques: attack.techniques,
    tactics: attack.tactics,
    tactic_names: attack.tacticNames,
    kill_chain_phase: attack.killChainPhase,
    author: c.author ?? null,
    rule_file: c.file,
    matched: { ...hit.group, count: String(hit.count), first: new Date(hit.firstMs).toISOString() },
  };
}

function byTime(a: HuntDetection, b: HuntDetection): number {
  if (a.timestamp !== b.timestamp) {
    if (a.timestamp === null) return 1;
    if (b.timestamp === null) return -1;
    return a.timestamp < b.timestamp ? -1 : 1;
  }
  return a.file.localeCompare(b.file) || a.record - b.record;
}
