/**
 * JSON payloads. Nesting is checked before parsing (V8's JSON.parse copes with deep input, but
 * everything downstream that walks or stringifies the event would overflow the stack), then the
 * record is routed by shape: Suricata EVE, FireEye NX (EVE inside `rawmsg`, a JSON string),
 * ModSecurity v3 audit log, Winlogbeat; anything else is kept as the event itself. Duplicate
 * keys: the last one wins (JSON.parse's rule).
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { at } from './context.js';
import type { ParseContext } from './context.js';
import { isRecord, setOwn } from './fields.js';
import { parseModsecurity } from './modsecurity.js';
import { parseSuricata } from './suricata.js';
import { putWinlogbeat } from './windows.js';

/** Deeper than any device's JSON; bounds every later walk of the event. */
export const MAX_JSON_DEPTH = 64;

/** The position of the first bracket nested deeper than `limit`, or -1. Strings are skipped. */
export function tooDeepAt(text: string, from: number, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let i = from;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = i + 1;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote < 0) return -1; // unterminated: JSON.parse will say so
        let slashes = 0;
        for (let k = quote - 1; k > i && text.charCodeAt(k) === 92; k--) slashes++;
        if (slashes % 2 === 0) {
          i = quote + 1;
          break;
        }
        j = quote + 1;
      }
      continue;
    }
    if (c === 123 || c === 91) {
      if (++depth > limit) return i;
    } else if (c === 125 || c === 93) depth--;
    i++;
  }
  return -1;
}

/** JSON.parse with a problem (and its position in the message) instead of an exception. */
export function parseJsonText(text: string, from: number, offset: number, ctx: ParseContext, what: string): unknown {
  const deep = tooDeepAt(text, from);
  if (deep >= 0) {
    ctx.problems.push(`${what}: nested deeper than ${MAX_JSON_DEPTH} levels ${at(offset + deep)}`);
    return undefined;
  }
  try {
    return JSON.parse(from === 0 ? text : text.slice(from));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position ([0-9]+)/.exec(message);
    const where = position ? at(offset + from + Number(position[1])) : `(JSON starting at char ${offset + from})`;
    ctx.problems.push(`${what}: ${message.replace(/ in JSON at position [0-9]+/, '').slice(0, 160)} ${where}`);
    return undefined;
  }
}

export interface JsonResult {
  readonly device?: string;
}

/** Parses the JSON body at `from` and writes the event; returns what it recognised. */
export function parseJsonBody(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext): JsonResult | undefined {
  const value = parseJsonText(text, from, offset, ctx, 'JSON');
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    ctx.problems.push(`JSON: a ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value} where an object was expected ${at(offset + from)}`);
    return undefined;
  }
  const record = value as EventRecord;
  if (typeof record.event_type === 'string' && (record.src_ip !== undefined || record.flow_id !== undefined || typeof record.timestamp === 'string')) {
    parseSuricata(record, event, ctx);
    return { device: 'suricata' };
  }
  if (typeof record.rawmsg === 'string' && (record.meta_sip4 !== undefined || record.deviceid !== undefined)) {
    return parseFireeyeNx(record, record.rawmsg, event, ctx);
  }
  const transaction = record.transaction;
  if (isRecord(transaction) && (transaction.client_ip !== undefined || isRecord(transaction.producer))) {
    parseModsecurity(transaction, event, ctx);
    return { device: 'modsecurity' };
  }
  if (isRecord(record.winlog)) {
    putWinlogbeat(record, event);
    return { device: 'windows' };
  }
  mergeInto(event, record);
  return {};
}

/** FireEye NX sends Suricata EVE as a JSON string in `rawmsg`, with its own fields beside it. */
function parseFireeyeNx(outer: EventRecord, rawmsg: string, event: EventRecord, ctx: ParseContext): JsonResult {
  const inner = parseJsonText(rawmsg, 0, 0, ctx, 'FireEye NX rawmsg (positions inside rawmsg)');
  const meta: EventRecord = {};
  for (const key of Object.keys(outer)) if (key !== 'rawmsg') setOwn(meta, key, outer[key]!);
  if (isRecord(inner)) parseSuricata(inner as EventRecord, event, ctx, 'fireeye');
  const nx: EventRecord = isRecord(inner) ? { ...(inner as EventRecord) } : { rawmsg };
  for (const key of Object.keys(meta)) setOwn(nx, key, meta[key]!);
  setOwn(event, 'fireeye', { nx });
  const observer: EventRecord = { vendor: 'FireEye', product: 'NX', type: 'ids' };
  if (typeof meta.meta_sip4 === 'string') observer.ip = meta.meta_sip4;
  if (typeof meta.deviceid === 'string') observer.serial_number = meta.deviceid;
  if (typeof meta.meta_cbname === 'string') observer.hostname = meta.meta_cbname;
  setOwn(event, 'observer', observer);
  return { device: 'fireeye' };
}

/** A generic JSON record becomes the event; where both hold an object (say `log`), they merge. */
function mergeInto(event: EventRecord, record: EventRecord): void {
  for (const key of Object.keys(record)) {
    const incoming: FieldValue = record[key]!;
    const existing = Object.hasOwn(event, key) ? event[key] : undefined;
    if (isRecord(existing) && isRecord(incoming)) {
      for (const inner of Object.keys(incoming)) setOwn(existing, inner, incoming[inner]!);
    } else setOwn(event, key, incoming);
  }
}
