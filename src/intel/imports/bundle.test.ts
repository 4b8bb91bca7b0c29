import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readStixBundle } from './bundle.js';

const EXAMPLE = new URL('../../../../shared/data/stix/cti-documentation-examples/indicator-for-malicious-url.json', import.meta.url).pathname;

describe('readStixBundle', () => {
  it("reads a bundle's objects", () => {
    const r = readStixBundle(readFileSync(EXAMPLE, 'utf8'), 'url.json');
    assert.deepEqual(r.problems, []);
    assert.ok(r.objects.length > 1);
    assert.ok(r.objects.some((o) => (o as { type: string }).type === 'indicator'));
  });

  it('takes a lone STIX object as one object, and a byte order mark', () => {
    const o = { type: 'indicator', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' };
    assert.deepEqual(readStixBundle(`\ufeff${JSON.stringify(o)}`, 'x.json'), { objects: [o], problems: [] });
  });

  it('names the file and what is wrong', () => {
    const reason = (text: string): string => {
      const r = readStixBundle(text, 'f.json');
      assert.deepEqual(r.objects, []);
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0]!.where, 'f.json');
      return r.problems[0]!.reason;
    };
    assert.match(reason('{"type": "bundle",'), /^not JSON: /);
    assert.equal(reason('[1, 2]'), 'not a STIX bundle or object: the file holds a list');
    assert.equal(reason('"bundle"'), 'not a STIX bundle or object: the file holds a string');
    assert.equal(reason('{"objects": []}'), "not a STIX bundle or object: it has no 'type'");
    assert.equal(reason('{"type": "bundle", "id": "bundle--x", "objects": {"a": 1}}'), "the bundle's 'objects' must be a list; got an object");
    assert.equal(reason('{"type": "indicator"}'), "not a STIX bundle or object: 'type' is 'indicator' but there is no 'id'");
    assert.equal(reason('{"Event": {"info": "x"}}'), 'a MISP event, not STIX');
  });

  it('says when a bundle is STIX 2.0, and hands its objects on for the store to judge', () => {
    const r = readStixBundle('{"type": "bundle", "id": "bundle--x", "spec_version": "2.0", "objects": [{"type": "indicator"}]}', 'old.json');
    assert.equal(r.objects.length, 1);
    assert.match(r.problems[0]!.reason, /STIX 2\.0 bundle/);
  });

  it('reads an empty bundle as no objects', () => {
    assert.deepEqual(readStixBundle('{"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}', 'e.json'), { objects: [], problems: [] });
  });
});
