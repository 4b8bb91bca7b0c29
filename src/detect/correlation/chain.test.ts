import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRuleFile } from '../sigma/parse.js';
import { CorrelationEngine, correlate } from './index.js';
import { MIN, SEC, T0, correlations, match } from './testkit.js';

describe('aliases', () => {
  // The specification's aliases example: an internal error and a new connection between the
  // same two addresses, each rule naming them differently.
  const ALIASES = `
title: Internal error then connection
id: 7a3a5a2c-4e0f-4d5e-9a51-2b7a1d0c9e11
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`;
  const error = (ms: number, src: string, dst: string) => match('internal_error', ms, { source: { ip: src }, destination: { ip: dst } });
  const conn = (ms: number, src: string, dst: string) => match('new_network_connection', ms, { source: { ip: src }, destination: { ip: dst } });

  it('groups each rule by its own field for the alias', () => {
    const hits = correlate(correlations(ALIASES), [error(0, '203.0.113.9', '10.0.0.5'), conn(4 * SEC, '10.0.0.5', '203.0.113.9')]);
    assert.deepEqual(hits.map((h) => [h.group, h.count]), [[{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' }, 2]]);
  });

  it('the same field names on both sides are not the same group', () => {
    const hits = correlate(correlations(ALIASES), [error(0, '203.0.113.9', '10.0.0.5'), conn(4 * SEC, '203.0.113.9', '10.0.0.5')]);
    assert.deepEqual(hits, []);
  });

  it('an alias also names the value_count field; a rule it does not map reads the alias as a field', () => {
    const [c] = correlations(`
title: Many targets
correlation:
    type: value_count
    rules: [scan_a, scan_b]
    group-by: [src]
    timespan: 1m
    aliases:
        src:
            scan_a: source.ip
        dst:
            scan_a: destination.ip
            scan_b: target
    condition:
        field: dst
        gte: 3
`);
    const hits = correlate([c!], [
      match('scan_a', 0, { source: { ip: '1.1.1.1' }, destination: { ip: '10.0.0.1' } }),
      match('scan_b', 1, { src: '1.1.1.1', target: '10.0.0.2' }),
      match('scan_a', 2, { source: { ip: '1.1.1.1' }, destination: { ip: '10.0.0.2' } }),
      match('scan_b', 3, { src: '1.1.1.1', target: '10.0.0.3' }),
    ]);
    assert.deepEqual(hits.map((h) => [h.group, h.count, h.lastMs - T0]), [[{ src: '1.1.1.1' }, 3, 3]]);
  });
});

// The specification's closing example: many failed logins, then a success, for one user.
// All four documents in one file, as the spec shows them; rules referenced by name.
const BRUTE_FORCE = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
`;

describe('chaining', () => {
  const failures = (user: string, n: number, fromMs = 0) => Array.from({ length: n }, (_, i) => match('failed_login', fromMs + i * SEC, { User: user, Computer: 'DC01' }, '53ba33fd-3a50-4468-a5ef-c583635cfa92'));
  const success = (user: string, ms: number) => match('successful_login', ms, { User: user }, '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8');

  it('spec example: ten failures then a success is one hit of the outer rule only', () => {
    const engine = new CorrelationEngine(correlations(BRUTE_FORCE));
    assert.deepEqual([...engine.referencedRules].sort(), ['failed_login', 'successful_login']);
    const hits = [...failures('bob', 10), ...failures('amy', 9), success('amy', 30 * SEC), success('bob', 1 * MIN)].flatMap((m) => engine.push(m));
    assert.equal(hits.length, 1, 'the inner event_count is not an alert of its own (generate: false)');
    const [hit] = hits;
    assert.equal(hit!.correlation.title, 'Correlation - Multiple Failed Logins Followed by Successful Login');
    assert.deepEqual(hit!.group, { User: 'bob' });
    assert.equal(hit!.count, 2);
    assert.equal(hit!.firstMs, T0, 'the hit spans the inner hit\'s matches');
    assert.equal(hit!.lastMs, T0 + 1 * MIN);
    assert.deepEqual(hit!.matches.map((m) => m.ref), [...failures('bob', 10).map((m) => m.ref), `successful_login@${MIN}`], 'base matches, not the inner hit');
    assert.deepEqual(engine.flush(), []);
  });

  it('a success before the tenth failure is in the wrong order', () => {
    const hits = correlate(correlations(BRUTE_FORCE), [...failures('bob', 5), success('bob', 6 * SEC), ...failures('bob', 5, 7 * SEC)]);
    assert.deepEqual(hits, []);
  });

  it('generate: true on the outer rule makes the inner hits alerts too, and the base rules', () => {
    const docs = correlations(BRUTE_FORCE.replace('level: high', 'level: high\ngenerate: true'));
    const engine = new CorrelationEngine(docs);
    const hits = [...failures('bob', 10), success('bob', 1 * MIN)].flatMap((m) => engine.push(m));
    assert.deepEqual(hits.map((h) => h.correlation.name ?? h.correlation.id), ['multiple_failed_login', 'b180ead8-d58f-40b2-ae54-c8940995b9b6']);
    assert.equal(engine.raisesOwnAlerts('53ba33fd-3a50-4468-a5ef-c583635cfa92', 'failed_login'), false, 'failed_login is referenced by the generate: false inner rule');
    assert.equal(engine.raisesOwnAlerts(undefined, 'successful_login'), true);
  });

  it('base rules referenced only by generate: false correlations raise no alerts of their own', () => {
    const engine = new CorrelationEngine(correlations(BRUTE_FORCE));
    assert.equal(engine.raisesOwnAlerts('53ba33fd-3a50-4468-a5ef-c583635cfa92', 'failed_login'), false);
    assert.equal(engine.raisesOwnAlerts('4d0a2c83-c62c-4ed4-b475-c7e23a9269b8', 'successful_login'), false);
    assert.equal(engine.raisesOwnAlerts('some-other-rule'), true);
  });

  it('an inner correlation may be referenced by id, and a closing-window inner feeds its outer at window end', () => {
    const docs = correlations(`
title: Quiet host then admin logon
correlation:
    type: temporal_ordered
    rules: [c0ffee00-0000-4000-8000-000000000001, admin_logon]
    group-by: [Host]
    timespan: 2m
---
title: Exactly one beacon
id: c0ffee00-0000-4000-8000-000000000001
correlation:
    type: event_count
    rules: [beacon]
    group-by: [Host]
    timespan: 1m
    condition:
        eq: 1
`);
    const engine = new CorrelationEngine(docs);
    const hits = [
      match('beacon', 0, { Host: 'h1' }),
      match('admin_logon', 30 * SEC, { Host: 'h1' }),
      match('admin_logon', 90 * SEC, { Host: 'h1' }),
    ].flatMap((m) => engine.push(m));
    assert.deepEqual(hits.map((h) => [h.correlation.title, h.firstMs - T0, h.lastMs - T0, h.decidedMs - T0, h.matches.map((m) => m.ref)]), [
      ['Quiet host then admin logon', 0, 90 * SEC, 90 * SEC, ['beacon@0', `admin_logon@${90 * SEC}`]],
    ], 'the logon at 30s came before the beacon window was decided, so only the one at 90s follows it');
  });
});

describe('correlations that cannot run', () => {
  it('are listed with file:line and why; the others still run', () => {
    const { documents, problems } = parseRuleFile(`title: loop a
name: loop_a
correlation:
    type: temporal
    rules: [loop_b, x]
    timespan: 1m
---
title: loop b
name: loop_b
correlation:
    type: temporal
    rules: [loop_a, y]
    timespan: 1m
---
title: needs the loop
correlation:
    type: event_count
    rules: [loop_a]
    timespan: 1m
    condition:
        gte: 1
---
title: impossible
correlation:
    type: temporal
    rules: [x, y]
    timespan: 1m
    condition:
        gte: 3
---
title: no comparison
correlation:
    type: value_count
    rules: [x]
    timespan: 1m
    condition:
        field: User
---
title: zero
name: fine
correlation:
    type: event_count
    rules: [x]
    timespan: 0s
    condition:
        gte: 1
---
title: fine
name: fine
correlation:
    type: event_count
    rules: [x]
    timespan: 1m
    condition:
        gte: 1
`, 'bad.yml');
    const engine = new CorrelationEngine(documents.filter((d) => d.kind === 'correlation'));
    assert.deepEqual(engine.problems, [
      { where: 'bad.yml:1', reason: "'loop_a' is in, or depends on, a loop of correlations referring to each other" },
      { where: 'bad.yml:8', reason: "'loop_b' is in, or depends on, a loop of correlations referring to each other" },
      { where: 'bad.yml:15', reason: "'needs the loop' is in, or depends on, a loop of correlations referring to each other" },
      { where: 'bad.yml:23', reason: 'condition can never hold: temporal counts distinct rules and 2 are listed' },
    ]);
    // The parser already refuses these two, so the engine never sees them.
    assert.deepEqual(problems, [
      { where: 'bad.yml:37', reason: 'a correlation condition needs a comparison (gt, gte, lt, lte, eq or neq)' },
      { where: 'bad.yml:44', reason: "timespan '0s' is zero: a correlation needs a window" },
    ]);
    assert.deepEqual([...engine.referencedRules], ['x'], "only 'fine' runs");
  });

  it('an outer correlation whose inner one cannot run is left out too', () => {
    const engine = new CorrelationEngine(correlations(`
title: outer
correlation:
    type: temporal
    rules: [inner, z]
    timespan: 1m
---
title: inner
name: inner
correlation:
    type: event_count
    rules: [x]
    timespan: 1m
    condition:
        lt: 1
`));
    assert.deepEqual(engine.problems.map((p) => p.reason), ["refers to correlation 'inner', which cannot run", 'condition can never hold for a count of 1 or more']);
  });
});

describe('parseRuleFile on bad correlations', () => {
  it('names the line of a missing timespan and of an unknown type', () => {
    const { documents, problems } = parseRuleFile(`title: no timespan
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    condition:
        gte: 10
---
title: unknown type
correlation:
    type: event_sum
    rules:
        - failed_login
    timespan: 5m
    condition:
        gte: 10
`, 'bad.yml');
    assert.deepEqual(documents, []);
    assert.deepEqual(problems, [
      { where: 'bad.yml:3', reason: "a correlation needs a 'timespan' (e.g. 5m)" },
      { where: 'bad.yml:13', reason: "correlation type 'event_sum' is not one of event_count, value_count, temporal, temporal_ordered" },
    ]);
  });
});
