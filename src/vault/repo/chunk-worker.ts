/** The chunk thread (see chunk-thread.ts): read, cut and name each file asked for, in order. */
import { createHmac } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../core/index.js';
import { ChunkSplitter, FastCdc } from './chunker.js';
import { LIVE_FROM, MAX_IN_FLIGHT, type ChunkMessage, type ChunkRequest } from './chunk-thread.js';

const READ_SIZE = 4 * 1024 * 1024;
const port = parentPort!;
const { shared, slot: IN_FLIGHT } = workerData as { shared: Int32Array; slot: number };
const readBuf = Buffer.allocUnsafe(READ_SIZE);
let cdcOf: { session: number; cdc: FastCdc } | null = null;

class Skipped extends Error {}

function live(session: number): boolean {
  return Atomics.load(shared, LIVE_FROM) <= session;
}

/** Sends a chunk once fewer than MAX_IN_FLIGHT are waiting to be taken. */
function send(req: ChunkRequest, chunk: Uint8Array): void {
  for (;;) {
    if (!live(req.session)) throw new Skipped();
    const n = Atomics.load(shared, IN_FLIGHT);
    if (n < MAX_IN_FLIGHT) break;
    Atomics.wait(shared, IN_FLIGHT, n, 1000);
  }
  Atomics.add(shared, IN_FLIGHT, 1);
  const chunkId = createHmac('sha256', req.keys.idKey).update(chunk).digest();
  const m: ChunkMessage = { id: req.id, kind: 'chunk', chunk, chunkId };
  // Chunks are fresh copies; a large one owns its buffer, which moves instead of being copied.
  const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  port.postMessage(m, own ? [chunk.buffer as ArrayBuffer] : []);
}

port.on('message', (req: ChunkRequest) => {
  let m: ChunkMessage;
  let fd: number | null = null;
  try {
    if (!live(req.session)) throw new Skipped();
    if (cdcOf?.session !== req.session) cdcOf = { session: req.session, cdc: new FastCdc(req.keys.gearKey, req.keys.chunker) };
    const splitter = new ChunkSplitter(cdcOf.cdc);
    fd = openSync(req.path, 'r');
    let size = 0;
    for (;;) {
      const n = readSync(fd, readBuf, 0, READ_SIZE, null);
      if (n === 0) break;
      size += n;
      for (const c of splitter.push(readBuf.subarray(0, n))) send(req, c);
    }
    for (const c of splitter.finish()) send(req, c);
    m = { id: req.id, kind: 'done', size };
  } catch (err) {
    const reason = err instanceof Skipped ? 'skipped' : ((err as NodeJS.ErrnoException).code ?? errorMessage(err));
    m = { id: req.id, kind: 'error', reason };
  } finally {
    if (fd !== null) closeSync(fd);
  }
  port.postMessage(m);
});
