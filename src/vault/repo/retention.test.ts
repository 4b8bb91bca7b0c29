import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoWeek, retain } from './retention.js';

/** Snapshots named by their time, newest last. */
function snaps(times: string[]): { id: string; time: string }[] {
  return times.map((time) => ({ id: time, time }));
}

test('ISO weeks: the Thursday decides the year', () => {
  assert.equal(isoWeek(2026, 11, 21), '2026-W47');
  assert.equal(isoWeek(2021, 1, 1), '2020-W53');
  assert.equal(isoWeek(2024, 12, 30), '2025-W01');
  assert.equal(isoWeek(2026, 1, 1), '2026-W01');
  assert.equal(isoWeek(2027, 1, 3), '2026-W53');
});

test('keep-daily keeps the newest snapshot of each of the last N days that have one', () => {
  const s = snaps([
    '2026-11-18T01:00:00Z', '2026-11-18T23:00:00Z', // day 18: the later one stays
    '2026-11-19T12:00:00Z',
    // no snapshot on the 20th: it does not use up a day
    '2026-11-21T02:00:00Z', '2026-11-21T03:00:00Z',
  ]);
  const d = retain(s, { daily: 3 }, 'UTC');
  assert.deepEqual([...d.keep.keys()].sort(), ['2026-11-18T23:00:00Z', '2026-11-19T12:00:00Z', '2026-11-21T03:00:00Z']);
  assert.deepEqual(d.remove, ['2026-11-21T02:00:00Z', '2026-11-18T01:00:00Z']);
  assert.deepEqual(d.keep.get('2026-11-21T03:00:00Z'), ['daily 2026-11-21']);
});

test('days are counted in the given time zone (Taipei is UTC+8)', () => {
  // 15:30Z and 16:30Z are the same UTC day but 23:30 and 00:30 in Taipei.
  const s = snaps(['2026-11-20T15:30:00Z', '2026-11-20T16:30:00Z']);
  assert.equal(retain(s, { daily: 7 }, 'UTC').keep.size, 1);
  assert.equal(retain(s, { daily: 7 }, 'Asia/Taipei').keep.size, 2);
  assert.throws(() => retain(s, { daily: 1 }, 'Mars/Olympus'), /time zone/);
});

test('rules add up: a snapshot kept by any rule stays, with every reason', () => {
  const times: string[] = [];
  for (let day = 1; day <= 60; day++) times.push(new Date(Date.UTC(2026, 8, day, 22)).toISOString()); // Sep 1 .. Oct 30
  const d = retain(snaps(times), { last: 2, daily: 7, weekly: 4, monthly: 3 }, 'UTC');
  const newest = times.at(-1)!;
  assert.deepEqual(d.keep.get(newest), ['last', 'daily 2026-10-30', 'weekly 2026-W44', 'monthly 2026-10']);
  // Oct 24-30 by day; weeks 44 and 43 end inside those, 42 and 41 add Sundays Oct 18 and 11;
  // October is in already, September adds Sep 30, August has no snapshot.
  assert.deepEqual([...d.keep.keys()].sort().slice(0, 4), ['2026-09-30T22:00:00.000Z', '2026-10-11T22:00:00.000Z', '2026-10-18T22:00:00.000Z', '2026-10-24T22:00:00.000Z']);
  assert.equal(d.keep.size, 7 + 2 + 1);
  assert.equal(d.keep.size + d.remove.length, times.length);
});

test('an empty policy or a bad number is refused: it would remove everything', () => {
  const s = snaps(['2026-11-21T00:00:00Z']);
  assert.throws(() => retain(s, {}), /no keep rule/);
  assert.throws(() => retain(s, { daily: 0 }), /no keep rule/);
  assert.throws(() => retain(s, { daily: -1 }), /whole number/);
  assert.throws(() => retain([{ id: 'x', time: 'yesterday' }], { last: 1 }), /not a date/);
});
