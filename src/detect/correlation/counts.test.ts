import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CorrelationEngine, correlate } from './index.js';
import type { CorrelationHit } from './index.js';
import { MIN, SEC, T0, brief, correlations, match } from './testkit.js';

// The specification's own event_count example, with its 1h timespan and gte: 100.
const MANY_FAILED = `
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
`;

function eventCount(condition: string, timespan = '5m', groupBy = '- Host'): string {
  return `
title: count
correlation:
    type: event_count
    rules: [failed_login]
    group-by:
        ${groupBy}
    timespan: ${timespan}
    condition:
        ${condition}
`;
}

describe('event_count', () => {
  it('spec example: the 100th failed login within an hour on one host is a hit, referenced by id', () => {
    const engine = new CorrelationEngine(correlations(MANY_FAILED));
    assert.deepEqual([...engine.referencedRules], ['5638f7c0-ac70-491d-8465-2a65075e0d86']);
    const failed = (i: number, host: string) => match('failed_login', i * 30 * SEC, { ComputerName: host }, '5638f7c0-ac70-491d-8465-2a65075e0d86');
    const hits: CorrelationHit[] = [];
    for (let i = 0; i < 99; i++) hits.push(...engine.push(failed(i, 'DC01')), ...engine.push(failed(i, 'WS07')));
    assert.deepEqual(hits, [], '99 per host is not enough');
    const [hit, ...more] = engine.push(failed(99, 'DC01'));
    assert.deepEqual(more, []);
    assert.equal(hit!.count, 100);
    assert.deepEqual(hit!.group, { ComputerName: 'DC01' });
    assert.equal(hit!.firstMs, T0);
    assert.equal(hit!.lastMs, T0 + 99 * 30 * SEC);
    assert.equal(hit!.decidedMs, hit!.lastMs);
    assert.equal(hit!.matches.length, 100);
    assert.ok(hit!.matches.every((m) => m.event.ComputerName === 'DC01'));
  });

  it('timespan is inclusive: exactly 5m apart is one window, 5m + 1ms is not', () => {
    const [c] = correlations(eventCount('gte: 2'));
    const at = (ms: number) => correlate([c!], [match('failed_login', 0, { Host: 'h' }), match('failed_login', ms, { Host: 'h' })]);
    assert.deepEqual(at(5 * MIN).map(brief), [{ title: 'count', group: { Host: 'h' }, count: 2, first: 0, last: 5 * MIN, refs: ['failed_login@0', `failed_login@${5 * MIN}`] }]);
    assert.deepEqual(at(5 * MIN + 1), []);
  });

  it('slides: a burst across what would be a fixed boundary is found', () => {
    const [c] = correlations(eventCount('gte: 3'));
    const hits = correlate([c!], [0, 4 * MIN, 6 * MIN, 7 * MIN].map((ms) => match('failed_login', ms, { Host: 'h' })));
    assert.deepEqual(hits.map((h) => [h.firstMs - T0, h.lastMs - T0, h.count]), [[4 * MIN, 7 * MIN, 3]]);
  });

  it('a hit uses its matches up: 7 matches with gte: 3 give hits at the 3rd and 6th', () => {
    const [c] = correlations(eventCount('gte: 3'));
    const hits = correlate([c!], [1, 2, 3, 4, 5, 6, 7].map((i) => match('failed_login', i * SEC, { Host: 'h' })));
    assert.deepEqual(hits.map((h) => [h.firstMs - T0, h.lastMs - T0, h.count]), [[1 * SEC, 3 * SEC, 3], [4 * SEC, 6 * SEC, 3]]);
  });

  it('gt counts past the bound', () => {
    const [c] = correlations(eventCount('gt: 2'));
    const hits = correlate([c!], [1, 2, 3].map((i) => match('failed_login', i * SEC, { Host: 'h' })));
    assert.deepEqual(hits.map((h) => h.count), [3]);
  });

  it('groups are separate, and several group-by fields form one key', () => {
    const [c] = correlations(eventCount('gte: 2', '5m', '- Host\n        - User'));
    const hits = correlate([c!], [
      match('failed_login', 0, { Host: 'h', User: 'a' }),
      match('failed_login', 1, { Host: 'h', User: 'b' }),
      match('failed_login', 2, { Host: 'g', User: 'a' }),
      match('failed_login', 3, { Host: 'h', User: 'a' }),
    ]);
    assert.deepEqual(hits.map((h) => h.group), [{ Host: 'h', User: 'a' }]);
  });

  it('a match without the group-by field (absent or null) takes no part', () => {
    const [c] = correlations(eventCount('gte: 2'));
    const hits = correlate([c!], [
      match('failed_login', 0, { Host: 'h' }),
      match('failed_login', 1, {}),
      match('failed_login', 2, { Host: null }),
      match('failed_login', 3, { Other: 'h' }),
    ]);
    assert.deepEqual(hits, []);
  });

  it('group-by reads dotted paths into nested events and compares values as text', () => {
    const [c] = correlations(eventCount('gte: 2', '5m', '- host.name'));
    const hits = correlate([c!], [match('failed_login', 0, { host: { name: 7 } }), match('failed_login', 1, { 'host.name': '7' })]);
    assert.deepEqual(hits.map((h) => [h.group, h.count]), [[{ 'host.name': '7' }, 2]]);
  });

  it('no group-by: every match is in one group', () => {
    const [c] = correlations(eventCount('gte: 2', '5m', '[]'));
    const hits = correlate([c!], [match('failed_login', 0, { Host: 'a' }), match('failed_login', 1)]);
    assert.deepEqual(hits.map((h) => [h.group, h.count]), [[{}, 2]]);
  });

  it('a hit carries at most 100 matches, the newest, while count says how many', () => {
    const [c] = correlations(eventCount('gte: 150'));
    const hits = correlate([c!], Array.from({ length: 150 }, (_, i) => match('failed_login', i, { Host: 'h' })));
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.count, 150);
    assert.equal(hits[0]!.firstMs, T0);
    assert.equal(hits[0]!.matches.length, 100);
    assert.equal(hits[0]!.matches[0]!.ref, 'failed_login@50');
    assert.equal(hits[0]!.matches[99]!.ref, 'failed_login@149');
  });

  it('matches of other rules are ignored', () => {
    const [c] = correlations(eventCount('gte: 2'));
    assert.deepEqual(correlate([c!], [match('failed_login', 0, { Host: 'h' }), match('other', 1, { Host: 'h' })]), []);
  });
});

