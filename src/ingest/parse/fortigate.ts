/**
 * FortiGate (FortiOS) key=value logs → ECS, following Elastic's fortinet_fortigate integration:
 * `@timestamp` from `date`+`time` in the log's own `tz`, `event.start` from `eventtime`
 * (nanoseconds), the device under `observer.*`, addresses and users under `source`/
 * `destination` (VPN logs swap them: the remote peer is the source), and every other key
 * under `fortinet.firewall`. Elastic's logid → event.action table is not reproduced (see docs).
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { resolveWall, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { addUnique, get, getString, isRecord, put, setOwn } from './fields.js';
import { canonicalIp } from './ip.js';
import { readKeyValues } from './kv.js';
import { directionOf, transportOf } from './network.js';
import { digits, zoneNamed } from './time.js';
import type { Instant } from './time.js';
import { putUrl } from './url.js';

/** Whether the body is a FortiGate record: `date=… time=…` first, or `logid=` with `devid=`/`devname=`. */
export function isFortigate(text: string, from: number): boolean {
  const near = (needle: string): boolean => {
    const found = text.indexOf(needle, from);
    return found >= 0 && found - from < 2048;
  };
  if (text.startsWith('date=', from)) return near(' time=') && near('logid=');
  return near('logid=') && (near('devid=') || near('devname='));
}

/** FortiGate keys Elastic converts to numbers. */
const NUMERIC = new Set(['auditid', 'audittime', 'quotamax', 'quotaused', 'size', 'disklograte', 'fazlograte', 'lanin', 'lanout', 'setuprate', 'wanin', 'wanout', 'mem']);

function isWordKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return false;
  }
  return key.length > 0;
}

/** The vendor's keys while they are being mapped (a Map: deleting from objects is slow in V8). */
type VendorFields = Map<string, FieldValue>;

/** Takes `key` out of the vendor fields, returning its value. */
function take(fw: VendorFields, key: string): string | undefined {
  const value = fw.get(key);
  if (value === undefined) return undefined;
  fw.delete(key);
  return typeof value === 'string' ? value : undefined;
}

function peek(fw: VendorFields, key: string): string | undefined {
  const value = fw.get(key);
  return typeof value === 'string' ? value : undefined;
}

