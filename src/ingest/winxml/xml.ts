/**
 * A small XML reader for Windows event XML, written for untrusted input: one forward scan with
 * indexOf (the only regular expression is a one-character class, which cannot backtrack), no
 * DTD and no entities beyond the five predefined ones and numeric character references. It reads one element (with everything inside it) into the
 * shared `WinElement` tree.
 */
import type { WinAttribute, WinElement } from '../winevent.js';

export class XmlError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'XmlError';
    this.offset = offset;
  }
}

/** An element named like the one being read starts inside it: the outer one was never closed. */
export class UnclosedElementError extends XmlError {}

/** Deeper nesting than any event has; a guard for hostile input. */
const MAX_DEPTH = 256;

const PREDEFINED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Reads the element whose start tag begins at `start` (a `<`); returns it and the offset after
 * it. Events never nest, so a start tag with the root's own name inside it means the root was
 * left unclosed: that is reported at the inner tag's offset, where the caller can start again.
 */
export function readElement(text: string, start: number): { element: WinElement; end: number } {
  const stack: WinElement[] = [];
  let pos = start;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) throw new XmlError(`unexpected end of text inside <${stack[stack.length - 1]?.name ?? '?'}>`, text.length);
    if (lt > pos && stack.length > 0) appendText(stack[stack.length - 1]!, decodeText(text, pos, lt));
    else if (lt > pos) throw new XmlError('text before the start tag', pos);
    pos = lt;
    if (text.startsWith('</', pos)) {
      const { name, end } = readEndTag(text, pos);
      const open = stack.pop();
      if (!open) throw new XmlError(`end tag </${name}> without a start tag`, pos);
      if (localName(name) !== open.name) throw new XmlError(`end tag </${name}> does not close <${open.name}>`, pos);
      pos = end;
      if (stack.length === 0) return { element: open, end: pos };
    } else if (text.startsWith('<!--', pos)) {
      pos = skipPast(text, pos, '-->', 'comment');
    } else if (text.startsWith('<![CDATA[', pos)) {
      const close = text.indexOf(']]>', pos + 9);
      if (close < 0) throw new XmlError('CDATA section is not closed', pos);
      if (stack.length === 0) throw new XmlError('CDATA section before the start tag', pos);
      appendText(stack[stack.length - 1]!, normaliseLineEnds(text.slice(pos + 9, close)));
      pos = close + 3;
    } else if (text.startsWith('<?', pos)) {
      pos = skipPast(text, pos, '?>', 'processing instruction');
    } else if (text.startsWith('<!', pos)) {
      throw new XmlError('declarations (DOCTYPE, ENTITY…) are not allowed inside an element', pos);
    } else {
      const tag = readStartTag(text, pos);
      if (stack.length > 0 && tag.element.name === stack[0]!.name) {
        throw new UnclosedElementError(`<${stack[0]!.name}> is not closed before the next <${tag.element.name}>`, lt);
      }
      if (stack.length > 0) stack[stack.length - 1]!.children.push(tag.element);
      pos = tag.end;
      if (tag.selfClosing) {
        if (stack.length === 0) return { element: tag.element, end: pos };
      } else {
        if (stack.length >= MAX_DEPTH) throw new XmlError(`elements nested deeper than ${MAX_DEPTH}`, lt);
        stack.push(tag.element);
      }
    }
  }
}

/** Offset just after `terminator`, which must follow `from`. */
export function skipPast(text: string, from: number, terminator: string, what: string): number {
  const at = text.indexOf(terminator, from);
  if (at < 0) throw new XmlError(`${what} is not closed`, from);
  return at + terminator.length;
}

function appendText(element: WinElement, value: string): void {
  const children = element.children;
  const last = children.length - 1;
  if (last >= 0 && typeof children[last] === 'string') children[last] = (children[last] as string) + value;
  else children.push(value);
}

