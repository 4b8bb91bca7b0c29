import type { Kysely } from 'kysely';
import type { Detection, IngestedEvent, ParsedMessage } from '../core/index.js';
import { LiveDetector, loadRuleSet, type EventMatcher } from '../detect/index.js';
import { recentEvents, storeEvents, type Spool, type SpoolRecord } from '../ingest/index.js';
import type { Database, Store } from '../store/index.js';
import type { IngestMetrics } from './metrics.js';

export interface PipelineDeps {
  readonly store: Store;
  readonly spool: Spool;
  readonly metrics: IngestMetrics;
  readonly parse: (raw: string, opts: { receivedAt: Date }) => ParsedMessage;
  /** Cases: deduplicate and group detections into alerts, inside the pipeline's transaction. */
  readonly record: (db: Kysely<Database>, detections: readonly Detection[], now: Date) => Promise<readonly unknown[]>;
  /** Told about alert changes after they commit (the console's live queue). */
  readonly onAlerts?: (changes: readonly unknown[]) => void;
  readonly log?: (line: string) => void;
  readonly batchSize?: number;
}

const CHECKPOINT = 'spool.checkpoint.';
/** After this many failures of one batch, its messages are taken one at a time. */
const ISOLATE_AFTER = 2;
/** Stored events replayed at most to rebuild correlation windows. */
const WARM_MAX_EVENTS = 200_000;

/**
 * Spool → parse → detect → store, one batch per transaction: the events, the alerts and the
 * spool checkpoint commit together, so after a kill the next start resumes right after the
 * last committed batch and no event is stored or alerted twice.
 */
export class Pipeline {
  private detector: LiveDetector | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private next = 1;
  private readonly matchers: EventMatcher[] = [];
  /** Consecutive failures of the batch at `next`. */
  private failures = 0;

  constructor(private readonly deps: PipelineDeps) {}

  get rulesLoaded(): number {
    return this.detector?.report.rules ?? 0;
  }

  /** Position of the next record to process (everything before it is committed). */
  get position(): number {
    return this.next;
  }

  /** Adds another capability's matcher (threat-intel indicators…); it survives rule reloads. */
  addMatcher(m: EventMatcher): void {
    this.matchers.push(m);
    this.detector?.addMatcher(m);
  }

  /** (Re)builds the detector from the rules now enabled in the store. */
  async reloadRules(): Promise<{ rules: number; problems: number }> {
    const set = await loadRuleSet(this.deps.store.db);
    if (this.detector?.fingerprint === set.fingerprint) return { rules: this.detector.report.rules, problems: this.detector.problems.length };
    const d = new LiveDetector(set);
    for (const m of this.matchers) d.addMatcher(m);
    await this.warm(d);
    this.detector = d;
    for (const p of d.problems.slice(0, 20)) this.deps.log?.(`rule problem: ${p.where}: ${p.reason}`);
    return { rules: d.report.rules, problems: d.problems.length };
  }

  /**
   * Rebuilds a new detector's correlation windows from the stored events they reach back to,
   * so a restart or a rule reload does not forget a correlation half-way through.
   */
  private async warm(d: LiveDetector): Promise<void> {
    const reach = d.correlationReachMs;
    if (reach <= 0) return;
    const events = await recentEvents(this.deps.store.db, reach, WARM_MAX_EVENTS);
    d.warm(events.map((e) => ({ id: e.id, event: e.event, receivedAt: e.receivedAt })));
    if (events.length === WARM_MAX_EVENTS) this.deps.log?.(`correlation: replayed only the newest ${WARM_MAX_EVENTS} events of the last ${reach / 1000} s to rebuild windows`);
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.detector) await this.reloadRules();
    const row = await this.deps.store.db.selectFrom('lianfang_meta').select('value').where('key', '=', CHECKPOINT + this.deps.spool.id).executeTakeFirst();
    this.next = row ? Number(row.value) + 1 : 1;
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves once everything now in the spool is committed (tests and shutdown). */
  async drain(): Promise<void> {
    const target = this.deps.spool.lastSeq;
    while (this.running && this.next <= target) await new Promise((r) => setTimeout(r, 5));
  }

