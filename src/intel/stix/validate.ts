import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { parsePattern } from '../pattern/parse.js';

/**
 * STIX 2.1 object validation, two ways.
 *
 * `checkStixObject` is hand-written and needs no schema files: it encodes what the OASIS JSON
 * schemas (cti-stix2-json-schemas, draft 2020-12) check for every SDO, SRO, SCO,
 * marking-definition, language-content, extension-definition and bundle, plus what they
 * cannot say. `loadStixSchemas` runs the official schemas themselves through Ajv, for tests
 * and for operators who have the files.
 *
 * Where the builtin is stricter than the schemas, and why (the schemas cannot compare two
 * properties, or say less than the specification):
 * - order: modified >= created, valid_until > valid_from, last_seen >= first_seen,
 *   last_observed >= first_observed, stop_time > start_time;
 * - an id's type part must equal `type`, also for custom `x-` types;
 * - spec_version must be '2.1' (the schemas also take '2.0'); a bundle has no spec_version;
 * - ref types the schemas leave as bare ids: created_by_ref is an identity, object_marking_refs
 *   are marking-definitions, malware sample_refs are files or artifacts, the `_ref(s)` of a
 *   top-level SCO name the types the specification lists, observed-data object_refs are SCOs,
 *   SROs or custom objects;
 * - a granular marking has exactly one of marking_ref and lang, and its selectors must
 *   resolve in the object;
 * - an indicator whose pattern_type is 'stix' must have a pattern that parses;
 * - a TLP 2.0 marking-definition (the OASIS extension) must carry the OASIS id and name of
 *   its level (wrong ids circulate);
 * - property names are `^[a-z][a-z0-9_]{2,249}$` or 'id' as the specification says; the
 *   schemas' `^([a-z][a-z0-9_]{2,249})|id$` is unanchored, so they take 'abc-DEF' or 'X-id';
 * - description is a string, language-content contents values are dictionaries, a
 *   marking-definition with a definition_type has a definition, a TLP 1.0 definition has its
 *   `tlp` level.
 * Where the schemas are wrong and the builtin follows the specification:
 * - a granular marking with only `lang` is valid (the schema requires marking_ref);
 * - IPv4-mapped IPv6 addresses ('::ffff:192.0.2.1') are valid (the schema's regex has 'd'
 *   for '\d');
 * - a process with only created_time, a registry key with only modified_time, a
 *   windows-process-ext with only integrity_level are valid (the schemas list other names);
 * - http-request-ext request_header values may be strings (the specification's own example);
 * - an observed-data embedded object whose type merely contains an SCO name ('x-my-file') is
 *   custom, and a definition_type like 'x-tlp' is a custom marking type (the schemas'
 *   alternations `^artifact|…|file|…` and `^(statement)|(tlp)$` are unanchored);
 * - bundles: bundle.json's item union lacks grouping, incident, location, note, opinion and
 *   extension-definition, and its oneOf of core and cyber-observable-core matches both for
 *   any SDO it does not list, so it refuses those and every custom SDO. The schema validator
 *   below therefore checks a bundle's envelope, then each object against its own type.
 */

/** One thing wrong with a STIX object. */
export interface StixProblem {
  /** JSON pointer inside the checked value: '' for the object itself, '/pattern', '/objects/3/id'. */
  readonly path: string;
  readonly message: string;
}

export interface CheckOptions {
  /** Parse indicator patterns whose pattern_type is 'stix' (default true; 2–4 µs a pattern). */
  readonly patterns?: boolean;
}

/** Problems beyond this many are summed up in one line (hostile input: a million bad refs). */
export const MAX_PROBLEMS = 200;

type Json = Record<string, unknown>;
type Check = (v: unknown, at: string, cx: Cx) => void;

interface Cx {
  readonly out: StixProblem[];
  /** The type of the object being checked, which starts every message. */
  what: string;
  /** The pointer of that object (inside a bundle, '/objects/3'), so names are relative to it. */
  base: string;
  /** Inside observed-data `objects`: refs there are dictionary keys, not ids. */
  embedded: boolean;
  readonly patterns: boolean;
}

/**
 * Checks one STIX 2.1 object, or a bundle and every object in it, and says what is wrong and
 * where. An empty list means valid. Never throws.
 */
export function checkStixObject(obj: unknown, opts: CheckOptions = {}): StixProblem[] {
  const cx: Cx = { out: [], what: 'stix', base: '', embedded: false, patterns: opts.patterns ?? true };
  try {
    checkAny(obj, '', cx, 'top');
  } catch (e) {
    // A getter or proxy that throws: not JSON, but say so rather than throw.
    cx.out.push({ path: '', message: `the object could not be read: ${e instanceof Error ? e.message : String(e)}` });
  }
  return cx.out;
}

// ---------------------------------------------------------------------------------------------
// Messages

function fail(cx: Cx, path: string, message: string): void {
  if (cx.out.length < MAX_PROBLEMS) cx.out.push({ path, message: `${cx.what}: ${message}` });
  else if (cx.out.length === MAX_PROBLEMS) cx.out.push({ path: '', message: `more than ${MAX_PROBLEMS} problems; the rest are not listed` });
}

/** A JSON pointer one step down (RFC 6901 escapes). */
function ptr(at: string, key: string | number): string {
  if (typeof key === 'number') return `${at}/${key}`;
  if (key.includes('~') || key.includes('/')) return `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return `${at}/${key}`;
}

/** The property a pointer names, as a reader writes it: 'external_references[0].source_name'. */
function nm(cx: Cx, at: string): string {
  let s = '';
  for (const seg of at.slice(cx.base.length).split('/').slice(1)) {
    const k = clip(seg.replace(/~1/g, '/').replace(/~0/g, '~'), 60);
    s += s === '' ? k : /^\d+$/.test(k) ? `[${k}]` : `.${k}`;
  }
  return `'${s}'`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}…(${s.length} characters)`;
}

/** A value as a message shows it. */
function got(v: unknown): string {
  if (typeof v === 'string') return `'${clip(v, 80)}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const an = (type: string): string => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
const quoted = (names: readonly string[]): string => names.map((n) => `'${n}'`).join(', ');

// ---------------------------------------------------------------------------------------------
// Formats. Every regex here runs in linear time: the schemas' own type pattern
// `^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$` backtracks exponentially (28 characters: 3 s in V8).

const TIMESTAMP = /^\d{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?Z$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
const ID_TYPE = /^[a-z][a-z0-9-]+[a-z0-9]$/;
const OBJECT_TYPE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?$/;
const PROPERTY_NAME = /^[a-z][a-z0-9_]{2,249}$/;
const MILLIS = /\.\d{3,}Z$/;
const HEX_NAME = /^[a-z][a-z0-9_]{0,245}_hex$/;
const BIN_NAME = /^[a-z][a-z0-9_]{0,245}_bin$/;
const HEX = /^(?:[a-fA-F0-9]{2})+$/;
const DICT_KEY = /^[a-zA-Z0-9_-]{0,250}$/;
const HASH_KEY = /^[a-zA-Z0-9_-]{3,250}$/;
const EXT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-ext$/;
const SELECTOR = /^(?:[a-z0-9_-]{3,249}(?:\.(?:\[\d+\]|[a-z0-9_-]{1,250}))*|id)$/;
const RESERVED = new Set(['severity', 'action', 'username', 'phone_numbers']);
const OPEN_TYPE_MAX = 250;

function isTimestamp(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 64 && TIMESTAMP.test(v);
}

/** The type part of '<type>--<UUID>', or undefined when the text is not a STIX id. */
function idType(s: string): string | undefined {
  // A type of 3 to 250 characters, '--', 36 for the UUID.
  if (s.length < 41 || s.length > 288 || s.charCodeAt(s.length - 37) !== 45 || s.charCodeAt(s.length - 38) !== 45) return undefined;
  const type = s.slice(0, -38);
  return ID_TYPE.test(type) && UUID.test(s.slice(-36)) ? type : undefined;
}

/** Order of two valid timestamps, fractions of any length ('…:00Z' equals '…:00.000Z'). */
function compareTimestamps(a: string, b: string): number {
  const ha = a.slice(0, 19);
  const hb = b.slice(0, 19);
  if (ha !== hb) return ha < hb ? -1 : 1;
  let fa = a.charCodeAt(19) === 46 ? a.slice(20, -1) : '';
  let fb = b.charCodeAt(19) === 46 ? b.slice(20, -1) : '';
  const n = Math.max(fa.length, fb.length);
  fa = fa.padEnd(n, '0');
  fb = fb.padEnd(n, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

function isBase64(s: string): boolean {
  // RFC 4648 with padding, at least one quantum (binary.json).
  if (s.length === 0 || s.length % 4 !== 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok && !(c === 61 && i >= s.length - 2 && (i === s.length - 1 || s.charCodeAt(s.length - 1) === 61))) return false;
  }
  return true;
}

const URI_START = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const AUTHORITY = /^(?:[^@[\]/]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^:@[\]]*)(?::\d*)?$/;

/** An absolute URI (RFC 3986), as JSON Schema's 'uri' format means. */
function isUri(s: string): boolean {
  const m = URI_START.exec(s);
  if (!m || !URI_CHARS.test(s)) return false;
  const rest = s.slice(m[0].length);
  if (!rest.startsWith('//')) return true;
  const end = rest.slice(2).search(/[/?#]/);
  return AUTHORITY.test(end < 0 ? rest.slice(2) : rest.slice(2, 2 + end));
}

const LABEL = /^[\p{L}\p{N}\p{M}_](?:[\p{L}\p{N}\p{M}_-]*[\p{L}\p{N}\p{M}_])?$/u;

/**
 * A host name, internationalised labels allowed ('idn-hostname'; ajv-formats has no such
 * format, so the schema validator is given this one). Underscores are allowed: they are in
 * real DNS names ('_dmarc.example.com') that CTI reports.
 */
function isHostname(s: string): boolean {
  const h = s.endsWith('.') ? s.slice(0, -1) : s;
  if (h.length === 0 || h.length > 253) return false;
  for (const label of h.split('.')) if (label.length > 63 || !LABEL.test(label)) return false;
  return true;
}

const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}(?:/(?:3[0-2]|[12]\\d|\\d))?$`);
const IPV4_PLAIN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const H16 = /^[0-9A-Fa-f]{1,4}$/;