function isNameEnd(code: number): boolean {
  // whitespace, '/', '>', '=', or end of text (NaN)
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 47 || code === 62 || code === 61 || Number.isNaN(code);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function readName(text: string, from: number): { name: string; end: number } {
  let end = from;
  while (!isNameEnd(text.charCodeAt(end))) {
    const code = text.charCodeAt(end);
    if (code === 60 || code === 34 || code === 39 || code === 38) throw new XmlError(`character '${text[end]}' in a name`, end);
    end++;
  }
  if (end === from) throw new XmlError('a name is missing', from);
  const first = text.charCodeAt(from);
  if ((first >= 48 && first <= 57) || first === 45 || first === 46) throw new XmlError(`name cannot start with '${text[from]}'`, from);
  return { name: text.slice(from, end), end };
}

function skipSpace(text: string, from: number): number {
  let pos = from;
  while (isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

export function readEndTag(text: string, at: number): { name: string; end: number } {
  const { name, end } = readName(text, at + 2);
  const close = skipSpace(text, end);
  if (text.charCodeAt(close) !== 62) throw new XmlError(`end tag </${name}> is not closed with '>'`, close);
  return { name, end: close + 1 };
}

export function readStartTag(text: string, at: number): { element: WinElement; end: number; selfClosing: boolean } {
  const { name, end: nameEnd } = readName(text, at + 1);
  const attributes: WinAttribute[] = [];
  const seen = new Set<string>();
  let pos = nameEnd;
  for (;;) {
    const afterSpace = skipSpace(text, pos);
    const code = text.charCodeAt(afterSpace);
    if (code === 62) return { element: { name: localName(name), attributes, children: [] }, end: afterSpace + 1, selfClosing: false };
    if (code === 47) {
      if (text.charCodeAt(afterSpace + 1) !== 62) throw new XmlError(`'/' not followed by '>' in <${name}>`, afterSpace);
      return { element: { name: localName(name), attributes, children: [] }, end: afterSpace + 2, selfClosing: true };
    }
    if (Number.isNaN(code)) throw new XmlError(`start tag <${name}> is not closed`, at);
    if (afterSpace === pos) throw new XmlError(`attributes of <${name}> must be separated by white space`, pos);
    const attribute = readAttribute(text, afterSpace);
    if (seen.has(attribute.name)) throw new XmlError(`attribute ${attribute.name} appears twice in <${name}>`, afterSpace);
    seen.add(attribute.name);
    // Namespace declarations say nothing about the event.
    if (attribute.name !== 'xmlns' && !attribute.name.startsWith('xmlns:')) {
      attributes.push({ name: localName(attribute.name), value: attribute.value });
    }
    pos = attribute.end;
  }
}

function readAttribute(text: string, at: number): { name: string; value: string; end: number } {
  const { name, end: nameEnd } = readName(text, at);
  let pos = skipSpace(text, nameEnd);
  if (text.charCodeAt(pos) !== 61) throw new XmlError(`attribute ${name} has no '='`, pos);
  pos = skipSpace(text, pos + 1);
  const quote = text[pos];
  if (quote !== '"' && quote !== "'") throw new XmlError(`value of attribute ${name} is not quoted`, pos);
  const close = text.indexOf(quote, pos + 1);
  if (close < 0) throw new XmlError(`value of attribute ${name} is not closed`, pos);
  const lt = text.indexOf('<', pos + 1);
  if (lt >= 0 && lt < close) throw new XmlError(`'<' in the value of attribute ${name}`, lt);
  return { name, value: decodeText(text, pos + 1, close, normaliseAttribute), end: close + 1 };
}

/**
 * XML attribute-value normalisation of literal text: CR LF, CR, LF and tab each become one
 * space (references such as `&#10;` keep their character).
 */
function normaliseAttribute(value: string): string {
  if (value.indexOf('\t') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) return value;
  return value.split('\r\n').join(' ').replace(/[\t\n\r]/g, ' ');
}

/** Line ends as XML delivers them: CR LF and lone CR become LF. */
function normaliseLineEnds(value: string): string {
  if (value.indexOf('\r') < 0) return value;
  return value.split('\r\n').join('\n').split('\r').join('\n');
}

/**
 * Text between `from` and `to` with entity and character references replaced. Line ends (or,
 * in attributes, white space) are normalised in the literal text only: a `&#13;` reference is
 * a real CR and stays one.
 */
function decodeText(text: string, from: number, to: number, literal: (value: string) => string = normaliseLineEnds): string {
  let amp = text.indexOf('&', from);
  if (amp < 0 || amp >= to) return literal(text.slice(from, to));
  let result = '';
  let pos = from;
  while (amp >= 0 && amp < to) {
    result += literal(text.slice(pos, amp));
    const semicolon = text.indexOf(';', amp + 1);
    if (semicolon < 0 || semicolon >= to || semicolon - amp > 12) throw new XmlError("'&' that does not start a reference (write &amp;)", amp);
    result += decodeReference(text.slice(amp + 1, semicolon), amp);
    pos = semicolon + 1;
    amp = text.indexOf('&', pos);
  }
  return result + literal(text.slice(pos, to));
}

function decodeReference(reference: string, offset: number): string {
  if (reference.charCodeAt(0) !== 35 /* # */) {
    const value = PREDEFINED_ENTITIES[reference];
    if (value === undefined) throw new XmlError(`unknown entity &${reference}; (only the five XML entities are expanded)`, offset);
    return value;
  }
  const hex = reference[1] === 'x';
  const digits = reference.slice(hex ? 2 : 1);
  const code = digits.length > 0 && isDigitsIn(digits, hex) ? Number.parseInt(digits, hex ? 16 : 10) : NaN;
  if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
    throw new XmlError(`invalid character reference &${reference};`, offset);
  }
  return String.fromCodePoint(code);
}

function isDigitsIn(digits: string, hex: boolean): boolean {
  for (let i = 0; i < digits.length; i++) {
    const code = digits.charCodeAt(i) | (hex ? 0x20 : 0);
    const digit = code >= 48 && code <= 57;
    if (!digit && !(hex && code >= 97 && code <= 102)) return false;
  }
  return true;
}
