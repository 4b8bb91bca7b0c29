/**
 * BinXML, the token stream inside EVTX records and templates, read into the shared element
 * tree (`WinElement`). Templates are parsed once per chunk into `TemplateItem`s with
 * substitution slots; each record then only decodes its substitution values and fills them in.
 *
 * All offsets that BinXML stores (element names, template definitions) are relative to the
 * start of the chunk.
 */
import { Buffer } from 'node:buffer';
import type { WinAttribute, WinElement, WinNode } from '../winevent.js';
import { decodeAnsiValue, decodeUtf16, decodeUtf16Value } from './text.js';
import {
  renderArray,
  renderFiletime,
  renderGuid,
  renderHex64,
  renderInt64,
  renderPythonFloat,
  renderSid,
  renderSystemtime,
  renderUint64,
} from './render.js';

/** Bad bytes: where (absolute file offset) and what. Caught per record by the reader. */
export class EvtxFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'EvtxFormatError';
    this.offset = offset;
  }
}

/** A substitution value: text, raw bytes, nested BinXML already read into nodes, or NULL. */
type Value = string | Uint8Array | WinNode[] | null;

const ELEMENT = 0;
const SUBSTITUTION = 1;
const NODES = 2;

interface TemplateElement {
  kind: typeof ELEMENT;
  name: string;
  attributes: TemplateAttribute[];
  children: TemplateItem[];
  /** The finished element when nothing inside depends on substitution values. */
  fixed: WinElement | null;
}

interface TemplateAttribute {
  name: string;
  parts: (string | Substitution)[];
}

interface Substitution {
  kind: typeof SUBSTITUTION;
  index: number;
  type: number;
}

/** Nodes that a template instance inside the stream already produced. */
interface ResolvedNodes {
  kind: typeof NODES;
  nodes: WinNode[];
}

type TemplateItem = string | TemplateElement | Substitution | ResolvedNodes;

interface Template {
  items: TemplateItem[];
}

/** Nesting guards: templates inside BinXML values inside templates…, and elements in elements. */
const MAX_DEPTH = 32;
const MAX_ELEMENT_DEPTH = 256;
const MAX_SUBSTITUTIONS = 0xffff;

const PREDEFINED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Names and templates live in a chunk's record area, after its 512-byte header. */
const CHUNK_HEADER_SIZE = 0x200;

/** The 16-bit hash stored with each name: h = h * 65599 + code unit, over the UTF-16 text. */
function nameHash(bytes: Uint8Array, at: number, count: number): number {
  let hash = 0;
  for (let i = 0; i < count; i++) hash = (Math.imul(hash, 65599) + (bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8))) | 0;
  return hash & 0xffff;
}

