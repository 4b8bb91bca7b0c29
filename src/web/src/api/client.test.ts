/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldFilterOf } from '../eventFilters.js';
import { ApiError, errorOf, queryString } from './client.js';

describe('API client helpers', () => {
  it('builds query strings, repeating list keys and leaving empty values out', () => {
    assert.equal(queryString({}), '');
    assert.equal(queryString({ a: undefined, b: '', c: null }), '');
    assert.equal(queryString({ status: ['new', 'acknowledged'], limit: 50, failed: true }), '?status=new&status=acknowledged&limit=50&failed=true');
    assert.equal(queryString({ 'source.ip': '10.0.0.1', q: 'a&b' }), '?source.ip=10.0.0.1&q=a%26b');
  });

  it('reads the server error body, and still makes an error of a body that is not one', async () => {
    const e1 = await errorOf(new Response(JSON.stringify({ error: 'RULE_INVALID', message: 'bad condition', where: 'upload.yml:9' }), { status: 400 }));
    assert.ok(e1 instanceof ApiError);
    assert.deepEqual([e1.status, e1.code, e1.message, e1.where], [400, 'RULE_INVALID', 'bad condition', 'upload.yml:9']);
    const e2 = await errorOf(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    assert.deepEqual([e2.status, e2.code, e2.message], [502, 'HTTP_502', '<html>Bad gateway</html>']);
    const e3 = await errorOf(new Response(JSON.stringify({ error: 1 }), { status: 500, statusText: 'Internal Server Error' }));
    assert.equal(e3.code, 'HTTP_500');
  });

  it('reads an ECS field filter only when it has a field and a value', () => {
    assert.deepEqual(fieldFilterOf('source.ip=10.0.0.1'), ['source.ip', '10.0.0.1']);
    assert.deepEqual(fieldFilterOf(' url.original = http://x/?a=b '), ['url.original', 'http://x/?a=b']);
    assert.equal(fieldFilterOf('=x'), null);
    assert.equal(fieldFilterOf('source.ip='), null);
    assert.equal(fieldFilterOf('plain text'), null);
  });
});
