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

/** SAB slots: chunks sent and not yet taken; the lowest session still wanted. */
export const IN_FLIGHT = 0;
export const LIVE_FROM = 1;
/** Chunks the thread may send ahead of the backup: about this many MiB of file data in memory. */
export const MAX_IN_FLIGHT = 12;

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
 * Reading, content-defined cutting and chunk ids (HMAC-SHA-256) of files on a thread of
 * their own: the work a backup does on every byte, off the thread that compresses,
 * encrypts and packs. Files are read in the order they are asked for, ahead of the backup
 * by at most MAX_IN_FLIGHT chunks (a shared counter the thread waits on), so asking for
 * the next files early keeps the thread busy across file boundaries. One thread per
 * process, started on first use; idle, it does not keep the process alive.
 */
export class ChunkThread {
  private worker: Worker | null = null;
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private readonly open = new Map<number, FileChunks>();
  private nextId = 1;
  private nextSession = 1;

  /** A backup's share of the thread: `read` queues files; `close` drops what it did not take. */
  session(keys: ChunkKeys): ChunkSession {
    const session = this.nextSession++;
    const ids: number[] = [];
    return {
      read: (path) => {
        const worker = this.ensure();
        const id = this.nextId++;
        const file = new FileChunks(() => this.release());
        if (this.open.size === 0) worker.ref(); // a file in flight keeps the process alive
        this.open.set(id, file);
        ids.push(id);
        const req: ChunkRequest = { id, session, path, keys };
        worker.postMessage(req);
        return file;
      },
      close: () => {
        // Files asked for and not taken: the thread skips them, and what it sends is dropped.
        if (Atomics.load(this.shared, LIVE_FROM) <= session) Atomics.store(this.shared, LIVE_FROM, session + 1);
        for (const id of ids) {
          const file = this.open.get(id);
          file?.abandon();
          file?.fail(new FileReadError('skipped: the backup ended'));
        }
        Atomics.notify(this.shared, IN_FLIGHT);
      },
    };
  }

  private release(): void {
    Atomics.sub(this.shared, IN_FLIGHT, 1);
    Atomics.notify(this.shared, IN_FLIGHT);
  }

  private ensure(): Worker {
    if (this.worker !== null) return this.worker;
    const { url, data } = workerEntry(import.meta.url, './chunk-worker');
    const w = new Worker(url, { workerData: { ...data, shared: this.shared } });
    w.unref();
    w.on('message', (m: ChunkMessage) => {
      const file = this.open.get(m.id);
      if (file === undefined) {
        if (m.kind === 'chunk') this.release();
        return;
      }
      if (m.kind !== 'chunk') {
        this.open.delete(m.id);
        if (this.open.size === 0) w.unref();
      }
      file.push(m);
    });
    const died = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      Atomics.store(this.shared, IN_FLIGHT, 0);
      for (const f of this.open.values()) f.fail(err);
      this.open.clear();
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`chunk thread exited (${code})`)));
    this.worker = w;
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
