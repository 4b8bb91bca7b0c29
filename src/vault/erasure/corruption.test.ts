import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { InputError } from '../../core/index.js';
import { SHARD_HEADER_LENGTH, decodePack, decodePackDetailed, encodePack, readShardHeader, repairShardsDetailed, verifyShard } from './index.js';

const packA = createHash('sha256').update('pack A').digest();
const packB = createHash('sha256').update('pack B').digest();

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Re-seals a header after editing it, as a buggy writer or an attacker could. */
function resealHeader(shard: Uint8Array): Uint8Array {
  shard.set(sha256(shard.subarray(0, 128)), 128);
  return shard;
}

/** Edits header bytes and re-seals, so only the field checks can catch the edit. */
function crafted(shard: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = shard.slice();
  edit(new DataView(copy.buffer), copy);
  return resealHeader(copy);
}

/** Replaces the payload and recomputes both hashes: every self-check passes. */
function forged(shard: Uint8Array, edit: (payload: Uint8Array) => void): Uint8Array {
  const copy = shard.slice();
  edit(copy.subarray(SHARD_HEADER_LENGTH));
  copy.set(sha256(copy.subarray(SHARD_HEADER_LENGTH)), 64);
  return resealHeader(copy);
}

function rejects(shard: Uint8Array, code: string, pattern: RegExp): void {
  assert.throws(() => readShardHeader(shard), (e: unknown) => e instanceof InputError && e.code === code && pattern.test(e.message), `${code} ${pattern}`);
  const verdict = verifyShard(shard);
  assert.equal(verdict.ok, false);
  if (!verdict.ok) assert.match(verdict.reason, pattern);
}

const HEADER_FIELDS: ReadonlyArray<readonly [string, number, RegExp]> = [
  ['magic', 0, /does not start with the magic "LFVSHARD"/],
  ['format version', 8, /has format version \d+; this reader knows version 1/],
  ['header length', 10, /declares a header of \d+ bytes/],
  ['k', 12, /header checksum/],
  ['n', 13, /header checksum/],
  ['shard index', 14, /header checksum/],
  ['coding', 15, /header checksum/],
  ['pack length', 16, /header checksum/],
  ['stripe length', 24, /header checksum/],
  ['pack id', 40, /header checksum/],
  ['payload SHA-256', 70, /header checksum/],
  ['pack SHA-256', 127, /header checksum/],
  ['header checksum', 140, /header checksum/],
  ['payload', SHARD_HEADER_LENGTH + 3, /payload SHA-256 does not match the header \(shard index 1\)/],
  ['payload, last byte', -1, /payload SHA-256 does not match/],
];

test('a flipped byte in each header field or the payload is detected and the shard is skipped', () => {
  const pack = randomBytes(4_000);
  const shards = encodePack(packA, pack, 2, 3);
  for (const [field, offset, pattern] of HEADER_FIELDS) {
    const bad = shards[1]!.slice();
    bad[offset < 0 ? bad.length + offset : offset]! ^= 0x04;
    const verdict = verifyShard(bad);
    assert.equal(verdict.ok, false, field);
    if (!verdict.ok) assert.match(verdict.reason, pattern, field);
    const decoded = decodePackDetailed([shards[0]!, bad, shards[2]!]);
    assert.ok(Buffer.from(decoded.pack).equals(pack), field);
    assert.deepEqual(decoded.used, [0, 2], field);
    assert.equal(decoded.skipped[0]!.where, 'position 1');
    assert.match(decoded.skipped[0]!.reason, pattern, field);
    // And with only one good shard left, the error says why the flipped one did not count.
    assert.throws(() => decodePack([null, bad, shards[2]!]), (e: unknown) => e instanceof InputError && pattern.test(e.message), field);
  }
});

