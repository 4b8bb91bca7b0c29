/**
 * bench/listen — how many syslog frames per second the TCP listener takes on loopback.
 *
 * Child processes send N syslog lines each over TCP (LF-framed, then octet-counted); the
 * listener, with a sink that only counts, receives them. Prints frames/s and MB/s per run, from
 * the first byte read to the last frame accepted, and the framer alone on the same bytes (the
 * ceiling without sockets).
 *
 *   cd /work/main && npx tsx bench/listen.ts        (env: N=1000000 lines per sender)
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { SyslogFramer, newTransportCounters, startSyslogListeners, type RawMessage } from '../src/ingest/listen/index.js';

type Framing = 'lf' | 'octet';
const N = Number(process.env.N ?? 1_000_000);

/** A realistic RFC 5424 line of about 150 bytes; `i` makes every line different. */
function line(i: number): string {
  return `<134>1 2025-01-02T03:04:05.123456+08:00 fw01.bank.example.tw firewall 4321 TRAFFIC - src=10.1.${i & 255}.${(i >> 8) & 255} dst=203.0.113.7 dport=443 action=accept seq=${i}`;
}

function frameOf(i: number, framing: Framing): string {
  const l = line(i);
  return framing === 'lf' ? `${l}\n` : `${Buffer.byteLength(l)} ${l}`;
}

/** The sender, in a child process: N frames in 256 KiB writes, honouring drain. */
async function send(port: number, count: number, framing: Framing): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  let i = 0;
  while (i < count) {
    let block = '';
    while (i < count && block.length < 256 * 1024) block += frameOf(i++, framing);
    if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

async function run(framing: Framing, senders: number): Promise<void> {
  let frames = 0;
  let firstAt = 0;
  let lastAt = 0;
  const expected = N * senders;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const sink = {
    accept(batch: RawMessage[]): Promise<void> {
      if (firstAt === 0) firstAt = performance.now();
      frames += batch.length;
      if (frames >= expected) {
        lastAt = performance.now();
        done();
      }
      return Promise.resolve();
    },
  };
  const listeners = await startSyslogListeners({ tcp: { port: 0, host: '127.0.0.1' } }, sink);
  const port = String(listeners.addresses.tcp);
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: senders }, () =>
    spawn(process.execPath, [...process.execArgv, self, 'send', port, String(N), framing], { stdio: 'inherit' }),
  );
  await finished;
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  const c = listeners.counters().tcp!;
  await listeners.close();
  const seconds = (lastAt - firstAt) / 1000;
  console.log(
    `tcp ${framing.padEnd(5)} ${senders} sender(s): ${c.frames.toLocaleString('en')} frames in ${seconds.toFixed(2)} s = ` +
      `${Math.round(c.frames / seconds).toLocaleString('en')} frames/s, ${(c.bytes / 1e6 / seconds).toFixed(1)} MB/s, ` +
      `${c.batches.toLocaleString('en')} batches, problems ${c.framingErrors + c.oversized}`,
  );
}

/** The framer alone over the same bytes in 64 KiB chunks, as the socket delivers them. */
function framerOnly(framing: Framing): void {
  let text = '';
  for (let i = 0; i < 200_000; i++) text += frameOf(i, framing);
  const stream = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 65536) chunks.push(stream.subarray(i, i + 65536));
  let best = Infinity;
  let frames = 0;
  for (let round = 0; round < 5; round++) {
    const framer = new SyslogFramer({ transport: 'tcp', peer: 'bench', listener: 'bench' }, 65536, newTransportCounters());
    const t = performance.now();
    frames = 0;
    const now = new Date();
    for (const chunk of chunks) {
      const out: RawMessage[] = [];
      framer.push(chunk, now, out);
      frames += out.length;
    }
    best = Math.min(best, performance.now() - t);
  }
  console.log(`framer only ${framing.padEnd(5)}: ${Math.round(frames / (best / 1000)).toLocaleString('en')} frames/s, ${(stream.length / 1e6 / (best / 1000)).toFixed(0)} MB/s`);
}

if (process.argv[2] === 'send') {
  await send(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as Framing);
} else {
  console.log(`bench/listen: ${N.toLocaleString('en')} lines of ~${line(0).length} bytes per sender, loopback, no-op sink`);
  framerOnly('lf');
  framerOnly('octet');
  await run('lf', 1);
  await run('octet', 1);
  await run('lf', 4);
}
