/**
 * One device message (a syslog frame, or one line of an HTTP bulk body) → a normalised event
 * with ECS field names. The syslog header is read first (if there is one), then the payload is
 * recognised by its shape and mapped the way Elastic's integrations map it. Never throws: what
 * cannot be read is named, with its position, in `error`, and the event keeps what was read
 * (at least `message`). See docs/ingest-formats.md for the formats and their known gaps.
 */
import type { EventRecord, MessageFormat, ParsedMessage } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';
import type { ParseContext } from './context.js';
import { parseCef } from './cef.js';
import { get, put } from './fields.js';
import { isFortigate, parseFortigate } from './fortigate.js';
import { parseJsonBody } from './json.js';
import { parseLeef } from './leef.js';
import { isPanosCsv, parsePanos } from './panos.js';
import { isSnare, parseSnare } from './snare.js';
import { isSquidNative, parseSquid } from './squid.js';
import { parseSyslogHeader, putSyslogFields } from './syslog.js';
import type { SyslogHeader } from './syslog.js';
import { formatInstant, UTC, zoneNamed } from './time.js';
import { putCheckpoint, putCiscoMessageId } from './vendors.js';
import { parseWindowsXml } from './windows.js';

export interface ParseOptions {
  /** When the message arrived; the year of RFC 3164 dates and the fallback `@timestamp`. Default: now. */
  readonly receivedAt?: Date;
  /** The year for dates written without one (RFC 3164). Default: from `receivedAt`. */
  readonly defaultYear?: number;
  /** Zone of times written without one: `UTC` (default), `+08:00`, `Asia/Taipei`. */
  readonly timezone?: string;
}

/** Whether `parseMessage` understands this `timezone` option (for checking configuration early). */
export function isKnownTimezone(name: string): boolean {
  return zoneNamed(name) !== undefined;
}

/** Messages longer than this are read only up to here (the listener keeps the raw text). */
export const MAX_MESSAGE_CHARS = 1 << 20;

export function parseMessage(raw: string, opts: ParseOptions = {}): ParsedMessage {
  try {
    return parse(typeof raw === 'string' ? raw : String(raw ?? ''), opts);
  } catch (error) {
    // A bug of ours must not lose the message: it is kept, with the fault named.
    const text = typeof raw === 'string' ? raw.slice(0, MAX_MESSAGE_CHARS) : '';
    return { format: 'unknown', event: { message: text }, error: `parser fault: ${errorMessage(error)}` };
  }
}

function context(opts: ParseOptions): ParseContext {
  const problems: string[] = [];
  let zone = UTC;
  if (opts.timezone !== undefined) {
    const named = zoneNamed(opts.timezone);
    if (named) zone = named;
    else problems.push(`unknown timezone "${opts.timezone}": times written without a zone were read as UTC`);
  }
  const received = opts.receivedAt && !Number.isNaN(opts.receivedAt.getTime()) ? opts.receivedAt : new Date();
  const defaultYear = opts.defaultYear !== undefined && Number.isInteger(opts.defaultYear) ? opts.defaultYear : undefined;
  return { zone, receivedAt: received, defaultYear, problems };
}

interface Payload {
  format?: MessageFormat;
  device?: string;
  /** The record itself is the event (JSON, XML): no need to copy the text into `message`. */
  structured?: boolean;
}