describe('conditions judged when the window closes (lt, lte, eq, neq, ranges)', () => {
  it('lt: the window opens at the first match and is judged once time passes first + timespan', () => {
    const [c] = correlations(eventCount('lt: 3', '10m'));
    const engine = new CorrelationEngine([c!]);
    assert.deepEqual(engine.push(match('failed_login', 0, { Host: 'quiet' })), []);
    assert.deepEqual(engine.push(match('failed_login', 1 * MIN, { Host: 'busy' })), []);
    assert.deepEqual(engine.push(match('failed_login', 2 * MIN, { Host: 'quiet' })), []);
    for (const ms of [3, 4, 5]) assert.deepEqual(engine.push(match('failed_login', ms * MIN, { Host: 'busy' })), []);
    assert.deepEqual(engine.advance(T0 + 10 * MIN), [], 'a match could still come at exactly first + 10m');
    const [hit, ...more] = engine.advance(T0 + 10 * MIN + 1);
    assert.deepEqual(more, []);
    assert.deepEqual(brief(hit!), { title: 'count', group: { Host: 'quiet' }, count: 2, first: 0, last: 2 * MIN, refs: ['failed_login@0', `failed_login@${2 * MIN}`] });
    assert.equal(hit!.decidedMs, T0 + 10 * MIN);
    assert.deepEqual(engine.advance(T0 + 11 * MIN + 1), [], 'busy had 4 matches');
    assert.equal(engine.stateSize(), 0);
  });

  it('a match exactly at the window end still counts against lt', () => {
    const [c] = correlations(eventCount('lt: 2', '10m'));
    const hits = correlate([c!], [match('failed_login', 0, { Host: 'h' }), match('failed_login', 10 * MIN, { Host: 'h' })]);
    assert.deepEqual(hits, []);
    const later = correlate([c!], [match('failed_login', 0, { Host: 'h' }), match('failed_login', 10 * MIN + 1, { Host: 'h' })]);
    assert.deepEqual(later.map((h) => [h.firstMs - T0, h.count]), [[0, 1], [10 * MIN + 1, 1]], 'one ms late opens the next window');
  });

  it('a later match closes earlier windows before it counts', () => {
    const [c] = correlations(eventCount('lte: 1', '1m'));
    const engine = new CorrelationEngine([c!]);
    engine.push(match('failed_login', 0, { Host: 'a' }));
    const hits = engine.push(match('failed_login', 2 * MIN, { Host: 'b' }));
    assert.deepEqual(hits.map((h) => h.group), [{ Host: 'a' }]);
    assert.deepEqual(engine.flush().map((h) => h.group), [{ Host: 'b' }], 'flush judges what is still open');
    assert.deepEqual(engine.flush(), []);
  });

  it('neq: any count but the bound', () => {
    const [c] = correlations(eventCount('neq: 2', '1m'));
    const counts = (n: number) => correlate([c!], Array.from({ length: n }, (_, i) => match('failed_login', i, { Host: 'h' }))).map((h) => h.count);
    assert.deepEqual(counts(1), [1]);
    assert.deepEqual(counts(2), []);
    assert.deepEqual(counts(3), [3]);
  });

  it('eq and a gt/lte range wait for the window to close', () => {
    const [eq] = correlations(eventCount('eq: 3', '1m'));
    const [range] = correlations(eventCount('gt: 1\n        lte: 3', '1m'));
    const run = (c: typeof eq, n: number) => correlate([c!], Array.from({ length: n }, (_, i) => match('failed_login', i, { Host: 'h' }))).map((h) => h.count);
    assert.deepEqual([2, 3, 4].map((n) => run(eq, n)), [[], [3], []]);
    assert.deepEqual([1, 2, 3, 4].map((n) => run(range, n)), [[], [2], [3], []]);
  });
});

