/**
 * A blocked Bloom filter in front of the matcher's big tables: "certainly not held" for almost
 * every value an event shows, from one cache line. With a million indicators the tables are
 * tens of MiB, and a Map lookup that misses still walks a bucket and an entry chain in memory
 * the Sigma rules have just evicted (three or four cache misses per value); the filter's bits
 * are a few MiB and one probe touches one 64-byte block.
 *
 * False positives only cost the Map lookup they would have made anyway; there are no false
 * negatives. It grows (rebuilt from the held keys) to keep about 16 bits per key, which gives
 * about 1 % false positives with two bits per key inside a 512-bit block.
 */
export class KeyFilter {
  private bits: Uint32Array;
  /** Number of 512-bit blocks minus one (a power of two minus one). */
  private blockMask: number;
  private held = 0;

  constructor(expected = 0) {
    const blocks = blocksFor(expected);
    this.bits = new Uint32Array(blocks * 16);
    this.blockMask = blocks - 1;
  }

  /** Keys added (with repeats). */
  get size(): number {
    return this.held;
  }

  /** Adds a key; `all` lists every key held so far (this one included) for when it has to grow. */
  add(key: string | number, all: () => Iterable<string | number>): void {
    this.held++;
    if (this.held * BITS_PER_KEY > this.bits.length * 32) {
      const blocks = blocksFor(this.held * 2);
      this.bits = new Uint32Array(blocks * 16);
      this.blockMask = blocks - 1;
      for (const k of all()) this.set(hashOf(k));
      return;
    }
    this.set(hashOf(key));
  }

  /** False when the key was certainly never added. */
  has(key: string | number): boolean {
    return this.test(hashOf(key));
  }

  hasText(key: string): boolean {
    return this.test(textHash(key));
  }

  // The block comes from the hash's low bits, the two bits from the high bits of its product
  // with an odd constant (which depend on all of it, not on the same low bits again).
  private set(h: number): void {
    const base = (h & this.blockMask) << 4;
    const g = Math.imul(h, 0x9e3779b1) >>> 0;
    const a = g >>> 23;
    const b = (g >>> 14) & 511;
    this.bits[base + (a >>> 5)]! |= 1 << (a & 31);
    this.bits[base + (b >>> 5)]! |= 1 << (b & 31);
  }

  private test(h: number): boolean {
    const base = (h & this.blockMask) << 4;
    const g = Math.imul(h, 0x9e3779b1) >>> 0;
    const a = g >>> 23;
    const b = (g >>> 14) & 511;
    return (this.bits[base + (a >>> 5)]! & (1 << (a & 31))) !== 0 && (this.bits[base + (b >>> 5)]! & (1 << (b & 31))) !== 0;
  }
}

const BITS_PER_KEY = 16;

function blocksFor(keys: number): number {
  const want = Math.max(1, Math.ceil((keys * BITS_PER_KEY) / 512));
  let blocks = 1;
  while (blocks < want) blocks *= 2;
  return blocks;
}

function hashOf(key: string | number): number {
  return typeof key === 'number' ? numberHash(key) : textHash(key);
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser (the block index takes low bits). */
function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

function numberHash(n: number): number {
  // Keys are unsigned 32-bit network numbers; any other number hashes as its text.
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? fmix(n | 0) : textHash(String(n));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
