import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/index.js';
import {
  SHARD_HEADER_LENGTH,
  decodePack,
  decodePackDetailed,
  encodePack,
  joinDataShards,
  readShardHeader,
  repairShards,
  repairShardsDetailed,
  verifyShard,
} from './index.js';

const packId = createHash('sha256').update('pack 1').digest();

function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, k)];
}

function only(shards: Uint8Array[], keep: readonly number[]): Array<Uint8Array | null> {
  return shards.map((s, i) => (keep.includes(i) ? s : null));
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), message ?? `bytes differ (${actual.length} vs ${expected.length})`);
}

test('round trips for many k-of-n and sizes, including 0 and 1 byte and odd lengths', () => {
  const codes = [[1, 1], [1, 3], [2, 2], [2, 3], [3, 5], [4, 6], [5, 7], [10, 14], [16, 20]] as const;
  const sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1000, 4097, 65_537, 300_001];
  for (const [k, n] of codes) {
    for (const size of sizes) {
      const pack = randomBytes(size);
      const shards = encodePack(packId, pack, k, n);
      assert.equal(shards.length, n);
      const header = readShardHeader(shards[0]!);
      assert.equal(header.packLength, size);
      assert.equal(header.stripeLength % 8, 0);
      assert.ok(header.stripeLength * k >= size && (header.stripeLength - 8) * k < size || size === 0);
      // Systematic: data shard j holds stripe j of the pack as is.
      assertSameBytes(shards[0]!.subarray(SHARD_HEADER_LENGTH, SHARD_HEADER_LENGTH + Math.min(size, header.stripeLength)), pack.subarray(0, header.stripeLength));
      // Worst case: the first n−k shards (data first) are gone.
      const survivors = Array.from({ length: k }, (_, i) => n - k + i);
      assertSameBytes(decodePack(only(shards, survivors)), pack, `${k}-of-${n}, ${size} bytes`);
    }
  }
});

test('every k-subset of shards rebuilds the pack (2-of-3, 3-of-5, 4-of-7, 5-of-9, 2-of-6, 8-of-10)', () => {
  for (const [k, n] of [[2, 3], [3, 5], [4, 7], [5, 9], [2, 6], [8, 10]] as const) {
    const pack = randomBytes(1000 + k * 37);
    const shards = encodePack(packId, pack, k, n);
    for (const keep of subsets(n, k)) {
      const decoded = decodePackDetailed(only(shards, keep));
      assertSameBytes(decoded.pack, pack, `${k}-of-${n} from ${keep.join(',')}`);
      assert.deepEqual(decoded.used, keep);
    }
  }
});

test('n up to 255: a 200-of-255 pack rebuilds with 55 data shards missing', () => {
  const pack = randomBytes(200 * 64 + 5);
  const shards = encodePack(packId, pack, 200, 255);
  const keep = Array.from({ length: 200 }, (_, i) => 55 + i);
  assertSameBytes(decodePack(only(shards, keep)), pack);
});

test('a real 48 MiB file (MITRE ATT&CK bundle) as a 3-of-5 pack, with two data shards lost', () => {
  const pack = readFileSync(new URL('../../../../shared/data/attack/enterprise-attack/enterprise-attack.json', import.meta.url));
  const shards = encodePack(packId, pack, 3, 5);
  const header = readShardHeader(shards[4]!);
  assertSameBytes(header.packSha256, createHash('sha256').update(pack).digest());
  assertSameBytes(decodePack([null, null, shards[2]!, shards[3]!, shards[4]!], { packId }), pack);
});

test('encoding is deterministic, and shard payloads start 8-aligned', () => {
  const pack = randomBytes(12_345);
  const a = encodePack(packId, pack, 3, 5);
  const b = encodePack(packId, pack, 3, 5);
  a.forEach((shard, i) => assertSameBytes(shard, b[i]!));
  assert.equal(SHARD_HEADER_LENGTH % 8, 0);
});

