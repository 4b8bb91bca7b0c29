import * as zlib from 'node:zlib';
import { corrupt, LIMITS, type ArchiveEntry } from './archive.js';

/**
 * A small zip reader: central directory (with zip64), stored and deflate entries, CRC-32
 * checked on every read. Written here rather than taken from a package because we need
 * things general-purpose unzippers hide or skip: the Unix mode in the external attributes
 * (to refuse symlinks), a CRC check on every entry, and refusing names that differ
 * between the local and the central header (two readers would see two different files).
 */

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_END = 0x06064b50;
const MAX32 = 0xffffffff;
const FLAG_ENCRYPTED = 0x1;
const HOST_UNIX = 3;
const HOST_OSX = 19;

interface Directory {
  count: number;
  size: number;
  offset: number;
}

interface Central {
  name: string;
  nameBytes: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  kind: ArchiveEntry['kind'];
  problem?: string;
}

export function readZip(buf: Buffer): ArchiveEntry[] {
  try {
    const dir = findDirectory(buf);
    const entries: ArchiveEntry[] = [];
    let pos = dir.offset;
    for (let i = 0; i < dir.count; i++) {
      const { central, next } = readCentral(buf, pos);
      entries.push(toEntry(buf, central));
      pos = next;
    }
    if (pos !== dir.offset + dir.size) throw corrupt('the zip directory size does not match its entries');
    return entries;
  } catch (err) {
    // Buffer reads past the end throw RangeError: for us that is a truncated archive.
    if (err instanceof RangeError) throw corrupt('a zip structure runs past the end of the file (truncated?)');
    throw err;
  }
}

function findEnd(buf: Buffer): number {
  // The end record is 22 bytes plus a comment of up to 65535 bytes; insisting the comment
  // reaches exactly to the end of the file avoids mistaking comment bytes for a record.
  const lowest = Math.max(0, buf.length - 22 - 0xffff);
  for (let p = buf.length - 22; p >= lowest; p--) {
    if (buf.readUInt32LE(p) === SIG_END && p + 22 + buf.readUInt16LE(p + 20) === buf.length) return p;
  }
  throw corrupt('no zip end-of-directory record (the file is truncated or not a zip)');
}

function findDirectory(buf: Buffer): Directory {
  const end = findEnd(buf);
  let dir: Directory = {
    count: buf.readUInt16LE(end + 10),
    size: buf.readUInt32LE(end + 12),
    offset: buf.readUInt32LE(end + 16),
  };
  if (dir.count === 0xffff || dir.size === MAX32 || dir.offset === MAX32) dir = zip64Directory(buf, end);
  if (dir.count > LIMITS.maxEntries) throw corrupt(`the zip claims ${dir.count} entries`);
  if (dir.offset + dir.size > end) throw corrupt('the zip directory lies outside the file');
  return dir;
}

function zip64Directory(buf: Buffer, end: number): Directory {
  const locator = end - 20;
  if (locator < 0 || buf.readUInt32LE(locator) !== SIG_ZIP64_LOCATOR) throw corrupt('zip64 locator missing');
  const record = safeNumber(buf.readBigUInt64LE(locator + 8));
  if (record + 56 > locator || buf.readUInt32LE(record) !== SIG_ZIP64_END) throw corrupt('zip64 end record missing');
  return {
    count: safeNumber(buf.readBigUInt64LE(record + 32)),
    size: safeNumber(buf.readBigUInt64LE(record + 40)),
    offset: safeNumber(buf.readBigUInt64LE(record + 48)),
  };
}

function safeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a zip64 size is out of range');
  return Number(n);
}

function readCentral(buf: Buffer, p: number): { central: Central; next: number } {
  if (buf.readUInt32LE(p) !== SIG_CENTRAL) throw corrupt('a zip directory entry is malformed');
  const nameLen = buf.readUInt16LE(p + 28);
  const extraLen = buf.readUInt16LE(p + 30);
  const commentLen = buf.readUInt16LE(p + 32);
  const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
  const extra = buf.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
  const flags = buf.readUInt16LE(p + 8);
  const method = buf.readUInt16LE(p + 10);
  const sizes = zip64Sizes(extra, {
    size: buf.readUInt32LE(p + 24),
    compressedSize: buf.readUInt32LE(p + 20),
    localOffset: buf.readUInt32LE(p + 42),
  });
  const name = decodeName(nameBytes);
  const central: Central = {
    name: name ?? nameBytes.toString('latin1'),
    nameBytes,
    flags,
    method,
    crc: buf.readUInt32LE(p + 16),
    ...sizes,
    kind: entryKind(nameBytes, buf.readUInt16LE(p + 4) >> 8, buf.readUInt32LE(p + 38)),
  };
  const problem = entryProblem(central, name === undefined);
  if (problem) central.problem = problem;
  return { central, next: p + 46 + nameLen + extraLen + commentLen };
}

