import type { Detection, EventRecord, FieldValue, ItemProblem, Severity } from '../core/index.js';
import { attackFromTags } from './attack/index.js';
import { CorrelationEngine, type BaseMatch, type CorrelationHit } from './correlation/index.js';
import { SigmaEngine, type BuildReport, type LoadedRule } from './engine.js';
import { eventTimestamp } from './hunt.js';
import type { StoredRuleSet } from './rule-store.js';
import { fieldValue } from './sigma/fields.js';

/**
 * How many events the detection thread decodes and hands to `process` at a time: enough for
 * the rules and the matchers to each stay hot over a run of events, few enough that the
 * decoded events still die young.
 */
export const LIVE_GROUP = 64;

/** An event as live detection sees it: stored, with an id alerts can point at. */
export interface LiveEvent {
  readonly id: string;
  readonly event: EventRecord;
  /** ISO 8601; the event's time when it has none of its own. */
  readonly receivedAt: string;
}

/**
 * Another capability's matcher (threat-intel indicators come this way): it looks at each
 * event after the Sigma rules and returns its own detections.
 */
export interface EventMatcher {
  readonly name: string;
  /** True while it has nothing to match (no indicators loaded): events are not decoded for it. */
  readonly idle?: boolean;
  match(event: LiveEvent): Detection[];
}

export interface LiveOptions {
  /** Rules whose status is one of these do not run (default deprecated, unsupported). */
  readonly excludeStatus?: readonly string[];
}

const HOST_FIELDS = ['Computer', 'host.name', 'host.hostname', 'log.syslog.hostname', 'observer.hostname', 'observer.name'];
const USER_FIELDS = ['TargetUserName', 'SubjectUserName', 'User', 'user.name', 'source.user.name', 'AccountName'];

function firstText(event: EventRecord, fields: readonly string[]): string | undefined {
  for (const f of fields) {
    const v: FieldValue | undefined = fieldValue(event, f);
    if ((typeof v === 'string' && v !== '' && v !== '-') || typeof v === 'number') return String(v);
  }
  return undefined;
}

/** How far back a rule set's correlation windows reach (the longest timespan), 0 without any. */
export function correlationReachMs(set: Pick<StoredRuleSet, 'correlations'>): number {
  return set.correlations.reduce((m, c) => Math.max(m, c.timespanMs), 0);
}

/**
 * Sigma rules on a stream of stored events: the indexed engine for single-event rules, the
 * correlation engine over their matches (time windows follow event time), and any matchers
 * other capabilities add.
 */
export class LiveDetector {
  readonly report: BuildReport;
  readonly problems: ItemProblem[];
  private readonly engine: SigmaEngine;
  private readonly correlations: CorrelationEngine;
  private readonly matchers: EventMatcher[] = [];

  constructor(
    private readonly set: StoredRuleSet,
    opts: LiveOptions = {},
  ) {
    const excluded = new Set((opts.excludeStatus ?? ['deprecated', 'unsupported']).map((s) => s.toLowerCase()));
    const rules = set.rules.filter((r) => !excluded.has((r.status ?? '').toLowerCase()));
    const built = SigmaEngine.build(rules, { filters: set.filters, devices: true });
    this.engine = built.engine;
    this.report = built.report;
    this.correlations = new CorrelationEngine(set.correlations);
    this.problems = [...set.problems, ...built.report.problems, ...this.correlations.problems];
  }

  get fingerprint(): string {
    return this.set.fingerprint;
  }

  /**
   * How far back correlation windows reach (the longest timespan), 0 without correlations:
   * after a restart or a rule reload, replaying that much of the stored stream through
   * `warm` rebuilds the windows.
   */
  get correlationReachMs(): number {
    return correlationReachMs(this.set);
  }

  /**
   * Feeds already-processed events to the correlation engine only, dropping what it decides:
   * those hits were raised when the events first came through. Rebuilds open windows.
   */
  warm(events: readonly LiveEvent[]): void {
    const needed = this.correlations.referencedRules;
    if (needed.size === 0) return;
    for (const e of events) {
      const ms = this.timeOf(e);
      for (const rule of this.engine.match(e.event)) {
        const r = rule.rule;
        if ((r.id !== undefined && needed.has(r.id)) || (r.name !== undefined && needed.has(r.name))) {
          this.correlations.push({ ruleId: r.id, ruleName: r.name, event: e.event, timeMs: ms, ref: this.detectionOf(rule, e, new Date(ms).toISOString()) });
        }
      }
    }
  }

