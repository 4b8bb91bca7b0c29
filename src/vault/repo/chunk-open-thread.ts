import { Worker } from 'node:worker_threads';
import { InputError, workerEntry } from '../../core/index.js';
import { RingReader, newRing, ringSize, type RingShare } from './chunk-ring.js';
import type { PackEntry } from './format.js';

/** A pack handed to the thread: its bytes laid end to end, and what opens its records. */
export interface OpenPackMessage {
  readonly kind: 'pack';
  readonly pack: number;
  readonly pieces: readonly Uint8Array[];
  readonly dataKey: Uint8Array;
  readonly bodyOffset: number;
}

/** The first message: the key chunk ids are checked with, and the ring to open into. */
export interface BeginMessage {
  readonly kind: 'begin';
  readonly idKey: Uint8Array;
  readonly ring: RingShare;
}

export type OpenRequest =
  | BeginMessage
  | OpenPackMessage
  | { readonly kind: 'drop'; readonly pack: number }
  | { readonly kind: 'open'; readonly id: number; readonly pack: number; readonly entry: PackEntry; readonly where: string };

export type OpenReply =
  /** The chunk's plaintext at `at` in the ring, `charge` bytes of room taken. */
  | { readonly id: number; readonly ok: true; readonly at: number; readonly length: number; readonly charge: number }
  | {
      readonly id: number;
      readonly ok: false;
      /** The InputError's code, '' for any other failure. */
      readonly code: string;
      readonly message: string;
      readonly where?: string;
      /** Room the thread had taken before the check failed, to give back. */
      readonly room?: { readonly at: number; readonly charge: number };
    };

/**
 * A chunk's plaintext lent from the thread's ring: `release` must be called once the bytes
 * are written (the thread reuses their room after it, in the order chunks were opened).
 */
export interface ChunkLoan {
  readonly bytes: Buffer;
  readonly release: () => void;
}

/** SAB slot of `control`: 1 once the reader is closed (a thread waiting for room gives up). */
export const CLOSED = 0;

/**
 * Opening chunks (AES-GCM, decompression, the chunk-id HMAC) on a thread of its own, for a
 * restore: the plaintext lands in a ring of shared memory and is written to the file from
 * there. The main thread then only reads packs and writes files, and its heap does not see a
 * megabyte of fresh memory per chunk (decipher output, decompressed bytes, WebCrypto's copy
 * for the HMAC), which made V8 collect every ~50 ms; the thread's own heap is tiny, so its
 * collections cost little. Packs move to the thread (transferred, not copied) and stay there
 * until dropped; chunks are opened in the order asked.
 */
export class ChunkOpenThread {
  private readonly worker: Worker;
  private reader: RingReader | null = null;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, { resolve: (l: ChunkLoan) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failed: Error | null = null;
  private closing: Promise<void> | null = null;

  /**
   * Starts the thread; `begin` gives it its key. A thread takes 0.1–0.2 s to boot, so a
   * restore starts its threads first and recovers the custodians' key meanwhile.
   */
  constructor() {
    const { url, data } = workerEntry(import.meta.url, './chunk-open-worker');
    this.worker = new Worker(url, { workerData: { ...data, control: this.control } });
    this.worker.unref();
    this.worker.on('message', (m: OpenReply) => this.settle(m));
    const died = (err: Error): void => {
      this.failed ??= err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', died);
    this.worker.on('exit', (code) => died(new Error(`chunk-opening thread exited (${code})`)));
  }

  /** Whether `begin` was called. */
  get begun(): boolean {
    return this.reader !== null;
  }

  /** Gives the thread the repository's chunk-id key and a ring sized for its largest chunk. */
  begin(idKey: Uint8Array, maxChunk: number): void {
    if (this.reader !== null) throw new Error('chunk-opening thread already begun');
    const ring = newRing(ringSize(maxChunk));
    this.reader = new RingReader(ring);
    const m: OpenRequest = { kind: 'begin', idKey, ring };
    this.worker.postMessage(m);
  }

  /** Hands a pack over: its pieces' memory moves to the thread (unusable here after). */
  sendPack(pack: number, pieces: readonly Uint8Array[], dataKey: Uint8Array, bodyOffset: number): void {
    const transfer = new Set<ArrayBuffer>();
    const sent = pieces.map((p) => {
      // Small buffers may share Node's pool with unrelated ones: copy those instead.
      if (p.buffer instanceof ArrayBuffer && p.buffer.byteLength > Buffer.poolSize) {
        transfer.add(p.buffer);
        return p;
      }
      return p.buffer instanceof ArrayBuffer ? p.slice() : p;
    });
    const m: OpenPackMessage = { kind: 'pack', pack, pieces: sent, dataKey, bodyOffset };
    this.worker.postMessage(m, [...transfer]);
  }

  dropPack(pack: number): void {
    const m: OpenRequest = { kind: 'drop', pack };
    this.worker.postMessage(m);
  }

  /** Opens one record of a pack sent before; fails with the InputError the checks raised. */
  open(pack: number, entry: PackEntry, where: string): Promise<ChunkLoan> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref(); // a chunk in flight keeps the process alive
    const p = new Promise<ChunkLoan>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    const m: OpenRequest = { kind: 'open', id, pack, entry, where };
    this.worker.postMessage(m);
    return p;
  }

  /** Ends the thread; chunks still lent stay readable until released, others are refused. */
  close(): Promise<void> {
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<void> {
    Atomics.store(this.control, CLOSED, 1);
    this.reader?.wake();
    this.failed ??= new Error('chunk-opening thread closed');
    // Held until it has exited: an unref'd worker's exit may never come back to a loop
    // with nothing else to do, and the restore awaiting it would never settle.
    this.worker.ref();
    await this.worker.terminate();
  }

  private settle(m: OpenReply): void {
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (w === undefined) return;
    if (m.ok) {
      const { bytes, release } = this.reader!.take(m.at, m.length, m.charge);
      w.resolve({ bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), release });
    } else {
      if (m.room) this.reader!.take(m.room.at, 0, m.room.charge).release();
      w.reject(m.code === '' ? new Error(m.message) : new InputError(m.code, m.message, m.where));
    }
  }
}

/**
 * Chunk-opening threads of a restore. Each pack goes to one of them in turn, so while the
 * files of one pack are written the next pack is already being opened on the other.
 */
export const OPEN_THREADS = 2;

/** Threads for one restore, started before its keys are known (see the constructor). */
export function startChunkOpeners(): ChunkOpenThread[] {
  return Array.from({ length: OPEN_THREADS }, () => new ChunkOpenThread());
}
