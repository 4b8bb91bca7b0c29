import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../core/index.js';
import type { ChunkerParams } from './chunker.js';
import { RingReader, newRing, ringSize, type RingShare } from './chunk-ring.js';

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
  /** The session's ring for this thread: where its chunks go. */
  readonly ring: RingShare;
}

export type ChunkMessage =
  /** A chunk at `at` in the ring, `charge` bytes of room taken (see RingWriter.put). */
  | { readonly id: number; readonly kind: 'chunk'; readonly at: number; readonly length: number; readonly charge: number; readonly chunkId: Uint8Array }
  | { readonly id: number; readonly kind: 'done'; readonly size: number }
  | { readonly id: number; readonly kind: 'error'; readonly reason: string };

/** SAB slot: the lowest session still wanted. */
export const LIVE_FROM = 0;
/**
 * Files read at once. Two keep the disk busy while a thread cuts what it read (a cold read
 * otherwise stalls every stage after it) and spread the cutting over two cores; restic
 * reads two files at a time too.
 */
export const CHUNK_THREADS = 2;

/**
 * A chunk as the thread cut it: a view of the thread's ring, with its id (keyed HMAC).
 * `release` must be called once the bytes are no longer needed (sealed, or found stored):
 * until then the thread cannot reuse their room, and after it they may change at any time.
 */
export interface ThreadChunk {
  readonly chunk: Uint8Array;
  readonly id: Uint8Array;
  readonly release: () => void;
}

/** One file's chunks as the thread sends them, in order. */
export class FileChunks implements AsyncIterable<ThreadChunk> {
  /** Bytes read, once the whole file has been. */
  size = 0;
  private readonly queue: (ThreadChunk | Exclude<ChunkMessage, { kind: 'chunk' }>)[] = [];
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  private ended = false;
  private abandoned = false;

  /** From the thread. */
  push(m: ThreadChunk | Exclude<ChunkMessage, { kind: 'chunk' }>): void {
    if (this.abandoned) {
      if ('release' in m) m.release();
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
    for (const m of this.queue) if ('release' in m) m.release();
    this.queue.length = 0;
  }

  get finished(): boolean {
    return this.ended;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ThreadChunk> {
    try {
      for (;;) {
        const m = this.queue.shift();
        if (m === undefined) {
          if (this.failed) throw this.failed;
          await new Promise<void>((r) => (this.wake = r));
          this.wake = null;
          continue;
        }
        if ('release' in m) {
          yield m;
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
 * asked for. Each session gives each thread a ring of shared memory (chunk-ring.ts) that
 * its chunks are cut into and read from in place; a thread runs ahead of the backup until
 * its ring is full, so asking for the next files early keeps the threads busy across file
 * boundaries. The threads start on first use; idle, they do not keep the process alive.
 */
export class ChunkThread {
  private readonly workers: (Worker | null)[];
  private readonly shared: Int32Array;
  /** Files asked for and not finished, with the thread reading each and that thread's ring. */
  private readonly open = new Map<number, { file: FileChunks; thread: number; ring: RingReader }>();
  private nextId = 1;
  private nextSession = 1;
  private turn = 0;

  constructor(private readonly threads = CHUNK_THREADS) {
    this.workers = Array.from({ length: threads }, () => null);
    this.shared = new Int32Array(new SharedArrayBuffer(4));
  }

  /** A backup's share of the threads: `read` queues files; `close` drops what it did not take. */
  session(keys: ChunkKeys): ChunkSession {
    const session = this.nextSession++;
    const ids: number[] = [];
    // A ring per session and thread: a backup that fails with chunks still held leaves
    // nothing behind for the next. A thread that died is replaced with a fresh ring too: what
    // it had claimed and not sent would never come back.
    const rings: ({ share: RingShare; reader: RingReader; worker: Worker } | null)[] = Array.from({ length: this.threads }, () => null);
    const ringFor = (thread: number, worker: Worker): { share: RingShare; reader: RingReader; worker: Worker } => {
      const r = rings[thread];
      if (r?.worker === worker) return r;
      const share = newRing(ringSize(keys.chunker.max));
      return (rings[thread] = { share, reader: new RingReader(share), worker });
    };
    return {
      read: (path) => {
        const thread = this.turn;
        this.turn = (this.turn + 1) % this.threads;
        const worker = this.ensure(thread);
        const ring = ringFor(thread, worker);
        const id = this.nextId++;
        const file = new FileChunks();
        if (!this.busy(thread)) worker.ref(); // a file in flight keeps the process alive
        this.open.set(id, { file, thread, ring: ring.reader });
        ids.push(id);
        const req: ChunkRequest = { id, session, path, keys, ring: ring.share };
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
        for (const r of rings) r?.reader.wake();
      },
    };
  }

  private busy(thread: number): boolean {
    for (const o of this.open.values()) if (o.thread === thread) return true;
    return false;
  }

  private ensure(thread: number): Worker {
    const running = this.workers[thread];
    if (running) return running;
    const { url, data } = workerEntry(import.meta.url, './chunk-worker');
    const w = new Worker(url, { workerData: { ...data, shared: this.shared } });
    w.unref();
    w.on('message', (m: ChunkMessage) => {
      const o = this.open.get(m.id);
      if (o === undefined) return; // the thread died meanwhile: its session's rings are dropped with it
      if (m.kind === 'chunk') {
        const { bytes, release } = o.ring.take(m.at, m.length, m.charge);
        o.file.push({ chunk: bytes, id: m.chunkId, release });
        return;
      }
      this.open.delete(m.id);
      if (!this.busy(thread)) w.unref();
      o.file.push(m);
    });
    const died = (err: Error): void => {
      if (this.workers[thread] !== w) return;
      this.workers[thread] = null;
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
