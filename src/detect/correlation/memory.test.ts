import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CorrelationEngine } from './index.js';
import { T0, correlations } from './testkit.js';
import type { BaseMatch } from './index.js';

const ALL_TYPES = `
title: bursts
correlation:
    type: event_count
    rules: [a]
    group-by: [User]
    timespan: 1m
    condition:
        gte: 5
---
title: few hosts
correlation:
    type: value_count
    rules: [a, b, c]
    group-by: [User]
    timespan: 1m
    condition:
        field: Host
        lt: 3
---
title: all three
correlation:
    type: temporal
    rules: [a, b, c]
    group-by: [User]
    timespan: 2m
---
title: in order
correlation:
    type: temporal_ordered
    rules: [a, b, c]
    group-by: [User]
    timespan: 2m
`;

describe('memory on a long stream', () => {
  it('a million matches over 28 hours keep the state small, and it empties at the end', () => {
    const engine = new CorrelationEngine(correlations(ALL_TYPES));
    const rules = ['a', 'b', 'c'];
    let hits = 0;
    let peak = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const m: BaseMatch = {
        ruleName: rules[i % 3],
        // 500 users, and every 100 000 matches a new set of them: old groups must go.
        event: { User: `u${Math.floor(i / 100_000)}-${i % 500}`, Host: `h${i % 7}` },
        timeMs: T0 + i * 100,
        ref: i,
      };
      hits += engine.push(m).length;
      if (i % 10_000 === 0) peak = Math.max(peak, engine.stateSize());
    }
    hits += engine.flush().length;
    assert.ok(hits > 0, 'the stream does make hits');
    // 500 live users × 4 correlations, each group a handful of entries.
    assert.ok(peak < 500 * 4 * 8, `peak state ${peak}`);
    assert.deepEqual(engine.stats(), { groups: 0, entries: 0, droppedGroups: 0, lateMatches: 0, skippedMatches: 0 });
  });

  it('groups that never come back expire once the timespan has passed', () => {
    const engine = new CorrelationEngine(correlations(ALL_TYPES));
    for (let i = 0; i < 1000; i++) engine.push({ ruleName: 'a', event: { User: `once-${i}`, Host: 'h' }, timeMs: T0 + i, ref: i });
    assert.equal(engine.stats().groups, 4000);
    // lt windows close one timespan after their first match; sliding groups when their
    // newest match is a timespan old.
    engine.advance(T0 + 999 + 2 * 60_000 + 1);
    assert.equal(engine.stateSize(), 0);
  });

  it('past maxGroups the least recent group is dropped and counted', () => {
    const [c] = correlations(ALL_TYPES);
    const engine = new CorrelationEngine([c!], { maxGroups: 10 });
    for (let i = 0; i < 1000; i++) engine.push({ ruleName: 'a', event: { User: `u${i}` }, timeMs: T0 + i, ref: i });
    const stats = engine.stats();
    assert.equal(stats.groups, 10);
    assert.equal(stats.droppedGroups, 990);
  });

  it('a closing window stores distinct values only up to the condition bound', () => {
    const [, c] = correlations(ALL_TYPES);
    const engine = new CorrelationEngine([c!]);
    for (let i = 0; i < 10_000; i++) engine.push({ ruleName: 'b', event: { User: 'u', Host: `h${i}` }, timeMs: T0 + i, ref: i });
    assert.equal(engine.stateSize(), 1 + 4, 'one group, 4 values: once past lt: 3, more values change nothing');
    assert.deepEqual(engine.flush(), []);
  });
});
