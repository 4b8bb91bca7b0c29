import { createCipheriv } from 'node:crypto';
import { InputError } from '../../core/index.js';

/** Chunk size bounds in bytes. `avg` must be a power of two. */
export interface ChunkerParams {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 };

export function checkChunkerParams(p: ChunkerParams, where: string): void {
  const bits = Math.log2(p.avg);
  if (!Number.isInteger(bits) || bits < 6 || bits > 28) {
    throw new InputError('VAULT_CHUNKER', `avg ${p.avg} is not a power of two between 2^6 and 2^28`, where);
  }
  if (!Number.isInteger(p.min) || !Number.isInteger(p.max) || p.min < 64 || p.min >= p.avg || p.max <= p.avg || p.max > 64 * 1024 * 1024) {
    throw new InputError('VAULT_CHUNKER', `need 64 <= min < avg < max <= 64 MiB, got ${p.min}/${p.avg}/${p.max}`, where);
  }
}

/**
 * The gear table: 256 32-bit words from AES-256-CTR under the repository's gear key (zero IV,
 * zero plaintext), so cut points depend on a secret and equal files in two repositories are
 * cut differently.
 */
export function gearTable(gearKey: Uint8Array): Uint32Array {
  const c = createCipheriv('aes-256-ctr', gearKey, Buffer.alloc(16));
  const stream = Buffer.concat([c.update(Buffer.alloc(1024)), c.final()]);
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = stream.readUInt32BE(i * 4);
  return table;
}

/** A mask with `bits` one-bits spread over the high half-words, as FastCDC spreads its masks. */
function spreadMask(bits: number): number {
  // The hash shifts left, so high bits depend on the most recent 32 bytes; take one-bits from
  // the top down, every other position while room remains, for an even spread.
  let mask = 0;
  let placed = 0;
  for (let pos = 31; pos >= 0 && placed < bits; pos -= 2, placed++) mask |= 1 << pos;
  for (let pos = 30; pos >= 0 && placed < bits; pos -= 2, placed++) mask |= 1 << pos;
  return mask >>> 0;
}

/**
 * FastCDC with normalised chunking (level 2): below `avg` a stricter mask (bits+2), above it a
 * looser one (bits-2). Returns the length of the next chunk in `buf[start, end)`; when no cut
 * point is found and `final` is false, returns -1 (need more bytes).
 */
export class FastCdc {
  /** The gear table as signed words: the hash stays a small integer, with no conversions. */
  private readonly gearInt: Int32Array;
  private readonly maskS: number;
  private readonly maskL: number;
  readonly params: ChunkerParams;

  constructor(gearKey: Uint8Array, params: ChunkerParams) {
    checkChunkerParams(params, 'chunker');
    this.params = params;
    this.gearInt = new Int32Array(gearTable(gearKey).buffer);
    const bits = Math.log2(params.avg);
    this.maskS = spreadMask(bits + 2);
    this.maskL = spreadMask(bits - 2);
  }

  cut(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const n = end - start;
    if (n <= this.params.min) return final ? n : -1;
    // without the end of the stream, a cut is certain only once `max` bytes are buffered
    if (n < this.params.max && !final) return -1;
    return this.scan(buf, start, Math.min(end, start + this.params.max));
  }

  /** Length of the chunk at `start`, or `end - start` if no cut point lies before `end`. */
  private scan(buf: Uint8Array, start: number, end: number): number {
    const normal = Math.min(end, start + this.params.avg);
    const i = start + this.params.min;
    const h = { value: 0 };
    const a = scanTo(this.gearInt, buf, i, normal, this.maskS, h);
    if (a >= 0) return a + 1 - start;
    const b = scanTo(this.gearInt, buf, Math.max(i, normal), end, this.maskL, h);
    return b >= 0 ? b + 1 - start : end - start;
  }
}

/**
 * The first position in [from, to) where the rolling gear hash has no bit of `mask` set, or
 * −1; `h` carries the hash across calls. Unrolled by four: the hot loop of every backup.
 */
function scanTo(gear: Int32Array, buf: Uint8Array, from: number, to: number, mask: number, h: { value: number }): number {
  const m = mask | 0; // an int32, not the unsigned double spreadMask gives
  let x = h.value;
  let i = from;
  for (; i + 3 < to; i += 4) {
    x = ((x << 1) + gear[buf[i]!]!) | 0;
    if ((x & m) === 0) return i;
    x = ((x << 1) + gear[buf[i + 1]!]!) | 0;
    if ((x & m) === 0) return i + 1;
    x = ((x << 1) + gear[buf[i + 2]!]!) | 0;
    if ((x & m) === 0) return i + 2;
    x = ((x << 1) + gear[buf[i + 3]!]!) | 0;
    if ((x & m) === 0) return i + 3;
  }
  for (; i < to; i++) {
    x = ((x << 1) + gear[buf[i]!]!) | 0;
    if ((x & m) === 0) return i;
  }
  h.value = x;
  return -1;
}

/**
 * Incremental splitter: push bytes as they come, get back the chunks that are certain.
 * Holds at most about `2 × max` bytes. `push`/`finish` return fresh copies the caller may
 * keep; `pushEach`/`finishEach` hand over views of the splitter's buffer, valid only
 * during the call (no copy, for a caller that copies them elsewhere anyway).
 */
export class ChunkSplitter {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  constructor(private readonly cdc: FastCdc) {
    this.buf = Buffer.allocUnsafe(cdc.params.max * 2);
  }

  push(piece: Uint8Array, out: Uint8Array[] = []): Uint8Array[] {
    this.pushEach(piece, (c) => out.push(Buffer.from(c)));
    return out;
  }

  finish(out: Uint8Array[] = []): Uint8Array[] {
    this.finishEach((c) => out.push(Buffer.from(c)));
    return out;
  }

  pushEach(piece: Uint8Array, take: (view: Uint8Array) => void): void {
    const max = this.cdc.params.max;
    let off = 0;
    while (off < piece.length) {
      if (this.end === this.buf.length) {
        // the unconsumed tail is < max bytes here, so moving it to the front frees >= max
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const n = Math.min(piece.length - off, this.buf.length - this.end);
      this.buf.set(piece.subarray(off, off + n), this.end);
      this.end += n;
      off += n;
      if (this.end - this.start >= max) this.emit(false, take);
    }
  }

  finishEach(take: (view: Uint8Array) => void): void {
    this.emit(true, take);
    this.start = this.end = 0;
  }

  /** Drops what is buffered (a stream that ended in an error), to start on the next. */
  reset(): void {
    this.start = this.end = 0;
  }

  private emit(final: boolean, take: (view: Uint8Array) => void): void {
    while (this.start < this.end) {
      const len = this.cdc.cut(this.buf, this.start, this.end, final);
      if (len < 0) return;
      const at = this.start;
      this.start += len;
      take(this.buf.subarray(at, at + len));
    }
  }
}

/** Cuts a byte stream into content-defined chunks (see ChunkSplitter). */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, cdc: FastCdc): AsyncGenerator<Uint8Array> {
  const splitter = new ChunkSplitter(cdc);
  for await (const piece of source) yield* splitter.push(piece);
  yield* splitter.finish();
}
