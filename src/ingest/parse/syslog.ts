/**
 * The syslog header: RFC 5424 (structured data and its escapes, BOM, NIL values; also without
 * `<PRI>` as Check Point sends it, and without PRI and VERSION as McAfee ePO sends it) and RFC
 * 3164 as real devices write it, following rsyslog's parser: missing PRI (13, user.notice), no
 * hostname, a year in the date, upper-case months, a leading space, `%PIX-7-…` and
 * `sshd(pam_unix)[pid]` tags. One forward scan with charCodeAt/indexOf.
 */
import type { EventRecord } from '../../core/index.js';
import { at, resolveWall } from './context.js';
import type { ParseContext } from './context.js';
import { setOwn } from './fields.js';
import { inferYear, parseIsoTime, parseLegacyTime } from './time.js';
import type { Instant } from './time.js';

export interface SyslogHeader {
  readonly format: 'rfc5424' | 'rfc3164';
  readonly priority?: number;
  readonly time?: Instant;
  readonly hostname?: string;
  readonly appname?: string;
  readonly procid?: string;
  readonly msgid?: string;
  readonly version?: string;
  readonly structuredData?: EventRecord;
  /** Check Point's `[key:"value"; …]` in the structured-data position, read as pairs. */
  readonly checkpointFields?: Record<string, string | string[]>;
  /** Where the message body (MSG) starts in the text. */
  readonly bodyStart: number;
}

export const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** rsyslog's default for a message without `<PRI>`: user.notice. */
const DEFAULT_PRIORITY = 13;
/** Longest tag we look for; rsyslog accepts long ones (its tests use 40 characters). */
const MAX_TAG = 256;

const SP = 32;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `<N>` at `from` with 1–3 digits; -2 when the digits are out of range, -1 when absent. */
function readPriority(text: string, from: number): { value: number; end: number } | undefined {
  if (text.charCodeAt(from) !== 60 /* < */) return undefined;
  let i = from + 1;
  let value = 0;
  while (i < from + 4 && isDigit(text.charCodeAt(i))) value = value * 10 + text.charCodeAt(i++) - 48;
  if (i === from + 1 || text.charCodeAt(i) !== 62 /* > */) return undefined;
  return { value, end: i + 1 };
}

/**
 * Reads the syslog header at the start of `text`, or returns undefined when the text has none
 * (no `<PRI>` and no timestamp: an HTTP bulk line, a bare JSON or vendor record).
 */
export function parseSyslogHeader(text: string, ctx: ParseContext, event: EventRecord): SyslogHeader | undefined {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === SP || text.charCodeAt(i) === 9)) i++;
  const pri = readPriority(text, i);
  let priority: number | undefined;
  if (pri) {
    i = pri.end;
    if (pri.value > 191) ctx.problems.push(`syslog PRI <${pri.value}> is out of range 0–191 ${at(1)}`);
    else priority = pri.value;
    // RFC 5424: VERSION (1–2 digits, not 0) and a space follow PRI directly.
    const c = text.charCodeAt(i);
    if (isDigit(c) && c !== 48) {
      const versionEnd = isDigit(text.charCodeAt(i + 1)) ? i + 2 : i + 1;
      if (text.charCodeAt(versionEnd) === SP && !parseIsoTime(text, i)) {
        return parse5424(text, versionEnd + 1, text.slice(i, versionEnd), priority, ctx, event);
      }
    }
    return parse3164(text, i, priority, ctx, event);
  }
  // Without PRI: "1 <timestamp|-> …" is RFC 5424 (Check Point); a timestamp starts RFC 3164.
  if (text.charCodeAt(i) === 49 /* 1 */ && text.charCodeAt(i + 1) === SP) {
    const next = text.charCodeAt(i + 2);
    if ((next === 45 /* - */ && text.charCodeAt(i + 3) === SP) || parseIsoTime(text, i + 2)) {
      return parse5424(text, i + 2, '1', undefined, ctx, event);
    }
  }
  if (!parseIsoTime(text, i) && !parseLegacyTime(text, i)) return undefined;
  return parse3164(text, i, undefined, ctx, event);
}

function tokenEnd(text: string, from: number): number {
  const space = text.indexOf(' ', from);
  return space < 0 ? text.length : space;
}

