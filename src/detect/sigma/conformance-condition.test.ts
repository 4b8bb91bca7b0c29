/**
 * Sigma conformance: the condition grammar and error reporting, written from the
 * specification text (SigmaHQ/sigma-specification, specification/sigma-rules-specification.md
 * v2.0.0 §Condition, and specification/sigma-filters-specification.md). Each test name cites
 * the section it checks. Tests marked "(convention)" cover points the specification leaves
 * open; they assert what pySigma does. Tests marked "(extension)" cover syntax beyond the
 * specification that the engine documents.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, compileError, rule } from './conformance.suite.js';
import { compileDetection, toClosure, EventView, FieldTable } from './compile.js';
import { parseRuleFile } from './parse.js';

/** Detection with identifiers a, b, c (each `X: 1`) and the given condition. */
function abc(condition: string): (event: object) => boolean {
  return compileRule(
    rule(`
      a:
          A: 1
      b:
          B: 1
      c:
          C: 1
      condition: ${condition}
    `),
  );
}

/** Every combination of A, B, C set to 1 or absent. */
const COMBOS = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({
  a: (n & 1) !== 0,
  b: (n & 2) !== 0,
  c: (n & 4) !== 0,
}));

function eventOf(x: { a: boolean; b: boolean; c: boolean }): Record<string, number> {
  const e: Record<string, number> = {};
  if (x.a) e.A = 1;
  if (x.b) e.B = 1;
  if (x.c) e.C = 1;
  return e;
}

/** Checks a condition against a boolean oracle over all 8 assignments of a, b, c. */
function truthTable(condition: string, oracle: (a: boolean, b: boolean, c: boolean) => boolean): void {
  const fn = abc(condition);
  for (const x of COMBOS) {
    assert.equal(fn(eventOf(x)), oracle(x.a, x.b, x.c), `${condition} with a=${x.a} b=${x.b} c=${x.c}`);
  }
}

// ---------------------------------------------------------------------------------------

describe('Condition §Logical AND/OR, negation, brackets', () => {
  test('§Condition: "keywords1 or keywords2"', () => {
    truthTable('a or b', (a, b) => a || b);
  });

  test('§Condition: "and"', () => {
    truthTable('a and b', (a, b) => a && b);
  });

  test('§Condition precedence: and binds tighter than or — "a or b and c" is a or (b and c)', () => {
    truthTable('a or b and c', (a, b, c) => a || (b && c));
  });

  test('§Condition precedence: "a and b or c" is (a and b) or c', () => {
    truthTable('a and b or c', (a, b, c) => (a && b) || c);
  });

  test('§Condition precedence: not binds tighter than and — "not a and b" is (not a) and b', () => {
    truthTable('not a and b', (a, b) => !a && b);
  });

  test('§Condition precedence: "a and not b or c" is (a and (not b)) or c', () => {
    truthTable('a and not b or c', (a, b, c) => (a && !b) || c);
  });

  test('§Condition: brackets — "a and (b or c)"', () => {
    truthTable('a and (b or c)', (a, b, c) => a && (b || c));
  });

  test('§Condition: nested brackets and negated groups — "not (a or (b and not c))"', () => {
    truthTable('not (a or (b and not c))', (a, b, c) => !(a || (b && !c)));
  });

  test('§Condition: "not not a" is a', () => {
    truthTable('not not a', (a) => a);
  });

  test('§Condition: runs of the same operator — "a or b or c" and "a and b and c"', () => {
    truthTable('a or b or c', (a, b, c) => a || b || c);
    truthTable('a and b and c', (a, b, c) => a && b && c);
  });

  test('§Condition: "keywords and not filters" with real selections', () => {
    const r = compileRule(rule(String.raw`
      selection:
          Image|endswith: '\rundll32.exe'
      filter:
          CommandLine|contains: 'shell32.dll,Control_RunDLL'
      condition: selection and not filter
    `));
    assert.equal(r({ Image: 'C:\\Windows\\rundll32.exe', CommandLine: 'rundll32 evil.dll,Start' }), true);
    assert.equal(r({ Image: 'C:\\Windows\\rundll32.exe', CommandLine: 'rundll32 shell32.dll,Control_RunDLL x' }), false);
  });
});

