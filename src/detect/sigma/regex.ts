import RE2 from 're2';
import type { TextTest } from './match.js';

/**
 * A rule regex, compiled for the ways the engine calls it. RE2 is linear whatever the
 * attacker puts in the log, but each call with a string converts it to UTF-8; several
 * regexes on one field share one conversion through `bytes`.
 */
export interface RuleRegex {
  /** Tests a text (the conversion is RE2's, per call). */
  readonly test: TextTest;
  /** Tests the UTF-8 bytes of a text; null when `test` never calls RE2 (a length test). */
  readonly bytes: ((utf8: Uint8Array) => boolean) | null;
  /** No text shorter than this (in UTF-16 units) can match. */
  readonly minLength: number;
}

export function ruleRegex(pattern: string, flags: string): RuleRegex {
  const re = new RE2(pattern, flags);
  const minLength = regexMinLength(pattern);
  const shortcut = lengthShortcut(pattern, flags);
  if (shortcut) return { test: shortcut, bytes: null, minLength };
  return {
    test: minLength > 0 ? (t) => t.length >= minLength && re.test(t) : (t) => re.test(t),
    bytes: (b) => re.test(b as Buffer),
    minLength,
  };
}

/** A regular expression on RE2 as a text test. */
export function regexTest(pattern: string, flags: string): TextTest {
  return ruleRegex(pattern, flags).test;
}

/**
 * `.{1000,}` ("a line of at least 1000 characters") is a length test. RE2 would expand the
 * counted repetition into a thousand-state program and spend milliseconds per event on it.
 */
function lengthShortcut(pattern: string, flags: string): TextTest | null {
  const m = /^(\^?)\.\{(\d+),(\d*)\}(\$?)$/.exec(pattern);
  if (!m || flags.includes('m')) return null;
  const min = Number(m[2]);
  const max = m[3] === '' ? Infinity : Number(m[3]);
  const anchored = m[1] === '^' || m[4] === '$';
  if (anchored && !(m[1] === '^' && m[4] === '$')) return null;
  const dotAll = flags.includes('s');
  return (t) => {
    // Without `s`, `.` stops at a newline: the run must fit within one line.
    const runs = dotAll ? [t.length] : t.split('\n').map((line) => line.length);
    if (anchored) return runs.length === 1 && runs[0]! >= min && runs[0]! <= max;
    return runs.some((n) => n >= min);
  };
}

class Unsure extends Error {}

/**
 * The fewest characters (code points) any match of an RE2 pattern spans: a length test
 * that spares most texts the call into RE2 (`\s[a-f0-9]{64}\s[a-f0-9]{16}` needs 82).
 * A text has at least as many UTF-16 units as code points, so `text.length < min` proves
 * there is no match. Anything not understood counts as 0, which proves nothing.
 */
