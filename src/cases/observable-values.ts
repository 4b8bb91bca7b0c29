import { isIPv4, isIPv6 } from 'node:net';
import type { HashAlgorithm, Observable, ObservableType } from './types.js';

/**
 * Validation and normalisation of single observable values. Everything here is a
 * hand-written scanner over untrusted event text: no regular expressions.
 */

export const MAX_VALUE_LENGTH = 2048;

/** Values that logs write where there is no value. */
const PLACEHOLDERS = new Set(['', '-', '--', 'null', '(null)', 'nil', 'none', 'n/a', 'unknown', '?', 'undefined']);

export function isPlaceholder(text: string): boolean {
  return PLACEHOLDERS.has(text.toLowerCase());
}

function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Trimmed text worth looking at, or undefined for placeholders, control characters and giants. */
export function cleanText(raw: string, max = MAX_VALUE_LENGTH): string | undefined {
  const text = raw.trim();
  if (text.length > max || isPlaceholder(text) || hasControlChars(text)) return undefined;
  return text;
}

/**
 * An IP address in one spelling per address: IPv4 dotted, IPv6 compressed lower-case
 * (RFC 5952), IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as Windows logs IPv4 peers) as the
 * IPv4 address, zone ids dropped. The unspecified addresses (`0.0.0.0`, `::`) are
 * placeholders, not values.
 */
export function normalizeIp(raw: string): string | undefined {
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone > 0) text = text.slice(0, zone);
  if (isIPv4(text)) return text === '0.0.0.0' ? undefined : text;
  if (!isIPv6(text)) return undefined;
  const lower = text.toLowerCase();
  if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return lower.slice(7) === '0.0.0.0' ? undefined : lower.slice(7);
  // The WHATWG URL parser implements RFC 5952 compression; it only ever sees a validated address.
  const canonical = new URL(`http://[${lower}]`).hostname.slice(1, -1);
  if (canonical === '::') return undefined;
  return mappedToIpv4(canonical) ?? canonical;
}

/** `::ffff:a00:1` (the URL parser's spelling of a mapped address) → `10.0.0.1`. */
function mappedToIpv4(canonical: string): string | undefined {
  if (!canonical.startsWith('::ffff:')) return undefined;
  const groups = canonical.slice(7).split(':');
  if (groups.length !== 2) return undefined;
  const [hi, lo] = groups.map((g) => Number.parseInt(g, 16)) as [number, number];
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128, imphash: 32 };

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return Object.hasOwn(HASH_LENGTHS, name);
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return text.length > 0;
}

function allZero(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== 0x30) return false;
  return true;
}

/** Lower-case hex of the algorithm's length; all-zero hashes (Sysmon's "no import table") are not values. */
export function normalizeHash(raw: string, algorithm: HashAlgorithm): string | undefined {
  const text = raw.trim().toLowerCase();
  if (text.length !== HASH_LENGTHS[algorithm] || !isHex(text) || allZero(text)) return undefined;
  return text;
}

/** The algorithm a bare hex digest's length implies (32 hex digits are taken as MD5). */
export function hashAlgorithmOfLength(length: number): HashAlgorithm | undefined {
  switch (length) {
    case 32: return 'md5';
    case 40: return 'sha1';
    case 64: return 'sha256';
    case 128: return 'sha512';
    default: return undefined;
  }
}

function isLabelChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

/** Lower-case labels of letters, digits, `-` and `_` (Windows names use it), 1–63 each; undefined otherwise. */
function dnsLabels(raw: string): string[] | undefined {
  let text = raw.trim().toLowerCase();
  if (isPlaceholder(text)) return undefined;
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text.length === 0 || text.length > 253) return undefined;
  const labels = text.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return undefined;
    for (let i = 0; i < label.length; i++) if (!isLabelChar(label.charCodeAt(i))) return undefined;
  }
  return labels;
}

function isAllDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A dotted DNS name whose last label is not numeric (so `10.0.0` is not a domain). */
export function normalizeDomain(raw: string): string | undefined {
  const labels = dnsLabels(raw);
  if (!labels || labels.length < 2 || isAllDigits(labels[labels.length - 1]!)) return undefined;
  return labels.join('.');
}

/** A machine name: one label (`PC01`) or a fully qualified one, lower-cased (Windows names ignore case). */
export function normalizeHostName(raw: string): string | undefined {
  const labels = dnsLabels(raw);
  if (!labels || isAllDigits(labels[labels.length - 1]!)) return undefined;
  return labels.join('.');
}

