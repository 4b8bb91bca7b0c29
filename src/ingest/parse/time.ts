/**
 * Timestamps as devices write them, resolved to an instant plus the UTC offset it was written
 * in, and printed back as ISO 8601 with that offset (`2026-04-02T17:31:09.000-07:00`), the way
 * Elastic's pipelines print `@timestamp`. Times without a zone (RFC 3164, PAN-OS, Snare) are
 * read in a configured zone: a fixed offset (`+08:00`) or an IANA name (`Asia/Taipei`).
 * Hand-written scanners: the text is untrusted and this runs on every message.
 */

/** A time zone: how many minutes east of UTC the wall clock is at a given instant. */
export interface Zone {
  /** As configured: `UTC`, `+09:30`, `Asia/Taipei`. */
  readonly name: string;
  offsetAt(utcMs: number): number;
}

/** A resolved time: milliseconds since the epoch and the offset (minutes) to print it in. */
export interface Instant {
  readonly ms: number;
  readonly offset: number;
}

/** Calendar fields as written; `month` is 1–12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

function fixedZone(name: string, offset: number): Zone {
  return { name, offsetAt: () => offset };
}

export const UTC: Zone = fixedZone('UTC', 0);

const zones = new Map<string, Zone | null>();

/**
 * A zone from its name: `UTC`/`GMT`/`Z`, a fixed offset (`+08:00`, `+0800`, `-07`), or an IANA
 * name. Undefined when the name is neither.
 */
export function zoneNamed(name: string): Zone | undefined {
  const cached = zones.get(name);
  if (cached !== undefined) return cached ?? undefined;
  const zone = makeZone(name);
  if (zones.size < 256) zones.set(name, zone ?? null);
  return zone;
}

function makeZone(name: string): Zone | undefined {
  const upper = name.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z' || upper === 'ETC/UTC') return fixedZone(name, 0);
  const offset = parseOffset(name, 0, name.length);
  if (offset) return offset.end === name.length ? fixedZone(name, offset.minutes) : undefined;
  return ianaZone(name);
}

function ianaZone(name: string): Zone | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  // Offsets change only on quarter-hour boundaries, so one lookup serves a quarter hour.
  const QUARTER = 900_000;
  const cache = new Map<number, number>();
  return {
    name,
    offsetAt(utcMs: number): number {
      const bucket = Math.floor(utcMs / QUARTER);
      const cached = cache.get(bucket);
      if (cached !== undefined) return cached;
      const at = bucket * QUARTER;
      const fields: Record<string, number> = {};
      for (const part of format.formatToParts(new Date(at))) if (part.type !== 'literal') fields[part.type] = Number(part.value);
      const wall = Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!);
      const offset = Math.round((wall - at) / 60_000);
      if (cache.size > 4096) cache.clear();
      cache.set(bucket, offset);
      return offset;
    },
  };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** Why these calendar fields are not a time, or undefined when they are. */
export function invalidWallTime(wall: WallTime): string | undefined {
  if (wall.year < 1 || wall.year > 9999) return `year ${wall.year} out of range`;
  if (wall.month < 1 || wall.month > 12) return `month ${wall.month} out of range`;
  if (wall.day < 1 || wall.day > daysInMonth(wall.year, wall.month)) return `day ${wall.day} out of range for ${wall.year}-${pad2(wall.month)}`;
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 60) return `time ${pad2(wall.hour)}:${pad2(wall.minute)}:${pad2(wall.second)} out of range`;
  return undefined;
}

/** The instant of wall-clock fields, read with a known offset or else in `zone`. */
export function wallToInstant(wall: WallTime, zone: Zone, offset?: number): Instant {
  // A leap second (…:60) becomes the last millisecond of the minute.
  const second = wall.second === 60 ? 59 : wall.second;
  const millis = wall.second === 60 ? 999 : wall.millis;
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, second, millis);
  if (offset !== undefined) return { ms: wallMs - offset * 60_000, offset };
  const first = zone.offsetAt(wallMs);
  const second2 = zone.offsetAt(wallMs - first * 60_000);
  const used = second2 === first ? first : second2;
  return { ms: wallMs - used * 60_000, offset: used };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

/** ISO 8601 with milliseconds and the instant's own offset (`Z` for UTC); '' when out of range. */
export function formatInstant(instant: Instant): string {
  const d = new Date(instant.ms + instant.offset * 60_000);
  const year = d.getUTCFullYear();
  // Out of range (a garbage epoch, say): no timestamp rather than a wrong one.
  if (!Number.isFinite(year) || year < 0 || year > 9999) return '';
  const date = `${String(year).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${pad3(d.getUTCMilliseconds())}`;
  return `${date}T${time}${formatOffset(instant.offset)}`;
}

