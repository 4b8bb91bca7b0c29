import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import {
  createSnapshotSigning,
  decodeSnapshotSignature,
  keygen,
  parseSnapshotAnchor,
  parseSnapshotSignature,
  parseTrustedHead,
  signerAfter,
  snapshotEntryHash,
  snapshotSigner,
  snapshotVerifier,
  signSnapshot,
  signRetirement,
  signTrustedHead,
  vaultAuthorityKey,
  verifyRetirement,
  verifySnapshot,
  verifySnapshotChain,
  type SnapshotSignature,
  type SnapshotSignerState,
} from './index.js';

const vault = keygen();
const enc = new TextEncoder();

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

function rejectsWith(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.equal(codeOf(err), code, String(err));
    assert.match((err as Error).message, pattern);
    return true;
  };
}

/** A vault with `count` signed snapshots; also returns the host's signer state after each one. */
function history(count: number) {
  const { anchor, signer } = createSnapshotSigning(vault.identity, 'core');
  const snapshots: { id: string; bytes: Uint8Array }[] = [];
  const chain: SnapshotSignature[] = [];
  const states: SnapshotSignerState[] = [signer];
  for (let i = 0; i < count; i++) {
    const snap = { id: `snap-${i}`, bytes: enc.encode(JSON.stringify({ root: `tree-${i}`, time: i })) };
    const { signature, next } = signSnapshot(states[i]!, snap, new Date(Date.UTC(2025, 0, 1 + i)));
    snapshots.push(snap);
    chain.push(signature);
    states.push(next);
  }
  return { anchor, snapshots, chain, states };
}

test('every snapshot of a signed history verifies; the newest verifies as latest', () => {
  const { anchor, snapshots, chain } = history(5);
  for (let i = 0; i < 5; i++) assert.equal(verifySnapshot(anchor, chain, snapshots[i]!).seq, i);
  assert.equal(verifySnapshot(anchor, [...chain].reverse(), snapshots[4]!, { mustBeLatest: true, authorityKey: vaultAuthorityKey(vault.identity) }).seq, 4);
  assert.equal(verifySnapshotChain(anchor, JSON.parse(JSON.stringify(chain)).map((e: unknown) => parseSnapshotSignature(e))).length, 5);
});

test('attack: altered snapshot bytes are rejected', () => {
  const { anchor, snapshots, chain } = history(3);
  const altered = { id: 'snap-1', bytes: enc.encode(JSON.stringify({ root: 'evil-tree', time: 1 })) };
  assert.throws(() => verifySnapshot(anchor, chain, altered), rejectsWith('VAULT_SNAPSHOT_ALTERED', /snapshot snap-1 \(seq 1\) does not match its signed hash/));
  assert.ok(verifySnapshot(anchor, chain, snapshots[1]!));
});

test('attack: altered snapshot with its entry re-hashed fails the entry signature', () => {
  const { anchor, chain } = history(3);
  const altered = { id: 'snap-1', bytes: enc.encode('evil') };
  const forged = chain.map((e) => (e.seq === 1 ? { ...e, snapshotHash: createHash('sha256').update(altered.bytes).digest('hex') } : e));
  assert.throws(() => verifySnapshot(anchor, forged, altered), rejectsWith('VAULT_SNAPSHOT_ALTERED', /signature of entry seq 1 .* does not verify/));
});

test('attack: a removed snapshot breaks the chain', () => {
  const { anchor, snapshots, chain } = history(5);
  const without2 = chain.filter((e) => e.seq !== 2);
  assert.throws(() => verifySnapshot(anchor, without2, snapshots[4]!), rejectsWith('VAULT_SNAPSHOT_CHAIN_BROKEN', /seq 2 is missing: a snapshot was removed/));
  // renumbering the later entries to close the gap breaks the prev hashes and signatures
  const renumbered = without2.map((e) => (e.seq > 2 ? { ...e, seq: e.seq - 1 } : e));
  assert.throws(() => verifySnapshotChain(anchor, renumbered), rejectsWith('VAULT_SNAPSHOT_CHAIN_BROKEN', /seq 2 does not follow seq 1/));
});

test('attack: the newest snapshots removed (rollback) are caught by a custodian-signed trusted head', () => {
  const { anchor, snapshots, chain } = history(5);
  const head = signTrustedHead(vault.identity, chain[4]!, new Date('2025-02-01T00:00:00Z'));
  assert.equal(verifySnapshotChain(anchor, chain, { trustedHead: parseTrustedHead(JSON.parse(JSON.stringify(head))) }).length, 5);
  const cut = chain.slice(0, 3);
  // the cut chain is internally consistent, so without an outside head it cannot be told apart…
  assert.equal(verifySnapshot(anchor, cut, snapshots[2]!, { mustBeLatest: true }).seq, 2);
  // …but the trusted head says seq 4 existed
  assert.throws(
    () => verifySnapshot(anchor, cut, snapshots[2]!, { mustBeLatest: true, trustedHead: head }),
    rejectsWith('VAULT_SNAPSHOT_ROLLBACK', /chain ends at seq 2 but custodians saw seq 4 on 2025-02-01/),
  );
});

