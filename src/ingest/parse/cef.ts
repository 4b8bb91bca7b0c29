/**
 * ArcSight CEF: `CEF:Version|Vendor|Product|Version|Class ID|Name|Severity|Extension`.
 * Header fields escape `\|` and `\\`; extension values escape `\=`, `\\`, `\n`, `\r`, may hold
 * spaces, and end where the next `key=` begins. Keys are kept under `cef.extensions` by their
 * full CEF names and mapped to ECS as Elastic's decode_cef processor and cef integration do.
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { at } from './context.js';
import type { ParseContext } from './context.js';
import { addUnique, fillRelated, put, setOwn } from './fields.js';
import { canonicalIp } from './ip.js';
import { formatInstant, parseIsoTime, parseLegacyTime, wallToInstant, zoneNamed } from './time.js';
import type { Instant, Zone } from './time.js';
import { putUrl } from './url.js';

const HEADER_FIELDS = 7;
/** Longer than any CEF key; bounds the backward look for `key=` inside a value. */
const MAX_KEY = 64;

/** CEF key → full name (the CEF specification's dictionary of short names). */
const FULL_NAMES = table<string>({
  agt: 'agentAddress', ahost: 'agentHostName', aid: 'agentId', amac: 'agentMacAddress', art: 'agentReceiptTime',
  atz: 'agentTimeZone', at: 'agentType', av: 'agentVersion', app: 'applicationProtocol', cnt: 'baseEventCount',
  in: 'bytesIn', out: 'bytesOut', dst: 'destinationAddress', dlat: 'destinationGeoLatitude',
  dlong: 'destinationGeoLongitude', dhost: 'destinationHostName', dmac: 'destinationMacAddress',
  dntdom: 'destinationNtDomain', dpt: 'destinationPort', dpid: 'destinationProcessId', dproc: 'destinationProcessName',
  duid: 'destinationUserId', duser: 'destinationUserName', dpriv: 'destinationUserPrivileges', act: 'deviceAction',
  dvc: 'deviceAddress', cfp1: 'deviceCustomFloatingPoint1', cfp1Label: 'deviceCustomFloatingPoint1Label',
  cfp2: 'deviceCustomFloatingPoint2', cfp2Label: 'deviceCustomFloatingPoint2Label', cfp3: 'deviceCustomFloatingPoint3',
  cfp3Label: 'deviceCustomFloatingPoint3Label', cfp4: 'deviceCustomFloatingPoint4', cfp4Label: 'deviceCustomFloatingPoint4Label',
  c6a1: 'deviceCustomIPv6Address1', c6a1Label: 'deviceCustomIPv6Address1Label', c6a2: 'deviceCustomIPv6Address2',
  c6a2Label: 'deviceCustomIPv6Address2Label', c6a3: 'deviceCustomIPv6Address3', c6a3Label: 'deviceCustomIPv6Address3Label',
  c6a4: 'deviceCustomIPv6Address4', c6a4Label: 'deviceCustomIPv6Address4Label', cn1: 'deviceCustomNumber1',
  cn1Label: 'deviceCustomNumber1Label', cn2: 'deviceCustomNumber2', cn2Label: 'deviceCustomNumber2Label',
  cn3: 'deviceCustomNumber3', cn3Label: 'deviceCustomNumber3Label', cs1: 'deviceCustomString1',
  cs1Label: 'deviceCustomString1Label', cs2: 'deviceCustomString2', cs2Label: 'deviceCustomString2Label',
  cs3: 'deviceCustomString3', cs3Label: 'deviceCustomString3Label', cs4: 'deviceCustomString4',
  cs4Label: 'deviceCustomString4Label', cs5: 'deviceCustomString5', cs5Label: 'deviceCustomString5Label',
  cs6: 'deviceCustomString6', cs6Label: 'deviceCustomString6Label', cat: 'deviceEventCategory',
  dvchost: 'deviceHostName', dvcmac: 'deviceMacAddress', dvcpid: 'deviceProcessId', rt: 'deviceReceiptTime',
  dtz: 'deviceTimeZone', end: 'endTime', outcome: 'eventOutcome', fname: 'filename', fsize: 'fileSize',
  msg: 'message', reason: 'reason', request: 'requestUrl', src: 'sourceAddress', slat: 'sourceGeoLatitude',
  slong: 'sourceGeoLongitude', shost: 'sourceHostName', smac: 'sourceMacAddress', sntdom: 'sourceNtDomain',
  spt: 'sourcePort', spid: 'sourceProcessId', sproc: 'sourceProcessName', suid: 'sourceUserId', suser: 'sourceUserName',
  spriv: 'sourceUserPrivileges', start: 'startTime', proto: 'transportProtocol', catdt: 'categoryDeviceType',
});

