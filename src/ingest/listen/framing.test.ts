import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSource } from '../../core/index.js';
import { MAX_OCTET_COUNT, SyslogFramer, frameDatagram, utf8CutPoint } from './framing.js';
import { newTransportCounters, type RawMessage, type TransportCounters } from './types.js';

const source: MessageSource = { transport: 'tcp', peer: '127.0.0.1:1', listener: 'syslog-tcp:0' };
const at = new Date('2025-01-02T03:04:05Z');

interface Framed {
  frames: RawMessage[];
  counters: TransportCounters;
}

/** Feeds `chunks` to one framer, then ends the stream. */
function frame(chunks: Array<string | Buffer>, maxMessageBytes = 1024): Framed {
  const counters = newTransportCounters();
  const framer = new SyslogFramer(source, maxMessageBytes, counters);
  const frames: RawMessage[] = [];
  for (const c of chunks) framer.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c, at, frames);
  framer.end(at, frames);
  return { frames, counters };
}

const texts = (f: Framed): string[] => f.frames.map((m) => m.text);
const problems = (f: Framed): Array<string | undefined> => f.frames.map((m) => m.problem);
const octet = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;

test('non-transparent framing: LF, NUL and CRLF end a frame; empty frames are counted, not delivered', () => {
  const f = frame(['<13>a\n<13>b\0<13>c\r\n\n\r\n<13>d']);
  assert.deepEqual(texts(f), ['<13>a', '<13>b', '<13>c', '<13>d']);
  assert.deepEqual(problems(f), [undefined, undefined, undefined, undefined]);
  assert.equal(f.counters.emptyFrames, 2);
  assert.deepEqual(f.frames[0], { text: '<13>a', source, receivedAt: at }, 'a clean frame has no problem key');
});

test('octet counting: LEN SP MSG, with LF and multi-line content inside the count', () => {
  const a = '<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - line one\nline two';
  const b = '<13>ends with a newline\n';
  const f = frame([octet(a) + octet(b)]);
  assert.deepEqual(texts(f), [a, '<13>ends with a newline']);
  assert.equal(f.counters.framingErrors, 0);
});

test('octet-counted and LF-framed frames mixed on one stream', () => {
  const stream = `${octet('<13>one')}<13>two\n${octet('<13>three')}\n<13>four\n${octet('<13>five')}`;
  const f = frame([stream]);
  assert.deepEqual(texts(f), ['<13>one', '<13>two', '<13>three', '<13>four', '<13>five']);
  assert.equal(f.counters.emptyFrames, 1, 'the LF after a counted frame is an empty frame');
  assert.equal(f.counters.framingErrors, 0);
});

test('a count is believed only before "<": Check Point\'s PRI-less 5424, lone numbers, "200000 bytes" are text', () => {
  const f = frame(['1 2019-05-15T16:25:50Z fw1 CheckPoint 1234 - - accept\n0\n17\n200000 bytes sent\n<13>next\n']);
  assert.deepEqual(texts(f), ['1 2019-05-15T16:25:50Z fw1 CheckPoint 1234 - - accept', '0', '17', '200000 bytes sent', '<13>next']);
  assert.deepEqual(problems(f), [undefined, undefined, undefined, undefined, undefined]);
});

