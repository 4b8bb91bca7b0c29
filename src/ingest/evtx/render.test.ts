import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFiletime, renderHex64, renderPythonFloat, renderSid, renderUint64 } from './render.js';

function view(bytes: number[] | Uint8Array): DataView {
  const array = Uint8Array.from(bytes);
  return new DataView(array.buffer);
}

function filetime(ticks: bigint): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, ticks, true);
  return renderFiletime(v, 0);
}

test('floats are written as Python writes them', () => {
  const cases: [number, string][] = [
    [0, '0.0'], [-0, '-0.0'], [1, '1.0'], [2.5, '2.5'], [-1.5, '-1.5'], [0.1, '0.1'], [1e-5, '1e-05'],
    [0.0001, '0.0001'], [1e16, '1e+16'], [1234567890123456, '1234567890123456.0'], [1.5e300, '1.5e+300'],
    [Math.fround(0.1), '0.10000000149011612'], [Number.NaN, 'nan'], [Number.POSITIVE_INFINITY, 'inf'],
  ];
  for (const [value, text] of cases) assert.equal(renderPythonFloat(value), text, String(value));
});

test('FILETIME: 100-ns ticks cut to microseconds, zero fraction left out, python-evtx limits kept', () => {
  assert.equal(filetime(131973250316619283n), '2019-03-17 19:37:11.661928');
  assert.equal(filetime(131973250316619289n), '2019-03-17 19:37:11.661928');
  assert.equal(filetime(131973250310000000n), '2019-03-17 19:37:11');
  assert.equal(filetime(0n), '1601-01-01 00:00:00');
  assert.equal(filetime(2n ** 64n - 1n), '0001-01-01 00:00:00');
});

test('64-bit integers are exact beyond 2^53; hex has no padding', () => {
  assert.equal(renderUint64(view([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0), '18446744073709551615');
  assert.equal(renderUint64(view([1, 0, 0, 0, 1, 0, 0, 0]), 0), '4294967297');
  assert.equal(renderHex64(view([0, 0, 0, 0, 0, 0, 0, 0x80]), 0), '0x8000000000000000');
  assert.equal(renderHex64(view([0x78, 3, 0, 0, 0, 0, 0, 0]), 0), '0x378');
  assert.equal(renderHex64(view([1, 0, 0, 0, 1, 0, 0, 0]), 0), '0x100000001');
});

test('SIDs: big-endian authority, little-endian sub-authorities, size checked', () => {
  assert.equal(renderSid(view([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]), 0, 12), 'S-1-5-18');
  assert.throws(() => renderSid(view([1, 5, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]), 0, 12), /does not fit/);
});
