import { InputError } from '../../core/index.js';
import { parseCondition, expandPattern, type ConditionNode } from './condition.js';
import { EventView, FieldTable } from './event-view.js';
import { SubstringIndex } from '../substrings.js';
import { cidrTest, regexTest, requiredRegexLiteral, stringTest, type Literal, type TextTest } from './match.js';
import {
  base64,
  base64OffsetVariants,
  bytesToBinaryString,
  hasWildcards,
  literalString,
  mapLiterals,
  parseSigmaString,
  plainText,
  utf16Bytes,
  windashVariants,
  wrapAny,
  ANY as ANY_PART,
  type SigmaString,
} from './sigma-string.js';
import type { FieldCondition, SearchIdentifier, SigmaScalar } from './types.js';

/** A necessary condition for a rule: field text must satisfy the literal. */
export interface IndexAtom extends Literal {
  /** Event field name (after logsource renames); '' means any field (keywords). */
  readonly field: string;
}

type Test = (v: EventView) => boolean;

/** A compiled predicate tree: closures to run, structure to index and explain. */
export type Pred =
  | { readonly k: 'and' | 'or'; readonly args: readonly Pred[] }
  | { readonly k: 'not'; readonly arg: Pred }
  | { readonly k: 'const'; readonly value: boolean }
  | {
      readonly k: 'test';
      readonly field: string;
      /** Any one of these must hold for the test to pass; null when unknown. */
      readonly atoms: readonly IndexAtom[] | null;
      readonly fn: Test;
    };

export interface CompileOptions {
  readonly table: FieldTable;
  /** Sigma field name → event field name, from the logsource mapping. */
  readonly fieldMap?: Readonly<Record<string, string>>;
  /** Values for `|expand` placeholders (`%Admins%` → list). Unresolved ones never match. */
  readonly placeholders?: ReadonlyMap<string, readonly string[]>;
}

const MODIFIERS = new Set([
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide',
  'windash', 're', 'i', 'm', 's', 'cidr', 'exists', 'fieldref', 'lt', 'lte', 'gt', 'gte', 'neq', 'expand', 'cased',
  'minute', 'hour', 'day', 'week', 'month', 'year',
]);
const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte']);
const TIME_PARTS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);

function fail(where: string, reason: string): never {
  throw new InputError('DETECT_RULE_INVALID', reason, where);
}

/** Compiles a detection block and its condition(s) into one predicate. */
export function compileDetection(
  identifiers: ReadonlyMap<string, SearchIdentifier>,
  conditions: readonly string[],
  conditionWhere: string,
  opts: CompileOptions,
): Pred {
  const cache = new Map<string, Pred>();
  const names = [...identifiers.keys()];
  const identifier = (name: string): Pred => {
    let p = cache.get(name);
    if (!p) {
      const id = identifiers.get(name);
      if (!id) fail(conditionWhere, `condition refers to '${name}', which detection does not define`);
      p = compileIdentifier(id, opts);
      cache.set(name, p);
    }
    return p;
  };
  const fromNode = (n: ConditionNode): Pred => {
    switch (n.op) {
      case 'ref':
        return identifier(n.name);
      case 'not':
        return { k: 'not', arg: fromNode(n.arg) };
      case 'and':
      case 'or':
        return { k: n.op, args: n.args.map(fromNode) };
      case 'of':
        return quantifier(n.count, expandPattern(n.pattern, n.them, names).map(identifier));
    }
  };
  const preds = conditions.map((c) => fromNode(parseCondition(c)));
  return preds.length === 1 ? preds[0]! : { k: 'or', args: preds };
}

function quantifier(count: number | 'all', preds: Pred[]): Pred {
  if (count === 'all') return { k: 'and', args: preds };
  if (count === 1) return { k: 'or', args: preds };
  if (count > preds.length) return { k: 'const', value: false };
  const fns = preds.map(toClosure);
  // "N of": a counting test; not indexable by itself.
  return {
    k: 'test',
    field: '',
    atoms: null,
    fn: (v) => {
      let hits = 0;
      for (const f of fns) if (f(v) && ++hits >= count) return true;
      return false;
    },
  };
}

