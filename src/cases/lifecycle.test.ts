import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../core/index.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { CASE_STATES, CASE_TRANSITIONS, canTransition, caseSeverityOf, clockChange, quantile, stricterTlp, summarizeDurations, TERMINAL_STATES } from './lifecycle.js';
import { buildTimeline } from './timeline.js';
import type { CaseState } from './types.js';

describe('case state transitions', () => {
  it('allows exactly the moves of the table', () => {
    const allowed = new Set([
      'new>triage', 'new>in_progress', 'new>false_positive', 'new>closed',
      'triage>in_progress', 'triage>resolved', 'triage>false_positive', 'triage>closed',
      'in_progress>triage', 'in_progress>contained', 'in_progress>resolved', 'in_progress>false_positive',
      'contained>in_progress', 'contained>resolved',
      'resolved>closed', 'resolved>triage',
      'closed>triage',
      'false_positive>closed', 'false_positive>triage',
    ]);
    for (const from of CASE_STATES) {
      for (const to of CASE_STATES) {
        assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} → ${to}`);
      }
    }
  });

  it('reopens every terminal state to triage and never back to new', () => {
    for (const s of TERMINAL_STATES) assert.ok(canTransition(s, 'triage'), s);
    for (const s of CASE_STATES) assert.ok(!canTransition(s, 'new'), s);
  });

  it('reaches every state from new, so no state is a dead end', () => {
    const seen = new Set<CaseState>(['new']);
    const queue: CaseState[] = ['new'];
    while (queue.length > 0) for (const n of CASE_TRANSITIONS[queue.shift()!]) if (!seen.has(n)) seen.add(n), queue.push(n);
    assert.deepEqual([...seen].sort(), [...CASE_STATES].sort());
  });
});

describe('reporting clocks', () => {
  const created = '2026-03-01T00:00:00.000Z';
  const at = (min: number): string => new Date(Date.parse(created) + min * 60_000).toISOString();

  it('acknowledges on the first move out of new, once', () => {
    const c = clockChange({ createdAt: created, acknowledgedAt: null, resolvedAt: null }, { from: 'new', to: 'triage', assigned: false }, at(7));
    assert.deepEqual(c, { acknowledgedAt: at(7), timeToAcknowledgeMs: 7 * 60_000 });
    assert.deepEqual(clockChange({ createdAt: created, acknowledgedAt: at(7), resolvedAt: null }, { from: 'triage', to: 'in_progress', assigned: true }, at(9)), {});
  });

  it('acknowledges on the first assignment even while the case stays new', () => {
    const c = clockChange({ createdAt: created, acknowledgedAt: null, resolvedAt: null }, { from: 'new', to: 'new', assigned: true }, at(3));
    assert.equal(c.timeToAcknowledgeMs, 3 * 60_000);
  });

  it('stops time-to-resolve at the first terminal state, keeps it from resolved to closed, clears it on reopening', () => {
    const open = { createdAt: created, acknowledgedAt: at(1), resolvedAt: null };
    assert.deepEqual(clockChange(open, { from: 'contained', to: 'resolved', assigned: false }, at(60)), { resolvedAt: at(60), timeToResolveMs: 3_600_000 });
    assert.deepEqual(clockChange({ ...open, resolvedAt: at(60) }, { from: 'resolved', to: 'closed', assigned: false }, at(90)), {});
    assert.deepEqual(clockChange({ ...open, resolvedAt: at(60) }, { from: 'closed', to: 'triage', assigned: false }, at(120)), { resolvedAt: null, timeToResolveMs: null });
    assert.deepEqual(clockChange(open, { from: 'new', to: 'false_positive', assigned: false }, at(5)), {
      resolvedAt: at(5), timeToResolveMs: 300_000,
    });
  });
});

describe('durations', () => {
  it('takes the median and p90 by interpolation between ranks', () => {
    assert.equal(quantile([], 0.5), null);
    assert.equal(quantile([5], 0.9), 5);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 3); // 2.5 rounds to 3 ms
    const ten = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000);
    assert.deepEqual(summarizeDurations([...ten].reverse()), { count: 10, medianMs: 5500, p90Ms: 9100 });
  });
});

describe('severity and TLP', () => {
  it('opens informational detections as low cases and keeps the stricter TLP', () => {
    assert.equal(caseSeverityOf('informational'), 'low');
    assert.equal(caseSeverityOf('critical'), 'critical');
    assert.equal(stricterTlp('green', 'amber+strict'), 'amber+strict');
    assert.equal(stricterTlp('red', 'clear'), 'red');
  });
});

describe('cursors', () => {
  it('round-trip and refuse what we did not make, naming the cursor', () => {
    assert.equal(decodeCursor(encodeCursor(12345)), 12345);
    for (const bad of ['', 'abc', Buffer.from('{"v":1,"k":-1}').toString('base64url'), Buffer.from('{"v":2,"k":1}').toString('base64url'), 'x'.repeat(500)]) {
      assert.throws(() => decodeCursor(bad), (e: unknown) => e instanceof InputError && e.where === 'cursor', bad);
    }
    assert.throws(() => pageSize(0), /limit: must be a whole number from 1 to 500/);
    assert.equal(pageSize(undefined), 50);
  });
});

describe('timeline', () => {
  it('puts everything in time order, newest last, and keeps same-millisecond changes in revision order', () => {
    const t0 = '2026-03-01T00:00:00.000Z';
    const t1 = '2026-03-01T00:05:00.000Z';
    const timeline = buildTimeline({
      createdAt: t0, createdBy: 'alice', number: 4, title: 'Mimikatz on PC01',
      history: [
        { at: t1, actor: 'bob', kind: 'state_changed', detail: { from: 'triage', to: 'in_progress' }, rev: 5 },
        { at: t1, actor: 'bob', kind: 'state_changed', detail: { from: 'new', to: 'triage' }, rev: 4 },
        { at: t0, actor: 'alice', kind: 'alerts_merged', detail: { alert_ids: ['a'], count: 1 }, rev: 1 },
      ],
      tasks: [{ id: 't', caseId: 'c', title: 'Isolate PC01', description: '', state: 'todo', assignee: null, createdBy: 'bob', createdAt: t1, updatedAt: t1, doneAt: null, rev: 6 }],
      comments: [{ id: 'm', caseId: 'c', author: 'carol', text: 'seen before', createdAt: '2026-03-01T00:01:00.000Z', rev: 2 }],
      evidence: [],
    });
    assert.deepEqual(timeline.map((e) => e.summary), [
      'case #4 opened: Mimikatz on PC01',
      '1 alert merged',
      'comment',
      'state new → triage',
      'state triage → in_progress',
      'task added: Isolate PC01',
    ]);
    assert.deepEqual(timeline.map((e) => e.actor), ['alice', 'alice', 'carol', 'bob', 'bob', 'bob']);
  });
});
