/**
 * Syslog framing: bytes from a TCP or TLS stream (RFC 6587, RFC 5425) or one UDP datagram
 * become frames. Pure logic over buffers; the sockets are in stream.ts and udp.ts.
 */
import type { MessageSource } from '../../core/index.js';
import type { RawMessage, TransportCounters } from './types.js';

/** The counters the framer keeps up to date. */
export type FramingCounters = Pick<TransportCounters, 'oversized' | 'discardedBytes' | 'framingErrors' | 'emptyFrames'>;

/**
 * Octet counts above this are not believed. rsyslog's default maximum frame size; a count this
 * large is far more likely a misread stream than a message.
 */
export const MAX_OCTET_COUNT = 200_000_000;
/** A longer run of digits is not read as a count at all (it is text, e.g. an epoch in ms). */
const MAX_COUNT_DIGITS = 12;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c; // '<', the first byte of every syslog message with a PRI
const ZERO = 0x30;
const NINE = 0x39;

const AT_FRAME_START = 0;
/** Reading the digits that may be an octet count. */
const IN_COUNT = 1;
/** Read `digits SP`; the next byte decides whether it was a count. */
const AFTER_COUNT = 2;
const IN_COUNTED_FRAME = 3;
/** Non-transparent framing: up to the next LF or NUL. */
const IN_TEXT_FRAME = 4;
type FramerState = 0 | 1 | 2 | 3 | 4;

function isDigit(b: number): boolean {
  return b >= ZERO && b <= NINE;
}

/** A short, printable rendering of bytes for a problem text (`12\x01ab`). */
export function previewBytes(bytes: Uint8Array, max = 16): string {
  let out = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x27) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? `${out}…` : out;
}

/**
 * Where a cut at `end` would split a UTF-8 sequence, the end of the last whole character;
 * otherwise `end`. Keeps a cut frame from ending in a spurious U+FFFD.
 */