function compileIdentifier(id: SearchIdentifier, opts: CompileOptions): Pred {
  switch (id.kind) {
    case 'map':
      return andOf(id.items.map((fc) => compileFieldCondition(fc, opts)));
    case 'maps':
      return { k: 'or', args: id.maps.map((items) => andOf(items.map((fc) => compileFieldCondition(fc, opts)))) };
    case 'keywords':
      return compileFieldCondition({ field: '', modifiers: [], values: id.values, where: id.where }, opts);
  }
}

function andOf(args: Pred[]): Pred {
  return args.length === 1 ? args[0]! : { k: 'and', args };
}

interface ModifierSet {
  all: boolean;
  cased: boolean;
  neq: boolean;
  re: boolean;
  reFlags: string;
  cidr: boolean;
  exists: boolean;
  fieldref: boolean;
  numeric: string | null;
  timePart: string | null;
}

function readModifiers(fc: FieldCondition): ModifierSet {
  const m: ModifierSet = {
    all: false, cased: false, neq: false, re: false, reFlags: '', cidr: false, exists: false, fieldref: false,
    numeric: null, timePart: null,
  };
  for (const mod of fc.modifiers) {
    if (!MODIFIERS.has(mod)) {
      fail(fc.where, `unknown modifier '${mod}' in '${[fc.field, ...fc.modifiers].join('|')}'`);
    }
    if (mod === 'all') m.all = true;
    else if (mod === 'cased') m.cased = true;
    else if (mod === 'neq') m.neq = true;
    else if (mod === 're') m.re = true;
    else if (mod === 'i' || mod === 'm' || mod === 's') {
      if (!m.re) fail(fc.where, `modifier '${mod}' is a flag of 're' and must follow it`);
      m.reFlags += mod;
    } else if (mod === 'cidr') m.cidr = true;
    else if (mod === 'exists') m.exists = true;
    else if (mod === 'fieldref') m.fieldref = true;
    else if (NUMERIC.has(mod)) m.numeric = mod;
    else if (TIME_PARTS.has(mod)) m.timePart = mod;
  }
  return m;
}

/** Compiles `Field|modifiers: values` (or keywords when the field is ''). */
export function compileFieldCondition(fc: FieldCondition, opts: CompileOptions): Pred {
  const mods = readModifiers(fc);
  const field = fc.field === '' ? '' : (opts.fieldMap?.[fc.field] ?? fc.field);
  if (mods.exists) return existsPred(fc, field, opts);
  if (mods.all && fc.values.length < 2) {
    fail(fc.where, "'all' needs a list of two or more values (Sigma: single values may not take 'all')");
  }
  if (isPlainString(mods) && fc.values.every((x) => x !== null)) {
    // The common case: text values only. One test per field condition, the text read once.
    const groups = fc.values.map((value) => shapedStrings(fc, field, value, mods, opts));
    const plain = mods.all
      ? andOf(groups.map((g) => stringsPred(field, g, mods.cased, opts)))
      : stringsPred(field, groups.flat(), mods.cased, opts);
    return mods.neq ? { k: 'not', arg: plain } : plain;
  }
  const valuePreds = fc.values.map((value) => compileValue(fc, field, value, mods, opts));
  const combined = valuePreds.length === 1 ? valuePreds[0]! : mods.all ? { k: 'and' as const, args: valuePreds } : mergeOr(field, valuePreds);
  // neq: "the field is different from the specified values" — none of them.
  return mods.neq ? { k: 'not', arg: combined } : combined;
}

/** OR of value tests on one field: one closure over all of them, atoms unioned. */
function mergeOr(field: string, preds: Pred[]): Pred {
  if (!preds.every((p) => p.k === 'test' || (p.k === 'const' && !p.value))) return { k: 'or', args: preds };
  const tests = preds.filter((p): p is Extract<Pred, { k: 'test' }> => p.k === 'test');
  if (tests.length === 0) return { k: 'const', value: false };
  const atoms = tests.every((t) => t.atoms !== null) ? tests.flatMap((t) => t.atoms!) : null;
  const fns = tests.map((t) => t.fn);
  return { k: 'test', field, atoms, fn: (v) => fns.some((f) => f(v)) };
}

