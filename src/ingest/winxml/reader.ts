/**
 * Windows event XML as `wevtutil qe /f:xml` or `Get-WinEvent | % ToXml` write it: one or many
 * `<Event>` elements, bare or inside a wrapper such as `<Events>`. Each event is read on its
 * own, so a broken one is reported (with its character offset) and the others still come out.
 */
import type { EventRecord } from '../../core/index.js';
import { childElement, flattenEvent, isElement, textOf } from '../winevent.js';
import type { WinElement } from '../winevent.js';
import { readElement, readEndTag, readStartTag, skipPast, UnclosedElementError, XmlError } from './xml.js';

/** `index` counts `<Event>` elements from 0 in file order; `offset` is a character offset into the text. */
export type WinXmlItem =
  | { ok: true; index: number; event: EventRecord }
  | { ok: false; index: number; offset: number; reason: string };

const EVENT = 'Event';

export function* readEventXml(text: string): Generator<WinXmlItem> {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let index = 0;
  let strayTextReported = false;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt < 0 ? text.length : lt;
    if (!strayTextReported && !isBlank(text, pos, textEnd)) {
      strayTextReported = true;
      yield { ok: false, index, offset: firstNonBlank(text, pos), reason: 'text outside any <Event> element (ignored)' };
    }
    if (lt < 0) return;
    const step = readAt(text, lt);
    pos = step.next;
    if (step.event) yield { ok: true, index: index++, event: step.event };
    else if (step.problem) yield { ok: false, index: step.isEvent ? index++ : index, ...step.problem };
  }
}

interface Step {
  next: number;
  isEvent: boolean;
  event?: EventRecord;
  problem?: { offset: number; reason: string };
}

/** What starts at `lt`: an event (read, or a problem), or markup to step over. */
function readAt(text: string, lt: number): Step {
  const isEvent = isEventStart(text, lt);
  try {
    if (!isEvent) return { next: skipMarkup(text, lt), isEvent };
    const { element, end } = readElement(text, lt);
    return { next: end, isEvent, event: flattenEvent(withBinaryBytes(element)) };
  } catch (error) {
    // Whatever the text makes the reader do, it stays this event's (or this tag's) problem.
    const offset = error instanceof XmlError ? error.offset : lt;
    const reason = error instanceof Error ? error.message : String(error);
    const next = error instanceof UnclosedElementError ? offset : nextEventStart(text, Math.max(offset, lt + 1));
    return { next, isEvent, problem: { offset, reason } };
  }
}

/** Declarations, comments and the tags of wrapper elements around the events. */
function skipMarkup(text: string, lt: number): number {
  if (text.startsWith('<?', lt)) return skipPast(text, lt, '?>', 'processing instruction');
  if (text.startsWith('<!--', lt)) return skipPast(text, lt, '-->', 'comment');
  if (text.startsWith('<!', lt)) return skipDeclaration(text, lt);
  if (text.startsWith('</', lt)) return readEndTag(text, lt).end;
  return readStartTag(text, lt).end;
}

/** A DOCTYPE is skipped, internal subset and all; nothing it declares is ever used. */
function skipDeclaration(text: string, lt: number): number {
  const gt = text.indexOf('>', lt);
  const bracket = text.indexOf('[', lt);
  if (bracket >= 0 && (gt < 0 || bracket < gt)) return skipPast(text, skipPast(text, bracket, ']', 'DOCTYPE internal subset'), '>', 'DOCTYPE');
  return skipPast(text, lt, '>', 'declaration');
}

/** `<Event` (with any namespace prefix) followed by white space, `>` or `/`. */
function isEventStart(text: string, lt: number): boolean {
  let nameStart = lt + 1;
  let pos = nameStart;
  for (;;) {
    const code = text.charCodeAt(pos);
    if (Number.isNaN(code) || code === 32 || code === 9 || code === 10 || code === 13 || code === 62 || code === 47) break;
    if (code === 58 /* : */) nameStart = pos + 1;
    pos++;
  }
  return pos - nameStart === EVENT.length && text.startsWith(EVENT, nameStart);
}

function nextEventStart(text: string, from: number): number {
  for (let lt = text.indexOf('<', from); lt >= 0; lt = text.indexOf('<', lt + 1)) {
    if (isEventStart(text, lt)) return lt;
  }
  return text.length;
}

/**
 * Windows writes `<Binary>` as hex; as bytes it flattens to base64 like the EVTX reader's
 * binary values, so both readers give the same object.
 */
function withBinaryBytes(event: WinElement): WinElement {
  const eventData = childElement(event, 'EventData');
  if (!eventData) return event;
  for (const child of eventData.children) {
    if (!isElement(child) || child.name !== 'Binary') continue;
    const bytes = hexBytes(textOf(child).trim());
    if (bytes) child.children = [bytes];
  }
  return event;
}

function hexBytes(hex: string): Uint8Array | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const high = hexDigit(hex.charCodeAt(2 * i));
    const low = hexDigit(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return false;
  }
  return true;
}

function firstNonBlank(text: string, from: number): number {
  let pos = from;
  while (pos < text.length && isBlank(text, pos, pos + 1)) pos++;
  return pos;
}
