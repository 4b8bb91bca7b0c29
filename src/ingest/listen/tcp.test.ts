import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InputError, LianfangError } from '../../core/index.js';
import { startSyslogListeners, type ListenerOptions } from './index.js';
import { RecordingSink, closed, connectTcp, octet, sendTcp, waitFor, write } from './test-helpers.js';
import { READ_AHEAD_BYTES } from './stream.js';

const FRAMING_DATA = new URL('../../../../shared/data/logs/syslog/framing/', import.meta.url).pathname;

type Listeners = Awaited<ReturnType<typeof startSyslogListeners>>;
const running: Listeners[] = [];
after(async () => {
  await Promise.all(running.map((l) => l.close()));
});

async function startTcp(sink: RecordingSink, opts: Omit<ListenerOptions, 'tcp'> = {}): Promise<{ listeners: Listeners; port: number }> {
  const listeners = await startSyslogListeners({ ...opts, tcp: { port: 0, host: '127.0.0.1' } }, sink);
  running.push(listeners);
  return { listeners, port: listeners.addresses.tcp! };
}

const tcpCounters = (l: Listeners) => l.counters().tcp!;

/** Sends one rsyslog test stream on its own connection and returns what arrived. */
async function sendFramingFile(name: string): Promise<{ texts: string[]; emptyFrames: number; problems: number; data: string }> {
  const data = readFileSync(join(FRAMING_DATA, name), 'latin1');
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  await sendTcp(port, Buffer.from(data, 'latin1'));
  await waitFor(() => tcpCounters(listeners).connectionsOpen === 0, 'the connection to close');
  await listeners.close();
  const c = tcpCounters(listeners);
  assert.equal(c.bytes, data.length, `${name}: every byte read`);
  return { texts: sink.texts(), emptyFrames: c.emptyFrames, problems: sink.messages.filter((m) => m.problem).length, data };
}

test('rsyslog no_octet_counted: lines that are bare numbers are LF frames, not octet counts', async () => {
  const got = await sendFramingFile('no_octet_counted.testdata');
  assert.deepEqual(got.texts, Array.from({ length: 20 }, (_, i) => String(i)));
  assert.equal(got.problems, 0);
});

test('rsyslog spframingfix: a space after the LF stays in the next frame (nothing dropped)', async () => {
  const got = await sendFramingFile('spframingfix.testdata');
  assert.equal(got.texts.length, 20);
  got.texts.forEach((t, i) => assert.equal(t.trimStart(), `<181>${String(i).padStart(2, '0')}`));
  assert.equal(got.texts[1], ' <181>01');
  assert.equal(got.texts[14], '   <181>14');
  assert.equal(got.texts.filter((t) => t.startsWith(' ')).length, 10);
});

test('rsyslog imtcp-multiline: a continuation line is its own frame; the last frame has no LF', async () => {
  const got = await sendFramingFile('imtcp-multiline.testdata');
  assert.deepEqual(got.texts, ['<133>Msg 1', 'Line 2', '<133>Msg 2']);
});

for (const name of ['imptcp_multi_line.testdata', 'imptcp_framing_regex.testdata']) {
  test(`rsyslog ${name}: one frame per non-empty line (no framing regex), empty lines counted`, async () => {
    const got = await sendFramingFile(name);
    const lines = got.data.split('\n');
    assert.equal(lines.pop(), '', 'the file ends with LF');
    assert.deepEqual(got.texts, lines.filter((l) => l !== ''));
    assert.equal(got.emptyFrames, lines.filter((l) => l === '').length);
    assert.ok(got.emptyFrames >= 1);
    assert.equal(got.problems, 0);
  });
}

test('octet-counted and LF frames mixed on one connection, sent one byte per TCP segment', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  const messages = [
    '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM\ufeff\'su root\' failed',
    '<13>Oct 11 22:14:15 host app: 中文訊息',
    '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - multi\nline',
    '<13>last, no LF',
  ];
  const stream = Buffer.from(`${octet(messages[0]!)}${messages[1]}\r\n${octet(messages[2]!)}\n${messages[3]}`);
  const socket = await connectTcp(port);
  const localPort = socket.localPort;
  socket.setNoDelay(true);
  for (let i = 0; i < stream.length; i++) {
    await write(socket, stream.subarray(i, i + 1));
    // The listener has read this byte on its own before the next is sent: every split point is exercised.
    await waitFor(() => tcpCounters(listeners).bytes === i + 1, `byte ${i} to be read`);
  }
  socket.end();
  await closed(socket);
  await waitFor(() => sink.messages.length === 4, 'four frames');
  assert.deepEqual(sink.texts(), messages);
  const c = tcpCounters(listeners);
  assert.equal(c.frames, 4);
  assert.ok(c.batches >= 4, 'frames completed by different segments went in different batches');
  assert.equal(c.framingErrors, 0);
  const m = sink.messages[0]!;
  assert.equal(m.source.transport, 'tcp');
  assert.equal(m.source.listener, `syslog-tcp:${port}`);
  assert.equal(m.source.peer, `127.0.0.1:${localPort}`);
  assert.ok(m.receivedAt instanceof Date);
});

