/** The shard thread (see shard-thread.ts): erasure coding and SHA-256, answered in order. */
import { parentPort } from 'node:worker_threads';
import { InputError, errorMessage } from '../../core/index.js';
import { encodePack } from './index.js';
import { sha256 } from './shard-format.js';
import type { ShardRequest, ShardResponse } from './shard-thread.js';

const port = parentPort!;
port.on('message', (req: ShardRequest) => {
  try {
    if (req.op === 'encode') {
      const shards = encodePack(req.packId, req.pack, req.k, req.n, req.packSha256);
      const res: ShardResponse = { id: req.id, ok: true, shards };
      port.postMessage(res, shards.map((s) => s.buffer as ArrayBuffer));
    } else {
      const digest = sha256(req.bytes);
      const res: ShardResponse = { id: req.id, ok: true, digest, bytes: req.returnBytes ? req.bytes : undefined };
      port.postMessage(res, req.returnBytes ? [req.bytes.buffer as ArrayBuffer] : []);
    }
  } catch (err) {
    const res: ShardResponse =
      err instanceof InputError
        ? { id: req.id, ok: false, code: err.code, where: err.where ?? null, message: err.message }
        : { id: req.id, ok: false, code: null, where: null, message: errorMessage(err) };
    port.postMessage(res);
  }
});
