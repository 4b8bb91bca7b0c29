import { SubstringIndex } from '../substrings.js';
import { parseCondition, expandPattern, type ConditionNode } from './condition.js';
import type { EventView, FieldTable } from './event-view.js';
import { cidrTest, stringTest, type TextTest } from './match.js';
import { requiredRegexLiteral, ruleRegex, type RuleRegex } from './regex.js';
import { toClosure, type IndexAtom, type Pred, type Test } from './pred.js';
import { ANY as ANY_PART, mapLiterals, type SigmaString } from './sigma-string.js';
import type { FieldCondition, SearchIdentifier, SigmaScalar } from './types.js';
import { fail, guard, shapedStrings } from './values.js';

export type { IndexAtom, Pred } from './pred.js';
export { toClosure, alternativeCuts, matchedFields, requiredEquals } from './pred.js';
export { FieldTable, EventView } from './event-view.js';

/**
 * Compiles a rule's detection into a predicate tree (see pred.ts): conditions into and/or/not,
 * each `Field|modifiers: values` into one test closure over the event's field cache.
 */
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
    const groups = fc.values.map((value) => shapedStrings(fc, field, value, opts.placeholders));
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
    const re = ruleRegexOf(fc, value, mods);
    if (field === '') return onText(field, opts, true, re.test, atoms);
    const slot = opts.table.slot(field);
    const viaList = testOf(onText(field, opts, true, re.test, atoms));
    const { minLength, bytes } = re;
    // Crossing into RE2 costs a string conversion: first the length and the text it must
    // contain, then the event's one UTF-8 copy of the field, shared by every regex on it.
    return {
      k: 'test',
      field,
      atoms,
      fn: (v) => {
        const t = v.text(slot);
        if (t === null) return viaList(v);
        if (t.length < minLength) return false;
        if (lit !== undefined && !v.lower(slot)!.includes(lit)) return false;
        return bytes === null ? re.test(t) : bytes(v.utf8(slot)!);
      },
    };
  }
  if (mods.cidr) return onText(field, opts, true, guard(fc, () => cidrTest(String(value))), null);
  if (mods.timePart) return timePred(fc, field, value, mods, opts);
  if (mods.numeric) return numericPred(fc, field, value, mods, opts);
  if (mods.fieldref) return fieldrefPred(fc, field, value, mods, opts);
  return stringsPred(field, shapedStrings(fc, field, value, opts.placeholders), mods.cased, opts);
}

function testOf(p: Pred): Test {
  if (p.k !== 'test') throw new Error('expected a test predicate');
  return p.fn;
}

function ruleRegexOf(fc: FieldCondition, value: SigmaScalar, mods: ModifierSet): RuleRegex {
  const others = fc.modifiers.filter((m) => !['re', 'i', 'm', 's', 'all', 'neq', 'cased'].includes(m));
  if (others.length > 0) fail(fc.where, `'re' cannot be combined with '${others.join("', '")}'`);
  return guard(fc, () => {
    try {
      return ruleRegex(String(value), mods.reFlags);
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

function isPlainString(m: ModifierSet): boolean {
  return !m.re && !m.cidr && !m.exists && !m.fieldref && m.numeric === null && m.timePart === null;
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
    : (t) => {
        if (exact.has(t) || hasPrefix(t) || hasSuffix(t) || hasSubstring(t)) return true;
        for (let i = 0; i < globs.length; i++) if (globs[i]!(t)) return true;
        return false;
      };
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

