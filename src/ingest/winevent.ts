/**
 * The one place where a Windows event, read from EVTX or from event XML, becomes the flat
 * object the rest of Lianfang (and the dataset's JSON Lines) use. Both readers build the same
 * small element tree; `flattenEvent` applies the rules of the dataset README, section
 * "JSON Lines format".
 */
import { Buffer } from 'node:buffer';
import type { EventRecord, FieldValue } from '../core/index.js';

export interface WinAttribute {
  name: string;
  value: string;
}

export interface WinElement {
  /** Local name: namespace prefixes are dropped, Windows event XML uses a default namespace. */
  name: string;
  attributes: WinAttribute[];
  children: WinNode[];
}

/**
 * Text, a child element, or raw bytes. Bytes come from EVTX binary values and from the hex
 * text of an XML `<Binary>` element; the flattener renders them as base64, which is what the
 * dataset's converter (python-evtx) wrote for every binary value.
 */
export type WinNode = WinElement | string | Uint8Array;

/** System fields the dataset stores as JSON integers; every other field is a string. */
const INTEGER_FIELDS = new Set([
  'EventID',
  'EventID_Qualifiers',
  'Version',
  'Level',
  'Task',
  'Opcode',
  'EventRecordID',
  'Execution_ProcessID',
  'Execution_ThreadID',
]);

/** System elements that carry only attributes; their (empty) text is not a field. */
const ATTRIBUTE_ELEMENTS = new Set(['Provider', 'TimeCreated', 'Correlation', 'Execution', 'Security']);


export function isElement(node: WinNode): node is WinElement {
  return typeof node === 'object' && !(node instanceof Uint8Array);
}

/** The first child element with this local name, if any. */
export function childElement(parent: WinElement, name: string): WinElement | undefined {
  for (const child of parent.children) {
    if (isElement(child) && child.name === name) return child;
  }
  return undefined;
}

export function attributeValue(element: WinElement, name: string): string | undefined {
  for (const attribute of element.attributes) {
    if (attribute.name === name) return attribute.value;
  }
  return undefined;
}

/** The element's own text (child elements excluded); empty element → "". */
export function textOf(element: WinElement): string {
  const children = element.children;
  if (children.length === 1 && typeof children[0] === 'string') return children[0];
  let text = '';
  for (const child of children) {
    if (typeof child === 'string') text += child;
    else if (child instanceof Uint8Array) text += Buffer.from(child.buffer, child.byteOffset, child.byteLength).toString('base64');
  }
  return text;
}

/** Turns an `<Event>` element into the dataset's flat object. */
export function flattenEvent(event: WinElement): EventRecord {
  const out: EventRecord = {};
  const system = childElement(event, 'System');
  if (system) flattenSystem(system, out);
  const systemFields = new Set(Object.keys(out));
  // Only EventData and UserData carry event data in the dataset; ProcessingErrorData,
  // RenderingInfo and DebugData are left out as its converter left them out.
  for (const section of event.children) {
    if (!isElement(section)) continue;
    if (section.name === 'EventData') flattenEventData(section, out, systemFields);
    else if (section.name === 'UserData') flattenLeaves(section, section.name, out, systemFields);
  }
  return out;
}

function flattenSystem(system: WinElement, out: EventRecord): void {
  for (const child of system.children) {
    if (!isElement(child)) continue;
    // python-evtx rendered absent values as "", so the dataset drops empty System values.
    if (!ATTRIBUTE_ELEMENTS.has(child.name)) {
      const text = textOf(child);
      if (text !== '') putSystemField(out, child.name, text);
    }
    for (const attribute of child.attributes) {
      if (attribute.value === '' || attribute.name === 'xmlns') continue;
      putSystemField(out, `${child.name}_${attribute.name}`, attribute.value);
    }
  }
}

function putSystemField(out: EventRecord, field: string, text: string): void {
  let value: FieldValue = text;
  if (INTEGER_FIELDS.has(field) && isDecimalInteger(text)) value = Number(text);
  else if (field === 'TimeCreated_SystemTime') value = isoSystemTime(text);
  else if (field === 'Keywords') value = paddedKeywords(text);
  else value = upperCaseGuid(text);
  setField(out, field, value);
}

/**
 * Field names come from the file: `__proto__` must become an own property (as JSON.parse
 * makes it), not a prototype assignment.
 */
function setField(out: EventRecord, field: string, value: FieldValue): void {
  if (field === '__proto__') Object.defineProperty(out, field, { value, enumerable: true, writable: true, configurable: true });
  else out[field] = value;
}

