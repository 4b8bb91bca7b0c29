/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushSample, sparklinePath } from './sparkline.js';

function points(d: string): Array<[number, number]> {
  return d.split(/[ML]/).filter((s) => s.trim() !== '').map((s) => s.trim().split(' ').map(Number) as [number, number]);
}

describe('sparkline', () => {
  it('spans the width, puts the peak at the top and zero at the bottom', () => {
    const p = points(sparklinePath([0, 5, 10], 100, 20));
    assert.deepEqual(p, [[0, 19], [50, 10], [100, 1]]);
  });

  it('draws a flat line for one sample or all zeros, nothing for none', () => {
    assert.equal(sparklinePath([], 100, 20), '');
    assert.deepEqual(points(sparklinePath([7], 100, 20)), [[0, 1], [100, 1]]);
    assert.ok(points(sparklinePath([0, 0, 0], 100, 20)).every(([, y]) => y === 19));
  });

  it('treats NaN, infinities and negatives as zero rather than breaking the path', () => {
    const d = sparklinePath([Number.NaN, -3, Number.POSITIVE_INFINITY, 4], 30, 10);
    assert.doesNotMatch(d, /NaN|Infinity/);
    assert.deepEqual(points(d).map(([, y]) => y), [9, 9, 9, 1]);
  });

  it('keeps only the newest samples', () => {
    let s: number[] = [];
    for (let i = 1; i <= 5; i++) s = pushSample(s, i, 3);
    assert.deepEqual(s, [3, 4, 5]);
  });
});
