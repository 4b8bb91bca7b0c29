/**
 * Sigma string values: literal text with `*` (any run) and `?` (one character) wildcards.
 * A backslash escapes `*`, `?` and itself; before any other character it is a literal
 * backslash (so `C:\Windows\` needs no escaping) — Sigma specification, "Escaping".
 */
export const ANY = 0;
export const ONE = 1;
export type Part = string | typeof ANY | typeof ONE;

/** A parsed Sigma string: merged literal runs and wildcard tokens. */
export type SigmaString = readonly Part[];

export function parseSigmaString(raw: string): SigmaString {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
        continue;
      }
      lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) parts.push(lit);
      lit = '';
      // Consecutive stars are one star.
      if (c === '*' && parts[parts.length - 1] === ANY) continue;
      parts.push(c === '*' ? ANY : ONE);
    } else {
      lit += c;
    }
  }
  if (lit) parts.push(lit);
  return parts;
}

/** A Sigma string made of literal text only (wildcard characters are literal). */
export function literalString(text: string): SigmaString {
  return text ? [text] : [];
}

export function hasWildcards(s: SigmaString): boolean {
  return s.some((p) => typeof p !== 'string');
}

/** The text of a wildcard-free string; wildcards rendered as `*` and `?`. */
export function plainText(s: SigmaString): string {
  return s.map((p) => (p === ANY ? '*' : p === ONE ? '?' : p)).join('');
}

export function wrapAny(s: SigmaString, before: boolean, after: boolean): SigmaString {
  const out: Part[] = [...s];
  if (before && out[0] !== ANY) out.unshift(ANY);
  if (after && out[out.length - 1] !== ANY) out.push(ANY);
  return out;
}

/** Map every literal run; wildcards stay. */
export function mapLiterals(s: SigmaString, fn: (text: string) => string): SigmaString {
  return s.map((p) => (typeof p === 'string' ? fn(p) : p));
}

const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'];
const MAX_WINDASH_VARIANTS = 5 ** 5;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9_]$/.test(c);
}

/**
 * `windash`: a `-` or `/` that starts a word (no word character before it, one after it)
 * may be written with any of the five dash characters; every combination is produced.
 */
export function windashVariants(s: SigmaString): SigmaString[] {
  let variants: Part[][] = [[]];
  for (const p of s) {
    if (typeof p !== 'string') {
      for (const v of variants) v.push(p);
      continue;
    }
    const pieces = splitAtFlagDashes(p);
    for (const piece of pieces) {
      if (piece === null) {
        variants = variants.flatMap((v) => WINDASH_CHARS.map((d) => [...v, d]));
        if (variants.length > MAX_WINDASH_VARIANTS) {
          throw new Error(`windash would produce more than ${MAX_WINDASH_VARIANTS} variants`);
        }
      } else {
        for (const v of variants) v.push(piece);
      }
    }
  }
  return variants.map(mergeLiterals);
}

/** Splits a literal into text pieces and `null` where a flag dash stands. */
function splitAtFlagDashes(lit: string): (string | null)[] {
  const out: (string | null)[] = [];
  let start = 0;
  for (let i = 0; i < lit.length; i++) {
    const c = lit[i];
    if ((c === '-' || c === '/') && !isWordChar(lit[i - 1]) && isWordChar(lit[i + 1])) {
      if (i > start) out.push(lit.slice(start, i));
      out.push(null);
      start = i + 1;
    }
  }
  if (start < lit.length) out.push(lit.slice(start));
  return out;
}

function mergeLiterals(parts: Part[]): SigmaString {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else if (p !== '') out.push(p);
  }
  return out;
}

/** Bytes → a string with one char per byte (how encoded values are compared to log text). */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export function utf16Bytes(text: string, order: 'le' | 'be', bom: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = order === 'le' ? 0xff : 0xfe;
    out[o++] = order === 'le' ? 0xfe : 0xff;
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const hi = code >> 8;
    const lo = code & 0xff;
    out[o++] = order === 'le' ? lo : hi;
    out[o++] = order === 'le' ? hi : lo;
  }
  return out;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * `base64offset`: the three encodings of a value placed at byte offsets 0, 1 and 2 of a
 * longer base64 text, trimmed to the characters that do not depend on its neighbours.
 */
export function base64OffsetVariants(bytes: Uint8Array): string[] {
  const startTrim = [0, 2, 3];
  const endTrim = [0, 3, 2];
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.fill(0x20, 0, shift);
    padded.set(bytes, shift);
    const enc = base64(padded);
    const cut = endTrim[(bytes.length + shift) % 3] ?? 0;
    out.push(enc.slice(startTrim[shift], cut ? enc.length - cut : enc.length));
  }
  return out;
}