/** Per-chunk state shared by all records of the chunk: the name and template caches. */
export class ChunkContext {
  readonly names = new Map<number, string>();
  readonly templates = new Map<number, Template>();
  depth = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
    /** File offset of the chunk. */
    readonly base: number,
    /** File offset where the chunk's readable bytes end (the file may be cut short). */
    readonly end: number,
  ) {}

  /** The element or attribute name stored at a chunk-relative offset. */
  name(offset: number): string {
    const cached = this.names.get(offset);
    if (cached !== undefined) return cached;
    const at = this.base + offset;
    if (offset < 0 || at + 10 > this.end) throw new EvtxFormatError(`name offset 0x${offset.toString(16)} is outside the chunk`, at);
    const count = this.view.getUint16(at + 6, true);
    // XML names are never empty: zeros here mean the name's bytes were lost.
    if (count === 0) throw new EvtxFormatError(`no name is stored at offset 0x${offset.toString(16)}`, at);
    if (at + 8 + 2 * count > this.end) throw new EvtxFormatError('name runs past the end of the chunk', at);
    const name = decodeUtf16(this.bytes, at + 8, count);
    this.names.set(offset, name);
    return name;
  }

  /**
   * How sure it is that a name is stored at this chunk-relative offset: 2 when it was read
   * before or its hash matches its text, 1 when only its length and terminator fit, else 0.
   */
  nameCredibility(offset: number): number {
    if (this.names.has(offset)) return 2;
    const at = this.base + offset;
    if (offset < CHUNK_HEADER_SIZE || at + 10 > this.end) return 0;
    const count = this.view.getUint16(at + 6, true);
    const terminator = at + 8 + 2 * count;
    if (terminator + 2 > this.end || this.view.getUint16(terminator, true) !== 0) return 0;
    return nameHash(this.bytes, at + 8, count) === this.view.getUint16(at + 4, true) ? 2 : 1;
  }

  /** Bytes a name string occupies where it is stored inline. */
  nameSize(offset: number): number {
    const at = this.base + offset;
    if (at + 8 > this.end) throw new EvtxFormatError('name runs past the end of the chunk', at);
    return 10 + 2 * this.view.getUint16(at + 6, true);
  }

  template(offset: number): Template {
    const cached = this.templates.get(offset);
    if (cached) return cached;
    const at = this.base + offset;
    if (offset < 0 || at + 24 > this.end) throw new EvtxFormatError(`template offset 0x${offset.toString(16)} is outside the chunk`, at);
    const size = this.view.getUint32(at + 20, true);
    if (at + 24 + size > this.end) throw new EvtxFormatError('template runs past the end of the chunk', at);
    const template = { items: new FragmentParser(this, at + 24, at + 24 + size, true).stream() };
    this.templates.set(offset, template);
    return template;
  }
}

