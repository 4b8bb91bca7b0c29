import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { corrupt, LIMITS, type ArchiveEntry } from './archive.js';

/**
 * A minimal tar reader for GitHub source tarballs (`git archive` output: ustar headers,
 * a pax global header holding the commit id, pax `path` records for long names) and GNU
 * tar's `././@LongLink`. Every header checksum is verified; gzip's own CRC-32 and length
 * trailer are checked by zlib, so a truncated download fails there.
 */

const gunzipAsync = promisify(gunzip);
const BLOCK = 512;

export async function readTarGz(bytes: Buffer): Promise<ArchiveEntry[]> {
  let tar: Buffer;
  try {
    // Async so the CLI's progress display keeps moving; capped against gzip bombs.
    tar = await gunzipAsync(bytes, { maxOutputLength: LIMITS.maxTotalBytes });
  } catch (err) {
    if (err instanceof RangeError) throw corrupt(`it decompresses to more than ${LIMITS.maxTotalBytes} bytes`);
    throw corrupt(`gzip: ${(err as Error).message}`);
  }
  return readTar(tar);
}

interface Pending {
  path?: string;
  size?: number;
}

export function readTar(buf: Buffer): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  let pending: Pending = {};
  let pos = 0;
  while (pos + BLOCK <= buf.length) {
    const header = buf.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) return entries; // end-of-archive marker
    verifyChecksum(header, pos);
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156]!);
    const size = pending.size ?? parseNumber(header.subarray(124, 136), pos);
    const start = pos + BLOCK;
    if (start + size > buf.length) throw corrupt(`a tar entry at byte ${pos} runs past the end (truncated?)`);
    const data = buf.subarray(start, start + size);
    pos = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') pending = { ...pending, ...parsePax(data) };
    else if (type === 'L') pending.path = cString(data);
    else if (type !== 'g' && type !== 'K') {
      // 'g' (global pax: git's commit id) and 'K' (GNU long link target) say nothing we use.
      entries.push(tarEntry(pending.path ?? headerName(header), type, data));
      pending = {};
      if (entries.length > LIMITS.maxEntries) throw corrupt('too many tar entries');
    }
  }
  if (pos !== buf.length) throw corrupt('the tar data ends in the middle of a block (truncated?)');
  return entries;
}

function tarEntry(name: string, type: string, data: Buffer): ArchiveEntry {
  return { name, kind: kindOf(type), size: data.length, read: () => data };
}

function kindOf(type: string): ArchiveEntry['kind'] {
  if (type === '0' || type === '7') return 'file';
  if (type === '5') return 'dir';
  if (type === '2') return 'symlink';
  if (type === '1') return 'hardlink';
  return 'other'; // devices, fifos, sparse files, vendor extensions
}

/** The checksum counts the checksum field itself as eight spaces; old tars summed signed bytes. */
function verifyChecksum(header: Buffer, pos: number): void {
  const stored = parseNumber(header.subarray(148, 156), pos);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) throw corrupt(`tar header checksum mismatch at byte ${pos}`);
}

/** Octal text, or GNU base-256 (high bit set) for values too large for 11 octal digits. */
function parseNumber(field: Buffer, pos: number): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    if (!Number.isSafeInteger(n)) throw corrupt(`tar number out of range at byte ${pos}`);
    return n;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw corrupt(`tar header at byte ${pos} is malformed`);
  return parseInt(text, 8);
}

function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('utf8');
}

/** POSIX ustar splits long names into prefix + name; GNU's magic means the field is not a prefix. */
function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = posix ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** Pax records are `LEN key=value\n`, LEN counting the whole record in bytes. */
function parsePax(data: Buffer): Pending {
  const out: Pending = {};
  let p = 0;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    const len = space > p ? parseInt(data.subarray(p, space).toString('latin1'), 10) : NaN;
    if (!Number.isInteger(len) || len <= 0 || p + len > data.length) throw corrupt('malformed pax header');
    const record = data.subarray(space + 1, p + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    if (key === 'size') out.size = Number(value);
    p += len;
  }
  if (out.size !== undefined && !(Number.isSafeInteger(out.size) && out.size >= 0)) throw corrupt('malformed pax size');
  return out;
}
