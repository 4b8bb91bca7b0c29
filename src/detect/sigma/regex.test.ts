import assert from 'node:assert/strict';
import { test } from 'node:test';
import RE2 from 're2';
import { requiredRegexLiteral } from './regex.js';

test('requiredRegexLiteral finds text every match must contain, or says none', () => {
  const cases: Array<[string, string | null]> = [
    ['\\\\[a-z]{8}\\.exe', '.exe'],
    ['.{1000,}', null],
    ['a{2,3}bcd', 'bcd'],
    ['abc|def', null],
    ['(?i)foo\\.bar', 'foo.bar'],
    ['x?yz', 'yz'],
    ['ab*cd', 'cd'],
    ['\\$env:[a-z]+', '$env:'],
    ['^\\s*powershell\\.exe\\s+-e', 'powershell.exe'],
    ['(a|b)c', 'c'],
    ['\\d+\\w*', null],
  ];
  for (const [pattern, want] of cases) assert.equal(requiredRegexLiteral(pattern), want, pattern);
});

test('the literal is really required: every sample the regex matches contains it', () => {
  const patterns = ['\\\\[a-z]{8}\\.exe', 'a{2,3}bcd', '(?i)foo\\.bar', 'x?yz', 'ab*cd', '(a|b)c'];
  const samples = ['c:\\abcdefgh.exe', 'aabcd', 'aaabcd', 'FOO.BAR', 'yz', 'xyz', 'acd', 'abbbcd', 'ac', 'bc'];
  for (const p of patterns) {
    const lit = requiredRegexLiteral(p)!;
    const re = new RE2(p);
    for (const s of samples) if (re.test(s)) assert.ok(s.toLowerCase().includes(lit.toLowerCase()), `${p} matched ${s} without ${lit}`);
  }
});

test('counted-repetition length regexes give what RE2 gives, without RE2', async () => {
  const { regexTest } = await import('./regex.js');
  const texts = ['', 'a'.repeat(999), 'a'.repeat(1000), 'a'.repeat(500) + '\n' + 'a'.repeat(600), 'b'.repeat(1500) + '\nx'];
  for (const pattern of ['.{1000,}', '^.{1000,}$', '.{3,5}', '^.{3,5}$']) {
    for (const flags of ['', 's']) {
      const fast = regexTest(pattern, flags);
      const re = new RE2(pattern, flags);
      for (const t of texts) assert.equal(fast(t), re.test(t), `${pattern} /${flags} on ${t.length} chars`);
    }
  }
});

test('regexMinLength: the fewest characters a match spans, 0 when unsure', async () => {
  const { regexMinLength } = await import('./regex.js');
  const cases: Array<[string, number]> = [
    ['\\s[a-fA-F0-9]{64}\\s[a-fA-F0-9]{16}', 82],
    ['\\\\[a-zA-Z0-9]{1,32}\\.[a-zA-Z0-9]{1,6}\\.[ "\']{1}', 6],
    ['abc|de', 2],
    ['(?i)ab(c|de)?f+', 3],
    ['(?P<x>ab){2,}c*', 4],
    ['\\Qa.b\\E*x', 3],
    ['[]a]b[^]]', 3],
    ['[[:alpha:]]{3}', 3],
    ['^$', 0],
    ['\\bfoo\\b', 3],
    ['\\x{41}\\x41\\pL\\p{Greek}', 4],
    ['a{,3}', 5], // not a repetition in RE2: the text `a{,3}`
    ['😀{2}', 2],
    ['(?:)', 0],
    ['a)', 0], // unbalanced: unsure
  ];
  for (const [pattern, want] of cases) assert.equal(regexMinLength(pattern), want, pattern);
});

