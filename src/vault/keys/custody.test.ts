import assert from 'node:assert/strict';
import { test } from 'node:test';
import { split } from 'shamir-secret-sharing';
import {
  combineCheckedShares,
  keygen,
  parseCustodyRecord,
  recoverVaultKey,
  recoverVaultKeyDetailed,
  rotateCustodians,
  sameRecipient,
  splitVaultKey,
  unwrapKey,
  wrapKey,
  wrapRecipientFingerprint,
  type CustodyRecord,
  type Identity,
} from './index.js';
import { toBase64Url } from './bytes.js';

const vault = keygen();
const people = { alice: keygen(), bob: keygen(), carol: keygen(), dave: keygen(), erin: keygen() };
type Name = keyof typeof people;
const custodians = (names: Name[]) => names.map((name) => ({ name, recipient: people[name].recipient }));
const ids = (names: Name[]): Identity[] => names.map((n) => people[n].identity);

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** Same record with one custodian's share bytes replaced (re-wrapped validly, so only the key check can tell). */
function withShare(record: CustodyRecord, name: Name, share: Uint8Array): CustodyRecord {
  const context = JSON.stringify(['lianfang-vault/custody-share/v1', record.vaultId, record.recordId, name]);
  return {
    ...record,
    shares: record.shares.map((s) =>
      s.custodian === name ? { ...s, wrappedShare: toBase64Url(wrapKey(people[name].recipient, share, context)) } : s,
    ),
  };
}

function openShare(record: CustodyRecord, name: Name): Uint8Array {
  const entry = record.shares.find((s) => s.custodian === name)!;
  const context = JSON.stringify(['lianfang-vault/custody-share/v1', record.vaultId, record.recordId, name]);
  return unwrapKey(people[name].identity, new Uint8Array(Buffer.from(entry.wrappedShare, 'base64url')), context);
}

test('2-of-3: every pair of custodians recovers the vault key; the record is JSON', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2, { vaultId: 'core-banking' });
  const json = parseCustodyRecord(JSON.parse(JSON.stringify(record)));
  assert.ok(!JSON.stringify(record).includes(Buffer.from(vault.identity.secret).toString('base64url')));
  for (const pair of [['alice', 'bob'], ['alice', 'carol'], ['bob', 'carol']] as Name[][]) {
    const back = await recoverVaultKey(json, ids(pair));
    assert.deepEqual(back.secret, vault.identity.secret, pair.join('+'));
    assert.ok(sameRecipient(back.recipient, vault.recipient));
  }
  assert.equal(record.shares.length, 3);
  assert.equal(wrapRecipientFingerprint(new Uint8Array(Buffer.from(record.shares[1]!.wrappedShare, 'base64url'))), people.bob.recipient.fingerprint);
});

test('3-of-5 recovers from any 3 (all 10 subsets) and from all 5', async () => {
  const names: Name[] = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const record = await splitVaultKey(vault.identity, custodians(names), 3);
  let subsetsChecked = 0;
  for (let a = 0; a < 5; a++)
    for (let b = a + 1; b < 5; b++)
      for (let c = b + 1; c < 5; c++) {
        const back = await recoverVaultKey(record, ids([names[a]!, names[b]!, names[c]!]));
        assert.deepEqual(back.secret, vault.identity.secret);
        subsetsChecked++;
      }
  assert.equal(subsetsChecked, 10);
  assert.deepEqual((await recoverVaultKey(record, ids(names))).secret, vault.identity.secret);
});

test('fewer than the quorum is refused, naming who is there and what is missing', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2, { vaultId: 'v' });
  await assert.rejects(recoverVaultKey(record, ids(['alice'])), (err: Error) => {
    assert.equal(codeOf(err), 'VAULT_KEYS_QUORUM_NOT_MET');
    assert.match(err.message, /vault v needs 2 custodian shares, 1 usable \(alice\)/);
    return true;
  });
  await assert.rejects(recoverVaultKey(record, []), /needs 2 custodian shares, 0 usable/);
  // the same custodian twice still counts once
  await assert.rejects(recoverVaultKey(record, ids(['bob', 'bob'])), /1 usable \(bob\)/);
});