function existsPred(fc: FieldCondition, field: string, opts: CompileOptions): Pred {
  const want = fc.values[0];
  if (fc.values.length !== 1 || typeof want !== 'boolean') fail(fc.where, "'exists' takes one value, true or false");
  if (field === '') fail(fc.where, "'exists' needs a field name");
  const slot = opts.table.slot(field);
  return { k: 'test', field, atoms: null, fn: (v) => (v.value(slot) !== undefined) === want };
}

function compileValue(fc: FieldCondition, field: string, value: SigmaScalar, mods: ModifierSet, opts: CompileOptions): Pred {
  if (value === null) {
    if (fc.modifiers.length > 0 && !(fc.modifiers.length === 1 && mods.neq)) {
      fail(fc.where, 'null cannot take modifiers: it matches a field that is absent or empty of value');
    }
    if (field === '') fail(fc.where, 'a keyword cannot be null');
    const slot = opts.table.slot(field);
    return { k: 'test', field, atoms: null, fn: (v) => v.value(slot) === undefined || v.value(slot) === null };
  }
  if (mods.re) {
    // Only ASCII literals: Unicode lower-casing is context-dependent (final sigma), ASCII is not.
    const found = requiredRegexLiteral(String(value));
    const lit = found && /^[\x00-\x7f]+$/.test(found) ? found.toLowerCase() : undefined;
    const atoms = lit ? [{ field, op: 'contains' as const, lit }] : null;
    const re = regexTextTest(fc, value, mods);
    if (!lit || field === '') return onText(field, opts, true, re, atoms);
    // Crossing into RE2 costs a string conversion: first check the text it must contain.
    const slot = opts.table.slot(field);
    const viaList = testOf(onText(field, opts, true, re, atoms));
    return {
      k: 'test',
      field,
      atoms,
      fn: (v) => {
        const low = v.lower(slot);
        if (low === null) return viaList(v);
        return low.includes(lit) && re(v.text(slot)!);
      },
    };
  }
  if (mods.cidr) return onText(field, opts, true, guard(fc, () => cidrTest(String(value))), null);
  if (mods.timePart) return timePred(fc, field, value, mods, opts);
  if (mods.numeric) return numericPred(fc, field, value, mods, opts);
  if (mods.fieldref) return fieldrefPred(fc, field, value, mods, opts);
  return stringsPred(field, shapedStrings(fc, field, value, mods, opts), mods.cased, opts);
}

function testOf(p: Pred): Test {
  if (p.k !== 'test') throw new Error('expected a test predicate');
  return p.fn;
}

function guard<T>(fc: FieldCondition, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof InputError) throw err;
    return fail(fc.where, (err as Error).message);
  }
}

function regexTextTest(fc: FieldCondition, value: SigmaScalar, mods: ModifierSet): TextTest {
  const others = fc.modifiers.filter((m) => !['re', 'i', 'm', 's', 'all', 'neq', 'cased'].includes(m));
  if (others.length > 0) fail(fc.where, `'re' cannot be combined with '${others.join("', '")}'`);
  return guard(fc, () => {
    try {
      return regexTest(String(value), mods.reFlags);
    } catch (err) {
      throw new Error(`regular expression /${String(value)}/ is not supported by RE2 (${(err as Error).message})`);
    }
  });
}

/**
 * A test over a field's scalar text (each element of a list, any of them). `cased` tests
 * see the text as written; the others see it lower-cased.
 */
function onText(field: string, opts: CompileOptions, cased: boolean, test: TextTest, atoms: IndexAtom[] | null): Pred {
  if (field === '') {
    return {
      k: 'test',
      field,
      atoms,
      fn: cased ? (v) => v.texts().some(test) : (v) => v.lowerTexts().some(test),
    };
  }
  const slot = opts.table.slot(field);
  const listTest = (x: unknown): boolean => {
    if (!Array.isArray(x)) return false;
    for (const item of x) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const t = String(item);
        if (test(cased ? t : t.toLowerCase())) return true;
      }
    }
    return false;
  };
  const fn: Test = cased
    ? (v) => {
        const t = v.text(slot);
        return t !== null ? test(t) : listTest(v.value(slot));
      }
    : (v) => {
        const t = v.lower(slot);
        return t !== null ? test(t) : listTest(v.value(slot));
      };
  return { k: 'test', field, atoms, fn };
}