// The specification's value_count example, with gte lowered to 3.
const MANY_USERS = `
title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 3
`;

describe('value_count', () => {
  const failed = (ms: number, event: Record<string, string | string[] | null>) => match('x', ms, { ComputerName: 'DC01', WorkstationName: 'WS7', ...event }, '5638f7c0-ac70-491d-8465-2a65075e0d86');

  it('spec example: the third distinct user per source and destination is a hit', () => {
    const hits = correlate(correlations(MANY_USERS), [
      failed(0, { User: 'alice' }),
      failed(1 * MIN, { User: 'alice' }),
      failed(2 * MIN, { User: 'bob' }),
      failed(3 * MIN, { User: 'bob', WorkstationName: 'WS8' }),
      failed(4 * MIN, { User: 'carol' }),
    ]);
    assert.deepEqual(hits.map(brief), [{
      title: 'Failed login',
      group: { ComputerName: 'DC01', WorkstationName: 'WS7' },
      count: 3,
      first: 1 * MIN,
      last: 4 * MIN,
      refs: [`x@${1 * MIN}`, `x@${2 * MIN}`, `x@${4 * MIN}`],
    }]);
  });

  it('distinct values slide out of the window: a value seen again counts from its newest time', () => {
    const hits = correlate(correlations(MANY_USERS), [
      failed(0, { User: 'alice' }),
      failed(1 * MIN, { User: 'bob' }),
      failed(24 * 60 * MIN + 1, { User: 'carol' }),
      failed(24 * 60 * MIN + 2, { User: 'bob' }),
    ]);
    assert.deepEqual(hits, [], 'alice is more than a day older than the third value');
  });

  it('each element of a list is a value; a match without the field adds nothing', () => {
    const hits = correlate(correlations(MANY_USERS), [failed(0, { User: null }), failed(1, {}), failed(2, { User: ['a', 'b', 'a'] }), failed(3, { User: 'c' })]);
    assert.deepEqual(hits.map((h) => [h.count, h.matches.map((m) => m.ref)]), [[3, ['x@2', 'x@3']]]);
  });

  it('lt: few distinct values, judged at window close', () => {
    const [c] = correlations(MANY_USERS.replace('gte: 3', 'lt: 2'));
    const hits = correlate([c!], [failed(0, { User: 'a' }), failed(1, { User: 'a' }), failed(2, { User: 'a', ComputerName: 'DC02' }), failed(3, { User: 'b', ComputerName: 'DC02' })]);
    assert.deepEqual(hits.map((h) => [h.group.ComputerName, h.count, h.decidedMs - T0]), [['DC01', 1, 24 * 60 * MIN]]);
  });
});

