/**
 * The shard file: a fixed 160-byte header, then the payload (one stripe). Byte by byte in
 * docs/vault-format-shards.md; integers are little-endian.
 *
 *   0   8  magic "LFVSHARD"            64  32  SHA-256 of the payload
 *   8   2  format version (1)          96  32  SHA-256 of the whole pack
 *  10   2  header length (160)        128  32  SHA-256 of header bytes 0..127
 *  12   1  k    13  1  n    14  1  shard index    15  1  coding (1)
 *  16   8  pack length                 24   8  stripe length
 *  32  32  pack id                    160   …  payload (stripe length bytes)
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../core/index.js';

export const SHARD_MAGIC = Uint8Array.from([0x4c, 0x46, 0x56, 0x53, 0x48, 0x41, 0x52, 0x44]); // "LFVSHARD"
export const SHARD_FORMAT_VERSION = 1;
export const SHARD_HEADER_LENGTH = 160;
/** Systematic Reed-Solomon over GF(2^8)/0x11d with the extended Cauchy parity matrix. */
export const CODING_RS_GF256_CAUCHY = 1;
export const PACK_ID_LENGTH = 32;
export const MAX_SHARDS = 255;
/** Stripes are padded to a multiple of this, so that word-wise loops cover every byte. */
export const STRIPE_ALIGNMENT = 8;

const CHECKED_HEADER_LENGTH = 128;

export interface ShardHeader {
  readonly formatVersion: number;
  readonly headerLength: number;
  /** Any k shards of the pack rebuild it. */
  readonly k: number;
  /** Shards in all: k data shards (index < k), then n − k parity shards. */
  readonly n: number;
  readonly index: number;
  readonly coding: number;
  readonly packId: Uint8Array;
  readonly packLength: number;
  readonly stripeLength: number;
  readonly payloadSha256: Uint8Array;
  readonly packSha256: Uint8Array;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

export function hex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Byte equality through memcmp: shards are megabytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && asBuffer(a).equals(asBuffer(b));
}

/** The stripe length the format requires: ⌈packLength / k⌉ rounded up to a multiple of 8. */
export function stripeLengthFor(packLength: number, k: number): number {
  return Math.ceil(packLength / (k * STRIPE_ALIGNMENT)) * STRIPE_ALIGNMENT;
}

export function checkCoding(k: number, n: number, where: string): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_SHARDS) {
    throw new InputError('VAULT_SHARD_BAD_K', `k must be an integer from 1 to ${MAX_SHARDS}; got ${k}`, where);
  }
  if (!Number.isInteger(n) || n < k || n > MAX_SHARDS) {
    throw new InputError('VAULT_SHARD_BAD_N', `n must be an integer from k (${k}) to ${MAX_SHARDS}; got ${n}`, where);
  }
}

/** Writes the header into shard[0..160); the payload must already be in place. */
export function writeShardHeader(shard: Uint8Array, header: Omit<ShardHeader, 'formatVersion' | 'headerLength' | 'coding'>): void {
  const view = new DataView(shard.buffer, shard.byteOffset, SHARD_HEADER_LENGTH);
  shard.set(SHARD_MAGIC, 0);
  view.setUint16(8, SHARD_FORMAT_VERSION, true);
  view.setUint16(10, SHARD_HEADER_LENGTH, true);
  shard[12] = header.k;
  shard[13] = header.n;
  shard[14] = header.index;
  shard[15] = CODING_RS_GF256_CAUCHY;
  view.setBigUint64(16, BigInt(header.packLength), true);
  view.setBigUint64(24, BigInt(header.stripeLength), true);
  shard.set(header.packId, 32);
  shard.set(header.payloadSha256, 64);
  shard.set(header.packSha256, 96);
  shard.set(sha256(shard.subarray(0, CHECKED_HEADER_LENGTH)), CHECKED_HEADER_LENGTH);
}

/**
 * Reads and checks everything but the payload hash: magic, version, header checksum, the
 * coding parameters, the lengths and that the payload is all there. Throws InputError naming
 * the check that failed; `where` is prefixed to the message (e.g. "shard 2").
 */