  private timeOf(e: LiveEvent): number {
    const ms = Date.parse(eventTimestamp(e.event) ?? e.receivedAt);
    return Number.isNaN(ms) ? Date.parse(e.receivedAt) : ms;
  }

  addMatcher(m: EventMatcher): void {
    this.matchers.push(m);
  }

  /**
   * Detections for a batch of events, in event order, correlation hits as they become
   * certain. The rules run over the whole batch first, then the matchers: run event by event,
   * the rules and the matcher evicted each other's code and data from the cache, so the
   * matcher cost 3-4 times what it costs alone (bench/intel, thirteenth session).
   */
  process(events: readonly LiveEvent[]): Detection[] {
    const out: Detection[] = [];
    if (this.matchers.length === 0) {
      for (const e of events) this.ruleDetections(e, out);
      return out;
    }
    // Where each event's rule detections end in `out`, for merging the matchers' in order.
    const ends: number[] = [];
    for (const e of events) {
      this.ruleDetections(e, out);
      ends.push(out.length);
    }
    let extra: { readonly at: number; readonly found: Detection[] }[] | null = null;
    for (let i = 0; i < events.length; i++) {
      for (const m of this.matchers) {
        const found = m.match(events[i]!);
        if (found.length > 0) (extra ??= []).push({ at: i, found });
      }
    }
    if (extra === null) return out;
    const merged: Detection[] = [];
    let from = 0;
    let x = 0;
    for (let i = 0; i < events.length; i++) {
      for (; from < ends[i]!; from++) merged.push(out[from]!);
      for (; x < extra.length && extra[x]!.at === i; x++) merged.push(...extra[x]!.found);
    }
    return merged;
  }

  /** The Sigma rules' detections for one event (correlation hits included), onto `out`. */
  private ruleDetections(e: LiveEvent, out: Detection[]): void {
    const needed = this.correlations.referencedRules;
    const ms = this.timeOf(e);
    const iso = new Date(ms).toISOString();
    for (const rule of this.engine.match(e.event)) {
      const r = rule.rule;
      const own = needed.size === 0 || this.correlations.raisesOwnAlerts(r.id, r.name);
      const feeds = (r.id !== undefined && needed.has(r.id)) || (r.name !== undefined && needed.has(r.name));
      const d = this.detectionOf(rule, e, iso);
      if (own) out.push(d);
      if (feeds) {
        const m: BaseMatch = { ruleId: r.id, ruleName: r.name, event: e.event, timeMs: ms, ref: d };
        for (const hit of this.correlations.push(m)) out.push(this.correlationDetection(hit));
      }
    }
  }

  /** Lets time pass without events: closes correlation windows judged at their end. */
  tick(nowMs: number): Detection[] {
    return this.correlations.advance(nowMs).map((h) => this.correlationDetection(h));
  }

  private detectionOf(rule: LoadedRule, e: LiveEvent, at: string): Detection {
    const r = rule.rule;
    const host = firstText(e.event, HOST_FIELDS);
    const user = firstText(e.event, USER_FIELDS);
    return {
      ruleId: r.id ?? r.title,
      ruleVersion: this.set.versions.get(r.id ?? '') ?? 1,
      ruleTitle: r.title,
      level: r.level as Severity,
      techniques: rule.attack.techniques,
      tactics: rule.attack.tacticNames,
      ...(r.author ? { author: r.author } : {}),
      eventId: e.id,
      at,
      ...(host ? { host } : {}),
      ...(user ? { user } : {}),
      event: e.event,
      matchedFields: this.engine.explain(e.event, rule),
    };
  }

  private correlationDetection(hit: CorrelationHit): Detection {
    const c = hit.correlation;
    const attack = attackFromTags(c.tags);
    const refs = hit.matches.map((m) => m.ref).filter((x): x is Detection => typeof x === 'object' && x !== null && 'eventId' in x);
    const last = refs.at(-1);
    return {
      ruleId: c.id ?? c.title,
      ruleVersion: this.set.versions.get(c.id ?? '') ?? 1,
      ruleTitle: c.title,
      level: c.level as Severity,
      techniques: attack.techniques,
      tactics: attack.tacticNames,
      ...(c.author ? { author: c.author } : {}),
      eventId: last?.eventId ?? '',
      relatedEventIds: refs.map((d) => d.eventId),
      at: new Date(hit.lastMs).toISOString(),
      ...(last?.host ? { host: last.host } : hit.group.Computer ? { host: hit.group.Computer } : {}),
      ...(last?.user ? { user: last.user } : {}),
      event: { ...hit.group, count: hit.count, first: new Date(hit.firstMs).toISOString() },
      matchedFields: Object.keys(hit.group),
    };
  }
}

