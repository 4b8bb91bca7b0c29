/**
 * Smaller vendor mappings: Check Point's `[key:"value"; …]` syslog (in the RFC 5424
 * structured-data position) and the `%ASA-6-302013:` message ID of Cisco ASA/PIX/FTD.
 */
import type { EventRecord } from '../../core/index.js';
import { setTimestamp } from './context.js';
import { addUnique, fillRelated, put, setOwn } from './fields.js';
import { canonicalIp } from './ip.js';
import { transportOf } from './network.js';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function port(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isInteger(n) && n >= 0 && n < 65536 ? n : undefined;
}

export function putCheckpoint(pairs: Record<string, string | string[]>, event: EventRecord): void {
  const get = (key: string): string | undefined => (Object.hasOwn(pairs, key) ? first(pairs[key]) : undefined);
  const checkpoint: EventRecord = {};
  for (const key of Object.keys(pairs)) setOwn(checkpoint, key, pairs[key]!);
  put(event, 'checkpoint', checkpoint);
  put(event, 'observer.vendor', 'Check Point');
  put(event, 'observer.product', get('product') ?? 'Check Point');
  put(event, 'observer.type', 'firewall');
  put(event, 'observer.name', get('origin_sic_name') ?? get('originsicname'));
  put(event, 'observer.ip', canonicalIp(get('origin') ?? ''));
  put(event, 'event.kind', 'event');
  const action = get('action');
  put(event, 'event.action', action?.toLowerCase());
  const lower = action?.toLowerCase() ?? '';
  if (lower === 'accept' || lower === 'allow' || lower === 'encrypt' || lower === 'decrypt') {
    put(event, 'event.outcome', 'success');
    addUnique(event, 'event.type', 'allowed');
  } else if (lower === 'drop' || lower === 'reject' || lower === 'block') {
    put(event, 'event.outcome', 'failure');
    addUnique(event, 'event.type', 'denied');
  }
  addUnique(event, 'event.category', 'network');
  put(event, 'event.id', get('loguid'));
  const time = Number(get('time'));
  if (get('time') && Number.isSafeInteger(time)) setTimestamp(event, { ms: time * 1000, offset: 0 });
  put(event, 'source.ip', canonicalIp(get('src') ?? ''));
  put(event, 'source.port', port(get('s_port')));
  put(event, 'destination.ip', canonicalIp(get('dst') ?? ''));
  put(event, 'destination.port', port(get('service')));
  const natSource = canonicalIp(get('xlatesrc') ?? '');
  if (natSource && natSource !== '0.0.0.0') put(event, 'source.nat.ip', natSource);
  const natDestination = canonicalIp(get('xlatedst') ?? '');
  if (natDestination && natDestination !== '0.0.0.0') put(event, 'destination.nat.ip', natDestination);
  const natSourcePort = port(get('xlatesport'));
  if (natSourcePort) put(event, 'source.nat.port', natSourcePort);
  const natDestinationPort = port(get('xlatedport'));
  if (natDestinationPort) put(event, 'destination.nat.port', natDestinationPort);
  const proto = get('proto');
  if (proto) {
    put(event, 'network.iana_number', proto);
    put(event, 'network.transport', transportOf(proto));
  }
  const direction = get('ifdir');
  if (direction === 'inbound' || direction === 'outbound') {
    put(event, 'network.direction', direction);
    put(event, `observer.${direction === 'inbound' ? 'ingress' : 'egress'}.interface.name`, get('ifname'));
  }
  put(event, 'rule.name', get('rule_name'));
  put(event, 'rule.uuid', get('rule_uid'));
  put(event, 'rule.ruleset', get('layer_name'));
  put(event, 'source.user.name', get('src_user_name'));
  put(event, 'destination.user.name', get('dst_user_name'));
  fillRelated(event);
}

/**
 * `%ASA-6-302013`, `%PIX-7-710005`, `%FTD-1-430002` at `from` (or as the whole syslog tag):
 * the device, its severity and the message ID. Returns the end of the ID (after `:`) or -1.
 */
export function putCiscoMessageId(text: string, from: number, event: EventRecord): number {
  if (text.charCodeAt(from) !== 37 /* % */) return -1;
  const product = text.slice(from + 1, from + 4);
  if (product !== 'ASA' && product !== 'PIX' && product !== 'FTD' && product !== 'FWS') return -1;
  if (text.charCodeAt(from + 4) !== 45 || text.charCodeAt(from + 6) !== 45) return -1;
  const severity = text.charCodeAt(from + 5) - 48;
  if (severity < 0 || severity > 7) return -1;
  let end = from + 7;
  while (end < text.length && end < from + 16 && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  if (end === from + 7) return -1;
  put(event, 'observer.vendor', 'Cisco');
  put(event, 'observer.product', product);
  put(event, 'observer.type', 'firewall');
  put(event, 'event.code', text.slice(from + 7, end));
  put(event, 'event.severity', severity);
  put(event, 'log.level', ['emergencies', 'alerts', 'critical', 'errors', 'warnings', 'notifications', 'informational', 'debugging'][severity]);
  if (text.charCodeAt(end) === 58) end++;
  if (text.charCodeAt(end) === 32) end++;
  return end;
}