/** RFC 5424 from TIMESTAMP on (`from` is just after `VERSION SP`). */
function parse5424(
  text: string,
  from: number,
  version: string | undefined,
  priority: number | undefined,
  ctx: ParseContext,
  event: EventRecord,
): SyslogHeader {
  let i = from;
  let time: Instant | undefined;
  if (text.charCodeAt(i) === 45 /* - */ && (i + 1 === text.length || text.charCodeAt(i + 1) === SP)) {
    i += 1;
  } else {
    const parsed = parseIsoTime(text, i);
    if (parsed && (parsed.end === text.length || text.charCodeAt(parsed.end) === SP)) {
      const timeAt = i;
      time = resolveWall(ctx, event, parsed.wall, parsed.offset, () => `RFC 5424 TIMESTAMP ${at(timeAt)}`);
      i = parsed.end;
    } else {
      const end = tokenEnd(text, i);
      ctx.problems.push(`RFC 5424 TIMESTAMP "${text.slice(i, Math.min(end, i + 40))}" is not RFC 3339 ${at(i)}`);
      i = end;
    }
  }
  let hostname: string | undefined;
  let appname: string | undefined;
  let procid: string | undefined;
  let msgid: string | undefined;
  let missing: string | undefined;
  for (let n = 0; n < 4; n++) {
    if (i >= text.length) {
      missing = HEADER_FIELDS[n];
      break;
    }
    i++; // the SP before the field
    const end = tokenEnd(text, i);
    const value = end === i + 1 && text.charCodeAt(i) === 45 ? undefined : text.slice(i, end);
    if (n === 0) hostname = value;
    else if (n === 1) appname = value;
    else if (n === 2) procid = value;
    else msgid = value;
    i = end;
  }
  let structuredData: EventRecord | undefined;
  let checkpointFields: Record<string, string | string[]> | undefined;
  let bodyStart = text.length;
  if (missing === undefined && i >= text.length) missing = 'STRUCTURED-DATA';
  if (missing !== undefined) ctx.problems.push(`RFC 5424 header ends before ${missing} ${at(i)}`);
  else {
    const sd = readStructuredData(text, i + 1, ctx);
    structuredData = sd.data;
    checkpointFields = sd.checkpoint;
    bodyStart = sd.end;
    if (text.charCodeAt(bodyStart) === SP) bodyStart++;
  }
  return { format: 'rfc5424', priority, time, hostname, appname, procid, msgid, version, structuredData, checkpointFields, bodyStart };
}

const HEADER_FIELDS = ['HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];

interface StructuredDataRead {
  data?: EventRecord;
  checkpoint?: Record<string, string | string[]>;
  end: number;
}

/**
 * STRUCTURED-DATA at `from`: `-`, or `[id name="value" …]…` with `\"`, `\\` and `\]`
 * escapes. Lenient where senders are: spaces around `=` are allowed. Check Point's
 * `[key:"value"; …]` is recognised and returned as pairs. Anything else is a problem, and the
 * body starts where the structured data was expected, so nothing is lost.
 */
export function readStructuredData(text: string, from: number, ctx: ParseContext): StructuredDataRead {
  const c = text.charCodeAt(from);
  if (c === 45 /* - */) return { end: from + 1 };
  if (c !== 91 /* [ */) {
    ctx.problems.push(`RFC 5424 STRUCTURED-DATA must be "-" or start with "[" ${at(from)}`);
    return { end: from };
  }
  const data: EventRecord = {};
  let i = from;
  while (text.charCodeAt(i) === 91) {
    const element = readSdElement(text, i, data);
    if (typeof element === 'string') {
      if (i === from && looksLikeCheckpoint(text, from)) {
        const checkpoint = readCheckpointPairs(text, from + 1);
        return { checkpoint: checkpoint.pairs, end: checkpoint.end };
      }
      ctx.problems.push(`RFC 5424 STRUCTURED-DATA: ${element}`);
      return { data: Object.keys(data).length ? data : undefined, end: i };
    }
    i = element;
  }
  return { data, end: i };
}

/** SD-NAME: 1–32 printable US-ASCII characters except `=`, space, `]` and `"`. */
function nameEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && i - from < 32) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
    i++;
  }
  return i;
}

