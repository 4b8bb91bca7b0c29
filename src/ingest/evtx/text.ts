/**
 * UTF-16LE and ANSI decoding straight from the file buffer. Short strings (names, most values)
 * are decoded by hand, which is cheaper than a TextDecoder call; long ones go to the decoder.
 *
 * C0 control characters other than tab, LF and CR are dropped: XML cannot carry them, and the
 * dataset's converter (python-evtx) removed them while rendering XML (`\x02-` → `-`).
 */

const utf16Decoder = new TextDecoder('utf-16le');
const SHORT_STRING = 32;
/** One reusable code-unit array per short length, so decoding allocates only the string. */
const scratch: number[][] = Array.from({ length: SHORT_STRING + 1 }, (_, length) => new Array<number>(length).fill(0));

/** `count` UTF-16 code units from `at`; the caller has checked the bounds. */
export function decodeUtf16(bytes: Uint8Array, at: number, count: number): string {
  if (count <= 0) return '';
  if (count > SHORT_STRING) return withoutControls(utf16Decoder.decode(bytes.subarray(at, at + 2 * count)));
  const codes = scratch[count]!;
  let unusual = false;
  for (let i = 0; i < count; i++) {
    const code = bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8);
    if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) unusual = true;
    codes[i] = code;
  }
  // Unpaired surrogates must become U+FFFD exactly as the decoder would make them.
  if (unusual) return withoutControls(utf16Decoder.decode(bytes.subarray(at, at + 2 * count)));
  return String.fromCharCode.apply(null, codes);
}

const CONTROLS = /[\x01-\x08\x0b\x0c\x0e-\x1f]/g;

function withoutControls(text: string): string {
  CONTROLS.lastIndex = 0;
  return CONTROLS.test(text) ? text.replace(CONTROLS, '') : text;
}

/** UTF-16 text with trailing NULs removed (Windows stores terminators in many values). */
export function decodeUtf16Value(bytes: Uint8Array, at: number, size: number): string {
  let count = size >> 1;
  while (count > 0 && bytes[at + 2 * count - 2] === 0 && bytes[at + 2 * count - 1] === 0) count--;
  return decodeUtf16(bytes, at, count);
}

/** ANSI strings carry no code page; Latin-1 keeps every byte visible. */
export function decodeAnsiValue(bytes: Uint8Array, at: number, size: number): string {
  let end = at + size;
  while (end > at && bytes[end - 1] === 0) end--;
  let text = '';
  for (let i = at; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return withoutControls(text);
}
