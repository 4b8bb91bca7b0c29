import type { Kysely } from 'kysely';
import type { Detection, IngestedEvent } from '../core/index.js';
import { correlationReachMs, loadRuleSet, type EventMatcher } from '../detect/index.js';
import { insertEventRows, recentEvents, storeEvents, type EventsTable, type Spool, type SpoolRecord } from '../ingest/index.js';
import type { IndicatorSink } from '../intel/index.js';
import type { Database, Store } from '../store/index.js';
import { DetectionThread, type BatchResult } from './detection-thread.js';
import type { IngestMetrics } from './metrics.js';

export interface PipelineDeps {
  readonly store: Store;
  readonly spool: Spool;
  readonly metrics: IngestMetrics;
  /** Time zone for syslog timestamps that carry none (RFC 3164); default UTC. */
  readonly timezone?: string;
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

/** A spool batch sent to the detection thread. */
interface InFlight {
  readonly records: readonly SpoolRecord[];
  /** Last spool position the batch covers (damaged records included). */
  readonly last: number;
  readonly result: Promise<BatchResult>;
}

/**
 * Spool → parse → detect → store, one batch per transaction: the events, the alerts and the
 * spool checkpoint commit together, so after a kill the next start resumes right after the
 * last committed batch and no event is stored or alerted twice.
 *
 * Parsing and detection run on a thread of their own (DetectionThread), one batch ahead of
 * the commit: while batch n is written to the database, batch n+1 is being detected. The
 * main thread keeps the listeners, the spool and the store.
 */
export class Pipeline {
  private readonly thread: DetectionThread;
  private fingerprint: string | null = null;
  private loaded = 0;
  private problemCount = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private next = 1;
  private readonly matchers: EventMatcher[] = [];
  /** Consecutive failures of the batch at `next`. */
  private failures = 0;

  constructor(private readonly deps: PipelineDeps) {
    this.thread = new DetectionThread(deps.timezone ? { timezone: deps.timezone } : {});
  }

  get rulesLoaded(): number {
    return this.loaded;
  }

  /** Position of the next record to process (everything before it is committed). */
  get position(): number {
    return this.next;
  }

  /**
   * STIX indicators matched on the detection thread, right after the rules, on the event
   * they decoded (LiveIndicators sends them here).
   */
  readonly indicators: IndicatorSink = {
    reset: (list) => this.thread.indicators(true, list),
    add: (list) => this.thread.indicators(false, list),
  };

  /**
   * Adds another capability's matcher; it survives rule reloads.
   * Matchers run on the main thread, after the rules, on each event of a batch.
   */
  addMatcher(m: EventMatcher): void {
    this.matchers.push(m);
  }

  /**
   * (Re)builds the detector from the rules now enabled in the store. Its correlation windows
   * are rebuilt from the stored events they reach back to, so a restart or a rule reload does
   * not forget a correlation half-way through.
   */
  async reloadRules(): Promise<{ rules: number; problems: number }> {
    const set = await loadRuleSet(this.deps.store.db);
    if (this.fingerprint === set.fingerprint) return { rules: this.loaded, problems: this.problemCount };
    const reach = correlationReachMs(set);
    const events = reach > 0 ? await recentEvents(this.deps.store.db, reach, WARM_MAX_EVENTS) : [];
    if (events.length === WARM_MAX_EVENTS) this.deps.log?.(`correlation: replayed only the newest ${WARM_MAX_EVENTS} events of the last ${reach / 1000} s to rebuild windows`);
    const r = await this.thread.load(set, events.map((e) => ({ id: e.id, event: e.event, receivedAt: e.receivedAt })));
    this.fingerprint = set.fingerprint;
    this.loaded = r.rules;
    this.problemCount = r.problemCount;
    for (const p of r.problems) this.deps.log?.(`rule problem: ${p.where}: ${p.reason}`);
    return { rules: r.rules, problems: r.problemCount };
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.fingerprint === null) await this.reloadRules();
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
    await this.thread.close();
    // The next start loads the rules again, with their correlation windows replayed.
    this.fingerprint = null;
  }