/** An IPv6 address or CIDR block, zone and embedded IPv4 allowed. */
function isIpv6(s: string): boolean {
  let a = s;
  const slash = a.indexOf('/');
  if (slash >= 0) {
    const bits = a.slice(slash + 1);
    if (!/^(?:12[0-8]|1[01]\d|[1-9]?\d)$/.test(bits)) return false;
    a = a.slice(0, slash);
  }
  const pct = a.indexOf('%');
  if (pct >= 0) {
    if (pct === a.length - 1) return false;
    a = a.slice(0, pct);
  }
  const halves = a.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let words = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (i === all.length - 1 && g.includes('.')) {
      if (!IPV4_PLAIN.test(g)) return false;
      words += 2;
    } else if (H16.test(g)) words += 1;
    else return false;
  }
  return halves.length === 2 ? words <= 7 : words === 8;
}

const CPE_FIELD = String.raw`(?:(?:\?*|\*?)(?:[a-zA-Z0-9\-._]|\\[\\*?!"#$%&'()+,/:;<=>@[\]^` + '`' + String.raw`{|}~])+(?:\?*|\*?)|[*-])`;
const CPE = new RegExp(String.raw`^cpe:2\.3:[aho*-](?::${CPE_FIELD}){5}:(?:[a-zA-Z]{2,3}(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?|[*-])(?::${CPE_FIELD}){4}$`);
const LANGUAGE_TAG = /^(?:[a-z]{2}(?:-[A-Z]{2})?(?:-[a-z]{4})?(?:-[A-Z]{2}|[0-9]{3})?(?:-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*(?:-[a-z0-9]{1,8})*|[a-z]{3})$/;
const MAC = /^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const MIME = /^(?:application|audio|font|image|message|model|multipart|text|video)\/[a-zA-Z0-9.+_-]+/;
const CVE_ID = /^CVE-\d{4}-(?:0\d{3}|[1-9]\d{3,})$/;
const CAPEC_ID = /^CAPEC-\d+$/;

// ---------------------------------------------------------------------------------------------
// Checkers: one per property kind. They check a present value; absence is the shape's business.

const anything: Check = () => undefined;

const str: Check = (v, at, cx) => {
  if (typeof v !== 'string') fail(cx, at, `${nm(cx, at)} must be a string; got ${got(v)}`);
};

const bool: Check = (v, at, cx) => {
  if (typeof v !== 'boolean') fail(cx, at, `${nm(cx, at)} must be true or false; got ${got(v)}`);
};

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  return max !== undefined ? ` of at most ${max}` : '';
}

function int(min?: number, max?: number): Check {
  return (v, at, cx) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || (min !== undefined && v < min) || (max !== undefined && v > max)) {
      fail(cx, at, `${nm(cx, at)} must be an integer${range(min, max)}; got ${got(v)}`);
    }
  };
}

function num(min?: number, max?: number): Check {
  return (v, at, cx) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (min !== undefined && v < min) || (max !== undefined && v > max)) {
      fail(cx, at, `${nm(cx, at)} must be a number${range(min, max)}; got ${got(v)}`);
    }
  };
}

const ts: Check = (v, at, cx) => {
  if (!isTimestamp(v)) fail(cx, at, `${nm(cx, at)} must be a UTC timestamp like 2016-05-12T08:17:27.000Z; got ${got(v)}`);
};

/** created and modified: to the millisecond at least (core.json). */
const tsMillis: Check = (v, at, cx) => {
  if (!isTimestamp(v)) ts(v, at, cx);
  else if (!MILLIS.test(v)) fail(cx, at, `${nm(cx, at)} must be precise to the millisecond (like 2016-05-12T08:17:27.000Z); got ${got(v)}`);
};

/** windows-pebinary-ext time_date_stamp: to the second, no fraction. */
const tsSeconds: Check = (v, at, cx) => {
  if (!isTimestamp(v)) ts(v, at, cx);
  else if (v.length !== 20) fail(cx, at, `${nm(cx, at)} must be to the second, with no fraction (like 2016-05-12T08:17:27Z); got ${got(v)}`);
};

function oneOf(values: readonly string[]): Check {
  const set = new Set(values);
  return (v, at, cx) => {
    if (typeof v !== 'string' || !set.has(v)) fail(cx, at, `${nm(cx, at)} must be one of ${quoted(values)}; got ${got(v)}`);
  };
}

function matching(re: RegExp, what: string, maxLength = 4096): Check {
  return (v, at, cx) => {
    if (typeof v !== 'string') fail(cx, at, `${nm(cx, at)} must be a string; got ${got(v)}`);
    else if (v.length > maxLength || !re.test(v)) fail(cx, at, `${nm(cx, at)} must be ${what}; got ${got(v)}`);
  };
}

function satisfying(test: (s: string) => boolean, what: string, maxLength = 1 << 16): Check {
  return (v, at, cx) => {
    if (typeof v !== 'string') fail(cx, at, `${nm(cx, at)} must be a string; got ${got(v)}`);
    else if (v.length > maxLength || !test(v)) fail(cx, at, `${nm(cx, at)} must be ${what}; got ${got(v)}`);
  };
}

const hex = matching(HEX, 'an even number of hex digits', 1 << 20);
const bin = satisfying(isBase64, 'base64 (RFC 4648, padded)', Infinity);
const uri = satisfying(isUri, 'an absolute URI (RFC 3986)');

/** A list of at least `min` items, each checked. */
function list(item: Check, min = 1): Check {
  return (v, at, cx) => {
    if (!Array.isArray(v)) return fail(cx, at, `${nm(cx, at)} must be a list; got ${got(v)}`);
    if (v.length < min) return fail(cx, at, `${nm(cx, at)} must not be an empty list`);
    // Past the problem cap nothing more would be said: stop (a million bad refs cost nothing).
    for (let i = 0; i < v.length && cx.out.length <= MAX_PROBLEMS; i++) item(v[i], ptr(at, i), cx);
  };
}

const strs = list(str);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reference: a STIX id, of one of `only` types if given, of none of `not` types. */
function ref(only?: readonly string[], not?: readonly string[]): Check {
  const expected = only?.length === 1 ? `'${only[0]}--<UUID>'` : "a STIX id '<type>--<UUID>'";
  return (v, at, cx) => {
    const t = typeof v === 'string' ? idType(v) : undefined;
    if (t === undefined) return fail(cx, at, `${nm(cx, at)} must be ${expected}; got ${got(v)}`);
    if (only && !only.includes(t)) fail(cx, at, `${nm(cx, at)} must refer to ${only.length === 1 ? an(only[0]!) : `one of ${quoted(only)}`}; got ${got(v)}`);
    else if (not?.includes(t)) fail(cx, at, `${nm(cx, at)} may not refer to ${an(t)}; got ${got(v)}`);
  };
}

/**
 * A reference from one SCO to another. Inside observed-data `objects` (deprecated) refs are
 * the dictionary's keys, so only a string is asked for there (as the schemas ask everywhere).
 */
function scoRef(only?: readonly string[]): Check {
  const r = ref(only);
  return (v, at, cx) => (cx.embedded ? str(v, at, cx) : r(v, at, cx));
}

interface Shape {
  readonly props: ReadonlyMap<string, Check>;
  readonly required?: readonly string[];
  /** At least one of these must be present (the schemas' anyOf of required). */
  readonly anyOf?: readonly string[];
  /** Other properties are refused (additionalProperties: false). */
  readonly closed?: boolean;
  /** Names and values follow the rules for any STIX property (properties.json). */
  readonly named?: boolean;
  readonly rules?: (o: Json, at: string, cx: Cx) => void;
}

function shape(props: Record<string, Check>, more: Omit<Shape, 'props'> = {}): Shape {
  return { props: new Map(Object.entries(props)), ...more };
}

/** Checks the properties of an object against a shape (the value is known to be an object). */
function checkShape(o: Json, at: string, cx: Cx, s: Shape): void {
  for (const k of Object.keys(o)) {
    if (cx.out.length > MAX_PROBLEMS) return;
    const p = ptr(at, k);
    const v = o[k];
    const c = s.props.get(k);
    // A name in the table is a valid name: only custom names need the name rules.
    if (s.named && !namedOk(k, v, p, cx, c !== undefined)) continue;
    if (c) c(v, p, cx);
    else if (s.closed) fail(cx, p, `${nm(cx, p)} is not a property here; expected one of ${quoted([...s.props.keys()])}`);
    else if (s.named) customValue(k, v, p, cx);
  }
  if (s.required) for (const k of s.required) if (!Object.hasOwn(o, k)) fail(cx, ptr(at, k), `${nm(cx, ptr(at, k))} is required`);
  if (s.anyOf && !s.anyOf.some((k) => Object.hasOwn(o, k))) fail(cx, at, `${at === cx.base ? 'the object' : nm(cx, at)} needs at least one of ${quoted(s.anyOf)}`);
  s.rules?.(o, at, cx);
}

/** The rules for every property name and value (properties.json); false when reported. */
function namedOk(k: string, v: unknown, at: string, cx: Cx, known: boolean): boolean {
  if (!known && k !== 'id' && !(k.length <= 250 && PROPERTY_NAME.test(k))) {
    fail(cx, at, `property name '${clip(k, 60)}' must be 3 to 250 characters of a-z, 0-9 and _, starting with a letter`);
    return false;
  }
  if (!known && RESERVED.has(k)) {
    fail(cx, at, `'${k}' is reserved by STIX 2.1 and may not be used`);
    return false;
  }
  if (v === null) {
    fail(cx, at, `${nm(cx, at)} must not be null (leave the property out instead)`);
    return false;
  }
  if (Array.isArray(v) && v.length === 0) {
    fail(cx, at, `${nm(cx, at)} must not be an empty list (leave the property out instead)`);
    return false;
  }
  return true;
}