describe('temporal', () => {
  // The specification's example: three recon commands in any order within 5 minutes.
  const RECON = `
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
`;
  const who = { ComputerName: 'WS1', User: 'eve' };

  it('all three rules in any order within the timespan: one hit, counting distinct rules', () => {
    const hits = correlate(correlations(RECON), [
      match('recon_cmd_c', 0, who),
      match('recon_cmd_a', 1 * MIN, who),
      match('recon_cmd_a', 2 * MIN, who),
      match('recon_cmd_b', 3 * MIN, { ...who, User: 'mallory' }),
      match('recon_cmd_b', 4 * MIN, who),
    ]);
    assert.deepEqual(hits.map(brief), [{ title: 'Recon', group: who, count: 3, first: 0, last: 4 * MIN, refs: ['recon_cmd_c@0', `recon_cmd_a@${2 * MIN}`, `recon_cmd_b@${4 * MIN}`] }]);
  });

  it('exactly at the timespan edge matches, 1 ms beyond does not', () => {
    const run = (last: number) => correlate(correlations(RECON), [match('recon_cmd_a', 0, who), match('recon_cmd_b', 1, who), match('recon_cmd_c', last, who)]);
    assert.equal(run(5 * MIN).length, 1);
    assert.equal(run(5 * MIN + 1).length, 0);
  });

  it('two of three is no hit by default; condition gte: 2 asks for two distinct rules', () => {
    const two = [match('recon_cmd_a', 0, who), match('recon_cmd_a', 1, who), match('recon_cmd_b', 2, who)];
    assert.deepEqual(correlate(correlations(RECON), two), []);
    const [c] = correlations(RECON.replace('timespan: 5m', 'timespan: 5m\n    condition:\n        gte: 2'));
    assert.deepEqual(correlate([c!], two).map((h) => [h.count, h.lastMs - T0]), [[2, 2]]);
  });
});

