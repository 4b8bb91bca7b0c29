/**
 * Windows events: event XML (read by the shared winxml reader and flattened by flattenEvent)
 * and Winlogbeat JSON (lifted by flattenWinlogbeat). Both keep the flat names Sigma rules use
 * (`Channel`, `EventID`, `Image`, …) at the top level and gain the ECS fields `event.code`,
 * `host.name`, `winlog.channel`, `winlog.record_id` and `@timestamp`.
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { flattenWinlogbeat } from '../jsonl.js';
import { readEventXml } from '../winxml/index.js';
import { at } from './context.js';
import type { ParseContext } from './context.js';
import { get, getString, isRecord, put, setOwn } from './fields.js';

function str(value: FieldValue | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** ECS fields from the flat Windows names, written only where the event has none. */
export function putWindowsEcs(event: EventRecord): void {
  const putIfAbsent = (path: string, value: FieldValue | undefined): void => {
    if (get(event, path) === undefined) put(event, path, value);
  };
  putIfAbsent('event.code', str(event.EventID));
  putIfAbsent('event.kind', 'event');
  putIfAbsent('host.name', str(event.Computer));
  putIfAbsent('winlog.channel', str(event.Channel));
  const record = event.EventRecordID;
  putIfAbsent('winlog.record_id', typeof record === 'number' ? record : str(record));
  putIfAbsent('winlog.provider_name', str(event.Provider_Name));
  putIfAbsent('winlog.event_id', str(event.EventID));
  putIfAbsent('winlog.computer_name', str(event.Computer));
  // The event's own time wins over a syslog header's.
  put(event, '@timestamp', str(event.TimeCreated_SystemTime));
}

/** The `<Event>` element at `from`: its flat fields join the event, then the ECS ones. */
export function parseWindowsXml(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext): boolean {
  for (const item of readEventXml(from === 0 ? text : text.slice(from))) {
    if (!item.ok) {
      ctx.problems.push(`Windows event XML: ${item.reason} ${at(offset + from + item.offset)}`);
      if (item.index > 0 || item.reason.startsWith('text outside')) continue;
      return false;
    }
    for (const key of Object.keys(item.event)) setOwn(event, key, item.event[key]!);
    putWindowsEcs(event);
    return true;
  }
  return false;
}

/** Winlogbeat's nested `winlog.*` lifted to the flat names, then the ECS fields it lacks. */
export function putWinlogbeat(record: EventRecord, event: EventRecord): void {
  const flat = flattenWinlogbeat(record);
  for (const key of Object.keys(flat)) {
    const value = flat[key]!;
    const existing = Object.hasOwn(event, key) ? event[key] : undefined;
    if (isRecord(existing) && isRecord(value)) {
      for (const inner of Object.keys(value)) setOwn(existing, inner, value[inner]!);
    } else setOwn(event, key, value);
  }
  const winlog = isRecord(event.winlog) ? event.winlog : {};
  if (getString(event, 'event.code') === undefined) put(event, 'event.code', str(winlog.event_id));
  if (getString(event, 'host.name') === undefined) put(event, 'host.name', str(winlog.computer_name));
}