/** A custom property: only its name says something about its value. */
function customValue(k: string, v: unknown, at: string, cx: Cx): void {
  if (HEX_NAME.test(k)) hex(v, at, cx);
  else if (BIN_NAME.test(k)) bin(v, at, cx);
}

function nested(s: Shape, what = 'an object'): Check {
  return (v, at, cx) => {
    if (!isObject(v)) return fail(cx, at, `${nm(cx, at)} must be ${what}; got ${got(v)}`);
    checkShape(v, at, cx, s);
  };
}

/** A dictionary (dictionary.json): at least one key, keys of [a-zA-Z0-9_-], no null values. */
function dict(value: Check = anything, key: RegExp = DICT_KEY, keyWhat = 'up to 250 characters of a-z, A-Z, 0-9, _ and -'): Check {
  return (v, at, cx) => {
    if (!isObject(v)) return fail(cx, at, `${nm(cx, at)} must be a dictionary; got ${got(v)}`);
    const keys = Object.keys(v);
    if (keys.length === 0) return fail(cx, at, `${nm(cx, at)} must not be an empty dictionary`);
    for (const k of keys) {
      if (cx.out.length > MAX_PROBLEMS) return;
      const p = ptr(at, k);
      const x = v[k];
      if (!(k.length <= 250 && key.test(k))) fail(cx, p, `key '${clip(k, 60)}' of ${nm(cx, at)} must be ${keyWhat}`);
      else if (x === null) fail(cx, p, `${nm(cx, p)} must not be null`);
      else if (Array.isArray(x) && x.length === 0) fail(cx, p, `${nm(cx, p)} must not be an empty list`);
      else value(x, p, cx);
    }
  };
}

const HASH_FORMATS = new Map<string, [RegExp, string]>([
  ['MD5', [/^[a-fA-F0-9]{32}$/, '32 hex digits']],
  ['SHA-1', [/^[a-fA-F0-9]{40}$/, '40 hex digits']],
  ['SHA-256', [/^[a-fA-F0-9]{64}$/, '64 hex digits']],
  ['SHA-512', [/^[a-fA-F0-9]{128}$/, '128 hex digits']],
  ['SHA3-256', [/^[a-fA-F0-9]{64}$/, '64 hex digits']],
  ['SHA3-512', [/^[a-fA-F0-9]{128}$/, '128 hex digits']],
  ['SSDEEP', [/^[a-zA-Z0-9/+:.]{1,128}$/, 'an ssdeep hash (1 to 128 characters of a-z, A-Z, 0-9, /, +, : and .)']],
  ['TLSH', [/^[a-zA-Z0-9]{70}$/, '70 letters and digits']],
]);