type Encoded = SigmaString | Uint8Array;

function isPlainString(m: ModifierSet): boolean {
  return !m.re && !m.cidr && !m.exists && !m.fieldref && m.numeric === null && m.timePart === null;
}

/** A value after its modifiers: the wildcard strings it stands for (none: never matches). */
function shapedStrings(fc: FieldCondition, field: string, value: SigmaScalar, _mods: ModifierSet, opts: CompileOptions): SigmaString[] {
  let values: Encoded[] | null = [typeof value === 'string' ? parseSigmaString(value) : literalString(String(value))];
  for (const mod of fc.modifiers) {
    values = applyModifier(fc, mod, values, opts);
    if (values === null) return [];
  }
  const strings = values.map((x) => (x instanceof Uint8Array ? literalString(bytesToBinaryString(x)) : x));
  // Keywords are searched anywhere in a value, as full-text search does.
  return field === '' ? strings.map((s) => wrapAny(s, true, true)) : strings;
}

/**
 * Any of the strings, as one test: exact values in a set, then prefix, suffix and substring
 * literals with the engine's native string search, then the rare real globs.
 */
function stringsPred(field: string, strings: readonly SigmaString[], cased: boolean, opts: CompileOptions): Pred {
  if (strings.length === 0) return { k: 'const', value: false };
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const contains: string[] = [];
  const globs: TextTest[] = [];
  let anyText = false;
  const atoms: IndexAtom[] = [];
  let indexable = true;
  for (const raw of strings) {
    const s = cased ? raw : mapLiterals(raw, (t) => t.toLowerCase());
    const { test, literal } = stringTest(s);
    if (literal) atoms.push({ field, ...literal });
    else indexable = false;
    const shape = simpleShape(s);
    if (shape === null) globs.push(test);
    else if (shape.op === 'any') anyText = true;
    else if (shape.op === 'eq') exact.add(shape.lit);
    else if (shape.op === 'prefix') prefixes.push(shape.lit);
    else if (shape.op === 'suffix') suffixes.push(shape.lit);
    else contains.push(shape.lit);
  }
  const hasPrefix = affixTest(prefixes, (t, n) => t.slice(0, n));
  const hasSuffix = affixTest(suffixes, (t, n) => t.slice(t.length - n));
  const hasSubstring = substringTest(contains, cased);
  const test: TextTest = anyText
    ? () => true
    : (t) => exact.has(t) || hasPrefix(t) || hasSuffix(t) || hasSubstring(t) || globs.some((g) => g(t));
  return onText(field, opts, cased, test, indexable ? atoms : null);
}

/**
 * Whether a text starts (or ends) with one of the literals: a loop for a few, and for long
 * lists (hundreds of DLL names) a set probed once per distinct literal length.
 */
function affixTest(literals: readonly string[], cut: (t: string, n: number) => string): TextTest {
  if (literals.length === 0) return () => false;
  const isPrefix = cut('ab', 1) === 'a';
  if (literals.length <= 8) {
    return isPrefix ? (t) => literals.some((p) => t.startsWith(p)) : (t) => literals.some((x) => t.endsWith(x));
  }
  const set = new Set(literals);
  const lengths = [...new Set(literals.map((l) => l.length))].sort((a, b) => a - b);
  return (t) => {
    for (const n of lengths) {
      if (n > t.length) return false;
      if (set.has(cut(t, n))) return true;
    }
    return false;
  };
}

/** Whether a text contains one of the literals: `includes` for a few, an index for many. */
function substringTest(literals: readonly string[], cased: boolean): TextTest {
  if (literals.length === 0) return () => false;
  if (literals.length <= 16 || cased) return (t) => literals.some((c) => t.includes(c));
  const index = new SubstringIndex(literals.map((lit) => ({ lit, items: [0] })), false);
  const sink = { hit: false, addAll(): void { this.hit = true; } };
  return (t) => {
    sink.hit = false;
    index.scan(t, sink);
    return sink.hit;
  };
}