export function formatOffset(offset: number): string {
  if (offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

/** The number in `text[from, from+count)` when all are digits, else -1. */
export function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = digitAt(text, i);
    if (d < 0) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** A UTC offset at `from`: `Z`, `±hh:mm`, `±hhmm` or `±hh`. */
export function parseOffset(text: string, from: number, limit: number): { minutes: number; end: number } | undefined {
  const c = text.charCodeAt(from);
  if (c === 90 /* Z */ || c === 122 /* z */) return { minutes: 0, end: from + 1 };
  if (c !== 43 && c !== 45 && c !== 0x2212 /* − */) return undefined;
  const sign = c === 43 ? 1 : -1;
  const hours = digits(text, from + 1, 2);
  if (hours < 0 || hours > 18 || from + 3 > limit) return undefined;
  let end = from + 3;
  let minutes = 0;
  if (text.charCodeAt(end) === 58 /* : */ && end + 3 <= limit) {
    minutes = digits(text, end + 1, 2);
    if (minutes < 0) return undefined;
    end += 3;
  } else if (end + 2 <= limit && digits(text, end, 2) >= 0) {
    minutes = digits(text, end, 2);
    end += 2;
  }
  if (minutes > 59) return undefined;
  return { minutes: sign * (hours * 60 + minutes), end };
}

/** Fractional seconds at `from` (just after the `.`): milliseconds, digits beyond cut. */
function fraction(text: string, from: number, limit: number): { millis: number; end: number } {
  let end = from;
  let millis = 0;
  while (end < limit && digitAt(text, end) >= 0) {
    if (end - from < 3) millis = millis * 10 + digitAt(text, end);
    end++;
  }
  for (let n = end - from; n < 3; n++) millis *= 10;
  return { millis, end };
}

export interface ParsedTime {
  wall: WallTime;
  /** Minutes east of UTC when the text carries a zone. */
  offset?: number;
  end: number;
}

/**
 * ISO 8601 / RFC 3339 at `from`: `2003-10-11T22:14:15.003Z`, `2018-07-05T15:01:09.820360-0400`,
 * also a space instead of `T` and no zone (then the caller's zone applies). Shape only: the
 * fields are checked with `invalidWallTime`.
 */
export function parseIsoTime(text: string, from: number, limit = text.length): ParsedTime | undefined {
  if (from + 19 > limit) return undefined;
  const year = digits(text, from, 4);
  if (year < 0 || text.charCodeAt(from + 4) !== 45 || text.charCodeAt(from + 7) !== 45) return undefined;
  const month = digits(text, from + 5, 2);
  const day = digits(text, from + 8, 2);
  const t = text.charCodeAt(from + 10);
  if (month < 0 || day < 0 || (t !== 84 && t !== 116 && t !== 32)) return undefined;
  const hour = digits(text, from + 11, 2);
  const minute = digits(text, from + 14, 2);
  const second = digits(text, from + 17, 2);
  if (hour < 0 || minute < 0 || second < 0 || text.charCodeAt(from + 13) !== 58 || text.charCodeAt(from + 16) !== 58) return undefined;
  let end = from + 19;
  let millis = 0;
  const dot = text.charCodeAt(end);
  if ((dot === 46 || dot === 44) && digitAt(text, end + 1) >= 0) {
    const f = fraction(text, end + 1, limit);
    millis = f.millis;
    end = f.end;
  }
  const zone = end < limit ? parseOffset(text, end, limit) : undefined;
  const wall = { year, month, day, hour, minute, second, millis };
  return zone ? { wall, offset: zone.minutes, end: zone.end } : { wall, end };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** 1–12 for a three-letter English month name at `from` (any case), else 0. */
export function monthAt(text: string, from: number): number {
  if (from + 3 > text.length) return 0;
  const a = text.charCodeAt(from) | 0x20;
  const b = text.charCodeAt(from + 1) | 0x20;
  const c = text.charCodeAt(from + 2) | 0x20;
  for (let m = 0; m < 12; m++) {
    const name = MONTHS[m]!;
    if (name.charCodeAt(0) === a && name.charCodeAt(1) === b && name.charCodeAt(2) === c) return m + 1;
  }
  return 0;
}

export interface LegacyTime {
  month: number;
  day: number;
  year?: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  end: number;
}

/** `hh:mm:ss` (hour may be one digit) with an optional fraction, at `from`. */
function clockAt(text: string, from: number): { hour: number; minute: number; second: number; millis: number; end: number } | undefined {
  let i = from;
  let hour = digits(text, i, 2);
  if (hour >= 0 && text.charCodeAt(i + 2) === 58) i += 3;
  else if ((hour = digits(text, i, 1)) >= 0 && text.charCodeAt(i + 1) === 58) i += 2;
  else return undefined;
  const minute = digits(text, i, 2);
  const second = digits(text, i + 3, 2);
  if (minute < 0 || second < 0 || text.charCodeAt(i + 2) !== 58) return undefined;
  let end = i + 5;
  let millis = 0;
  if (text.charCodeAt(end) === 46 && digitAt(text, end + 1) >= 0) {
    const f = fraction(text, end + 1, text.length);
    millis = f.millis;
    end = f.end;
  }
  return { hour, minute, second, millis, end };
}

/**
 * The RFC 3164 timestamp at `from` in its real-world variants: `Mar  6 16:57:54`, `AUG 10
 * 22:18:24`, `Mar 7 2008 19:06:53`, fractions (`16:57:54.123`), a trailing colon
 * (`19:06:53:`). It must be followed by a space or the end. Shape only, like `parseIsoTime`.
 */
export function parseLegacyTime(text: string, from: number): LegacyTime | undefined {
  const month = monthAt(text, from);
  if (month === 0 || text.charCodeAt(from + 3) !== 32) return undefined;
  let i = from + 4;
  while (text.charCodeAt(i) === 32 && i < from + 6) i++;
  let day = digits(text, i, 2);
  if (day >= 0) i += 2;
  else if ((day = digits(text, i, 1)) >= 0) i += 1;
  else return undefined;
  if (text.charCodeAt(i) !== 32) return undefined;
  while (text.charCodeAt(i) === 32 && i < from + 12) i++;
  let year: number | undefined;
  const maybeYear = digits(text, i, 4);
  if (maybeYear >= 0 && text.charCodeAt(i + 4) === 32) {
    year = maybeYear;
    i += 5;
  }
  const clock = clockAt(text, i);
  if (!clock) return undefined;
  let end = clock.end;
  if (text.charCodeAt(end) === 58 && (end + 1 === text.length || text.charCodeAt(end + 1) === 32)) end++;
  if (end < text.length && text.charCodeAt(end) !== 32) return undefined;
  return { month, day, year, hour: clock.hour, minute: clock.minute, second: clock.second, millis: clock.millis, end };
}

/** Everything a parser needs to turn a zone-less time into an instant. */
export interface TimeContext {
  readonly zone: Zone;
  readonly receivedAt: Date;
  readonly defaultYear?: number;
}

/**
 * The year of a time written without one: `defaultYear` when given; else the year it was
 * received in, or the year before when that would put the event more than a week after its
 * arrival (a December message that arrives in January).
 */
export function inferYear(month: number, day: number, hour: number, ctx: TimeContext): number {
  if (ctx.defaultYear !== undefined) return ctx.defaultYear;
  const received = ctx.receivedAt.getTime();
  const offset = ctx.zone.offsetAt(received);
  const year = new Date(received + offset * 60_000).getUTCFullYear();
  const candidate = Date.UTC(year, month - 1, day, hour) - offset * 60_000;
  return candidate - received > 7 * 86_400_000 ? year - 1 : year;
}

/**
 * C's asctime form, `Tue May 10 04:52:04 2022` or `Mon May  9 09:41:59 2022` (ModSecurity,
 * Snare), as calendar fields; undefined when the text has another shape.
 */
export function parseAsctime(text: string): WallTime | undefined {
  if (text.charCodeAt(3) !== 32) return undefined;
  const month = monthAt(text, 4);
  let i = 8;
  while (text.charCodeAt(i) === 32 && i < 10) i++;
  let day = digits(text, i, 2);
  if (day >= 0) i += 2;
  else if ((day = digits(text, i, 1)) >= 0) i += 1;
  else return undefined;
  if (month === 0 || text.charCodeAt(i) !== 32 || text.charCodeAt(i + 3) !== 58 || text.charCodeAt(i + 6) !== 58 || text.charCodeAt(i + 9) !== 32) return undefined;
  const wall = { year: digits(text, i + 10, 4), month, day, hour: digits(text, i + 1, 2), minute: digits(text, i + 4, 2), second: digits(text, i + 7, 2), millis: 0 };
  return wall.year < 0 || wall.hour < 0 || wall.minute < 0 || wall.second < 0 ? undefined : wall;
}
