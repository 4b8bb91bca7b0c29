/**
 * Reed-Solomon over stripes: pure functions on equal-length, 8-aligned regions. The shard file
 * format and its checks live in shard-format.ts; this file only does the linear algebra.
 */
import { mulAdd2Region, mulAddRegion, type Region } from './gf256.js';
import { generatorRow, invert, parityMatrix, type Matrix } from './matrix.js';

// Work in blocks small enough that the output block stays in cache while every source adds
// into it (64 KiB measured a little better than 4–16 KiB with the 128 KiB pair tables).
const BLOCK_BYTES = 64 * 1024;

const parityCache = new Map<string, Matrix>();

export function cachedParityMatrix(k: number, n: number): Matrix {
  const key = `${k}/${n}`;
  let matrix = parityCache.get(key);
  if (!matrix) {
    matrix = parityMatrix(k, n);
    parityCache.set(key, matrix);
  }
  return matrix;
}

/** outputs[o] = Σ_s coefficients[o][s] · sources[s], all regions `length` bytes long. */
export function combine(coefficients: Matrix, sources: readonly Region[], outputs: readonly Region[], length: number): void {
  for (let from = 0; from < length; from += BLOCK_BYTES) {
    const to = Math.min(length, from + BLOCK_BYTES);
    for (let o = 0; o < outputs.length; o++) combineRow(coefficients[o]!, sources, outputs[o]!, from, to);
  }
}

function combineRow(row: readonly number[], sources: readonly Region[], out: Region, from: number, to: number): void {
  out.bytes.fill(0, from, to);
  let pending = -1; // a source with a general coefficient waiting for a partner
  for (let s = 0; s < sources.length; s++) {
    const c = row[s]!;
    if (c === 0) continue;
    if (c === 1) mulAddRegion(1, sources[s]!, out, from, to);
    else if (pending < 0) pending = s;
    else {
      mulAdd2Region(row[pending]!, sources[pending]!, c, sources[s]!, out, from, to);
      pending = -1;
    }
  }
  if (pending >= 0) mulAddRegion(row[pending]!, sources[pending]!, out, from, to);
}

/**
 * Fills the parity regions for shard indices listed in `parityIndices` (each ≥ k) from the
 * k data stripes.
 */
export function encodeParity(
  k: number,
  n: number,
  data: readonly Region[],
  parityIndices: readonly number[],
  parity: readonly Region[],
  length: number,
): void {
  if (parityIndices.length === 0 || k === 0) return;
  const matrix = cachedParityMatrix(k, n);
  combine(parityIndices.map((index) => matrix[index - k]!), data, parity, length);
}

/**
 * Rebuilds the data stripes `missing` from exactly k available shards (any mix of data and
 * parity, distinct indices).
 */
export function reconstructData(
  k: number,
  n: number,
  available: ReadonlyArray<{ readonly index: number; readonly region: Region }>,
  missing: ReadonlyArray<{ readonly index: number; readonly region: Region }>,
  length: number,
): void {
  if (missing.length === 0) return;
  if (available.length !== k) throw new RangeError(`need exactly ${k} shards to reconstruct, got ${available.length}`);
  const parity = cachedParityMatrix(k, n);
  const decode = invert(available.map((shard) => generatorRow(parity, k, shard.index)));
  combine(
    missing.map((shard) => decode[shard.index]!),
    available.map((shard) => shard.region),
    missing.map((shard) => shard.region),
    length,
  );
}