describe('Condition §1/all of search-identifier-pattern and them', () => {
  const detection = (condition: string): string =>
    rule(`
      selection_img:
          Image|endswith: '.exe'
      selection_cli:
          CommandLine|contains: 'evil'
      filter_main:
          User: SYSTEM
      _ignored:
          Never: 'x'
      condition: ${condition}
    `);

  test('§Condition: "1 of selection_*" — any identifier matching the pattern', () => {
    const r = compileRule(detection('1 of selection_*'));
    assert.equal(r({ Image: 'a.exe' }), true);
    assert.equal(r({ CommandLine: 'so evil' }), true);
    assert.equal(r({ User: 'SYSTEM' }), false);
  });

  test('§Condition: "all of selection_*" — every identifier matching the pattern', () => {
    const r = compileRule(detection('all of selection_*'));
    assert.equal(r({ Image: 'a.exe', CommandLine: 'so evil' }), true);
    assert.equal(r({ Image: 'a.exe' }), false);
  });

  test('§Condition example: "1 of selection* and not 1 of filter*"', () => {
    const r = compileRule(detection('1 of selection* and not 1 of filter*'));
    assert.equal(r({ Image: 'a.exe', User: 'bob' }), true);
    assert.equal(r({ Image: 'a.exe', User: 'SYSTEM' }), false);
  });

  test('§Condition precedence: "x of" binds tighter than not — "not 1 of filter*" negates the whole quantifier', () => {
    const r = compileRule(detection('selection_img and not 1 of filter*'));
    assert.equal(r({ Image: 'a.exe' }), true);
    assert.equal(r({ Image: 'a.exe', User: 'SYSTEM' }), false);
  });

  test('§Condition: pattern "* wildcards … at arbitrary positions" — leading and inner stars', () => {
    const r = compileRule(rule(`
      sel_a_x:
          A: 1
      sel_b_x:
          B: 1
      sel_c_y:
          C: 1
      condition: all of *_x and 1 of sel*y
    `));
    assert.equal(r({ A: 1, B: 1, C: 1 }), true);
    assert.equal(r({ A: 1, B: 1 }), false);
    assert.equal(r({ A: 1, C: 1 }), false);
  });

  test('§Condition: "1 of them" — any defined identifier', () => {
    const r = compileRule(detection('1 of them'));
    assert.equal(r({ User: 'SYSTEM' }), true);
    assert.equal(r({ Other: 'x' }), false);
  });

  test('§Condition: "all of them" — every defined identifier', () => {
    const r = compileRule(detection('all of them'));
    assert.equal(r({ Image: 'a.exe', CommandLine: 'evil', User: 'SYSTEM' }), true);
    assert.equal(r({ Image: 'a.exe', CommandLine: 'evil' }), false);
  });

  test('§Condition: "them" leaves out identifiers starting with an underscore (all of them)', () => {
    // _ignored never matches; if it were included, all of them could never hold.
    const r = compileRule(detection('all of them'));
    assert.equal(r({ Image: 'a.exe', CommandLine: 'evil', User: 'SYSTEM' }), true);
  });

  test('§Condition: "them" leaves out identifiers starting with an underscore (1 of them)', () => {
    const r = compileRule(rule(`
      selection:
          A: 1
      _helper:
          B: 1
      condition: 1 of them
    `));
    assert.equal(r({ B: 1 }), false);
    assert.equal(r({ A: 1 }), true);
  });

  test('§Condition: an underscore identifier can still be named explicitly', () => {
    const r = compileRule(rule(`
      selection:
          A: 1
      _helper:
          B: 1
      condition: selection and _helper
    `));
    assert.equal(r({ A: 1, B: 1 }), true);
    assert.equal(r({ A: 1 }), false);
  });

  test('§Condition: "1/all of pattern" is "Same as 1/all of them" — underscore identifiers are left out of patterns too (convention: pySigma)', () => {
    const r = compileRule(rule(`
      filter_a:
          A: 1
      _filter_b:
          B: 1
      condition: 1 of *filter*
    `));
    assert.equal(r({ A: 1 }), true);
    assert.equal(r({ B: 1 }), false);
  });

  test("§Condition: 'all of them' when every identifier starts with '_' selects nothing — rejected like an unmatched pattern, never true for every event (convention)", () => {
    const text = rule(`
      _only:
          A: 1
      condition: all of them
    `);
    let fn: ((e: object) => boolean) | null = null;
    try {
      fn = compileRule(text);
    } catch {
      return; // rejected: fine
    }
    assert.equal(fn({ Unrelated: 'event' }), false, 'an empty AND must not make the rule match everything');
  });

  test('§Condition: "any of" is a synonym of "1 of" (convention: pySigma)', () => {
    const r = compileRule(detection('any of selection_*'));
    assert.equal(r({ CommandLine: 'evil' }), true);
    assert.equal(r({}), false);
  });

  test('§Condition: "2 of sel*" needs at least two matching identifiers (extension: N of)', () => {
    const r = compileRule(rule(`
      sel1:
          A: 1
      sel2:
          B: 1
      sel3:
          C: 1
      condition: 2 of sel*
    `));
    assert.equal(r({ A: 1 }), false);
    assert.equal(r({ A: 1, C: 1 }), true);
    assert.equal(r({ A: 1, B: 1, C: 1 }), true);
  });

  test('§Condition: "N of" with N larger than the number of identifiers never matches (extension)', () => {
    const r = compileRule(rule(`
      sel1:
          A: 1
      condition: 2 of sel*
    `));
    assert.equal(r({ A: 1 }), false);
  });
});