test('attack: an old snapshot replayed as the latest is rejected', () => {
  const { anchor, snapshots, chain } = history(4);
  assert.throws(
    () => verifySnapshot(anchor, chain, snapshots[1]!, { mustBeLatest: true }),
    rejectsWith('VAULT_SNAPSHOT_ROLLBACK', /snapshot snap-1 is seq 1, not the latest \(seq 3\)/),
  );
  // an old entry re-played at a new position does not fit there
  const replayed = [...chain, { ...chain[1]!, seq: 4 }];
  assert.throws(() => verifySnapshotChain(anchor, replayed), rejectsWith('VAULT_SNAPSHOT_CHAIN_BROKEN', /seq 4 does not follow seq 3/));
  // an old snapshot's bytes offered under a new id are unsigned
  assert.throws(() => verifySnapshot(anchor, chain, { id: 'snap-9', bytes: snapshots[1]!.bytes }), rejectsWith('VAULT_SNAPSHOT_UNSIGNED', /snap-9 has no signature entry/));
});

test('attack: an unsigned snapshot (no entry, or an empty chain) is rejected', () => {
  const { anchor, chain } = history(2);
  const extra = { id: 'planted', bytes: enc.encode('planted by ransomware') };
  assert.throws(() => verifySnapshot(anchor, chain, extra), rejectsWith('VAULT_SNAPSHOT_UNSIGNED', /planted has no signature entry/));
  assert.throws(() => verifySnapshot(anchor, [], extra), rejectsWith('VAULT_SNAPSHOT_UNSIGNED', /planted/));
  // an entry "signed" with a key the chain did not commit to
  const rogue = generateKeyPairSync('ed25519');
  const fake = { ...chain[1]!, seq: 2, snapshotId: 'planted', signature: Buffer.from(sign(null, Buffer.from('x'), rogue.privateKey)).toString('base64url') };
  const prev = chain[1]!;
  const linked = { ...fake, prev: snapshotEntryHash(prev) };
  assert.throws(() => verifySnapshot(anchor, [...chain, linked], extra), rejectsWith('VAULT_SNAPSHOT_ALTERED', /seq 2 \(snapshot planted\) does not verify/));
});

test('attack: ransomware holding the host key today cannot re-sign yesterday', () => {
  const { anchor, snapshots, chain, states } = history(4);
  const stolen = states[4]!; // the host's state now: it can sign seq 4 only
  const evil = { id: 'snap-1', bytes: enc.encode('rewritten history') };
  const { signature } = signSnapshot({ ...stolen, seq: 1, prev: chain[1]!.prev }, evil);
  const rewritten = chain.map((e) => (e.seq === 1 ? signature : e));
  assert.throws(() => verifySnapshot(anchor, rewritten, evil), rejectsWith('VAULT_SNAPSHOT_ALTERED', /signature of entry seq 1/));
  // appending is possible (the host must be able to back up), and the honest entries still verify
  const appended = signSnapshot(stolen, { id: 'snap-4', bytes: enc.encode('new') }).signature;
  assert.equal(verifySnapshot(anchor, [...chain, appended], snapshots[0]!).seq, 0);
});

test('attack: a fork (two entries at one seq) is reported', () => {
  const { anchor, chain, states } = history(3);
  const fork = signSnapshot(states[2]!, { id: 'other', bytes: enc.encode('other') }).signature;
  assert.throws(() => verifySnapshotChain(anchor, [...chain, fork]), rejectsWith('VAULT_SNAPSHOT_CHAIN_BROKEN', /two different entries at seq 2 .*forked/));
});

test('attack: a whole new history under a new anchor fails the vault authority', () => {
  const { snapshots } = history(1);
  const impostor = keygen();
  const { anchor: fakeAnchor, signer } = createSnapshotSigning(impostor.identity, 'core');
  const fake = signSnapshot(signer, snapshots[0]!).signature;
  // the host alone cannot tell (the anchor is self-consistent) — custodians can
  assert.ok(verifySnapshot(fakeAnchor, [fake], snapshots[0]!));
  assert.throws(
    () => verifySnapshot(fakeAnchor, [fake], snapshots[0]!, { authorityKey: vaultAuthorityKey(vault.identity) }),
    rejectsWith('VAULT_SNAPSHOT_ANCHOR_INVALID', /not derived from this vault key/),
  );
  // and a genesis key swapped into the real anchor fails the anchor signature
  const { anchor } = history(1);
  assert.throws(() => verifySnapshotChain({ ...anchor, genesisKey: fakeAnchor.genesisKey }, []), rejectsWith('VAULT_SNAPSHOT_ANCHOR_INVALID', /not signed by the vault authority/));
});