export function regexMinLength(pattern: string): number {
  let i = 0;
  const n = pattern.length;

  const alternation = (): number => {
    let best = sequence();
    while (pattern[i] === '|') {
      i++;
      best = Math.min(best, sequence());
    }
    return best;
  };

  const sequence = (): number => {
    let total = 0;
    while (i < n && pattern[i] !== '|' && pattern[i] !== ')') {
      if (pattern.startsWith('\\Q', i)) {
        // Quoted text: its characters are atoms; a quantifier after it applies to the last.
        const close = pattern.indexOf('\\E', i + 2);
        const quoted = [...pattern.slice(i + 2, close < 0 ? n : close)];
        i = close < 0 ? n : close + 2;
        if (quoted.length === 0) continue;
        total += quoted.length - 1 + repeat();
        continue;
      }
      const width = atom();
      total += width === 0 ? (repeat(), 0) : width * repeat();
    }
    return total;
  };

  /** The least number of times the atom just read must occur. */
  const repeat = (): number => {
    let times = 1;
    for (;;) {
      const c = pattern[i];
      if (c === '*' || c === '?') times = 0;
      else if (c === '+') times *= 1;
      else if (c === '{') {
        const m = /^\{(\d+)(?:,\d*)?\}/.exec(pattern.slice(i, i + 16));
        if (!m) return times; // not a repetition: a literal `{`, read as the next atom
        times *= Number(m[1]);
        i += m[0].length;
        if (pattern[i] === '?') i++; // lazy
        continue;
      } else return times;
      i++;
      if (pattern[i] === '?') i++; // lazy
    }
  };

  const atom = (): number => {
    const c = pattern[i]!;
    if (c === '(') {
      i++;
      if (pattern[i] === '?') {
        // (?flags) sets flags and spans nothing; (?flags:…), (?P<name>…), (?<name>…) group.
        const head = /^\?(?:[imsU-]*\)|[imsU-]*:|P?<[A-Za-z0-9_]+>)/.exec(pattern.slice(i, i + 40));
        if (!head) throw new Unsure();
        i += head[0].length;
        // RE2 applies a quantifier after `(?i)` to the atom before it: not worth modelling.
        if (head[0].endsWith(')')) {
          if ('*+?{'.includes(pattern[i] ?? '')) throw new Unsure();
          return 0;
        }
      }
      const inner = alternation();
      if (pattern[i] !== ')') throw new Unsure();
      i++;
      return inner;
    }
    if (c === '[') {
      i = classEnd(pattern, i);
      return 1;
    }
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) throw new Unsure();
      i += 2;
      if ('bBAzC'.includes(e)) return 0; // assertions; \C is one byte, not one character
      if (e === 'p' || e === 'P') {
        if (pattern[i] === '{') i = closing(pattern, i, '}');
        else i++;
        return 1;
      }
      if (e === 'x') {
        if (pattern[i] === '{') i = closing(pattern, i, '}');
        else i += 2;
        return 1;
      }
      if (e >= '0' && e <= '7') {
        while (i < n && pattern[i]! >= '0' && pattern[i]! <= '7' && i < n) i++;
        return 1;
      }
      return 1;
    }
    if (c === '^' || c === '$') {
      i++;
      return 0;
    }
    if (c === '*' || c === '+' || c === '?') throw new Unsure();
    // One code point (a surrogate pair is one).
    const cp = pattern.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return 1;
  };

  try {
    const min = alternation();
    return i === n ? min : 0;
  } catch (err) {
    if (err instanceof Unsure) return 0;
    throw err;
  }
}

/** Index just past the `]` closing the class that opens at `start`. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++; // a leading `]` is a member
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') i += 2;
    else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      if (close < 0) throw new Unsure();
      i = close + 2;
    } else if (c === ']') return i + 1;
    else i++;
  }
  throw new Unsure();
}

function closing(p: string, open: number, close: string): number {
  const at = p.indexOf(close, open);
  if (at < 0) throw new Unsure();
  return at + 1;
}


/**
 * A run of literal text every match of `pattern` must contain, or null when none is
 * certain (top-level alternation, or nothing but classes and groups). Only the top level
 * is read: groups, classes and optional atoms end a run. Used to index regex rules.
 */
export function requiredRegexLiteral(pattern: string): string | null {
  const runs: string[] = [];
  let run = '';
  const end = (): void => {
    if (run) runs.push(run);
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const next = pattern[i + 1];
    if (c === '|') return null;
    if (c === '(' || c === '[') {
      end();
      i = skipGroup(pattern, i);
      if (i < 0) return null;
      continue;
    }
    if (c === '{') {
      // A counted repetition `{n}`, `{n,}`, `{n,m}` of the previous atom: not text to find.
      const close = pattern.indexOf('}', i);
      if (close > i && /^[0-9]*(,[0-9]*)?$/.test(pattern.slice(i + 1, close))) {
        end();
        i = close;
        continue;
      }
    }
    let literal: string | null = null;
    if (c === '\\') {
      const e = next ?? '';
      i++;
      literal = /[A-Za-z0-9]/.test(e) ? null : e;
    } else if (!'.^$*+?{}'.includes(c)) {
      literal = c;
    }
    const q = pattern[i + 1];
    if (q === '*' || q === '?' || (q === '{' && /^\{0[,}]/.test(pattern.slice(i + 1, i + 4)))) {
      end(); // the atom may be absent
      continue;
    }
    if (literal === null) {
      end();
      continue;
    }
    run += literal;
    if (q === '+' || q === '{') end(); // repeated: what follows is not adjacent for sure
  }
  end();
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best.length >= 1 ? best : null;
}

/** Index of the `)` or `]` closing the group or class opened at `start`, or -1. */
function skipGroup(p: string, start: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        if (depth === 0) return i;
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