test('shards read from misaligned buffers still decode', () => {
  const pack = randomBytes(9_999);
  const shards = encodePack(packId, pack, 3, 5);
  const misaligned = shards.map((s) => {
    const holder = new Uint8Array(s.length + 3);
    holder.set(s, 3);
    return holder.subarray(3);
  });
  assertSameBytes(decodePack([null, misaligned[1]!, null, misaligned[3]!, misaligned[4]!]), pack);
});

test('encodePack rejects a bad pack id or k-of-n with precise errors', () => {
  const pack = randomBytes(10);
  assert.throws(() => encodePack(new Uint8Array(31), pack, 2, 3), (e: unknown) => e instanceof InputError && e.code === 'VAULT_PACK_ID' && /32 bytes; got 31/.test(e.message));
  assert.throws(() => encodePack(packId, pack, 0, 3), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARD_BAD_K');
  assert.throws(() => encodePack(packId, pack, 3, 2), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARD_BAD_N' && /from k \(3\)/.test(e.message));
  assert.throws(() => encodePack(packId, pack, 2, 256), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARD_BAD_N');
  assert.throws(() => encodePack(packId, pack, 1.5, 3), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARD_BAD_K');
});

test('fewer than k good shards: InputError naming each shard and what is wrong with it', () => {
  const shards = encodePack(packId, randomBytes(5000), 3, 5);
  const corrupt = shards[1]!.slice();
  corrupt[SHARD_HEADER_LENGTH + 10]! ^= 0x01;
  assert.throws(
    () => decodePack([shards[0]!, corrupt, null, shards[3]!.subarray(0, 100), null]),
    (e: unknown) =>
      e instanceof InputError &&
      e.code === 'VAULT_SHARDS_INSUFFICIENT' &&
      e.message.includes('need 3 good shards') &&
      e.message.includes('have 1 (indices 0)') &&
      e.message.includes('position 1: payload SHA-256 does not match the header (shard index 1)') &&
      e.message.includes('position 2: missing') &&
      e.message.includes('position 3: is 100 bytes, shorter than its 160-byte header') &&
      e.message.includes('position 4: missing'),
  );
  assert.throws(() => decodePack([null, null]), (e: unknown) => e instanceof InputError && /no good shard among 2/.test(e.message));
  assert.throws(() => decodePack([]), (e: unknown) => e instanceof InputError && e.code === 'VAULT_SHARDS_INSUFFICIENT');
});

test('repair re-creates missing and corrupt shards byte for byte', () => {
  const pack = randomBytes(77_777);
  const shards = encodePack(packId, pack, 2, 5);
  const damaged: Array<Uint8Array | null> = [null, shards[1]!.slice(), shards[2]!, null, shards[4]!];
  damaged[1]![SHARD_HEADER_LENGTH + 500]! ^= 0x80;
  const repaired = repairShardsDetailed(damaged);
  assert.deepEqual(repaired.rebuilt, [0, 1, 3]);
  repaired.shards.forEach((shard, i) => assertSameBytes(shard, shards[i]!, `shard ${i}`));
  assert.equal(repaired.shards[2], shards[2], 'good shards are returned as they are');
  assert.deepEqual(repaired.skipped.map((p) => p.where), ['position 0', 'position 1', 'position 3']);
  assert.ok(repaired.shards.every((s) => verifyShard(s).ok));
  // Nothing to do: all n back, none rebuilt.
  assert.deepEqual(repairShardsDetailed(shards).rebuilt, []);
  assert.equal(repairShards([shards[0]!, shards[1]!, null]).length, 5);
});

test('repair works on shards given in any order, returning them by index', () => {
  const pack = randomBytes(3000);
  const shards = encodePack(packId, pack, 2, 4);
  const repaired = repairShards([shards[3]!, null, shards[1]!]);
  assert.equal(repaired.length, 4);
  repaired.forEach((shard, i) => assert.equal(readShardHeader(shard).index, i));
  repaired.forEach((shard, i) => assertSameBytes(shard, shards[i]!));
});

test('an empty pack encodes, verifies, decodes and repairs', () => {
  const shards = encodePack(packId, new Uint8Array(0), 2, 3);
  assert.ok(shards.every((s) => s.length === SHARD_HEADER_LENGTH && verifyShard(s).ok));
  assert.equal(decodePack([null, shards[1]!, shards[2]!]).length, 0);
  assertSameBytes(repairShards([null, shards[1]!, shards[2]!])[0]!, shards[0]!);
});

test('duplicate shards count once', () => {
  const shards = encodePack(packId, randomBytes(100), 2, 3);
  assert.throws(() => decodePack([shards[0]!, shards[0]!, null]), (e: unknown) => e instanceof InputError && /have 1/.test(e.message));
  const decoded = decodePackDetailed([shards[2]!, shards[2]!, shards[0]!]);
  assert.deepEqual(decoded.skipped, [{ where: 'position 1', reason: 'duplicate of shard index 2 (already taken from position 0)' }]);
});

test('the test vector of docs/vault-format-shards.md §6 is reproduced byte for byte', () => {
  const vectorPackId = new Uint8Array(32).fill(0x11);
  const pack = Buffer.from('0112233445566778899aabbccd', 'hex');
  const twoOfThree = encodePack(vectorPackId, pack, 2, 3);
  assert.equal(
    Buffer.from(twoOfThree[2]!).toString('hex'),
    '4c465653484152440100a000020302010d000000000000000800000000000000' +
      '1111111111111111111111111111111111111111111111111111111111111111' +
      'a24dfa822a8fcc4b1fbbc2a6014e6c9cd188f491e5342af8d80815e023c2f91b' +
      '90703826c769979fca8c6bf76ab58a18d735ec37f87fc46d171c959c987a974d' +
      'e326c0c1342153a80c460a368257e62e53d1a5465baa6e2cb7393e77812c296f' +
      '8888888888566778',
  );
  const payloads = encodePack(vectorPackId, pack, 3, 5).map((s) => Buffer.from(s.subarray(SHARD_HEADER_LENGTH)).toString('hex'));
  assert.deepEqual(payloads, ['0112233445566778', '899aabbccd000000', '0000000000000000', '8888888888566778', '059b17ba21566778']);
});

test('joins the data shards alone when they hash to the pack, and declines anything else', async () => {
  for (const [k, n, size] of [[2, 3, 300_001], [3, 5, 4097], [1, 3, 17], [4, 6, 0]] as const) {
    const pack = randomBytes(size);
    const shards = encodePack(packId, pack, k, n);
    const data = shards.slice(0, k);
    assertSameBytes((await joinDataShards(data, { packId }))!, pack, `${k}-of-${n}, ${size} bytes`);
    if (k < 2 || size === 0) continue; // nothing to corrupt in a one-shard or empty pack
    // Every case the fast path must leave to decodePack: it answers null, never a wrong pack.
    const flipped = (at: number) => data.map((s, j) => (j === 0 ? Uint8Array.from(s, (b, i) => (i === at ? b ^ 1 : b)) : s));
    const last = shards[k - 1]!;
    const padded = Uint8Array.from(last);
    padded[padded.length - 1] ^= 1; // a padding byte (these sizes leave padding in the last stripe)
    const cases: Array<[string, Array<Uint8Array | null>]> = [
      ['a payload byte flipped', flipped(SHARD_HEADER_LENGTH + 3)],
      ['a padding byte set', [...data.slice(0, k - 1), padded]],
      ['a shard missing', [null, ...data.slice(1)]],
      ['shards out of order', [...data].reverse()],
      ['a parity shard in place of a data shard', [...data.slice(0, k - 1), shards[k]!]],
      ['a shard of another pack', [encodePack(createHash('sha256').update('other').digest(), pack, k, n)[0]!, ...data.slice(1)]],
      ['a header byte flipped', flipped(9)],
    ];
    for (const [what, input] of cases) {
      if (what === 'a padding byte set' && size % (k * 8) === 0) continue;
      assert.equal(await joinDataShards(input, { packId }), null, `${k}-of-${n}: ${what}`);
    }
    assert.equal(await joinDataShards(data, { packId: createHash('sha256').update('pack 2').digest() }), null, 'another expected pack id');
  }
});