/** Reads one BinXML fragment (record data, template body or BinXML value) in [pos, limit). */
class FragmentParser {
  private pos: number;
  private elementDepth = 0;
  /** Whether the last start-element token carried a dependency id (see `elementHeaderSize`). */
  private dependencyIds = true;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly chunk: ChunkContext,
    start: number,
    private readonly limit: number,
    /** Substitutions exist only in template definitions. */
    private readonly inTemplate = false,
  ) {
    this.pos = start;
    this.bytes = chunk.bytes;
    this.view = chunk.view;
  }

  /** A whole fragment, up to its end-of-stream token (or the end of its bytes). */
  stream(): TemplateItem[] {
    const chunk = this.chunk;
    if (chunk.depth >= MAX_DEPTH) this.fail('BinXML nested too deeply');
    chunk.depth++;
    try {
      return this.content(false);
    } finally {
      chunk.depth--;
    }
  }

  private fail(message: string): never {
    throw new EvtxFormatError(message, this.pos);
  }

  private need(count: number): void {
    if (this.pos + count > this.limit) this.fail(`BinXML ends early: ${count} more bytes needed`);
  }

  /** Content of an element (until its close-element token) or of a fragment (until end of stream). */
  private content(inElement: boolean): TemplateItem[] {
    const items: TemplateItem[] = [];
    const bytes = this.bytes;
    for (;;) {
      if (!inElement && this.pos >= this.limit) return items;
      this.need(1);
      const token = bytes[this.pos]!;
      switch (token) {
        case 0x00:
          if (inElement) this.fail('end of stream inside an element');
          this.pos++;
          return items;
        case 0x01:
        case 0x41:
          items.push(this.element());
          break;
        case 0x04:
          if (!inElement) this.fail('close-element token outside an element');
          this.pos++;
          return items;
        case 0x05:
        case 0x45:
          items.push(this.valueText());
          break;
        case 0x07:
        case 0x47:
          items.push(this.cdata());
          break;
        case 0x08:
        case 0x48:
          items.push(this.characterReference());
          break;
        case 0x09:
        case 0x49:
          items.push(this.entityReference());
          break;
        case 0x0a:
        case 0x4a:
          this.skipProcessingInstructionTarget();
          break;
        case 0x0b:
          this.skipProcessingInstructionData();
          break;
        case 0x0c:
          items.push({ kind: NODES, nodes: this.templateInstance() });
          // A template instance is the whole fragment: its values end the stream.
          if (!inElement) return items;
          break;
        case 0x0d:
        case 0x0e:
          items.push(this.substitution());
          break;
        case 0x0f:
          this.need(4);
          this.pos += 4;
          break;
        default:
          this.fail(`unknown BinXML token 0x${token.toString(16)}`);
      }
    }
  }

  /** Token, [dependency id (2)], data size (4), name offset (4), [inline name], [attributes]. */
  private element(): TemplateElement {
    const start = this.pos;
    const token = this.bytes[start]!;
    this.pos = start + this.elementHeaderSize(start);
    const name = this.nameAt(this.view.getUint32(this.pos - 4, true));
    const attributes: TemplateAttribute[] = [];
    if (token & 0x40) {
      this.need(4);
      this.pos += 4; // attribute list size: the tokens themselves tell where the list ends
      while (this.pos < this.limit && (this.bytes[this.pos]! & 0x0f) === 0x06) attributes.push(this.attribute());
    }
    this.need(1);
    const close = this.bytes[this.pos++]!;
    let children: TemplateItem[];
    if (close === 0x03) children = [];
    else if (close === 0x02) children = this.elementContent(name);
    else {
      this.pos--;
      this.fail(`element <${name}>: expected close-start or close-empty token, found 0x${close.toString(16)}`);
    }
    const element: TemplateElement = { kind: ELEMENT, name, attributes, children, fixed: null };
    if (isFixed(element)) element.fixed = instantiateElement(element, []);
    return element;
  }

  /**
   * 11 when the start-element token carries the 2-byte dependency id, 9 when it does not.
   * Windows writes it in records and template definitions, but not in BinXML held in a
   * substitution value (CAPI2's UserData) nor in records built without templates (events
   * forwarded by WEC), so the bytes decide. A name stored inline starts right after the header
   * and its offset says so; otherwise each layout is scored on whether its name offset points
   * at a name (known, or one whose stored hash matches) and whether its data size fits in the
   * fragment. Read the wrong way, both fields take bytes of the other layout's size and
   * offset and come out far beyond a 64 KiB chunk, so the layouts never score alike in
   * practice; if they do, the layout of the previous element wins.
   */
  private elementHeaderSize(start: number): number {
    this.need(9);
    const view = this.view;
    const at = start - this.chunk.base;
    const fitsDependencyId = start + 11 <= this.limit;
    if (fitsDependencyId && view.getUint32(start + 7, true) === at + 11) return this.layout(true);
    if (view.getUint32(start + 5, true) === at + 9) return this.layout(false);
    const withId = fitsDependencyId ? this.layoutScore(start, 11) : -1;
    const withoutId = this.layoutScore(start, 9);
    if (withId === withoutId) return this.layout(fitsDependencyId && this.dependencyIds);
    return this.layout(withId > withoutId);
  }

  private layout(dependencyId: boolean): number {
    this.dependencyIds = dependencyId;
    return dependencyId ? 11 : 9;
  }

  /** 2 per credible name, 1 for a data size that ends inside the fragment. */
  private layoutScore(start: number, headerSize: number): number {
    const sizeEnd = start + headerSize - 4;
    const fits = sizeEnd + this.view.getUint32(sizeEnd - 4, true) <= this.limit ? 1 : 0;
    return 2 * this.chunk.nameCredibility(this.view.getUint32(sizeEnd, true)) + fits;
  }

  private elementContent(name: string): TemplateItem[] {
    if (++this.elementDepth > MAX_ELEMENT_DEPTH) this.fail(`<${name}> is nested deeper than ${MAX_ELEMENT_DEPTH} elements`);
    const children = this.content(true);
    this.elementDepth--;
    return children;
  }

  /**
   * Names are stored once per chunk: the first use carries the string inline, right after the
   * offset (which then points here); later uses only point back to it.
   */
  private nameAt(nameOffset: number): string {
    const name = this.chunk.name(nameOffset);
    if (nameOffset === this.pos - this.chunk.base) {
      const size = this.chunk.nameSize(nameOffset);
      this.need(size);
      this.pos += size;
    }
    return name;
  }

  private attribute(): TemplateAttribute {
    const start = this.pos;
    this.need(5);
    const nameOffset = this.view.getUint32(start + 1, true);
    this.pos += 5;
    const name = this.nameAt(nameOffset);
    const parts: (string | Substitution)[] = [];
    for (;;) {
      this.need(1);
      const token = this.bytes[this.pos]!;
      if (token === 0x05 || token === 0x45) parts.push(this.valueText());
      else if (token === 0x0d || token === 0x0e) parts.push(this.substitution());
      else if (token === 0x08 || token === 0x48) parts.push(this.characterReference());
      else if (token === 0x09 || token === 0x49) parts.push(this.entityReference());
      else break;
    }
    return { name, parts };
  }

  /** Literal text: token, value type, then a length-prefixed value. */
  private valueText(): string {
    this.need(2);
    const type = this.bytes[this.pos + 1]!;
    this.pos += 2;
    if (type === 0x01 || type === 0x02) {
      this.need(2);
      const count = this.view.getUint16(this.pos, true);
      this.pos += 2;
      const size = type === 0x01 ? 2 * count : count;
      this.need(size);
      const at = this.pos;
      this.pos += size;
      return type === 0x01 ? decodeUtf16(this.bytes, at, count) : decodeAnsiValue(this.bytes, at, size);
    }
    const size = FIXED_SIZES[type];
    if (size === undefined) this.fail(`value text of type 0x${type.toString(16)} has no known size`);
    this.need(size);
    const value = decodeValue(this.chunk, type, this.pos, size);
    this.pos += size;
    return typeof value === 'string' ? value : '';
  }

  private cdata(): string {
    this.need(3);
    const count = this.view.getUint16(this.pos + 1, true);
    this.pos += 3;
    this.need(2 * count);
    const text = decodeUtf16(this.bytes, this.pos, count);
    this.pos += 2 * count;
    return text;
  }

  private characterReference(): string {
    this.need(3);
    const code = this.view.getUint16(this.pos + 1, true);
    this.pos += 3;
    return String.fromCharCode(code);
  }

  private entityReference(): string {
    const start = this.pos;
    this.need(5);
    const nameOffset = this.view.getUint32(start + 1, true);
    this.pos += 5;
    const name = this.nameAt(nameOffset);
    return PREDEFINED_ENTITIES[name] ?? `&${name};`;
  }

  private skipProcessingInstructionTarget(): void {
    const start = this.pos;
    this.need(5);
    const nameOffset = this.view.getUint32(start + 1, true);
    this.pos += 5;
    this.nameAt(nameOffset);
  }

  private skipProcessingInstructionData(): void {
    this.need(3);
    const count = this.view.getUint16(this.pos + 1, true);
    this.pos += 3;
    this.need(2 * count);
    this.pos += 2 * count;
  }

  private substitution(): Substitution {
    if (!this.inTemplate) this.fail('substitution outside a template');
    this.need(4);
    const index = this.view.getUint16(this.pos + 1, true);
    const type = this.bytes[this.pos + 3]!;
    this.pos += 4;
    return { kind: SUBSTITUTION, index, type };
  }

  /**
   * Token, unknown (1), template id (4), definition offset (4); the definition itself follows
   * when this is its first use in the chunk (the offset then points right here), else it is
   * stored elsewhere in the chunk; then the substitution array.
   */
  private templateInstance(): WinNode[] {
    const start = this.pos;
    this.need(10);
    const definitionOffset = this.view.getUint32(start + 6, true);
    this.pos += 10;
    const template = this.chunk.template(definitionOffset);
    if (definitionOffset === this.pos - this.chunk.base) {
      const size = 24 + this.view.getUint32(this.chunk.base + definitionOffset + 20, true);
      this.need(size);
      this.pos += size;
    }
    return instantiate(template.items, this.substitutionValues());
  }

  /** Count (4), then per value its size (2), type (1) and a padding byte, then the values. */
  private substitutionValues(): Value[] {
    this.need(4);
    const count = this.view.getUint32(this.pos, true);
    this.pos += 4;
    if (count > MAX_SUBSTITUTIONS) this.fail(`implausible substitution count ${count}`);
    this.need(4 * count);
    const descriptors = this.pos;
    this.pos += 4 * count;
    const values: Value[] = new Array<Value>(count);
    for (let i = 0; i < count; i++) {
      const size = this.view.getUint16(descriptors + 4 * i, true);
      const type = this.bytes[descriptors + 4 * i + 2]!;
      this.need(size);
      values[i] = decodeValue(this.chunk, type, this.pos, size);
      this.pos += size;
    }
    return values;
  }
}