/** A name seen on the network: an IP literal, a dotted name (domain) or a bare machine name (host). */
export function classifyName(raw: string): Observable | undefined {
  const ip = normalizeIp(raw);
  if (ip) return { type: 'ip', value: ip };
  const domain = normalizeDomain(raw);
  if (domain) return { type: 'domain', value: domain };
  const host = normalizeHostName(raw);
  return host ? { type: 'host', value: host } : undefined;
}

const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ws:', 'wss:']);

/** An absolute URL of a network scheme, as the WHATWG parser serialises it. Paths alone are not URLs. */
export function parseUrl(raw: string): URL | undefined {
  const text = cleanText(raw);
  if (!text || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  return URL_SCHEMES.has(url.protocol) && url.hostname !== '' ? url : undefined;
}

/** `local@domain`, lower-cased; the domain must be a DNS name. */
export function normalizeEmail(raw: string): string | undefined {
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at > 64 || text.indexOf('@') !== at) return undefined;
  const local = text.slice(0, at);
  for (let i = 0; i < local.length; i++) {
    const c = local.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x3a || c === 0x3b || c === 0x3c || c === 0x3e || c === 0x5b || c === 0x5c || c === 0x5d) return undefined;
  }
  const domain = normalizeDomain(text.slice(at + 1));
  return domain ? `${local.toLowerCase()}@${domain}` : undefined;
}

/** An account name: `DOMAIN\user`, `user@realm` or `user`, as written. */
export function normalizeUser(raw: string): string | undefined {
  const text = cleanText(raw, 256);
  if (!text) return undefined;
  const slash = text.indexOf('\\');
  if (slash >= 0 && (slash === 0 || slash === text.length - 1)) return undefined;
  return text;
}

/** A file path as the event wrote it. */
export function normalizeFilePath(raw: string): string | undefined {
  return cleanText(raw, 1024);
}

/**
 * An analyst's value checked and normalised by its declared type, or a reason it is not
 * one. Used for observables added by hand, so the wording is for people.
 */
export function checkObservable(type: ObservableType, value: string, algorithm?: HashAlgorithm): Observable | string {
  if (value.length > MAX_VALUE_LENGTH) return `longer than ${MAX_VALUE_LENGTH} characters`;
  switch (type) {
    case 'ip': {
      const ip = normalizeIp(value);
      return ip ? { type, value: ip } : `'${value}' is not an IPv4 or IPv6 address (0.0.0.0 and :: are not allowed)`;
    }
    case 'domain': {
      const d = normalizeDomain(value);
      return d ? { type, value: d } : `'${value}' is not a dotted DNS name`;
    }
    case 'host': {
      const h = normalizeHostName(value) ?? normalizeIp(value);
      return h ? { type, value: h } : `'${value}' is not a host name`;
    }
    case 'url': {
      const u = parseUrl(value);
      return u ? { type, value: u.href } : `'${value}' is not an absolute http(s), ftp or ws(s) URL`;
    }
    case 'hash': {
      const algo = algorithm ?? hashAlgorithmOfLength(value.trim().length);
      if (!algo) return `'${value}' has ${value.trim().length} characters, which is no MD5, SHA-1, SHA-256 or SHA-512 length`;
      const h = normalizeHash(value, algo);
      return h ? { type, value: h, algorithm: algo } : `'${value}' is not a ${algo} digest (${HASH_LENGTHS[algo]} hex digits, not all zero)`;
    }
    case 'email': {
      const e = normalizeEmail(value);
      return e ? { type, value: e } : `'${value}' is not an e-mail address`;
    }
    case 'user': {
      const u = normalizeUser(value);
      return u ? { type, value: u } : `'${value}' is not an account name`;
    }
    case 'file': {
      const f = normalizeFilePath(value);
      return f ? { type, value: f } : `'${value}' is not a file path`;
    }
  }
}

/**
 * The key two observables are the same under. Names Windows compares without case
 * (accounts, Windows paths) dedupe case-insensitively; the first spelling seen is kept.
 */
export function observableKey(o: Observable): string {
  const value = o.type === 'user' || (o.type === 'file' && looksLikeWindowsPath(o.value)) ? o.value.toLowerCase() : o.value;
  return `${o.type}\u0000${o.algorithm ?? ''}\u0000${value}`;
}

function looksLikeWindowsPath(path: string): boolean {
  return path.includes('\\') || (path.length > 1 && path.charCodeAt(1) === 0x3a);
}
