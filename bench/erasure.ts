/**
 * bench/erasure — Reed-Solomon speed of the vault's shard coding (src/vault/erasure), in MB/s
 * of pack bytes, next to a plain Buffer.from(data) copy of the same pack as the ceiling.
 *
 *   encode          encodePack: split, parity, SHA-256 of the pack and of every shard payload
 *   decode (worst)  decodePack with the first n−k shards missing (the most data to rebuild),
 *                   which also checks every used shard's SHA-256 and the rebuilt pack's
 *   parity only / rebuild only: the Reed-Solomon arithmetic alone, without hashing
 *   (SHA-256 alone is printed too: the hashes the format requires bound the end-to-end figures)
 *
 * One thread. Figures are printed, never asserted.
 *
 *   cd /work/main && npx tsx bench/erasure.ts        (env: MIB=32 pack size, SECONDS=1 per figure)
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodePack, encodePack } from '../src/vault/erasure/index.js';
import { encodeParity, reconstructData } from '../src/vault/erasure/codec.js';
import { region } from '../src/vault/erasure/gf256.js';
import { stripeLengthFor } from '../src/vault/erasure/shard-format.js';

const MIB = Number(process.env.MIB ?? 32);
const SECONDS = Number(process.env.SECONDS ?? 1);
const CODES: ReadonlyArray<readonly [number, number]> = [[2, 3], [3, 5], [4, 6], [6, 9], [10, 14]];

const pack = randomBytes(MIB * 1024 * 1024);
const packId = randomBytes(32);
let sink = 0;

/** MB/s of pack bytes: repeats `work` for about SECONDS after one warm-up run. */
function rate(work: () => number): number {
  sink += work();
  let rounds = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000 || rounds < 2) {
    sink += work();
    rounds++;
  }
  return (rounds * pack.length) / 1e6 / ((performance.now() - started) / 1000);
}

function stripesOf(k: number): { regions: ReturnType<typeof region>[]; length: number } {
  const length = stripeLengthFor(pack.length, k);
  const all = new Uint8Array(length * k);
  all.set(pack);
  return { regions: Array.from({ length: k }, (_, j) => region(all.subarray(j * length, (j + 1) * length))), length };
}

function arithmetic(k: number, n: number): { parity: number; rebuild: number } {
  const { regions, length } = stripesOf(k);
  const parityIndices = Array.from({ length: n - k }, (_, i) => k + i);
  const parity = parityIndices.map(() => region(new Uint8Array(length)));
  const parityRate = rate(() => (encodeParity(k, n, regions, parityIndices, parity, length), parity.length));
  const lost = Math.min(n - k, k);
  const available = [
    ...regions.slice(lost).map((r, i) => ({ index: lost + i, region: r })),
    ...parity.slice(0, lost).map((r, i) => ({ index: k + i, region: r })),
  ];
  const missing = Array.from({ length: lost }, (_, j) => ({ index: j, region: region(new Uint8Array(length)) }));
  const rebuildRate = rate(() => (reconstructData(k, n, available, missing, length), missing.length));
  return { parity: parityRate, rebuild: rebuildRate };
}

const copyRate = rate(() => Buffer.from(pack).length);
// Encoding hashes the pack once and every payload once (1 + n/k pack lengths); decoding hashes
// k payloads and the pack (2 pack lengths), so SHA-256 bounds both.
const hashRate = rate(() => createHash('sha256').update(pack).digest().length);
console.log(`pack ${MIB} MiB, ${SECONDS}s per figure; ceiling: Buffer.from copy ${copyRate.toFixed(0)} MB/s; SHA-256 alone ${hashRate.toFixed(0)} MB/s\n`);
console.log('code      encode MB/s (×copy)   decode worst MB/s (×copy)   parity only   rebuild only   storage');
for (const [k, n] of CODES) {
  const shards = encodePack(packId, pack, k, n);
  const encode = rate(() => encodePack(packId, pack, k, n).length);
  const worst = shards.map((s, i) => (i < n - k ? null : s));
  const decode = rate(() => decodePack(worst, { packId }).length);
  const { parity, rebuild } = arithmetic(k, n);
  const cells = [
    `${k}-of-${n}`.padEnd(9),
    `${encode.toFixed(0).padStart(6)} (${(encode / copyRate).toFixed(2)})`.padEnd(21),
    `${decode.toFixed(0).padStart(6)} (${(decode / copyRate).toFixed(2)})`.padEnd(27),
    `${parity.toFixed(0).padStart(6)}`.padEnd(13),
    `${rebuild.toFixed(0).padStart(6)}`.padEnd(14),
    `${(n / k).toFixed(2)}×`,
  ];
  console.log(cells.join(' '));
}
if (sink < 0) console.log(sink);