describe('Condition §list form', () => {
  test('§Condition: "The condition can be a list … They are logically linked with OR"', () => {
    const r = compileRule(rule(`
      sel1:
          A: 1
      sel2:
          B: 1
      filter:
          C: 1
      condition:
          - sel1 and not filter
          - sel2
    `));
    assert.equal(r({ A: 1 }), true);
    assert.equal(r({ A: 1, C: 1 }), false);
    assert.equal(r({ B: 1, C: 1 }), true);
    assert.equal(r({}), false);
  });
});

describe('Condition errors', () => {
  const withCondition = (condition: string): string =>
    [
      'title: conformance', //            line 1
      'logsource:', //                    line 2
      '    product: test', //             line 3
      'detection:', //                    line 4
      '    selection:', //                line 5
      '        Image: x', //              line 6
      '    filter:', //                   line 7
      '        User: y', //               line 8
      `    condition: ${condition}`, //   line 9
      '',
    ].join('\n');

  test('§Condition: an undefined identifier is an error naming it, at the condition line', () => {
    const reason = compileError(withCondition('selection and not filtr'));
    assert.match(reason, /'filtr'/);
    assert.match(reason, /^rule\.yml:9:/);
  });

  test('§Condition: a pattern that matches no identifier is an error naming it (convention)', () => {
    assert.match(compileError(withCondition('selection and not 1 of exclusion_*')), /exclusion_\*/);
  });

  test('§Condition: a syntax error names the column', () => {
    // 'selection and and filter': the second 'and' starts at column 15.
    const reason = compileError(withCondition('selection and and filter'));
    assert.match(reason, /column 15/);
    assert.match(reason, /^rule\.yml:9:/);
  });

  test("§Condition: an unclosed bracket is a syntax error with a column", () => {
    assert.match(compileError(withCondition('(selection and not filter')), /column \d+/);
  });

  test("§Condition: a stray ')' is a syntax error with its column", () => {
    assert.match(compileError(withCondition('selection) and filter')), /column 10/);
  });

  test('§Condition: two identifiers without an operator are a syntax error', () => {
    assert.match(compileError(withCondition('selection filter')), /column 11/);
  });

  test("§Condition: a '|' aggregation is rejected and the error says it is Sigma 1 syntax (see §Rule Correlation)", () => {
    const reason = compileError(withCondition('selection | count() by User > 5'));
    assert.match(reason, /Sigma 1/);
    assert.match(reason, /correlation/i);
  });

  test("§Condition: '1 of' with no pattern after 'of' is a syntax error", () => {
    assert.match(compileError(withCondition('1 of')), /column/);
  });

  test('§Condition: an empty condition is an error', () => {
    assert.match(compileError(withCondition("''")), /empty/);
  });

  test('§Detection: a rule without a condition is rejected with file:line', () => {
    const reason = compileError(rule(`
      selection:
          Image: x
    `));
    assert.match(reason, /^rule\.yml:\d+: .*condition/);
  });
});

