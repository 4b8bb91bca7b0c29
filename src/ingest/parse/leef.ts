/**
 * IBM LEEF 1.0 and 2.0: `LEEF:1.0|Vendor|Product|Version|EventID|attr=value<TAB>…` and
 * `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attr=value<Delimiter>…`, where the 2.0
 * delimiter is one character or its hex code (`^`, `x09`, `0x7C`). LEEF 1.0 from PAN-OS uses
 * `|` between attributes; a 1.0 record without tabs but with `|` is read that way.
 */
import type { EventRecord } from '../../core/index.js';
import { at, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { cefTime, deviceKind, headerField } from './cef.js';
import { fillRelated, put, setOwn } from './fields.js';
import { canonicalIp } from './ip.js';
import { zoneNamed } from './time.js';
import { putUrl } from './url.js';

type Kind = 'ip' | 'integer' | 'string' | 'lower';

/** LEEF predefined attributes (and PAN-OS's LEEF names) → ECS. */
const ECS = new Map<string, [string, Kind]>(Object.entries({
  src: ['source.ip', 'ip'], dst: ['destination.ip', 'ip'], srcPort: ['source.port', 'integer'],
  dstPort: ['destination.port', 'integer'], srcPostNAT: ['source.nat.ip', 'ip'], dstPostNAT: ['destination.nat.ip', 'ip'],
  srcPostNATPort: ['source.nat.port', 'integer'], dstPostNATPort: ['destination.nat.port', 'integer'],
  srcMAC: ['source.mac', 'string'], dstMAC: ['destination.mac', 'string'], usrName: ['user.name', 'string'],
  srcBytes: ['source.bytes', 'integer'], dstBytes: ['destination.bytes', 'integer'], totalBytes: ['network.bytes', 'integer'],
  srcPackets: ['source.packets', 'integer'], dstPackets: ['destination.packets', 'integer'],
  totalPackets: ['network.packets', 'integer'], proto: ['network.transport', 'lower'], sev: ['event.severity', 'integer'],
  action: ['event.action', 'string'], policy: ['rule.name', 'string'], RuleName: ['rule.name', 'string'],
  Application: ['network.application', 'lower'], identHostName: ['host.name', 'string'], HostName: ['host.name', 'string'],
  domain: ['user.domain', 'string'], SourceUser: ['source.user.name', 'string'], DestinationUser: ['destination.user.name', 'string'],
  DeviceName: ['observer.hostname', 'string'], SerialNumber: ['observer.serial_number', 'string'],
  SourceZone: ['observer.ingress.zone', 'string'], DestinationZone: ['observer.egress.zone', 'string'],
  IngressInterface: ['observer.ingress.interface.name', 'string'], EgressInterface: ['observer.egress.interface.name', 'string'],
  resource: ['url.domain', 'string'],
}));

/** The attribute delimiter of a LEEF 2.0 header field: one character or a hex code. */
function delimiterOf(field: string): string | undefined {
  if (field === '') return '\t';
  if (field.length === 1) return field;
  const hex = /^(?:0x|x)([0-9a-fA-F]{1,4})$/.exec(field);
  return hex ? String.fromCharCode(Number.parseInt(hex[1]!, 16)) : undefined;
}

export function parseLeef(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext): string | undefined {
  const header: string[] = [];
  let i = from + 5; // after `LEEF:`
  while (header.length < 5) {
    const field = headerField(text, i);
    if (!field) break;
    header.push(field.value);
    i = field.end;
  }
  const [version, vendor, product, productVersion, eventId] = header;
  const leef: EventRecord = {};
  if (version !== undefined) leef.version = version;
  if (vendor) leef.vendor = vendor;
  if (product) leef.product = product;
  if (productVersion) leef.product_version = productVersion;
  if (eventId) leef.event_id = eventId;
  put(event, 'leef', leef);
  put(event, 'observer.vendor', vendor);
  put(event, 'observer.product', product);
  put(event, 'observer.version', productVersion);
  put(event, 'event.code', eventId);
  const kind = deviceKind(vendor) ?? (vendor?.toLowerCase().startsWith('panda') ? 'panda' : undefined);
  if (header.length < 5) {
    ctx.problems.push(`LEEF header: ${header.length} of 5 fields before the attributes ${at(offset + text.length)}`);
    return kind;
  }
  let delimiter = '\t';
  if (version?.startsWith('2')) {
    const next = text.indexOf('|', i);
    const candidate = next < 0 ? undefined : delimiterOf(text.slice(i, next));
    if (candidate !== undefined && next >= 0) {
      delimiter = candidate;
      i = next + 1;
    }
  } else if (text.indexOf('\t', i) < 0 && text.indexOf('|', i) >= 0) {
    delimiter = '|';
  }
  leef.delimiter = delimiter;
  const attributes = readAttributes(text, i, delimiter);
  if (attributes.length) mapAttributes(attributes, event, leef, ctx);
  return kind;
}

function readAttributes(text: string, from: number, delimiter: string): [string, string][] {
  const pairs: [string, string][] = [];
  let i = from;
  while (i < text.length) {
    let end = text.indexOf(delimiter, i);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', i);
    if (eq > i && eq < end) pairs.push([text.slice(i, eq), text.slice(eq + 1, end).trimEnd()]);
    i = end + delimiter.length;
  }
  return pairs;
}

function mapAttributes(pairs: [string, string][], event: EventRecord, leef: EventRecord, ctx: ParseContext): void {
  const attributes: EventRecord = {};
  leef.attributes = attributes;
  let devTime: string | undefined;
  for (const [key, value] of pairs) {
    setOwn(attributes, key, value);
    if (key === 'devTime') devTime = value;
    if (value === '') continue;
    if (key === 'url') {
      putUrl(event, value, { schemeless: true });
      continue;
    }
    const target = ECS.get(key);
    if (!target) continue;
    const [path, kind] = target;
    if (kind === 'ip') put(event, path, canonicalIp(value));
    else if (kind === 'integer') {
      const n = Number(value);
      if (Number.isSafeInteger(n)) put(event, path, n);
    } else if (kind === 'lower') put(event, path, value.toLowerCase());
    else put(event, path, value);
  }
  if (devTime) {
    // devTimeFormat is a Java pattern; the shapes it names in practice are the ones cefTime reads.
    const zoneName = attributes.tz;
    const zone = (typeof zoneName === 'string' && zoneNamed(zoneName)) || ctx.zone;
    const instant = cefTime(devTime, zone);
    if (instant) setTimestamp(event, instant);
    else ctx.problems.push(`LEEF devTime "${devTime.slice(0, 64)}" is not a time we read`);
  }
  fillRelated(event);
}
