/**
 * Syslog over TCP (RFC 6587) and TLS (RFC 5425): one StreamConnection per socket, with its
 * own framer and its own back-pressure, so a flood on one connection never holds up another.
 */
import net from 'node:net';
import tls from 'node:tls';
import { LianfangError, errorMessage, type MessageSource, type Transport } from '../../core/index.js';
import { SyslogFramer } from './framing.js';
import { formatPeer } from './peer.js';
import type { MessageSink, RawMessage, TransportCounters } from './types.js';

export interface StreamLimits {
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * One connection. Frames go to the sink in batches, one batch in flight at a time, in order.
 * While a batch is being accepted (written and fsync'd) reading goes on into the next batch,
 * so one fsync covers everything that arrived meanwhile (group commit); only when that next
 * batch passes READ_AHEAD_BYTES is the socket paused, so a slow sink slows the sender down
 * (TCP flow control) instead of losing data or holding unbounded memory.
 */
class StreamConnection {
  private readonly framer: SyslogFramer;
  /** Frames read but not yet handed to the sink. */
  private batch: RawMessage[] = [];
  /** Bytes read into `batch` since it was last handed over. */
  private batchBytes = 0;
  private paused = false;
  private accepting: Promise<void> | undefined;
  /** The stream is over (end, error, close or shutdown): the framer's last frame is taken. */
  private ended = false;
  /** The sink rejected a batch: everything else from this connection is unacknowledged. */
  private failed = false;
  private settled!: () => void;
  /** Resolves once the socket is closed and every frame read was accepted or counted as lost. */
  readonly done = new Promise<void>((resolve) => (this.settled = resolve));
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    source: MessageSource,
    private readonly sink: MessageSink,
    private readonly limits: StreamLimits,
    private readonly counters: TransportCounters,
  ) {
    this.framer = new SyslogFramer(source, limits.maxMessageBytes, counters);
    counters.connectionsOpen++;
    counters.connectionsTotal++;
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.finish());
    socket.on('timeout', () => this.onIdle());
    socket.on('error', () => {
      // A reset or the like: what was read so far is still delivered, by finish() on 'close'.
      this.counters.connectionErrors++;
    });
    socket.on('close', () => {
      this.closed = true;
      this.counters.connectionsOpen--;
      this.finish();
      this.settleIfDone();
    });
  }

