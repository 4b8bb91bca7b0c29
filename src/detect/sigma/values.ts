import { InputError } from '../../core/index.js';
import {
  base64,
  base64OffsetVariants,
  bytesToBinaryString,
  hasWildcards,
  literalString,
  parseSigmaString,
  plainText,
  utf16Bytes,
  windashVariants,
  wrapAny,
  type SigmaString,
} from './sigma-string.js';
import type { FieldCondition, SigmaScalar } from './types.js';

/**
 * Value modifiers that reshape a rule's value before matching: contains/startswith/endswith
 * (wildcards), windash (dash variants), base64/base64offset, utf16le/be/wide (encodings) and
 * expand (placeholders). The result is the list of wildcard strings the value stands for.
 */
export type Placeholders = ReadonlyMap<string, readonly string[]> | undefined;

export function fail(where: string, reason: string): never {
  throw new InputError('DETECT_RULE_INVALID', reason, where);
}

/** Runs a builder, turning its plain errors into a rule error at the field condition. */
export function guard<T>(fc: FieldCondition, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof InputError) throw err;
    return fail(fc.where, (err as Error).message);
  }
}

type Encoded = SigmaString | Uint8Array;

/** A value after its modifiers: the wildcard strings it stands for (none: never matches). */
export function shapedStrings(fc: FieldCondition, field: string, value: SigmaScalar, placeholders: Placeholders): SigmaString[] {
  let values: Encoded[] | null = [typeof value === 'string' ? parseSigmaString(value) : literalString(String(value))];
  for (const mod of fc.modifiers) {
    values = applyModifier(fc, mod, values, placeholders);
    if (values === null) return [];
  }
  const strings = values.map((x) => (x instanceof Uint8Array ? literalString(bytesToBinaryString(x)) : x));
  // Keywords are searched anywhere in a value, as full-text search does.
  return field === '' ? strings.map((s) => wrapAny(s, true, true)) : strings;
}

function textOf(fc: FieldCondition, x: Encoded, mod: string): string {
  if (x instanceof Uint8Array) return bytesToBinaryString(x);
  if (hasWildcards(x)) fail(fc.where, `'${mod}' cannot encode a value with wildcards ('${plainText(x)}')`);
  return plainText(x);
}

function bytesOf(fc: FieldCondition, x: Encoded, mod: string): Uint8Array {
  return x instanceof Uint8Array ? x : new TextEncoder().encode(textOf(fc, x, mod));
}

function asString(x: Encoded): SigmaString {
  return x instanceof Uint8Array ? literalString(bytesToBinaryString(x)) : x;
}

/** Applies one value-shaping modifier; returns null when the value can never match. */
function applyModifier(fc: FieldCondition, mod: string, values: Encoded[], placeholders: Placeholders): Encoded[] | null {
  switch (mod) {
    case 'contains':
      return values.map((x) => wrapAny(asString(x), true, true));
    case 'startswith':
      return values.map((x) => wrapAny(asString(x), false, true));
    case 'endswith':
      return values.map((x) => wrapAny(asString(x), true, false));
    case 'windash':
      return values.flatMap((x) => guard(fc, () => windashVariants(asString(x))));
    case 'base64':
      return values.map((x) => literalString(base64(bytesOf(fc, x, mod))));
    case 'base64offset':
      return values.flatMap((x) => base64OffsetVariants(bytesOf(fc, x, mod)).map(literalString));
    case 'utf16le':
    case 'wide':
      return values.map((x) => utf16Bytes(textOf(fc, x, mod), 'le', false));
    case 'utf16be':
      return values.map((x) => utf16Bytes(textOf(fc, x, mod), 'be', false));
    case 'utf16':
      return values.map((x) => utf16Bytes(textOf(fc, x, mod), 'le', true));
    case 'expand': {
      const out = values.flatMap((x) => expandPlaceholders(asString(x), placeholders));
      return out.length === 0 ? null : out;
    }
    default:
      return values; // flags (all, cased, neq) handled elsewhere
  }
}

/** Replaces `%name%` placeholders with every configured value; none configured → no values. */
function expandPlaceholders(s: SigmaString, placeholders: Placeholders): SigmaString[] {
  let results: SigmaString[] = [[]];
  for (const part of s) {
    if (typeof part !== 'string') {
      results = results.map((r) => [...r, part]);
      continue;
    }
    // `\%` is a literal percent sign, not the start of a placeholder.
    const pieces = part.split(/(\\%|%[A-Za-z0-9_-]+%)/);
    for (const raw of pieces) {
      if (!raw) continue;
      const piece = raw === '\\%' ? '%' : raw;
      const m = raw === '\\%' ? null : /^%([A-Za-z0-9_-]+)%$/.exec(piece);
      if (!m) {
        results = results.map((r) => [...r, piece]);
        continue;
      }
      const vals = placeholders?.get(m[1]!) ?? [];
      results = results.flatMap((r) => vals.map((v) => [...r, ...parseSigmaString(v)]));
    }
  }
  return results.map((r) => mergeParts(r));
}

function mergeParts(parts: SigmaString): SigmaString {
  const out: (string | 0 | 1)[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else out.push(p);
  }
  return out;
}

