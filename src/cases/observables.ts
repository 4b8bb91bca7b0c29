import type { EventRecord, FieldValue } from '../core/index.js';
import {
  classifyName,
  cleanText,
  hashAlgorithmOfLength,
  normalizeEmail,
  normalizeFilePath,
  normalizeHash,
  normalizeHostName,
  normalizeIp,
  normalizeUser,
  observableKey,
  parseUrl,
} from './observable-values.js';
import type { HashAlgorithm, Observable } from './types.js';

/** Bounds, so one hostile event cannot make an alert row huge. */
export const MAX_OBSERVABLES_PER_EVENT = 200;
const MAX_VALUES_PER_FIELD = 100;
const MAX_DEPTH = 8;

/*
 * Where each kind of observable lives: ECS names (nested or dotted keys) and the flat
 * Windows/Sysmon names Sigma rules use. Order matters only for the output order.
 */
const IP_FIELDS = [
  'source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'related.ip', 'dns.resolved_ip',
  'IpAddress', 'SourceIp', 'DestinationIp', 'SourceAddress', 'DestAddress', 'DestinationAddress', 'ClientAddress', 'ClientIP', 'src_ip', 'dst_ip',
];
/** Names looked up on the network: dotted ones are domains, bare ones machine names. */
const NETWORK_NAME_FIELDS = ['url.domain', 'destination.domain', 'server.domain', 'source.domain', 'client.domain', 'dns.question.name', 'DestinationHostname', 'QueryName'];
/** Names of machines we watch: always hosts. */
const HOST_FIELDS = ['host.name', 'host.hostname', 'related.hosts', 'Computer', 'SourceHostname', 'WorkstationName', 'Workstation'];
const URL_FIELDS = ['url.full', 'url.original', 'c-uri'];
/** `SHA256=…,MD5=…` lists as Sysmon writes them. */
const HASH_LIST_FIELDS = ['Hashes', 'Hash'];
const HASH_PREFIXES = ['file.hash', 'process.hash', 'process.parent.hash', 'dll.hash', 'hash'];
const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];
const BARE_HASH_FIELDS = ['related.hash', 'md5', 'sha1', 'sha256', 'Imphash'];
/** Account fields and the domain field that qualifies each (`SubjectDomainName\SubjectUserName`). */
const USER_FIELDS: ReadonlyArray<readonly [string, string?]> = [
  ['user.name'], ['source.user.name'], ['destination.user.name'], ['related.user'],
  ['SubjectUserName', 'SubjectDomainName'], ['TargetUserName', 'TargetDomainName'], ['User'], ['AccountName', 'AccountDomain'],
  ['SourceUser'], ['TargetUser'], ['UserName'],
];
const EMAIL_FIELDS = ['email.from.address', 'email.to.address', 'email.cc.address', 'user.email', 'source.user.email', 'destination.user.email'];
const FILE_FIELDS = ['file.path', 'process.executable', 'process.parent.executable', 'dll.path', 'Image', 'ParentImage', 'SourceImage', 'TargetImage', 'TargetFilename', 'ImageLoaded'];

/**
 * Security-log events about groups (created, changed, member added or removed, membership
 * enumerated): their `TargetUserName` names the group, not an account.
 */
const GROUP_TARGET_EVENTS = new Set([
  4727, 4728, 4729, 4730, 4731, 4732, 4733, 4734, 4735, 4737, 4744, 4745, 4746, 4747, 4748, 4749, 4750, 4751, 4752, 4753, 4754,
  4755, 4756, 4757, 4758, 4759, 4760, 4761, 4762, 4763, 4764, 4799,
]);

function collectStrings(v: FieldValue | undefined, out: string[], depth = 0): void {
  if (out.length >= MAX_VALUES_PER_FIELD || v === undefined || v === null) return;
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v) && depth < MAX_DEPTH) for (const x of v) collectStrings(x, out, depth + 1);
}