test('a wrong identity is named as not a custodian and does not count', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2);
  await assert.rejects(recoverVaultKey(record, [people.alice.identity, people.dave.identity]), (err: Error) => {
    assert.equal(codeOf(err), 'VAULT_KEYS_QUORUM_NOT_MET');
    assert.ok(err.message.includes(`identity ${people.dave.recipient.fingerprint} is not a custodian`));
    assert.match(err.message, /custodians: alice, bob, carol/);
    return true;
  });
  const ok = await recoverVaultKeyDetailed(record, ids(['alice', 'dave', 'carol']));
  assert.deepEqual(ok.used, ['alice', 'carol']);
  assert.equal(ok.problems.length, 1);
  assert.equal(ok.problems[0]!.fingerprint, people.dave.recipient.fingerprint);
});

test('a corrupt share (validly wrapped) is caught by the key check with exactly the quorum', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2);
  const share = openShare(record, 'bob');
  share[3]! ^= 0x40;
  const bad = withShare(record, 'bob', share);
  await assert.rejects(recoverVaultKey(bad, ids(['alice', 'bob'])), (err: Error) => {
    assert.equal(codeOf(err), 'VAULT_KEYS_KEY_CHECK_FAILED');
    assert.match(err.message, /at least one of alice, bob is corrupt; bring one more custodian/);
    return true;
  });
});

test('with more than the quorum, a corrupt share is skipped and named', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol', 'dave']), 2);
  for (const victim of ['alice', 'bob', 'carol', 'dave'] as Name[]) {
    const share = openShare(record, victim);
    share[0]! ^= 0xff;
    const bad = withShare(record, victim, share);
    const out = await recoverVaultKeyDetailed(bad, ids(['alice', 'bob', 'carol', 'dave']));
    assert.deepEqual(out.identity.secret, vault.identity.secret, victim);
    assert.ok(!out.used.includes(victim));
    assert.deepEqual(
      out.problems.map((p) => p.custodian),
      [victim],
    );
    assert.match(out.problems[0]!.reason, new RegExp(`share of ${victim} is corrupt`));
  }
});

test('a share with a corrupted x-coordinate is named too', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2);
  const share = openShare(record, 'carol');
  share[share.length - 1] = openShare(record, 'alice')[32]!; // same x as alice's share
  const out = await recoverVaultKeyDetailed(withShare(record, 'carol', share), ids(['alice', 'bob', 'carol']));
  assert.deepEqual(out.problems.map((p) => p.custodian), ['carol']);
});

test('a tampered wrapped share is named and the others still recover', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2);
  const raw = new Uint8Array(Buffer.from(record.shares[0]!.wrappedShare, 'base64url'));
  raw[raw.length - 3]! ^= 1;
  const tampered = { ...record, shares: [{ ...record.shares[0]!, wrappedShare: toBase64Url(raw) }, ...record.shares.slice(1)] };
  const out = await recoverVaultKeyDetailed(tampered, ids(['alice', 'bob', 'carol']));
  assert.deepEqual(out.identity.secret, vault.identity.secret);
  assert.match(out.problems[0]!.reason, /share of alice cannot be opened: .*fails authentication/);
  await assert.rejects(recoverVaultKey(tampered, ids(['alice', 'bob'])), /1 usable \(bob\); share of alice cannot be opened/);
});

test('a share copied from another vault\'s record does not open in this one', async () => {
  const a = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2, { vaultId: 'vault-a' });
  const b = await splitVaultKey(keygen().identity, custodians(['alice', 'bob', 'carol']), 2, { vaultId: 'vault-b' });
  const mixed = { ...a, shares: [b.shares[0]!, ...a.shares.slice(1)] };
  const out = await recoverVaultKeyDetailed(mixed, ids(['alice', 'bob', 'carol']));
  assert.deepEqual(out.identity.secret, vault.identity.secret);
  assert.match(out.problems[0]!.reason, /share of alice cannot be opened.*another use/);
});

test('a record whose vault recipient was swapped is refused after the key check', async () => {
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob']), 2);
  const other = await splitVaultKey(keygen().identity, custodians(['alice', 'bob']), 2);
  await assert.rejects(recoverVaultKey({ ...record, vaultRecipient: other.vaultRecipient }, ids(['alice', 'bob'])), /record was altered/);
});

