import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { InputError } from '../../core/index.js';

/** What a chunk holds: file content, or a piece of a serialised snapshot tree. */
export type ChunkKind = 'data' | 'tree';
/** How a chunk is stored inside its pack. */
/** `deflate` (raw deflate) and `brotli`: written by earlier versions and still read; `zstd`: what backups write now. */
export type Compression = 'none' | 'deflate' | 'brotli' | 'zstd';

/** Where a chunk lives: the dedup index maps a chunk id to this. */
export interface ChunkLocation {
  readonly packId: string;
  readonly kind: ChunkKind;
  readonly compression: Compression;
  /** Byte offset of the chunk's record (ciphertext then tag) from the start of the pack. */
  readonly offset: number;
  /** Length of the stored (maybe compressed) chunk, without the 16-byte tag. */
  readonly storedLength: number;
  readonly rawLength: number;
}

export interface PackEntry {
  readonly chunkId: Uint8Array;
  readonly kind: ChunkKind;
  readonly compression: Compression;
  readonly rawLength: number;
  readonly storedLength: number;
  readonly offset: number;
}

/** Sub-keys of the repository secret. The backup host holds them; none opens chunk content. */
export interface RepoSubkeys {
  readonly gearKey: Uint8Array;
  readonly idKey: Uint8Array;
  readonly metaKey: Uint8Array;
  readonly checkValue: string;
}

export const PACK_MAGIC = Buffer.from('LFVPACK1', 'latin1');
export const INDEX_MAGIC = Buffer.from('LFVINDX1', 'latin1');
const TAG = 16;
const NONCE = 12;

export function deriveSubkeys(secret: Uint8Array, repoId: Uint8Array): RepoSubkeys {
  const sub = (label: string): Buffer => Buffer.from(hkdfSync('sha256', secret, repoId, `lianfang-vault v1 ${label}`, 32));
  const check = createHmac('sha256', sub('check')).update('lianfang-vault key check').digest('hex');
  return { gearKey: sub('gear'), idKey: sub('chunk-id'), metaKey: sub('metadata'), checkValue: check };
}

