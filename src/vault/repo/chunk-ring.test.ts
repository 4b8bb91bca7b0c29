import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingReader, RingWriter, newRing } from './chunk-ring.js';

const free = (share: { control: SharedArrayBuffer }): number => new Int32Array(share.control)[0]!;
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const never = (): boolean => false;

describe('chunk ring', () => {
  it('gives room back in the order it was taken, whatever order chunks are released in', () => {
    const share = newRing(100);
    const w = new RingWriter(share);
    const r = new RingReader(share);
    const a = w.put(bytes(40, 1), never)!;
    const b = w.put(bytes(40, 2), never)!;
    assert.deepEqual([a, b], [{ at: 0, charge: 40 }, { at: 40, charge: 40 }]);
    assert.equal(free(share), 20);
    const ca = r.take(a.at, 40, a.charge);
    const cb = r.take(b.at, 40, b.charge);
    cb.release();
    assert.equal(free(share), 20, 'b released before a: its room is behind a, not yet reusable');
    assert.deepEqual([...new Set(ca.bytes)], [1], 'a is untouched');
    cb.release(); // twice: nothing more
    ca.release();
    assert.equal(free(share), 100);
  });

  it('starts again at the front when a chunk does not fit the tail, charging the skipped tail', () => {
    const share = newRing(100);
    const w = new RingWriter(share);
    const r = new RingReader(share);
    const a = w.put(bytes(70, 1), never)!;
    const held = r.take(a.at, 70, a.charge);
    // 40 bytes need the front (30 left at the end), and the front is held: the writer waits.
    let asked = 0;
    assert.equal(w.put(bytes(40, 2), () => ++asked > 1), null, 'no room: gives up when told to stop');
    held.release();
    const b = w.put(bytes(40, 2), never)!;
    assert.deepEqual(b, { at: 0, charge: 30 + 40 });
    const cb = r.take(b.at, 40, b.charge);
    assert.deepEqual([...new Set(cb.bytes)], [2]);
    assert.equal(free(share), 30);
    cb.release();
    assert.equal(free(share), 100);
  });

  it('refuses a chunk larger than the ring', () => {
    assert.throws(() => new RingWriter(newRing(10)).put(bytes(11, 0), never), RangeError);
  });
});