/** Reads a record's BinXML (between `start` and `end`) into nodes. */
export function readRecordFragment(chunk: ChunkContext, start: number, end: number): WinNode[] {
  chunk.depth = 0;
  return readFragment(chunk, start, end);
}

function readFragment(chunk: ChunkContext, start: number, end: number): WinNode[] {
  return instantiate(new FragmentParser(chunk, start, end).stream(), []);
}

function isFixed(element: TemplateElement): boolean {
  for (const attribute of element.attributes) {
    for (const part of attribute.parts) if (typeof part !== 'string') return false;
  }
  for (const child of element.children) {
    if (typeof child === 'string' || child.kind === NODES) continue;
    if (child.kind === SUBSTITUTION || child.fixed === null) return false;
  }
  return true;
}

function instantiate(items: TemplateItem[], values: Value[]): WinNode[] {
  const nodes: WinNode[] = [];
  for (const item of items) appendItem(item, values, nodes);
  return nodes;
}

function appendItem(item: TemplateItem, values: Value[], nodes: WinNode[]): void {
  if (typeof item === 'string') {
    nodes.push(item);
  } else if (item.kind === ELEMENT) {
    nodes.push(item.fixed ?? instantiateElement(item, values));
  } else if (item.kind === SUBSTITUTION) {
    appendValue(values[item.index] ?? null, nodes);
  } else {
    for (const node of item.nodes) nodes.push(node);
  }
}

