import type { EventRecord, ItemProblem } from '../core/index.js';
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
}

export interface HuntStats {
  files: number;
  bytes: number;
  events: number;
  badRecords: number;
  detections: number;
  ms: number;
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
  for (const f of engine.explain(event, rule)) {
    const v = fieldValue(event, f);
    matched[f] = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
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

/**
 * Runs rules over event files: every file's events through the engine, then correlation
 * rules over the base matches they need, sorted into one timeline.
 */
export async function hunt(paths: readonly string[], corpus: RuleCorpus, opts: HuntOptions = {}): Promise<HuntResult> {
  const started = performance.now();
  const { engine, report } = SigmaEngine.build(corpus.rules, {
    ignoreLogsource: opts.ignoreLogsource,
    placeholders: opts.placeholders,
    filters: corpus.filters,
  });
  const min = levelRank(opts.minLevel ?? 'informational');
  const found = findEventFiles(paths);
  const problems: ItemProblem[] = [...found.problems];
  const detections: HuntDetection[] = [];
  const correlations = new CorrelationEngine(corpus.correlations);
  problems.push(...correlations.problems);
  const needed = correlations.referencedRules;
  const baseMatches: BaseMatch[] = [];
  const total = found.files.reduce((n, f) => n + f.size, 0);
  const stats: HuntStats = { files: found.files.length, bytes: total, events: 0, badRecords: 0, detections: 0, ms: 0 };
  let done = 0;
  for (const file of found.files) {
    scanFile(file, (event, record) => {
      stats.events++;
      for (const rule of engine.match(event)) {
        const d = detectionOf(engine, rule, event, file.path, record);
        // A rule that only feeds a correlation (generate: false) raises no alert of its own.
        const own = needed.size === 0 || correlations.raisesOwnAlerts(rule.rule.id, rule.rule.name);
        if (own && levelRank(rule.rule.level) >= min) detections.push(d);
        const keys = [rule.rule.id, rule.rule.name].filter((k): k is string => !!k && needed.has(k));
        if (keys.length > 0) {
          const ms = d.timestamp ? Date.parse(d.timestamp) : Number.NaN;
          if (!Number.isNaN(ms)) baseMatches.push({ ruleId: rule.rule.id, ruleName: rule.rule.name, event, timeMs: ms, ref: d });
        }
      }
    }, (p) => {
      stats.badRecords++;
      problems.push(p);
    });
    done += file.size;
    opts.onProgress?.(done, total, file.path);
    await new Promise((r) => setImmediate(r));
  }
  if (needed.size > 0) {
    // Files are not in time order with each other: sort the base matches, then stream them.
    baseMatches.sort((a, b) => a.timeMs - b.timeMs);
    const hits = [...baseMatches.flatMap((m) => correlations.push(m)), ...correlations.flush()];
    for (const hit of hits) if (levelRank(hit.correlation.level) >= min) detections.push(correlationDetection(hit));
  }
  detections.sort(byTime);
  stats.detections = detections.length;
  stats.ms = performance.now() - started;
  return { detections, problems, stats, build: report };
}

function scanFile(file: EventFile, onEvent: (e: EventRecord, record: number) => void, onProblem: (p: ItemProblem) => void): void {
  for (const item of readEventFile(file)) {
    if (item.ok) onEvent(item.event, item.record);
    else onProblem(item.problem);
  }
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
