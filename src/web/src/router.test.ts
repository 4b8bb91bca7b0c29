/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hrefOf, INTEL_TABS, parseRoute, withSearch, type Route } from './router.js';

describe('console routes', () => {
  it('reads each page from its path', () => {
    assert.deepEqual(parseRoute('/'), { page: 'alerts' });
    assert.deepEqual(parseRoute('/alerts'), { page: 'alerts' });
    assert.deepEqual(parseRoute('/cases'), { page: 'cases' });
    assert.deepEqual(parseRoute('/cases/42'), { page: 'case', ref: '42' });
    assert.deepEqual(parseRoute('/cases/42/'), { page: 'case', ref: '42' });
    assert.deepEqual(parseRoute('/rules'), { page: 'rules' });
    assert.deepEqual(parseRoute('/rules/2b1f3c4d-0000-4000-8000-000000000001'), { page: 'rules', ruleId: '2b1f3c4d-0000-4000-8000-000000000001' });
    assert.deepEqual(parseRoute('/ingest'), { page: 'ingest' });
    assert.deepEqual(parseRoute('/intel'), { page: 'intel', tab: 'overview' });
    assert.deepEqual(parseRoute('/intel/ledger'), { page: 'intel', tab: 'ledger' });
  });

  it('answers not_found for unknown or too deep paths, and survives bad escapes', () => {
    assert.deepEqual(parseRoute('/nope'), { page: 'not_found', path: '/nope' });
    assert.deepEqual(parseRoute('/cases/1/2'), { page: 'not_found', path: '/cases/1/2' });
    assert.deepEqual(parseRoute('/ingest/x'), { page: 'not_found', path: '/ingest/x' });
    assert.deepEqual(parseRoute('/intel/nope'), { page: 'not_found', path: '/intel/nope' });
    assert.deepEqual(parseRoute('/intel/overview'), { page: 'not_found', path: '/intel/overview' }, 'the overview has one address, /intel');
    assert.deepEqual(parseRoute('/cases/%E0%A4%A'), { page: 'case', ref: '%E0%A4%A' });
  });

  it('writes paths that read back as the same route, escaping ids', () => {
    const routes: Route[] = [
      { page: 'alerts' }, { page: 'cases' }, { page: 'case', ref: '7' }, { page: 'case', ref: 'a/b c' },
      { page: 'rules' }, { page: 'rules', ruleId: 'x?y' }, { page: 'ingest' },
      ...INTEL_TABS.map((tab) => ({ page: 'intel', tab }) as const),
    ];
    for (const r of routes) assert.deepEqual(parseRoute(hrefOf(r)), r, hrefOf(r));
    assert.equal(hrefOf({ page: 'case', ref: 'a/b c' }), '/cases/a%2Fb%20c');
  });

  it('sets and clears query parameters, keeping the others', () => {
    assert.equal(withSearch('/?status=all&q=x', { q: undefined, level: 'high' }), '/?status=all&level=high');
    assert.equal(withSearch('/cases/3?tab=tasks', { tab: '' }), '/cases/3');
    assert.equal(withSearch('/rules', { q: 'a b&c' }), '/rules?q=a+b%26c');
  });
});
