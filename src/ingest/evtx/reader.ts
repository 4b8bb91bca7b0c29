/**
 * EVTX files: a 4 KiB file header, then 64 KiB chunks, each a 512-byte header (with the
 * chunk's string and template tables) followed by event records. Every chunk present in the
 * file is read in file order, as python-evtx (the dataset's converter) does; the header's
 * chunk count is not trusted.
 *
 * Damage is contained: a bad record is reported and skipped (the reader finds the next record
 * signature), a chunk without a signature is skipped (and reported unless it is all zeros, as
 * unused chunks are), a file cut short yields what it holds. Zeros where the chunk header says
 * records are (pages lost in a volume shadow copy, say) are reported, and so is a record whose
 * size copy at its end does not match: its values are gone, whatever its BinXML still parses to.
 * Records after the chunk's free-space offset are not read: they are stale leftovers of an
 * older log, not events of this one (the dataset and python-evtx leave them out too).
 */
import { Buffer } from 'node:buffer';
import type { EventRecord } from '../../core/index.js';
import { flattenEvent, isElement } from '../winevent.js';
import { ChunkContext, EvtxFormatError, readRecordFragment } from './binxml.js';
import { crc32 } from './crc32.js';

/**
 * One record, or one problem. `offset` is the byte offset in the file of the record (or of the
 * damage); `recordId` is the record's EventRecordID when its header could be read.
 */
export type EvtxItem =
  | { ok: true; recordId: number; offset: number; event: EventRecord }
  | { ok: false; offset: number; recordId?: number; reason: string };

const FILE_HEADER_SIZE = 0x1000;
const CHUNK_SIZE = 0x10000;
const CHUNK_HEADER_SIZE = 0x200;
const RECORD_HEADER_SIZE = 24;
/** Header, BinXML of at least one token, trailing size copy. */
const MIN_RECORD_SIZE = 28;
const RECORD_SIGNATURE = 0x00002a2a;
const FILE_SIGNATURE = [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]; // "ElfFile\0"
const CHUNK_SIGNATURE = [0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00]; // "ElfChnk\0"
/** Compared against with `Buffer.compare`, which is native: most files hold many empty chunks. */
const ZERO_CHUNK = new Uint8Array(CHUNK_SIZE);

/**
 * Every event record of a whole EVTX file, with problems in between, in file order: record
 * order, except in a log that has wrapped around (python-evtx and the dataset use this order
 * too). Never throws on bad input.
 */
export function* readEvtx(bytes: Uint8Array): Generator<EvtxItem> {
  if (!hasSignature(bytes, 0, FILE_SIGNATURE)) {
    yield { ok: false, offset: 0, reason: 'not an EVTX file: the ElfFile signature is missing' };
    return;
  }
  if (bytes.length < FILE_HEADER_SIZE) {
    yield { ok: false, offset: 0, reason: `file is truncated: ${bytes.length} bytes, the file header alone takes ${FILE_HEADER_SIZE}` };
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let base = FILE_HEADER_SIZE; base < bytes.length; base += CHUNK_SIZE) {
    yield* readChunk(bytes, view, base);
  }
}

