import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { StixJson } from '../stix/store.js';

/**
 * MISP attribute types in STIX 2.1 terms: the comparison expressions an indicator's pattern
 * is made of (attributes with to_ids) and the cyber-observable objects an observed-data shows
 * (attributes without). `misp.ts` walks the event; this file knows the types.
 */

type Json = Record<string, unknown>;

/** A value this module cannot express in STIX; the caller turns it into a problem. */
export class Unfit extends Error {}

/** What STIX makes of one MISP attribute type. */
export interface AttributeRule {
  /** Comparison expressions, joined by AND inside one `[…]`, that hold where the value is seen. */
  readonly compare: (value: string) => string[];
  /** The SCOs showing the value, the main one first; absent when no SCO can stand alone for it. */
  readonly observe?: (value: string) => StixJson[];
}

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1). */
export function uuidv5(name: string, namespace: string): string {
  const h = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** STIX 2.1 §2.9: the namespace of deterministic SCO ids. */
const SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** The ID contributing properties of each SCO type we make (STIX 2.1 part 6). */
const ID_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'ipv4-addr': ['value'], 'ipv6-addr': ['value'], 'domain-name': ['value'], url: ['value'], 'email-addr': ['value'], 'mac-addr': ['value'],
  file: ['hashes', 'name', 'extensions', 'parent_directory_ref'], 'windows-registry-key': ['key', 'values'], mutex: ['name'],
  'autonomous-system': ['number'], 'network-traffic': ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
  'email-message': ['from_ref', 'subject', 'body'], 'x509-certificate': ['hashes', 'serial_number'],
};

/** RFC 8785 (JCS) for the small values ID contributing properties hold. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Json;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** One hash stands for `hashes` in an id, by the specification's preference. */
function oneHash(hashes: Json): Json {
  for (const k of ['MD5', 'SHA-1', 'SHA-256', 'SHA-512']) if (typeof hashes[k] === 'string') return { [k]: hashes[k] };
  const first = Object.keys(hashes)[0];
  return first === undefined ? {} : { [first]: hashes[first] };
}

/** An SCO with its deterministic id, so the same value from any event or source is one object. */
export function sco(type: string, props: Json): StixJson {
  const contributing: Json = {};
  for (const k of ID_PROPERTIES[type] ?? []) {
    const v = props[k];
    if (v !== undefined) contributing[k] = k === 'hashes' ? oneHash(v as Json) : v;
  }
  return { type, spec_version: '2.1', id: `${type}--${uuidv5(canonicalJson(contributing), SCO_NAMESPACE)}`, ...props };
}

/** A STIX pattern string literal: only `'` and `\` are escaped (part 9.4). */
export function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function patternOf(comparisons: readonly string[]): string {
  return `[${comparisons.join(' AND ')}]`;
}

function clip(s: string): string {
  return s.length <= 80 ? s : `${s.slice(0, 80)}…`;
}

function nonEmpty(v: string, what: string): string {
  if (v.length === 0) throw new Unfit(`the ${what} is empty`);
  return v;
}

// ---- values ----

interface Address {
  readonly type: 'ipv4-addr' | 'ipv6-addr';
  readonly value: string;
  readonly block: boolean;
}

function address(v: string): Address {
  const s = v.trim();
  const [a = '', bits, extra] = s.split('/');
  const family = isIP(a);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined || (bits !== undefined && !(/^(?:0|[1-9]\d{0,2})$/.test(bits) && Number(bits) <= max))) {
    throw new Unfit(`'${clip(s)}' is not an IP address or CIDR block`);
  }
  // The live observer writes IPv6 in lower case and compares exactly.
  return { type: family === 4 ? 'ipv4-addr' : 'ipv6-addr', value: family === 6 ? s.toLowerCase() : s, block: bits !== undefined };
}

const LABEL = /^[\p{L}\p{N}\p{M}_](?:[\p{L}\p{N}\p{M}_-]*[\p{L}\p{N}\p{M}_])?$/u;

/** A domain name as the observer and validator take it: lower case, no trailing dot. */
function domain(v: string): string {
  const d = v.trim().toLowerCase().replace(/\.$/, '');
  const ok = d.length > 0 && d.length <= 253 && isIP(d) === 0 && d.split('.').every((l) => l.length <= 63 && LABEL.test(l));
  if (!ok) throw new Unfit(`'${clip(v)}' is not a domain name`);
  return d;
}

function port(v: string): number {
  const s = v.trim();
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new Unfit(`'${clip(s)}' is not a port number`);
  return Number(s);
}

function email(v: string): string {
  const s = v.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(s)) throw new Unfit(`'${clip(s)}' is not an email address`);
  return s;
}

