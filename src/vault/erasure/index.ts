/**
 * Erasure coding of vault packs into self-describing shard files, one per site: any k of the
 * n shards rebuild the pack, and every shard carries the hashes that prove it (and the rebuilt
 * pack) intact. Format: docs/vault-format-shards.md.
 *
 * @example
 * const shards = encodePack(packId, pack, 2, 3);        // write shards[i] to site i
 * const again = decodePack([shards[0], null, shards[2]]); // any 2 of the 3
 */
import { InputError, type ItemProblem } from '../../core/index.js';
import { encodeParity, reconstructData } from './codec.js';
import { region, type Region } from './gf256.js';
import {
  PACK_ID_LENGTH,
  SHARD_HEADER_LENGTH,
  checkCoding,
  hex,
  parseShardHeader,
  sameBytes,
  sha256,
  stripeLengthFor,
  writeShardHeader,
  type ShardHeader,
} from './shard-format.js';

export type { ShardHeader } from './shard-format.js';
export { SHARD_FORMAT_VERSION, SHARD_HEADER_LENGTH, SHARD_MAGIC, MAX_SHARDS, stripeLengthFor } from './shard-format.js';

export type ShardVerdict = { readonly ok: true; readonly header: ShardHeader } | { readonly ok: false; readonly reason: string };

export interface DecodeOptions {
  /** The pack the caller expects; shards of any other pack are skipped. Recommended. */
  readonly packId?: Uint8Array;
}

export interface DecodedPack {
  readonly pack: Uint8Array;
  readonly header: ShardHeader;
  /** Shard indices the pack was rebuilt from. */
  readonly used: number[];
  /** Input positions that were not used, and why (missing, corrupt, other pack, duplicate). */
  readonly skipped: ItemProblem[];
}

export interface RepairedShards {
  /** All n shards, ordered by shard index. */
  readonly shards: Uint8Array[];
  /** Indices of the shards that were re-created. */
  readonly rebuilt: number[];
  readonly skipped: ItemProblem[];
  readonly header: ShardHeader;
}

/**
 * Splits a pack into n shard files (index order), any k of which rebuild it. `packSha256`:
 * the pack's hash when the caller has it already.
 */
export function encodePack(packId: Uint8Array, pack: Uint8Array, k: number, n: number, packSha256?: Uint8Array): Uint8Array[] {
  const { shards, identity } = layShards(packId, pack, k, n);
  const whole = { ...identity, packSha256: packSha256 ?? sha256(pack) };
  shards.forEach((shard, index) => sealShard(shard, { ...whole, index }));
  return shards;
}

/** The n shard buffers with data stripes copied in and parity computed; headers not yet written. */
function layShards(packId: Uint8Array, pack: Uint8Array, k: number, n: number): { shards: Uint8Array[]; identity: { k: number; n: number; packId: Uint8Array; packLength: number; stripeLength: number } } {
  checkPackId(packId, 'packId');
  checkCoding(k, n, 'encodePack');
  const stripeLength = stripeLengthFor(pack.length, k);
  // Each shard gets its own zeroed buffer, so payloads are 8-aligned and stripe padding is 0.
  const shards = Array.from({ length: n }, () => new Uint8Array(SHARD_HEADER_LENGTH + stripeLength));
  for (let j = 0; j < k; j++) {
    const start = j * stripeLength;
    if (start < pack.length) shards[j]!.set(pack.subarray(start, start + stripeLength), SHARD_HEADER_LENGTH);
  }
  const payloads = shards.map((shard) => region(shard.subarray(SHARD_HEADER_LENGTH)));
  const parityIndices = range(k, n);
  encodeParity(k, n, payloads.slice(0, k), parityIndices, payloads.slice(k), stripeLength);
  return { shards, identity: { k, n, packId, packLength: pack.length, stripeLength } };
}

/**
 * The pack from its k data shards alone (shard indices 0…k−1, in order), when they are all
 * there and their joined stripes match the pack SHA-256 they carry: one hash over the pack,
 * run off the main thread, instead of one per shard and one more over the pack. Null when
 * anything is off; decodePack then checks every shard on its own, uses parity, and says what
 * was wrong where.
 */
export async function joinDataShards(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): Promise<Uint8Array | null> {
  const joined = joinStripes(shards, options);
  if (joined === null) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined.pack));
  return sameBytes(digest, joined.packSha256) ? joined.pack : null;
}

/**
 * The k data shards' stripes laid end to end, when their headers are intact and agree, with
 * the pack hash they carry, which is NOT checked here: for a reader that authenticates every
 * part of the pack it uses (chunks under AES-GCM) and falls back to `decodePack` when one fails.
 */