type Kind = 'string' | 'integer' | 'float' | 'ip' | 'time';

/** Extension full names with a type other than string (as decode_cef converts them). */
const KINDS = table<Kind>({
  agentAddress: 'ip', agentReceiptTime: 'time', baseEventCount: 'integer', bytesIn: 'integer', bytesOut: 'integer',
  destinationAddress: 'ip', destinationGeoLatitude: 'float', destinationGeoLongitude: 'float', destinationPort: 'integer',
  destinationProcessId: 'integer', destinationTranslatedAddress: 'ip', destinationTranslatedPort: 'integer',
  deviceAddress: 'ip', deviceCustomFloatingPoint1: 'float', deviceCustomFloatingPoint2: 'float',
  deviceCustomFloatingPoint3: 'float', deviceCustomFloatingPoint4: 'float', deviceCustomNumber1: 'integer',
  deviceCustomNumber2: 'integer', deviceCustomNumber3: 'integer', deviceProcessId: 'integer', deviceReceiptTime: 'time',
  deviceTranslatedAddress: 'ip', endTime: 'time', eventId: 'integer', fileCreateTime: 'time', fileModificationTime: 'time',
  fileSize: 'integer', oldFileCreateTime: 'time', oldFileModificationTime: 'time', oldFileSize: 'integer',
  sourceAddress: 'ip', sourceGeoLatitude: 'float', sourceGeoLongitude: 'float', sourcePort: 'integer',
  sourceProcessId: 'integer', sourceTranslatedAddress: 'ip', sourceTranslatedPort: 'integer', startTime: 'time',
});

/** Extension full name → ECS field (Elastic's decode_cef ECS mapping, with fixes noted in the docs). */
const ECS = table<string>({
  agentAddress: 'observer.ip', agentHostName: 'observer.hostname', agentId: 'observer.serial_number',
  agentMacAddress: 'observer.mac', agentReceiptTime: 'event.created', agentType: 'observer.type',
  agentVersion: 'observer.version', applicationProtocol: 'network.application', bytesIn: 'source.bytes',
  bytesOut: 'destination.bytes', destinationAddress: 'destination.ip', destinationDnsDomain: 'destination.domain',
  destinationHostName: 'destination.domain', destinationMacAddress: 'destination.mac', destinationPort: 'destination.port',
  destinationProcessId: 'process.pid', destinationProcessName: 'destination.process.name',
  destinationServiceName: 'service.name', destinationTranslatedAddress: 'destination.nat.ip',
  destinationTranslatedPort: 'destination.nat.port', destinationUserId: 'destination.user.id',
  destinationUserName: 'destination.user.name', destinationUserPrivileges: 'destination.user.group.name',
  deviceAction: 'event.action', deviceDirection: 'network.direction', deviceAddress: 'host.ip', deviceExternalId: 'host.id', deviceHostName: 'host.hostname',
  deviceMacAddress: 'host.mac', devicePayloadId: 'event.id', deviceProcessId: 'process.pid',
  deviceProcessName: 'process.name', deviceReceiptTime: '@timestamp', deviceTimeZone: 'event.timezone',
  endTime: 'event.end', eventId: 'event.id', eventOutcome: 'event.outcome', fileCreateTime: 'file.created',
  fileId: 'file.inode', fileModificationTime: 'file.mtime', filename: 'file.name', filePath: 'file.path',
  fileSize: 'file.size', fileType: 'file.type', message: 'message', requestClientApplication: 'user_agent.original',
  requestContext: 'http.request.referrer', requestMethod: 'http.request.method', requestUrl: 'url.original', sourceAddress: 'source.ip',
  sourceDnsDomain: 'source.domain', sourceHostName: 'source.domain', sourceMacAddress: 'source.mac',
  sourcePort: 'source.port', sourceProcessId: 'source.process.pid', sourceProcessName: 'source.process.name',
  sourceTranslatedAddress: 'source.nat.ip', sourceTranslatedPort: 'source.nat.port', sourceUserId: 'source.user.id',
  sourceUserName: 'source.user.name', sourceUserPrivileges: 'source.user.group.name', startTime: 'event.start',
  transportProtocol: 'network.transport',
});

