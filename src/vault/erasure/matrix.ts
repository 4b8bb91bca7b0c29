/**
 * The coding matrix and its inverses. Rows 0..k-1 of the n×k generator are the identity
 * (systematic: data shards are the data); rows k..n-1 are an "extended" Cauchy matrix.
 *
 * Every square submatrix of a Cauchy matrix C[i][j] = 1 / (x_i + y_j) with distinct x's and
 * y's is nonsingular, and scaling rows or columns by non-zero constants keeps that true. So
 * any k rows of [I; P] form an invertible matrix: any k shards rebuild the pack. We scale so
 * that P's first row and first column are all 1: then one parity shard (2-of-3, 4-of-5…) is a
 * plain XOR of the data, the fastest case, and the most common one.
 */
import { gfDiv, gfInv, gfMul } from './gf256.js';

export type Matrix = number[][];

/** P[i][j] for parity shard k+i and data stripe j, 0 ≤ i < n-k, 0 ≤ j < k. */
export function parityMatrix(k: number, n: number): Matrix {
  // x_i = k + i and y_j = j are distinct because every x is ≥ k > every y; all are < n ≤ 255.
  const cauchy = (i: number, j: number): number => gfInv((k + i) ^ j);
  const rows: Matrix = [];
  for (let i = 0; i < n - k; i++) {
    const row: number[] = [];
    for (let j = 0; j < k; j++) {
      // C[i][j] · C[0][0] / (C[0][j] · C[i][0]): row 0 and column 0 become 1.
      row.push(gfDiv(gfMul(cauchy(i, j), cauchy(0, 0)), gfMul(cauchy(0, j), cauchy(i, 0))));
    }
    rows.push(row);
  }
  return rows;
}

/** Row `index` of the n×k generator matrix. */
export function generatorRow(parity: Matrix, k: number, index: number): number[] {
  if (index < k) return Array.from({ length: k }, (_, j) => (j === index ? 1 : 0));
  return [...parity[index - k]!];
}

/** Gauss-Jordan inverse over GF(2^8); throws if singular (never, for rows of the generator). */
export function invert(matrix: Matrix): Matrix {
  const size = matrix.length;
  const work = matrix.map((row, r) => [...row, ...Array.from({ length: size }, (_, c) => (c === r ? 1 : 0))]);
  for (let col = 0; col < size; col++) {
    const pivot = work.findIndex((row, r) => r >= col && row[col] !== 0);
    if (pivot < 0) throw new RangeError(`matrix is singular at column ${col}`);
    [work[col], work[pivot]] = [work[pivot]!, work[col]!];
    const pivotRow = work[col]!;
    const scale = gfInv(pivotRow[col]!);
    for (let c = 0; c < 2 * size; c++) pivotRow[c] = gfMul(pivotRow[c]!, scale);
    for (let r = 0; r < size; r++) {
      const row = work[r]!;
      const factor = row[col]!;
      if (r === col || factor === 0) continue;
      for (let c = 0; c < 2 * size; c++) row[c] = row[c]! ^ gfMul(factor, pivotRow[c]!);
    }
  }
  return work.map((row) => row.slice(size));
}