/** The STIX hash name and value format of each MISP hash type. */
const HASHES: Readonly<Record<string, readonly [string, RegExp]>> = {
  md5: ['MD5', /^[0-9a-f]{32}$/i],
  sha1: ['SHA-1', /^[0-9a-f]{40}$/i],
  sha256: ['SHA-256', /^[0-9a-f]{64}$/i],
  sha512: ['SHA-512', /^[0-9a-f]{128}$/i],
  'sha3-256': ['SHA3-256', /^[0-9a-f]{64}$/i],
  'sha3-512': ['SHA3-512', /^[0-9a-f]{128}$/i],
  ssdeep: ['SSDEEP', /^\d{1,10}:[A-Za-z0-9/+]{1,64}:[A-Za-z0-9/+]{1,64}$/],
  tlsh: ['TLSH', /^(?:T1)?[0-9a-f]{70}$/i],
};

/** The MISP hash types. */
export const HASH_TYPES: ReadonlySet<string> = new Set(Object.keys(HASHES));

function hash(type: string, v: string): [string, string] {
  const [name, format] = HASHES[type]!;
  const h = v.trim();
  if (!format.test(h)) throw new Unfit(`'${clip(h)}' is not ${type === 'ssdeep' ? 'an' : 'a'} ${type} hash`);
  return [name, type === 'ssdeep' ? h : h.toLowerCase()];
}

/** The full hive names STIX requires (windows-registry-key `key`). */
const HIVES: Readonly<Record<string, string>> = { HKLM: 'HKEY_LOCAL_MACHINE', HKCU: 'HKEY_CURRENT_USER', HKCR: 'HKEY_CLASSES_ROOT', HKU: 'HKEY_USERS', HKCC: 'HKEY_CURRENT_CONFIG' };

function registryKey(v: string): string {
  const k = nonEmpty(v.trim(), 'registry key');
  const m = /^(HKLM|HKCU|HKCR|HKU|HKCC)(?=\\|$)/i.exec(k);
  return m ? HIVES[m[1]!.toUpperCase()]! + k.slice(m[1]!.length) : k;
}

/** `a|b` split where the second part cannot hold a bar (hashes, ports, addresses). */
function splitLast(v: string, type: string): [string, string] {
  const i = v.lastIndexOf('|');
  if (i < 0) throw new Unfit(`a ${type} value is two parts joined by '|'; got '${clip(v)}'`);
  return [v.slice(0, i), v.slice(i + 1)];
}

// ---- the rules ----

const addressRule: AttributeRule = {
  compare: (v) => {
    const a = address(v);
    // `=` with a CIDR block matches its addresses in this matcher (docs/intel.md) and stays in its hash table.
    return [`${a.type}:value = ${literal(a.value)}`];
  },
  observe: (v) => {
    const a = address(v);
    return [sco(a.type, { value: a.value })];
  },
};

function addressPortRule(side: 'src' | 'dst'): AttributeRule {
  const parts = (v: string, type: string): [Address, number] => {
    const [ip, p] = splitLast(v, type);
    return [address(ip), port(p)];
  };
  return {
    compare: (v) => {
      const [a, p] = parts(v, `ip-${side}|port`);
      return [`network-traffic:${side}_ref.value ${a.block ? 'ISSUBSET' : '='} ${literal(a.value)}`, `network-traffic:${side}_port = ${p}`];
    },
    observe: (v) => {
      const [a, p] = parts(v, `ip-${side}|port`);
      const addr = sco(a.type, { value: a.value });
      // MISP says nothing of the transport; the address family is what is known.
      const traffic = sco('network-traffic', { [`${side}_ref`]: addr['id'], [`${side}_port`]: p, protocols: [a.type === 'ipv4-addr' ? 'ipv4' : 'ipv6'] });
      return [traffic, addr];
    },
  };
}

const domainRule: AttributeRule = {
  compare: (v) => [`domain-name:value = ${literal(domain(v))}`],
  observe: (v) => [sco('domain-name', { value: domain(v) })],
};

function domainIp(v: string): [string, Address] {
  const [d, ip] = splitLast(v, 'domain|ip');
  const a = address(ip);
  if (a.block) throw new Unfit(`a domain resolves to an address, not a block; got '${clip(ip)}'`);
  return [domain(d), a];
}

const domainIpRule: AttributeRule = {
  compare: (v) => {
    const [d, a] = domainIp(v);
    return [`domain-name:value = ${literal(d)}`, `domain-name:resolves_to_refs[*].value = ${literal(a.value)}`];
  },
  observe: (v) => {
    const [d, a] = domainIp(v);
    const addr = sco(a.type, { value: a.value });
    return [sco('domain-name', { value: d, resolves_to_refs: [addr['id']] }), addr];
  },
};