describe('temporal_ordered', () => {
  const ORDERED = `
title: Ordered
correlation:
    type: temporal_ordered
    rules: [step_a, step_b, step_c]
    group-by: [User]
    timespan: 5m
`;
  const run = (...steps: Array<[string, number]>) => correlate(correlations(ORDERED), steps.map(([r, ms]) => match(r, ms, { User: 'u' })));

  it('in order within the timespan is a hit', () => {
    assert.deepEqual(run(['step_a', 0], ['step_b', 1 * MIN], ['step_c', 2 * MIN]).map(brief), [
      { title: 'Ordered', group: { User: 'u' }, count: 3, first: 0, last: 2 * MIN, refs: ['step_a@0', `step_b@${MIN}`, `step_c@${2 * MIN}`] },
    ]);
  });

  it('the wrong order is no hit', () => {
    assert.deepEqual(run(['step_c', 0], ['step_b', 1], ['step_a', 2]), []);
    assert.deepEqual(run(['step_a', 0], ['step_c', 1], ['step_b', 2]), []);
  });

  it('the run may skip matches out of place: a, c, b, c holds a, b, c', () => {
    assert.deepEqual(run(['step_a', 0], ['step_c', 1], ['step_b', 2], ['step_c', 3]).map((h) => h.matches.map((m) => m.ref)), [['step_a@0', 'step_b@2', 'step_c@3']]);
  });

  it('the run starts at its first rule: edge inclusive, 1 ms beyond fails', () => {
    assert.equal(run(['step_a', 0], ['step_b', 1], ['step_c', 5 * MIN]).length, 1);
    assert.equal(run(['step_a', 0], ['step_b', 1], ['step_c', 5 * MIN + 1]).length, 0);
    assert.equal(run(['step_a', 0], ['step_a', 2 * MIN], ['step_b', 3 * MIN], ['step_c', 7 * MIN]).length, 1, 'a later a restarts the run');
  });

  it('equal times go by arrival order', () => {
    assert.equal(run(['step_a', 0], ['step_b', 0], ['step_c', 0]).length, 1);
    assert.equal(run(['step_b', 0], ['step_a', 0], ['step_c', 0]).length, 0);
  });

  it('a rule listed twice must occur twice: a, b, a', () => {
    const [c] = correlations(ORDERED.replace('[step_a, step_b, step_c]', '[step_a, step_b, step_a]'));
    const go = (...names: string[]) => correlate([c!], names.map((n, i) => match(n, i, { User: 'u' }))).length;
    assert.equal(go('step_a', 'step_b'), 0);
    assert.equal(go('step_a', 'step_b', 'step_a'), 1);
  });

  it('condition gte: 2 counts the longest in-order run', () => {
    const [c] = correlations(ORDERED.replace('timespan: 5m', 'timespan: 5m\n    condition:\n        gte: 2'));
    const hits = correlate([c!], [match('step_c', 0, { User: 'u' }), match('step_b', 1, { User: 'u' }), match('step_c', 2, { User: 'u' })]);
    assert.deepEqual(hits.map((h) => [h.count, h.matches.map((m) => m.ref)]), [[2, ['step_b@1', 'step_c@2']]]);
  });
});

describe('streaming input', () => {
  it('a late match is processed at the newest time seen; one without a time is skipped', () => {
    const [c] = correlations(eventCount('gte: 2', '1m'));
    const engine = new CorrelationEngine([c!]);
    engine.push(match('failed_login', 10 * MIN, { Host: 'h' }));
    const hits = engine.push(match('failed_login', 0, { Host: 'h' }));
    assert.deepEqual(hits.map((h) => [h.firstMs - T0, h.lastMs - T0]), [[10 * MIN, 10 * MIN]]);
    assert.deepEqual(engine.push({ ruleName: 'failed_login', event: { Host: 'h' }, timeMs: Number.NaN, ref: null }), []);
    assert.deepEqual(engine.stats(), { groups: 0, entries: 0, droppedGroups: 0, lateMatches: 1, skippedMatches: 1 });
  });

  it('correlate() sorts by time first', () => {
    const [c] = correlations(eventCount('gte: 2', '1m'));
    const hits = correlate([c!], [match('failed_login', 2 * MIN, { Host: 'h' }), match('failed_login', 0, { Host: 'h' }), match('failed_login', 30 * SEC, { Host: 'h' })]);
    assert.deepEqual(hits.map((h) => [h.firstMs - T0, h.lastMs - T0]), [[0, 30 * SEC]]);
  });
});
