import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VaultSummary } from '../api/types.js';
import { newestAgeMs, siteStatuses } from './status.js';

const base: VaultSummary = {
  id: 'core', file: '/v/core.json', data: { k: 2, n: 3 },
  sites: [{ name: 'local', url: '/a' }, { name: 'offsite', url: '/b' }, { name: 'third', url: 'sftp://x/c' }],
  custodians: ['alice', 'bob', 'carol'], quorum: 2,
  snapshots: [{ id: 'b'.repeat(64), time: '2026-11-21T08:00:00Z', host: 'h', files: 3, bytes: 10 }, { id: 'a'.repeat(64), time: '2026-11-20T08:00:00Z', host: 'h', files: 3, bytes: 10 }],
  snapshots_error: null, last_verify: null, last_drill: null, problems: [],
};

test('sites are unknown until a verify has looked at them, then ok or behind with the can-lose answer', () => {
  assert.deepEqual(siteStatuses(base).map((s) => s.state), ['unknown', 'unknown', 'unknown']);
  const verified: VaultSummary = {
    ...base,
    last_verify: {
      kind: 'vault.verify', at: '2026-11-21T09:00:00Z', level: 'full', ok: false, packs: 4, problemCount: 4, problems: [],
      sites: [{ site: 'local', shardsOk: 4, shardsBad: 0, canLose: false }, { site: 'offsite', shardsOk: 0, shardsBad: 4, canLose: true }],
    },
  };
  assert.deepEqual(siteStatuses(verified).map((s) => [s.name, s.state, s.canLose]), [['local', 'ok', false], ['offsite', 'behind', true], ['third', 'unknown', null]]);
});

test('the recovery point is the age of the newest snapshot', () => {
  assert.equal(newestAgeMs(base, Date.parse('2026-11-21T09:30:00Z')), 90 * 60 * 1000);
  assert.equal(newestAgeMs({ ...base, snapshots: [] }, Date.now()), null);
});