test('bad octet counts are reported, framing resynchronises at the next LF, nothing is skipped', () => {
  const f = frame([
    `${octet('<13>ok')}12ab <13>x\n${octet('<13>after')}0 <13>zero\n${octet('<13>b')}12<13>nospace\n` +
      `${octet('<13>c')}999999999999 <13>huge\nab <13>letters\n${octet('<13>end')}`,
  ]);
  assert.deepEqual(texts(f), [
    '<13>ok', '12ab <13>x', '<13>after', '0 <13>zero', '<13>b', '12<13>nospace', '<13>c', '999999999999 <13>huge',
    'ab <13>letters', '<13>end',
  ]);
  const p = problems(f);
  assert.match(p[1]!, /^invalid octet count '12ab/);
  assert.match(p[3]!, /^invalid octet count '0': zero length/);
  assert.match(p[5]!, /^invalid octet count '12<': no space/);
  assert.match(p[7]!, new RegExp(`^invalid octet count '999999999999': more than ${MAX_OCTET_COUNT}`));
  assert.match(p[8]!, /^invalid octet count 'ab': expected digits or '<'/);
  assert.equal(f.counters.framingErrors, 5);
  for (const i of [0, 2, 4, 6, 9]) assert.equal(p[i], undefined);
});

test('digits followed directly by "<" are a broken count even before the peer has counted', () => {
  const f = frame(['5<13>x\n<13>y\n']);
  assert.deepEqual(texts(f), ['5<13>x', '<13>y']);
  assert.match(f.frames[0]!.problem!, /no space/);
});

test('every split of a mixed stream into two chunks, and byte-by-byte feeding, give the same frames', () => {
  const stream = Buffer.from(
    `${octet('<13>counted é')}<13>lf one\r\n${octet('<14>multi\nline')}\n<15>nul\0` +
      `1 2019 pri-less\n${octet('<13>x')}12ab <13>bad\n<13>tail`,
  );
  const whole = frame([stream]);
  assert.equal(whole.frames.length, 8);
  for (let i = 0; i <= stream.length; i++) {
    const split = frame([stream.subarray(0, i), stream.subarray(i)]);
    assert.deepEqual(split.frames, whole.frames, `split at byte ${i}`);
    assert.deepEqual(split.counters, whole.counters, `counters, split at byte ${i}`);
  }
  const bytes = [...stream].map((b) => Buffer.from([b]));
  assert.deepEqual(frame(bytes).frames, whole.frames);
});

test('an oversized LF frame is cut, flagged, and the rest of it discarded up to its end', () => {
  const big = `<13>${'x'.repeat(96)}`;
  const f = frame([`${big}\n<13>next\n`], 40);
  assert.deepEqual(texts(f), [big.slice(0, 40), '<13>next']);
  assert.equal(f.frames[0]!.problem, 'oversized: 100 bytes, kept the first 40');
  assert.equal(f.counters.oversized, 1);
  assert.equal(f.counters.discardedBytes, 60);
});

test('an oversized counted frame is delivered as soon as the cut is reached; the stream goes on', () => {
  const big = `<13>${'y'.repeat(196)}`;
  const counters = newTransportCounters();
  const framer = new SyslogFramer(source, 50, counters);
  const out: RawMessage[] = [];
  framer.push(Buffer.from(`${octet(big).slice(0, 80)}`), at, out);
  assert.equal(out.length, 1, 'delivered before the rest of the frame arrived');
  assert.equal(out[0]!.problem, 'oversized: 200 bytes, kept the first 50');
  framer.push(Buffer.from(`${octet(big).slice(80)}${octet('<13>after')}`), at, out);
  framer.end(at, out);
  assert.deepEqual(out.map((m) => m.text), [big.slice(0, 50), '<13>after']);
  assert.equal(counters.discardedBytes, 150);
});

test('a cut never splits a UTF-8 character', () => {
  const f = frame([`<13>${'é'.repeat(10)}\n`], 9); // 4 + 2·10 bytes; 9 falls inside the 3rd é
  assert.equal(f.frames[0]!.text, '<13>éé');
  assert.equal(f.frames[0]!.problem, 'oversized: 24 bytes, kept the first 8');
  assert.equal(utf8CutPoint(Buffer.from('a€'), 3), 1);
  assert.equal(utf8CutPoint(Buffer.from('a€'), 4), 4);
  assert.equal(utf8CutPoint(Buffer.from('a😀'), 4), 1);
});

test('binary garbage is framed like anything else: invalid UTF-8 becomes U+FFFD, the next frame is intact', () => {
  const garbage = Buffer.from([0xff, 0xfe, 0x80, 0x41, 0xc3, 0x0a, 0x01, 0x02, 0xe2, 0x82, 0x00, 0x9f]);
  const f = frame([garbage, Buffer.from('\n<13>after garbage\n')]);
  assert.deepEqual(texts(f), ['\ufffd\ufffd\ufffdA\ufffd', '\u0001\u0002\ufffd', '\ufffd', '<13>after garbage']);
});

/** A small deterministic generator, so a failure can be replayed. */
function randomSource(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function randomStream(random: () => number, alphabet: string, length: number): Buffer {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return Buffer.from(`${s}\n`, 'latin1');
}

function randomChunks(random: () => number, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(random() * 300);
    chunks.push(stream.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

test('random text streams: every byte is in a frame, a terminator, or counted as discarded', () => {
  const random = randomSource(42);
  for (let round = 0; round < 50; round++) {
    // No '<', so no frame is octet-counted and no count prefix is consumed; no CR, so only
    // terminators are trimmed; ASCII, so one byte is one UTF-16 unit.
    const stream = randomStream(random, 'abc>0123456789 \n\0', 2000);
    const f = frame(randomChunks(random, stream), 12);
    let delivered = 0;
    for (const m of f.frames) {
      assert.ok(!/[\n\0]/.test(m.text), `no terminator inside ${JSON.stringify(m.text)}`);
      delivered += m.text.length;
    }
    const terminators = stream.filter((b) => b === 0x0a || b === 0x00).length;
    assert.equal(delivered + f.counters.discardedBytes + terminators, stream.length, `round ${round}`);
    assert.ok(f.counters.oversized > 0 && f.counters.emptyFrames > 0, 'the stream exercised cuts and empty frames');
  }
});

test('random streams with counts (LF may sit inside a counted frame): the chunking never changes the frames', () => {
  const random = randomSource(7);
  for (let round = 0; round < 50; round++) {
    const stream = randomStream(random, '<<13>>ab0123456789   \n\0\r\xff\xc3', 3000);
    const whole = frame([stream], 64);
    const chunked = frame(randomChunks(random, stream), 64);
    assert.deepEqual(chunked.frames, whole.frames, `round ${round}`);
    assert.deepEqual(chunked.counters, whole.counters, `round ${round}`);
    assert.ok(whole.frames.length > 0);
  }
});

test('at the end of a stream a partial frame is delivered; a truncated counted frame is flagged', () => {
  assert.deepEqual(texts(frame(['<13>a\n<13>no newline'])), ['<13>a', '<13>no newline']);
  const f = frame([`${octet('<13>full')}40 <13>cut`]);
  assert.deepEqual(texts(f), ['<13>full', '<13>cut']);
  assert.equal(f.frames[1]!.problem, 'truncated: octet count 40, the connection ended after 7 bytes');
  assert.equal(f.counters.framingErrors, 1);
  assert.deepEqual(texts(frame(['<13>a\n42'])), ['<13>a', '42'], 'trailing digits are a frame, not a lost count');
});

test('UDP: a datagram is one message, trailing LF/CR/NUL stripped, oversized ones cut and flagged', () => {
  const counters = newTransportCounters();
  const udp = { ...source, transport: 'udp' as const };
  assert.deepEqual(frameDatagram(Buffer.from('<13>hello\nworld\r\n\0'), udp, at, 100, counters), {
    text: '<13>hello\nworld', source: udp, receivedAt: at,
  });
  assert.equal(frameDatagram(Buffer.from('\n'), udp, at, 100, counters), undefined);
  assert.equal(counters.emptyFrames, 1);
  const cut = frameDatagram(Buffer.from('<13>0123456789'), udp, at, 8, counters);
  assert.equal(cut?.text, '<13>0123');
  assert.equal(cut?.problem, 'oversized: 14 bytes, kept the first 8');
  assert.equal(counters.discardedBytes, 6);
});