test('regexMinLength is sound: RE2 finds no match in any shorter text (random patterns, every short text)', async () => {
  const { regexMinLength } = await import('./regex.js');
  const atoms = ['a', 'b', '.', '[ab]', '\\s', '\\b', '^', '$', '\\Qab\\E', '(?i)', '(?:a|bb)', '(a|)', '(?:ab|b{2}a)'];
  const quants = ['', '', '', '*', '+', '?', '{2}', '{1,2}', '{0,2}', '+?'];
  const alphabet = ['a', 'b', 'A', ' '];
  const texts: string[] = [''];
  for (let len = 1; len <= 5; len++) for (const t of texts.filter((x) => x.length === len - 1)) for (const c of alphabet) texts.push(t + c);
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let checked = 0;
  for (let k = 0; k < 2000; k++) {
    let pattern = '';
    const parts = 1 + rand(4);
    for (let j = 0; j < parts; j++) pattern += atoms[rand(atoms.length)]! + quants[rand(quants.length)]!;
    if (rand(4) === 0) pattern = `${pattern}|${atoms[rand(atoms.length)]!}`;
    let re: RE2;
    try {
      re = new RE2(pattern);
    } catch {
      continue; // RE2 refuses it (e.g. a repeated assertion): the engine would too
    }
    const min = regexMinLength(pattern);
    for (const t of texts) {
      if (t.length >= min) continue;
      assert.equal(re.test(t), false, `/${pattern}/ (min ${min}) matched ${JSON.stringify(t)}`);
    }
    checked++;
  }
  assert.ok(checked > 1000, `only ${checked} patterns compiled`);
});

test('every regex of the Sigma corpus gets a length bound that real matches respect', async () => {
  const { regexMinLength } = await import('./regex.js');
  const { loadRules } = await import('../rules.js');
  const { join } = await import('node:path');
  const data = new URL('../../../../shared/data/', import.meta.url).pathname;
  const rules = loadRules([join(data, 'sigma', 'rules')]).rules;
  const patterns = new Set<string>();
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) for (const y of x) visit(y);
    else if (x && typeof x === 'object') {
      const item = x as { modifiers?: string[]; values?: unknown[] };
      if (item.modifiers?.includes('re')) for (const v of item.values ?? []) patterns.add(String(v));
      for (const y of Object.values(x)) visit(y);
    }
  };
  for (const r of rules) visit([...r.detection.values()]);
  assert.ok(patterns.size > 100, `${patterns.size} regexes found`);
  const bounded = [...patterns].filter((p) => regexMinLength(p) > 0);
  assert.ok(bounded.length > patterns.size / 2, `${bounded.length} of ${patterns.size} bounded`);
  // Every match RE2 finds in the shared events' values (all of them) spans at least the bound.
  const { readFileSync, readdirSync } = await import('node:fs');
  const files = readdirSync(join(data, 'events'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'));
  const values = new Set<string>();
  for (const f of files) {
    for (const line of readFileSync(join(data, 'events', f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      for (const v of Object.values(JSON.parse(line) as Record<string, unknown>)) if (typeof v === 'string' && v.length < 1024) values.add(v);
    }
  }
  // A tenth of them keeps the test to a few seconds (RE2 calls cost microseconds each).
  const sample = [...values].filter((_, k) => k % 10 === 0);
  let matches = 0;
  for (const p of bounded) {
    const re = new RE2(p, 'g');
    const min = regexMinLength(p);
    let mine = 0;
    for (const v of sample) {
      if (v.length < min || mine >= 200) continue; // shorter texts cannot match: that is the claim checked below
      re.lastIndex = 0;
      for (let m = re.exec(v); m !== null && mine < 200; m = re.exec(v), mine++) {
        assert.ok([...m[0]].length >= min, `/${p}/ matched ${JSON.stringify(m[0])}, shorter than ${min}`);
        matches++;
        if (m[0].length === 0) re.lastIndex++;
      }
    }
  }
  assert.ok(matches > 100, `${matches} matches checked`);
  console.log(`# ${bounded.length} of ${patterns.size} corpus regexes bounded; ${matches} matches in ${sample.length} event values checked`);
});