export function utf8CutPoint(buf: Uint8Array, end: number): number {
  let lead = end - 1;
  while (lead >= 0 && end - lead < 4 && (buf[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return end;
  const b = buf[lead]!;
  const width = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - lead < width ? lead : end;
}

/** The end of `buf[start, end)` without its trailing CR, LF and NUL. */
function trimmedEnd(buf: Uint8Array, start: number, end: number): number {
  while (end > start) {
    const b = buf[end - 1];
    if (b !== LF && b !== CR && b !== NUL) break;
    end--;
  }
  return end;
}

/** The first word of a frame (up to a space, at most `max` bytes), for a problem text. */
function firstWord(frame: Uint8Array, max = 8): string {
  let end = 0;
  while (end < frame.length && end < max && frame[end] !== SP) end++;
  return previewBytes(frame.subarray(0, end), max);
}

/** A problem text, or one made from the frame's first bytes once the frame is complete. */
type ProblemText = string | ((frame: Uint8Array) => string);

function problemText(problems: ProblemText[] | undefined, frame: Uint8Array): string | undefined {
  if (problems === undefined) return undefined;
  return problems.map((p) => (typeof p === 'string' ? p : p(frame))).join('; ');
}

function rawMessage(text: string, source: MessageSource, receivedAt: Date, problem: string | undefined): RawMessage {
  // Only flagged frames carry the key, so a clean frame is exactly { text, source, receivedAt }.
  return problem === undefined ? { text, source, receivedAt } : { text, source, receivedAt, problem };
}

/**
 * Splits one connection's byte stream into frames, detecting the framing per frame as rsyslog
 * does: a frame that starts with a digit may be octet-counted (`LEN SP MSG`), anything else is
 * non-transparent (up to LF or NUL; a CR before the LF is dropped).
 *
 * We go one step further than rsyslog: a count is believed only when the message after it
 * starts with `<` (every syslog message with a PRI does, and RFC 5424/5425/6587 require one).
 * Otherwise the frame is plain text that happens to start with digits — Check Point's PRI-less
 * `1 2019-05-15T…`, a lone `5`, `200000 bytes sent` — and is read up to LF instead of swallowing
 * the next LEN bytes of the stream.
 *
 * Once a connection has sent a valid octet-counted frame it is known to count, and a later frame
 * that does not start with a count or `<` is delivered (up to the next LF, where framing
 * resynchronises) with `problem: invalid octet count '…'`. So are counts of zero or above
 * MAX_OCTET_COUNT, and digits followed directly by `<`. No byte is skipped: each ends up in a
 * delivered frame, is a terminator, or is counted in `discardedBytes` (the cut-off part of an
 * oversized frame).
 */
export class SyslogFramer {
  private state: FramerState = AT_FRAME_START;
  /** Kept bytes of the frame being read (at most maxMessageBytes). */
  private parts: Buffer[] = [];
  private partsDetached = true;
  private kept = 0;
  /** Content bytes of the frame being read, kept or not. */
  private seen = 0;
  /** The digits (and SP) read at the start of a frame that may be an octet count. */
  private countText = '';
  private declaredLength = 0;
  private remaining = 0;
  /** An oversized counted frame was delivered early; the rest of it is being discarded. */
  private cutDelivered = false;
  /** What is wrong with the frame being read; texts that quote the frame are made when it is complete. */
  private problems: ProblemText[] | undefined;
  /** The peer has sent a valid octet-counted frame. */
  private octetCounting = false;
  // Next LF and NUL in the current chunk at or after the read position; -2: not looked up yet.
  private nextLf = -2;
  private nextNul = -2;

  constructor(
    private readonly source: MessageSource,
    private readonly maxMessageBytes: number,
    private readonly counters: FramingCounters,
  ) {}

  /** Frames completed by `chunk` are appended to `out`. */
  push(chunk: Buffer, receivedAt: Date, out: RawMessage[]): void {
    const len = chunk.length;
    let pos = 0;
    this.nextLf = -2;
    this.nextNul = -2;
    while (pos < len) {
      switch (this.state) {
        case AT_FRAME_START:
          pos = this.startFrame(chunk, pos);
          break;
        case IN_COUNT:
          pos = this.readCountDigits(chunk, pos);
          break;
        case AFTER_COUNT:
          this.decideCount(chunk[pos]!);
          break;
        case IN_COUNTED_FRAME:
          pos = this.readCounted(chunk, pos, receivedAt, out);
          break;
        case IN_TEXT_FRAME:
          pos = this.readText(chunk, pos, receivedAt, out);
          break;
      }
    }
    this.detachParts();
  }

  /** The stream ended: a frame in progress is delivered as the last one. */
  end(receivedAt: Date, out: RawMessage[]): void {
    switch (this.state) {
      case AT_FRAME_START:
        break;
      case IN_COUNT:
      case AFTER_COUNT:
        if (this.octetCounting) this.flag(`invalid octet count '${this.countText}': the connection ended after it`);
        this.append(Buffer.from(this.countText, 'latin1'), 0, this.countText.length);
        this.emit(receivedAt, out);
        break;
      case IN_COUNTED_FRAME:
        if (!this.cutDelivered) {
          this.flag(`truncated: octet count ${this.declaredLength}, the connection ended after ${this.seen} bytes`);
          this.emit(receivedAt, out);
        } else {
          // emitCutCounted counted the whole declared rest as discarded; it never came.
          this.counters.discardedBytes -= this.remaining;
          this.reset();
        }
        break;
      case IN_TEXT_FRAME:
        this.emit(receivedAt, out);
        break;
    }
    this.state = AT_FRAME_START;
  }

  private startFrame(chunk: Buffer, pos: number): number {
    const b = chunk[pos]!;
    if (b === LF || b === NUL) {
      this.counters.emptyFrames++;
      return pos + 1;
    }
    if (isDigit(b)) {
      this.state = IN_COUNT;
      this.countText = '';
      return pos;
    }
    if (this.octetCounting && b !== LT && b !== CR) {
      this.flag((frame) => `invalid octet count '${firstWord(frame)}': expected digits or '<' at the start of a frame`);
    }
    this.state = IN_TEXT_FRAME;
    return pos;
  }

  private readCountDigits(chunk: Buffer, pos: number): number {
    const len = chunk.length;
    while (pos < len && isDigit(chunk[pos]!) && this.countText.length < MAX_COUNT_DIGITS) {
      this.countText += String.fromCharCode(chunk[pos]!);
      pos++;
    }
    if (pos === len) return pos;
    const b = chunk[pos]!;
    if (b === SP) {
      this.countText += ' ';
      this.state = AFTER_COUNT;
      return pos + 1;
    }
    if (b === LT) {
      this.flag(`invalid octet count '${this.countText}<': no space between the count and the message`);
    } else if (this.octetCounting) {
      const what = isDigit(b) ? `more than ${MAX_COUNT_DIGITS} digits` : `'${previewBytes(chunk.subarray(pos, pos + 1))}' after the digits`;
      this.flag((frame) => `invalid octet count '${firstWord(frame, MAX_COUNT_DIGITS + 4)}': ${what}`);
    }
    this.countAsText();
    return pos;
  }

  /** `b` is the first byte after `digits SP`. It is not consumed here. */
  private decideCount(b: number): void {
    const digits = this.countText.slice(0, -1);
    const count = Number(digits);
    if (b === LT && count >= 1 && count <= MAX_OCTET_COUNT) {
      this.state = IN_COUNTED_FRAME;
      this.octetCounting = true;
      this.declaredLength = count;
      this.remaining = count;
      this.countText = '';
      return;
    }
    if (b === LT) {
      this.flag(
        count === 0
          ? `invalid octet count '${digits}': zero length`
          : `invalid octet count '${digits}': more than ${MAX_OCTET_COUNT} bytes`,
      );
    } else if (this.octetCounting) {
      this.flag(`invalid octet count '${digits}': the message after it does not start with '<'`);
    }
    this.countAsText();
  }

  /** What looked like a count is the start of a non-transparent frame. */
  private countAsText(): void {
    this.append(Buffer.from(this.countText, 'latin1'), 0, this.countText.length);
    this.countText = '';
    this.state = IN_TEXT_FRAME;
  }

  private readCounted(chunk: Buffer, pos: number, receivedAt: Date, out: RawMessage[]): number {
    const take = Math.min(this.remaining, chunk.length - pos);
    this.append(chunk, pos, pos + take);
    this.remaining -= take;
    pos += take;
    if (this.remaining === 0) {
      if (this.cutDelivered) this.reset();
      else this.emit(receivedAt, out);
      this.state = AT_FRAME_START;
    } else if (!this.cutDelivered && this.seen >= this.maxMessageBytes) {
      // The size is known: deliver the kept part now rather than after the rest arrives.
      this.emitCutCounted(receivedAt, out);
    }
    return pos;
  }

  private readText(chunk: Buffer, pos: number, receivedAt: Date, out: RawMessage[]): number {
    const end = this.terminatorAt(chunk, pos);
    if (end >= 0 && this.seen === 0 && end - pos <= this.maxMessageBytes) {
      // The common case, a whole short frame inside this chunk: decode it in place.
      this.deliverWhole(chunk, pos, end, receivedAt, out);
      this.state = AT_FRAME_START;
      return end + 1;
    }
    if (end < 0) {
      this.append(chunk, pos, chunk.length);
      return chunk.length;
    }
    this.append(chunk, pos, end);
    this.emit(receivedAt, out);
    this.state = AT_FRAME_START;
    return end + 1;
  }

  /** The next LF or NUL at or after `pos`, -1 if none; lookups are cached per chunk. */
  private terminatorAt(chunk: Buffer, pos: number): number {
    if (this.nextLf !== -1 && this.nextLf < pos) this.nextLf = chunk.indexOf(LF, pos);
    if (this.nextNul !== -1 && this.nextNul < pos) this.nextNul = chunk.indexOf(NUL, pos);
    if (this.nextLf < 0) return this.nextNul;
    if (this.nextNul < 0) return this.nextLf;
    return Math.min(this.nextLf, this.nextNul);
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    this.seen += n;
    const take = Math.min(n, this.maxMessageBytes - this.kept);
    if (take > 0) {
      this.parts.push(chunk.subarray(start, start + take));
      this.partsDetached = false;
      this.kept += take;
    }
  }

  /** A frame still open at the end of a chunk gets its own copy, so it does not pin the chunk. */
  private detachParts(): void {
    if (this.partsDetached || this.parts.length === 0) return;
    this.parts = [Buffer.concat(this.parts, this.kept)];
    this.partsDetached = true;
  }

  private flag(problem: ProblemText): void {
    (this.problems ??= []).push(problem);
    this.counters.framingErrors++;
  }

  private emitCutCounted(receivedAt: Date, out: RawMessage[]): void {
    this.deliver(receivedAt, out, this.declaredLength);
    this.cutDelivered = true;
    // `kept` stays at the maximum, so nothing more is kept; the rest is already counted as discarded.
    this.parts = [];
    this.partsDetached = true;
  }

  private emit(receivedAt: Date, out: RawMessage[]): void {
    this.deliver(receivedAt, out, this.seen);
    this.reset();
  }

  private deliver(receivedAt: Date, out: RawMessage[], frameBytes: number): void {
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.kept);
    let end = buf.length;
    let problem = problemText(this.problems, buf);
    if (frameBytes > this.maxMessageBytes) {
      end = utf8CutPoint(buf, end);
      this.counters.oversized++;
      this.counters.discardedBytes += frameBytes - end;
      const cut = `oversized: ${frameBytes} bytes, kept the first ${end}`;
      problem = problem === undefined ? cut : `${problem}; ${cut}`;
    }
    end = trimmedEnd(buf, 0, end);
    if (end === 0 && problem === undefined) {
      this.counters.emptyFrames++;
      return;
    }
    out.push(rawMessage(buf.toString('utf8', 0, end), this.source, receivedAt, problem));
  }

  private deliverWhole(chunk: Buffer, start: number, end: number, receivedAt: Date, out: RawMessage[]): void {
    const problem = problemText(this.problems, chunk.subarray(start, end));
    this.problems = undefined;
    end = trimmedEnd(chunk, start, end);
    if (end === start && problem === undefined) {
      this.counters.emptyFrames++;
      return;
    }
    out.push(rawMessage(chunk.toString('utf8', start, end), this.source, receivedAt, problem));
  }

  private reset(): void {
    this.parts.length = 0;
    this.partsDetached = true;
    this.kept = 0;
    this.seen = 0;
    this.problems = undefined;
    this.cutDelivered = false;
    this.remaining = 0;
    this.declaredLength = 0;
  }
}

/**
 * One UDP datagram is one message: trailing LF, CR and NUL are stripped, a datagram longer than
 * `maxMessageBytes` is cut and flagged. An empty datagram gives nothing (and is counted).
 */
export function frameDatagram(
  datagram: Buffer,
  source: MessageSource,
  receivedAt: Date,
  maxMessageBytes: number,
  counters: FramingCounters,
): RawMessage | undefined {
  let end = datagram.length;
  let problem: string | undefined;
  if (end > maxMessageBytes) {
    end = utf8CutPoint(datagram, maxMessageBytes);
    counters.oversized++;
    counters.discardedBytes += datagram.length - end;
    problem = `oversized: ${datagram.length} bytes, kept the first ${end}`;
  }
  end = trimmedEnd(datagram, 0, end);
  if (end === 0 && problem === undefined) {
    counters.emptyFrames++;
    return undefined;
  }
  return rawMessage(datagram.toString('utf8', 0, end), source, receivedAt, problem);
}