function integer(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseFortigate(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext): void {
  const fw: VendorFields = new Map();
  for (const { key, value } of readKeyValues(text, from, offset, ctx, 'FortiGate key=value')) {
    if (!isWordKey(key) || value === 'N/A') continue;
    if (key === 'tz' && fw.has('tz')) continue; // FortiOS may log two zones; the first counts
    fw.set(key, value);
  }
  put(event, 'observer.vendor', 'Fortinet');
  put(event, 'observer.product', 'Fortigate');
  put(event, 'observer.type', 'firewall');
  putTimes(fw, event, ctx);
  put(event, 'observer.name', take(fw, 'devname'));
  put(event, 'observer.serial_number', take(fw, 'devid'));
  put(event, 'log.level', take(fw, 'level'));
  put(event, 'message', take(fw, 'msg'));
  put(event, 'event.code', take(fw, 'logid'));
  put(event, 'rule.description', take(fw, 'logdesc'));
  const duration = integer(take(fw, 'duration'));
  if (duration !== undefined) put(event, 'event.duration', duration * 1_000_000_000);
  put(event, 'observer.ingress.interface.name', take(fw, 'srcintf'));
  put(event, 'observer.egress.interface.name', take(fw, 'dstintf'));
  putEndpoints(fw, event);
  const type = peek(fw, 'type');
  if (type === 'event') putEventType(fw, event);
  else if (type === 'traffic') putTrafficType(fw, event);
  else if (type === 'utm' || type === 'dns') putUtmType(fw, event);
  const message = getString(event, 'message');
  if (message && /login|logged in/i.test(message)) putLogin(fw, event, message);
  put(event, 'event.action', take(fw, 'eventtype'));
  if (getString(event, 'event.action') === undefined) put(event, 'event.action', peek(fw, 'action'));
  if (getString(event, 'event.reason') === undefined) put(event, 'event.reason', take(fw, 'reason') ?? take(fw, 'eventsubtype'));
  const direction = take(fw, 'dir') ?? take(fw, 'direction');
  const normalized = direction ? normalizeDirection(direction) : directionOf(getString(event, 'source.ip'), getString(event, 'destination.ip'));
  put(event, 'network.direction', normalized);
  const sourceBytes = get(event, 'source.bytes');
  const destinationBytes = get(event, 'destination.bytes');
  if (typeof sourceBytes === 'number' && typeof destinationBytes === 'number') put(event, 'network.bytes', sourceBytes + destinationBytes);
  for (const key of NUMERIC) {
    const n = integer(peek(fw, key));
    if (n !== undefined) fw.set(key, n);
  }
  putRelated(fw, event);
  if (fw.size) {
    const firewall: EventRecord = {};
    for (const [key, value] of fw) setOwn(firewall, key, value);
    put(event, 'fortinet.firewall', firewall);
  }
}

function normalizeDirection(direction: string): string {
  const lower = direction.toLowerCase();
  if (lower === 'outgoing') return 'outbound';
  if (lower === 'incoming') return 'inbound';
  return ['ingress', 'egress', 'inbound', 'outbound', 'internal', 'external'].includes(lower) ? lower : 'unknown';
}

/** `@timestamp` from date+time in the log's `tz`; `event.start` from `eventtime`. */
function putTimes(fw: VendorFields, event: EventRecord, ctx: ParseContext): void {
  const tz = take(fw, 'tz');
  const date = take(fw, 'date');
  const time = take(fw, 'time');
  const zone = (tz && zoneNamed(normalizeTz(tz))) || undefined;
  if (tz) put(event, 'event.timezone', tz);
  let offset: number | undefined;
  if (date && time && date.length === 10 && time.length >= 8) {
    const wall = {
      year: digits(date, 0, 4),
      month: digits(date, 5, 2),
      day: digits(date, 8, 2),
      hour: digits(time, 0, 2),
      minute: digits(time, 3, 2),
      second: digits(time, 6, 2),
      millis: 0,
    };
    if (zone) {
      const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
      offset = zone.offsetAt(wallMs);
    }
    const instant = resolveWall(ctx, event, wall, offset, () => `FortiGate date="${date}" time="${time}"`);
    setTimestamp(event, instant);
  }
  const eventtime = take(fw, 'eventtime');
  if (eventtime && /^[0-9]{1,19}$/.test(eventtime)) {
    // eventtime is seconds, milliseconds, microseconds or (FortiOS 6.2+) nanoseconds.
    const ms = eventtime.length > 18 ? Number(eventtime.slice(0, -6)) : eventtime.length > 11 ? Number(eventtime) : Number(eventtime) * 1000;
    const start: Instant = { ms, offset: zone ? zone.offsetAt(ms) : (offset ?? 0) };
    setTimestamp(event, start, 'event.start');
  }
}

/** `PST-8` style zones are left to the caller's zone; `-0700`, `+0800`, `GMT+8`… are read. */
function normalizeTz(tz: string): string {
  const gmt = /^(?:GMT|UTC)([+-])([0-9]{1,2})(?::?([0-9]{2}))?$/.exec(tz);
  if (gmt) return `${gmt[1]}${gmt[2]!.padStart(2, '0')}:${gmt[3] ?? '00'}`;
  return tz;
}

/** The address, port, byte and user keys shared by every log type. */
function putEndpoints(fw: VendorFields, event: EventRecord): void {
  put(event, 'destination.ip', ip(take(fw, 'dstip')));
  if (getString(event, 'destination.ip') === undefined) put(event, 'destination.ip', ip(take(fw, 'remip')));
  put(event, 'destination.port', integer(take(fw, 'dstport')));
  if (get(event, 'destination.port') === undefined) put(event, 'destination.port', integer(take(fw, 'remport')));
  put(event, 'destination.bytes', integer(take(fw, 'rcvdbyte')));
  put(event, 'destination.packets', integer(take(fw, 'rcvdpkt')));
  put(event, 'destination.address', take(fw, 'daddr') ?? take(fw, 'dst_host'));
  put(event, 'destination.mac', mac(take(fw, 'dstmac')));
  put(event, 'destination.nat.ip', ip(take(fw, 'tranip')));
  put(event, 'destination.nat.port', integer(take(fw, 'tranport')));
  put(event, 'source.user.group.name', take(fw, 'group'));
  put(event, 'source.bytes', integer(take(fw, 'sentbyte')));
  put(event, 'source.packets', integer(take(fw, 'sentpkt')));
  put(event, 'source.ip', ip(take(fw, 'srcip')));
  if (getString(event, 'source.ip') === undefined) put(event, 'source.ip', ip(take(fw, 'locip')));
  put(event, 'source.mac', mac(take(fw, 'srcmac')));
  put(event, 'source.port', integer(take(fw, 'srcport')));
  if (get(event, 'source.port') === undefined) put(event, 'source.port', integer(take(fw, 'locport')));
  put(event, 'source.nat.ip', ip(take(fw, 'transip')));
  put(event, 'source.nat.port', integer(take(fw, 'transport')));
  put(event, 'source.user.name', take(fw, 'user') ?? take(fw, 'unauthuser'));
  put(event, 'source.address', take(fw, 'saddr'));
  put(event, 'user_agent.original', take(fw, 'agent'));
  put(event, 'file.name', take(fw, 'file'));
  put(event, 'file.size', integer(take(fw, 'filesize')));
  put(event, 'rule.id', take(fw, 'policyid'));
  const proto = take(fw, 'proto');
  if (proto) {
    put(event, 'network.iana_number', proto);
    put(event, 'network.transport', transportOf(proto));
  }
  put(event, 'network.protocol', take(fw, 'service')?.toLowerCase());
  const srcname = take(fw, 'srcname');
  if (srcname) put(event, 'host.name', srcname.toLowerCase());
  const url = take(fw, 'url');
  const hostname = take(fw, 'hostname');
  if (url) putUrl(event, hostname && url.startsWith('/') ? `http://${hostname}${url}` : url);
  put(event, 'url.domain', hostname);
}

function ip(value: string | undefined): string | undefined {
  return value === undefined ? undefined : canonicalIp(value);
}

function mac(value: string | undefined): string | undefined {
  return value?.replace(/[:.]/g, '-').toUpperCase();
}

function putEventType(fw: VendorFields, event: EventRecord): void {
  put(event, 'event.kind', 'event');
  const subtype = peek(fw, 'subtype');
  const action = peek(fw, 'action');
  const status = peek(fw, 'status');
  const result = peek(fw, 'result');
  if (result === 'ERROR' || status === 'negotiate_error' || status === 'failure') put(event, 'event.outcome', 'failure');
  else if (result === 'OK' || (action && ['FSSO-logon', 'auth-logon', 'FSSO-logoff', 'auth-logout'].includes(action))) put(event, 'event.outcome', 'success');
  if (action === 'FSSO-logon' || action === 'auth-logon') addUnique(event, 'event.type', 'start');
  if (action === 'FSSO-logoff' || action === 'auth-logout') addUnique(event, 'event.type', 'end');
  if (subtype === 'vpn') {
    addUnique(event, 'event.type', 'connection');
    addUnique(event, 'event.category', 'network');
    const user = take(fw, 'xauthuser') ?? peek(fw, 'eapuser');
    if (user) put(event, 'source.user.name', user);
    swapForVpn(event);
  }
  if (action === 'perf-stats') {
    addUnique(event, 'event.type', 'info');
    addUnique(event, 'event.category', 'host');
  }
  if (subtype === 'update') {
    addUnique(event, 'event.type', 'info');
    addUnique(event, 'event.category', 'host');
    addUnique(event, 'event.category', 'malware');
  }
  if (subtype === 'user') addUnique(event, 'event.category', 'authentication');
  if (fw.has('advpnsc')) fw.set('advpnsc', fw.get('advpnsc') !== '0');
}

/** In VPN logs the remote peer (remip) is the client: it becomes the source, the firewall the destination. */
function swapForVpn(event: EventRecord): void {
  const source = isRecord(event.source) ? event.source : undefined;
  const destination = isRecord(event.destination) ? event.destination : undefined;
  const user = source?.user;
  if (source) delete source.user;
  const newSource: EventRecord = destination ?? {};
  if (user !== undefined) newSource.user = user;
  delete event.source;
  delete event.destination;
  if (Object.keys(newSource).length) event.source = newSource;
  if (source && Object.keys(source).length) event.destination = source;
}

function putTrafficType(fw: VendorFields, event: EventRecord): void {
  put(event, 'event.kind', 'event');
  addUnique(event, 'event.category', 'network');
  addUnique(event, 'event.type', 'connection');
  const action = peek(fw, 'action');
  if (action === 'deny' || action === 'block' || action === 'blocked' || action === 'dropped') {
    addUnique(event, 'event.type', 'denied');
    put(event, 'event.outcome', 'failure');
  } else if (action) {
    addUnique(event, 'event.type', 'allowed');
    put(event, 'event.outcome', 'success');
  }
  if (action === 'start') addUnique(event, 'event.type', 'start');
  if (action === 'close' || action === 'timeout' || action === 'server-rst' || action === 'client-rst') addUnique(event, 'event.type', 'end');
}

const UTM_CATEGORIES: Record<string, string[]> = {
  virus: ['malware'],
  ips: ['intrusion_detection'],
  anomaly: ['intrusion_detection'],
  webfilter: ['web'],
  'app-ctrl': ['network'],
  dns: ['network'],
  dlp: ['file'],
  emailfilter: ['email'],
  waf: ['web', 'intrusion_detection'],
};

function putUtmType(fw: VendorFields, event: EventRecord): void {
  const subtype = peek(fw, 'subtype') ?? peek(fw, 'type') ?? '';
  const action = peek(fw, 'action');
  put(event, 'event.kind', subtype === 'virus' || subtype === 'ips' || subtype === 'anomaly' ? 'alert' : 'event');
  for (const category of (Object.hasOwn(UTM_CATEGORIES, subtype) ? UTM_CATEGORIES[subtype] : undefined) ?? ['network']) addUnique(event, 'event.category', category);
  if (action && /block|deny|drop|dropped|blocked/.test(action)) {
    addUnique(event, 'event.type', 'denied');
    put(event, 'event.outcome', 'failure');
  } else if (action) {
    addUnique(event, 'event.type', 'allowed');
    put(event, 'event.outcome', 'success');
  }
  // Attack and virus names are the vendor's own rule names.
  put(event, 'rule.name', peek(fw, 'attack') ?? peek(fw, 'virus'));
  put(event, 'dns.question.name', take(fw, 'qname'));
}

/** Login and logout messages (Elastic's login pipeline): outcome, user, roles. */
function putLogin(fw: VendorFields, event: EventRecord, message: string): void {
  put(event, 'event.kind', 'event');
  if (getString(event, 'event.action') === undefined) put(event, 'event.action', 'login');
  addUnique(event, 'event.category', 'authentication');
  const sourceUser = getString(event, 'source.user.name');
  if (sourceUser) put(event, 'user.name', sourceUser);
  const roles: string[] = [];
  const adminprof = take(fw, 'adminprof');
  if (adminprof) roles.push(adminprof);
  if (message.startsWith('Administrator ')) roles.push('Administrator');
  for (const role of roles) {
    addUnique(event, 'user.roles', role);
    addUnique(event, 'source.user.roles', role);
  }
  const status = take(fw, 'status')?.toLowerCase();
  const lower = message.toLowerCase();
  if (status?.startsWith('fail') || lower.includes(' failed')) put(event, 'event.outcome', 'failure');
  else if (status?.startsWith('success') || lower.includes('successful')) put(event, 'event.outcome', 'success');
  fw.delete('ui');
  fw.delete('userfrom');
}

function putRelated(fw: VendorFields, event: EventRecord): void {
  const ips: (FieldValue | undefined)[] = [
    get(event, 'source.ip'),
    get(event, 'destination.ip'),
    get(event, 'source.nat.ip'),
    get(event, 'destination.nat.ip'),
    fw.get('ip'),
    fw.get('assignip'),
    fw.get('tunnelip'),
  ];
  for (const value of ips) if (typeof value === 'string' && canonicalIp(value)) addUnique(event, 'related.ip', value);
  addUnique(event, 'related.user', getString(event, 'source.user.name'));
  addUnique(event, 'related.user', getString(event, 'destination.user.name'));
  for (const path of ['destination.address', 'source.address', 'host.name', 'dns.question.name']) addUnique(event, 'related.hosts', getString(event, path));
}
