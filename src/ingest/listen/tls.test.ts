import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { LianfangError } from '../../core/index.js';
import { startSyslogListeners } from './index.js';
import { RecordingSink, closed, connectTcp, octet, waitFor } from './test-helpers.js';

type Listeners = Awaited<ReturnType<typeof startSyslogListeners>>;
let dir = '';
let cert: Buffer;
let key: Buffer;
const running: Listeners[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lianfang-tls-'));
  execFileSync(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', 'k.pem', '-out', 'c.pem'],
    { cwd: dir, stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'c.pem'));
  key = readFileSync(join(dir, 'k.pem'));
});

after(async () => {
  await Promise.all(running.map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function startTls(sink: RecordingSink, handshakeTimeoutMs?: number): Promise<{ listeners: Listeners; port: number }> {
  const listeners = await startSyslogListeners(
    { tls: { port: 0, host: '127.0.0.1', cert, key }, ...(handshakeTimeoutMs ? { handshakeTimeoutMs } : {}) },
    sink,
  );
  running.push(listeners);
  return { listeners, port: listeners.addresses.tls! };
}

function connectTls(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // The certificate is self-signed for this test; trusting it is what `ca` is for.
    const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

test('TLS (RFC 5425): octet-counted frames, and LF frames too, arrive with the TLS source', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTls(sink);
  const socket = await connectTls(port);
  const first = '<165>1 2003-10-11T22:14:15.003Z host app - - - octet counted\nwith a newline inside';
  socket.end(`${octet(first)}${octet('<13>second')}<13>lf framed\n`);
  await closed(socket);
  await waitFor(() => sink.messages.length === 3, 'three frames');
  assert.deepEqual(sink.texts(), [first, '<13>second', '<13>lf framed']);
  const source = sink.messages[0]!.source;
  assert.equal(source.transport, 'tls');
  assert.equal(source.listener, `syslog-tls:${port}`);
  assert.match(source.peer, /^127\.0\.0\.1:\d+$/);
  const c = listeners.counters().tls!;
  assert.equal(c.connectionsTotal, 1);
  assert.equal(c.frames, 3);
  assert.equal(c.handshakeFailures, 0);
});

test('a half-open TLS connection does not block a second client and is closed after the handshake timeout', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTls(sink, 400);
  const halfOpen = await connectTcp(port); // TCP only: no ClientHello, ever
  const openedAt = Date.now();
  const client = await connectTls(port);
  client.write('<13>served while another connection hangs\n');
  await waitFor(() => sink.messages.length === 1, 'the second client\'s frame', 2000);
  assert.ok(Date.now() - openedAt < 400, 'served before the half-open one timed out');
  assert.equal(halfOpen.destroyed, false);
  await waitFor(() => halfOpen.destroyed, 'the server to close the half-open connection', 3000);
  const after = Date.now() - openedAt;
  assert.ok(after >= 350 && after < 3000, `half-open connection closed after ${after} ms`);
  const c = listeners.counters().tls!;
  assert.equal(c.handshakeTimeouts, 1);
  assert.equal(c.handshakeFailures, 1);
  client.end();
  await closed(client);
});

test('plain text on the TLS port is a failed handshake, counted, with nothing delivered', async () => {
  const sink = new RecordingSink();
  const { listeners, port } = await startTls(sink);
  const socket = await connectTcp(port);
  socket.on('error', () => {});
  socket.write('<13>this is not a ClientHello\n');
  await closed(socket);
  await waitFor(() => listeners.counters().tls!.handshakeFailures === 1, 'the failure to be counted');
  assert.equal(listeners.counters().tls!.handshakeTimeouts, 0);
  assert.equal(sink.messages.length, 0);
});

test('a key that is not PEM is refused with a clear error', async () => {
  await assert.rejects(
    startSyslogListeners({ tls: { port: 0, host: '127.0.0.1', cert, key: 'not a key' } }, new RecordingSink()),
    (err: unknown) => err instanceof LianfangError && /^syslog-tls: cannot use the certificate and key/.test(err.message),
  );
});