test('a trusted head not signed by the vault authority, or disagreeing with the chain, is refused', () => {
  const { anchor, chain } = history(3);
  const forgedHead = signTrustedHead(keygen().identity, chain[2]!);
  assert.throws(() => verifySnapshotChain(anchor, chain, { trustedHead: forgedHead }), rejectsWith('VAULT_SNAPSHOT_ANCHOR_INVALID', /trusted head seq 2/));
  const other = history(3); // same vault key, another chain: the head's entry differs
  const head = signTrustedHead(vault.identity, other.chain[1]!);
  assert.throws(() => verifySnapshotChain(anchor, chain, { trustedHead: head }), rejectsWith('VAULT_SNAPSHOT_ROLLBACK', /entry seq 1 differs .* history was rewritten/));
});

test('crash between storing an entry and the new state: signerAfter catches up and refuses foreign entries', () => {
  const { anchor, chain, states } = history(2);
  const caughtUp = signerAfter(states[1]!, chain[1]!);
  assert.deepEqual(caughtUp, states[2]);
  const { signature } = signSnapshot(caughtUp, { id: 'snap-2', bytes: enc.encode('x') });
  assert.equal(verifySnapshotChain(anchor, [...chain, signature]).length, 3);
  assert.throws(() => signerAfter(states[0]!, chain[1]!), /not signed by this signer state/);
});

test('hostile signing JSON gets a precise error, not a crash', () => {
  const { anchor, chain } = history(1);
  assert.throws(() => parseSnapshotSignature({ ...chain[0]!, seq: '0' }, 'sig.json'), /sig\.json: field "seq" must be a whole number/);
  assert.throws(() => parseSnapshotSignature({ ...chain[0]!, version: 2 }), (e: unknown) => codeOf(e) === 'VAULT_KEYS_NEWER_VERSION');
  assert.throws(() => parseSnapshotAnchor({ ...anchor, format: 'x' }), /not "lianfang-vault-signing-anchor"/);
  assert.throws(() => parseSnapshotAnchor(null), /not a JSON object/);
  const garbage = { ...chain[0]!, signature: '!!!', nextKey: '' };
  assert.throws(() => verifySnapshotChain(anchor, [garbage]), rejectsWith('VAULT_SNAPSHOT_ALTERED', /seq 0/));
});

test('repository callbacks: sign(bytes) and verify(bytes, sig) over the chain', () => {
  const { anchor, signer } = createSnapshotSigning(vault.identity, 'core');
  const host = snapshotSigner(signer);
  const records = [enc.encode('record one'), enc.encode('record two')];
  const sigs = records.map((r) => host.sign(r));
  assert.equal(host.current().seq, 2);
  const chain = sigs.map((s) => decodeSnapshotSignature(s));
  const reasons: string[] = [];
  const verify = snapshotVerifier(anchor, chain, {}, (r) => reasons.push(r));
  assert.equal(verify(records[0]!, sigs[0]!), true);
  assert.equal(verify(records[1]!, sigs[1]!), true);
  assert.equal(verify(enc.encode('record one!'), sigs[0]!), false);
  assert.equal(verify(records[0]!, enc.encode('not json')), false);
  assert.match(reasons[0]!, /the record is/);
  assert.match(reasons[1]!, /not a JSON object/);
});

test('a retirement record counts only with the vault authority signature and for the very entry it names', () => {
  const { anchor, chain } = history(3);
  const r = signRetirement(vault.identity, chain[1]!);
  assert.equal(verifyRetirement(anchor, r, chain[1]!), true);
  assert.equal(verifyRetirement(anchor, r, chain[2]!), false, 'another entry');
  assert.equal(verifyRetirement(anchor, { ...r, time: '2030-01-01T00:00:00.000Z' }, chain[1]!), false, 'altered time');
  const host = keygen(); // the backup host does not hold the vault key
  assert.equal(verifyRetirement(anchor, signRetirement(host.identity, chain[1]!), chain[1]!), false, 'signed by another key');
  assert.equal(verifyRetirement(anchor, { ...r, signature: 'AAAA' }, chain[1]!), false, 'malformed signature');
});