test('oversized frame, binary garbage and a bad octet count are reported, and the stream continues', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink, { maxMessageBytes: 100 });
  const garbage = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]);
  const big = `<13>${'A'.repeat(996)}`;
  await sendTcp(
    port,
    Buffer.concat([
      Buffer.from(`${octet('<13>counted')}${big}\n`),
      garbage,
      Buffer.from(`<13>after garbage\n12ab <13>bad count\n${octet(big)}${octet('<13>still here')}`),
    ]),
  );
  await waitFor(() => sink.messages.some((m) => m.text === '<13>still here'), 'the last frame');
  const got = sink.messages.map((m) => [m.text, m.problem]);
  assert.deepEqual(got, [
    ['<13>counted', undefined],
    [big.slice(0, 100), 'oversized: 1000 bytes, kept the first 100'],
    // The peer has sent a counted frame, so frames that start with neither digits nor '<' are suspect.
    ['\ufffd\ufffd', "invalid octet count '\\xff\\xfe': expected digits or '<' at the start of a frame"],
    ['\ufffd(', "invalid octet count '\\xc3(': expected digits or '<' at the start of a frame"],
    ['<13>after garbage', undefined],
    ['12ab <13>bad count', "invalid octet count '12ab': 'a' after the digits"],
    [big.slice(0, 100), 'oversized: 1000 bytes, kept the first 100'],
    ['<13>still here', undefined],
  ]);
  const c = tcpCounters(listeners);
  assert.equal(c.oversized, 2);
  assert.equal(c.discardedBytes, 1800);
  assert.equal(c.framingErrors, 3);
});

test('back-pressure: a sink that holds its promise stalls the sender; nothing is lost when it releases', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  sink.hold();
  const total = 300_000;
  const line = (i: number): string => `<13>Jan  1 00:00:00 host app[1]: message ${String(i).padStart(7, '0')} ${'x'.repeat(60)}\n`;
  const socket = await connectTcp(port);
  let refused = 0;
  let sent = 0;
  for (let i = 0; i < total; i += 1000) {
    let chunk = '';
    for (let j = i; j < i + 1000; j++) chunk += line(j);
    sent += chunk.length;
    if (!socket.write(chunk)) refused++;
  }
  await waitFor(() => sink.batches.length === 1, 'the first batch');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const during = tcpCounters(listeners);
  assert.ok(refused > 0, 'socket.write() returned false');
  assert.equal(sink.batches.length, 1, 'no second accept while the first is pending');
  // It read ahead up to its bound, then paused; the kernel's socket buffers filled, and the sender's queue grew.
  assert.ok(during.bytes <= READ_AHEAD_BYTES + 1024 * 1024, `the listener stopped reading (${during.bytes} of ${sent} bytes read)`);
  assert.ok(socket.writableLength > 0, 'bytes are still queued at the sender');

  sink.release();
  socket.end();
  await closed(socket);
  await waitFor(() => tcpCounters(listeners).connectionsOpen === 0 && sink.messages.length >= total, 'every frame');
  const texts = sink.texts();
  assert.equal(texts.length, total);
  assert.equal(tcpCounters(listeners).frames, total);
  for (let i = 0; i < total; i += 9973) assert.equal(texts[i], line(i).slice(0, -1), `frame ${i} in order`);
  assert.equal(texts[total - 1], line(total - 1).slice(0, -1));
  assert.ok(sink.batches.length < total / 10, `frames are batched (${sink.batches.length} batches)`);
});

test('a flood on one connection does not starve another: its message arrives within a bound', async () => {
  // A sink that takes a little time per batch, as a spool write would.
  const sink = new RecordingSink();
  const slow = { accept: (batch: Parameters<RecordingSink['accept']>[0]) => sink.accept(batch).then(() => new Promise<void>((r) => setTimeout(r, 2))) };
  const listeners = await startSyslogListeners({ tcp: { port: 0, host: '127.0.0.1' } }, slow);
  running.push(listeners);
  const port = listeners.addresses.tcp!;
  const flooder = await connectTcp(port);
  const block = Buffer.from(`<13>flood ${'f'.repeat(100)}\n`.repeat(600));
  let flooding = true;
  const flood = (async () => {
    while (flooding) {
      if (!flooder.write(block)) await new Promise((resolve) => flooder.once('drain', resolve));
    }
  })();
  await waitFor(() => tcpCounters(listeners).frames > 20_000, 'the flood to be under way');
  const other = await connectTcp(port);
  const sentAt = Date.now();
  other.write('<13>the quiet one\n');
  await waitFor(() => sink.messages.some((m) => m.text === '<13>the quiet one'), 'the quiet message', 2000);
  const latency = Date.now() - sentAt;
  flooding = false;
  await flood;
  assert.ok(latency < 1000, `the quiet connection waited ${latency} ms`);
  assert.ok(tcpCounters(listeners).bytes > block.length * 5, 'the flood was really flooding');
  flooder.destroy();
  other.destroy();
});

