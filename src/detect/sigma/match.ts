import { ANY, ONE, type SigmaString } from './sigma-string.js';

/**
 * Value tests over one scalar text. They are plain closures so the engine can call them
 * without dispatch; each also says, where it can, a literal the text must contain, which
 * is what the engine indexes rules by.
 */
export type TextTest = (text: string) => boolean;

export type StrOp = 'eq' | 'prefix' | 'suffix' | 'contains';

/** A literal a text must hold for a test to pass: the engine's index key. */
export interface Literal {
  readonly op: StrOp;
  /** Lower-cased. */
  readonly lit: string;
}

export interface StringTest {
  readonly test: TextTest;
  /** What a matching text must contain, or null when nothing useful is known (`*`). */
  readonly literal: Literal | null;
}

/** Builds the test for a wildcard string; literals must already be lower-cased unless cased. */
export function stringTest(s: SigmaString): StringTest {
  const n = s.length;
  if (n === 0) return { test: (t) => t === '', literal: { op: 'eq', lit: '' } };
  const only = s[0];
  if (n === 1 && typeof only === 'string') return { test: (t) => t === only, literal: { op: 'eq', lit: only.toLowerCase() } };
  if (n === 1 && only === ANY) return { test: () => true, literal: null };
  const first = s[0];
  const last = s[n - 1];
  if (n === 2 && first === ANY && typeof last === 'string') {
    return { test: (t) => t.endsWith(last), literal: { op: 'suffix', lit: last.toLowerCase() } };
  }
  if (n === 2 && typeof first === 'string' && last === ANY) {
    return { test: (t) => t.startsWith(first), literal: { op: 'prefix', lit: first.toLowerCase() } };
  }
  const mid = s[1];
  if (n === 3 && first === ANY && last === ANY && typeof mid === 'string') {
    return { test: (t) => t.includes(mid), literal: { op: 'contains', lit: mid.toLowerCase() } };
  }
  return { test: globTest(s), literal: longestLiteral(s) };
}

function longestLiteral(s: SigmaString): Literal | null {
  let best = '';
  for (const p of s) if (typeof p === 'string' && p.length > best.length) best = p;
  if (!best) return null;
  const first = s[0];
  const last = s[s.length - 1];
  // A leading or trailing literal is a stronger key than "contains".
  if (typeof first === 'string' && first.length >= best.length) return { op: 'prefix', lit: first.toLowerCase() };
  if (typeof last === 'string' && last.length >= best.length) return { op: 'suffix', lit: last.toLowerCase() };
  return { op: 'contains', lit: best.toLowerCase() };
}

/** A segment between stars: literal characters and `?` (-1). */
type Segment = number[];

/**
 * Glob matching in O(text × pattern) at worst, never exponential: segments between stars
 * are placed leftmost-first, which is optimal for `*`-separated patterns.
 */
function globTest(s: SigmaString): TextTest {
  const segments: Segment[] = [[]];
  for (const p of s) {
    if (p === ANY) segments.push([]);
    else if (p === ONE) segments[segments.length - 1]!.push(-1);
    else for (let i = 0; i < p.length; i++) segments[segments.length - 1]!.push(p.charCodeAt(i));
  }
  const head = segments[0]!;
  const tail = segments.length > 1 ? segments[segments.length - 1]! : null;
  const middle = segments.slice(1, -1).filter((x) => x.length > 0);
  return (t: string): boolean => {
    if (tail === null) return t.length === head.length && segmentAt(t, 0, head);
    if (t.length < head.length + tail.length || !segmentAt(t, 0, head)) return false;
    const end = t.length - tail.length;
    if (!segmentAt(t, end, tail)) return false;
    let at = head.length;
    for (const seg of middle) {
      const found = findSegment(t, at, end, seg);
      if (found < 0) return false;
      at = found + seg.length;
    }
    return true;
  };
}

function segmentAt(t: string, at: number, seg: Segment): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c !== -1 && t.charCodeAt(at + i) !== c) return false;
  }
  return at + seg.length <= t.length;
}

function findSegment(t: string, from: number, end: number, seg: Segment): number {
  for (let at = from; at + seg.length <= end; at++) if (segmentAt(t, at, seg)) return at;
  return -1;
}

/** CIDR membership for IPv4 and IPv6 text. */
export function cidrTest(cidr: string): TextTest {
  const slash = cidr.indexOf('/');
  const addr = parseIp(slash < 0 ? cidr : cidr.slice(0, slash));
  if (addr === null) throw new Error(`'${cidr}' is not an IPv4 or IPv6 network`);
  const bits = slash < 0 ? addr.length * 8 : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > addr.length * 8) throw new Error(`'${cidr}' has a bad prefix length`);
  return (t) => {
    const ip = parsedIp(t);
    return ip !== null && ip.length === addr.length && prefixEqual(ip, addr, bits);
  };
}

/**
 * The address in a text, remembered for the next call: a rule lists dozens of networks
 * (`DestinationIp|cidr` with every private range) and each would parse the same text again.
 */
let lastIpText: string | null = null;
let lastIp: Uint8Array | null = null;

function parsedIp(t: string): Uint8Array | null {
  if (t !== lastIpText) {
    lastIp = parseIp(t.trim());
    lastIpText = t;
  }
  return lastIp;
}

function prefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole]! ^ b[whole]!) & mask) === 0;
}

export function parseIp(text: string): Uint8Array | null {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  let head = groups(halves[0]);
  let tail = groups(halves[1]);
  const v4 = (list: string[]): string[] | null => {
    const lastGroup = list[list.length - 1];
    if (!lastGroup?.includes('.')) return list;
    const ip4 = parseIp(lastGroup);
    if (!ip4) return null;
    return [...list.slice(0, -1), ((ip4[0]! << 8) | ip4[1]!).toString(16), ((ip4[2]! << 8) | ip4[3]!).toString(16)];
  };
  if (halves.length === 2) {
    const t = v4(tail);
    if (!t) return null;
    tail = t;
  } else {
    const h = v4(head);
    if (!h) return null;
    head = h;
  }
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  return out;
}