describe('Errors carry file:line (problems[i].where)', () => {
  test('parse problems name the file and the line of the offending item (condition at line 9)', () => {
    const text = [
      'title: conformance',
      'logsource:',
      '    product: test',
      'detection:',
      '    selection:',
      '        Image: x',
      '    filter:',
      '        User: y',
      '    condition: selection and not nothing',
      '',
    ].join('\n');
    const { documents, problems } = parseRuleFile(text, 'rules/win/proc_creation_x.yml');
    assert.equal(documents.length, 0);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.where, 'rules/win/proc_creation_x.yml:9');
    assert.match(problems[0]!.reason, /'nothing'/);
  });

  test('a YAML syntax error names its line', () => {
    const text = ['title: conformance', 'logsource:', '    product: test', 'detection:', '    selection:', "        Image: 'unclosed", '    condition: selection', ''].join('\n');
    const { problems } = parseRuleFile(text, 'rule.yml');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.where, /^rule\.yml:\d+$/);
    assert.notEqual(problems[0]!.where, 'rule.yml:1', 'the line of the error, not the top of the file');
  });

  test('compile errors carry the line of the field item (bad regex at line 7)', () => {
    const text = [
      'title: conformance', //                  1
      'logsource:', //                          2
      '    product: test', //                   3
      'detection:', //                          4
      '    selection:', //                      5
      '        Image: x', //                    6
      "        CommandLine|re: '(?<=a)b'", //  7
      '    condition: selection', //            8
      '',
    ].join('\n');
    assert.match(compileError(text), /^rule\.yml:7: /);
  });

  test('an unknown modifier is reported at its line (7) with its name', () => {
    const text = [
      'title: conformance',
      'logsource:',
      '    product: test',
      'detection:',
      '    selection:',
      '        Image: x',
      "        CommandLine|startwith: 'x'",
      '    condition: selection',
      '',
    ].join('\n');
    const reason = compileError(text);
    assert.match(reason, /^rule\.yml:7: /);
    assert.match(reason, /startwith/);
  });

  test('in a multi-document file, a broken document is reported at its own line and the others still load', () => {
    const good = 'title: good\nlogsource:\n    product: test\ndetection:\n    selection:\n        A: 1\n    condition: selection\n';
    const bad = 'title: bad\nlogsource:\n    product: test\ndetection:\n    selection:\n        A: 1\n    condition: selection and missing\n';
    const { documents, problems } = parseRuleFile(`${good}---\n${bad}`, 'multi.yml');
    assert.equal(documents.length, 1);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.where, 'multi.yml:15');
  });
});

describe('Sigma filters (sigma-filters-specification.md)', () => {
  test('§Global filter: the spec example filter parses, with its rules list, selection and condition', () => {
    const text = [
      'title: Filter Administrator account',
      'description: The valid administrator account start with adm_',
      'logsource:',
      '    category: process_creation',
      '    product: windows',
      'filter:',
      '    rules:',
      '        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe',
      '        - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host',
      '    selection:',
      "        User|startswith: 'adm_'",
      '    condition: selection',
      '',
    ].join('\n');
    const { documents, problems } = parseRuleFile(text, 'mf_admin.yml');
    assert.deepEqual(problems, []);
    const f = documents[0];
    assert.equal(f?.kind, 'filter');
    if (f?.kind !== 'filter') return;
    assert.deepEqual(f.rules, ['6f3e2987-db24-4c78-a860-b4f4095a7095', 'df0841c0-9846-4e9f-ad8a-7df91571771b']);
    const table = new FieldTable();
    const fn = toClosure(compileDetection(f.detection, [f.condition], f.conditionWhere, { table }));
    const view = new EventView(table);
    assert.equal(fn(view.reset({ User: 'ADM_alice' })), true);
    assert.equal(fn(view.reset({ User: 'alice' })), false);
  });
});
