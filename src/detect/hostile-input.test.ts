import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SigmaEngine } from './engine.js';
import { parseRuleFile } from './sigma/parse.js';
import type { SigmaRule } from './sigma/types.js';

// Security regressions: input crafted to exhaust the stack or the CPU must get a clear error
// (rules) or be skipped (event values), never crash the run.

function rules(yaml: string): SigmaRule[] {
  return parseRuleFile(yaml, 'r.yml').documents.filter((d): d is SigmaRule => d.kind === 'rule');
}

test('a condition nested 20,000 levels deep is a rule error, not a stack overflow', () => {
  const deep = '('.repeat(20_000) + 'sel' + ')'.repeat(20_000);
  const { documents, problems } = parseRuleFile(`title: t\nlogsource: {product: windows}\ndetection:\n  sel: {a: 1}\n  condition: ${deep}\n`, 'x.yml');
  assert.equal(documents.length, 0);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.reason, /nests deeper than 200 levels/);
  assert.ok(problems[0]!.reason.length < 300, 'the message quotes the condition briefly');
  const nots = parseRuleFile(`title: t\ndetection:\n  sel: {a: 1}\n  condition: ${'not '.repeat(50_000)}sel\n`, 'y.yml');
  assert.match(nots.problems[0]!.reason, /nests deeper/);
});

test('an event nested 100,000 levels deep is searched to a bounded depth, without crashing', () => {
  const { engine } = SigmaEngine.build(rules(`
title: keyword
logsource: {product: windows}
detection:
  keywords: ['needle-in-log']
  condition: keywords
---
title: dotted
logsource: {product: windows}
detection:
  sel: {a.b: 'x'}
  condition: sel
`));
  let deep: unknown = 'needle-in-log';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const event = { Channel: 'Security', EventID: 1, a: deep, shallow: ['needle-in-log'] } as never;
  const hits = engine.match(event);
  assert.deepEqual(hits.map((h) => h.rule.title), ['keyword'], 'the shallow copy still matches');
  assert.equal(engine.match({ Channel: 'Security', EventID: 1, a: deep } as never).length, 0);
});

test('a regex built to backtrack runs in linear time (RE2)', () => {
  const { engine } = SigmaEngine.build(rules(`
title: redos
logsource: {product: windows, service: security}
detection:
  sel: {CommandLine|re: '^(a+)+$'}
  condition: sel
`));
  const started = performance.now();
  const hits = engine.match({ Channel: 'Security', EventID: 4688, CommandLine: `${'a'.repeat(50_000)}!` });
  assert.equal(hits.length, 0);
  // Not a timing assertion: the run finishing at all shows there was no exponential backtracking.
  assert.ok(performance.now() - started >= 0);
});

test('YAML alias bombs are never expanded: the rule loads, a value pointing into one is an error', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 12; i++) {
    const prev = String.fromCharCode(97 + i);
    bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${prev},*${prev},*${prev},*${prev}]`);
  }
  // Expanded, 'm' would hold 9 × 4^12 ≈ 151 million strings.
  const ok = parseRuleFile(`title: bomb\ndetection:\n  sel:\n    f: 1\n  condition: sel\n${bomb.join('\n')}\n`, 'bomb.yml');
  assert.equal(ok.documents.length, 1);
  const used = parseRuleFile(`${bomb.join('\n')}\ntitle: bomb\ndetection:\n  sel:\n    f: *m\n  condition: sel\n`, 'used.yml');
  assert.equal(used.documents.length, 0);
  assert.match(used.problems[0]!.reason, /nested list or map|YAML error/);
});
