import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';
import { startSyslogListeners } from './index.js';
import { RecordingSink, waitFor } from './test-helpers.js';

type Listeners = Awaited<ReturnType<typeof startSyslogListeners>>;
const running: Listeners[] = [];
after(async () => {
  await Promise.all(running.map((l) => l.close()));
});

async function startUdp(sink: RecordingSink, udpQueueLimit?: number): Promise<{ listeners: Listeners; port: number }> {
  const listeners = await startSyslogListeners({ udp: { port: 0, host: '127.0.0.1' }, ...(udpQueueLimit ? { udpQueueLimit } : {}) }, sink);
  running.push(listeners);
  return { listeners, port: listeners.addresses.udp! };
}

async function sendDatagrams(port: number, datagrams: Array<string | Buffer>): Promise<number> {
  const socket = dgram.createSocket('udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  const localPort = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return localPort;
}

test('UDP: one datagram is one message, trailing LF and NUL stripped, LF inside kept', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startUdp(sink);
  const localPort = await sendDatagrams(port, ['<13>first\n', '<13>second\0', '<13>two\nlines', '\n', Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0xff])]);
  await waitFor(() => sink.messages.length === 4, 'four messages');
  assert.deepEqual(sink.texts(), ['<13>first', '<13>second', '<13>two\nlines', '<13>\ufffd']);
  const m = sink.messages[0]!;
  assert.deepEqual(m.source, { transport: 'udp', peer: `127.0.0.1:${localPort}`, listener: `syslog-udp:${port}` });
  const c = listeners.counters().udp!;
  assert.equal(c.datagrams, 5);
  assert.equal(c.frames, 4);
  assert.equal(c.emptyFrames, 1);
  assert.equal(c.udpDropped, 0);
});

test('UDP cannot push back: beyond the queue bound datagrams are dropped and counted, never silently', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startUdp(sink, 5);
  sink.hold();
  await sendDatagrams(port, Array.from({ length: 20 }, (_, i) => `<13>datagram ${i}`));
  await waitFor(() => listeners.counters().udp!.datagrams === 20, 'all datagrams read');
  let c = listeners.counters().udp!;
  assert.equal(c.udpDropped, 15);
  sink.release();
  await waitFor(() => sink.messages.length === 5, 'the queued messages');
  assert.deepEqual(sink.texts(), [0, 1, 2, 3, 4].map((i) => `<13>datagram ${i}`), 'the first five, in order');
  // Once the sink has caught up, datagrams are taken again.
  await sendDatagrams(port, ['<13>after']);
  await waitFor(() => sink.messages.length === 6, 'the next datagram');
  c = listeners.counters().udp!;
  assert.equal(c.frames + c.udpDropped, c.datagrams);
});

test('UDP close() hands over what is queued and waits for the sink', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startUdp(sink);
  sink.hold();
  await sendDatagrams(port, ['<13>a', '<13>b', '<13>c']);
  await waitFor(() => listeners.counters().udp!.datagrams === 3, 'all datagrams read');
  let done = false;
  const closing = listeners.close().then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(done, false);
  sink.release();
  await closing;
  assert.deepEqual(sink.texts(), ['<13>a', '<13>b', '<13>c']);
});