  /** Resolves once everything now in the spool is committed (tests and shutdown). */
  async drain(): Promise<void> {
    const target = this.deps.spool.lastSeq;
    while (this.running && this.next <= target) await new Promise((r) => setTimeout(r, 5));
  }

  private send(from: number): InFlight {
    const spool = this.deps.spool;
    const records = spool.read(from, this.deps.batchSize ?? 2000, (p) => {
      this.deps.metrics.spoolDamaged++;
      this.deps.log?.(`spool: ${p.where}: ${p.reason}`);
    });
    const last = records.at(-1)?.seq ?? spool.lastSeq; // all damaged: step over them
    const result = this.thread.process(spool.id, records);
    result.catch(() => {}); // a batch sent ahead may be dropped unread; its error shows when awaited
    return { records, last, result };
  }

  private async run(): Promise<void> {
    const spool = this.deps.spool;
    let ahead: InFlight | null = null;
    while (this.running) {
      if (ahead === null && this.next > spool.lastSeq) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void spool.waitFor(this.next).then(resolve);
          // Let correlation windows close even when nothing arrives.
          setTimeout(resolve, 1000).unref();
        });
        this.wake = null;
        if (this.next > spool.lastSeq) {
          try {
            await this.tick();
          } catch (err) {
            this.deps.log?.(`pipeline: closing correlation windows failed: ${(err as Error).message}`);
          }
          continue;
        }
      }
      const batch: InFlight = ahead ?? this.send(this.next);
      ahead = null;
      try {
        if (this.failures >= ISOLATE_AFTER) {
          await this.isolate(batch.records);
        } else {
          const result = await batch.result;
          // The next batch is detected while this one commits.
          if (batch.last < spool.lastSeq) ahead = this.send(batch.last + 1);
          await this.commit(result, batch.last);
        }
        this.failures = 0;
      } catch (err) {
        // The batch did not commit: nothing of it is stored, it will be read again (and a
        // batch sent ahead is dropped; it is read again after this one).
        ahead = null;
        this.failures++;
        this.deps.log?.(`pipeline: batch ${this.next}..${batch.last} failed (${this.failures}×) and will be retried${this.failures >= ISOLATE_AFTER ? ' one message at a time' : ''}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(1000 * this.failures, 10_000)));
        continue;
      }
      this.next = batch.last + 1;
      spool.release(batch.last);
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
        await this.commit(await this.thread.process(this.deps.spool.id, [r]), r.seq);
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

  private async commit(result: BatchResult, last: number): Promise<void> {
    const m = this.deps.metrics;
    const active = this.matchers.filter((x) => !x.idle);
    const detections = active.length > 0 ? [...result.detections, ...this.runMatchers(active, result.rows)] : result.detections;
    const now = new Date();
    let changes: readonly unknown[] = [];
    await this.deps.store.db.transaction().execute(async (tx) => {
      await insertEventRows(tx, result.rows);
      if (detections.length > 0) changes = await this.deps.record(tx, detections, now);
      await saveCheckpoint(tx, this.deps.spool.id, last);
    });
    m.parsed += result.rows.length - result.failed;
    m.failed += result.failed;
    m.detected += result.rows.length;
    m.alerts += detections.length;
    if (changes.length > 0) this.deps.onAlerts?.(changes);
  }

  /** Other capabilities' matchers on the events of a batch. */
  private runMatchers(matchers: readonly EventMatcher[], rows: readonly EventsTable[]): Detection[] {
    const out: Detection[] = [];
    for (const row of rows) {
      const e = { id: row.id, event: JSON.parse(row.event) as IngestedEvent['event'], receivedAt: row.received_at };
      for (const m of matchers) out.push(...m.match(e));
    }
    return out;
  }

  private async tick(): Promise<void> {
    const detections = await this.thread.tick(Date.now());
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