function instantiateElement(element: TemplateElement, values: Value[]): WinElement {
  const attributes: WinAttribute[] = new Array<WinAttribute>(element.attributes.length);
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes[i]!;
    attributes[i] = { name: attribute.name, value: attributeText(attribute, values) };
  }
  return { name: element.name, attributes, children: instantiate(element.children, values) };
}

function attributeText(attribute: TemplateAttribute, values: Value[]): string {
  const parts = attribute.parts;
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = values[part.index] ?? null;
    if (typeof value === 'string') text += value;
    else if (value instanceof Uint8Array) text += Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  return text;
}

function appendValue(value: Value, nodes: WinNode[]): void {
  if (value === null) return;
  if (typeof value === 'string') {
    if (value !== '') nodes.push(value);
  } else if (value instanceof Uint8Array) {
    nodes.push(value);
  } else {
    for (const node of value) nodes.push(node);
  }
}

/** Sizes of the fixed-size value types, used for arrays and for literal values. */
const FIXED_SIZES: Record<number, number> = {
  0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8,
  0x0b: 4, 0x0c: 8, 0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8,
};

/** One substitution value of `size` bytes at `at`, rendered to text (or bytes / nodes). */
function decodeValue(chunk: ChunkContext, type: number, at: number, size: number): Value {
  const { bytes, view } = chunk;
  if (type === 0x01) return decodeUtf16Value(bytes, at, size);
  if (type === 0x00) return null;
  if (type === 0x0e) return size === 0 ? null : bytes.subarray(at, at + size);
  if (type === 0x21) return size === 0 ? null : readFragment(chunk, at, at + size);
  if (type & 0x80) return renderArray(arrayItems(chunk, type & 0x7f, at, size));
  const fixedSize = FIXED_SIZES[type];
  if (fixedSize !== undefined && size < fixedSize) {
    if (size === 0) return null;
    if (type !== 0x0d) throw new EvtxFormatError(`value of type 0x${type.toString(16)} has ${size} bytes, needs ${fixedSize}`, at);
  }
  switch (type) {
    case 0x02: return decodeAnsiValue(bytes, at, size);
    case 0x03: return String(view.getInt8(at));
    case 0x04: return String(view.getUint8(at));
    case 0x05: return String(view.getInt16(at, true));
    case 0x06: return String(view.getUint16(at, true));
    case 0x07: return String(view.getInt32(at, true));
    case 0x08: return String(view.getUint32(at, true));
    case 0x09: return renderInt64(view, at);
    case 0x0a: return renderUint64(view, at);
    case 0x0b: return renderPythonFloat(view.getFloat32(at, true));
    case 0x0c: return renderPythonFloat(view.getFloat64(at, true));
    case 0x0d: return booleanText(view, at, size);
    case 0x0f: return renderGuid(bytes, at);
    // size_t (pointer-sized: handles, process ids in older Security events) is hex in Windows'
    // rendering (`HandleId 0x7eec`) and the evtx crate's; python-evtx wrote it in decimal, but
    // the dataset holds no such value, and Windows' rendering is what rules are written against.
    case 0x10: return size >= 8 ? renderHex64(view, at) : size >= 4 ? `0x${view.getUint32(at, true).toString(16)}` : null;
    case 0x11: return renderFiletime(view, at);
    case 0x12: return renderSystemtime(view, at);
    case 0x13: return renderSid(view, at, size);
    case 0x14: return `0x${view.getUint32(at, true).toString(16)}`;
    case 0x15: return renderHex64(view, at);
    default: throw new EvtxFormatError(`unknown value type 0x${type.toString(16)}`, at);
  }
}

