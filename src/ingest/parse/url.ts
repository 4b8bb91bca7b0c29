/**
 * `url.*` from a URL as devices log it: absolute (`https://host:8443/p?q`), or without a scheme
 * as PAN-OS writes it (`consent.cmp.oath.com/`, Elastic's reading: host up to the first `/`).
 */
import type { EventRecord } from '../../core/index.js';
import { put } from './fields.js';

export function putUrl(event: EventRecord, original: string | undefined, options: { schemeless?: boolean } = {}): void {
  if (!original) return;
  put(event, 'url.original', original);
  let rest = original;
  const schemeEnd = rest.indexOf('://');
  let authority: string;
  if (schemeEnd > 0 && schemeEnd < 16 && isScheme(rest, schemeEnd)) {
    put(event, 'url.scheme', rest.slice(0, schemeEnd).toLowerCase());
    rest = rest.slice(schemeEnd + 3);
  } else if (!options.schemeless) {
    // A bare path (`/dd.xml`) or something else: only the path parts are certain.
    if (rest.startsWith('/')) putPathAndQuery(event, rest);
    return;
  }
  const slash = indexOfAny(rest, '/?#');
  authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = bracket >= 0 ? authority.indexOf(':', bracket) : authority.lastIndexOf(':');
  if (colon >= 0 && !(bracket < 0 && authority.indexOf(':') !== colon)) {
    const port = Number(authority.slice(colon + 1));
    if (Number.isInteger(port) && port > 0 && port < 65536) put(event, 'url.port', port);
    host = authority.slice(0, colon);
  }
  if (bracket >= 0) host = host.slice(1, bracket);
  put(event, 'url.domain', host);
  if (slash >= 0) putPathAndQuery(event, rest.slice(slash));
}

function putPathAndQuery(event: EventRecord, pathAndMore: string): void {
  const hash = pathAndMore.indexOf('#');
  const withoutFragment = hash >= 0 ? pathAndMore.slice(0, hash) : pathAndMore;
  if (hash >= 0) put(event, 'url.fragment', pathAndMore.slice(hash + 1));
  const question = withoutFragment.indexOf('?');
  const path = question >= 0 ? withoutFragment.slice(0, question) : withoutFragment;
  put(event, 'url.path', path);
  if (question >= 0) put(event, 'url.query', withoutFragment.slice(question + 1));
  const lastSlash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot > lastSlash + 1 && dot < path.length - 1) put(event, 'url.extension', path.slice(dot + 1).toLowerCase());
}

function isScheme(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    const isLetter = c >= 97 && c <= 122;
    if (!(isLetter || (i > 0 && ((c >= 48 && c <= 57) || c === 0x2b || c === 0x2d || c === 0x2e)))) return false;
  }
  return true;
}

function indexOfAny(text: string, chars: string): number {
  for (let i = 0; i < text.length; i++) if (chars.includes(text[i]!)) return i;
  return -1;
}
