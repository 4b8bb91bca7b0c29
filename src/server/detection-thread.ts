import { Worker } from 'node:worker_threads';
import { workerEntry, type Detection, type ItemProblem } from '../core/index.js';
import type { LiveEvent, StoredRuleSet } from '../detect/index.js';
import type { IndicatorCount, PatternIndicator } from '../intel/index.js';
import type { EventsTable, SpoolRecord } from '../ingest/index.js';

export interface WorkerInit {
  /** Time zone for syslog timestamps that carry none. */
  readonly timezone?: string;
}

export interface LoadResult {
  readonly rules: number;
  /** The first problems of the set (rules that did not compile…), and how many there are. */
  readonly problems: readonly ItemProblem[];
  readonly problemCount: number;
}

/** One spool batch, parsed and detected: rows ready to insert, in spool order. */
export interface BatchResult {
  readonly rows: EventsTable[];
  readonly detections: Detection[];
  /** Messages that did not parse (kept, with their error). */
  readonly failed: number;
}

type RequestBody =
  | { readonly op: 'load'; readonly set: StoredRuleSet; readonly warm: readonly LiveEvent[] }
  | { readonly op: 'batch'; readonly spoolId: string; readonly records: readonly SpoolRecord[] }
  | { readonly op: 'tick'; readonly nowMs: number }
  | { readonly op: 'indicators'; readonly reset: boolean; readonly list: readonly PatternIndicator[] };

export type DetectionRequest = RequestBody & { readonly id: number };

export type ResponseValue = LoadResult | BatchResult | Detection[] | IndicatorCount;

export type DetectionResponse =
  | { readonly id: number; readonly ok: true; readonly value: ResponseValue }
  | { readonly id: number; readonly ok: false; readonly error: string };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * Parsing and detection on a thread of their own. Requests are answered in the order they
 * were sent (the worker takes one at a time), so a batch can be sent ahead while the one
 * before it commits. If the thread dies, every request in flight fails and the next one
 * starts a new thread with the last rule set (the pipeline retries the batch).
 */
export class DetectionThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastLoad: { set: StoredRuleSet; warm: readonly LiveEvent[] } | null = null;
  /** Every indicator the thread holds, to give a new thread after a crash. */
  private indicatorList: PatternIndicator[] = [];

  constructor(private readonly init: WorkerInit = {}) {}

  async load(set: StoredRuleSet, warm: readonly LiveEvent[]): Promise<LoadResult> {
    const r = (await this.request({ op: 'load', set, warm })) as LoadResult;
    // Kept for a restart of the thread; the replayed events are not kept (memory).
    this.lastLoad = { set, warm: [] };
    return r;
  }

  process(spoolId: string, records: readonly SpoolRecord[]): Promise<BatchResult> {
    return this.request({ op: 'batch', spoolId, records }) as Promise<BatchResult>;
  }

  /**
   * STIX indicators matched on this thread, on each event right after the rules (the event is
   * decoded once for both). `reset` replaces all of them; otherwise they are added.
   */
  indicators(reset: boolean, list: readonly PatternIndicator[]): Promise<IndicatorCount> {
    if (reset) this.indicatorList = [...list];
    else for (const i of list) this.indicatorList.push(i);
    return this.request({ op: 'indicators', reset, list }) as Promise<IndicatorCount>;
  }

  tick(nowMs: number): Promise<Detection[]> {
    return this.request({ op: 'tick', nowMs }) as Promise<Detection[]>;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private request(body: RequestBody): Promise<unknown> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id });
    });
  }

  private ensure(): Worker {
    if (this.worker !== null) return this.worker;
    const { url, data } = workerEntry(import.meta.url, './detect-worker');
    const w = new Worker(url, { workerData: { ...data, init: this.init } });
    w.on('message', (res: DetectionResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.value);
      else p.reject(new Error(res.error));
    });
    const died = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`detection thread exited (${code})`)));
    this.worker = w;
    // A new thread after a crash starts with the rules and indicators the last one had.
    const replay = (body: RequestBody): void => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => {}, reject: () => {} });
      w.postMessage({ ...body, id });
    };
    if (this.lastLoad) replay({ op: 'load', set: this.lastLoad.set, warm: [] });
    if (this.indicatorList.length > 0) replay({ op: 'indicators', reset: true, list: this.indicatorList });
    return w;
  }
}
