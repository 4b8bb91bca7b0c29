import { Worker } from 'node:worker_threads';
import { InputError, workerEntry } from '../../core/index.js';

/** A request to the shard thread; `id` pairs it with its answer. */
export type ShardRequest =
  | { readonly id: number; readonly op: 'encode'; readonly packId: Uint8Array; readonly pack: Uint8Array; readonly k: number; readonly n: number; readonly packSha256?: Uint8Array }
  | { readonly id: number; readonly op: 'sha256'; readonly bytes: Uint8Array; readonly returnBytes: boolean };

export type ShardResponse =
  | { readonly id: number; readonly ok: true; readonly shards?: Uint8Array[]; readonly digest?: Uint8Array; readonly bytes?: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly code: string | null; readonly where: string | null; readonly message: string };

type Pending = { resolve: (r: ShardResponse & { ok: true }) => void; reject: (e: Error) => void };

/** True when `bytes` spans its whole buffer, so the buffer can move to another thread. */
function movable(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

/**
 * Erasure coding and pack hashing on a thread of their own, so the backup's main thread
 * (cutting, encrypting, writing) does not wait for parity and SHA-256 over every pack, and
 * no pack is copied to get there: a buffer the caller hands over moves to the thread and
 * the shards move back. One thread per process, started on first use; it does not keep
 * the process alive when idle, and a new one starts if it dies.
 */
export class ShardThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** The n shards of a pack (see `encodePack`). `handOver`: the pack's buffer may move (it is unusable after). */
  async encode(packId: Uint8Array, pack: Uint8Array, k: number, n: number, opts: { packSha256?: Uint8Array; handOver?: boolean } = {}): Promise<Uint8Array[]> {
    const move = opts.handOver === true && movable(pack);
    const r = await this.request({ op: 'encode', packId, pack, k, n, packSha256: opts.packSha256 }, move ? [pack.buffer as ArrayBuffer] : []);
    return r.shards!;
  }

  /**
   * SHA-256 of `bytes`. With `handOver`, the buffer travels to the thread and back: use the
   * returned `bytes`, the ones passed in are detached.
   */
  async sha256(bytes: Uint8Array, opts: { handOver?: boolean } = {}): Promise<{ digest: Uint8Array; bytes: Uint8Array }> {
    const move = opts.handOver === true && movable(bytes);
    const r = await this.request({ op: 'sha256', bytes, returnBytes: move }, move ? [bytes.buffer as ArrayBuffer] : []);
    return { digest: r.digest!, bytes: move ? r.bytes! : bytes };
  }

  private request(body: DistributiveOmit<ShardRequest, 'id'>, transfer: ArrayBuffer[]): Promise<ShardResponse & { ok: true }> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref(); // a request in flight keeps the process alive
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id }, transfer);
    });
  }

  private ensure(): Worker {
    if (this.worker !== null) return this.worker;
    const { url, data } = workerEntry(import.meta.url, './shard-worker');
    const w = new Worker(url, { workerData: data });
    w.unref();
    w.on('message', (res: ShardResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (this.pending.size === 0) w.unref();
      if (res.ok) p.resolve(res);
      else p.reject(res.code !== null ? new InputError(res.code, res.message.replace(`${res.where}: `, ''), res.where ?? undefined) : new Error(res.message));
    });
    const died = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`shard thread exited (${code})`)));
    this.worker = w;
    return w;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let shared: ShardThread | null = null;

/** The process's shard thread. */
export function shardThread(): ShardThread {
  shared ??= new ShardThread();
  return shared;
}
