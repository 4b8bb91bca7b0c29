import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleProblem } from './validate.js';
import { defaultRulesDir } from './paths.js';

const check = (text: string | Uint8Array): string | undefined =>
  ruleProblem(typeof text === 'string' ? Buffer.from(text) : text);

test('a detection, correlation or filter rule passes', () => {
  assert.equal(check('title: t\ndetection:\n  sel:\n    a: 1\n  condition: sel\n'), undefined);
  assert.equal(check('\ufefftitle: t\ncorrelation:\n  type: event_count\n'), undefined);
  assert.equal(check('title: t\nfilter:\n  rules: [x]\n'), undefined);
  // Correlation files carry several rules; a trailing `---` is harmless.
  assert.equal(check('title: a\ndetection: {c: 1}\n---\ntitle: b\ncorrelation: {type: x}\n---\n'), undefined);
});

test('junk is rejected with a reason', () => {
  assert.match(check('title: t\ndetection: [\n')!, /^YAML error: /);
  assert.match(check('title: a\ntitle: b\ndetection: {}\n')!, /unique/);
  assert.equal(check(''), 'empty file');
  assert.equal(check('- a\n- b\n'), 'not a Sigma rule: the top level is not a mapping');
  assert.equal(check('detection: {a: 1}\n'), "not a Sigma rule: no 'title'");
  assert.equal(check('title: t\n'), "not a Sigma rule: no 'detection', 'correlation' or 'filter' section");
  assert.equal(check('title: t\ndetection: sel\n'), "not a Sigma rule: 'detection' is not a mapping");
  assert.equal(check('title: a\ndetection: {c: 1}\n---\ntitle: b\n'), "document 2: not a Sigma rule: no 'detection', 'correlation' or 'filter' section");
  assert.equal(check(new Uint8Array([0x74, 0xff, 0xfe])), 'not valid UTF-8 text');
  assert.match(check('<!DOCTYPE html><html>rate limited</html>')!, /not a mapping/);
});

test('defaultRulesDir honours LIANFANG_RULES, XDG_DATA_HOME and Windows', () => {
  assert.equal(defaultRulesDir({ LIANFANG_RULES: '/srv/rules' }, 'linux', '/home/u'), '/srv/rules');
  assert.equal(defaultRulesDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/lianfang/rules');
  assert.equal(defaultRulesDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.local/share/lianfang/rules');
  assert.equal(defaultRulesDir({}, 'darwin', '/Users/u'), '/Users/u/.local/share/lianfang/rules');
  assert.match(defaultRulesDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), /lianfang.rules$/);
});
