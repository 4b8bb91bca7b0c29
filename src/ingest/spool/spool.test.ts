import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ItemProblem } from '../../core/index.js';
import { Spool, type SpoolInput } from './spool.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lianfang-spool-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function msg(text: string, problem?: string): SpoolInput {
  return { text, receivedAt: new Date('2026-11-21T08:00:00.123Z'), source: { transport: 'tcp', peer: '10.0.0.7:51514', listener: 'syslog-tcp:5514' }, ...(problem ? { problem } : {}) };
}

describe('spool', () => {
  it('gives back what was appended, in order, with seqs, across a reopen', async () => {
    const dir = tempDir();
    const { spool } = Spool.open({ dir });
    const texts = ['<34>1 2026-11-21T08:00:00Z fw01 app - - - 登入失敗', 'CEF:0|V|P|1|100|name|5|src=10.0.0.1', '', 'x'.repeat(70_000)];
    const r = await spool.append(texts.map((t, i) => msg(t, i === 2 ? 'empty frame' : undefined)));
    assert.deepEqual(r, { first: 1, last: 4 });
    const got = spool.read(1, 100);
    assert.deepEqual(got.map((g) => g.text), texts);
    assert.deepEqual(got.map((g) => g.seq), [1, 2, 3, 4]);
    assert.equal(got[2]!.problem, 'empty frame');
    assert.equal(got[0]!.receivedAt.toISOString(), '2026-11-21T08:00:00.123Z');
    assert.deepEqual(got[0]!.source, msg('').source);
    await spool.close();
    const again = Spool.open({ dir });
    assert.equal(again.spool.id, spool.id, 'the spool keeps its id');
    assert.equal(again.spool.lastSeq, 4);
    assert.deepEqual(again.spool.read(3, 100).map((g) => g.seq), [3, 4]);
    assert.deepEqual((await again.spool.append([msg('after reopen')])).first, 5);
    assert.deepEqual(again.spool.read(1, 100).map((g) => g.text).at(-1), 'after reopen');
    await again.spool.close();
  });

  it('shares one write among concurrent appends and wakes a waiting reader', async () => {
    const { spool } = Spool.open({ dir: tempDir() });
    const waited = spool.waitFor(250);
    const results = await Promise.all(Array.from({ length: 50 }, (_, b) => spool.append(Array.from({ length: 5 }, (_, i) => msg(`b${b}m${i}`)))));
    await waited;
    const seqs = results.flatMap((r) => Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i));
    assert.deepEqual(seqs.sort((a, b) => a - b), Array.from({ length: 250 }, (_, i) => i + 1));
    const all = spool.read(1, 1000);
    assert.equal(all.length, 250);
    // Each batch's messages are contiguous and in order.
    for (const r of results) assert.deepEqual(all.slice(r.first - 1, r.last).map((m) => m.text.split('m')[1]), ['0', '1', '2', '3', '4']);
    await spool.close();
  });

  it('rolls segments, reads across them, and deletes what the reader released', async () => {
    const dir = tempDir();
    const { spool } = Spool.open({ dir, segmentBytes: 4096 });
    for (let b = 0; b < 20; b++) await spool.append(Array.from({ length: 10 }, (_, i) => msg(`message ${b * 10 + i + 1} ${'p'.repeat(40)}`)));
    const segs = readdirSync(dir).filter((n) => n.endsWith('.seg'));
    assert.ok(segs.length > 3, `expected several segments, got ${segs.length}`);
    const mid = spool.read(95, 30);
    assert.deepEqual(mid.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => 95 + i));
    assert.match(mid[0]!.text, /^message 95 /);
    const backlogBefore = spool.backlogBytes;
    spool.release(150);
    assert.ok(spool.backlogBytes < backlogBefore, 'releasing shrinks the backlog');
    const left = readdirSync(dir).filter((n) => n.endsWith('.seg'));
    assert.ok(left.length < segs.length, 'released segments are deleted');
    assert.equal(spool.read(151, 1000).length, 50, 'what was not released is still there');
    assert.equal(spool.read(151, 1000)[0]!.seq, 151);
    spool.read(151, 1000);
    spool.release(200);
    assert.equal(spool.backlogBytes, 0, 'everything read and released: no backlog, though the last segment stays');
    await spool.close();
  });

  it('cuts a torn tail on open: acknowledged records stay, the half-written one goes', async () => {
    const dir = tempDir();
    const { spool } = Spool.open({ dir });
    await spool.append([msg('one'), msg('two'), msg('three')]);
    await spool.close();
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const size = statSync(seg).size;
    // A kill in the middle of writing a fourth record: its header and part of its payload.
    const whole = readFileSync(seg);
    writeFileSync(seg, Buffer.concat([whole, whole.subarray(0, 30)]));
    const reopened = Spool.open({ dir });
    assert.equal(reopened.spool.lastSeq, 3);
    assert.equal(statSync(seg).size, size, 'the torn bytes are cut');
    assert.deepEqual((await reopened.spool.append([msg('four')])).first, 4);
    assert.deepEqual(reopened.spool.read(1, 10).map((m) => m.text), ['one', 'two', 'three', 'four']);
    await reopened.spool.close();
  });

  it('reports a damaged record with where it is, and still reads the ones after it', async () => {
    const dir = tempDir();
    const { spool } = Spool.open({ dir });
    await spool.append([msg('first'), msg('second'), msg('third')]);
    await spool.close();
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const data = readFileSync(seg);
    const at = data.indexOf('second');
    data[at] = 'S'.charCodeAt(0); // a flipped byte in the payload
    writeFileSync(seg, data);
    const { spool: s2, report } = Spool.open({ dir });
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0]!.reason, /CRC-32/);
    assert.match(report.problems[0]!.where, /seq 2/);
    const problems: ItemProblem[] = [];
    assert.deepEqual(s2.read(1, 10, (p) => problems.push(p)).map((m) => m.text), ['first', 'third']);
    assert.equal(problems.length, 1);
    // A damaged header: the reader resynchronises on the next record's magic.
    data[data.indexOf('LFS1'.split('').reverse().join(''), 1)] = 0;
    writeFileSync(seg, data);
    const { spool: s3 } = Spool.open({ dir });
    assert.deepEqual(s3.read(1, 10).map((m) => m.text), ['first', 'third']);
    await s2.close();
    await s3.close();
  });

  it('makes appends wait when the backlog is over its bound, until the reader releases', async () => {
    const { spool } = Spool.open({ dir: tempDir(), maxBytes: 2000, segmentBytes: 1000 });
    for (let i = 0; spool.backlogBytes <= 2000; i++) await spool.append([msg(`m${i} ${'z'.repeat(60)}`)]);
    let done = false;
    const blocked = spool.append([msg('waits')]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(done, false, 'append waits while the backlog is over maxBytes');
    spool.release(spool.lastSeq);
    await blocked;
    assert.equal(done, true);
    await spool.close();
  });

  it('refuses a truncated segment gracefully: open never throws on damage', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '0000000000000001.seg'), Buffer.from('garbage that is not a spool record at all'));
    const { spool, report } = Spool.open({ dir });
    assert.equal(spool.lastSeq, 0);
    assert.equal(report.records, 0);
    truncateSync(join(dir, '0000000000000001.seg'), 0);
  });
});
