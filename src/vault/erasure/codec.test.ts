import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { byteTable, gfDiv, gfInv, gfMul, mulAdd2Region, mulAddRegion, pairTable, region } from './gf256.js';
import { generatorRow, invert, parityMatrix, type Matrix } from './matrix.js';
import { combine, encodeParity, reconstructData } from './codec.js';

/** Carry-less multiply then reduce by 0x11d, bit by bit: an independent reference. */
function slowMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) product ^= a << bit;
  for (let bit = 15; bit >= 8; bit--) if (product & (1 << bit)) product ^= 0x11d << (bit - 8);
  return product;
}

function matMul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0]!.map((_, c) => row.reduce((sum, v, i) => sum ^ gfMul(v, b[i]![c]!), 0)));
}

function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, k)];
}

test('GF(2^8) multiplication agrees with bitwise carry-less multiplication for all 65,536 pairs', () => {
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) assert.equal(gfMul(a, b), slowMul(a, b), `${a}·${b}`);
});

test('every non-zero element has an inverse and division undoes multiplication', () => {
  for (let a = 1; a < 256; a++) {
    assert.equal(gfMul(a, gfInv(a)), 1, `inverse of ${a}`);
    assert.equal(gfDiv(gfMul(a, 0x53), 0x53), a);
  }
  assert.throws(() => gfInv(0), /no inverse/);
});

test('byte and pair tables hold c·v for every v', () => {
  for (const c of [2, 0x1d, 0x8e, 0xff]) {
    const bytes = byteTable(c);
    const pairs = pairTable(c);
    for (let v = 0; v < 256; v++) assert.equal(bytes[v], gfMul(c, v));
    for (const v of [0, 1, 0x1234, 0xabcd, 0xffff]) assert.equal(pairs[v], gfMul(c, v & 0xff) | (gfMul(c, v >>> 8) << 8));
  }
});

test('region multiply-add matches byte-by-byte arithmetic, including sub-ranges', () => {
  const length = 4096;
  const a = region(randomBytes(length).subarray(0).slice());
  const b = region(new Uint8Array(randomBytes(length)));
  for (const c of [1, 2, 0xa7]) {
    const dst = region(new Uint8Array(randomBytes(length)));
    const before = dst.bytes.slice();
    mulAddRegion(c, a, dst, 8, 4000);
    for (let i = 0; i < length; i++) {
      const expected = i >= 8 && i < 4000 ? before[i]! ^ gfMul(c, a.bytes[i]!) : before[i]!;
      assert.equal(dst.bytes[i], expected, `c=${c} byte ${i}`);
    }
  }
  const dst = region(new Uint8Array(length));
  mulAdd2Region(0x35, a, 0xc4, b, dst, 0, length);
  for (let i = 0; i < length; i++) assert.equal(dst.bytes[i], gfMul(0x35, a.bytes[i]!) ^ gfMul(0xc4, b.bytes[i]!));
});

test('regions must be 8-aligned with a length multiple of 8', () => {
  assert.throws(() => region(new Uint8Array(16).subarray(1, 9)), /8-aligned/);
  assert.throws(() => region(new Uint8Array(12)), /multiple of 8/);
});

test('the parity matrix has a first row and column of ones (so one parity shard is plain XOR)', () => {
  for (const [k, n] of [[2, 3], [3, 5], [10, 14], [1, 4]] as const) {
    const p = parityMatrix(k, n);
    assert.equal(p.length, n - k);
    assert.ok(p[0]!.every((c) => c === 1), `${k}-of-${n} row 0`);
    assert.ok(p.every((row) => row[0] === 1), `${k}-of-${n} column 0`);
  }
  // Pinned so that a change to the matrix (and so to the format) cannot pass unnoticed.
  assert.deepEqual(parityMatrix(3, 5), [[1, 1, 1], [1, 0xc4, 0x53]]);
});

test('every k×k choice of generator rows is invertible, and the inverse is exact', () => {
  for (const [k, n] of [[2, 3], [3, 5], [4, 8], [5, 9], [6, 10]] as const) {
    const parity = parityMatrix(k, n);
    for (const rows of subsets(n, k)) {
      const m = rows.map((index) => generatorRow(parity, k, index));
      const identity = m.map((_, r) => m.map((__, c) => (r === c ? 1 : 0)));
      assert.deepEqual(matMul(invert(m), m), identity, `${k}-of-${n} rows ${rows.join(',')}`);
    }
  }
  assert.throws(() => invert([[1, 2], [1, 2]]), /singular/);
});

test('reconstructData rebuilds missing data stripes from any k of n shards (5-of-8, all 56 subsets)', () => {
  const k = 5;
  const n = 8;
  const length = 64;
  const data = Array.from({ length: k }, () => region(new Uint8Array(randomBytes(length))));
  const parity = Array.from({ length: n - k }, () => region(new Uint8Array(length)));
  encodeParity(k, n, data, [5, 6, 7], parity, length);
  const all = [...data, ...parity];
  for (const chosen of subsets(n, k)) {
    const missing = [0, 1, 2, 3, 4].filter((j) => !chosen.includes(j)).map((index) => ({ index, region: region(new Uint8Array(length)) }));
    reconstructData(k, n, chosen.map((index) => ({ index, region: all[index]! })), missing, length);
    for (const m of missing) assert.deepEqual(m.region.bytes, data[m.index]!.bytes, `subset ${chosen.join(',')} stripe ${m.index}`);
  }
});

test('combine handles rows with zero, one and an odd number of general coefficients', () => {
  const length = 200 * 1024; // spans several work blocks, the last one partial
  const sources = Array.from({ length: 4 }, () => region(new Uint8Array(randomBytes(length))));
  const rows: Matrix = [[0, 1, 7, 9], [3, 0, 0, 0], [5, 6, 7, 1]];
  const outputs = rows.map(() => region(new Uint8Array(randomBytes(length))));
  combine(rows, sources, outputs, length);
  for (let o = 0; o < rows.length; o++) {
    for (const i of [0, 1, 65535, 65536, 131072, length - 1]) {
      const expected = rows[o]!.reduce((sum, c, s) => sum ^ gfMul(c, sources[s]!.bytes[i]!), 0);
      assert.equal(outputs[o]!.bytes[i], expected, `row ${o} byte ${i}`);
    }
  }
});
