/**
 * Syslog listeners: UDP (RFC 5426), TCP (RFC 6587) and TLS (RFC 5425). They deliver frames —
 * raw text with where and when it came from — to a MessageSink; parsing is someone else's job.
 * See README.md in this folder for framing rules, limits, back-pressure and the counters.
 */
import { InputError } from '../../core/index.js';
import { startStreamListener, type StreamLimits, type StreamListener } from './stream.js';
import { startUdpListener, type UdpListener } from './udp.js';
import { newTransportCounters } from './types.js';
import type { ListenerCounters, ListenerOptions, MessageSink, TransportCounters } from './types.js';

export type { RawMessage, MessageSink, ListenerOptions, ListenerCounters, TransportCounters } from './types.js';
export { SyslogFramer, frameDatagram, MAX_OCTET_COUNT } from './framing.js';
export { newTransportCounters } from './types.js';
export type { FramingCounters } from './framing.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_UDP_QUEUE_LIMIT = 10_000;

export interface SyslogListeners {
  /** Actual ports (an option's port 0 gives an ephemeral one). */
  readonly addresses: { udp?: number; tcp?: number; tls?: number };
  /** A snapshot of the running totals. */
  counters(): ListenerCounters;
  /** Stop accepting, flush what was read into the sink (partial frames too), wait for pending accepts. */
  close(): Promise<void>;
}

/**
 * Starts the listeners `opts` names (at least one). Rejects with an InputError for bad options
 * and a `LISTEN_FAILED` error when a port cannot be bound; listeners already started are closed.
 */
export async function startSyslogListeners(opts: ListenerOptions, sink: MessageSink): Promise<SyslogListeners> {
  const limits = resolveLimits(opts);
  const udpQueueLimit = positiveInteger(opts.udpQueueLimit, DEFAULT_UDP_QUEUE_LIMIT, 'udpQueueLimit');
  if (opts.udp === undefined && opts.tcp === undefined && opts.tls === undefined) {
    throw new InputError('LISTEN_OPTIONS', 'no listener configured: give udp, tcp or tls', 'syslog listener options');
  }
  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    const port = opts[transport]?.port;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new InputError('LISTEN_OPTIONS', `port must be an integer from 0 to 65535, got ${String(port)}`, `${transport}.port`);
    }
  }

  const counters: ListenerCounters = {};
  const started: Array<UdpListener | StreamListener> = [];
  const addresses: { udp?: number; tcp?: number; tls?: number } = {};
  try {
    if (opts.udp) {
      const c = (counters.udp = newTransportCounters());
      const udp = await startUdpListener(
        { port: opts.udp.port, host: opts.udp.host, maxMessageBytes: limits.maxMessageBytes, queueLimit: udpQueueLimit },
        sink,
        c,
      );
      started.push(udp);
      addresses.udp = udp.port;
    }
    if (opts.tcp) {
      const c = (counters.tcp = newTransportCounters());
      const tcp = await startStreamListener({ transport: 'tcp', port: opts.tcp.port, host: opts.tcp.host }, sink, limits, c);
      started.push(tcp);
      addresses.tcp = tcp.port;
    }
    if (opts.tls) {
      const { port, host, cert, key } = opts.tls;
      const c = (counters.tls = newTransportCounters());
      const tls = await startStreamListener({ transport: 'tls', port, host, tls: { cert, key } }, sink, limits, c);
      started.push(tls);
      addresses.tls = tls.port;
    }
  } catch (err) {
    await Promise.all(started.map((l) => l.close()));
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    addresses,
    counters: () => snapshot(counters),
    close() {
      closing ??= Promise.all(started.map((l) => l.close())).then(() => undefined);
      return closing;
    },
  };
}

function resolveLimits(opts: ListenerOptions): StreamLimits {
  return {
    maxMessageBytes: positiveInteger(opts.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes'),
    idleTimeoutMs: positiveInteger(opts.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs'),
    handshakeTimeoutMs: positiveInteger(opts.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs'),
    maxConnections: positiveInteger(opts.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections'),
  };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InputError('LISTEN_OPTIONS', `must be a positive integer, got ${String(value)}`, name);
  }
  return value;
}

function snapshot(counters: ListenerCounters): ListenerCounters {
  const copy = (c: TransportCounters | undefined): TransportCounters | undefined => (c ? { ...c } : undefined);
  const out: ListenerCounters = {};
  const udp = copy(counters.udp);
  const tcp = copy(counters.tcp);
  const tls = copy(counters.tls);
  if (udp) out.udp = udp;
  if (tcp) out.tcp = tcp;
  if (tls) out.tls = tls;
  return out;
}
