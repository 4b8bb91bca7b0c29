/**
 * Arithmetic in GF(2^8) with the reducing polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and
 * generator 2 — the field of most Reed-Solomon storage codes (ISA-L, Backblaze, zfec).
 * Addition is XOR; multiplication goes through log/exp tables for scalars and through
 * per-coefficient lookup tables for whole regions of bytes.
 */

export const FIELD_POLYNOMIAL = 0x11d;

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);

(function buildTables(): void {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= FIELD_POLYNOMIAL;
  }
  // Doubled so that EXP[LOG[a] + LOG[b]] needs no modulo.
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
})();

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('0 has no inverse in GF(2^8)');
  return EXP[255 - LOG[a]!]!;
}

export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

// Multiplying by c is linear over GF(2), so a table of c·v for every v does a byte in one
// load. The 16-bit tables (128 KiB) multiply two bytes per load, which measured about 30 %
// faster than four 8-bit lookups per 32-bit word; they are cached per coefficient, so at
// most 255 × 128 KiB in the worst case and a handful in practice.
const byteTables = new Map<number, Uint8Array>();
const pairTables = new Map<number, Uint16Array>();

export function byteTable(c: number): Uint8Array {
  let table = byteTables.get(c);
  if (!table) {
    table = new Uint8Array(256);
    for (let v = 1; v < 256; v++) table[v] = gfMul(c, v);
    byteTables.set(c, table);
  }
  return table;
}

export function pairTable(c: number): Uint16Array {
  let table = pairTables.get(c);
  if (!table) {
    const bytes = byteTable(c);
    table = new Uint16Array(65536);
    for (let hi = 0; hi < 256; hi++) {
      const high = bytes[hi]! << 8;
      const base = hi << 8;
      for (let lo = 0; lo < 256; lo++) table[base | lo] = high | bytes[lo]!;
    }
    pairTables.set(c, table);
  }
  return table;
}

/**
 * A stripe seen as 32-bit words (for table lookups) and 64-bit words (for XOR). Stripe
 * lengths are multiples of 8 and payloads start 8-aligned, so both views cover every byte.
 * Byte order does not matter: every lane is multiplied on its own.
 */
export interface Region {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  readonly longs: BigUint64Array;
}

export function region(bytes: Uint8Array): Region {
  if (bytes.byteOffset % 8 !== 0 || bytes.length % 8 !== 0) {
    throw new RangeError(`region must be 8-aligned with a length multiple of 8 (offset ${bytes.byteOffset}, length ${bytes.length})`);
  }
  return {
    bytes,
    words: new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2),
    longs: new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 3),
  };
}

/** dst ^= c · src over byte range [from, to) (both multiples of 8). */
export function mulAddRegion(c: number, src: Region, dst: Region, from: number, to: number): void {
  if (c === 0) return;
  if (c === 1) {
    xorLongs(src.longs, dst.longs, from >>> 3, to >>> 3);
    return;
  }
  mulAddWords(pairTable(c), src.words, dst.words, from >>> 2, to >>> 2);
}

/**
 * dst ^= a · srcA ^ b · srcB over byte range [from, to), for a, b ∉ {0, 1}: two sources per
 * pass load and store the destination half as often (measured about 20 % faster).
 */
export function mulAdd2Region(a: number, srcA: Region, b: number, srcB: Region, dst: Region, from: number, to: number): void {
  mulAdd2Words(pairTable(a), srcA.words, pairTable(b), srcB.words, dst.words, from >>> 2, to >>> 2);
}

function xorLongs(src: BigUint64Array, dst: BigUint64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[i] ^= src[i]!;
}

function mulAddWords(table: Uint16Array, src: Uint32Array, dst: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const w = src[i]!;
    dst[i] ^= table[w & 0xffff]! | (table[w >>> 16]! << 16);
  }
}

function mulAdd2Words(
  tableA: Uint16Array,
  srcA: Uint32Array,
  tableB: Uint16Array,
  srcB: Uint32Array,
  dst: Uint32Array,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const v = srcA[i]!;
    const w = srcB[i]!;
    dst[i] ^= (tableA[v & 0xffff]! | (tableA[v >>> 16]! << 16)) ^ (tableB[w & 0xffff]! | (tableB[w >>> 16]! << 16));
  }
}