/** The shape of a wildcard string when it is one literal with stars only at its ends. */
function simpleShape(s: SigmaString): { op: 'eq' | 'prefix' | 'suffix' | 'contains' | 'any'; lit: string } | null {
  const n = s.length;
  const first = s[0];
  const last = s[n - 1];
  if (n === 0) return { op: 'eq', lit: '' };
  if (n === 1) return typeof first === 'string' ? { op: 'eq', lit: first } : first === ANY_PART ? { op: 'any', lit: '' } : null;
  if (n === 2 && first === ANY_PART && typeof last === 'string') return { op: 'suffix', lit: last };
  if (n === 2 && typeof first === 'string' && last === ANY_PART) return { op: 'prefix', lit: first };
  const mid = s[1];
  if (n === 3 && first === ANY_PART && last === ANY_PART && typeof mid === 'string') return { op: 'contains', lit: mid };
  return null;
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
function applyModifier(fc: FieldCondition, mod: string, values: Encoded[], opts: CompileOptions): Encoded[] | null {
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
      const out = values.flatMap((x) => expandPlaceholders(asString(x), opts.placeholders));
      return out.length === 0 ? null : out;
    }
    default:
      return values; // flags (all, cased, neq) handled elsewhere
  }
}

/** Replaces `%name%` placeholders with every configured value; none configured → no values. */
function expandPlaceholders(s: SigmaString, placeholders: ReadonlyMap<string, readonly string[]> | undefined): SigmaString[] {
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

function numericPred(fc: FieldCondition, field: string, value: SigmaScalar, mods: ModifierSet, opts: CompileOptions): Pred {
  const n = Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(n)) fail(fc.where, `'${mods.numeric}' needs a number, got '${String(value)}'`);
  if (field === '') fail(fc.where, `'${mods.numeric}' needs a field name`);
  const cmp = comparator(mods.numeric!, n);
  return onText(field, opts, true, (t) => {
    const x = t.trim() === '' ? Number.NaN : Number(t);
    return Number.isFinite(x) && cmp(x);
  }, null);
}

function comparator(op: string, n: number): (x: number) => boolean {
  switch (op) {
    case 'lt':
      return (x) => x < n;
    case 'lte':
      return (x) => x <= n;
    case 'gt':
      return (x) => x > n;
    case 'gte':
      return (x) => x >= n;
    default:
      return (x) => x === n;
  }
}

function timePred(fc: FieldCondition, field: string, value: SigmaScalar, mods: ModifierSet, opts: CompileOptions): Pred {
  const n = Number(value);
  if (!Number.isFinite(n)) fail(fc.where, `'${mods.timePart}' needs a number, got '${String(value)}'`);
  const cmp = comparator(mods.numeric ?? 'eq', n);
  const part = mods.timePart!;
  return onText(field, opts, true, (t) => {
    const d = dateAsWritten(t);
    return d !== null && cmp(datePart(d, part));
  }, null);
}

/**
 * The date and time a timestamp text states, read as written: the spec's time modifiers do
 * no time-zone conversion, so `2024-03-05T03:15:42+08:00` has hour 3 on every machine.
 */