function isObject(v: FieldValue | undefined): v is { [key: string]: FieldValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks `a.b.c` through nested objects, fanning out over arrays of objects. */
function walk(v: FieldValue | undefined, parts: readonly string[], i: number, out: string[], depth: number): void {
  if (v === undefined || depth > MAX_DEPTH) return;
  if (i === parts.length) return collectStrings(v, out);
  if (Array.isArray(v)) {
    for (const x of v) walk(x, parts, i, out, depth + 1);
    return;
  }
  if (isObject(v) && Object.hasOwn(v, parts[i]!)) walk(v[parts[i]!], parts, i + 1, out, depth + 1);
}

/**
 * String values of a field: a literal key first (a flat `source.ip` wins, as in the
 * detection engine), else the nested ECS path; flat Windows names also under Winlogbeat's
 * `winlog.event_data`.
 */
export function stringsAt(event: EventRecord, field: string): string[] {
  const out: string[] = [];
  if (Object.hasOwn(event, field)) {
    collectStrings(event[field], out);
    return out;
  }
  if (field.includes('.')) walk(event, field.split('.'), 0, out, 0);
  else {
    const winlog = event['winlog'];
    const data = isObject(winlog) ? winlog['event_data'] : undefined;
    if (isObject(data) && Object.hasOwn(data, field)) collectStrings(data[field], out);
  }
  return out;
}

function firstString(event: EventRecord, field: string): string | undefined {
  return stringsAt(event, field)[0];
}

/** Accumulates observables once each, in first-seen order, up to the cap. */
class ObservableSet {
  private readonly seen = new Set<string>();
  readonly items: Observable[] = [];

  add(o: Observable | undefined): void {
    if (!o || this.items.length >= MAX_OBSERVABLES_PER_EVENT) return;
    const key = observableKey(o);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(o);
  }
}

function ip(raw: string): Observable | undefined {
  const value = normalizeIp(raw);
  return value ? { type: 'ip', value } : undefined;
}

function hash(raw: string, algorithm: HashAlgorithm): Observable | undefined {
  const value = normalizeHash(raw, algorithm);
  return value ? { type: 'hash', value, algorithm } : undefined;
}

/** `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` → one observable per known algorithm. */
function hashList(text: string, into: ObservableSet): void {
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim().toLowerCase().replace('-', '');
    const algorithm = name === 'imphash' ? 'imphash' : HASH_ALGORITHMS.find((a) => a === name);
    if (algorithm) into.add(hash(pair.slice(eq + 1), algorithm));
  }
}

/** Sysmon DNS `QueryResults`: `type:  5 cname.example;::ffff:1.2.3.4;` → the CNAME's domain and the addresses. */
function dnsResults(text: string, into: ObservableSet): void {
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item.startsWith('type:')) {
      const name = item.slice(5).trim();
      const space = name.indexOf(' ');
      const o = space > 0 ? classifyName(name.slice(space + 1)) : undefined;
      if (o?.type === 'domain') into.add(o);
    } else into.add(ip(item));
  }
}

/**
 * Firewalls and proxies often log `host/path` without a scheme (PAN-OS `url.original`):
 * kept as written when the part before the first `/` is a domain or an IP (with a port).
 */
function schemelessUrl(raw: string): { url: string; host: Observable } | undefined {
  const text = cleanText(raw);
  if (!text || text.includes('://')) return undefined;
  const slash = text.indexOf('/');
  let authority = slash < 0 ? text : text.slice(0, slash);
  const colon = authority.lastIndexOf(':');
  if (colon > 0 && authority.indexOf(':') === colon) authority = authority.slice(0, colon);
  const host = classifyName(authority);
  return host && host.type !== 'host' && slash > 0 ? { url: text, host } : undefined;
}