export function joinStripes(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): { pack: Uint8Array; packSha256: Uint8Array } | null {
  const stripes = dataStripes(shards, options);
  return stripes === null ? null : { pack: Buffer.concat(stripes.pieces), packSha256: stripes.packSha256 };
}

/**
 * joinStripes without the join: the k data stripes as views of their shards, trimmed to the
 * pack, which they are laid end to end. For a reader that takes what it needs from each in
 * place (a pack's chunks, of which few span two stripes) instead of copying the whole pack.
 */
export function dataStripes(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): { pieces: Uint8Array[]; packSha256: Uint8Array } | null {
  const headers: ShardHeader[] = [];
  for (const [j, shard] of shards.entries()) {
    if (shard === null) return null;
    let h: ShardHeader;
    try {
      h = parseShardHeader(shard, '');
    } catch (err) {
      if (err instanceof InputError) return null;
      throw err;
    }
    if (h.index !== j || h.k !== shards.length || shard.length !== SHARD_HEADER_LENGTH + h.stripeLength) return null;
    if (headers.length > 0 && (!samePack(headers[0]!, h) || h.stripeLength !== headers[0]!.stripeLength)) return null;
    if (options.packId && !sameBytes(h.packId, options.packId)) return null;
    headers.push(h);
  }
  const first = headers[0];
  if (first === undefined) return null;
  const { packLength, stripeLength } = first;
  const pieces: Uint8Array[] = [];
  for (const [j, shard] of shards.entries()) {
    const start = j * stripeLength;
    const used = Math.max(0, Math.min(stripeLength, packLength - start));
    const payload = shard!.subarray(SHARD_HEADER_LENGTH);
    if (used > 0) pieces.push(payload.subarray(0, used));
    // The padding must be zero, as decodePack requires.
    for (let i = used; i < stripeLength; i++) if (payload[i] !== 0) return null;
  }
  return { pieces, packSha256: first.packSha256 };
}

/** Reads and checks a shard's header (not its payload hash); throws InputError naming the check. */
export function readShardHeader(shard: Uint8Array): ShardHeader {
  return parseShardHeader(shard, 'shard');
}

/** Full check of one shard: header, lengths and the payload's SHA-256. Never throws on bad bytes. */
export function verifyShard(shard: Uint8Array): ShardVerdict {
  const verdict = checkShard(shard);
  return verdict.ok ? verdict : { ok: false, reason: `shard: ${verdict.reason}` };
}

/** Rebuilds the pack from any k good shards; throws InputError if there are fewer than k. */
export function decodePack(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): Uint8Array {
  return decodePackDetailed(shards, options).pack;
}

/** decodePack, also saying which shards were used and why the others were skipped. */
export function decodePackDetailed(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): DecodedPack {
  const decoded = decodeStripes(shards, options);
  return {
    pack: decoded.stripes.subarray(0, decoded.header.packLength),
    header: decoded.header,
    used: decoded.used.map((s) => s.header.index),
    skipped: decoded.skipped,
  };
}

/** Re-creates missing or corrupt shards from any k good ones; returns all n in index order. */
export function repairShards(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): Uint8Array[] {
  return repairShardsDetailed(shards, options).shards;
}

export function repairShardsDetailed(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions = {}): RepairedShards {
  const decoded = decodeStripes(shards, options);
  const { header, skipped } = decoded;
  const usedSet = new Set(decoded.used.map((s) => s.header.index));
  // Shards not used for the rebuild were only checked against their own hashes, so they are
  // recomputed and compared rather than trusted.
  const recomputed = range(0, header.n).filter((index) => !usedSet.has(index));
  const fresh = buildShards(header, decoded.stripes, recomputed);
  const result: Uint8Array[] = [];
  const rebuilt: number[] = [];
  for (let index = 0; index < header.n; index++) {
    const existing = decoded.byIndex.get(index);
    const computed = fresh.get(index);
    if (!computed) result.push(existing!.shard);
    else if (existing && sameBytes(existing.shard, computed)) result.push(existing.shard);
    else {
      if (existing) skipped.push({ where: `position ${existing.position}`, reason: `shard index ${index} has intact hashes but disagrees with the pack rebuilt from the other shards` });
      result.push(computed);
      rebuilt.push(index);
    }
  }
  return { shards: result, rebuilt, skipped, header };
}

/** Shard files for `indices`, from the k data stripes of a verified pack. */
function buildShards(header: ShardHeader, stripes: Uint8Array, indices: number[]): Map<number, Uint8Array> {
  const { k, n, stripeLength } = header;
  const dataStripes = range(0, k).map((j) => region(stripes.subarray(j * stripeLength, (j + 1) * stripeLength)));
  const built = new Map(indices.map((index) => [index, new Uint8Array(SHARD_HEADER_LENGTH + stripeLength)]));
  const parityIndices = indices.filter((index) => index >= k);
  for (const index of indices) {
    if (index < k) built.get(index)!.set(dataStripes[index]!.bytes, SHARD_HEADER_LENGTH);
  }
  const parityRegions = parityIndices.map((index) => region(built.get(index)!.subarray(SHARD_HEADER_LENGTH)));
  encodeParity(k, n, dataStripes, parityIndices, parityRegions, stripeLength);
  for (const [index, shard] of built) sealShard(shard, { ...header, index });
  return built;
}