const hostPortRule: AttributeRule = {
  compare: (v) => {
    const [h, p] = splitLast(v, 'hostname|port');
    return [`network-traffic:dst_ref.value = ${literal(domain(h))}`, `network-traffic:dst_port = ${port(p)}`];
  },
};

const urlRule: AttributeRule = {
  compare: (v) => [`url:value = ${literal(nonEmpty(v.trim(), 'URL'))}`],
  observe: (v) => [sco('url', { value: nonEmpty(v.trim(), 'URL') })],
};

const emailRule: AttributeRule = {
  compare: (v) => [`email-addr:value = ${literal(email(v))}`],
  observe: (v) => [sco('email-addr', { value: email(v) })],
};

const fileNameRule: AttributeRule = {
  compare: (v) => [`file:name = ${literal(nonEmpty(v, 'file name'))}`],
  observe: (v) => [sco('file', { name: nonEmpty(v, 'file name') })],
};

function hashRule(type: string): AttributeRule {
  return {
    compare: (v) => {
      const [name, h] = hash(type, v);
      return [`file:hashes.${literal(name)} = ${literal(h)}`];
    },
    observe: (v) => {
      const [name, h] = hash(type, v);
      return [sco('file', { hashes: { [name]: h } })];
    },
  };
}

function fileHashRule(type: string, hashType: string): AttributeRule {
  const parts = (v: string): [string, string, string] => {
    const [n, h] = splitLast(v, type);
    const [name, value] = hash(hashType, h);
    return [nonEmpty(n, 'file name'), name, value];
  };
  return {
    compare: (v) => {
      const [n, name, h] = parts(v);
      return [`file:name = ${literal(n)}`, `file:hashes.${literal(name)} = ${literal(h)}`];
    },
    observe: (v) => {
      const [n, name, h] = parts(v);
      return [sco('file', { name: n, hashes: { [name]: h } })];
    },
  };
}

const regkeyRule: AttributeRule = {
  compare: (v) => [`windows-registry-key:key = ${literal(registryKey(v))}`],
  observe: (v) => [sco('windows-registry-key', { key: registryKey(v) })],
};

/** `key|data`: a key holds no bar in practice, the data may. */
function regkeyValue(v: string): [string, string] {
  const i = v.indexOf('|');
  if (i < 0) throw new Unfit(`a regkey|value value is a key and its data joined by '|'; got '${clip(v)}'`);
  return [registryKey(v.slice(0, i)), v.slice(i + 1)];
}

const regkeyValueRule: AttributeRule = {
  compare: (v) => {
    const [k, data] = regkeyValue(v);
    return [`windows-registry-key:key = ${literal(k)}`, `windows-registry-key:values[*].data = ${literal(data)}`];
  },
  observe: (v) => {
    const [k, data] = regkeyValue(v);
    return [sco('windows-registry-key', { key: k, values: [{ data }] })];
  },
};

function asNumber(v: string): number {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(v.trim());
  if (!m || Number(m[1]) > 4294967295) throw new Unfit(`'${clip(v)}' is not an autonomous system number`);
  return Number(m[1]);
}

function mac(v: string): string {
  const m = v.trim().toLowerCase().replace(/-/g, ':');
  if (!/^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m)) throw new Unfit(`'${clip(v)}' is not a MAC address`);
  return m;
}

function x509Rule(hashType: string): AttributeRule {
  return {
    compare: (v) => {
      const [name, h] = hash(hashType, v.replace(/:/g, ''));
      return [`x509-certificate:hashes.${literal(name)} = ${literal(h)}`];
    },
    observe: (v) => {
      const [name, h] = hash(hashType, v.replace(/:/g, ''));
      return [sco('x509-certificate', { hashes: { [name]: h } })];
    },
  };
}