function url(raw: string, into: ObservableSet): void {
  const u = parseUrl(raw);
  if (!u) {
    const bare = schemelessUrl(raw);
    if (bare) {
      into.add({ type: 'url', value: bare.url });
      into.add(bare.host);
    }
    return;
  }
  into.add({ type: 'url', value: u.href });
  // The address a URL points at is itself a pivot (WHATWG keeps IPv6 hosts in brackets).
  const host = classifyName(u.hostname);
  if (host && host.type !== 'host') into.add(host);
}

function eventId(event: EventRecord): number | undefined {
  const v = event['EventID'] ?? (isObject(event['event']) ? event['event']['code'] : undefined);
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

function users(event: EventRecord, into: ObservableSet): void {
  const groupTarget = GROUP_TARGET_EVENTS.has(eventId(event) ?? -1);
  for (const [field, domainField] of USER_FIELDS) {
    if (field === 'TargetUserName' && groupTarget) continue;
    const domainRaw = domainField ? firstString(event, domainField) : undefined;
    const domain = domainRaw === undefined ? undefined : cleanText(domainRaw, 256);
    for (const raw of stringsAt(event, field)) {
      const name = normalizeUser(raw);
      if (!name) continue;
      // Qualified the way Sysmon's `User` is, so both spellings of one account meet.
      const qualified = domain && !name.includes('\\') && !name.includes('@') ? `${domain}\\${name}` : name;
      into.add({ type: 'user', value: qualified });
    }
  }
}

/**
 * The observables of one event: IPs, domains, URLs, hashes (with their algorithm),
 * accounts, hosts, e-mail addresses and file paths, normalised and deduplicated, from ECS
 * fields and the flat Windows/Sysmon names. Placeholders (`-`, empty, `NULL`), values that
 * do not validate (bad IPs, wrong hash lengths) and the unspecified addresses are left out.
 * Pure; at most `MAX_OBSERVABLES_PER_EVENT` results.
 */
export function observablesOf(event: EventRecord): Observable[] {
  const into = new ObservableSet();
  for (const f of IP_FIELDS) for (const v of stringsAt(event, f)) into.add(ip(v));
  for (const f of NETWORK_NAME_FIELDS) for (const v of stringsAt(event, f)) into.add(classifyName(v));
  for (const v of stringsAt(event, 'QueryResults')) dnsResults(v, into);
  for (const f of URL_FIELDS) for (const v of stringsAt(event, f)) url(v, into);
  for (const f of HASH_LIST_FIELDS) for (const v of stringsAt(event, f)) hashList(v, into);
  for (const prefix of HASH_PREFIXES) {
    for (const algorithm of HASH_ALGORITHMS) for (const v of stringsAt(event, `${prefix}.${algorithm}`)) into.add(hash(v, algorithm));
  }
  for (const f of BARE_HASH_FIELDS) {
    for (const v of stringsAt(event, f)) {
      const algorithm = f === 'Imphash' ? 'imphash' : hashAlgorithmOfLength(v.trim().length);
      if (algorithm) into.add(hash(v, algorithm));
    }
  }
  users(event, into);
  for (const f of HOST_FIELDS) {
    for (const v of stringsAt(event, f)) {
      const value = normalizeHostName(v);
      into.add(value ? { type: 'host', value } : undefined);
    }
  }
  for (const f of EMAIL_FIELDS) {
    for (const v of stringsAt(event, f)) {
      const value = normalizeEmail(v);
      into.add(value ? { type: 'email', value } : undefined);
    }
  }
  for (const f of FILE_FIELDS) {
    for (const v of stringsAt(event, f)) {
      const value = normalizeFilePath(v);
      into.add(value ? { type: 'file', value } : undefined);
    }
  }
  return into.items;
}

/** The union of observable lists, first occurrence kept, at most `max`. */
export function mergeObservables(lists: ReadonlyArray<readonly Observable[]>, max: number): Observable[] {
  const seen = new Set<string>();
  const out: Observable[] = [];
  for (const list of lists) {
    for (const o of list) {
      if (out.length >= max) return out;
      const key = observableKey(o);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(o);
    }
  }
  return out;
}