export function chunkIdOf(idKey: Uint8Array, chunk: Uint8Array): Buffer {
  return createHmac('sha256', idKey).update(chunk).digest();
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const KIND_CODE: Record<ChunkKind, number> = { data: 0, tree: 1 };
const COMP_CODE: Record<Compression, number> = { none: 0, deflate: 1, brotli: 2, zstd: 3 };

function kindOf(code: number, where: string): ChunkKind {
  if (code === 0) return 'data';
  if (code === 1) return 'tree';
  throw new InputError('VAULT_FORMAT', `unknown chunk kind ${code}`, where);
}
function compressionOf(code: number, where: string): Compression {
  if (code === 0) return 'none';
  if (code === 1) return 'deflate';
  if (code === 2) return 'brotli';
  if (code === 3) return 'zstd';
  throw new InputError('VAULT_FORMAT', `unknown compression ${code}`, where);
}

/** AES-256-GCM with a random nonce: nonce || ciphertext || tag. For metadata under the meta key. */
export function sealMeta(key: Uint8Array, magic: Buffer, plain: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(magic);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([magic, nonce, body, c.getAuthTag()]);
}

export function openMeta(key: Uint8Array, magic: Buffer, sealed: Uint8Array, where: string): Buffer {
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (b.length < magic.length + NONCE + TAG) throw new InputError('VAULT_TRUNCATED', `only ${b.length} bytes`, where);
  checkMagic(b, magic, where);
  const nonce = b.subarray(magic.length, magic.length + NONCE);
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(magic);
  d.setAuthTag(b.subarray(b.length - TAG));
  try {
    return Buffer.concat([d.update(b.subarray(magic.length + NONCE, b.length - TAG)), d.final()]);
  } catch {
    throw new InputError('VAULT_AUTH', 'authentication failed (altered, truncated, or another repository\'s key)', where);
  }
}

function checkMagic(b: Buffer, magic: Buffer, where: string): void {
  const head = b.subarray(0, magic.length);
  if (head.equals(magic)) return;
  const kind = magic.subarray(0, 7).toString('latin1');
  if (head.subarray(0, 7).toString('latin1') === kind) {
    throw new InputError('VAULT_VERSION', `format version "${head.subarray(7).toString('latin1')}" is newer than this reader (1)`, where);
  }
  throw new InputError('VAULT_FORMAT', `not a ${kind} blob (magic ${JSON.stringify(head.toString('latin1'))})`, where);
}

/** A small cursor for the fixed big-endian layouts below; every read is bounds-checked. */
class Reader {
  pos = 0;
  constructor(private readonly b: Buffer, private readonly where: string) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new InputError('VAULT_TRUNCATED', `needs ${n} bytes at offset ${this.pos}, has ${this.b.length - this.pos}`, this.where);
  }
  u8(): number { this.need(1); return this.b[this.pos++]!; }
  u16(): number { this.need(2); const v = this.b.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.b.readUInt32BE(this.pos); this.pos += 4; return v; }
  bytes(n: number): Buffer { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  done(): void {
    if (this.pos !== this.b.length) throw new InputError('VAULT_FORMAT', `${this.b.length - this.pos} trailing bytes`, this.where);
  }
}

function u32(v: number): Buffer { const b = Buffer.allocUnsafe(4); b.writeUInt32BE(v); return b; }

// ---------------------------------------------------------------- chunk records

function chunkNonce(index: number): Buffer {
  // counter nonce: the data key is fresh per pack, so (key, index) never repeats
  const n = Buffer.alloc(NONCE);
  n.writeUInt32BE(index, 8);
  return n;
}

function chunkAad(e: Omit<PackEntry, 'offset' | 'storedLength'>): Buffer {
  const b = Buffer.alloc(32 + 2 + 4);
  Buffer.from(e.chunkId).copy(b, 0);
  b[32] = KIND_CODE[e.kind];
  b[33] = COMP_CODE[e.compression];
  b.writeUInt32BE(e.rawLength, 34);
  return b;
}

/**
 * A chunk's sealed record as pieces (ciphertext, then tag), which the pack joins with the
 * rest: joining them here too would copy every stored byte once more.
 */
export function sealChunk(dataKey: Uint8Array, index: number, e: Omit<PackEntry, 'offset' | 'storedLength'>, stored: Uint8Array): Buffer[] {
  const c = createCipheriv('aes-256-gcm', dataKey, chunkNonce(index));
  c.setAAD(chunkAad(e));
  const body = c.update(stored);
  const rest = c.final(); // empty for GCM
  return rest.length === 0 ? [body, c.getAuthTag()] : [body, rest, c.getAuthTag()];
}

export function openChunk(dataKey: Uint8Array, index: number, e: PackEntry, record: Uint8Array, where: string): Buffer {
  const b = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  const d = createDecipheriv('aes-256-gcm', dataKey, chunkNonce(index));
  d.setAAD(chunkAad(e));
  d.setAuthTag(b.subarray(b.length - TAG));
  try {
    const plain = d.update(b.subarray(0, b.length - TAG));
    const rest = d.final(); // empty for GCM, and where the tag is checked
    return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
  } catch {
    throw new InputError('VAULT_AUTH', `chunk ${Buffer.from(e.chunkId).toString('hex')} failed authentication`, where);
  }
}

// ---------------------------------------------------------------- packs

export interface PackHeader {
  readonly wrappedKey: Uint8Array;
  readonly entries: PackEntry[];
  /** Offset of the first chunk record. */
  readonly bodyOffset: number;
}

/** Assembles a pack: magic, u32 header length, sealed header, then the chunk records. */
export function assemblePack(metaKey: Uint8Array, wrappedKey: Uint8Array, entries: Omit<PackEntry, 'offset'>[], records: Uint8Array[]): Buffer {
  if (wrappedKey.length > 0xffff) throw new InputError('VAULT_WRAP', `wrapped data key is ${wrappedKey.length} bytes, at most 65535`);
  const parts: Buffer[] = [Buffer.from([1]), Buffer.from([wrappedKey.length >> 8, wrappedKey.length & 0xff]), Buffer.from(wrappedKey), u32(entries.length)];
  for (const e of entries) {
    const b = Buffer.alloc(32 + 2 + 8);
    Buffer.from(e.chunkId).copy(b, 0);
    b[32] = KIND_CODE[e.kind];
    b[33] = COMP_CODE[e.compression];
    b.writeUInt32BE(e.rawLength, 34);
    b.writeUInt32BE(e.storedLength, 38);
    parts.push(b);
  }
  const sealed = sealMeta(metaKey, PACK_MAGIC, Buffer.concat(parts)).subarray(PACK_MAGIC.length);
  return Buffer.concat([PACK_MAGIC, u32(sealed.length), sealed, ...records]);
}

/**
 * The header of a pack; `pack` may be just its first bytes (at least the header), with
 * `packLength` the whole pack's, which the records listed must fill exactly.
 */
export function readPackHeader(metaKey: Uint8Array, pack: Uint8Array, where: string, packLength = pack.length): PackHeader {
  const b = Buffer.from(pack.buffer, pack.byteOffset, pack.byteLength);
  if (b.length < PACK_MAGIC.length + 4) throw new InputError('VAULT_TRUNCATED', `pack is only ${b.length} bytes`, where);
  checkMagic(b, PACK_MAGIC, where);
  const sealedLen = b.readUInt32BE(PACK_MAGIC.length);
  const bodyOffset = PACK_MAGIC.length + 4 + sealedLen;
  if (bodyOffset > b.length) throw new InputError('VAULT_TRUNCATED', `header claims ${sealedLen} bytes, pack has ${b.length - 12}`, where);
  const sealed = Buffer.concat([PACK_MAGIC, b.subarray(PACK_MAGIC.length + 4, bodyOffset)]);
  const r = new Reader(openMeta(metaKey, PACK_MAGIC, sealed, `${where} header`), `${where} header`);
  const version = r.u8();
  if (version !== 1) throw new InputError('VAULT_VERSION', `pack header version ${version} is newer than this reader (1)`, where);
  const wrappedKey = r.bytes(r.u16());
  const count = r.u32();
  const entries: PackEntry[] = [];
  let offset = bodyOffset;
  for (let i = 0; i < count; i++) {
    const chunkId = r.bytes(32);
    const kind = kindOf(r.u8(), where);
    const compression = compressionOf(r.u8(), where);
    const rawLength = r.u32();
    const storedLength = r.u32();
    entries.push({ chunkId, kind, compression, rawLength, storedLength, offset });
    offset += storedLength + TAG;
  }
  r.done();
  if (offset !== packLength) throw new InputError('VAULT_TRUNCATED', `header lists ${offset} bytes of records, pack has ${packLength}`, where);
  return { wrappedKey, entries, bodyOffset };
}

/** A pack's first bytes that say how long its header is (magic, then the sealed header's length). */
export const PACK_PREFIX = PACK_MAGIC.length + 4;

/** Bytes a pack's header takes (prefix and sealed header), read from its first PACK_PREFIX bytes; 0 when fewer are given. */
export function packHeaderLength(start: Uint8Array): number {
  if (start.length < PACK_PREFIX) return 0;
  return PACK_PREFIX + Buffer.from(start.buffer, start.byteOffset, start.byteLength).readUInt32BE(PACK_MAGIC.length);
}

/**
 * Bytes [start, end) of pieces laid end to end (a pack as a sharded store's stripes): a view
 * when one piece holds them all, a copy when they span pieces. Clamped to the pieces' end.
 */
export function piecesRange(pieces: readonly Uint8Array[], start: number, end: number): Uint8Array {
  let at = 0;
  for (const [i, p] of pieces.entries()) {
    if (start < at + p.length) {
      if (end <= at + p.length || i === pieces.length - 1) return p.subarray(start - at, end - at);
      const out: Uint8Array[] = [p.subarray(start - at)];
      let filled = at + p.length;
      for (const q of pieces.slice(i + 1)) {
        if (filled >= end) break;
        out.push(q.subarray(0, Math.min(q.length, end - filled)));
        filled += q.length;
      }
      return Buffer.concat(out);
    }
    at += p.length;
  }
  return new Uint8Array(0);
}

// ---------------------------------------------------------------- index files

export interface IndexedPack {
  readonly packId: string;
  readonly entries: PackEntry[];
}

export function encodeIndex(metaKey: Uint8Array, packs: readonly IndexedPack[]): Buffer {
  const parts: Buffer[] = [Buffer.from([1]), u32(packs.length)];
  for (const p of packs) {
    parts.push(Buffer.from(p.packId, 'hex'), u32(p.entries.length));
    for (const e of p.entries) {
      const b = Buffer.alloc(32 + 2 + 12);
      Buffer.from(e.chunkId).copy(b, 0);
      b[32] = KIND_CODE[e.kind];
      b[33] = COMP_CODE[e.compression];
      b.writeUInt32BE(e.rawLength, 34);
      b.writeUInt32BE(e.storedLength, 38);
      b.writeUInt32BE(e.offset, 42);
      parts.push(b);
    }
  }
  return sealMeta(metaKey, INDEX_MAGIC, Buffer.concat(parts));
}

export function decodeIndex(metaKey: Uint8Array, bytes: Uint8Array, where: string): IndexedPack[] {
  const r = new Reader(openMeta(metaKey, INDEX_MAGIC, bytes, where), where);
  const version = r.u8();
  if (version !== 1) throw new InputError('VAULT_VERSION', `index version ${version} is newer than this reader (1)`, where);
  const out: IndexedPack[] = [];
  for (let n = r.u32(), i = 0; i < n; i++) {
    const packId = r.bytes(32).toString('hex');
    const entries: PackEntry[] = [];
    for (let m = r.u32(), j = 0; j < m; j++) {
      const chunkId = r.bytes(32);
      const kind = kindOf(r.u8(), where);
      const compression = compressionOf(r.u8(), where);
      entries.push({ chunkId, kind, compression, rawLength: r.u32(), storedLength: r.u32(), offset: r.u32() });
    }
    out.push({ packId, entries });
  }
  r.done();
  return out;
}

export function packBlobName(packId: string): string {
  return `packs/${packId.slice(0, 2)}/${packId}`;
}
