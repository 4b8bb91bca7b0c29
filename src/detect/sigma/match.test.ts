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