function* readChunk(bytes: Uint8Array, view: DataView, base: number): Generator<EvtxItem> {
  const end = Math.min(base + CHUNK_SIZE, bytes.length);
  if (!hasSignature(bytes, base, CHUNK_SIGNATURE)) {
    // Unused chunks are all zeros; anything else without a signature is damage worth a word,
    // even with a zero header: the rest may be records of a chunk whose header was lost.
    if (Buffer.compare(bytes.subarray(base, end), ZERO_CHUNK.subarray(0, end - base)) !== 0) {
      yield { ok: false, offset: base, reason: 'chunk has no ElfChnk signature; skipped' };
    }
    return;
  }
  if (end < base + CHUNK_HEADER_SIZE) {
    yield { ok: false, offset: base, reason: truncation(base, end) };
    return;
  }
  const chunk = new ChunkContext(bytes, view, base, end);
  const freeSpace = view.getUint32(base + 48, true);
  const dataEnd = base + (freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= CHUNK_SIZE ? freeSpace : CHUNK_SIZE);
  let checksums: string | undefined;
  let pos = base + CHUNK_HEADER_SIZE;
  while (pos + RECORD_HEADER_SIZE <= dataEnd) {
    if (pos + RECORD_HEADER_SIZE > end) break;
    const size = view.getUint32(pos + 4, true);
    if (view.getUint32(pos, true) !== RECORD_SIGNATURE || size < MIN_RECORD_SIZE || pos + size > base + CHUNK_SIZE) {
      const what = isZero(bytes, pos, Math.min(pos + 8, end))
        ? `records stop early: zeros where the chunk header says records continue up to chunk offset ${dataEnd - base} (its last record id is ${readLastRecordId(view, base)})`
        : 'no valid event record at this offset (bad signature or size)';
      yield { ok: false, offset: pos, reason: `${what}${(checksums ??= chunkChecksums(bytes, view, base, dataEnd))}` };
      const next = findRecord(bytes, view, pos + 1, Math.min(dataEnd, end), base);
      if (next < 0) break;
      pos = next;
      continue;
    }
    const recordId = readRecordId(view, pos);
    if (pos + size > end) {
      yield { ok: false, offset: pos, recordId, reason: `record is cut off: ${truncation(base, end)}` };
      return;
    }
    const sizeCopy = view.getUint32(pos + size - 4, true);
    if (sizeCopy !== size) {
      const reason = `record is damaged: the size copy at its end is ${sizeCopy}, its size ${size}`;
      yield { ok: false, offset: pos, recordId, reason: reason + (checksums ??= chunkChecksums(bytes, view, base, dataEnd)) };
      // A size that leads to the next record (or to zeros, or to the end) is believed; a size
      // that leads nowhere is itself the damage, and the next record is searched for.
      const after = pos + size;
      if (after + RECORD_HEADER_SIZE > Math.min(dataEnd, end) || view.getUint32(after, true) === RECORD_SIGNATURE || isZero(bytes, after, after + 8)) {
        pos = after;
        continue;
      }
      const next = findRecord(bytes, view, pos + 1, Math.min(dataEnd, end), base);
      if (next < 0) break;
      pos = next;
      continue;
    }
    const item = readRecord(chunk, pos, size, recordId);
    if (!item.ok) item.reason += checksums ??= chunkChecksums(bytes, view, base, dataEnd);
    yield item;
    pos += size;
  }
  if (end < base + CHUNK_SIZE) yield { ok: false, offset: end, reason: truncation(base, end) };
}

function readRecord(chunk: ChunkContext, pos: number, size: number, recordId: number): EvtxItem {
  try {
    const nodes = readRecordFragment(chunk, pos + RECORD_HEADER_SIZE, pos + size - 4);
    const root = nodes.find(isElement);
    if (!root) return { ok: false, offset: pos, recordId, reason: 'record holds no XML element' };
    return { ok: true, recordId, offset: pos, event: flattenEvent(root) };
  } catch (error) {
    // Whatever bad bytes make the decoder do, it stays this record's problem.
    const where = error instanceof EvtxFormatError ? ` at file offset ${error.offset}` : '';
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, offset: pos, recordId, reason: `${message}${where}` };
  }
}

function readRecordId(view: DataView, pos: number): number {
  return view.getUint32(pos + 12, true) * 4294967296 + view.getUint32(pos + 8, true);
}

/** The chunk header's last event record id. */
function readLastRecordId(view: DataView, base: number): number {
  return view.getUint32(base + 36, true) * 4294967296 + view.getUint32(base + 32, true);
}

/** The next offset in [from, to) that looks like a record: signature, sane size, matching size copy. */
function findRecord(bytes: Uint8Array, view: DataView, from: number, to: number, base: number): number {
  for (let pos = from; pos + RECORD_HEADER_SIZE <= to; pos++) {
    if (bytes[pos] !== 0x2a || bytes[pos + 1] !== 0x2a || bytes[pos + 2] !== 0 || bytes[pos + 3] !== 0) continue;
    const size = view.getUint32(pos + 4, true);
    if (size < MIN_RECORD_SIZE || pos + size > Math.min(to, base + CHUNK_SIZE)) continue;
    if (view.getUint32(pos + size - 4, true) === size) return pos;
  }
  return -1;
}

/** Checksums are only worth their cost when something already went wrong: then they tell why. */
function chunkChecksums(bytes: Uint8Array, view: DataView, base: number, dataEnd: number): string {
  const notes: string[] = [];
  const header = crc32(bytes, [
    [base, base + 120],
    [base + 128, base + CHUNK_HEADER_SIZE],
  ]);
  if (header !== view.getUint32(base + 124, true)) notes.push('chunk header checksum mismatch');
  if (dataEnd <= bytes.length) {
    const data = crc32(bytes, [[base + CHUNK_HEADER_SIZE, dataEnd]]);
    if (data !== view.getUint32(base + 52, true)) notes.push('event records checksum mismatch');
  }
  return notes.length ? ` (${notes.join(', ')})` : '';
}

function truncation(base: number, end: number): string {
  return `file is truncated: the chunk at offset ${base} has ${end - base} of ${CHUNK_SIZE} bytes`;
}

function hasSignature(bytes: Uint8Array, at: number, signature: readonly number[]): boolean {
  if (at + signature.length > bytes.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[at + i] !== signature[i]) return false;
  return true;
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