function parse(raw: string, opts: ParseOptions): ParsedMessage {
  const ctx = context(opts);
  let text = raw;
  if (text.length > MAX_MESSAGE_CHARS) {
    ctx.problems.push(`message is ${text.length} characters; only the first ${MAX_MESSAGE_CHARS} were read`);
    text = text.slice(0, MAX_MESSAGE_CHARS);
  }
  const event: EventRecord = {};
  const header = parseSyslogHeader(text, ctx, event);
  let bodyStart = header ? header.bodyStart : 0;
  if (text.charCodeAt(bodyStart) === 0xfeff) bodyStart++; // RFC 5424 MSG may start with a BOM
  if (header) putSyslogFields(event, header, header.time ? formatInstant(header.time) : undefined);

  let start = bodyStart;
  while (start < text.length && isBlank(text.charCodeAt(start))) start++;
  const problemsBefore = ctx.problems.length;
  const payload = readPayload(text, start, header, event, ctx);
  const failed = ctx.problems.length > problemsBefore;

  if (get(event, 'message') === undefined && !(payload.structured && !failed)) {
    event.message = text.slice(bodyStart, Math.max(bodyStart, trimmedEnd(text)));
  }
  if (get(event, '@timestamp') === undefined) {
    // No time in the message: when it arrived is the best we know.
    put(event, '@timestamp', formatInstant({ ms: ctx.receivedAt.getTime(), offset: 0 }));
  }
  const format = payload.format ?? header?.format ?? 'unknown';
  const result: { format: MessageFormat; device?: string; event: EventRecord; error?: string } = { format, event };
  if (payload.device) result.device = payload.device;
  if (ctx.problems.length) result.error = ctx.problems.join('; ');
  return result;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0;
}

function trimmedEnd(text: string): number {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  return end;
}

/** Recognises the payload at `start` by its shape and maps it into `event`. */
function readPayload(text: string, start: number, header: SyslogHeader | undefined, event: EventRecord, ctx: ParseContext): Payload {
  if (header?.checkpointFields) {
    putCheckpoint(header.checkpointFields, event);
    return { device: 'checkpoint' };
  }
  const c = text.charCodeAt(start);
  if (c === 67 /* C */ && text.startsWith('CEF:', start)) return { format: 'cef', device: parseCef(text, start, 0, event, ctx) };
  if (c === 76 /* L */ && text.startsWith('LEEF:', start)) return { format: 'leef', device: parseLeef(text, start, 0, event, ctx) };
  if (c === 123 /* { */) {
    const json = parseJsonBody(text, start, 0, event, ctx);
    return { format: 'json', device: json?.device, structured: json !== undefined };
  }
  if (c === 60 /* < */) return readXml(text, start, event, ctx);
  if (isSnare(text, start)) {
    parseSnare(text, start, 0, event, ctx, header?.format === 'rfc5424' && header.time !== undefined);
    return { format: 'snare', device: 'windows', structured: true };
  }
  if (isPanosCsv(text, start)) {
    parsePanos(text, start, event, ctx);
    return { device: 'panos' };
  }
  if (isFortigate(text, start)) {
    parseFortigate(text, start, 0, event, ctx);
    return { device: 'fortigate' };
  }
  if (isSquidNative(text, start)) {
    parseSquid(text, start, event);
    return { device: 'squid' };
  }
  const appname = header?.appname;
  if (appname && appname.charCodeAt(0) === 37 && putCiscoMessageId(appname, 0, event) > 0) return { device: 'cisco_asa' };
  const afterId = putCiscoMessageId(text, start, event);
  if (afterId > 0) {
    put(event, 'message', text.slice(afterId, trimmedEnd(text)));
    return { device: 'cisco_asa' };
  }
  // CEF behind a relay's own prefix (`… CEF:0|…`), as Elastic's decode_cef accepts it.
  const cef = text.indexOf('CEF:', start);
  if (cef > start && cef - start < 128 && text.charCodeAt(cef - 1) === 32 && text.charCodeAt(cef + 5) === 124) {
    return { format: 'cef', device: parseCef(text, cef, 0, event, ctx) };
  }
  return {};
}

function readXml(text: string, start: number, event: EventRecord, ctx: ParseContext): Payload {
  const head = text.slice(start, start + 512);
  if (head.includes('<Event') && !head.includes('<EPOevent')) {
    const ok = parseWindowsXml(text, start, 0, event, ctx);
    return { format: 'winxml', device: ok ? 'windows' : undefined, structured: ok };
  }
  if (head.includes('<EPOevent')) {
    put(event, 'observer.vendor', 'McAfee');
    put(event, 'observer.product', 'ePolicy Orchestrator');
    return { device: 'mcafee_epo' };
  }
  return {};
}

export type { ParsedMessage, MessageFormat } from '../../core/index.js';