/** One `[…]` element into `data`; returns the offset after it, or a problem. */
function readSdElement(text: string, from: number, data: EventRecord): number | string {
  let i = from + 1;
  const idEnd = nameEnd(text, i);
  if (idEnd === i) return `empty SD-ID ${at(i)}`;
  const id = text.slice(i, idEnd);
  const params: EventRecord = {};
  i = idEnd;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 93 /* ] */) break;
    if (c !== SP) return i >= text.length ? `unterminated element [${id} ${at(i)}` : `unexpected "${text[i]}" in element [${id} ${at(i)}`;
    while (text.charCodeAt(i) === SP) i++;
    if (text.charCodeAt(i) === 93) break;
    const paramEnd = nameEnd(text, i);
    if (paramEnd === i) return `empty PARAM-NAME in element [${id} ${at(i)}`;
    const name = text.slice(i, paramEnd);
    i = paramEnd;
    while (text.charCodeAt(i) === SP) i++;
    if (text.charCodeAt(i) !== 61 /* = */) return `"=" expected after ${name} ${at(i)}`;
    i++;
    while (text.charCodeAt(i) === SP) i++;
    if (text.charCodeAt(i) !== 34 /* " */) return `'"' expected to open the value of ${name} ${at(i)}`;
    const value = readQuoted(text, i + 1);
    if (value.end < 0) return `unterminated value of ${name} ${at(i)}`;
    addParam(params, name, value.text);
    i = value.end;
  }
  const existing = Object.hasOwn(data, id) ? data[id] : undefined;
  if (existing && typeof existing === 'object' && !Array.isArray(existing)) Object.assign(existing, params);
  else setOwn(data, id, params);
  return i + 1;
}

function addParam(params: EventRecord, name: string, value: string): void {
  const existing = Object.hasOwn(params, name) ? params[name] : undefined;
  if (existing === undefined) setOwn(params, name, value);
  else if (Array.isArray(existing)) existing.push(value);
  else setOwn(params, name, [existing, value]);
}

/**
 * A quoted value starting after the opening `"`: RFC 5424 escapes `\"`, `\\`, `\]`; any other
 * backslash is kept as written. `end` is after the closing quote, -1 when there is none.
 */
function readQuoted(text: string, from: number): { text: string; end: number } {
  let out = '';
  let chunk = from;
  let i = from;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return { text: '', end: -1 };
    // Look for a backslash only up to the quote, so long texts stay linear.
    let slash = -1;
    for (let j = i; j < quote; j++) {
      if (text.charCodeAt(j) === 92) {
        slash = j;
        break;
      }
    }
    if (slash < 0) {
      out += text.slice(chunk, quote);
      return { text: out, end: quote + 1 };
    }
    const next = text.charCodeAt(slash + 1);
    if (next === 34 || next === 92 || next === 93) {
      out += text.slice(chunk, slash) + text[slash + 1];
      chunk = slash + 2;
    }
    i = next === 34 || next === 92 || next === 93 ? slash + 2 : slash + 1;
  }
}

/** `[word:"` (or `word::"`): Check Point's pairs where structured data belongs. */
function looksLikeCheckpoint(text: string, from: number): boolean {
  let i = from + 1;
  while (i < text.length && i - from < 64) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) return text.charCodeAt(i + 1) === 34 || (text.charCodeAt(i + 1) === 58 && text.charCodeAt(i + 2) === 34);
    if (c <= 32 || c === 61 || c === 93 || c === 34) return false;
    i++;
  }
  return false;
}