type Sizes = { size: number; compressedSize: number; localOffset: number };

/** Zip64 stores the real values in extra field 0x0001, only for those set to 0xFFFFFFFF. */
function zip64Sizes(extra: Buffer, sizes: Sizes): Sizes {
  if (sizes.size !== MAX32 && sizes.compressedSize !== MAX32 && sizes.localOffset !== MAX32) return sizes;
  for (let p = 0; p + 4 <= extra.length; p += 4 + extra.readUInt16LE(p + 2)) {
    if (extra.readUInt16LE(p) !== 0x0001) continue;
    let q = p + 4;
    const next = (): number => {
      const v = safeNumber(extra.readBigUInt64LE(q));
      q += 8;
      return v;
    };
    const out = { ...sizes };
    if (out.size === MAX32) out.size = next();
    if (out.compressedSize === MAX32) out.compressedSize = next();
    if (out.localOffset === MAX32) out.localOffset = next();
    return out;
  }
  throw corrupt('a zip64 entry lacks its size record');
}

/**
 * Names are decoded as UTF-8 whatever the flag says: Python and most tools write UTF-8,
 * and a name that is not valid UTF-8 is refused rather than guessed at (CP437 vs Latin-1).
 */
function decodeName(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function entryKind(nameBytes: Buffer, host: number, external: number): ArchiveEntry['kind'] {
  if (nameBytes.length > 0 && nameBytes[nameBytes.length - 1] === 0x2f) return 'dir';
  if (host === HOST_UNIX || host === HOST_OSX) {
    const type = (external >>> 16) & 0o170000;
    if (type === 0o120000) return 'symlink';
    if (type === 0o040000) return 'dir';
    if (type !== 0 && type !== 0o100000) return 'other';
  }
  if (external & 0x10) return 'dir'; // MS-DOS directory attribute
  return 'file';
}

function entryProblem(c: Central, badName: boolean): string | undefined {
  if (badName) return 'file name is not valid UTF-8';
  if (c.flags & FLAG_ENCRYPTED) return 'encrypted entry';
  if (c.method !== 0 && c.method !== 8) return `unsupported zip compression method ${c.method}`;
  return undefined;
}

function toEntry(buf: Buffer, c: Central): ArchiveEntry {
  const entry: ArchiveEntry = {
    name: c.name,
    kind: c.kind,
    size: c.size,
    read: () => readData(buf, c),
  };
  return c.problem ? { ...entry, problem: c.problem } : entry;
}

function readData(buf: Buffer, c: Central): Buffer {
  if (c.problem) throw corrupt(`${c.name}: ${c.problem}`);
  const start = localDataStart(buf, c);
  if (start + c.compressedSize > buf.length) throw corrupt(`${c.name}: data runs past the end of the file`);
  const raw = buf.subarray(start, start + c.compressedSize);
  const data = c.method === 0 ? raw : inflate(raw, c);
  if (data.length !== c.size) throw corrupt(`${c.name}: size is ${data.length}, the zip says ${c.size}`);
  if (crc32(data) !== c.crc) throw corrupt(`${c.name}: CRC-32 mismatch`);
  return data;
}

function localDataStart(buf: Buffer, c: Central): number {
  const p = c.localOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== SIG_LOCAL) throw corrupt(`${c.name}: local header missing`);
  const nameLen = buf.readUInt16LE(p + 26);
  const extraLen = buf.readUInt16LE(p + 28);
  if (!buf.subarray(p + 30, p + 30 + nameLen).equals(c.nameBytes)) {
    throw corrupt(`${c.name}: the local header names a different file`);
  }
  return p + 30 + nameLen + extraLen;
}

function inflate(raw: Buffer, c: Central): Buffer {
  try {
    // maxOutputLength stops a zip bomb from inflating past what the header declared.
    return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, c.size) });
  } catch (err) {
    throw corrupt(`${c.name}: cannot decompress (${(err as Error).message})`);
  }
}

/** node:zlib has crc32 from Node 20.15; older Node 20 releases get the table version. */
const crc32: (data: Uint8Array) => number =
  typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) >>> 0 : tableCrc32;

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
