import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../core/index.js';
import type { ChunkerParams } from './chunker.js';

/** What the chunk thread needs to cut and name chunks as the repository does. */
export interface ChunkKeys {
  readonly gearKey: Uint8Array;
  readonly idKey: Uint8Array;
  readonly chunker: ChunkerParams;
}

export interface ChunkRequest {
  readonly id: number;
  readonly session: number;
  readonly path: string;
  readonly keys: ChunkKeys;
}

export type ChunkMessage =
  | { readonly id: number; readonly kind: 'chunk'; readonly chunk: Uint8Array; readonly chunkId: Uint8Array }
  | { readonly id: number; readonly kind: 'done'; readonly size: number }
  | { readonly id: number; readonly kind: 'error'; readonly reason: string };

/** SAB slots: the lowest session still wanted; then, per thread, chunks sent and not yet taken. */
export const LIVE_FROM = 0;
export const inFlightSlot = (thread: number): number => 1 + thread;
/** Chunks each thread may send ahead of the backup: about this many MiB of file data in memory. */
export const MAX_IN_FLIGHT = 12;
/**
 * Files read at once. Two keep the disk busy while a thread cuts what it read (a cold read
 * otherwise stalls every stage after it) and spread the cutting over two cores; restic
 * reads two files at a time too.
 */
export const CHUNK_THREADS = 2;

/** One file's chunks as the thread sends them, in order, each with its id (keyed HMAC). */
export class FileChunks implements AsyncIterable<{ chunk: Uint8Array; id: Uint8Array }> {
  /** Bytes read, once the whole file has been. */
  size = 0;
  private readonly queue: ChunkMessage[] = [];
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  private ended = false;
  private abandoned = false;

  constructor(private readonly release: () => void) {}

  /** From the thread. */
  push(m: ChunkMessage): void {
    if (this.abandoned) {
      if (m.kind === 'chunk') this.release();
      return;
    }
    this.queue.push(m);
    this.wake?.();
  }

  fail(err: Error): void {
    this.failed = err;
    this.wake?.();
  }

  /** The reader stopped early: chunks still to come are dropped as they arrive. */
  abandon(): void {
    this.abandoned = true;
    for (const m of this.queue) if (m.kind === 'chunk') this.release();
    this.queue.length = 0;
  }

  get finished(): boolean {
    return this.ended;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<{ chunk: Uint8Array; id: Uint8Array }> {
    try {
      for (;;) {
        const m = this.queue.shift();
        if (m === undefined) {
          if (this.failed) throw this.failed;
          await new Promise<void>((r) => (this.wake = r));
          this.wake = null;
          continue;
        }
        if (m.kind === 'chunk') {
          this.release();
          yield { chunk: m.chunk, id: m.chunkId };
        } else if (m.kind === 'done') {
          this.size = m.size;
          this.ended = true;
          return;
        } else {
          this.ended = true;
          throw new FileReadError(m.reason);
        }
      }
    } finally {
      if (!this.ended) this.abandon();
    }
  }
}

/** A file could not be read; `reason` is the system's code (`EACCES`) or message. */
export class FileReadError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Reading, content-defined cutting and chunk ids (HMAC-SHA-256) of files on threads of
 * their own: the work a backup does on every byte, off the thread that compresses,
 * encrypts and packs. Files go to the threads in turn and come back in the order they were
 * asked for; each thread runs ahead of the backup by at most MAX_IN_FLIGHT chunks (a
 * shared counter it waits on), so asking for the next files early keeps the threads busy
 * across file boundaries. The threads start on first use; idle, they do not keep the
 * process alive.
 */
export class ChunkThread {
  private readonly workers: (Worker | null)[];
  private readonly shared: Int32Array;
  /** Files asked for and not finished, with the thread reading each. */
  private readonly open = new Map<number, { file: FileChunks; thread: number }>();
  private nextId = 1;
  private nextSession = 1;
  private turn = 0;

  constructor(private readonly threads = CHUNK_THREADS) {
    this.workers = Array.from({ length: threads }, () => null);
    this.shared = new Int32Array(new SharedArrayBuffer(4 * (1 + threads)));
  }

  /** A backup's share of the threads: `read` queues files; `close` drops what it did not take. */
  session(keys: ChunkKeys): ChunkSession {
    const session = this.nextSession++;
    const ids: number[] = [];
    return {
      read: (path) => {
        const thread = this.turn;
        this.turn = (this.turn + 1) % this.threads;
        const worker = this.ensure(thread);
        const id = this.nextId++;
        const file = new FileChunks(() => this.release(thread));
        if (!this.busy(thread)) worker.ref(); // a file in flight keeps the process alive
        this.open.set(id, { file, thread });
        ids.push(id);
        const req: ChunkRequest = { id, session, path, keys };
        worker.postMessage(req);
        return file;
      },
      close: () => {
        // Files asked for and not taken: the threads skip them, and what they send is dropped.
        if (Atomics.load(this.shared, LIVE_FROM) <= session) Atomics.store(this.shared, LIVE_FROM, session + 1);
        for (const id of ids) {
          const file = this.open.get(id)?.file;
          file?.abandon();
          file?.fail(new FileReadError('skipped: the backup ended'));
        }
        for (let t = 0; t < this.threads; t++) Atomics.notify(this.shared, inFlightSlot(t));
      },
    };
  }

  private busy(thread: number): boolean {
    for (const o of this.open.values()) if (o.thread === thread) return true;
    return false;
  }

  private release(thread: number): void {
    Atomics.sub(this.shared, inFlightSlot(thread), 1);
    Atomics.notify(this.shared, inFlightSlot(thread));
  }

  private ensure(thread: number): Worker {
    const running = this.workers[thread];
    if (running) return running;
    const { url, data } = workerEntry(import.meta.url, './chunk-worker');
    const w = new Worker(url, { workerData: { ...data, shared: this.shared, slot: inFlightSlot(thread) } });
    w.unref();
    w.on('message', (m: ChunkMessage) => {
      const o = this.open.get(m.id);
      if (o === undefined) {
        if (m.kind === 'chunk') this.release(thread);
        return;
      }
      if (m.kind !== 'chunk') {
        this.open.delete(m.id);
        if (!this.busy(thread)) w.unref();
      }
      o.file.push(m);
    });
    const died = (err: Error): void => {
      if (this.workers[thread] !== w) return;
      this.workers[thread] = null;
      Atomics.store(this.shared, inFlightSlot(thread), 0);
      for (const [id, o] of this.open) {
        if (o.thread !== thread) continue;
        o.file.fail(err);
        this.open.delete(id);
      }
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`chunk thread exited (${code})`)));
    this.workers[thread] = w;
    return w;
  }
}

export interface ChunkSession {
  /** Queues a file; its chunks come in order. Ask early: the thread reads files in the order asked. */
  read(path: string): FileChunks;
  /** The backup is over: files not yet taken are skipped. */
  close(): void;
}

let shared: ChunkThread | null = null;

/** The process's chunk thread. */
export function chunkThread(): ChunkThread {
  shared ??= new ChunkThread();
  return shared;
}