/** `key:"value"; key2:"value2"; ]`; a repeated key gathers its values in an array. */
function readCheckpointPairs(text: string, from: number): { pairs: Record<string, string | string[]>; end: number } {
  const pairs: Record<string, string | string[]> = {};
  let i = from;
  for (;;) {
    while (text.charCodeAt(i) === SP || text.charCodeAt(i) === 59 /* ; */) i++;
    if (i >= text.length) return { pairs, end: i };
    if (text.charCodeAt(i) === 93) return { pairs, end: i + 1 };
    const colon = text.indexOf(':', i);
    if (colon < 0) return { pairs, end: text.length };
    const key = text.slice(i, colon);
    let j = colon + 1;
    if (text.charCodeAt(j) === 58) j++; // `ike::"…"`
    if (text.charCodeAt(j) !== 34) return { pairs, end: i };
    const value = readQuoted(text, j + 1);
    if (value.end < 0) return { pairs, end: i };
    const existing = Object.hasOwn(pairs, key) ? pairs[key] : undefined;
    const merged = existing === undefined ? value.text : Array.isArray(existing) ? [...existing, value.text] : [existing, value.text];
    if (key === '__proto__') Object.defineProperty(pairs, key, { value: merged, enumerable: true, writable: true, configurable: true });
    else pairs[key] = merged;
    i = value.end;
  }
}

/** Host name characters as rsyslog accepts them; an IPv6 address is allowed too. */
function validHostname(text: string, from: number, end: number): boolean {
  if (end === from || end - from > 255) return false;
  let colons = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 46 || c === 45 || c === 95) continue;
    if (c === 58) {
      colons++;
      continue;
    }
    return false;
  }
  return colons === 0 || (colons >= 2 && text.charCodeAt(end - 1) !== 58);
}

/**
 * Whether the text at `from` is a payload we parse rather than a syslog TAG, so that
 * `host CEF:0|…`, `host date=… time=…` (FortiGate) and `host 1,2018/11/30 …,THREAT` (PAN-OS)
 * are not split at the first colon or space.
 */
export function payloadStartsAt(text: string, from: number): boolean {
  const c = text.charCodeAt(from);
  if (c === 123 /* { */ || c === 60 /* < */) return true;
  if (text.startsWith('CEF:', from) || text.startsWith('LEEF:', from) || text.startsWith('MSWinEventLog', from)) return true;
  const end = Math.min(text.length, from + MAX_TAG);
  for (let i = from; i < end; i++) {
    const d = text.charCodeAt(i);
    if (d === SP || d === 9 || d === 58 /* : */ || d === 91 /* [ */) return false;
    // A token holding `=`, `,` or `|` is a key=value pair or a CSV record, not a program name.
    if (d === 61 || d === 44 || d === 124) return true;
  }
  return false;
}

/** RFC 3164 from the timestamp on (`from` is after `<PRI>`, or at the start without one). */
function parse3164(text: string, from: number, priority: number | undefined, ctx: ParseContext, event: EventRecord): SyslogHeader {
  let i = from;
  while (text.charCodeAt(i) === SP && i < from + 4) i++; // `<167> Mar  7 …`
  let time: Instant | undefined;
  const legacy = parseLegacyTime(text, i);
  if (legacy) {
    const year = legacy.year ?? inferYear(legacy.month, legacy.day, legacy.hour, ctx);
    const wall = { year, month: legacy.month, day: legacy.day, hour: legacy.hour, minute: legacy.minute, second: legacy.second, millis: legacy.millis };
    const timeAt = i;
    time = resolveWall(ctx, event, wall, undefined, () => `RFC 3164 timestamp "${text.slice(timeAt, legacy.end)}" ${at(timeAt)}`);
    i = legacy.end;
  } else {
    const iso = parseIsoTime(text, i);
    if (iso && (iso.end === text.length || text.charCodeAt(iso.end) === SP)) {
      const timeAt = i;
      time = resolveWall(ctx, event, iso.wall, iso.offset, () => `timestamp "${text.slice(timeAt, iso.end)}" ${at(timeAt)}`);
      i = iso.end;
    }
  }
  const hadTime = i !== from;
  if (hadTime && text.charCodeAt(i) === SP) i++;
  const resolvedPriority = priority ?? DEFAULT_PRIORITY;

  let hostname: string | undefined;
  const hostEnd = tokenEnd(text, i);
  if (!payloadStartsAt(text, i) && validHostname(text, i, hostEnd)) {
    hostname = text.slice(i, hostEnd);
    i = hostEnd;
    if (text.charCodeAt(i) === SP) i++;
  }

  // RFC 5424 written without PRI and VERSION (McAfee ePO): APP-NAME PROCID MSGID then SD.
  if (priority === undefined && hadTime && hostname !== undefined) {
    const rest = fiveFourTwoFourRest(text, i);
    if (rest) {
      const sd = readStructuredData(text, rest.sdStart, ctx);
      let bodyStart = sd.end;
      if (text.charCodeAt(bodyStart) === SP) bodyStart++;
      return {
        format: 'rfc5424',
        priority: undefined,
        time,
        hostname,
        appname: rest.appname,
        procid: rest.procid,
        msgid: rest.msgid,
        version: undefined,
        structuredData: sd.data,
        checkpointFields: sd.checkpoint,
        bodyStart,
      };
    }
  }

  const tag = readTag(text, i);
  return {
    format: 'rfc3164',
    priority: resolvedPriority,
    time,
    hostname,
    appname: tag.appname,
    procid: tag.procid,
    msgid: undefined,
    version: undefined,
    structuredData: undefined,
    checkpointFields: undefined,
    bodyStart: tag.end,
  };
}

