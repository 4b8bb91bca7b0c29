/** The chunk thread (see chunk-thread.ts): read, cut and name each file asked for, in order. */
import { createHmac } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../core/index.js';
import { ChunkSplitter, FastCdc } from './chunker.js';
import { RingWriter } from './chunk-ring.js';
import { LIVE_FROM, type ChunkMessage, type ChunkRequest } from './chunk-thread.js';

const READ_SIZE = 4 * 1024 * 1024;
const port = parentPort!;
const { shared } = workerData as { shared: Int32Array };
const readBuf = Buffer.allocUnsafe(READ_SIZE);
/** The session being served: its chunker, splitter and ring (one per session and thread). */
let current: { session: number; splitter: ChunkSplitter; ring: RingWriter } | null = null;

class Skipped extends Error {}

function live(session: number): boolean {
  return Atomics.load(shared, LIVE_FROM) <= session;
}

/** Sends a chunk (a view of the splitter's buffer) through the ring, once it has room. */
function send(req: ChunkRequest, ring: RingWriter, chunk: Uint8Array): void {
  const chunkId = createHmac('sha256', req.keys.idKey).update(chunk).digest();
  const put = ring.put(chunk, () => !live(req.session));
  if (put === null) throw new Skipped();
  const m: ChunkMessage = { id: req.id, kind: 'chunk', at: put.at, length: chunk.length, charge: put.charge, chunkId };
  port.postMessage(m);
}

port.on('message', (req: ChunkRequest) => {
  let m: ChunkMessage;
  let fd: number | null = null;
  try {
    if (!live(req.session)) throw new Skipped();
    if (current?.session !== req.session) {
      current = { session: req.session, splitter: new ChunkSplitter(new FastCdc(req.keys.gearKey, req.keys.chunker)), ring: new RingWriter(req.ring) };
    }
    const { splitter, ring } = current;
    splitter.reset(); // one splitter for the session's files: its buffer is twice the largest chunk
    const take = (c: Uint8Array): void => send(req, ring, c);
    fd = openSync(req.path, 'r');
    let size = 0;
    for (;;) {
      const n = readSync(fd, readBuf, 0, READ_SIZE, null);
      if (n === 0) break;
      size += n;
      splitter.pushEach(readBuf.subarray(0, n), take);
    }
    splitter.finishEach(take);
    m = { id: req.id, kind: 'done', size };
  } catch (err) {
    const reason = err instanceof Skipped ? 'skipped' : ((err as NodeJS.ErrnoException).code ?? errorMessage(err));
    m = { id: req.id, kind: 'error', reason };
  } finally {
    if (fd !== null) closeSync(fd);
  }
  port.postMessage(m);
});
