/**
 * Text renderings of EVTX substitution values. The dataset was made with python-evtx 0.6.1,
 * so numbers, times, booleans and binary are written the way it writes them; GUIDs and hex
 * integers the way Windows does (the dataset's converter rewrote those two).
 */

const HEX_UPPER = '0123456789ABCDEF';

/** `{0197231E-1B9C-4BB9-9AE6-8A2F2E5D4C3B}`: little-endian Data1..3, Data4 as stored. */
export function renderGuid(bytes: Uint8Array, at: number): string {
  let text = '{';
  for (let i = 3; i >= 0; i--) text += hexByte(bytes[at + i]!);
  text += '-';
  text += hexByte(bytes[at + 5]!) + hexByte(bytes[at + 4]!);
  text += '-';
  text += hexByte(bytes[at + 7]!) + hexByte(bytes[at + 6]!);
  text += '-';
  text += hexByte(bytes[at + 8]!) + hexByte(bytes[at + 9]!);
  text += '-';
  for (let i = 10; i < 16; i++) text += hexByte(bytes[at + i]!);
  return text + '}';
}

function hexByte(value: number): string {
  return HEX_UPPER[value >> 4]! + HEX_UPPER[value & 15]!;
}

/** `S-1-5-21-…`: revision, 48-bit big-endian authority, then little-endian sub-authorities. */
export function renderSid(view: DataView, at: number, size: number): string {
  const revision = view.getUint8(at);
  const count = view.getUint8(at + 1);
  if (8 + 4 * count > size) throw new RangeError(`SID of ${count} sub-authorities does not fit in ${size} bytes`);
  const authority = view.getUint32(at + 2, false) * 65536 + view.getUint16(at + 6, false);
  let text = `S-${revision}-${authority}`;
  for (let i = 0; i < count; i++) text += `-${view.getUint32(at + 8 + 4 * i, true)}`;
  return text;
}

/** Unsigned 64-bit decimal, exact beyond 2^53. */
export function renderUint64(view: DataView, at: number): string {
  const high = view.getUint32(at + 4, true);
  if (high < 0x200000) return String(high * 4294967296 + view.getUint32(at, true));
  return view.getBigUint64(at, true).toString();
}

export function renderInt64(view: DataView, at: number): string {
  const high = view.getInt32(at + 4, true);
  if (high >= -0x200000 && high < 0x200000) return String(high * 4294967296 + view.getUint32(at, true));
  return view.getBigInt64(at, true).toString();
}

/** Windows' hex rendering: `0x1fffff`, no zero padding. */
export function renderHex64(view: DataView, at: number): string {
  const high = view.getUint32(at + 4, true);
  const low = view.getUint32(at, true);
  if (high === 0) return `0x${low.toString(16)}`;
  return `0x${high.toString(16)}${low.toString(16).padStart(8, '0')}`;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function renderPythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const exponential = Math.abs(value).toExponential();
  const ePos = exponential.indexOf('e');
  const digits = exponential.slice(0, ePos).replace('.', '');
  const exponent = Number(exponential.slice(ePos + 1));
  const decimalPoint = exponent + 1;
  if (decimalPoint > -4 && decimalPoint <= 16) {
    if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
    if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
    return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentText = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${exponentText}`;
}

const FILETIME_EPOCH_SECONDS = 11644473600;
/** Python's datetime covers years 1..9999; python-evtx writes datetime.min outside that. */
const LAST_SECOND_OF_9999 = 253402300799;
const PYTHON_DATETIME_MIN = '0001-01-01 00:00:00';

/**
 * FILETIME (100-ns ticks since 1601) as `YYYY-MM-DD HH:MM:SS[.ffffff]`, the form python-evtx
 * gives it, with the ticks cut (not rounded) to microseconds as the dataset README specifies.
 * (python-evtx itself went through a float and so is sometimes 1 µs off; see the tests.)
 * Exact integer arithmetic: high * 2^32 = high * 429 * 10^7 + high * 4967296.
 */
export function renderFiletime(view: DataView, at: number): string {
  const high = view.getUint32(at + 4, true);
  const low = view.getUint32(at, true);
  const rest = high * 4967296 + low; // below 2^53, so exact, for every date up to year 9999
  const seconds = high * 429 + Math.floor(rest / 1e7) - FILETIME_EPOCH_SECONDS;
  if (seconds > LAST_SECOND_OF_9999) return PYTHON_DATETIME_MIN;
  const micros = Math.floor((rest % 1e7) / 10);
  return pythonDateTime(new Date(seconds * 1000), micros);
}

/** SYSTEMTIME (year, month, weekday, day, hour, minute, second, milliseconds). */
export function renderSystemtime(view: DataView, at: number): string {
  const year = view.getUint16(at, true);
  const month = view.getUint16(at + 2, true);
  const day = view.getUint16(at + 6, true);
  const hour = view.getUint16(at + 8, true);
  const minute = view.getUint16(at + 10, true);
  const second = view.getUint16(at + 12, true);
  const millis = view.getUint16(at + 14, true);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  return pythonDateTime(date, millis * 1000);
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]`, Python's `isoformat(' ')` (fraction only when not zero). */
function pythonDateTime(date: Date, micros: number): string {
  const text =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  return micros === 0 ? text : `${text}.${pad(micros, 6)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Arrays render as python-evtx renders a string array: `<string>a</string>\n` per item (the
 * dataset's unnamed `Data` of MSSQL events has exactly this text).
 */
export function renderArray(items: string[]): string {
  let text = '';
  for (const item of items) text += `<string>${item}</string>\n`;
  return text;
}