export function parseShardHeader(shard: Uint8Array, where = 'shard'): ShardHeader {
  if (shard.length < 12) {
    throw new InputError('VAULT_SHARD_TRUNCATED', `is ${shard.length} bytes, too short to hold a shard header (${SHARD_HEADER_LENGTH} bytes)`, where);
  }
  if (!sameBytes(shard.subarray(0, 8), SHARD_MAGIC)) {
    throw new InputError('VAULT_SHARD_BAD_MAGIC', `does not start with the magic "LFVSHARD" (found ${hex(shard.subarray(0, 8))}): not a Lianfang shard`, where);
  }
  const view = new DataView(shard.buffer, shard.byteOffset, shard.length);
  const formatVersion = view.getUint16(8, true);
  if (formatVersion !== SHARD_FORMAT_VERSION) {
    throw new InputError(
      'VAULT_SHARD_VERSION',
      `has format version ${formatVersion}; this reader knows version ${SHARD_FORMAT_VERSION} only (a newer Lianfang wrote it, or the header is corrupt)`,
      where,
    );
  }
  const headerLength = view.getUint16(10, true);
  if (headerLength !== SHARD_HEADER_LENGTH) {
    throw new InputError('VAULT_SHARD_HEADER_LENGTH', `declares a header of ${headerLength} bytes; version 1 headers are ${SHARD_HEADER_LENGTH}`, where);
  }
  if (shard.length < SHARD_HEADER_LENGTH) {
    throw new InputError('VAULT_SHARD_TRUNCATED', `is ${shard.length} bytes, shorter than its ${SHARD_HEADER_LENGTH}-byte header`, where);
  }
  const stored = shard.subarray(CHECKED_HEADER_LENGTH, SHARD_HEADER_LENGTH);
  if (!sameBytes(sha256(shard.subarray(0, CHECKED_HEADER_LENGTH)), stored)) {
    throw new InputError('VAULT_SHARD_HEADER_HASH', 'header checksum (bytes 128..159) does not match bytes 0..127: the header is corrupt', where);
  }
  return checkHeaderFields(shard, view, where);
}

function checkHeaderFields(shard: Uint8Array, view: DataView, where: string): ShardHeader {
  const k = shard[12]!;
  const n = shard[13]!;
  const index = shard[14]!;
  const coding = shard[15]!;
  checkCoding(k, n, where);
  if (index >= n) throw new InputError('VAULT_SHARD_BAD_INDEX', `has shard index ${index}, but a ${k}-of-${n} pack has indices 0..${n - 1}`, where);
  if (coding !== CODING_RS_GF256_CAUCHY) {
    throw new InputError('VAULT_SHARD_CODING', `uses coding ${coding}; this reader knows coding ${CODING_RS_GF256_CAUCHY} (Reed-Solomon, GF(2^8), Cauchy) only`, where);
  }
  const packLength = readLength(view, 16, 'pack length', where);
  const stripeLength = readLength(view, 24, 'stripe length', where);
  const expectedStripe = stripeLengthFor(packLength, k);
  if (stripeLength !== expectedStripe) {
    throw new InputError(
      'VAULT_SHARD_STRIPE_LENGTH',
      `declares stripe length ${stripeLength}, but a ${packLength}-byte pack split ${k} ways has stripes of ${expectedStripe} bytes`,
      where,
    );
  }
  const expectedLength = SHARD_HEADER_LENGTH + stripeLength;
  if (shard.length < expectedLength) {
    throw new InputError('VAULT_SHARD_TRUNCATED', `is truncated: ${shard.length} bytes, the header says ${expectedLength} (${stripeLength}-byte payload)`, where);
  }
  if (shard.length > expectedLength) {
    throw new InputError('VAULT_SHARD_TRAILING', `has ${shard.length - expectedLength} bytes after its ${stripeLength}-byte payload`, where);
  }
  return {
    formatVersion: SHARD_FORMAT_VERSION,
    headerLength: SHARD_HEADER_LENGTH,
    k,
    n,
    index,
    coding,
    packId: shard.slice(32, 64),
    packLength,
    stripeLength,
    payloadSha256: shard.slice(64, 96),
    packSha256: shard.slice(96, 128),
  };
}

function readLength(view: DataView, offset: number, field: string, where: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError('VAULT_SHARD_BAD_LENGTH', `declares a ${field} of ${value} bytes, beyond what this reader can hold`, where);
  }
  return Number(value);
}
