/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Disclosure, DisclosureState, Me } from '../api/types.js';
import {
  canFile, DISCLOSURE_TRANSITIONS, embargoFrom, EMPTY_FILING, EMPTY_MOVE, fileBody, isClosed, isoOfLocal, isStaff, localInputOf, memberOf, movesFrom,
  recipientEntry, recipientStatus, transitionBody,
} from './disclosures.js';

const me = (actor: string, ...roles: string[]): Me => ({ actor, roles, tenant: 'default' });

describe('disclosure moves', () => {
  it('offers the table’s moves, never publication by hand', () => {
    assert.deepEqual(movesFrom('received'), ['triaged', 'rejected', 'duplicate']);
    assert.deepEqual(movesFrom('triaged'), ['routed', 'rejected', 'duplicate']);
    assert.deepEqual(movesFrom('routed'), ['fixing', 'fixed']);
    assert.deepEqual(movesFrom('fixed'), [], 'the embargo clock publishes');
    for (const s of ['published', 'rejected', 'duplicate'] as const) assert.ok(isClosed(s), s);
    assert.equal(isClosed('fixed'), false);
    for (const [from, tos] of Object.entries(DISCLOSURE_TRANSITIONS)) for (const to of tos) assert.ok(to in DISCLOSURE_TRANSITIONS, `${from} → ${to}`);
  });

  it('sends each move only the fields it takes, and leaves the checking to the server', () => {
    const form = { note: ' reproduced ', recipients: [' bank-b', 'bank-c', 'bank-b', ''], vendorContact: ' psirt@vendor.example ', embargo: '', fixedVersion: '3.4.1' };
    assert.deepEqual(transitionBody('triaged', form), { to: 'triaged', note: 'reproduced' });
    assert.deepEqual(transitionBody('routed', form), { to: 'routed', note: 'reproduced', recipients: ['bank-b', 'bank-c'], vendor_contact: 'psirt@vendor.example' });
    assert.deepEqual(transitionBody('routed', EMPTY_MOVE), { to: 'routed' }, 'no recipients: the server says why');
    assert.deepEqual(transitionBody('fixed', form), { to: 'fixed', note: 'reproduced', fixed_version: '3.4.1' });
    assert.deepEqual(transitionBody('rejected' as DisclosureState, EMPTY_MOVE), { to: 'rejected' });
  });

  it('reads the embargo as local time and sends it as UTC', () => {
    const at = Date.UTC(2031, 5, 30, 16, 45);
    const local = localInputOf(at);
    assert.match(local, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    assert.equal(isoOfLocal(local), new Date(at).toISOString());
    assert.equal(transitionBody('routed', { ...EMPTY_MOVE, embargo: local })['embargo_until'], '2031-06-30T16:45:00.000Z');
    assert.equal(isoOfLocal(''), null);
    assert.equal(isoOfLocal('next tuesday'), null);
    assert.equal(transitionBody('routed', { ...EMPTY_MOVE, embargo: 'next tuesday' })['embargo_until'], 'next tuesday', 'passed on for the server to refuse');
  });

  it('says how far off the embargo end is', () => {
    const now = Date.UTC(2030, 0, 1);
    assert.equal(embargoFrom(new Date(now + 3 * 86_400_000 + 3_600_000).toISOString(), now), 'in 3d 01h');
    assert.equal(embargoFrom(new Date(now - 90_000).toISOString(), now), '1m ago');
  });
});

describe('filing a disclosure', () => {
  it('trims, leaves empty optional fields out, sends the score as a number', () => {
    const form = { ...EMPTY_FILING, title: ' XSS ', description: 'd', reporter: 'r', vendor: 'v', product: 'p' };
    assert.deepEqual(fileBody(form), { title: 'XSS', description: 'd', reporter: 'r', vendor: 'v', product: 'p' });
    assert.deepEqual(fileBody({ ...form, affectedVersions: '< 2', cve: 'cve-2030-12345', cvss: '7.5' }), {
      title: 'XSS', description: 'd', reporter: 'r', vendor: 'v', product: 'p', affected_versions: '< 2', cve: 'CVE-2030-12345', cvss: 7.5,
    });
  });
});

describe('who may do what with a disclosure', () => {
  it('reads staff and members as the server does', () => {
    assert.equal(isStaff(me('token:isac', 'analyst')), true);
    assert.equal(isStaff(me('token:bank-b', 'member-connector')), false);
    assert.equal(memberOf(me('token:bank-b', 'member-connector')), 'bank-b');
    assert.equal(memberOf(me('member:bank-c', 'member-connector')), 'bank-c');
    assert.equal(memberOf(me('token:isac', 'analyst')), null);
    assert.equal(canFile(me('token:bank-b', 'member-connector')), true);
    assert.equal(canFile(me('token:audit', 'auditor')), false);
  });

  it('finds a member’s own line among the recipients', () => {
    const d = { recipients: [{ member: 'bank-b', acked_at: null, patched_at: null }, { member: 'bank-c', acked_at: '2030-01-01T00:00:00Z', patched_at: null }] } as unknown as Disclosure;
    assert.equal(recipientEntry(d, 'bank-c')?.member, 'bank-c');
    assert.equal(recipientEntry(d, 'bank-z'), undefined);
    assert.equal(recipientEntry(d, null), undefined);
    assert.deepEqual(d.recipients.map(recipientStatus), ['waiting', 'acknowledged']);
    assert.equal(recipientStatus({ member: 'x', acked_at: 'a', patched_at: 'b' }), 'patched');
  });
});
