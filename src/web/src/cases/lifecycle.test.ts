/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64OfBytes, CASE_STATES, CASE_TRANSITIONS, isOpenState, nextStates } from './lifecycle.js';

describe('case lifecycle as the console shows it', () => {
  it('offers a move from every state, never to the same state, and reopens terminal states to triage', () => {
    for (const s of CASE_STATES) {
      assert.ok(nextStates(s).length > 0, s);
      assert.ok(!nextStates(s).includes(s), s);
      for (const t of nextStates(s)) assert.ok(CASE_STATES.includes(t), `${s} → ${t}`);
    }
    for (const s of ['resolved', 'closed', 'false_positive'] as const) assert.ok(CASE_TRANSITIONS[s].includes('triage'), s);
    assert.deepEqual(CASE_STATES.filter(isOpenState), ['new', 'triage', 'in_progress', 'contained']);
  });

  it('encodes evidence bytes as standard base64, in chunks for large files', () => {
    assert.equal(base64OfBytes(new Uint8Array([])), '');
    assert.equal(base64OfBytes(new TextEncoder().encode('evidence\n')), Buffer.from('evidence\n').toString('base64'));
    const big = new Uint8Array(300_000).map((_, i) => (i * 7919) & 0xff);
    assert.equal(base64OfBytes(big), Buffer.from(big).toString('base64'));
  });
});
