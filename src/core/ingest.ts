import type { EventRecord } from './event.js';

/** How a message reached us. */
export type Transport = 'udp' | 'tcp' | 'tls' | 'http' | 'file';

/** Where a live message came from: the listener that took it and the peer that sent it. */
export interface MessageSource {
  readonly transport: Transport;
  /** `ip:port` of the sender, or the file path for imports. */
  readonly peer: string;
  /** Listener name, e.g. `syslog-tcp:5514`. */
  readonly listener: string;
}

/** The wire formats the normaliser recognises. */
export type MessageFormat =
  | 'rfc5424'
  | 'rfc3164'
  | 'cef'
  | 'leef'
  | 'json'
  | 'winxml'
  | 'snare'
  | 'unknown';

/**
 * One device message turned into an event with ECS field names (nested objects:
 * `source.ip`, `event.category`, …). Windows events additionally carry the flat names Sigma
 * rules use (`Channel`, `EventID`, `Image`, …). A message that could not be parsed still
 * gives an event (at least `message`) and says why in `error`: it is kept and counted, never
 * dropped.
 */
export interface ParsedMessage {
  readonly format: MessageFormat;
  /** Device kind when recognised: `fortigate`, `panos`, `suricata`, `modsecurity`, `squid`, `fireeye`, `windows`, … */
  readonly device?: string;
  readonly event: EventRecord;
  readonly error?: string;
}

/** A message as stored: the raw text, when and from where it arrived, and what it became. */
export interface IngestedEvent extends ParsedMessage {
  /** Stable for the message's place in the spool, so a redelivered message is stored once. */
  readonly id: string;
  /** ISO 8601, when the listener received it. */
  readonly receivedAt: string;
  readonly source: MessageSource;
  readonly raw: string;
}