/** hashes-type.json; `keys` limits the algorithms (external references). */
function hashes(keys?: ReadonlySet<string>): Check {
  return (v, at, cx) => {
    if (!isObject(v)) return fail(cx, at, `${nm(cx, at)} must be a dictionary of hashes; got ${got(v)}`);
    const names = Object.keys(v);
    if (names.length === 0) return fail(cx, at, `${nm(cx, at)} must not be an empty dictionary`);
    for (const k of names) {
      const p = ptr(at, k);
      const h = v[k];
      if (keys && !keys.has(k)) fail(cx, p, `hash algorithm '${clip(k, 60)}' in ${nm(cx, at)} must be one of ${quoted([...keys])}`);
      else if (!(k.length <= 250 && HASH_KEY.test(k))) fail(cx, p, `hash algorithm '${clip(k, 60)}' in ${nm(cx, at)} must be 3 to 250 characters of a-z, A-Z, 0-9, _ and -`);
      else if (typeof h !== 'string') fail(cx, p, `${nm(cx, p)} must be a string; got ${got(h)}`);
      else {
        const f = HASH_FORMATS.get(k);
        if (f && !f[0].test(h)) fail(cx, p, `${nm(cx, p)} must be ${f[1]}; got ${got(h)}${h.length <= 80 ? ` (${h.length} characters)` : ''}`);
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Shared shapes

const KILL_CHAIN_PHASES = list(nested(shape({ kill_chain_name: str, phase_name: str }, { required: ['kill_chain_name', 'phase_name'] })));

const EXTERNAL_REFERENCE = shape(
  { source_name: str, description: str, url: uri, external_id: str, hashes: hashes(new Set(['MD5', 'SHA-1', 'SHA-256', 'SHA-512', 'SHA3-256', 'SHA3-512', 'SSDEEP', 'TLSH'])) },
  {
    required: ['source_name'],
    rules(o, at, cx) {
      const source = o['source_name'];
      const id = o['external_id'];
      const idAt = ptr(at, 'external_id');
      if (source === undefined) return; // reported as required
      // external-reference.json: 'cve' and 'capec' sources need their id; their ids need them.
      if (source === 'cve' || source === 'capec') {
        const re = source === 'cve' ? CVE_ID : CAPEC_ID;
        if (id === undefined) fail(cx, idAt, `${nm(cx, idAt)} is required when 'source_name' is '${source}'`);
        else if (typeof id === 'string' && !re.test(id)) fail(cx, idAt, `${nm(cx, idAt)} must be ${source === 'cve' ? 'CVE-YYYY-NNNN' : 'CAPEC-N'} when 'source_name' is '${source}'; got ${got(id)}`);
        return;
      }
      if (typeof id === 'string' && (CVE_ID.test(id) || CAPEC_ID.test(id))) {
        const want = id.startsWith('CVE') ? 'cve' : 'capec';
        fail(cx, ptr(at, 'source_name'), `${nm(cx, ptr(at, 'source_name'))} must be '${want}' for the ${want.toUpperCase()} id ${got(id)}; got ${got(source)}`);
      }
      if (id === undefined && o['description'] === undefined && o['url'] === undefined) {
        fail(cx, at, `${nm(cx, at)} needs at least one of 'external_id', 'description' or 'url'`);
      }
    },
  },
);

const GRANULAR_MARKING = shape(
  { selectors: list(matching(SELECTOR, "a selector like 'description', 'labels.[1]' or 'external_references.[0].url'", 4096)), lang: str, marking_ref: ref(['marking-definition']) },
  {
    required: ['selectors'],
    rules(o, at, cx) {
      // The specification: exactly one of the two (the schema requires marking_ref, so it
      // refuses a lang-only marking and lets both through).
      const hasRef = Object.hasOwn(o, 'marking_ref');
      if (hasRef && Object.hasOwn(o, 'lang')) fail(cx, ptr(at, 'lang'), `${nm(cx, ptr(at, 'lang'))} may not be given together with 'marking_ref': a granular marking has exactly one of them`);
      else if (!hasRef && !Object.hasOwn(o, 'lang')) fail(cx, ptr(at, 'marking_ref'), `${nm(cx, ptr(at, 'marking_ref'))} (or 'lang') is required`);
    },
  },
);

/** Selectors must name something present in the object they mark. */
function checkSelectors(o: Json, at: string, cx: Cx): void {
  const gms = o['granular_markings'];
  if (!Array.isArray(gms)) return;
  gms.forEach((gm, i) => {
    const sels = isObject(gm) ? gm['selectors'] : undefined;
    if (!Array.isArray(sels)) return;
    sels.forEach((s, j) => {
      if (typeof s !== 'string' || !SELECTOR.test(s) || resolves(o, s)) return;
      const p = ptr(ptr(ptr(ptr(at, 'granular_markings'), i), 'selectors'), j);
      fail(cx, p, `selector '${clip(s, 80)}' names nothing in this object`);
    });
  });
}

function resolves(o: Json, selector: string): boolean {
  let cur: unknown = o;
  for (const step of selector.split('.')) {
    if (step.startsWith('[')) {
      const i = Number(step.slice(1, -1));
      if (!Array.isArray(cur) || i >= cur.length) return false;
      cur = cur[i];
    } else {
      if (!isObject(cur) || !Object.hasOwn(cur, step)) return false;
      cur = cur[step];
    }
  }
  return true;
}

const EXTENSION_TYPES = ['new-sdo', 'new-sco', 'new-sro', 'property-extension', 'toplevel-property-extension'];
const EXT_DEF_PREFIX = 'extension-definition--';
const EXTENSION = shape({ extension_type: oneOf(EXTENSION_TYPES) }, { named: true, required: ['extension_type'] });
const GENERIC_EXT = shape({}, { named: true });

/**
 * `extensions`: keys are extension-definition ids (extension.json) or, unless only those are
 * allowed (marking-definitions), predefined '…-ext' names with the shapes `known` gives.
 */
function extensions(known: ReadonlyMap<string, Shape> = new Map(), definitionsOnly = false): Check {
  return (v, at, cx) => {
    if (!isObject(v)) return fail(cx, at, `${nm(cx, at)} must be a dictionary; got ${got(v)}`);
    const keys = Object.keys(v);
    if (keys.length === 0) return fail(cx, at, `${nm(cx, at)} must not be an empty dictionary`);
    for (const k of keys) {
      const p = ptr(at, k);
      const e = v[k];
      const isDef = k.startsWith(EXT_DEF_PREFIX) && UUID.test(k.slice(EXT_DEF_PREFIX.length));
      if (!isDef && (definitionsOnly || !(k.length <= 250 && EXT_NAME.test(k)))) {
        fail(cx, p, `extension '${clip(k, 80)}' must be named by its 'extension-definition--<UUID>'${definitionsOnly ? '' : " or be a predefined '…-ext' extension"}`);
        continue;
      }
      if (!isObject(e)) fail(cx, p, `${nm(cx, p)} must be an object; got ${got(e)}`);
      else if (Object.keys(e).length === 0) fail(cx, p, `${nm(cx, p)} must not be empty`);
      else checkShape(e, p, cx, isDef ? EXTENSION : known.get(k) ?? GENERIC_EXT);
    }
  };
}

const specVersion: Check = (v, at, cx) => {
  if (v !== '2.1') fail(cx, at, `${nm(cx, at)} must be '2.1'${v === '2.0' ? ' (this is a STIX 2.0 object)' : ''}; got ${got(v)}`);
};

/** Properties checked by the dispatcher itself. */
const checkedApart: Check = () => undefined;

function inOrder(first: string, last: string, strict: boolean): (o: Json, at: string, cx: Cx) => void {
  return (o, at, cx) => {
    const a = o[first];
    const b = o[last];
    if (!isTimestamp(a) || !isTimestamp(b)) return;
    const c = compareTimestamps(b, a);
    if (strict ? c <= 0 : c < 0) fail(cx, ptr(at, last), `'${last}' (${b}) must be ${strict ? 'later than' : 'no earlier than'} '${first}' (${a})`);
  };
}

function all(...rules: ((o: Json, at: string, cx: Cx) => void)[]): (o: Json, at: string, cx: Cx) => void {
  return (o, at, cx) => {
    for (const r of rules) r(o, at, cx);
  };
}

// ---------------------------------------------------------------------------------------------
// SDOs and SROs (core.json plus each type's schema)

const CORE_PROPS: Record<string, Check> = {
  type: checkedApart,
  id: checkedApart,
  spec_version: specVersion,
  created: tsMillis,
  modified: tsMillis,
  created_by_ref: ref(['identity']),
  labels: strs,
  revoked: bool,
  confidence: int(0, 100),
  lang: str,
  external_references: list(nested(EXTERNAL_REFERENCE)),
  object_marking_refs: list(ref(['marking-definition'])),
  granular_markings: list(nested(GRANULAR_MARKING)),
  extensions: extensions(),
  description: str,
};
const CORE_REQUIRED = ['type', 'spec_version', 'id', 'created', 'modified'];
const coreRules = all(inOrder('created', 'modified', false), checkSelectors);

const seen = inOrder('first_seen', 'last_seen', false);
const anyRef = ref();
const objectRefs = list(anyRef);
const NOT_RELATABLE = ['relationship', 'sighting', 'bundle', 'marking-definition', 'language-content'];

function requireWhen(cond: (o: Json) => boolean, prop: string, why: string): (o: Json, at: string, cx: Cx) => void {
  return (o, at, cx) => {
    if (cond(o) && !Object.hasOwn(o, prop)) fail(cx, ptr(at, prop), `'${prop}' is required ${why}`);
  };
}

function only1(a: string, b: string): (o: Json, at: string, cx: Cx) => void {
  return (o, at, cx) => {
    const ha = Object.hasOwn(o, a);
    const hb = Object.hasOwn(o, b);
    if (ha && hb) fail(cx, ptr(at, b), `${nm(cx, ptr(at, b))} may not be given together with '${a}'`);
    else if (!ha && !hb) fail(cx, at, `${at === cx.base ? 'the object' : nm(cx, at)} needs one of '${a}' or '${b}'`);
  };
}

const patternRule = (o: Json, at: string, cx: Cx): void => {
  const p = o['pattern'];
  if (!cx.patterns || o['pattern_type'] !== 'stix' || typeof p !== 'string') return;
  try {
    parsePattern(p);
  } catch (e) {
    fail(cx, ptr(at, 'pattern'), `'pattern' is not a valid STIX pattern: ${e instanceof Error ? e.message : String(e)}`);
  }
};

const locationRule = (o: Json, at: string, cx: Cx): void => {
  const lat = Object.hasOwn(o, 'latitude');
  const lon = Object.hasOwn(o, 'longitude');
  if (lat !== lon) fail(cx, ptr(at, lat ? 'longitude' : 'latitude'), `'${lat ? 'longitude' : 'latitude'}' is required when '${lat ? 'latitude' : 'longitude'}' is given`);
  else if (Object.hasOwn(o, 'precision') && !lat) fail(cx, ptr(at, 'precision'), `'precision' needs 'latitude' and 'longitude'`);
  if (!lat && !lon && !Object.hasOwn(o, 'region') && !Object.hasOwn(o, 'country')) fail(cx, at, `the object needs 'region', 'country', or 'latitude' and 'longitude'`);
};

/** observed-data object_refs: SCOs, SROs and custom objects, never SDOs or meta objects. */
const observedRef: Check = (v, at, cx) => {
  anyRef(v, at, cx);
  const t = typeof v === 'string' ? idType(v) : undefined;
  const k = t === undefined ? undefined : TYPES.get(t)?.kind;
  if (t === 'bundle' || (k !== undefined && k !== 'sco' && k !== 'sro')) fail(cx, at, `${nm(cx, at)} must refer to an SCO or SRO, not ${an(t ?? '')}; got ${got(v)}`);
};

/** observed-data objects (deprecated): a dictionary of SCOs, checked as such. */
const embeddedObjects: Check = (v, at, cx) => {
  if (!isObject(v)) return fail(cx, at, `${nm(cx, at)} must be a dictionary of SCOs; got ${got(v)}`);
  const keys = Object.keys(v);
  if (keys.length === 0) return fail(cx, at, `${nm(cx, at)} must not be an empty dictionary`);
  for (const k of keys) checkAny(v[k], ptr(at, k), cx, 'observed');
};

const SDOS: Record<string, Shape> = {
  'attack-pattern': shape({ name: str, aliases: strs, kill_chain_phases: KILL_CHAIN_PHASES }, { required: ['name'] }),
  campaign: shape({ name: str, aliases: strs, first_seen: ts, last_seen: ts, objective: str }, { required: ['name'], rules: seen }),
  'course-of-action': shape({ name: str }, { required: ['name'] }),
  grouping: shape({ name: str, context: str, object_refs: objectRefs }, { required: ['context', 'object_refs'] }),
  identity: shape({ name: str, roles: strs, identity_class: str, sectors: strs, contact_information: str }, { required: ['name'] }),
  incident: shape({ name: str, kill_chain_phases: KILL_CHAIN_PHASES }, { required: ['name'] }),
  indicator: shape(
    { name: str, indicator_types: strs, pattern: str, pattern_type: str, pattern_version: str, valid_from: ts, valid_until: ts, kill_chain_phases: KILL_CHAIN_PHASES },
    { required: ['pattern', 'pattern_type', 'valid_from'], rules: all(inOrder('valid_from', 'valid_until', true), patternRule) },
  ),
  infrastructure: shape({ name: str, infrastructure_types: strs, aliases: strs, kill_chain_phases: KILL_CHAIN_PHASES, first_seen: ts, last_seen: ts }, { required: ['name'], rules: seen }),
  'intrusion-set': shape(
    { name: str, aliases: strs, first_seen: ts, last_seen: ts, goals: strs, resource_level: str, primary_motivation: str, secondary_motivations: strs },
    { required: ['name'], rules: seen },
  ),
  location: shape(
    { name: str, latitude: num(-90, 90), longitude: num(-180, 180), precision: num(), region: str, country: str, administrative_area: str, city: str, street_address: str, postal_code: str },
    { rules: locationRule },
  ),
  malware: shape(
    {
      name: str, is_family: bool, aliases: strs, first_seen: ts, last_seen: ts, operating_system_refs: list(ref(['software'])), architecture_execution_envs: strs,
      implementation_languages: strs, capabilities: strs, sample_refs: list(ref(['file', 'artifact'])), malware_types: strs, kill_chain_phases: KILL_CHAIN_PHASES,
    },
    { required: ['is_family'], rules: all(requireWhen((o) => o['is_family'] === true, 'name', "when 'is_family' is true"), seen) },
  ),
  'malware-analysis': shape(
    {
      product: str, version: str, configuration_version: str, modules: strs, analysis_engine_version: str, analysis_definition_version: str, submitted: ts,
      analysis_started: ts, analysis_ended: ts, result_name: str, result: str, host_vm_ref: ref(['software']), operating_system_ref: ref(['software']),
      installed_software_refs: list(ref(['software'])), analysis_sco_refs: objectRefs, sample_ref: ref(['artifact', 'file', 'network-traffic']),
    },
    { required: ['product'], anyOf: ['result', 'analysis_sco_refs'] },
  ),
  note: shape({ abstract: str, content: str, authors: strs, object_refs: objectRefs }, { required: ['content', 'object_refs'] }),
  'observed-data': shape(
    { first_observed: ts, last_observed: ts, number_observed: int(1, 999999999), objects: embeddedObjects, object_refs: list(observedRef) },
    { required: ['first_observed', 'last_observed', 'number_observed'], rules: all(only1('object_refs', 'objects'), inOrder('first_observed', 'last_observed', false)) },
  ),
  opinion: shape(
    { explanation: str, authors: strs, object_refs: objectRefs, opinion: oneOf(['strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree']) },
    { required: ['object_refs', 'opinion'] },
  ),
  report: shape({ name: str, report_types: strs, published: ts, object_refs: objectRefs }, { required: ['name', 'published', 'object_refs'] }),
  'threat-actor': shape(
    {
      name: str, threat_actor_types: strs, aliases: strs, roles: strs, goals: strs, first_seen: ts, last_seen: ts, sophistication: str, resource_level: str,
      primary_motivation: str, secondary_motivations: strs, personal_motivations: strs,
    },
    { required: ['name'], rules: seen },
  ),
  tool: shape({ name: str, aliases: strs, tool_types: strs, tool_version: str, kill_chain_phases: KILL_CHAIN_PHASES }, { required: ['name'] }),
  vulnerability: shape({ name: str }, { required: ['name'] }),
};

const SROS: Record<string, Shape> = {
  relationship: shape(
    { relationship_type: matching(/^[a-z0-9-]+$/, 'lower case letters, digits and hyphens', 250), source_ref: ref(undefined, NOT_RELATABLE), target_ref: ref(undefined, NOT_RELATABLE), start_time: ts, stop_time: ts },
    { required: ['relationship_type', 'source_ref', 'target_ref'], rules: inOrder('start_time', 'stop_time', true) },
  ),
  sighting: shape(
    {
      first_seen: ts, last_seen: ts, count: int(0, 999999999), sighting_of_ref: ref(undefined, NOT_RELATABLE), observed_data_refs: list(ref(['observed-data'])),
      where_sighted_refs: list(ref(['identity', 'location'])), summary: bool,
    },
    { required: ['sighting_of_ref'], rules: seen },
  ),
};

// ---------------------------------------------------------------------------------------------
// SCOs (cyber-observable-core.json plus each type's schema)

const SCO_CORE_PROPS: Record<string, Check> = {
  type: checkedApart,
  id: checkedApart,
  spec_version: specVersion,
  object_marking_refs: list(ref(['marking-definition'])),
  granular_markings: list(nested(GRANULAR_MARKING)),
  defanged: bool,
  extensions: extensions(),
};

const ADDRESS = ['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name'];
const hashesAny = hashes();
const int0 = int(0);
const anyInt = int();

const FILE_EXTENSIONS = new Map<string, Shape>([
  ['ntfs-ext', shape({ sid: str, alternate_data_streams: list(nested(shape({ name: str, hashes: hashesAny, size: int0 }, { required: ['name'] }))) }, { named: true, anyOf: ['sid', 'alternate_data_streams'] })],
  ['raster-image-ext', shape(
    { image_height: anyInt, image_width: anyInt, bits_per_pixel: anyInt, image_compression_algorithm: anything, exif_tags: dict((v, at, cx) => (typeof v === 'string' || Number.isInteger(v) ? undefined : fail(cx, at, `${nm(cx, at)} must be a string or an integer; got ${got(v)}`)), /^[A-Z][a-zA-Z0-9_-]+$/, 'an EXIF tag name') },
    { named: true, anyOf: ['image_height', 'image_width', 'bits_per_pixel', 'image_compression_algorithm', 'exif_tags'] },
  )],
  ['pdf-ext', shape({ version: str, is_optimized: bool, document_info_dict: dict(str), pdfid0: str, pdfid1: str }, { named: true, anyOf: ['version', 'is_optimized', 'document_info_dict', 'pdfid0', 'pdfid1'] })],
  ['archive-ext', shape({ contains_refs: list(scoRef(['file', 'directory'])), comment: str }, { named: true, required: ['contains_refs'] })],
  ['windows-pebinary-ext', shape(
    {
      pe_type: str, imphash: str, machine_hex: hex, number_of_sections: int0, time_date_stamp: tsSeconds, pointer_to_symbol_table_hex: hex, number_of_symbols: int0,
      size_of_optional_header: int0, characteristics_hex: hex, file_header_hashes: hashesAny,
      optional_header: nested(shape(
        {
          magic_hex: hex, major_linker_version: anyInt, minor_linker_version: anyInt, size_of_code: int0, size_of_initialized_data: int0, size_of_uninitialized_data: int0,
          address_of_entry_point: anyInt, base_of_code: anyInt, base_of_data: anyInt, image_base: anyInt, section_alignment: anyInt, file_alignment: anyInt,
          major_os_version: anyInt, minor_os_version: anyInt, major_image_version: anyInt, minor_image_version: anyInt, major_subsystem_version: anyInt,
          minor_subsystem_version: anyInt, win32_version_value_hex: hex, size_of_image: int0, size_of_headers: int0, checksum_hex: hex, subsystem_hex: hex,
          dll_characteristics_hex: hex, size_of_stack_reserve: int0, size_of_stack_commit: int0, size_of_heap_reserve: int0, size_of_heap_commit: int0,
          loader_flags_hex: hex, number_of_rva_and_sizes: anyInt, hashes: hashesAny,
        },
        { closed: true, rules: (o, at, cx) => (Object.keys(o).length === 0 ? fail(cx, at, `${nm(cx, at)} must not be empty`) : undefined) },
      )),
      sections: list(nested(shape({ name: str, size: int0, entropy: num(), hashes: hashesAny }, { required: ['name'] }))),
    },
    {
      named: true, required: ['pe_type'],
      anyOf: ['imphash', 'machine_hex', 'number_of_sections', 'time_date_stamp', 'pointer_to_symbol_table_hex', 'number_of_symbols', 'size_of_optional_header', 'characteristics_hex', 'file_header_hashes', 'optional_header', 'sections'],
    },
  )],
]);

const strOrStrs: Check = (v, at, cx) => (Array.isArray(v) ? strs(v, at, cx) : str(v, at, cx));

const NETWORK_EXTENSIONS = new Map<string, Shape>([
  ['http-request-ext', shape(
    { request_method: str, request_value: str, request_version: str, request_header: dict(strOrStrs, /^.+$/, 'a header name'), message_body_length: anyInt, message_body_data_ref: scoRef(['artifact']) },
    { named: true, required: ['request_method', 'request_value'] },
  )],
  ['icmp-ext', shape({ icmp_type_hex: hex, icmp_code_hex: hex }, { named: true, required: ['icmp_type_hex', 'icmp_code_hex'] })],
  ['socket-ext', shape(
    {
      address_family: oneOf(['AF_UNSPEC', 'AF_INET', 'AF_IPX', 'AF_APPLETALK', 'AF_NETBIOS', 'AF_INET6', 'AF_IRDA', 'AF_BTH']), is_blocking: bool, is_listening: bool,
      options: dict(anyInt, /^(?:SO|ICMP|ICMP6|IP|IPV6|MCAST|TCP|IRLMP)(?:_[A-Z]+)+$/, "a socket option name like 'SO_REUSEADDR'"),
      socket_type: oneOf(['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET']), socket_descriptor: int0, socket_handle: anyInt,
    },
    { named: true, required: ['address_family'] },
  )],
  ['tcp-ext', shape({ src_flags_hex: hex, dst_flags_hex: hex }, { named: true, anyOf: ['src_flags_hex', 'dst_flags_hex'] })],
]);

const STARTUP_INFO = shape(
  Object.fromEntries([
    ...['lpDesktop', 'lpTitle', 'dwFillAttribute', 'dwFlags', 'wShowWindow', 'hStdInput', 'hStdOutput', 'hStdError'].map((k) => [k, str] as const),
    ...['cb', 'dwX', 'dwY', 'dwXSize', 'dwYSize', 'dwXCountChars', 'dwYCountChars'].map((k) => [k, anyInt] as const),
    ['cbReserved2', int(0, 0)] as const,
  ]),
  { closed: true },
);

const PROCESS_EXTENSIONS = new Map<string, Shape>([
  ['windows-process-ext', shape(
    { aslr_enabled: bool, dep_enabled: bool, priority: str, owner_sid: str, window_title: str, startup_info: nested(STARTUP_INFO, 'a dictionary'), integrity_level: oneOf(['low', 'medium', 'high', 'system']) },
    { named: true, anyOf: ['aslr_enabled', 'dep_enabled', 'priority', 'owner_sid', 'window_title', 'startup_info', 'integrity_level'] },
  )],
  ['windows-service-ext', shape(
    {
      service_name: str, descriptions: strs, display_name: str, group_name: str,
      start_type: oneOf(['SERVICE_AUTO_START', 'SERVICE_BOOT_START', 'SERVICE_DEMAND_START', 'SERVICE_DISABLED', 'SERVICE_SYSTEM_ALERT']),
      service_dll_refs: list(scoRef(['file'])),
      service_type: oneOf(['SERVICE_KERNEL_DRIVER', 'SERVICE_FILE_SYSTEM_DRIVER', 'SERVICE_WIN32_OWN_PROCESS', 'SERVICE_WIN32_SHARE_PROCESS']),
      service_status: oneOf(['SERVICE_CONTINUE_PENDING', 'SERVICE_PAUSE_PENDING', 'SERVICE_PAUSED', 'SERVICE_RUNNING', 'SERVICE_START_PENDING', 'SERVICE_STOP_PENDING', 'SERVICE_STOPPED']),
    },
    { named: true, anyOf: ['service_name', 'descriptions', 'display_name', 'group_name', 'start_type', 'service_dll_refs', 'service_type', 'service_status'] },
  )],
]);

const USER_ACCOUNT_EXTENSIONS = new Map<string, Shape>([
  ['unix-account-ext', shape({ gid: num(), groups: strs, home_dir: str, shell: str }, { named: true, anyOf: ['gid', 'groups', 'home_dir', 'shell'] })],
]);

const MIME_PART = shape(
  { body: str, body_raw_ref: scoRef(['artifact', 'file']), content_type: str, content_disposition: str },
  { rules: (o, at, cx) => only1('body', 'body_raw_ref')(o, at, cx) },
);

const headerValue: Check = (v, at, cx) => {
  if (typeof v === 'string') return;
  if (!Array.isArray(v) || v.length < 2 || v.some((x) => typeof x !== 'string')) fail(cx, at, `${nm(cx, at)} must be a string, or a list of two or more strings for a repeated header; got ${got(v)}`);
};

const artifactRule = (o: Json, at: string, cx: Cx): void => {
  const payload = Object.hasOwn(o, 'payload_bin');
  const url = Object.hasOwn(o, 'url');
  if (payload && url) fail(cx, ptr(at, 'url'), `'url' may not be given together with 'payload_bin'`);
  else if (!payload && !url) fail(cx, at, `one of 'payload_bin' or 'url' is required`);
  else if (url && !Object.hasOwn(o, 'hashes')) fail(cx, ptr(at, 'hashes'), `'hashes' is required when 'url' is given`);
  if (Object.hasOwn(o, 'decryption_key') && !Object.hasOwn(o, 'encryption_algorithm')) fail(cx, ptr(at, 'decryption_key'), `'decryption_key' needs 'encryption_algorithm'`);
};

const emailRule = (o: Json, at: string, cx: Cx): void => {
  if (o['is_multipart'] === true && Object.hasOwn(o, 'body')) fail(cx, ptr(at, 'body'), `'body' may not be given when 'is_multipart' is true (use 'body_multipart')`);
  if (o['is_multipart'] === false && Object.hasOwn(o, 'body_multipart')) fail(cx, ptr(at, 'body_multipart'), `'body_multipart' may not be given when 'is_multipart' is false (use 'body')`);
};

const SCOS: Record<string, Shape> = {
  artifact: shape(
    {
      mime_type: matching(MIME, "an IANA media type like 'application/zip'", 1024), payload_bin: bin, url: uri, hashes: hashesAny,
      encryption_algorithm: oneOf(['AES-256-GCM', 'ChaCha20-Poly1305', 'mime-type-indicated']), decryption_key: str,
    },
    { rules: artifactRule },
  ),
  'autonomous-system': shape({ number: anyInt, name: str, rir: str }, { required: ['number'] }),
  directory: shape(
    { path: str, path_enc: matching(/^[a-zA-Z0-9/.+_:-]{2,250}$/, 'a character set name', 250), ctime: ts, mtime: ts, atime: ts, contains_refs: list(scoRef(['file', 'directory'])) },
    { required: ['path'] },
  ),
  'domain-name': shape({ value: satisfying(isHostname, 'a domain name', 1024), resolves_to_refs: list(scoRef(['ipv4-addr', 'ipv6-addr', 'domain-name'])) }, { required: ['value'] }),
  'email-addr': shape({ value: matching(EMAIL, 'an email address', 1024), display_name: str, belongs_to_ref: scoRef(['user-account']) }, { required: ['value'] }),
  'email-message': shape(
    {
      is_multipart: bool, date: ts, content_type: str, from_ref: scoRef(['email-addr']), sender_ref: scoRef(['email-addr']), to_refs: list(scoRef(['email-addr'])),
      cc_refs: list(scoRef(['email-addr'])), bcc_refs: list(scoRef(['email-addr'])), message_id: str, subject: str, received_lines: strs,
      additional_header_fields: dict(headerValue), body: str, body_multipart: list(nested(MIME_PART)), raw_email_ref: scoRef(['artifact']),
    },
    { required: ['is_multipart'], rules: emailRule },
  ),
  file: shape(
    {
      extensions: extensions(FILE_EXTENSIONS), hashes: hashesAny, size: int0, name: str, name_enc: matching(/^[a-zA-Z0-9/.+_:-]{2,250}$/, 'a character set name', 250),
      magic_number_hex: hex, mime_type: str, ctime: ts, mtime: ts, atime: ts, parent_directory_ref: scoRef(['directory']), contains_refs: list(scoRef()), content_ref: scoRef(['artifact']),
    },
    { anyOf: ['hashes', 'name'] },
  ),
  'ipv4-addr': shape(
    { value: matching(IPV4, "an IPv4 address or CIDR block like '198.51.100.0/24'", 64), resolves_to_refs: list(scoRef(['mac-addr'])), belongs_to_refs: list(scoRef(['autonomous-system'])) },
    { required: ['value'] },
  ),
  'ipv6-addr': shape(
    { value: satisfying(isIpv6, "an IPv6 address or CIDR block like '2001:db8::/32'", 128), resolves_to_refs: list(scoRef(['mac-addr'])), belongs_to_refs: list(scoRef(['autonomous-system'])) },
    { required: ['value'] },
  ),
  'mac-addr': shape({ value: matching(MAC, "a MAC address in lower case with colons, like '00:00:5e:00:53:01'", 64) }, { required: ['value'] }),
  mutex: shape({ name: str }, { required: ['name'] }),
  'network-traffic': shape(
    {
      extensions: extensions(NETWORK_EXTENSIONS), start: ts, end: ts, is_active: bool, src_ref: scoRef(ADDRESS), dst_ref: scoRef(ADDRESS), src_port: int(0, 65535),
      dst_port: int(0, 65535), protocols: strs, src_byte_count: anyInt, dst_byte_count: anyInt, src_packets: anyInt, dst_packets: anyInt,
      ipfix: dict((v, at, cx) => (typeof v === 'string' || Number.isInteger(v) ? undefined : fail(cx, at, `${nm(cx, at)} must be a string or an integer; got ${got(v)}`))),
      src_payload_ref: scoRef(['artifact']), dst_payload_ref: scoRef(['artifact']), encapsulates_refs: list(scoRef(['network-traffic'])), encapsulated_by_ref: scoRef(['network-traffic']),
    },
    {
      required: ['protocols'], anyOf: ['src_ref', 'dst_ref'],
      rules: (o, at, cx) => (o['is_active'] === true && Object.hasOwn(o, 'end') ? fail(cx, ptr(at, 'end'), `'end' may not be given when 'is_active' is true`) : undefined),
    },
  ),
  process: shape(
    {
      extensions: extensions(PROCESS_EXTENSIONS), is_hidden: bool, pid: anyInt, created_time: ts, cwd: str, command_line: str, environment_variables: dict(),
      opened_connection_refs: list(scoRef(['network-traffic'])), creator_user_ref: scoRef(['user-account']), image_ref: scoRef(['file']), parent_ref: scoRef(['process']),
      child_refs: list(scoRef(['process'])),
    },
    {
      anyOf: [
        'extensions', 'is_hidden', 'pid', 'name', 'created', 'created_time', 'cwd', 'arguments', 'command_line', 'environment_variables', 'opened_connection_refs',
        'creator_user_ref', 'image_ref', 'parent_ref', 'child_refs',
      ],
    },
  ),
  software: shape(
    { name: str, cpe: matching(CPE, "a CPE 2.3 name like 'cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*'", 4096), swid: str, languages: list(matching(LANGUAGE_TAG, "an RFC 5646 language tag like 'en' or 'zh-Hant'", 100)), vendor: str, version: str },
    { required: ['name'] },
  ),
  url: shape({ value: uri }, { required: ['value'] }),
  'user-account': shape(
    {
      extensions: extensions(USER_ACCOUNT_EXTENSIONS), user_id: str, credential: str, account_login: str, account_type: str, display_name: str, is_service_account: bool,
      is_privileged: bool, can_escalate_privs: bool, is_disabled: bool, account_created: ts, account_expires: ts, credential_last_changed: ts, account_first_login: ts,
      account_last_login: ts,
    },
    {
      anyOf: [
        'extensions', 'user_id', 'credential', 'account_login', 'account_type', 'display_name', 'is_service_account', 'is_privileged', 'can_escalate_privs', 'is_disabled',
        'account_created', 'account_expires', 'credential_last_changed', 'account_first_login', 'account_last_login',
      ],
    },
  ),
  'windows-registry-key': shape(
    {
      key: satisfying((s) => !/^(?:HKLM|HKCC|HKCR|HKCU|HKU)(?:\\|$)/i.test(s), "a full key path: 'HKEY_LOCAL_MACHINE\\…', not an abbreviation like 'HKLM\\…'"),
      values: list(nested(shape(
        {
          name: str, data: str,
          data_type: oneOf([
            'REG_NONE', 'REG_SZ', 'REG_EXPAND_SZ', 'REG_BINARY', 'REG_DWORD', 'REG_DWORD_BIG_ENDIAN', 'REG_DWORD_LITTLE_ENDIAN', 'REG_LINK', 'REG_MULTI_SZ',
            'REG_RESOURCE_LIST', 'REG_FULL_RESOURCE_DESCRIPTION', 'REG_RESOURCE_REQUIREMENTS_LIST', 'REG_QWORD', 'REG_INVALID_TYPE',
          ]),
        },
        { anyOf: ['name', 'data', 'data_type'] },
      ))),
      modified_time: ts, creator_user_ref: scoRef(['user-account']), number_of_subkeys: anyInt,
    },
    { anyOf: ['key', 'values', 'modified', 'modified_time', 'creator_user_ref', 'number_of_subkeys'] },
  ),
  'x509-certificate': shape(
    {
      is_self_signed: bool, hashes: hashesAny, version: str, serial_number: str, signature_algorithm: str, issuer: str, validity_not_before: ts, validity_not_after: ts,
      subject: str, subject_public_key_algorithm: str, subject_public_key_modulus: str, subject_public_key_exponent: anyInt,
      x509_v3_extensions: nested(shape(
        {
          ...Object.fromEntries([
            'basic_constraints', 'name_constraints', 'policy_constraints', 'key_usage', 'extended_key_usage', 'subject_key_identifier', 'authority_key_identifier',
            'subject_alternative_name', 'issuer_alternative_name', 'subject_directory_attributes', 'crl_distribution_points', 'inhibit_any_policy', 'certificate_policies', 'policy_mappings',
          ].map((k) => [k, str])),
          private_key_usage_period_not_before: ts, private_key_usage_period_not_after: ts,
        },
        {
          anyOf: [
            'basic_constraints', 'name_constraints', 'policy_constraints', 'key_usage', 'extended_key_usage', 'subject_key_identifier', 'authority_key_identifier',
            'subject_alternative_name', 'issuer_alternative_name', 'subject_directory_attributes', 'crl_distribution_points', 'inhibit_any_policy',
            'private_key_usage_period_not_before', 'private_key_usage_period_not_after', 'certificate_policies', 'policy_mappings',
          ],
        },
      )),
    },
    {
      anyOf: [
        'is_self_signed', 'hashes', 'version', 'serial_number', 'signature_algorithm', 'issuer', 'validity_not_before', 'validity_not_after', 'subject',
        'subject_public_key_algorithm', 'subject_public_key_modulus', 'subject_public_key_exponent', 'x509_v3_extensions',
      ],
    },
  ),
};

// ---------------------------------------------------------------------------------------------
// marking-definition, language-content, extension-definition

const TLP1 = new Map([
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'white'],
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
]);
const TLP1_PROPS = ['type', 'id', 'spec_version', 'name', 'created', 'definition', 'definition_type'];
/** The OASIS TLP 2.0 extension and its five marking-definitions, by level. */
const TLP2_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const TLP2 = new Map([
  ['clear', 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487'],
  ['green', 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'],
  ['amber', 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'],
  ['amber+strict', 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'],
  ['red', 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'],
]);

function markingRule(o: Json, at: string, cx: Cx): void {
  const kind = o['definition_type'];
  const def = o['definition'];
  const defAt = ptr(at, 'definition');
  if (kind === undefined && !Object.hasOwn(o, 'extensions')) {
    fail(cx, ptr(at, 'definition_type'), `'definition_type' is required (unless the marking is defined by 'extensions')`);
  }
  if (kind !== undefined && def === undefined) fail(cx, defAt, `'definition' is required when 'definition_type' is given`);
  else if (def !== undefined && !isObject(def)) fail(cx, defAt, `'definition' must be an object; got ${got(def)}`);
  else if (kind === 'statement' && isObject(def) && typeof def['statement'] !== 'string') {
    const s = def['statement'];
    fail(cx, ptr(defAt, 'statement'), s === undefined ? `'definition.statement' is required for a 'statement' marking` : `'definition.statement' must be a string; got ${got(s)}`);
  } else if (kind === 'tlp') tlp1(o, at, cx);
  tlp2(o, at, cx);
}

/** TLP 1.0: only the four OASIS objects, exactly as published (marking-definition.json). */
function tlp1(o: Json, at: string, cx: Cx): void {
  const id = o['id'];
  const level = typeof id === 'string' ? TLP1.get(id) : undefined;
  if (level === undefined) return fail(cx, ptr(at, 'id'), `a 'tlp' marking-definition must be one of the four TLP 1.0 objects; 'id' ${got(id)} is none of them (use a statement, or the TLP 2.0 markings)`);
  const def = o['definition'];
  const expect: [string, unknown, string][] = [
    ['name', o['name'], `TLP:${level.toUpperCase()}`],
    ['created', o['created'], '2017-01-20T00:00:00.000Z'],
    ['definition/tlp', isObject(def) ? def['tlp'] : undefined, level],
  ];
  for (const [p, v, want] of expect) if (v !== want) fail(cx, `${at}/${p}`, `${nm(cx, `${at}/${p}`)} of TLP:${level.toUpperCase()} (1.0) must be '${want}'; got ${got(v)}`);
  for (const k of Object.keys(o)) if (!TLP1_PROPS.includes(k)) fail(cx, ptr(at, k), `${nm(cx, ptr(at, k))} may not be added to a TLP 1.0 marking-definition`);
}

/** TLP 2.0 (the OASIS extension): the level's fixed id and name. */
function tlp2(o: Json, at: string, cx: Cx): void {
  const exts = o['extensions'];
  const ext = isObject(exts) ? exts[TLP2_EXTENSION] : undefined;
  if (!isObject(ext)) return;
  const level = ext['tlp_2_0'];
  const levelAt = `${ptr(ptr(at, 'extensions'), TLP2_EXTENSION)}/tlp_2_0`;
  const id = typeof level === 'string' ? TLP2.get(level) : undefined;
  if (id === undefined) return fail(cx, levelAt, `'tlp_2_0' must be one of ${quoted([...TLP2.keys()])}; got ${got(level)}`);
  const name = `TLP:${String(level).toUpperCase()}`;
  if (o['id'] !== id) fail(cx, ptr(at, 'id'), `'id' of ${name} (TLP 2.0) must be '${id}'; got ${got(o['id'])}`);
  if (o['name'] !== name) fail(cx, ptr(at, 'name'), `'name' of ${name} (TLP 2.0) must be '${name}'; got ${got(o['name'])}`);
}

const MARKING_DEFINITION = shape(
  {
    type: checkedApart, id: checkedApart, spec_version: specVersion, name: str, created: ts, created_by_ref: ref(['identity']), external_references: list(nested(EXTERNAL_REFERENCE)),
    object_marking_refs: list(ref(['marking-definition'])), granular_markings: list(nested(GRANULAR_MARKING)), extensions: extensions(new Map(), true), definition_type: str, definition: anything,
  },
  { required: ['id', 'spec_version', 'created'], rules: all(markingRule, checkSelectors) },
);

const META: Record<string, Shape> = {
  'language-content': shape(
    { object_ref: ref(undefined, ['bundle', 'language-content']), object_modified: ts, contents: dict(dict(), DICT_KEY, 'a language tag') },
    { required: ['object_ref', 'contents'] },
  ),
  'extension-definition': shape(
    { name: str, schema: str, version: str, extension_types: list(oneOf(EXTENSION_TYPES)), extension_properties: strs },
    {
      required: ['name', 'schema', 'version', 'extension_types'],
      rules(o, at, cx) {
        const types = o['extension_types'];
        if (Object.hasOwn(o, 'extension_properties') && !(Array.isArray(types) && types.includes('toplevel-property-extension'))) {
          fail(cx, ptr(at, 'extension_properties'), `'extension_properties' is only for a 'toplevel-property-extension' (add it to 'extension_types')`);
        }
      },
    },
  ),
};

// ---------------------------------------------------------------------------------------------
// Types and the dispatcher

type Kind = 'sdo' | 'sro' | 'sco' | 'marking' | 'meta';

interface TypeRule {
  readonly kind: Kind;
  readonly shape: Shape;
}

/** Merges the common properties into a type's shape, once, at load. */
function merged(common: Record<string, Check>, commonRequired: readonly string[], s: Shape, commonRules?: (o: Json, at: string, cx: Cx) => void): Shape {
  const props = new Map(Object.entries(common));
  for (const [k, c] of s.props) props.set(k, c);
  const required = [...commonRequired, ...(s.required ?? [])];
  const rules = commonRules && s.rules ? all(commonRules, s.rules) : commonRules ?? s.rules;
  return { ...s, props, required, named: true, ...(rules ? { rules } : {}) };
}

const TYPES = new Map<string, TypeRule>();
for (const [t, s] of Object.entries(SDOS)) TYPES.set(t, { kind: 'sdo', shape: merged(CORE_PROPS, CORE_REQUIRED, s, coreRules) });
for (const [t, s] of Object.entries(SROS)) TYPES.set(t, { kind: 'sro', shape: merged(CORE_PROPS, CORE_REQUIRED, s, coreRules) });
for (const [t, s] of Object.entries(META)) TYPES.set(t, { kind: 'meta', shape: merged(CORE_PROPS, CORE_REQUIRED, s, coreRules) });
for (const [t, s] of Object.entries(SCOS)) TYPES.set(t, { kind: 'sco', shape: merged(SCO_CORE_PROPS, ['type', 'id'], s, checkSelectors) });
TYPES.set('marking-definition', { kind: 'marking', shape: MARKING_DEFINITION });

const CUSTOM_SDO = merged(CORE_PROPS, CORE_REQUIRED, shape({}), coreRules);
const CUSTOM_SCO = merged(SCO_CORE_PROPS, ['type', 'id'], shape({}), checkSelectors);

/** The STIX 2.1 object types this module knows, by kind. */
export const STIX_TYPES: Readonly<Record<'sdo' | 'sro' | 'sco' | 'other', readonly string[]>> = {
  sdo: Object.keys(SDOS),
  sro: Object.keys(SROS),
  sco: Object.keys(SCOS),
  other: ['marking-definition', 'language-content', 'extension-definition', 'bundle'],
};

/**
 * A custom object with created or modified is taken for an SDO (core rules), one without for
 * an SCO: both validators decide so, the schemas having no other way to tell.
 */
function customIsSdo(o: Readonly<Record<string, unknown>>): boolean {
  return Object.hasOwn(o, 'created') || Object.hasOwn(o, 'modified');
}

type Where = 'top' | 'bundle' | 'observed';

function checkAny(v: unknown, at: string, cx: Cx, where: Where): void {
  const outer = { what: cx.what, base: cx.base, embedded: cx.embedded };
  cx.base = at;
  try {
    checkOne(v, at, cx, where);
  } finally {
    cx.what = outer.what;
    cx.base = outer.base;
    cx.embedded = outer.embedded;
  }
}

function checkOne(v: unknown, at: string, cx: Cx, where: Where): void {
  cx.what = where === 'observed' ? 'observed-data' : 'stix';
  if (!isObject(v)) return fail(cx, at, `a STIX object must be a JSON object; got ${got(v)}`);
  const type = v['type'];
  if (type === undefined) return fail(cx, ptr(at, 'type'), `'type' is required`);
  if (typeof type !== 'string') return fail(cx, ptr(at, 'type'), `'type' must be a string; got ${got(type)}`);
  if (type.length < 3 || type.length > OPEN_TYPE_MAX || !OBJECT_TYPE.test(type)) {
    return fail(cx, ptr(at, 'type'), `'type' must be 3 to 250 characters of a-z, 0-9 and hyphens; got ${got(type)}`);
  }
  cx.what = type;
  if (type === 'bundle') return where === 'top' ? checkBundle(v, at, cx) : fail(cx, ptr(at, 'type'), `a bundle may not be put inside ${where === 'bundle' ? 'a bundle' : 'observed-data'}`);
  const rule = TYPES.get(type);
  let s: Shape;
  if (rule) {
    if (where === 'observed' && rule.kind !== 'sco') return fail(cx, ptr(at, 'type'), `observed-data 'objects' may hold only cyber-observable objects; got ${got(type)}`);
    s = rule.shape;
  } else if (type.startsWith('x-')) {
    s = where !== 'observed' && customIsSdo(v) ? CUSTOM_SDO : CUSTOM_SCO;
  } else {
    return fail(cx, ptr(at, 'type'), `unknown STIX 2.1 type ${got(type)}; a custom object type must start with 'x-'`);
  }
  cx.embedded = where === 'observed';
  checkId(v['id'], type, ptr(at, 'id'), cx);
  checkShape(v, at, cx, s);
}

function checkId(id: unknown, type: string, at: string, cx: Cx): void {
  if (id === undefined) return; // reported as required
  const t = typeof id === 'string' ? idType(id) : undefined;
  if (t === type) return;
  // Say why when the shape is right but the UUID is not one the schemas take (RFC 4122, versions 1–5).
  const why = typeof id === 'string' && id.startsWith(`${type}--`) && /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/.test(id.slice(type.length + 2)) ? ' (an RFC 4122 UUID: version 1 to 5, variant 8, 9, a or b)' : '';
  fail(cx, at, `'id' must be '${type}--<UUID>'${why}; got ${got(id)}`);
}

function checkBundle(o: Json, at: string, cx: Cx): void {
  checkId(o['id'], 'bundle', ptr(at, 'id'), cx);
  if (o['id'] === undefined) fail(cx, ptr(at, 'id'), `'id' is required`);
  // STIX 2.0 bundles had spec_version; 2.1 moved it onto each object (the schema does not say).
  if (Object.hasOwn(o, 'spec_version')) fail(cx, ptr(at, 'spec_version'), `a STIX 2.1 bundle has no 'spec_version' (each object has its own)${o['spec_version'] === '2.0' ? '; this is a STIX 2.0 bundle' : ''}`);
  const objects = o['objects'];
  if (objects === undefined) return;
  const objectsAt = ptr(at, 'objects');
  if (!Array.isArray(objects)) return fail(cx, objectsAt, `'objects' must be a list; got ${got(objects)}`);
  if (objects.length === 0) return fail(cx, objectsAt, `'objects' must not be an empty list (leave it out instead)`);
  for (let i = 0; i < objects.length && cx.out.length <= MAX_PROBLEMS; i++) checkAny(objects[i], ptr(objectsAt, i), cx, 'bundle');
}

// ---------------------------------------------------------------------------------------------
// The OASIS schemas through Ajv

/** The official schemas, compiled lazily, once per type. */
export interface SchemaValidator {
  /**
   * What the schemas say about one object. A bundle is checked as an envelope (bundle.json
   * without its union of item schemas), then each object against its own type's schema:
   * the union's errors are unreadable, it lacks several 2.1 types and it refuses every
   * custom object.
   */
  validate(obj: unknown): StixProblem[];
  /** Compiles every schema not yet compiled; the milliseconds it took. */
  compileAll(): number;
  /** Milliseconds spent reading and registering the schema files. */
  readonly loadMs: number;
  /** Number of schema files loaded. */
  readonly files: number;
}

/** Both checks: the builtin's problems, then the schemas'. */
export function checkStixObjectWithSchemas(obj: unknown, schemas: SchemaValidator, opts?: CheckOptions): StixProblem[] {
  return [...checkStixObject(obj, opts), ...schemas.validate(obj)];
}

/**
 * Loads every *.json schema under `dir` (a checkout of cti-stix2-json-schemas' `schemas/`).
 * Ajv, ajv-formats and RE2 are imported here, so the builtin costs nothing of them.
 */
export async function loadStixSchemas(dir: string): Promise<SchemaValidator> {
  const started = performance.now();
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const formats = await import('ajv-formats');
  const { default: RE2 } = await import('re2');
  const ajv = new Ajv2020({
    allErrors: true,
    // The schemas use `definitions`, `pattern` without `type` and `required` in `not`:
    // valid JSON Schema that Ajv's strict mode would refuse or warn about.
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    code: { regExp: Object.assign(regExpFor, { code: 'regExpFor' }) },
  });
  formats.default.default(ajv);
  ajv.addFormat('idn-hostname', isHostname);
  // The schemas' type and extension-name patterns (`^([a-z][a-z0-9]*)+…`) backtrack
  // exponentially in V8 (28 characters: 3 s). RE2 is linear but makes a check ten times
  // slower (0.16 ms an indicator), so only patterns with a repeated group, where blow-ups
  // live, go to RE2; the rest (fixed strings, bounded character classes) stay in V8.
  function regExpFor(pattern: string, flags: string): { test(s: string): boolean } {
    if (!/\)[*+{]/.test(pattern)) {
      try {
        return new RegExp(pattern, flags);
      } catch {
        // an escape V8's unicode mode refuses ('\-'): RE2 reads it
      }
    }
    return new RE2(pattern, flags);
  }
  const byFile = new Map<string, AnySchemaObject>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) {
        const schema = JSON.parse(readFileSync(p, 'utf8')) as AnySchemaObject;
        if (typeof schema.$id !== 'string') continue;
        ajv.addSchema(schema);
        byFile.set(relative(dir, p).split(sep).join('/'), schema);
      }
    }
  };
  walk(dir);
  if (!byFile.has('common/core.json')) throw new Error(`${dir} holds no common/core.json: not the STIX 2.1 schemas directory`);
  return new OasisSchemas(ajv, byFile, performance.now() - started);
}

class OasisSchemas implements SchemaValidator {
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    private readonly ajv: Ajv2020,
    private readonly byFile: ReadonlyMap<string, AnySchemaObject>,
    readonly loadMs: number,
  ) {}

  get files(): number {
    return this.byFile.size;
  }

  compileAll(): number {
    const t = performance.now();
    for (const f of this.byFile.keys()) this.fn(f);
    this.fn(ENVELOPE);
    return performance.now() - t;
  }

  validate(obj: unknown): StixProblem[] {
    const out: StixProblem[] = [];
    try {
      this.one(obj, '', out, true);
    } catch (e) {
      out.push({ path: '', message: `schema: the object could not be read: ${e instanceof Error ? e.message : String(e)}` });
    }
    return out;
  }

  private one(obj: unknown, at: string, out: StixProblem[], top: boolean): void {
    if (!isObject(obj)) return void out.push({ path: at, message: `schema: a STIX object must be a JSON object; got ${got(obj)}` });
    const file = schemaFileFor(obj, top);
    if (file === undefined) return void out.push({ path: `${at}/type`, message: `schema: no OASIS schema for type ${got(obj['type'])}` });
    const fn = this.fn(file);
    if (!fn(obj)) convert(fn.errors ?? [], at, file, out);
    if (file === ENVELOPE && Array.isArray(obj['objects'])) {
      obj['objects'].forEach((o, i) => {
        if (out.length <= MAX_PROBLEMS) this.one(o, `${at}/objects/${i}`, out, false);
      });
    }
  }

  private fn(file: string): ValidateFunction {
    let f = this.compiled.get(file);
    if (!f) {
      const schema = file === ENVELOPE ? envelopeOf(this.byFile.get('common/bundle.json')) : this.byFile.get(file);
      if (!schema) throw new Error(`no schema ${file}`);
      f = file === ENVELOPE ? this.ajv.compile(schema) : this.ajv.getSchema(String(schema.$id));
      if (!f) throw new Error(`schema ${file} did not compile`);
      this.compiled.set(file, f);
    }
    return f;
  }
}

const ENVELOPE = 'common/bundle.json (envelope)';

/** bundle.json with its items left to the per-type schemas. */
function envelopeOf(bundle: AnySchemaObject | undefined): AnySchemaObject {
  if (!bundle) throw new Error('no common/bundle.json');
  const props = bundle['properties'] as Record<string, AnySchemaObject>;
  return {
    ...bundle,
    $id: String(bundle.$id).replace(/bundle\.json$/, 'bundle-envelope.json'),
    properties: { ...props, objects: { ...props['objects'], items: true } },
  };
}

const COMMON_FILES = new Set(['marking-definition', 'language-content', 'extension-definition']);

/** Which schema file speaks for an object, by its type. */
function schemaFileFor(o: Readonly<Record<string, unknown>>, top = true): string | undefined {
  const t = o['type'];
  if (typeof t !== 'string') return 'common/core.json';
  if (t === 'bundle') return top ? ENVELOPE : 'common/core.json';
  if (Object.hasOwn(SDOS, t)) return `sdos/${t}.json`;
  if (Object.hasOwn(SROS, t)) return `sros/${t}.json`;
  if (Object.hasOwn(SCOS, t)) return `observables/${t}.json`;
  if (COMMON_FILES.has(t)) return `common/${t}.json`;
  if (t.startsWith('x-')) return customIsSdo(o) ? 'common/core.json' : 'common/cyber-observable-core.json';
  return undefined;
}

function convert(errors: readonly ErrorObject[], at: string, file: string, out: StixProblem[]): void {
  const seenHere = new Set<string>();
  for (const e of errors) {
    if (out.length >= MAX_PROBLEMS) {
      if (out.length === MAX_PROBLEMS) out.push({ path: '', message: `schema: more than ${MAX_PROBLEMS} problems; the rest are not listed` });
      return;
    }
    let path = at + e.instancePath;
    const p = e.params as Record<string, unknown>;
    const child = e.keyword === 'required' ? p['missingProperty'] : e.keyword === 'additionalProperties' ? p['additionalProperty'] : e.keyword === 'propertyNames' ? p['propertyName'] : undefined;
    if (typeof child === 'string') path = ptr(path, child);
    let where = e.schemaPath;
    try {
      where = decodeURIComponent(where); // patternProperties keys arrive percent-encoded
    } catch {
      // keep it as Ajv gave it
    }
    let message = `schema ${file}${where.startsWith('#') ? where.slice(1) : ` ${where}`}: ${e.message ?? e.keyword}`;
    if (e.keyword === 'enum' && Array.isArray(p['allowedValues'])) message += `: ${(p['allowedValues'] as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    const key = `${path}\u0000${message}`;
    if (seenHere.has(key)) continue;
    seenHere.add(key);
    out.push({ path, message });
  }
}