  private onData(chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    if (this.failed) return;
    this.framer.push(chunk, new Date(), this.batch);
    this.batchBytes += chunk.length;
    if (this.accepting === undefined) this.pump();
    else if (this.batchBytes >= READ_AHEAD_BYTES && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private onIdle(): void {
    if (this.accepting !== undefined) {
      // Silent because we paused it for the sink, not because the peer went quiet: wait again.
      this.socket.setTimeout(this.limits.idleTimeoutMs);
      return;
    }
    this.counters.idleClosed++;
    this.socket.destroy();
  }

  /** No more data will be read: take the frame in progress, hand over what is left. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.failed) this.framer.end(new Date(), this.batch);
    this.pump();
  }

  private pump(): void {
    if (this.accepting !== undefined) return;
    if (this.batch.length === 0) {
      this.settleIfDone();
      return;
    }
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.counters.frames += batch.length;
    this.counters.batches++;
    this.accepting = acceptSafely(this.sink, batch).then(
      () => this.accepted(),
      () => this.rejected(batch.length),
    );
  }

  private accepted(): void {
    this.accepting = undefined;
    if (this.paused && !this.ended) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.batch.length > 0) this.pump();
    else this.settleIfDone();
  }

  /** The batch was not made durable: close the connection, so the sender knows it was not taken. */
  private rejected(frames: number): void {
    this.accepting = undefined;
    this.failed = true;
    this.counters.sinkFailures++;
    this.counters.unacknowledgedFrames += frames + this.batch.length;
    this.batch = [];
    this.socket.destroy();
    this.settleIfDone();
  }

  private settleIfDone(): void {
    if (this.closed && this.accepting === undefined && this.batch.length === 0) this.settled();
  }

  /** close(): stop reading, deliver what was read (a partial frame too), then close. */
  async shutdown(): Promise<void> {
    this.socket.pause();
    // Chunks already read off the socket but still in the stream's buffer: read() emits 'data'.
    while (this.socket.readableLength > 0 && this.socket.read() !== null);
    this.finish();
    while (this.accepting !== undefined) await this.accepting;
    this.socket.destroy();
    await this.done;
  }
}

/** Read ahead of the sink by at most this much per connection before pushing back. */
export const READ_AHEAD_BYTES = 4 * 1024 * 1024;

function acceptSafely(sink: MessageSink, batch: RawMessage[]): Promise<void> {
  try {
    return Promise.resolve(sink.accept(batch));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A listening TCP or TLS server and its open connections. */
export interface StreamListener {
  readonly port: number;
  readonly name: string;
  readonly counters: TransportCounters;
  close(): Promise<void>;
}

export interface StreamListenerConfig {
  readonly transport: Extract<Transport, 'tcp' | 'tls'>;
  readonly port: number;
  readonly host: string | undefined;
  readonly tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Starts a TCP or TLS syslog listener; resolves once it is listening. */
export async function startStreamListener(
  config: StreamListenerConfig,
  sink: MessageSink,
  limits: StreamLimits,
  counters: TransportCounters,
): Promise<StreamListener> {
  const connections = new Set<StreamConnection>();
  /** Every accepted TCP socket; for TLS also those still in their handshake. */
  const sockets = new Set<net.Socket>();
  const server = createServer(config, limits, counters);
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => counters.connectionsRefused++);
  const port = await listen(server, config);
  // After listen(): an accept() failure (EMFILE…) is counted, not a crash.
  server.on('error', () => counters.connectionErrors++);
  const name = `syslog-${config.transport}:${port}`;
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const onConnection = (socket: net.Socket): void => {
    const source: MessageSource = Object.freeze({
      transport: config.transport,
      peer: formatPeer(socket.remoteAddress, socket.remotePort),
      listener: name,
    });
    const connection = new StreamConnection(socket, source, sink, limits, counters);
    connections.add(connection);
    void connection.done.then(() => connections.delete(connection));
  };
  server.on(config.transport === 'tls' ? 'secureConnection' : 'connection', onConnection);

  return {
    port,
    name,
    counters,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.shutdown()));
      // TLS sockets still in their handshake would hold server.close() open; they carry no frames.
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

function createServer(config: StreamListenerConfig, limits: StreamLimits, counters: TransportCounters): net.Server {
  if (config.transport === 'tcp') return net.createServer();
  if (config.tls === undefined) throw new LianfangError('LISTEN_OPTIONS', 'syslog-tls: cert and key are required', 'input');
  let server: tls.Server;
  try {
    server = tls.createServer({
      cert: config.tls.cert,
      key: config.tls.key,
      handshakeTimeout: limits.handshakeTimeoutMs,
      minVersion: 'TLSv1.2',
    });
  } catch (err) {
    throw new LianfangError('LISTEN_OPTIONS', `syslog-tls: cannot use the certificate and key: ${errorMessage(err)}`, 'input', { cause: err });
  }
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    counters.handshakeFailures++;
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') counters.handshakeTimeouts++;
    // With a listener attached Node leaves the socket open; a stalled handshake must not hold it.
    socket.destroy();
  });
  return server;
}

function listen(server: net.Server, config: StreamListenerConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      const where = `${config.host ?? '*'}:${config.port}`;
      reject(new LianfangError('LISTEN_FAILED', `syslog-${config.transport}: cannot listen on ${where}: ${err.message}`, 'technical', { cause: err }));
    };
    server.once('error', onError);
    server.listen({ port: config.port, host: config.host }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
