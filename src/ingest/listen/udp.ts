/**
 * Syslog over UDP (RFC 5426): one datagram, one message.
 *
 * UDP cannot push back on a sender. Messages wait in one queue for the sink, accepted a batch
 * at a time; once `queueLimit` messages are waiting (queued plus the batch being accepted),
 * further datagrams are dropped and counted in `udpDropped` until the sink catches up. Drops
 * by the kernel (a full socket receive buffer) happen before we see the datagram and are not
 * in our counters; the receive buffer is enlarged to absorb bursts.
 */
import dgram from 'node:dgram';
import { LianfangError, type MessageSource } from '../../core/index.js';
import { frameDatagram } from './framing.js';
import { formatPeer } from './peer.js';
import type { MessageSink, RawMessage, TransportCounters } from './types.js';

/** Asked of the kernel; Linux caps it at net.core.rmem_max without complaint. */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

export interface UdpListener {
  readonly port: number;
  readonly name: string;
  readonly counters: TransportCounters;
  close(): Promise<void>;
}

export interface UdpListenerConfig {
  readonly port: number;
  readonly host: string | undefined;
  readonly maxMessageBytes: number;
  readonly queueLimit: number;
}

export async function startUdpListener(
  config: UdpListenerConfig,
  sink: MessageSink,
  counters: TransportCounters,
): Promise<UdpListener> {
  const host = config.host ?? '0.0.0.0';
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  const port = await bind(socket, host, config.port);
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    // Not allowed here: the default buffer still works, bursts overflow sooner.
  }
  const name = `syslog-udp:${port}`;
  const queue = new UdpQueue(sink, config.queueLimit, counters);
  socket.on('message', (datagram, peer) => {
    counters.datagrams++;
    counters.bytes += datagram.length;
    if (queue.full()) {
      counters.udpDropped++;
      return;
    }
    const source: MessageSource = { transport: 'udp', peer: formatPeer(peer.address, peer.port), listener: name };
    const message = frameDatagram(datagram, source, new Date(), config.maxMessageBytes, counters);
    if (message !== undefined) queue.add(message);
  });
  // An ICMP error or the like on an unconnected socket: counted, never a crash.
  socket.on('error', () => counters.connectionErrors++);

  return {
    port,
    name,
    counters,
    async close() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await queue.drain();
    },
  };
}

/**
 * Messages waiting for the sink. Datagrams read in one turn of the event loop go out together:
 * the flush runs on setImmediate, and while a batch is being accepted the next one grows.
 */
class UdpQueue {
  private pending: RawMessage[] = [];
  /** Messages in the batch being accepted. */
  private inFlight = 0;
  private accepting: Promise<void> | undefined;
  private flushScheduled = false;

  constructor(
    private readonly sink: MessageSink,
    private readonly limit: number,
    private readonly counters: TransportCounters,
  ) {}

  full(): boolean {
    return this.pending.length + this.inFlight >= this.limit;
  }

  add(message: RawMessage): void {
    this.pending.push(message);
    if (this.accepting === undefined && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    if (this.accepting !== undefined || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlight = batch.length;
    this.counters.frames += batch.length;
    this.counters.batches++;
    let accepted: Promise<void>;
    try {
      accepted = Promise.resolve(this.sink.accept(batch));
    } catch (err) {
      accepted = Promise.reject(err);
    }
    this.accepting = accepted.then(
      () => this.settle(),
      () => {
        // Nothing to close for UDP: the batch is lost, and said so.
        this.counters.sinkFailures++;
        this.counters.unacknowledgedFrames += batch.length;
        this.settle();
      },
    );
  }

  private settle(): void {
    this.accepting = undefined;
    this.inFlight = 0;
    this.flush();
  }

  /** Hands over what is queued and waits until the sink has accepted everything. */
  async drain(): Promise<void> {
    this.flush();
    while (this.accepting !== undefined) {
      await this.accepting;
      this.flush();
    }
  }
}

function bind(socket: dgram.Socket, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      reject(new LianfangError('LISTEN_FAILED', `syslog-udp: cannot listen on ${host}:${port}: ${err.message}`, 'technical', { cause: err }));
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket.address().port);
    });
  });
}
