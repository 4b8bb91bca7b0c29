import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChunkSplitter, FastCdc } from './chunker.js';
import { ChunkThread, FileReadError, type FileChunks, type ThreadChunk } from './chunk-thread.js';
import { ringSize } from './chunk-ring.js';
import { chunkIdOf } from './format.js';

const root = mkdtempSync(join(tmpdir(), 'vault-chunk-thread-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const keys = { gearKey: randomBytes(32), idKey: randomBytes(32), chunker: { min: 4096, avg: 8192, max: 32768 } };

/** What the backup did on its own thread before: the same cuts and ids. */
function chunksHere(bytes: Uint8Array): { hex: string; length: number }[] {
  const s = new ChunkSplitter(new FastCdc(keys.gearKey, keys.chunker));
  return [...s.push(bytes), ...s.finish()].map((c) => ({ hex: chunkIdOf(keys.idKey, c).toString('hex'), length: c.length }));
}

async function collect(file: FileChunks): Promise<{ hex: string; length: number }[]> {
  const out: { hex: string; length: number }[] = [];
  for await (const { chunk, id, release } of file) {
    assert.equal(Buffer.from(id).toString('hex'), chunkIdOf(keys.idKey, chunk).toString('hex'), 'the id is the chunk’s');
    out.push({ hex: Buffer.from(id).toString('hex'), length: chunk.length });
    release();
  }
  return out;
}

const RING = ringSize(keys.chunker.max);

describe('chunk thread', () => {
  const thread = new ChunkThread();

  it('cuts and names files as the main thread would, in the order they were asked for', async () => {
    const files = [randomBytes(300_000), Buffer.alloc(0), randomBytes(100), Buffer.from('x'.repeat(90_000))].map((b, i) => {
      const p = join(root, `f${i}`);
      writeFileSync(p, b);
      return { p, b };
    });
    const session = thread.session(keys);
    const reads = files.map((f) => session.read(f.p)); // all asked for at once, taken in turn
    for (const [i, f] of files.entries()) {
      assert.deepEqual(await collect(reads[i]!), chunksHere(f.b), `file ${i}`);
      assert.equal(reads[i]!.size, f.b.length);
    }
    session.close();
  });

  it('reports a file it cannot read, and goes on with the next', async () => {
    const ok = join(root, 'ok');
    writeFileSync(ok, randomBytes(50_000));
    const session = thread.session(keys);
    const missing = session.read(join(root, 'no-such-file'));
    const folder = session.read(root);
    const next = session.read(ok);
    await assert.rejects(collect(missing), (err: unknown) => err instanceof FileReadError && err.reason === 'ENOENT');
    await assert.rejects(collect(folder), (err: unknown) => err instanceof FileReadError && err.reason === 'EISDIR');
    assert.ok((await collect(next)).length > 0);
    session.close();
  });

  it('does not run ahead without bound, and a file left half-read does not stall the next', async () => {
    // Far more chunks than the ring holds: the thread must wait for the reader.
    const big = join(root, 'big');
    writeFileSync(big, randomBytes(RING * 8));
    const after = join(root, 'after');
    const afterBytes = randomBytes(70_000);
    writeFileSync(after, afterBytes);
    const session = thread.session(keys);
    const first = session.read(big);
    const second = session.read(after);
    for await (const c of first) {
      c.release();
      break; // one chunk taken, the rest abandoned
    }
    assert.deepEqual(await collect(second), chunksHere(afterBytes));
    session.close();
  });

  it('skips what a closed session asked for and did not take', async () => {
    const p = join(root, 'closed');
    writeFileSync(p, randomBytes(RING * 8));
    const s1 = thread.session(keys);
    const unread = s1.read(p);
    s1.close();
    await assert.rejects(collect(unread), (err: unknown) => err instanceof FileReadError);
    // A new session is served at once.
    const s2 = thread.session(keys);
    const small = randomBytes(10_000);
    const q = join(root, 'small');
    writeFileSync(q, small);
    assert.deepEqual(await collect(s2.read(q)), chunksHere(small));
    s2.close();
  });

  it('never reuses the room of a chunk still held: the thread waits until it is released', async () => {
    const bytes = randomBytes(RING * 6);
    const p = join(root, 'held');
    writeFileSync(p, bytes);
    const expected = chunksHere(bytes);
    // The ring as chunk-ring.ts defines it: claims in order, one skipping the tail when it
    // does not fit there. How many chunks fit with none released, and what each took.
    const charges: number[] = [];
    let free = RING;
    for (let at = 0, i = 0; i < expected.length; i++) {
      const n = expected[i]!.length;
      const wraps = at + n > RING;
      const charge = wraps ? RING - at + n : n;
      if (charge > free) break;
      charges.push(charge);
      free -= charge;
      at = (wraps ? 0 : at) + n;
    }
    const fits = charges.length;
    assert.ok(fits < expected.length);
    const session = thread.session(keys);
    try {
      const it = session.read(p)[Symbol.asyncIterator]();
      const next = async (): Promise<ThreadChunk> => {
        const r = await it.next();
        assert.ok(!r.done, 'the file ended early');
        return r.value;
      };
      const check = (c: ThreadChunk, i: number): void => {
        assert.equal(chunkIdOf(keys.idKey, c.chunk).toString('hex'), expected[i]!.hex, `chunk ${i}`);
      };
      const held: ThreadChunk[] = [];
      for (let i = 0; i < fits; i++) held.push(await next());
      // The ring is full: nothing more comes while every chunk is held.
      const pending = next();
      const stalled = await Promise.race([pending.then(() => 'came'), new Promise((res) => setTimeout(() => res('stalled'), 300))]);
      assert.equal(stalled, 'stalled', `chunk ${fits} came with the ring full`);
      held.forEach(check);
      // Release the oldest until the next chunk has room: it comes, and what is held is intact.
      let released = 0;
      while (!roomFor(fits, released)) held[released++]!.release();
      const more = await pending;
      check(more, fits);
      held.slice(released).forEach((c, i) => check(c, released + i));
      for (const c of held.slice(released)) c.release();
      more.release();
      let i = fits + 1;
      for (let r = await it.next(); !r.done; r = await it.next(), i++) {
        check(r.value, i);
        r.value.release();
      }
      assert.equal(i, expected.length);
    } finally {
      session.close();
    }

    /** Whether chunk `k` (the first that did not fit) fits once the `released` oldest are given back. */
    function roomFor(k: number, released: number): boolean {
      let at = 0;
      for (let i = 0; i < k; i++) at = (at + expected[i]!.length > RING ? 0 : at) + expected[i]!.length;
      const n = expected[k]!.length;
      const charge = at + n > RING ? RING - at + n : n;
      return free + charges.slice(0, released).reduce((a, b) => a + b, 0) >= charge;
    }
  });
});
