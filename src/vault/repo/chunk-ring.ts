/**
 * Chunks on their way from a thread to the main thread: a ring of shared memory the thread
 * writes each chunk into and the main thread reads it from in place, giving the room back
 * once done with it. A backup's chunk thread cuts chunks into one (room back once the chunk
 * is sealed in a pack, or found stored already); a restore's chunk-opening thread opens
 * chunks into one (room back once the chunk is written to its file).
 *
 * Why not a fresh ArrayBuffer per chunk, moved to the main thread: about a megabyte of
 * memory outside the JS heap per chunk made V8 collect for "external memory pressure" a few
 * hundred times per thread and backup (half a CPU-second per chunk thread measured, plus the
 * main thread's share), and such buffers linger until a collection frees them.
 *
 * One writer (the thread), one reader (the main thread). The writer claims room in order;
 * the reader may finish chunks in any order, and room comes back in claim order, so the
 * free space is always the one stretch after the writer's position.
 */

/** Int32 slot of `control`: bytes the writer may still claim. */
const FREE = 0;

/** The two shared buffers a ring is, as they travel to the chunk thread. */
export interface RingShare {
  readonly bytes: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

/**
 * A ring's size for a chunker whose chunks are at most `max` bytes. A claim costs less than
 * `2 × max` (a chunk, plus at most the tail it skips to start again at the front). While the
 * backup waits for its next chunk, the room taken is at most the `ringHoldLimit(max)` bytes
 * of chunks it holds plus one skipped tail (< max), so more than 2 × max is free: the writer
 * always finds room.
 */
export const ringSize = (max: number): number => 4 * max;

/** Bytes of a ring's chunks the backup may hold (queued, compressing) while it waits for more. */
export const ringHoldLimit = (max: number): number => ringSize(max) - 3 * max;

export function newRing(size: number): RingShare {
  const share = { bytes: new SharedArrayBuffer(size), control: new SharedArrayBuffer(4) };
  new Int32Array(share.control)[FREE] = size;
  return share;
}

/** The chunk thread's end. */
export class RingWriter {
  private readonly bytes: Uint8Array;
  private readonly control: Int32Array;
  private at = 0;

  constructor(share: RingShare) {
    this.bytes = new Uint8Array(share.bytes);
    this.control = new Int32Array(share.control);
  }

  /**
   * Copies `chunk` in once there is room, waiting for the reader; where it went and the
   * room it took. Null when `stop()` turns true while waiting (checked at least every second).
   */
  put(chunk: Uint8Array, stop: () => boolean): { at: number; charge: number } | null {
    const room = this.claim(chunk.length, stop);
    if (room === null) return null;
    room.bytes.set(chunk);
    return { at: room.at, charge: room.charge };
  }

  /** As `put`, for a writer that fills the room itself (decompressing straight into it). */
  claim(n: number, stop: () => boolean): { bytes: Uint8Array; at: number; charge: number } | null {
    const size = this.bytes.length;
    if (n > size) throw new RangeError(`chunk of ${n} bytes does not fit a ring of ${size}`);
    const wraps = this.at + n > size;
    const at = wraps ? 0 : this.at;
    const charge = wraps ? size - this.at + n : n;
    for (;;) {
      if (stop()) return null;
      const free = Atomics.load(this.control, FREE);
      if (free >= charge) break;
      Atomics.wait(this.control, FREE, free, 1000);
    }
    Atomics.sub(this.control, FREE, charge);
    this.at = at + n;
    return { bytes: this.bytes.subarray(at, at + n), at, charge };
  }
}

/** The main thread's end: views of the chunks, and their room given back in claim order. */
export class RingReader {
  private readonly control: Int32Array;
  /** Claims not yet given back, oldest first; `done` once their chunk was released. */
  private readonly claims: { charge: number; done: boolean }[] = [];
  private head = 0;

  constructor(private readonly share: RingShare) {
    this.control = new Int32Array(share.control);
  }

  /** The chunk the writer put at `at`; `release` gives its room back (once; later calls do nothing). */
  take(at: number, length: number, charge: number): { bytes: Uint8Array; release: () => void } {
    const claim = { charge, done: false };
    this.claims.push(claim);
    return {
      bytes: new Uint8Array(this.share.bytes, at, length),
      release: () => {
        if (claim.done) return;
        claim.done = true;
        this.giveBack();
      },
    };
  }

  /** Wakes a writer waiting for room (to see that it should stop). */
  wake(): void {
    Atomics.notify(this.control, FREE);
  }

  private giveBack(): void {
    let room = 0;
    while (this.head < this.claims.length && this.claims[this.head]!.done) room += this.claims[this.head++]!.charge;
    if (this.head > 64 && this.head * 2 > this.claims.length) {
      this.claims.splice(0, this.head);
      this.head = 0;
    }
    if (room === 0) return;
    Atomics.add(this.control, FREE, room);
    Atomics.notify(this.control, FREE);
  }
}
