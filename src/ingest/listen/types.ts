import type { MessageSource } from '../../core/index.js';

/** One syslog frame as it came off the wire, before any parsing. */
export interface RawMessage {
  /** One frame, decoded as UTF-8 (invalid bytes → U+FFFD), trailing CR/LF/NUL stripped. */
  readonly text: string;
  /** Transport, peer `ip:port` and listener name, e.g. `syslog-tcp:5514`. */
  readonly source: MessageSource;
  /**
   * When the bytes that completed the frame were read. Frames read in the same chunk share
   * one `Date` instance: treat it as read-only.
   */
  readonly receivedAt: Date;
  /** What was wrong with the frame, when something was: it is delivered anyway. */
  readonly problem?: string;
}

/** Where frames go. `accept()` resolves when the batch is durable (written to the spool). */
export interface MessageSink {
  accept(batch: RawMessage[]): Promise<void>;
}

export interface ListenerOptions {
  udp?: { port: number; host?: string };
  tcp?: { port: number; host?: string };
  /** RFC 5425 syslog over TLS. `cert` and `key` are PEM. */
  tls?: { port: number; host?: string; cert: string | Buffer; key: string | Buffer };
  /** Default 64 KiB. Longer frames are cut, kept, and flagged in `problem`. */
  maxMessageBytes?: number;
  /** Default 300 000: close connections that sent nothing for this long. */
  idleTimeoutMs?: number;
  /** Default 10 000: close TLS connections that never finish the handshake. */
  handshakeTimeoutMs?: number;
  /** Default 1000, per stream listener (TCP and TLS each): further connections are refused and counted. */
  maxConnections?: number;
  /**
   * Default 10 000: UDP messages waiting for the sink (queued + in the batch being accepted).
   * UDP cannot push back, so beyond this bound datagrams are dropped and counted in `udpDropped`.
   */
  udpQueueLimit?: number;
}

/** Figures for one listener; every field is a running total except `connectionsOpen`. */
export interface TransportCounters {
  /** Stream connections open now (TLS: after the handshake). */
  connectionsOpen: number;
  /** Stream connections accepted since start (TLS: handshakes completed). */
  connectionsTotal: number;
  /** Connections refused because `maxConnections` were open. */
  connectionsRefused: number;
  /** Connections closed for sending nothing within `idleTimeoutMs`. */
  idleClosed: number;
  /** Socket errors (resets and the like); the connection's data up to the error is delivered. */
  connectionErrors: number;
  /** TLS: handshakes that failed (bad client, plain text on the TLS port, timeout). */
  handshakeFailures: number;
  /** TLS: of `handshakeFailures`, those closed after `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /** UDP: datagrams received, including dropped ones. */
  datagrams: number;
  /** Bytes received (payload, including framing). */
  bytes: number;
  /** Frames handed to the sink. */
  frames: number;
  /** `sink.accept()` calls. */
  batches: number;
  /** Frames cut at `maxMessageBytes` (delivered with `problem`). */
  oversized: number;
  /** Bytes beyond `maxMessageBytes` in oversized frames, discarded. */
  discardedBytes: number;
  /** Frames delivered with a framing `problem` (bad octet count, connection ended mid-frame). */
  framingErrors: number;
  /** Empty frames (a terminator right after another, empty datagrams): nothing to deliver. */
  emptyFrames: number;
  /** UDP: datagrams dropped because the sink was `udpQueueLimit` messages behind. */
  udpDropped: number;
  /** Times `sink.accept()` rejected (stream listeners then close that connection). */
  sinkFailures: number;
  /** Frames in rejected batches, or parsed but not yet handed over when their connection closed for it. */
  unacknowledgedFrames: number;
}

/** One entry per listener started. */
export interface ListenerCounters {
  udp?: TransportCounters;
  tcp?: TransportCounters;
  tls?: TransportCounters;
}

export function newTransportCounters(): TransportCounters {
  return {
    connectionsOpen: 0,
    connectionsTotal: 0,
    connectionsRefused: 0,
    idleClosed: 0,
    connectionErrors: 0,
    handshakeFailures: 0,
    handshakeTimeouts: 0,
    datagrams: 0,
    bytes: 0,
    frames: 0,
    batches: 0,
    oversized: 0,
    discardedBytes: 0,
    framingErrors: 0,
    emptyFrames: 0,
    udpDropped: 0,
    sinkFailures: 0,
    unacknowledgedFrames: 0,
  };
}