// ---------------------------------------------------------------------------------------------

interface GoodShard {
  readonly position: number;
  readonly shard: Uint8Array;
  readonly header: ShardHeader;
}

interface DecodedStripes {
  readonly header: ShardHeader;
  /** k × stripeLength bytes: the pack followed by its zero padding. */
  readonly stripes: Uint8Array;
  /** The k shards the pack was rebuilt from. */
  readonly used: GoodShard[];
  readonly skipped: ItemProblem[];
  /** Every good shard of the pack, by index (spares included, not yet cross-checked). */
  readonly byIndex: Map<number, GoodShard>;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function checkPackId(packId: Uint8Array, where: string): void {
  if (!(packId instanceof Uint8Array) || packId.length !== PACK_ID_LENGTH) {
    throw new InputError('VAULT_PACK_ID', `must be ${PACK_ID_LENGTH} bytes; got ${packId instanceof Uint8Array ? packId.length : typeof packId}`, where);
  }
}

function sealShard(shard: Uint8Array, identity: Omit<ShardHeader, 'formatVersion' | 'headerLength' | 'coding' | 'payloadSha256'>): void {
  writeShardHeader(shard, { ...identity, payloadSha256: sha256(shard.subarray(SHARD_HEADER_LENGTH)) });
}

/** Checks one shard; the reason says what is wrong without saying where (the caller knows). */
function checkShard(shard: Uint8Array): ShardVerdict {
  try {
    const header = parseShardHeader(shard, '');
    if (!sameBytes(sha256(shard.subarray(SHARD_HEADER_LENGTH)), header.payloadSha256)) {
      return { ok: false, reason: `payload SHA-256 does not match the header (shard index ${header.index}): the payload is corrupt` };
    }
    return { ok: true, header };
  } catch (err) {
    if (err instanceof InputError) return { ok: false, reason: err.message };
    throw err;
  }
}

/** A shard's payload as an aligned region, copied only if the caller's buffer is misaligned. */
function payloadRegion(shard: Uint8Array): Region {
  const payload = shard.subarray(SHARD_HEADER_LENGTH);
  return region(payload.byteOffset % 8 === 0 ? payload : payload.slice());
}

function describePack(header: ShardHeader): string {
  return `pack ${hex(header.packId).slice(0, 16)}… (${header.k}-of-${header.n}, ${header.packLength} bytes)`;
}

function samePack(a: ShardHeader, b: ShardHeader): boolean {
  return (
    sameBytes(a.packId, b.packId) &&
    a.k === b.k &&
    a.n === b.n &&
    a.packLength === b.packLength &&
    sameBytes(a.packSha256, b.packSha256)
  );
}

function classify(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions): { good: GoodShard[]; skipped: ItemProblem[] } {
  if (options.packId !== undefined) checkPackId(options.packId, 'options.packId');
  const good: GoodShard[] = [];
  const skipped: ItemProblem[] = [];
  shards.forEach((shard, position) => {
    const where = `position ${position}`;
    if (shard === null || shard === undefined) return skipped.push({ where, reason: 'missing' });
    const verdict = checkShard(shard);
    if (!verdict.ok) return skipped.push({ where, reason: verdict.reason });
    if (options.packId && !sameBytes(verdict.header.packId, options.packId)) {
      return skipped.push({ where, reason: `belongs to ${describePack(verdict.header)}, not the expected pack ${hex(options.packId).slice(0, 16)}…` });
    }
    return good.push({ position, shard, header: verdict.header });
  });
  return { good, skipped };
}

/**
 * Keeps the shards of one pack: the pack with the most distinct good shards. If two packs
 * each have k or more, the caller must say which one it wants.
 */
function pickPack(good: GoodShard[], skipped: ItemProblem[]): GoodShard[] {
  const groups: GoodShard[][] = [];
  for (const shard of good) {
    const group = groups.find((g) => samePack(g[0]!.header, shard.header));
    if (group) group.push(shard);
    else groups.push([shard]);
  }
  const distinct = (g: GoodShard[]): number => new Set(g.map((s) => s.header.index)).size;
  groups.sort((a, b) => distinct(b) - distinct(a));
  const [chosen, ...others] = groups;
  if (!chosen) return [];
  const ambiguous = others.find((g) => distinct(g) >= g[0]!.header.k && distinct(chosen) >= chosen[0]!.header.k);
  if (ambiguous) {
    throw new InputError(
      'VAULT_SHARDS_AMBIGUOUS',
      `shards of two packs are mixed and either could be rebuilt: ${describePack(chosen[0]!.header)} and ${describePack(ambiguous[0]!.header)}; pass the expected packId`,
      'decodePack',
    );
  }
  for (const shard of others.flat()) {
    skipped.push({ where: `position ${shard.position}`, reason: `belongs to ${describePack(shard.header)}, not ${describePack(chosen[0]!.header)} like the other ${chosen.length} shard(s)` });
  }
  return chosen;
}

function dropDuplicates(shards: GoodShard[], skipped: ItemProblem[]): Map<number, GoodShard> {
  const byIndex = new Map<number, GoodShard>();
  for (const shard of shards) {
    const first = byIndex.get(shard.header.index);
    if (first) skipped.push({ where: `position ${shard.position}`, reason: `duplicate of shard index ${shard.header.index} (already taken from position ${first.position})` });
    else byIndex.set(shard.header.index, shard);
  }
  return byIndex;
}

function decodeStripes(shards: ReadonlyArray<Uint8Array | null>, options: DecodeOptions): DecodedStripes {
  const { good, skipped } = classify(shards, options);
  const byIndex = dropDuplicates(pickPack(good, skipped), skipped);
  const first = byIndex.values().next().value;
  if (!first || byIndex.size < first.header.k) throw notEnough(shards.length, first?.header, byIndex, skipped);
  const header = first.header;
  // Data shards first: each one present is a stripe copied instead of computed.
  const candidates = [...byIndex.values()].sort((a, b) => a.header.index - b.header.index);
  const stripes = new Uint8Array(header.k * header.stripeLength);
  let used = candidates.slice(0, header.k);
  if (rebuild(header, used, stripes)) return { header, stripes, used, skipped, byIndex };
  // Some shard has a self-consistent but wrong payload (hashes recomputed). With a spare, leave
  // each used shard out in turn (k rebuilds at most): this finds one bad shard, not several.
  const spare = candidates[header.k];
  for (const suspect of spare ? used : []) {
    const attempt = used.filter((s) => s !== suspect).concat(spare!).sort((a, b) => a.header.index - b.header.index);
    if (!rebuild(header, attempt, stripes)) continue;
    byIndex.delete(suspect.header.index);
    skipped.push({ where: `position ${suspect.position}`, reason: `shard index ${suspect.header.index} disagrees with the others: the pack rebuilt without it matches the pack SHA-256` });
    used = attempt;
    return { header, stripes, used, skipped, byIndex };
  }
  const tried = spare ? `; swapping any one of them for spare shard ${spare.header.index} does not help either` : '; there is no spare shard to find the bad one';
  throw new InputError(
    'VAULT_PACK_HASH_MISMATCH',
    `${describePack(header)} rebuilt from shard indices ${used.map((s) => s.header.index).join(', ')} does not match its SHA-256${tried}`,
    'decodePack',
  );
}

/** Fills `stripes` from exactly k shards; true if the pack matches its SHA-256. */
function rebuild(header: ShardHeader, chosen: GoodShard[], stripes: Uint8Array): boolean {
  const { k, n, stripeLength, packLength } = header;
  const present = new Set(chosen.map((s) => s.header.index));
  for (const shard of chosen) {
    if (shard.header.index < k) stripes.set(shard.shard.subarray(SHARD_HEADER_LENGTH), shard.header.index * stripeLength);
  }
  const missing = range(0, k)
    .filter((j) => !present.has(j))
    .map((j) => ({ index: j, region: region(stripes.subarray(j * stripeLength, (j + 1) * stripeLength)) }));
  const available = chosen.map((s) => ({ index: s.header.index, region: payloadRegion(s.shard) }));
  reconstructData(k, n, available, missing, stripeLength);
  // The padding must be zero too, or re-created parity would differ from the original.
  return stripes.subarray(packLength).every((byte) => byte === 0) && sameBytes(sha256(stripes.subarray(0, packLength)), header.packSha256);
}

function notEnough(total: number, header: ShardHeader | undefined, good: Map<number, GoodShard>, skipped: ItemProblem[]): InputError {
  const reasons = skipped.map((p) => `${p.where}: ${p.reason}`).join('; ');
  const what = header
    ? `need ${header.k} good shards of ${describePack(header)}, have ${good.size} (indices ${[...good.keys()].sort((a, b) => a - b).join(', ')})`
    : `no good shard among ${total}`;
  return new InputError('VAULT_SHARDS_INSUFFICIENT', `${what}${reasons ? `; ${reasons}` : ''}`, 'decodePack');
}