test('rotation: new custodians and quorum, same vault key; old-only holders cannot use the new record', async () => {
  const first = await splitVaultKey(vault.identity, custodians(['alice', 'bob', 'carol']), 2, { vaultId: 'v' });
  const second = await rotateCustodians(first, ids(['alice', 'carol']), custodians(['carol', 'dave', 'erin']), 3);
  assert.equal(second.generation, 2);
  assert.equal(second.vaultId, 'v');
  assert.equal(second.vaultRecipient, first.vaultRecipient);
  assert.equal(second.keyCheck.value, first.keyCheck.value);
  assert.notEqual(second.recordId, first.recordId);
  const back = await recoverVaultKey(second, ids(['carol', 'dave', 'erin']));
  assert.deepEqual(back.secret, vault.identity.secret);
  await assert.rejects(recoverVaultKey(second, ids(['carol', 'dave'])), /needs 3 custodian shares, 2 usable/);
  await assert.rejects(recoverVaultKey(second, ids(['alice', 'bob'])), /0 usable/);
  await assert.rejects(rotateCustodians(first, ids(['bob']), custodians(['dave', 'erin']), 2), /QUORUM|needs 2/);
});

test('split parameters are checked', async () => {
  const three = custodians(['alice', 'bob', 'carol']);
  await assert.rejects(async () => splitVaultKey(vault.identity, three, 1), /quorum must be a whole number of at least 2/);
  await assert.rejects(async () => splitVaultKey(vault.identity, three, 4), /quorum 4 needs at least 4 custodians/);
  await assert.rejects(async () => splitVaultKey(vault.identity, [...three, { name: 'alice', recipient: people.dave.recipient }], 2), /"alice" is listed twice/);
  await assert.rejects(
    async () => splitVaultKey(vault.identity, [...three, { name: 'alice2', recipient: people.alice.recipient }], 2),
    /"alice" and "alice2" have the same recipient/,
  );
});

test('malformed custody records name the field', async () => {
  const record = JSON.parse(JSON.stringify(await splitVaultKey(vault.identity, custodians(['alice', 'bob']), 2))) as Record<string, unknown>;
  assert.throws(() => parseCustodyRecord({ ...record, version: 2 }, 'v.json'), (e: Error) => codeOf(e) === 'VAULT_KEYS_NEWER_VERSION' && /v\.json/.test(e.message));
  assert.throws(() => parseCustodyRecord({ ...record, quorum: 5 }, 'v.json'), /quorum 5 must be a whole number from 2 to the number of shares \(2\)/);
  assert.throws(() => parseCustodyRecord({ ...record, shares: [{ custodian: 'x' }] }, 'v.json'), /v\.json: shares\[0\]: field "recipientFingerprint"/);
  assert.throws(() => parseCustodyRecord({ ...record, format: 'restic' }), /not "lianfang-vault-custody"/);
  assert.throws(() => parseCustodyRecord('[]'), /not a JSON object/);
  assert.throws(() => parseCustodyRecord({ ...record, vaultRecipient: 'age1xyz' }), /vaultRecipient.*age recipient/);
});

test('combineCheckedShares on raw shares: 2 bad of 5 at quorum 3 are both named', async () => {
  const secret = vault.identity.secret;
  const raw = await split(secret, 5, 3);
  const record = await splitVaultKey(vault.identity, custodians(['alice', 'bob']), 2);
  const labelled = raw.map((share, i) => ({ custodian: `c${i}`, share }));
  labelled[1]!.share[5]! ^= 1;
  labelled[4]!.share[9]! ^= 1;
  const out = await combineCheckedShares(labelled, record.keyCheck.value, 3);
  assert.deepEqual(out.secret, secret);
  assert.deepEqual(out.bad, ['c1', 'c4']);
  labelled[2]!.share[0]! ^= 1; // 3 bad of 5: no 3 agree
  await assert.rejects(combineCheckedShares(labelled, record.keyCheck.value, 3), /no 3 of c0, c1, c2, c3, c4 agree/);
});
