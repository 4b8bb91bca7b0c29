/**
 * `key=value key2="quoted value"` records (FortiGate, SonicWall): one forward scan. A quoted
 * value may hold spaces and `\"`; anything glued to its closing quote is a problem reported
 * with its position, and the pair is kept.
 */
import { at } from './context.js';
import type { ParseContext } from './context.js';

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** The pairs of `text` from `from`; `offset` places positions in the whole message. */
export function readKeyValues(text: string, from: number, offset: number, ctx: ParseContext, what: string): KeyValue[] {
  const pairs: KeyValue[] = [];
  const length = text.length;
  let i = from;
  while (i < length) {
    while (i < length && isSpace(text.charCodeAt(i))) i++;
    if (i >= length) break;
    const keyStart = i;
    while (i < length && text.charCodeAt(i) !== 61 && !isSpace(text.charCodeAt(i))) i++;
    if (i >= length || text.charCodeAt(i) !== 61) continue; // a word without `=`: not a pair
    const key = text.slice(keyStart, i);
    i++;
    if (text.charCodeAt(i) === 34 /* " */) {
      const quoted = readQuotedValue(text, i + 1);
      if (quoted.end < 0) {
        ctx.problems.push(`${what}: the quoted value of ${key} is not closed ${at(offset + i)}`);
        pairs.push({ key, value: quoted.value });
        break;
      }
      pairs.push({ key, value: quoted.value });
      i = quoted.end;
      if (i < length && !isSpace(text.charCodeAt(i))) {
        ctx.problems.push(`${what}: unexpected ${JSON.stringify(text[i])} after the quoted value of ${key} ${at(offset + i)}`);
        while (i < length && !isSpace(text.charCodeAt(i))) i++;
      }
      continue;
    }
    const valueStart = i;
    while (i < length && !isSpace(text.charCodeAt(i))) i++;
    pairs.push({ key, value: text.slice(valueStart, i) });
  }
  return pairs;
}

/** A value after its opening quote, `\"` and `\\` unescaped; `end` is after the closing quote or -1. */
function readQuotedValue(text: string, from: number): { value: string; end: number } {
  let out = '';
  let chunk = from;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 92)) {
      out += text.slice(chunk, i) + text[i + 1];
      i++;
      chunk = i + 1;
    } else if (c === 34) {
      return { value: out + text.slice(chunk, i), end: i + 1 };
    }
  }
  return { value: out + text.slice(chunk), end: -1 };
}