test('header fields that pass the checksum but make no sense are named precisely', () => {
  const shard = encodePack(packA, randomBytes(1_000), 3, 5)[4]!;
  rejects(crafted(shard, (v) => v.setUint16(8, 2, true)), 'VAULT_SHARD_VERSION', /format version 2; this reader knows version 1 only \(a newer Lianfang wrote it/);
  rejects(crafted(shard, (_, b) => (b[12] = 0)), 'VAULT_SHARD_BAD_K', /k must be an integer from 1 to 255; got 0/);
  rejects(crafted(shard, (_, b) => (b[13] = 2)), 'VAULT_SHARD_BAD_N', /n must be an integer from k \(3\) to 255; got 2/);
  rejects(crafted(shard, (_, b) => (b[14] = 5)), 'VAULT_SHARD_BAD_INDEX', /shard index 5, but a 3-of-5 pack has indices 0..4/);
  rejects(crafted(shard, (_, b) => (b[15] = 2)), 'VAULT_SHARD_CODING', /uses coding 2/);
  rejects(crafted(shard, (v) => v.setBigUint64(16, 2n ** 60n, true)), 'VAULT_SHARD_BAD_LENGTH', /pack length of 1152921504606846976 bytes/);
  rejects(crafted(shard, (v) => v.setBigUint64(24, 2n ** 62n, true)), 'VAULT_SHARD_BAD_LENGTH', /stripe length/);
  rejects(crafted(shard, (v) => v.setBigUint64(24, 8n, true)), 'VAULT_SHARD_STRIPE_LENGTH', /declares stripe length 8, but a 1000-byte pack split 3 ways has stripes of 336 bytes/);
  rejects(crafted(shard, (v) => v.setBigUint64(16, 2_000n, true)), 'VAULT_SHARD_STRIPE_LENGTH', /a 2000-byte pack split 3 ways/);
});

test('truncated shards and trailing bytes are named with the lengths involved', () => {
  const shard = encodePack(packA, randomBytes(1_000), 2, 3)[0]!;
  const total = shard.length; // 160 + 504
  rejects(shard.subarray(0, 0), 'VAULT_SHARD_TRUNCATED', /is 0 bytes, too short/);
  rejects(shard.subarray(0, 11), 'VAULT_SHARD_TRUNCATED', /is 11 bytes, too short/);
  rejects(shard.subarray(0, 100), 'VAULT_SHARD_TRUNCATED', /is 100 bytes, shorter than its 160-byte header/);
  rejects(shard.subarray(0, 160), 'VAULT_SHARD_TRUNCATED', new RegExp(`is truncated: 160 bytes, the header says ${total} \\(504-byte payload\\)`));
  rejects(shard.subarray(0, total - 1), 'VAULT_SHARD_TRUNCATED', /is truncated/);
  const longer = new Uint8Array(total + 2);
  longer.set(shard);
  rejects(longer, 'VAULT_SHARD_TRAILING', /has 2 bytes after its 504-byte payload/);
  rejects(Buffer.from('not a shard at all, just some text'), 'VAULT_SHARD_BAD_MAGIC', /not a Lianfang shard/);
});

test('shards of two packs mixed: the pack with enough shards wins, the others are skipped with reasons', () => {
  const a = randomBytes(3_000);
  const b = randomBytes(3_000);
  const shardsA = encodePack(packA, a, 2, 3);
  const shardsB = encodePack(packB, b, 2, 3);
  const decoded = decodePackDetailed([shardsA[0]!, shardsB[1]!, shardsA[2]!]);
  assert.ok(Buffer.from(decoded.pack).equals(a));
  assert.equal(decoded.skipped.length, 1);
  assert.equal(decoded.skipped[0]!.where, 'position 1');
  assert.match(decoded.skipped[0]!.reason, new RegExp(`belongs to pack ${packB.toString('hex').slice(0, 16)}… \\(2-of-3, 3000 bytes\\), not pack ${packA.toString('hex').slice(0, 16)}`));
  // Both rebuildable: refuse to guess, unless told which pack is wanted.
  const both = [shardsA[0]!, shardsB[0]!, shardsA[1]!, shardsB[2]!];
  assert.throws(() => decodePack(both), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARDS_AMBIGUOUS' && /pass the expected packId/.test(e.message));
  assert.ok(Buffer.from(decodePack(both, { packId: packB })).equals(b));
  assert.ok(Buffer.from(decodePack(both, { packId: packA })).equals(a));
  // Never a mix: one shard of A and one of B is not two shards of anything.
  assert.throws(() => decodePack([shardsA[0]!, shardsB[1]!, null]), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARDS_INSUFFICIENT');
  assert.throws(
    () => decodePack([shardsB[0]!, shardsB[1]!], { packId: packA }),
    (e: unknown) => e instanceof InputError && /not the expected pack/.test(e.message),
  );
});

test('shards of the same pack with different k-of-n are not mixed', () => {
  const pack = randomBytes(2_000);
  const twoOfThree = encodePack(packA, pack, 2, 3);
  const threeOfFive = encodePack(packA, pack, 3, 5);
  const decoded = decodePackDetailed([threeOfFive[0]!, twoOfThree[1]!, twoOfThree[2]!]);
  assert.ok(Buffer.from(decoded.pack).equals(pack));
  assert.match(decoded.skipped[0]!.reason, /belongs to pack .*\(3-of-5, 2000 bytes\), not pack .*\(2-of-3, 2000 bytes\)/);
  assert.throws(() => decodePack([threeOfFive[0]!, twoOfThree[1]!, threeOfFive[2]!]), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARDS_INSUFFICIENT');
});

test('a forged shard with self-consistent hashes is caught by the pack hash and never used', () => {
  const pack = randomBytes(6_000);
  const shards = encodePack(packA, pack, 2, 4);
  const fake = forged(shards[0]!, (payload) => (payload[17]! ^= 0xff));
  assert.equal(verifyShard(fake).ok, true, 'its own hashes agree');
  // A spare exists: the odd one out is found and named.
  const decoded = decodePackDetailed([fake, shards[1]!, shards[2]!]);
  assert.ok(Buffer.from(decoded.pack).equals(pack));
  assert.deepEqual(decoded.used, [1, 2]);
  assert.match(decoded.skipped.find((p) => p.where === 'position 0')!.reason, /shard index 0 disagrees with the others/);
  // No spare: refuse rather than return a wrong pack.
  assert.throws(
    () => decodePack([fake, shards[1]!, null, null]),
    (e: unknown) => e instanceof InputError && e.code === 'VAULT_PACK_HASH_MISMATCH' && /rebuilt from shard indices 0, 1 does not match its SHA-256; there is no spare shard/.test(e.message),
  );
  // Two forged among three: no single swap helps, and the reader says so.
  const fake2 = forged(shards[1]!, (payload) => (payload[3]! ^= 0x10));
  assert.throws(
    () => decodePack([fake, fake2, shards[2]!, null]),
    (e: unknown) => e instanceof InputError && e.code === 'VAULT_PACK_HASH_MISMATCH' && /swapping any one of them for spare shard 2 does not help either/.test(e.message),
  );
});

test('non-zero padding in a data stripe is treated as a forgery too', () => {
  const pack = randomBytes(1_001); // 2-of-3: stripes of 504 bytes, 7 bytes of padding
  const shards = encodePack(packA, pack, 2, 3);
  const fake = forged(shards[1]!, (payload) => (payload[payload.length - 1] = 1));
  const decoded = decodePackDetailed([shards[0]!, fake, shards[2]!]);
  assert.ok(Buffer.from(decoded.pack).equals(pack));
  assert.deepEqual(decoded.used, [0, 2]);
});

test('repair recomputes spare shards instead of trusting their own hashes', () => {
  const pack = randomBytes(5_000);
  const shards = encodePack(packA, pack, 2, 3);
  const fakeParity = forged(shards[2]!, (payload) => (payload[0]! ^= 1));
  const repaired = repairShardsDetailed([shards[0]!, shards[1]!, fakeParity]);
  assert.deepEqual(repaired.rebuilt, [2]);
  assert.ok(Buffer.from(repaired.shards[2]!).equals(shards[2]!));
  assert.match(repaired.skipped[0]!.reason, /shard index 2 has intact hashes but disagrees with the pack rebuilt from the other shards/);
});

test('hostile bytes: verifyShard never throws, readShardHeader only throws InputError', () => {
  const valid = encodePack(packA, randomBytes(300), 2, 3)[2]!;
  for (let round = 0; round < 3_000; round++) {
    const bytes = round % 2 === 0 ? randomBytes(round % 400) : valid.slice();
    if (round % 2 === 1) for (let flips = 0; flips <= round % 5; flips++) bytes[(round * 7919 + flips * 104_729) % bytes.length]! ^= 1 << (flips % 8);
    if (round % 3 === 0 && round % 2 === 0) bytes.set(valid.subarray(0, Math.min(bytes.length, 12)));
    const verdict = verifyShard(bytes);
    if (verdict.ok) continue;
    let headerError: unknown;
    try {
      readShardHeader(bytes);
    } catch (err) {
      headerError = err;
    }
    // Either the header is bad (an InputError) or the header is fine and the payload is not.
    if (headerError === undefined) assert.match(verdict.reason, /payload SHA-256/);
    else assert.ok(headerError instanceof InputError, String(headerError));
  }
});