/** `APP-NAME SP PROCID SP MSGID SP` followed by `-` or `[`, as RFC 5424 lays them out. */
function fiveFourTwoFourRest(text: string, from: number): { appname?: string; procid?: string; msgid?: string; sdStart: number } | undefined {
  const values: string[] = [];
  let i = from;
  for (let n = 0; n < 3; n++) {
    const end = tokenEnd(text, i);
    if (end === i || end >= text.length || end - i > 48) return undefined;
    const token = text.slice(i, end);
    if (token.includes('=') || token.endsWith(':')) return undefined;
    values.push(token);
    i = end + 1;
  }
  const c = text.charCodeAt(i);
  if (!(c === 91 || (c === 45 && (i + 1 === text.length || text.charCodeAt(i + 1) === SP)))) return undefined;
  const procid = values[1]!;
  if (procid !== '-' && !/^[0-9]+$/.test(procid)) return undefined;
  const nil = (v: string): string | undefined => (v === '-' ? undefined : v);
  return { appname: nil(values[0]!), procid: nil(procid), msgid: nil(values[2]!), sdStart: i };
}

/**
 * The TAG at `from`: `prog:`, `prog[pid]:`, `sshd(pam_unix)[12750]:`, `%PIX-7-710005:`, or a
 * word ended by a space (`tag msg`, rsyslog's reading). No tag before a recognised payload.
 */
function readTag(text: string, from: number): { appname?: string; procid?: string; end: number } {
  if (from >= text.length || payloadStartsAt(text, from)) return { end: from };
  const limit = Math.min(text.length, from + MAX_TAG);
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === SP || c === 9 || c === 58 || c === 91) break;
    i++;
  }
  if (i === limit && i < text.length) return { end: from }; // no delimiter in reach: not a tag
  const appname = i > from ? text.slice(from, i) : undefined;
  let procid: string | undefined;
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close > i && close - i < 64) {
      procid = text.slice(i + 1, close) || undefined;
      i = close + 1;
    }
  }
  if (text.charCodeAt(i) === 58 /* : */) i++;
  if (text.charCodeAt(i) === SP) i++;
  return { appname, procid, end: i };
}

/** Writes the header's ECS fields: `@timestamp`, `log.syslog.*`, `host.hostname`. */
export function putSyslogFields(event: EventRecord, header: SyslogHeader, timestamp: string | undefined): void {
  if (timestamp) event['@timestamp'] = timestamp;
  const syslog: EventRecord = {};
  const priority = header.priority;
  if (priority !== undefined) {
    const facility = priority >> 3;
    const severity = priority & 7;
    syslog.priority = priority;
    syslog.facility = { code: facility, name: FACILITY_NAMES[facility] ?? String(facility) };
    syslog.severity = { code: severity, name: SEVERITY_NAMES[severity]! };
  }
  if (header.hostname) syslog.hostname = header.hostname;
  if (header.appname) syslog.appname = header.appname;
  if (header.procid) syslog.procid = header.procid;
  if (header.msgid) syslog.msgid = header.msgid;
  if (header.version) syslog.version = header.version;
  if (header.structuredData) syslog.structured_data = header.structuredData;
  for (const _ in syslog) {
    event.log = { syslog };
    break;
  }
  if (header.hostname) event.host = { hostname: header.hostname };
}