function flattenEventData(eventData: WinElement, out: EventRecord, systemFields: Set<string>): void {
  const unnamed: string[] = [];
  for (const child of eventData.children) {
    if (!isElement(child)) continue;
    if (child.name !== 'Data') {
      setField(out, child.name, dataText(child));
      continue;
    }
    const name = attributeValue(child, 'Name');
    if (name) setField(out, systemFields.has(name) ? `EventData_${name}` : name, dataText(child));
    else unnamed.push(dataText(child));
  }
  if (unnamed.length === 1) setField(out, 'Data', unnamed[0]!);
  else if (unnamed.length > 1) setField(out, 'Data', unnamed);
}

/**
 * UserData: every leaf element becomes a field named after the leaf; a leaf that would overwrite a System field becomes `UserData_<leaf>`, one that
 * would overwrite an earlier leaf `<parent>_<leaf>`.
 */
function flattenLeaves(parent: WinElement, sectionName: string, out: EventRecord, systemFields: Set<string>): void {
  for (const child of parent.children) {
    if (!isElement(child)) continue;
    if (child.children.some(isElement)) {
      flattenLeaves(child, sectionName, out, systemFields);
      continue;
    }
    let field = child.name;
    if (systemFields.has(field)) field = `${sectionName}_${field}`;
    else if (Object.hasOwn(out, field)) field = `${parent.name}_${field}`;
    setField(out, field, dataText(child));
  }
}

/** An EventData/UserData value, with the dataset's rewrites of GUIDs and hex integers. */
function dataText(element: WinElement): string {
  return unpaddedHex(upperCaseGuid(textOf(element)));
}

/** `{0197231e-…}` → `{0197231E-…}`: Windows writes GUIDs in upper case. */
export function upperCaseGuid(text: string): string {
  if (text.length !== 38 || text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(37) !== 125 /* } */) return text;
  for (let i = 1; i < 37; i++) {
    const c = text.charCodeAt(i);
    if (i === 9 || i === 14 || i === 19 || i === 24) {
      if (c !== 45 /* - */) return text;
    } else if (!isHexCode(c)) return text;
  }
  return text.toUpperCase();
}

/**
 * `0x001fffff` → `0x1fffff`: Windows writes hex integers without zero padding (rules match
 * `GrantedAccess: '0x1fffff'`). Like the dataset's converter, only lower-case hex is rewritten;
 * mixed-case strings such as Sysmon's `0x0000000002FF0000` are left as written.
 */
export function unpaddedHex(text: string): string {
  if (text.length < 4 || text.charCodeAt(0) !== 48 || text.charCodeAt(1) !== 120 || text.charCodeAt(2) !== 48) return text;
  let firstDigit = 2;
  for (let i = 2; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return text;
    if (c === 48 && firstDigit === i && i < text.length - 1) firstDigit = i + 1;
  }
  return firstDigit === 2 ? text : `0x${text.slice(firstDigit)}`;
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDecimalInteger(text: string): boolean {
  const length = text.length;
  if (length === 0 || length > 15) return false;
  for (let i = text.charCodeAt(0) === 45 /* - */ && length > 1 ? 1 : 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Keywords as the dataset has them: `0x` and 16 lower-case hex digits. */
function paddedKeywords(text: string): string {
  if (text.length < 3 || text.length > 18 || text[0] !== '0' || (text[1] !== 'x' && text[1] !== 'X')) return text;
  const digits = text.slice(2);
  if (!isHex(digits)) return text;
  return `0x${digits.toLowerCase().padStart(16, '0')}`;
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isHexCode(text.charCodeAt(i))) return false;
  return text.length > 0;
}

/**
 * `2019-03-17 19:37:11.661928` (EVTX, python-style) or `2019-03-17T19:37:11.6619283Z`
 * (Windows XML) → `2019-03-17T19:37:11.661928Z`: fraction cut (not rounded) to microseconds
 * and left out when zero, as the dataset writes it. Anything else is kept as it is.
 */
export function isoSystemTime(text: string): string {
  if (text.length < 19 || (text[10] !== ' ' && text[10] !== 'T') || !isDigits(text, 0, 4)) return text;
  let end = text.length;
  if (text[end - 1] === 'Z') end--;
  let fraction = '';
  if (end > 19) {
    if (text[19] !== '.' || end === 20 || !isDigits(text, 20, end)) return text;
    fraction = text.slice(20, Math.min(end, 26)).padEnd(6, '0');
    if (fraction === '000000') fraction = '';
  }
  return `${text.slice(0, 10)}T${text.slice(11, 19)}${fraction ? '.' + fraction : ''}Z`;
}

function isDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