/** python-evtx: `True` when the 32-bit value is positive. */
function booleanText(view: DataView, at: number, size: number): string {
  const value = size >= 4 ? view.getInt32(at, true) : size >= 2 ? view.getInt16(at, true) : view.getInt8(at);
  return value > 0 ? 'True' : 'False';
}

/** Items of an array value: NUL-terminated strings, SIDs one after another, or fixed-size items. */
function arrayItems(chunk: ChunkContext, type: number, at: number, size: number): string[] {
  if (type === 0x01) return splitTerminated(decodeUtf16(chunk.bytes, at, size >> 1));
  if (type === 0x02) return splitTerminated(decodeAnsiValue(chunk.bytes, at, size) + '\0');
  const items: string[] = [];
  if (type === 0x13) {
    for (let offset = 0; offset + 8 <= size; ) {
      const itemSize = 8 + 4 * chunk.view.getUint8(at + offset + 1);
      items.push(renderSid(chunk.view, at + offset, size - offset));
      offset += itemSize;
    }
    return items;
  }
  const itemSize = FIXED_SIZES[type];
  if (itemSize === undefined) throw new EvtxFormatError(`unknown array type 0x${(type | 0x80).toString(16)}`, at);
  for (let offset = 0; offset + itemSize <= size; offset += itemSize) {
    const item = decodeValue(chunk, type, at + offset, itemSize);
    items.push(typeof item === 'string' ? item : '');
  }
  return items;
}

/** Each item ends with NUL; text after the last NUL is one more item when not empty. */
function splitTerminated(text: string): string[] {
  const items = text.split('\0');
  if (items[items.length - 1] === '') items.pop();
  return items;
}