/** Device kinds for vendors whose CEF we know by name. */
const DEVICES: [string, string][] = [
  ['fortinet', 'fortigate'], ['palo alto', 'panos'], ['check point', 'checkpoint'], ['trend micro', 'trendmicro'],
  ['cisco', 'cisco'], ['forcepoint', 'forcepoint'], ['imperva', 'imperva'], ['f5', 'f5'], ['cyberark', 'cyberark'],
  ['microsoft', 'microsoft'], ['mcafee', 'mcafee'], ['trellix', 'trellix'], ['fireeye', 'fireeye'], ['symantec', 'symantec'],
  ['sophos', 'sophos'], ['citrix', 'citrix'], ['barracuda', 'barracuda'], ['crowdstrike', 'crowdstrike'],
];

/** CEF severity: Low/Medium/High/Very-High or 0–10 → number (as decode_cef). */
function severityNumber(severity: string): number | undefined {
  switch (severity.toLowerCase()) {
    case 'low':
      return 0;
    case 'medium':
      return 4;
    case 'high':
      return 7;
    case 'very-high':
      return 9;
    default: {
      const n = Number(severity);
      return severity !== '' && Number.isInteger(n) ? n : undefined;
    }
  }
}

/** A header field up to the next unescaped `|`, unescaping `\|` and `\\`. */
export function headerField(text: string, from: number): { value: string; end: number } | undefined {
  let out = '';
  let chunk = from;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      const next = text.charCodeAt(i + 1);
      if (next === 124 || next === 92) {
        out += text.slice(chunk, i) + text[i + 1];
        i++;
        chunk = i + 1;
      }
    } else if (c === 124 /* | */) {
      return { value: out + text.slice(chunk, i), end: i + 1 };
    }
  }
  return undefined;
}

function isKeyChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45 || c === 91 || c === 93
  );
}

/** Whether the `=` at `eq` is escaped by an odd run of backslashes. */
function escaped(text: string, eq: number, floor: number): boolean {
  let n = 0;
  for (let i = eq - 1; i >= floor && text.charCodeAt(i) === 92; i--) n++;
  return n % 2 === 1;
}

/** The start of a `key` just before `eq` that follows a space at or after `floor`, or -1. */
function keyStartBefore(text: string, eq: number, floor: number): number {
  let i = eq - 1;
  const stop = Math.max(floor, eq - MAX_KEY);
  while (i >= stop && isKeyChar(text.charCodeAt(i))) i--;
  if (i === eq - 1 || i < floor) return -1;
  return text.charCodeAt(i) === 32 ? i + 1 : -1;
}

function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i === raw.length - 1) {
      out += c;
      continue;
    }
    const next = raw[++i]!;
    if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else if (next === '=' || next === '\\' || next === '|') out += next;
    else out += c + next; // not a CEF escape: kept as written
  }
  return out;
}