  private async run(): Promise<void> {
    const spool = this.deps.spool;
    while (this.running) {
      if (this.next > spool.lastSeq) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void spool.waitFor(this.next).then(resolve);
          // Let correlation windows close even when nothing arrives.
          setTimeout(resolve, 1000).unref();
        });
        this.wake = null;
        if (this.next > spool.lastSeq) {
          await this.tick();
          continue;
        }
      }
      const records = spool.read(this.next, this.deps.batchSize ?? 2000, (p) => {
        this.deps.metrics.spoolDamaged++;
        this.deps.log?.(`spool: ${p.where}: ${p.reason}`);
      });
      const last = records.at(-1)?.seq ?? spool.lastSeq; // all damaged: step over them
      try {
        if (this.failures >= ISOLATE_AFTER) await this.isolate(records);
        else await this.process(records, last);
        this.failures = 0;
      } catch (err) {
        // The batch did not commit: nothing of it is stored, it will be read again.
        this.failures++;
        this.deps.log?.(`pipeline: batch ${this.next}..${last} failed (${this.failures}×) and will be retried${this.failures >= ISOLATE_AFTER ? ' one message at a time' : ''}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(1000 * this.failures, 10_000)));
        continue;
      }
      this.next = last + 1;
      spool.release(last);
    }
  }

  /**
   * A batch that keeps failing is taken one message at a time, so one poisonous message (one
   * the database or a detector cannot take) does not hold up the stream. Each message that
   * still fails alone is stored quarantined: its raw text escaped, its event empty, no
   * detection, and the reason in its error — kept and counted, never dropped. Returns with
   * the records all committed; if even a quarantined row cannot be stored, the database is
   * down and the error propagates (the batch is retried, nothing is skipped).
   */
  private async isolate(records: readonly SpoolRecord[]): Promise<void> {
    for (const r of records) {
      try {
        await this.process([r], r.seq);
      } catch (err) {
        await this.quarantine(r, (err as Error).message);
      }
      this.next = r.seq + 1;
    }
  }

  private async quarantine(r: SpoolRecord, reason: string): Promise<void> {
    const spool = this.deps.spool;
    const event: IngestedEvent = {
      format: 'unknown',
      event: {},
      error: `quarantined, not detected: ${reason}`.slice(0, 2000),
      id: `${spool.id}:${r.seq}`,
      receivedAt: r.receivedAt.toISOString(),
      source: r.source,
      raw: JSON.stringify(r.text),
    };
    await this.deps.store.db.transaction().execute(async (tx) => {
      await storeEvents(tx, [event]);
      await saveCheckpoint(tx, spool.id, r.seq);
    });
    this.deps.metrics.failed++;
    this.deps.metrics.quarantined++;
    this.deps.log?.(`pipeline: message ${event.id} quarantined: ${reason}`);
  }

  private async process(records: readonly SpoolRecord[], last: number): Promise<void> {
    const spool = this.deps.spool;
    const m = this.deps.metrics;
    const events: IngestedEvent[] = records.map((r) => {
      const parsed = this.deps.parse(r.text, { receivedAt: r.receivedAt });
      const error = r.problem ? (parsed.error ? `${r.problem}; ${parsed.error}` : r.problem) : parsed.error;
      return { ...parsed, ...(error ? { error } : {}), id: `${spool.id}:${r.seq}`, receivedAt: r.receivedAt.toISOString(), source: r.source, raw: r.text };
    });
    const detections = this.detector!.process(events);
    const now = new Date();
    let changes: readonly unknown[] = [];
    await this.deps.store.db.transaction().execute(async (tx) => {
      await storeEvents(tx, events);
      if (detections.length > 0) changes = await this.deps.record(tx, detections, now);
      await saveCheckpoint(tx, spool.id, last);
    });
    let failed = 0;
    for (const e of events) if (e.error) failed++;
    m.parsed += events.length - failed;
    m.failed += failed;
    m.detected += events.length;
    m.alerts += detections.length;
    if (changes.length > 0) this.deps.onAlerts?.(changes);
  }

  private async tick(): Promise<void> {
    const detections = this.detector?.tick(Date.now()) ?? [];
    if (detections.length === 0) return;
    let changes: readonly unknown[] = [];
    await this.deps.store.db.transaction().execute(async (tx) => {
      changes = await this.deps.record(tx, detections, new Date());
    });
    this.deps.metrics.alerts += detections.length;
    if (changes.length > 0) this.deps.onAlerts?.(changes);
  }
}

async function saveCheckpoint(db: Kysely<Database>, spoolId: string, seq: number): Promise<void> {
  await db
    .insertInto('lianfang_meta')
    .values({ key: CHECKPOINT + spoolId, value: String(seq) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(seq) }))
    .execute();
}

