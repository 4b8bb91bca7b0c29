/**
 * The values an indicator names, written the way the hub's correlation keys them
 * (`type:path=value`, as src/intel/hub/ledger.ts valuesOfPattern does): a click on an
 * indicator's value, or a value typed bare, becomes something /api/v1/intel/correlate takes.
 * Only `=` and `IN` with string literals name exact values; LIKE, MATCHES, ranges and NOT
 * name none.
 */

const FOLDED = new Set(['domain-name:value', 'email-addr:value', 'url:value']);
const STRING = String.raw`'(?:[^'\\]|\\.)*'`;
const PATH = String.raw`[a-z0-9][a-z0-9-]*:(?:[A-Za-z0-9_]+|${STRING}|\[[^\]]*\]|\.)+`;
const COMPARISON = new RegExp(String.raw`(${PATH})\s*(NOT\s+)?(=|IN)\s*(${STRING}|\(\s*${STRING}(?:\s*,\s*${STRING})*\s*\))`, 'g');
const STRINGS = new RegExp(STRING, 'g');

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The server's path text: identifiers bare, anything else quoted (`file:hashes.'SHA-256'`, `file:hashes.MD5`). */
export function normalPath(path: string): string {
  const colon = path.indexOf(':');
  const steps = path.slice(colon + 1).match(new RegExp(String.raw`[A-Za-z0-9_]+|${STRING}|\[[^\]]*\]`, 'g')) ?? [];
  let out = path.slice(0, colon + 1);
  steps.forEach((s, i) => {
    if (s.startsWith('[')) out += s;
    else {
      const prop = s.startsWith("'") ? unquote(s) : s;
      out += (i === 0 ? '' : '.') + (/^[A-Za-z_][A-Za-z0-9_]*$/.test(prop) ? prop : `'${prop.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
    }
  });
  return out;
}

function isIpv6(v: string): boolean {
  return /^[0-9a-f:.]+(\/\d+)?$/i.test(v) && (v.match(/:/g) ?? []).length >= 2;
}

/** `path=value`, case folded where the hub folds it (domains, e-mail, URLs, hashes, IPv6). */
export function valueKey(path: string, value: string): string {
  const p = normalPath(path);
  const fold = FOLDED.has(p) || (p.startsWith('file:') && p.includes('hashes')) || isIpv6(value);
  return `${p}=${fold ? value.toLowerCase() : value}`;
}

/** The exact values a STIX pattern names, as correlation keys, in the order they appear. */
export function valuesOfPattern(pattern: string): string[] {
  const out = new Set<string>();
  for (const m of pattern.matchAll(COMPARISON)) {
    const [, path, not, , literal] = m;
    if (not || !path || !literal) continue;
    for (const s of literal.match(STRINGS) ?? []) out.add(valueKey(path, unquote(s)));
  }
  return [...out];
}

/** `ipv4-addr:value=1.2.3.4` → { path: 'ipv4-addr:value', value: '1.2.3.4' } */
export function splitKey(key: string): { path: string; value: string } {
  const eq = key.indexOf('=');
  return eq < 0 ? { path: '', value: key } : { path: key.slice(0, eq), value: key.slice(eq + 1) };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/\d{1,2})?$/;
const HASHES: Readonly<Record<number, string>> = { 32: 'MD5', 40: 'SHA-1', 64: 'SHA-256' };

/**
 * What the analyst typed, as a correlation key: a full key (`domain-name:value=x.example`)
 * as it is, or a bare value with its type guessed (address, URL, e-mail, MD5/SHA-1/SHA-256,
 * else a domain). Null for nothing.
 */
export function keyOfInput(input: string): string | null {
  const v = input.trim();
  if (v === '') return null;
  const full = /^([a-z0-9-]+:[^=\s]+)\s*=\s*(.+)$/.exec(v);
  if (full && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return valueKey(full[1]!, full[2]!.replace(/^'(.*)'$/, '$1'));
  if (IPV4.test(v)) return `ipv4-addr:value=${v}`;
  if (isIpv6(v)) return `ipv6-addr:value=${v.toLowerCase()}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return `url:value=${v.toLowerCase()}`;
  if (v.includes('@')) return `email-addr:value=${v.toLowerCase()}`;
  const hash = /^[0-9a-f]+$/i.test(v) ? HASHES[v.length] : undefined;
  if (hash) return valueKey(`file:hashes.'${hash}'`, v);
  return `domain-name:value=${v.toLowerCase()}`;
}
