import assert from 'node:assert/strict';
import { test } from 'node:test';
import RE2 from 're2';
import { requiredRegexLiteral } from './match.js';

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
  const { regexTest } = await import('./match.js');
  const texts = ['', 'a'.repeat(999), 'a'.repeat(1000), 'a'.repeat(500) + '\n' + 'a'.repeat(600), 'b'.repeat(1500) + '\nx'];
  for (const pattern of ['.{1000,}', '^.{1000,}$', '.{3,5}', '^.{3,5}$']) {
    for (const flags of ['', 's']) {
      const fast = regexTest(pattern, flags);
      const re = new RE2(pattern, flags);
      for (const t of texts) assert.equal(fast(t), re.test(t), `${pattern} /${flags} on ${t.length} chars`);
    }
  }
});
