/** The chunk-opening thread (see chunk-open-thread.ts): decrypt, decompress into the ring, check the id. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { brotliDecompressSync, inflateRawSync } from 'node:zlib';
import { InputError, errorMessage } from '../../core/index.js';
import { CLOSED, type OpenReply, type OpenRequest } from './chunk-open-thread.js';
import { RingWriter } from './chunk-ring.js';
import { openChunk, piecesRange, type PackEntry } from './format.js';
import { zstdDecompressInto } from './zstd.js';

const port = parentPort!;
const { control } = workerData as { control: Int32Array };
/** Set by the first message. */
let idKey: Uint8Array = new Uint8Array(0);
let ring: RingWriter | null = null;
const closed = (): boolean => Atomics.load(control, CLOSED) === 1;
const packs = new Map<number, { pieces: readonly Uint8Array[]; dataKey: Uint8Array; bodyOffset: number }>();

/** Raised after room was taken, so the reply gives it back. */
class RoomTaken extends Error {
  constructor(readonly err: unknown, readonly room: { at: number; charge: number }) {
    super('room taken');
  }
}

function open(pack: number, entry: PackEntry, where: string): { at: number; length: number; charge: number } {
  const p = packs.get(pack);
  if (p === undefined) throw new Error(`pack ${pack} was not sent to the chunk-opening thread`);
  const record = piecesRange(p.pieces, entry.offset, entry.offset + entry.storedLength + 16);
  const stored = openChunk(p.dataKey, entry.offset - p.bodyOffset, entry, record, where);
  const idHex = Buffer.from(entry.chunkId).toString('hex');
  // The older codecs decompress here, bounded as the main thread's reader does, then copy in.
  let inflated: Uint8Array | null = null;
  if (entry.compression === 'brotli' || entry.compression === 'deflate') {
    const opts = { maxOutputLength: entry.rawLength + 1 };
    try {
      inflated = entry.compression === 'brotli' ? brotliDecompressSync(stored, opts) : inflateRawSync(stored, opts);
    } catch (err) {
      throw inflateError(entry, where, err);
    }
  } else if (entry.compression === 'none') {
    inflated = stored;
  }
  if (inflated !== null && inflated.length !== entry.rawLength) throw lengthError(idHex, inflated.length, entry, where);
  if (ring === null) throw new Error('the chunk-opening thread was not begun');
  const room = ring.claim(entry.rawLength, closed);
  if (room === null) throw new Error('the restore ended');
  try {
    if (inflated !== null) room.bytes.set(inflated);
    else {
      let n: number;
      try {
        n = zstdDecompressInto(stored, room.bytes);
      } catch (err) {
        throw inflateError(entry, where, err);
      }
      if (n !== entry.rawLength) throw lengthError(idHex, n, entry, where);
    }
    const id = createHmac('sha256', idKey).update(room.bytes).digest();
    if (!timingSafeEqual(id, entry.chunkId)) throw new InputError('VAULT_CHUNK_ID', `chunk ${idHex} does not hash to its id`, where);
  } catch (err) {
    throw new RoomTaken(err, { at: room.at, charge: room.charge });
  }
  return { at: room.at, length: entry.rawLength, charge: room.charge };
}

function inflateError(entry: PackEntry, where: string, err: unknown): InputError {
  return new InputError('VAULT_CHUNK_INFLATE', `chunk does not decompress (${entry.compression}) to ${entry.rawLength} bytes: ${errorMessage(err)}`, where);
}

function lengthError(idHex: string, n: number, entry: PackEntry, where: string): InputError {
  return new InputError('VAULT_CHUNK_LENGTH', `chunk ${idHex} is ${n} bytes, index says ${entry.rawLength}`, where);
}

port.on('message', (m: OpenRequest) => {
  if (m.kind === 'begin') {
    idKey = m.idKey;
    ring = new RingWriter(m.ring);
    return;
  }
  if (m.kind === 'pack') {
    packs.set(m.pack, { pieces: m.pieces, dataKey: m.dataKey, bodyOffset: m.bodyOffset });
    return;
  }
  if (m.kind === 'drop') {
    packs.delete(m.pack);
    return;
  }
  let reply: OpenReply;
  try {
    reply = { id: m.id, ok: true, ...open(m.pack, m.entry, m.where) };
  } catch (caught) {
    const room = caught instanceof RoomTaken ? caught.room : undefined;
    const err = caught instanceof RoomTaken ? caught.err : caught;
    reply =
      err instanceof InputError
        ? { id: m.id, ok: false, code: err.code, message: err.message.slice(err.where ? err.where.length + 2 : 0), where: err.where, room }
        : { id: m.id, ok: false, code: '', message: errorMessage(err), room };
  }
  port.postMessage(reply);
});