function trimEndSpaces(text: string, from: number, to: number): number {
  let end = to;
  while (end > from && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end;
}

/** The extension's `key=value` pairs in order; a text that does not start with `key=` is a problem. */
export function readExtension(text: string, from: number, ctx: ParseContext, offset: number): [string, string][] {
  const pairs: [string, string][] = [];
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (i >= text.length) return pairs;
  let keyEnd = i;
  while (keyEnd < text.length && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
  if (keyEnd === i || text.charCodeAt(keyEnd) !== 61) {
    ctx.problems.push(`CEF extension: "key=" expected ${at(offset + i)}`);
    return pairs;
  }
  let key = text.slice(i, keyEnd);
  let valueStart = keyEnd + 1;
  let search = valueStart;
  for (;;) {
    const eq = text.indexOf('=', search);
    if (eq < 0) {
      pairs.push([key, unescapeValue(text.slice(valueStart, trimEndSpaces(text, valueStart, text.length)))]);
      return pairs;
    }
    search = eq + 1;
    if (escaped(text, eq, valueStart)) continue;
    const nextKey = keyStartBefore(text, eq, valueStart);
    if (nextKey < 0) continue; // an `=` inside the value (a URL query, say)
    pairs.push([key, unescapeValue(text.slice(valueStart, trimEndSpaces(text, valueStart, nextKey - 1)))]);
    key = text.slice(nextKey, eq);
    valueStart = eq + 1;
  }
}

/**
 * A CEF time: epoch milliseconds, `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]`, or ISO 8601. Without a
 * zone, the extension's `dtz` or else the context's zone applies.
 */
export function cefTime(value: string, zone: Zone): Instant | undefined {
  if (/^[0-9]{9,16}$/.test(value)) return { ms: Number(value), offset: 0 };
  const iso = parseIsoTime(value, 0);
  if (iso && iso.end === value.length) return wallToInstant(iso.wall, zone, iso.offset);
  const legacy = parseLegacyTime(value, 0);
  if (!legacy || legacy.year === undefined) return undefined;
  let useZone = zone;
  if (legacy.end < value.length) {
    const named = zoneNamed(value.slice(legacy.end + 1).trim());
    if (!named) return undefined;
    useZone = named;
  }
  const wall = { year: legacy.year, month: legacy.month, day: legacy.day, hour: legacy.hour, minute: legacy.minute, second: legacy.second, millis: legacy.millis };
  return wallToInstant(wall, useZone);
}

function typed(kind: Kind | undefined, value: string, zone: Zone): FieldValue | undefined {
  switch (kind) {
    case 'integer': {
      const n = value.startsWith('0x') ? Number.parseInt(value.slice(2), 16) : Number(value);
      return value !== '' && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'float': {
      const n = Number(value);
      return value !== '' && Number.isFinite(n) ? n : undefined;
    }
    case 'ip':
      return canonicalIp(value);
    case 'time': {
      const instant = cefTime(value, zone);
      return instant ? formatInstant(instant) : undefined;
    }
    default:
      return value;
  }
}

function hashField(hash: string): string | undefined {
  if (!/^[0-9a-fA-F]+$/.test(hash)) return undefined;
  return { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' }[hash.length];
}

/**
 * Parses the CEF record starting at `from` in `text` (`offset` is where `text` starts in the
 * message, for positions in problems) into `event`. Returns the device kind when known.
 */
export function parseCef(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext): string | undefined {
  const header: string[] = [];
  let i = from + 4; // after `CEF:`
  while (header.length < HEADER_FIELDS) {
    const field = headerField(text, i);
    if (!field) break;
    header.push(field.value);
    i = field.end;
  }
  const cef: EventRecord = {};
  const [version, vendor, product, deviceVersion, classId, name, severity] = header;
  if (version !== undefined) cef.version = version;
  const device: EventRecord = {};
  if (vendor) device.vendor = vendor;
  if (product) device.product = product;
  if (deviceVersion) device.version = deviceVersion;
  if (classId) device.event_class_id = classId;
  if (Object.keys(device).length) cef.device = device;
  if (name) cef.name = name;
  if (severity) cef.severity = severity;
  put(event, 'cef', cef);
  put(event, 'observer.vendor', vendor);
  put(event, 'observer.product', product);
  put(event, 'observer.version', deviceVersion);
  put(event, 'event.code', classId);
  put(event, 'message', name);
  if (severity) put(event, 'event.severity', severityNumber(severity));
  const kind = deviceKind(vendor);
  if (header.length < HEADER_FIELDS) {
    ctx.problems.push(`CEF header: ${header.length} of ${HEADER_FIELDS} fields before the extension ${at(offset + text.length)}`);
    return kind;
  }
  const pairs = readExtension(text, i, ctx, offset);
  mapExtension(pairs, event, cef, ctx);
  classifyFirewall(event, kind, product);
  return kind;
}

/** Firewall makers whose CEF traffic records Sigma's `category: firewall` rules are about. */
const FIREWALL_KINDS: ReadonlySet<string> = new Set(['fortigate', 'panos', 'checkpoint', 'cisco', 'forcepoint', 'sophos', 'barracuda']);

/**
 * A firewall's record of a connection (it names an address pair) is network traffic:
 * `event.category: network` and `observer.type: firewall`, as ECS classifies it, so Sigma's
 * firewall rules find it. Cisco also makes non-firewalls; its ASA and FTD products count.
 */
function classifyFirewall(event: EventRecord, kind: string | undefined, product: string | undefined): void {
  if (kind === undefined || !FIREWALL_KINDS.has(kind)) return;
  if (kind === 'cisco') {
    const words = new Set((product ?? '').toLowerCase().split(/[^a-z0-9]+/));
    if (!words.has('asa') && !words.has('ftd') && !words.has('firepower')) return;
  }
  const src = event.source;
  const dst = event.destination;
  const hasIp = (v: FieldValue | undefined): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.ip === 'string';
  if (!hasIp(src) && !hasIp(dst)) return;
  const ev = event.event;
  if (!(typeof ev === 'object' && ev !== null && !Array.isArray(ev) && ev.category !== undefined)) put(event, 'event.category', ['network']);
  const observer = event.observer;
  if (!(typeof observer === 'object' && observer !== null && !Array.isArray(observer) && observer.type !== undefined)) put(event, 'observer.type', 'firewall');
}

export function deviceKind(vendor: string | undefined): string | undefined {
  if (!vendor) return undefined;
  const lower = vendor.toLowerCase();
  for (const [prefix, kind] of DEVICES) if (lower.startsWith(prefix)) return kind;
  return undefined;
}

function mapExtension(pairs: [string, string][], event: EventRecord, cef: EventRecord, ctx: ParseContext): void {
  if (pairs.length === 0) return;
  const extensions: EventRecord = {};
  cef.extensions = extensions;
  let zone = ctx.zone;
  for (const [key, value] of pairs) {
    if (key === 'dtz' || key === 'deviceTimeZone') zone = zoneNamed(value) ?? zone;
  }
  for (const [key, value] of pairs) {
    const fullName = cefFullName(key);
    if (value === '') continue; // decode_cef drops empty values
    const kind = lookup(KINDS, fullName);
    const converted = typed(kind, value, zone);
    if (converted === undefined) {
      ctx.problems.push(`CEF extension ${key}: "${value.slice(0, 64)}" is not a valid ${kind === 'ip' ? 'IP address' : kind}`);
      setOwn(extensions, fullName, value);
      continue;
    }
    setOwn(extensions, fullName, converted);
    const target = lookup(ECS, fullName);
    if (!target) continue;
    if (fullName === 'transportProtocol') put(event, target, value.toLowerCase());
    else if (fullName === 'requestUrl') putUrl(event, value);
    else if (fullName === 'deviceDirection') put(event, target, value === '0' ? 'inbound' : value === '1' ? 'outbound' : undefined);
    else put(event, target, converted);
  }
  const hash = extensions.fileHash;
  if (typeof hash === 'string') {
    const algorithm = hashField(hash);
    if (algorithm) put(event, `file.hash.${algorithm}`, hash.toLowerCase());
  }
  fillRelated(event);
  for (const name of ['fileHash', 'oldFileHash']) {
    const value = extensions[name];
    if (typeof value === 'string') addUnique(event, 'related.hash', value);
  }
  const agentHost = extensions.agentHostName;
  if (typeof agentHost === 'string') addUnique(event, 'related.hosts', agentHost);
}

/** The full name of a CEF key (`src` → `sourceAddress`); unknown keys are their own name. */
export function cefFullName(key: string): string {
  return lookup(FULL_NAMES, key) ?? key;
}

/** A lookup table as a Map: keys come from the network (`constructor`, `__proto__` are just keys). */
function table<T>(entries: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(entries));
}

function lookup<T>(map: Map<string, T>, key: string): T | undefined {
  return map.get(key);
}