function hexOf(type: string, v: string, length: number): string {
  const h = v.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${length}}$`).test(h)) throw new Unfit(`'${clip(v)}' is not ${type === 'imphash' ? 'an' : 'a'} ${type}`);
  return h;
}

const rules = new Map<string, AttributeRule>([
  ['ip-src', addressRule], ['ip-dst', addressRule],
  ['ip-src|port', addressPortRule('src')], ['ip-dst|port', addressPortRule('dst')],
  ['domain', domainRule], ['hostname', domainRule],
  ['domain|ip', domainIpRule], ['hostname|port', hostPortRule],
  // A uri is a path ('/gate.php'), which a url SCO (an absolute URL) cannot hold.
  ['url', urlRule], ['uri', { compare: urlRule.compare }], ['link', urlRule],
  ['email', emailRule], ['email-src', emailRule], ['email-dst', emailRule],
  ['email-subject', {
    compare: (v) => [`email-message:subject = ${literal(nonEmpty(v, 'subject'))}`],
    observe: (v) => [sco('email-message', { is_multipart: false, subject: nonEmpty(v, 'subject') })],
  }],
  // The attachment's name alone: an email-message without from/subject/body would need a random id.
  ['email-attachment', {
    compare: (v) => [`email-message:body_multipart[*].body_raw_ref.name = ${literal(nonEmpty(v, 'file name'))}`],
    observe: fileNameRule.observe!,
  }],
  ['filename', fileNameRule], ['attachment', fileNameRule],
  ['malware-sample', fileHashRule('malware-sample', 'md5')],
  ['imphash', { compare: (v) => [`file:extensions.'windows-pebinary-ext'.imphash = ${literal(hexOf('imphash', v, 32))}`] }],
  ['regkey', regkeyRule], ['regkey|value', regkeyValueRule],
  ['mutex', { compare: (v) => [`mutex:name = ${literal(nonEmpty(v, 'mutex name'))}`], observe: (v) => [sco('mutex', { name: nonEmpty(v, 'mutex name') })] }],
  ['user-agent', { compare: (v) => [`network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = ${literal(nonEmpty(v, 'user agent'))}`] }],
  ['AS', { compare: (v) => [`autonomous-system:number = ${asNumber(v)}`], observe: (v) => [sco('autonomous-system', { number: asNumber(v) })] }],
  ['mac-address', { compare: (v) => [`mac-addr:value = ${literal(mac(v))}`], observe: (v) => [sco('mac-addr', { value: mac(v) })] }],
  ['x509-fingerprint-md5', x509Rule('md5')], ['x509-fingerprint-sha1', x509Rule('sha1')], ['x509-fingerprint-sha256', x509Rule('sha256')],
]);
for (const t of HASH_TYPES) {
  rules.set(t, hashRule(t));
  rules.set(`filename|${t}`, fileHashRule(`filename|${t}`, t));
}

/** Every MISP type with a STIX pattern, and with an observable form where `observe` is set. */
export const ATTRIBUTE_RULES: ReadonlyMap<string, AttributeRule> = rules;

const PE = "file:extensions.'windows-pebinary-ext'";

/**
 * Comparisons for an attribute inside a MISP object, where the object says more than the type:
 * a pe-section's md5 is the section's, not the file's. Everything else reads as its type.
 * A PE's original and internal file names have no STIX property; the names MISP-STIX gives
 * them (x_misp_…) keep them matchable by tools that read its output.
 */
export function objectComparisons(objectName: string, relation: string, type: string, value: string): string[] {
  if (objectName === 'pe-section') {
    if (HASH_TYPES.has(type)) {
      const [name, h] = hash(type, value);
      return [`${PE}.sections[*].hashes.${literal(name)} = ${literal(h)}`];
    }
    if (relation === 'name') return [`${PE}.sections[*].name = ${literal(nonEmpty(value, 'section name'))}`];
  }
  if (objectName === 'pe' && (relation === 'original-filename' || relation === 'internal-filename')) {
    return [`${PE}.x_misp_${relation.replace('-', '_')} = ${literal(nonEmpty(value, 'file name'))}`];
  }
  const rule = ATTRIBUTE_RULES.get(type);
  if (!rule) throw new Unfit(`MISP type '${type}' has no STIX pattern here`);
  return rule.compare(value);
}

/** The attribute fields an object's observable needs. */
export interface ObjectAttribute {
  readonly type: string;
  readonly relation: string;
  readonly value: string;
}

/**
 * One `file` SCO for a MISP file object: its name, hashes, size and media type belong to one
 * file, not one SCO each. Undefined when the object has neither a name nor a hash.
 */
export function fileObservable(attributes: readonly ObjectAttribute[]): StixJson | undefined {
  const props: Json = {};
  const hashes: Json = {};
  for (const a of attributes) {
    if (HASH_TYPES.has(a.type)) {
      const [name, h] = hash(a.type, a.value);
      hashes[name] ??= h;
    } else if (a.type === 'filename' && props['name'] === undefined && a.value !== '') props['name'] = a.value;
    else if (a.relation === 'size-in-bytes' && /^\d{1,15}$/.test(a.value.trim())) props['size'] = Number(a.value.trim());
    else if (a.relation === 'mimetype' && a.value.trim() !== '') props['mime_type'] = a.value.trim();
  }
  if (Object.keys(hashes).length > 0) props['hashes'] = hashes;
  return props['name'] === undefined && props['hashes'] === undefined ? undefined : sco('file', props);
}
