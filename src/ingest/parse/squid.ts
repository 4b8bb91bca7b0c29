/**
 * Squid's native access.log line → ECS (Elastic's squid integration):
 * `time elapsed client code/status bytes method URL user hierarchy/peer type`, time as epoch
 * seconds with milliseconds, columns separated by one or more spaces.
 */
import type { EventRecord } from '../../core/index.js';
import { setTimestamp } from './context.js';
import { addUnique, fillRelated, getString, put } from './fields.js';
import { canonicalIp } from './ip.js';
import { putUrl } from './url.js';

function digitsEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i;
}

/** `1157689312.049   5006 10.105.21.199 TCP_MISS/200 …` at `from`. */
export function isSquidNative(text: string, from: number): boolean {
  let i = digitsEnd(text, from);
  if (i - from < 9 || i - from > 11 || text.charCodeAt(i) !== 46) return false;
  const fraction = digitsEnd(text, i + 1);
  if (fraction - i !== 4 || text.charCodeAt(fraction) !== 32) return false;
  i = fraction;
  while (text.charCodeAt(i) === 32) i++;
  const elapsed = digitsEnd(text, i);
  if (elapsed === i || text.charCodeAt(elapsed) !== 32) return false;
  const client = text.indexOf(' ', elapsed + 1);
  if (client < 0) return false;
  const code = text.indexOf(' ', client + 1);
  const slash = text.indexOf('/', client + 1);
  return slash > client && (code < 0 || slash < code);
}

function splitColumns(text: string, from: number): string[] {
  const columns: string[] = [];
  let i = from;
  while (i < text.length) {
    while (text.charCodeAt(i) === 32) i++;
    if (i >= text.length) break;
    let end = text.indexOf(' ', i);
    if (end < 0) end = text.length;
    columns.push(text.slice(i, end));
    i = end;
  }
  return columns;
}

export function parseSquid(text: string, from: number, event: EventRecord): void {
  const [time, elapsed, client, codeStatus, bytes, method, url, user, hierarchy, type] = splitColumns(text, from);
  put(event, 'observer.vendor', 'Squid');
  put(event, 'observer.product', 'Squid');
  put(event, 'observer.type', 'proxy');
  put(event, 'event.kind', 'event');
  addUnique(event, 'event.category', 'web');
  addUnique(event, 'event.type', 'access');
  const seconds = Number(time);
  if (Number.isFinite(seconds)) setTimestamp(event, { ms: Math.round(seconds * 1000), offset: 0 });
  const elapsedMs = Number(elapsed);
  if (Number.isSafeInteger(elapsedMs)) put(event, 'event.duration', elapsedMs * 1_000_000);
  put(event, 'source.address', client);
  put(event, 'source.ip', canonicalIp(client ?? ''));
  if (codeStatus) {
    const slash = codeStatus.indexOf('/');
    put(event, 'squid.result_code', slash >= 0 ? codeStatus.slice(0, slash) : codeStatus);
    const status = Number(codeStatus.slice(slash + 1));
    if (slash >= 0 && Number.isInteger(status) && status > 0) {
      put(event, 'squid.status_code', status);
      put(event, 'http.response.status_code', status);
      put(event, 'event.outcome', status >= 400 ? 'failure' : 'success');
    }
  }
  const size = Number(bytes);
  if (bytes && Number.isSafeInteger(size)) put(event, 'destination.bytes', size);
  put(event, 'http.request.method', method);
  putUrl(event, url);
  if (user && user !== '-') put(event, 'source.user.name', user);
  if (hierarchy) {
    const slash = hierarchy.indexOf('/');
    put(event, 'squid.peer_status', slash >= 0 ? hierarchy.slice(0, slash) : hierarchy);
    const peer = slash >= 0 ? hierarchy.slice(slash + 1) : '';
    if (peer && peer !== '-') {
      put(event, 'destination.address', peer);
      put(event, 'destination.ip', canonicalIp(peer));
    } else put(event, 'destination.address', getString(event, 'url.domain'));
  }
  if (type && type !== '-') put(event, 'squid.content_type', type);
  fillRelated(event);
  addUnique(event, 'related.hosts', getString(event, 'url.domain'));
}