test('a sink that rejects closes that connection, counted; other connections go on', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  const good = await connectTcp(port);
  await write(good, '<13>before\n');
  await waitFor(() => sink.messages.length === 1, 'the first frame');
  sink.failWith = new Error('spool full');
  const bad = await connectTcp(port);
  bad.on('error', () => {});
  bad.write('<13>refused\n');
  await closed(bad);
  const c = tcpCounters(listeners);
  assert.equal(c.sinkFailures, 1);
  assert.equal(c.unacknowledgedFrames, 1);
  sink.failWith = undefined;
  await write(good, '<13>after\n');
  await waitFor(() => sink.messages.some((m) => m.text === '<13>after'), 'the good connection to go on');
  good.destroy();
});

test('a connection reset mid-frame still delivers what was read, and counts the error', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  const socket = await connectTcp(port);
  await write(socket, `<13>whole\n${octet('<13>counted and cut short').slice(0, 12)}`);
  await waitFor(() => tcpCounters(listeners).bytes === 22, 'the bytes to be read');
  socket.resetAndDestroy();
  await waitFor(() => sink.messages.length === 2, 'both frames');
  assert.deepEqual(
    sink.messages.map((m) => [m.text, m.problem]),
    [['<13>whole', undefined], ['<13>count', 'truncated: octet count 25, the connection ended after 9 bytes']],
  );
  await waitFor(() => tcpCounters(listeners).connectionsOpen === 0, 'the connection to close');
  assert.equal(tcpCounters(listeners).connectionErrors, 1);
});

test('close() delivers the partial frame of an open connection and waits for pending accepts', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink);
  const socket = await connectTcp(port);
  const data = '<13>complete\n<13>partial, no LF yet';
  await write(socket, data);
  await waitFor(() => tcpCounters(listeners).bytes === data.length && sink.messages.length === 1, 'the data to be read');
  sink.hold();
  let closedListeners = false;
  const closing = listeners.close().then(() => (closedListeners = true));
  await waitFor(() => sink.batches.length === 2, 'the partial frame to be handed over');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(closedListeners, false, 'close() waits for the pending accept');
  sink.release();
  await closing;
  assert.deepEqual(sink.texts(), ['<13>complete', '<13>partial, no LF yet']);
  await closed(socket);
  await assert.rejects(connectTcp(port), 'no longer accepting');
});

test('idle connections are closed, but not one that is silent because the sink holds it', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink, { idleTimeoutMs: 150 });
  const idle = await connectTcp(port);
  const t0 = Date.now();
  await closed(idle);
  assert.ok(Date.now() - t0 >= 100, 'closed after the idle timeout, not at once');
  assert.equal(tcpCounters(listeners).idleClosed, 1);

  sink.hold();
  const held = await connectTcp(port);
  await write(held, '<13>held\n');
  await waitFor(() => sink.batches.length === 1, 'the batch');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(held.destroyed, false, 'still open while its batch is pending');
  sink.release();
  // Silent from now on: the idle clock runs again and closes it.
  await waitFor(() => held.destroyed, 'the idle timeout after the release', 2000);
  assert.equal(tcpCounters(listeners).idleClosed, 2);
  assert.deepEqual(sink.texts(), ['<13>held']);
});

test('connections beyond maxConnections are refused and counted', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTcp(sink, { maxConnections: 2 });
  const sockets: net.Socket[] = [await connectTcp(port), await connectTcp(port)];
  await waitFor(() => tcpCounters(listeners).connectionsOpen === 2, 'two open connections');
  const third = await connectTcp(port);
  third.on('error', () => {});
  await closed(third);
  assert.equal(tcpCounters(listeners).connectionsRefused, 1);
  for (const s of sockets) s.destroy();
  await waitFor(() => tcpCounters(listeners).connectionsOpen === 0, 'the connections to close');
  await sendTcp(port, '<13>room again\n');
  await waitFor(() => sink.messages.length === 1, 'a frame from a new connection');
  assert.equal(tcpCounters(listeners).connectionsTotal, 3);
});

test('bad options are refused with the option named; a port in use is LISTEN_FAILED', async () => {
  const sink = new RecordingSink();
  await assert.rejects(startSyslogListeners({}, sink), /no listener configured/);
  await assert.rejects(startSyslogListeners({ tcp: { port: 70000 } }, sink), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /^tcp\.port: port must be an integer from 0 to 65535, got 70000/);
    return true;
  });
  await assert.rejects(startSyslogListeners({ tcp: { port: 0 }, maxMessageBytes: 0 }, sink), /maxMessageBytes: must be a positive integer/);
  const { port } = await startTcp(sink);
  await assert.rejects(startSyslogListeners({ udp: { port: 0, host: '127.0.0.1' }, tcp: { port, host: '127.0.0.1' } }, sink), (err: unknown) => {
    assert.ok(err instanceof LianfangError);
    assert.equal(err.code, 'LISTEN_FAILED');
    assert.match(err.message, new RegExp(`syslog-tcp: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    return true;
  });
});