function dateAsWritten(t: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(t.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Extracts a UTC date part; the spec warns it does no time-zone conversion. */
function datePart(d: Date, part: string): number {
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
    default: {
      // ISO 8601 week number.
      const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      const day = t.getUTCDay() || 7;
      t.setUTCDate(t.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
      return Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
    }
  }
}

function fieldrefPred(fc: FieldCondition, field: string, value: SigmaScalar, mods: ModifierSet, opts: CompileOptions): Pred {
  if (field === '' || typeof value !== 'string') fail(fc.where, "'fieldref' needs a field name on both sides");
  const other = opts.fieldMap?.[value] ?? value;
  const a = opts.table.slot(field);
  const b = opts.table.slot(other);
  const op = fc.modifiers.includes('contains') ? 'contains' : fc.modifiers.includes('startswith') ? 'prefix' : fc.modifiers.includes('endswith') ? 'suffix' : 'eq';
  const read = mods.cased ? (v: EventView, s: number) => v.text(s) : (v: EventView, s: number) => v.lower(s);
  return {
    k: 'test',
    field,
    atoms: null,
    fn: (v) => {
      const x = read(v, a);
      const y = read(v, b);
      if (x === null || y === null) return false;
      return op === 'eq' ? x === y : op === 'contains' ? x.includes(y) : op === 'prefix' ? x.startsWith(y) : x.endsWith(y);
    },
  };
}

/** Turns a predicate tree into one closure. */
export function toClosure(p: Pred): Test {
  switch (p.k) {
    case 'const': {
      const value = p.value;
      return () => value;
    }
    case 'test':
      return p.fn;
    case 'not': {
      const f = toClosure(p.arg);
      return (v) => !f(v);
    }
    case 'and': {
      const fs = p.args.map(toClosure);
      if (fs.length === 2) {
        const [a, b] = fs as [Test, Test];
        return (v) => a(v) && b(v);
      }
      return (v) => {
        for (const f of fs) if (!f(v)) return false;
        return true;
      };
    }
    case 'or': {
      const fs = p.args.map(toClosure);
      if (fs.length === 2) {
        const [a, b] = fs as [Test, Test];
        return (v) => a(v) || b(v);
      }
      return (v) => {
        for (const f of fs) if (f(v)) return true;
        return false;
      };
    }
  }
}

/**
 * A set of atoms at least one of which holds whenever `p` does, or null if none is known.
 * The engine only evaluates a rule for events that satisfy one of its atoms.
 */
export function necessaryAtoms(p: Pred): readonly IndexAtom[] | null {
  switch (p.k) {
    case 'const':
      return p.value ? null : [];
    case 'test':
      return p.atoms;
    case 'not':
      return null;
    case 'or': {
      const out: IndexAtom[] = [];
      for (const a of p.args) {
        const atoms = necessaryAtoms(a);
        if (atoms === null) return null;
        out.push(...atoms);
      }
      return out;
    }
    case 'and': {
      let best: readonly IndexAtom[] | null = null;
      for (const a of p.args) {
        const atoms = necessaryAtoms(a);
        if (atoms !== null && (best === null || atomCost(atoms) < atomCost(best))) best = atoms;
      }
      return best;
    }
  }
}

/** Lower is a better index key: few atoms with long literals; exact values best. */
function atomCost(atoms: readonly IndexAtom[]): number {
  let cost = 0;
  for (const a of atoms) {
    const weight = a.op === 'eq' ? 1 : a.op === 'contains' ? 4 : 2;
    cost += weight * (1 + 8 / (1 + a.lit.length)) * (a.field === '' ? 8 : 1);
  }
  return cost;
}

/** Fields whose tests held in a matching event (positive branches only), for the alert. */
export function matchedFields(p: Pred, v: EventView, out: Set<string>): boolean {
  switch (p.k) {
    case 'const':
      return p.value;
    case 'test': {
      const ok = p.fn(v);
      if (ok && p.field !== '') out.add(p.field);
      return ok;
    }
    case 'not':
      return !toClosure(p.arg)(v);
    case 'and': {
      const local = new Set<string>();
      for (const a of p.args) if (!matchedFields(a, v, local)) return false;
      for (const f of local) out.add(f);
      return true;
    }
    case 'or': {
      let any = false;
      for (const a of p.args) if (matchedFields(a, v, out)) any = true;
      return any;
    }
  }
}

export { FieldTable, EventView };

/**
 * The values a field must equal for `p` to hold (case-folded), or null if `p` does not pin
 * the field. The engine uses it to file a rule under the event ids its detection names.
 */
export function requiredEquals(p: Pred, field: string): string[] | null {
  switch (p.k) {
    case 'test':
      return p.field === field && p.atoms !== null && p.atoms.length > 0 && p.atoms.every((a) => a.op === 'eq')
        ? p.atoms.map((a) => a.lit)
        : null;
    case 'and': {
      for (const a of p.args) {
        const v = requiredEquals(a, field);
        if (v !== null) return v;
      }
      return null;
    }
    case 'or': {
      const out: string[] = [];
      for (const a of p.args) {
        const v = requiredEquals(a, field);
        if (v === null) return null;
        out.push(...v);
      }
      return out;
    }
    default:
      return null;
  }
}
