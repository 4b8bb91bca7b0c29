/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clockValue, formatAgo, formatBytes, formatCount, formatDuration, formatRate, formatTime, humanize, levelRank, levelsAtLeast } from './format.js';

describe('display formats', () => {
  it('orders levels and lists those at or above one', () => {
    assert.ok(levelRank('critical') > levelRank('high') && levelRank('low') > levelRank('informational'));
    assert.equal(levelRank('bogus'), -1);
    assert.deepEqual(levelsAtLeast('high'), ['high', 'critical']);
    assert.deepEqual(levelsAtLeast('informational'), ['informational', 'low', 'medium', 'high', 'critical']);
    assert.deepEqual(levelsAtLeast(''), []);
  });

  it('writes durations as SLA figures, clamping negatives and refusing non-numbers', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59_999), '59s');
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(3_600_000 + 5 * 60_000), '1h 05m');
    assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), '2d 04h');
    assert.equal(formatDuration(-5000), '0s');
    assert.equal(formatDuration(null), '—');
    assert.equal(formatDuration(Number.NaN), '—');
  });

  it('says how long ago, and "just now" for a clock ahead of ours', () => {
    const now = Date.parse('2026-11-21T08:00:00Z');
    assert.equal(formatAgo('2026-11-21T07:59:30Z', now), '30s ago');
    assert.equal(formatAgo('2026-11-21T08:00:05Z', now), 'just now');
    assert.equal(formatAgo('not a time', now), 'not a time');
    assert.equal(formatAgo(null, now), '—');
  });

  it('writes local times without the T and keeps unreadable text as it is', () => {
    assert.match(formatTime('2026-11-21T08:03:12.000Z'), /^2026-11-2[01] \d\d:03:12$/);
    assert.equal(formatTime('garbage'), 'garbage');
    assert.equal(formatTime(null), '—');
  });

  it('groups counts, rounds rates, sizes bytes, and humanises codes', () => {
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(undefined), '—');
    assert.equal(formatRate(2.345), '2.3');
    assert.equal(formatRate(12345.6), '12,346');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10 * 1024 * 1024), '10.0 MiB');
    assert.equal(humanize('false_positive'), 'false positive');
  });

  it('shows a stopped clock as stored and a running one from the case creation', () => {
    const created = '2026-11-21T08:00:00.000Z';
    assert.deepEqual(clockValue(90_000, created, Date.parse(created) + 999_999), { ms: 90_000, running: false });
    assert.deepEqual(clockValue(null, created, Date.parse(created) + 61_000), { ms: 61_000, running: true });
    assert.deepEqual(clockValue(null, 'bad', 5), { ms: 0, running: true });
  });
});
