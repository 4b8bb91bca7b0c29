/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../api/types.js';
import { actionForKey, applicable, moveCursor, QUEUE_ACTIONS, suggestedCaseTitle, toggled } from './actions.js';
import { alertQuery, filtersFromSearch, matchesText, searchOfFilters } from './filters.js';

function alert(over: Partial<Alert>): Alert {
  return {
    id: 'a1', rule_id: 'r1', rule_version: 1, rule_title: 'Telnet to a server', level: 'medium', techniques: ['T1021'], tactics: ['lateral-movement'],
    author: 'someone', host: 'fw01', user: null, status: 'new', status_note: null, case_id: null,
    observables: [{ type: 'ip', value: '10.0.0.66' }], event_ids: ['s:1'], event_count: 1, detection_count: 1, matched_fields: ['dst_port'],
    first_seen: '2026-11-21T08:00:00Z', last_seen: '2026-11-21T08:00:00Z', created_at: '2026-11-21T08:00:01Z', updated_at: '2026-11-21T08:00:01Z',
    ...over,
  };
}

describe('alert queue filters', () => {
  it('defaults to the open alerts and drops values it does not know', () => {
    const f = filtersFromSearch(new URLSearchParams('status=bogus&level=extreme&window=3y'));
    assert.deepEqual(f, { status: 'open', minLevel: '', host: '', ruleId: '', text: '', window: '' });
  });

  it('round-trips through the address, leaving defaults out', () => {
    const f = filtersFromSearch(new URLSearchParams('status=dismissed&level=high&host=dc01&rule=r9&q=mimikatz&window=24h'));
    assert.deepEqual(f, { status: 'dismissed', minLevel: 'high', host: 'dc01', ruleId: 'r9', text: 'mimikatz', window: '24h' });
    const back = new URLSearchParams(Object.entries(searchOfFilters(f)).filter((e): e is [string, string] => e[1] !== undefined));
    assert.deepEqual(filtersFromSearch(back), f);
    assert.deepEqual(Object.values(searchOfFilters(filtersFromSearch(new URLSearchParams()))).filter(Boolean), []);
  });

  it('asks the API for open statuses, levels at or above, and a since time', () => {
    const now = Date.parse('2026-11-21T08:00:00Z');
    const q = alertQuery({ status: 'open', minLevel: 'high', host: ' dc01 ', ruleId: '', text: 'ignored by the API', window: '1h' }, now);
    assert.deepEqual(q, { status: ['new', 'acknowledged'], level: ['high', 'critical'], host: 'dc01', rule_id: undefined, since: '2026-11-21T07:00:00.000Z', limit: 200 });
    const all = alertQuery({ status: 'all', minLevel: '', host: '', ruleId: 'r1', text: '', window: '' }, now);
    assert.equal(all.status, undefined);
    assert.equal(all.since, undefined);
    assert.equal(all.rule_id, 'r1');
  });

  it('matches every word of the text in title, host, user, techniques or observables', () => {
    const a = alert({ user: 'CORP\\alice' });
    assert.ok(matchesText(a, ''));
    assert.ok(matchesText(a, 'telnet FW01'));
    assert.ok(matchesText(a, '10.0.0.66 t1021'));
    assert.ok(matchesText(a, 'alice'));
    assert.ok(!matchesText(a, 'telnet dc01'));
  });
});

describe('alert queue actions', () => {
  it('apply only to alerts in a status they can leave', () => {
    const by = (id: string) => QUEUE_ACTIONS.find((a) => a.id === id)!;
    const sel = [alert({ id: 'n', status: 'new' }), alert({ id: 'k', status: 'acknowledged' }), alert({ id: 'd', status: 'dismissed' }), alert({ id: 'c', status: 'in_case' })];
    const ids = (id: string) => applicable(by(id), sel).map((a) => a.id);
    assert.deepEqual(ids('acknowledge'), ['n', 'd']);
    assert.deepEqual(ids('dismiss'), ['n', 'k']);
    assert.deepEqual(ids('reopen'), ['k', 'd']);
    assert.deepEqual(ids('create_case'), ['n', 'k', 'd']);
    assert.deepEqual(ids('add_to_case'), ['n', 'k', 'd']);
  });

  it('have one distinct key each, found by actionForKey', () => {
    const keys = QUEUE_ACTIONS.map((a) => a.key);
    assert.equal(new Set(keys).size, keys.length);
    for (const a of QUEUE_ACTIONS) assert.equal(actionForKey(a.key), a);
    assert.equal(actionForKey('j'), undefined, 'navigation keys are not actions');
  });

  it('move the cursor within the rows and start at the top', () => {
    const ids = ['a', 'b', 'c'];
    assert.equal(moveCursor(ids, null, 1), 'a');
    assert.equal(moveCursor(ids, 'a', 1), 'b');
    assert.equal(moveCursor(ids, 'c', 1), 'c');
    assert.equal(moveCursor(ids, 'a', -1), 'a');
    assert.equal(moveCursor(ids, 'gone', -1), 'a');
    assert.equal(moveCursor([], 'a', 1), null);
  });

  it('toggle a selection without changing the one given', () => {
    const s = new Set(['a']);
    assert.deepEqual([...toggled(s, 'b')], ['a', 'b']);
    assert.deepEqual([...toggled(s, 'a')], []);
    assert.deepEqual([...s], ['a']);
  });

  it('suggest a case title from the rules and hosts', () => {
    assert.equal(suggestedCaseTitle([]), '');
    assert.equal(suggestedCaseTitle([alert({})]), 'Telnet to a server on fw01');
    assert.equal(suggestedCaseTitle([alert({ host: null })]), 'Telnet to a server');
    assert.equal(suggestedCaseTitle([alert({}), alert({ id: 'b', host: 'fw02', rule_title: 'Other' })]), 'Telnet to a server (+1 rules) on 2 hosts');
  });
});
