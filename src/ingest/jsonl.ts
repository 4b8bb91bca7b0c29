import type { EventRecord, FieldValue } from '../core/index.js';

export type JsonItem =
  | { readonly ok: true; readonly record: number; readonly event: EventRecord; readonly at?: number }
  | { readonly ok: false; readonly record: number; readonly reason: string };

/**
 * Events from JSON text: JSON Lines (one object per line), or one JSON array of objects, or
 * one object. Blank lines are skipped; a line that is not a JSON object is reported with its
 * line number and the rest still read. `record` is the 1-based line (or array position).
 */
export function* readJsonEvents(text: string): Generator<JsonItem> {
  const start = firstNonSpace(text);
  if (text[start] === '[') {
    yield* readJsonArray(text);
    return;
  }
  if (text[start] === '{' && !firstLineIsJson(text, start)) {
    // One pretty-printed object is a single event; otherwise it is JSON Lines with a bad line.
    const whole = parseLine(text.slice(start), 1);
    if (whole.ok) {
      yield whole;
      return;
    }
  }
  let line = 0;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(at, end);
    at = end + 1;
    if (raw.trim() === '') continue;
    const item = parseLine(raw, line);
    // Where the line ends, in characters: progress through a big file.
    yield item.ok ? { ...item, at } : item;
  }
}

function firstNonSpace(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function firstLineIsJson(text: string, start: number): boolean {
  const end = text.indexOf('\n', start);
  try {
    JSON.parse(text.slice(start, end < 0 ? text.length : end));
    return true;
  } catch {
    return false;
  }
}

function parseLine(raw: string, line: number): JsonItem {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, record: line, reason: `not JSON: ${(err as Error).message}` };
  }
  if (!isObject(value)) return { ok: false, record: line, reason: `a JSON ${describe(value)} where an event object was expected` };
  return { ok: true, record: line, event: value };
}

function* readJsonArray(text: string): Generator<JsonItem> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    yield { ok: false, record: 1, reason: `not JSON: ${(err as Error).message}` };
    return;
  }
  const list = value as unknown[];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (isObject(item)) yield { ok: true, record: i + 1, event: item };
    else yield { ok: false, record: i + 1, reason: `array element ${i + 1} is a JSON ${describe(item)}, not an event object` };
  }
}

function isObject(v: unknown): v is EventRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Winlogbeat (and Elastic Agent) Windows events nest what Sigma rules name at the top level:
 * `winlog.channel`, `winlog.event_id`, `winlog.event_data.Image`. This lifts them to the
 * flat Windows names (keeping the original fields), so one rule set serves both exports.
 */
export function flattenWinlogbeat(event: EventRecord): EventRecord {
  const winlog = event.winlog;
  if (!isObject(winlog) || event.Channel !== undefined) return event;
  const out: EventRecord = { ...event };
  const put = (name: string, v: FieldValue | undefined): void => {
    if (v !== undefined && out[name] === undefined) out[name] = v;
  };
  for (const part of ['event_data', 'user_data'] as const) {
    const data = winlog[part];
    if (isObject(data)) for (const [k, v] of Object.entries(data)) put(k, v);
  }
  put('Channel', winlog.channel);
  const id = winlog.event_id;
  put('EventID', typeof id === 'string' && /^[0-9]+$/.test(id) ? Number(id) : id);
  put('Computer', winlog.computer_name);
  put('Provider_Name', winlog.provider_name);
  put('Provider_Guid', winlog.provider_guid);
  put('EventRecordID', winlog.record_id);
  const process = winlog.process;
  if (isObject(process)) {
    put('Execution_ProcessID', process.pid);
    const thread = process.thread;
    if (isObject(thread)) put('Execution_ThreadID', thread.id);
  }
  put('TimeCreated_SystemTime', event['@timestamp']);
  return out;
}
