/**
 * PAN-OS syslog CSV (THREAT and TRAFFIC; other types keep the common head) → ECS, following
 * Elastic's panw integration: column names under `panw.panos`, the ECS copies taken out of
 * it, times read in the configured zone (PAN-OS writes local time without a zone).
 */
import type { EventRecord } from '../../core/index.js';
import { resolveWall, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { addUnique, fillRelated, getString, put } from './fields.js';
import { canonicalIp, isIPv4 } from './ip.js';
import { digits } from './time.js';
import type { Instant } from './time.js';

/** The head every PAN-OS CSV record shares; `_` marks columns used but not kept. */
const HEAD = ['_future1', '_receive_time', '_serial', 'type', 'sub_type', '_config_version', '_generated_time'];

// Column names after the head, per the PAN-OS syslog field descriptions (Elastic's names).
const THREAT = [
  'source.ip', 'destination.ip', 'source.nat.ip', 'destination.nat.ip', 'ruleset', '_srcuser', '_dstuser',
  'network.application', 'virtual_sys', 'source.zone', 'destination.zone', 'inbound_interface', 'outbound_interface',
  'log_profile', '_logged_time', 'flow_id', 'repeat_count', 'source.port', 'destination.port', 'source.nat.port',
  'destination.nat.port', '_flags', 'protocol', 'action', 'misc', 'threat.name', 'url.category', 'severity',
  '_direction', 'sequence_number', 'action_flags', '_srcloc', '_dstloc', '_future2', 'http_content_type',
  'network.pcap_id', 'file.hash', 'wildfire.name', 'url_idx', '_user_agent', 'file.type', '_forwarded_ip', 'referrer',
  'sender', 'subject', 'recipient', 'wildfire.report_id', 'device_group_hierarchy1', 'device_group_hierarchy2',
  'device_group_hierarchy3', 'device_group_hierarchy4', 'vsys_name', 'device_name', '_future3', 'source_vm_uuid',
  'destination_vm_uuid', 'http_method', 'imsi', 'imei', 'parent_session.id', 'parent_session.start_time', 'tunnel_type',
  'threat_category', 'content_version', '_future4', 'sctp.assoc_id', 'payload_protocol_id', 'http_headers',
  'url_category_list', 'rule_uuid', 'http2_connection', 'dynamic_user.group.name', 'xff.ip', 'src.category',
  'src.profile', 'src.model', 'src.vendor', 'src.os.family', 'src.os.version', 'src.host', 'src.mac', 'dst.category',
  'dst.profile', 'dst.model', 'dst.vendor', 'dst.os.family', 'dst.os.version', 'dst.host', 'dst.mac', 'container.id',
  'pod.namespace', 'pod.name', 'src.external_dynamic_list', 'dst.external_dynamic_list', 'host.id', 'serial_number',
  'domain_edl', 'src.dynamic_address_group', 'dst.dynamic_address_group', 'partial_hash', '_high_res_timestamp',
  'reason', 'justification', 'nssai_sst', 'application.sub_category', 'application.category',
  'application.technology', 'application.risk_level', 'application.characteristics', 'application.container',
  'application.tunneled', 'application.is_saas', 'application.is_sanctioned', 'cloud_report.id',
];

const TRAFFIC = [
  'source.ip', 'destination.ip', 'source.nat.ip', 'destination.nat.ip', 'ruleset', '_srcuser', '_dstuser',
  'network.application', 'virtual_sys', 'source.zone', 'destination.zone', 'inbound_interface', 'outbound_interface',
  'log_profile', '_future2', 'flow_id', 'repeat_count', 'source.port', 'destination.port', 'source.nat.port',
  'destination.nat.port', '_flags', 'protocol', 'action', 'network.bytes', 'bytes_sent', 'bytes_received',
  'network.packets', 'start_time', 'elapsed_time', 'url.category', '_future3', 'sequence_number', 'action_flags',
  '_srcloc', '_dstloc', '_future4', 'packets_sent', 'packets_received', 'endreason', 'device_group_hierarchy1',
  'device_group_hierarchy2', 'device_group_hierarchy3', 'device_group_hierarchy4', 'vsys_name', 'device_name',
  'action_source', 'source_vm_uuid', 'destination_vm_uuid', 'imsi', 'imei', 'parent_session.id',
  'parent_session.start_time', 'tunnel_type', 'sctp.assoc_id', 'sctp.chunks', 'sctp.chunks_sent',
  'sctp.chunks_received', 'rule_uuid', 'http2_connection', 'link.change_count', 'policy.id', 'link.switches',
  'sdwan.cluster.name', 'sdwan.device_type', 'sdwan.cluster.type', 'sdwan.site', 'dynamic_user.group.name', 'xff.ip',
  'src.category', 'src.profile', 'src.model', 'src.vendor', 'src.os.family', 'src.os.version', 'src.host', 'src.mac',
  'dst.category', 'dst.profile', 'dst.model', 'dst.vendor', 'dst.os.family', 'dst.os.version', 'dst.host', 'dst.mac',
  'container.id', 'pod.namespace', 'pod.name', 'src.external_dynamic_list', 'dst.external_dynamic_list', 'host.id',
  'serial_number', 'src.dynamic_address_group', 'dst.dynamic_address_group', 'session.owner', '_high_res_timestamp',
  'nsdsai_sst', 'nsdsai_sd', 'application.sub_category', 'application.category', 'application.technology',
  'application.risk_level', 'application.characteristics', 'application.container', 'application.tunneled',
  'application.is_saas', 'application.is_sanctioned', 'is_offloaded',
];

/** Columns copied to ECS fields and therefore not kept under `panw.panos` (as Elastic removes them). */
const COPIED = new Set([
  'source.ip', 'destination.ip', 'source.nat.ip', 'destination.nat.ip', 'source.port', 'destination.port',
  'source.nat.port', 'destination.nat.port', 'source.zone', 'destination.zone', 'inbound_interface',
  'outbound_interface', 'network.application', 'protocol', 'severity', 'misc', 'device_name', 'http_method', 'referrer',
  'file.type', 'sender', 'recipient', 'rule_uuid', 'bytes_sent', 'bytes_received', 'packets_sent', 'packets_received',
  'network.bytes', 'network.packets', 'elapsed_time',
]);

const INTEGER_COLUMNS = new Set(['repeat_count', 'source.port', 'destination.port', 'source.nat.port', 'destination.nat.port', 'network.bytes', 'bytes_sent', 'bytes_received', 'network.packets', 'packets_sent', 'packets_received', 'elapsed_time', 'application.risk_level', 'sctp.chunks', 'sctp.chunks_sent', 'sctp.chunks_received', 'link.change_count']);

/** The `flags` bit field, per the PAN-OS log field descriptions. */
const FLAG_LABELS: [string, number][] = [
  ['pcap_included', 0x80000000], ['connect_to_destination_host', 0x40000000], ['file_submitted_to_WildFire', 0x20000000],
  ['enterprise_credential_submission', 0x10000000], ['source_flow_allow_list', 0x08000000], ['ipv6_session', 0x02000000],
  ['ssl_decrypted', 0x01000000], ['url_filter_denied', 0x00800000], ['nat_translated', 0x00400000],
  ['captive_portal', 0x00200000], ['non_standard_port_usage', 0x00100000], ['x_forwarded_for', 0x00080000],
  ['http_proxy', 0x00040000], ['client_server_policy_based_forwarding', 0x00020000],
  ['server_client_policy_based_forwarding', 0x00010000], ['container_page', 0x00008000], ['temporary_match', 0x00002000],
  ['symmetric_return', 0x00000800], ['decrypted_traffic', 0x00000400], ['payload_outer_tunnel', 0x00000100],
];

const ACTIONS = new Map<string, string>(Object.entries({
  start: 'flow_started', end: 'flow_terminated', drop: 'flow_dropped', deny: 'flow_denied', data: 'data_match',
  file: 'file_match', flood: 'flood_detected', packet: 'packet_attack', scan: 'scan_detected', spyware: 'spyware_detected',
  url: 'url_filtering', virus: 'virus_detected', vulnerability: 'exploit_detected', wildfire: 'wildfire_verdict',
  'wildfire-virus': 'wildfire_virus_detected',
}));

const SEVERITIES: Record<string, number> = { critical: 1, high: 2, medium: 3, low: 4, informational: 5 };

const ALLOWED = new Set(['alert', 'allow', 'continue']);
const DENIED = new Set(['deny', 'drop', 'reset-client', 'reset-server', 'reset-both', 'block-url', 'block-ip', 'random-drop', 'sinkhole', 'block']);

/** `N,yyyy/mm/dd hh:mm:ss,serial,TYPE,` at `from`: the shape of a PAN-OS record. */
export function isPanosCsv(text: string, from: number): boolean {
  let i = from;
  while (i < from + 4 && digits(text, i, 1) >= 0) i++;
  if (i === from || text.charCodeAt(i) !== 44) return false;
  i++;
  if (digits(text, i, 4) < 0 || text.charCodeAt(i + 4) !== 47 || text.charCodeAt(i + 7) !== 47 || text.charCodeAt(i + 10) !== 32 || text.charCodeAt(i + 19) !== 44) return false;
  const serialEnd = text.indexOf(',', i + 20);
  if (serialEnd < 0 || serialEnd - i > 64) return false;
  const typeEnd = text.indexOf(',', serialEnd + 1);
  if (typeEnd < 0 || typeEnd - serialEnd > 24) return false;
  for (let j = serialEnd + 1; j < typeEnd; j++) {
    const c = text.charCodeAt(j);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return typeEnd > serialEnd + 1;
}

/**
 * CSV fields: `"…"` quoting with `""` inside; outside quotes, commas inside `{…}` (Link
 * Switches) do not split.
 */
export function readCsv(text: string, from: number): string[] {
  const fields: string[] = [];
  let i = from;
  const length = text.length;
  while (i <= length) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let chunk = i + 1;
      let j = i + 1;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote < 0) {
          value += text.slice(chunk);
          j = length;
          break;
        }
        if (text.charCodeAt(quote + 1) === 34) {
          value += text.slice(chunk, quote + 1);
          chunk = quote + 2;
          j = quote + 2;
          continue;
        }
        value += text.slice(chunk, quote);
        j = quote + 1;
        break;
      }
      const comma = text.indexOf(',', j);
      fields.push(comma < 0 ? value + text.slice(j).trimEnd() : value + text.slice(j, comma));
      if (comma < 0) break;
      i = comma + 1;
      continue;
    }
    let j = i;
    let depth = 0;
    while (j < length) {
      const c = text.charCodeAt(j);
      if (c === 123) depth++;
      else if (c === 125 && depth > 0) depth--;
      else if (c === 44 && depth === 0) break;
      j++;
    }
    fields.push(j >= length ? text.slice(i).trimEnd() : text.slice(i, j));
    if (j >= length) break;
    i = j + 1;
  }
  return fields;
}

function panosTime(value: string | undefined, ctx: ParseContext, event: EventRecord, what: string): Instant | undefined {
  if (!value) return undefined;
  if (value.length !== 19 || value.charCodeAt(4) !== 47 || value.charCodeAt(7) !== 47) {
    ctx.problems.push(`PAN-OS ${what} "${value.slice(0, 32)}" is not yyyy/mm/dd hh:mm:ss`);
    return undefined;
  }
  const wall = {
    year: digits(value, 0, 4),
    month: digits(value, 5, 2),
    day: digits(value, 8, 2),
    hour: digits(value, 11, 2),
    minute: digits(value, 14, 2),
    second: digits(value, 17, 2),
    millis: 0,
  };
  return resolveWall(ctx, event, wall, undefined, () => `PAN-OS ${what} "${value}"`);
}

function toInteger(value: string): number | undefined {
  const n = Number(value);
  return value !== '' && Number.isSafeInteger(n) ? n : undefined;
}

/** A CSV record read through its type's column layout. */
class Columns {
  constructor(
    readonly fields: string[],
    readonly layout: Layout,
  ) {}

  /** The column's value; an empty column is absent. */
  col(name: string): string | undefined {
    const position = this.layout.index.get(name);
    const value = position === undefined ? undefined : this.fields[position];
    return value === '' ? undefined : value;
  }
}

interface Layout {
  readonly index: Map<string, number>;
  /** Columns kept under `panw.panos`, in order, with whether they hold a number. */
  readonly kept: readonly { position: number; name: string; integer: boolean }[];
  readonly typed: boolean;
}

function layout(names: string[], typed: boolean): Layout {
  const index = new Map<string, number>();
  const kept: { position: number; name: string; integer: boolean }[] = [];
  names.forEach((name, position) => {
    index.set(name, position);
    if (name.startsWith('_') || COPIED.has(name) || name === 'threat.name') return;
    kept.push({ position, name, integer: INTEGER_COLUMNS.has(name) });
  });
  return { index, kept, typed };
}

const LAYOUTS = new Map<string, Layout>([
  ['THREAT', layout([...HEAD, ...THREAT], true)],
  ['TRAFFIC', layout([...HEAD, ...TRAFFIC], true)],
]);
const HEAD_LAYOUT = layout(HEAD, false);

export function parsePanos(text: string, from: number, event: EventRecord, ctx: ParseContext): void {
  const fields = readCsv(text, from);
  const type = fields[3] ?? '';
  const c = new Columns(fields, LAYOUTS.get(type) ?? HEAD_LAYOUT);

  put(event, 'observer.vendor', 'Palo Alto Networks');
  put(event, 'observer.product', 'PAN-OS');
  put(event, 'observer.type', 'firewall');
  put(event, 'observer.serial_number', c.col('_serial'));
  const panos: EventRecord = {};

  const generated = panosTime(c.col('_generated_time'), ctx, event, 'generated time');
  setTimestamp(event, generated);
  setTimestamp(panos, generated, 'generated_time');
  const received = panosTime(c.col('_receive_time'), ctx, event, 'receive time');
  setTimestamp(event, received, 'event.created');
  setTimestamp(panos, received, 'received_time');
  setTimestamp(panos, panosTime(c.col('_logged_time'), ctx, event, 'time logged'), 'logged_time');

  let start: Instant | undefined;
  for (const { position, name, integer } of c.layout.kept) {
    const value = fields[position];
    if (value === undefined || value === '') continue;
    if (name === 'network.pcap_id' && value === '0') continue;
    if (name === 'start_time' || name === 'parent_session.start_time') {
      const instant = panosTime(value, ctx, event, name.replace('_', ' '));
      if (instant) setTimestamp(panos, instant, name);
      if (name === 'start_time') start = instant;
      continue;
    }
    put(panos, name, integer ? (toInteger(value) ?? value) : value);
  }
  if (!c.layout.typed) {
    // Other log types: the head is read, the rest stays in the message.
    put(event, 'panw.panos', panos);
    return;
  }

  putAddresses(c, event);
  put(event, 'observer.hostname', c.col('device_name'));
  put(event, 'observer.ingress.zone', c.col('source.zone'));
  put(event, 'observer.egress.zone', c.col('destination.zone'));
  put(event, 'observer.ingress.interface.name', c.col('inbound_interface'));
  put(event, 'observer.egress.interface.name', c.col('outbound_interface'));
  put(event, 'network.application', c.col('network.application')?.toLowerCase());
  put(event, 'network.transport', c.col('protocol')?.toLowerCase());
  put(event, 'rule.name', c.col('ruleset'));
  put(event, 'rule.uuid', c.col('rule_uuid'));
  put(event, 'source.geo.name', c.col('_srcloc'));
  put(event, 'destination.geo.name', c.col('_dstloc'));
  putUsers(c, event, panos);
  putFlags(c.col('_flags'), event);

  const action = normalizeAction(c.col('action'));
  if (action) panos.action = action;
  const subType = c.col('sub_type');
  if (subType) put(event, 'event.action', ACTIONS.get(subType));
  if (action && ALLOWED.has(action)) addUnique(event, 'event.type', 'allowed');
  if (action && DENIED.has(action)) addUnique(event, 'event.type', 'denied');
  if (subType === 'start') addAll(event, ['start', 'connection']);
  if (subType === 'end') addAll(event, ['end', 'connection']);
  if (subType === 'drop' || subType === 'deny') addAll(event, ['denied', 'connection']);

  if (type === 'THREAT') putThreat(c, event, panos, action, subType);
  else putTraffic(c, event, action, start);

  const sourceIp = getString(event, 'source.ip');
  if (sourceIp) put(event, 'network.type', isIPv4(sourceIp) ? 'ipv4' : 'ipv6');
  fillRelated(event);
  addUnique(event, 'related.hosts', getString(event, 'observer.hostname'));
  put(event, 'panw.panos', panos);
}

function addAll(event: EventRecord, types: string[]): void {
  for (const type of types) addUnique(event, 'event.type', type);
}

function normalizeAction(action: string | undefined): string | undefined {
  if (action === 'drop icmp' || action === 'drop ICMP') return 'drop-icmp';
  if (action === 'reset both') return 'reset-both';
  if (action === 'reset client') return 'reset-client';
  if (action === 'reset server') return 'reset-server';
  return action;
}

function putAddresses(c: Columns, event: EventRecord): void {
  put(event, 'source.ip', canonicalIp(c.col('source.ip') ?? ''));
  put(event, 'source.port', toInteger(c.col('source.port') ?? ''));
  put(event, 'destination.ip', canonicalIp(c.col('destination.ip') ?? ''));
  put(event, 'destination.port', toInteger(c.col('destination.port') ?? ''));
  // 0.0.0.0:0 means no translation happened.
  const sourceNatIp = canonicalIp(c.col('source.nat.ip') ?? '');
  const sourceNatPort = toInteger(c.col('source.nat.port') ?? '');
  if (!(sourceNatIp === '0.0.0.0' && (sourceNatPort ?? 0) === 0)) {
    put(event, 'source.nat.ip', sourceNatIp);
    put(event, 'source.nat.port', sourceNatPort);
  }
  const destinationNatIp = canonicalIp(c.col('destination.nat.ip') ?? '');
  const destinationNatPort = toInteger(c.col('destination.nat.port') ?? '');
  if (!(destinationNatIp === '0.0.0.0' && (destinationNatPort ?? 0) === 0)) {
    put(event, 'destination.nat.ip', destinationNatIp);
    put(event, 'destination.nat.port', destinationNatPort);
  }
}

/** `DOMAIN\user`, `user@domain` or `user`. */
function putUser(event: EventRecord, side: string, raw: string | undefined): void {
  if (!raw) return;
  const slash = raw.indexOf('\\');
  const at = raw.lastIndexOf('@');
  if (slash > 0) {
    put(event, `${side}.user.domain`, raw.slice(0, slash));
    put(event, `${side}.user.name`, raw.slice(slash + 1).replace(/^\\/, ''));
  } else if (at > 0) {
    put(event, `${side}.user.name`, raw.slice(0, at));
    put(event, `${side}.user.domain`, raw.slice(at + 1));
  } else put(event, `${side}.user.name`, raw);
}

function putUsers(c: Columns, event: EventRecord, panos: EventRecord): void {
  putUser(event, 'source', c.col('_srcuser'));
  putUser(event, 'destination', c.col('_dstuser'));
  const sourceUser = getString(event, 'source.user.name');
  if (sourceUser) {
    put(panos, 'source.user', sourceUser);
    put(event, 'user.name', sourceUser);
    put(event, 'user.domain', getString(event, 'source.user.domain'));
  }
  const destinationUser = getString(event, 'destination.user.name');
  if (destinationUser) put(panos, 'destination.user', destinationUser);
}

function putFlags(flags: string | undefined, event: EventRecord): void {
  if (!flags) return;
  const value = flags.startsWith('0x') ? Number.parseInt(flags.slice(2), 16) : Number(flags);
  if (!Number.isFinite(value) || value === 0) return;
  for (const [label, bit] of FLAG_LABELS) {
    // Bitwise operators are 32-bit signed: compare through unsigned division instead.
    if (Math.floor(value / bit) % 2 === 1) put(event, `labels.${label}`, true);
  }
}

function putThreat(c: Columns, event: EventRecord, panos: EventRecord, action: string | undefined, subType: string | undefined): void {
  put(event, 'event.kind', 'alert');
  for (const category of ['intrusion_detection', 'threat', 'network']) addUnique(event, 'event.category', category);
  put(event, 'event.outcome', action && ALLOWED.has(action) ? 'success' : 'failure');
  const direction = c.col('_direction');
  put(event, 'network.direction', direction === '0' || direction === 'client-to-server' ? 'inbound' : direction === '1' || direction === 'server-to-client' ? 'outbound' : 'unknown');
  const severity = c.col('severity');
  put(event, 'log.level', severity);
  if (severity && Object.hasOwn(SEVERITIES, severity)) put(event, 'event.severity', SEVERITIES[severity]);
  put(event, 'http.request.method', c.col('http_method'));
  put(event, 'http.request.referrer', c.col('referrer'));
  put(event, 'file.type', c.col('file.type'));
  put(event, 'source.user.email', c.col('sender'));
  put(event, 'destination.user.email', c.col('recipient'));
  put(event, 'user_agent.original', c.col('_user_agent'));
  const threat = c.col('threat.name');
  if (threat) {
    const open = threat.lastIndexOf('(');
    const close = threat.lastIndexOf(')');
    if (open >= 0 && close === threat.length - 1) {
      const id = threat.slice(open + 1, close).trim();
      const name = threat.slice(0, open).trim();
      put(panos, 'threat.id', id);
      put(panos, 'threat.name', id === '9999' ? 'URL-filtering' : name || undefined);
    } else put(panos, 'threat.name', threat);
    put(event, 'rule.id', getString(panos, 'threat.id'));
  }
  const hash = c.col('file.hash');
  if (hash) addUnique(event, 'related.hash', hash);
  const misc = c.col('misc');
  if (!misc) return;
  if (subType === 'url' || ((subType === 'virus' || subType === 'vulnerability') && misc.includes('/'))) putSchemelessUrl(event, misc);
  if (subType === 'file' || subType === 'virus' || subType === 'vulnerability') {
    if (subType === 'file' && (misc.includes('/') || misc.includes('\\'))) {
      put(event, 'file.path', misc);
      put(event, 'file.name', misc.slice(Math.max(misc.lastIndexOf('/'), misc.lastIndexOf('\\')) + 1));
    } else if (!misc.includes('/') && !misc.includes('\\')) put(event, 'file.name', misc);
  }
}

/** PAN-OS URLs lack a scheme: host[:port] up to the first `/`, then path and query. */
function putSchemelessUrl(event: EventRecord, misc: string): void {
  put(event, 'url.original', misc);
  let domainPort = misc;
  const slash = misc.indexOf('/');
  if (slash >= 0) {
    domainPort = misc.slice(0, slash);
    const after = misc.slice(slash);
    const question = after.indexOf('?');
    const path = question < 0 ? after : after.slice(0, question);
    put(event, 'url.path', path);
    if (question >= 0) put(event, 'url.query', after.slice(question + 1));
    const dot = path.lastIndexOf('.');
    if (dot >= 0) put(event, 'url.extension', path.slice(dot + 1));
  } else {
    const question = misc.indexOf('?');
    if (question >= 0) {
      domainPort = misc.slice(0, question);
      put(event, 'url.query', misc.slice(question + 1));
    }
  }
  const colon = domainPort.indexOf(':');
  if (colon >= 0) {
    put(event, 'url.domain', domainPort.slice(0, colon));
    const port = Number(domainPort.slice(colon + 1));
    if (Number.isInteger(port)) put(event, 'url.port', port);
  } else {
    put(event, 'url.domain', domainPort);
    put(event, 'destination.domain', domainPort);
  }
}

function putTraffic(c: Columns, event: EventRecord, action: string | undefined, start: Instant | undefined): void {
  put(event, 'event.kind', 'event');
  addUnique(event, 'event.category', 'network');
  put(event, 'event.outcome', action === 'allow' ? 'success' : 'failure');
  put(event, 'source.bytes', toInteger(c.col('bytes_sent') ?? ''));
  put(event, 'destination.bytes', toInteger(c.col('bytes_received') ?? ''));
  put(event, 'source.packets', toInteger(c.col('packets_sent') ?? ''));
  put(event, 'destination.packets', toInteger(c.col('packets_received') ?? ''));
  put(event, 'network.bytes', toInteger(c.col('network.bytes') ?? ''));
  put(event, 'network.packets', toInteger(c.col('network.packets') ?? ''));
  setTimestamp(event, start, 'event.start');
  const elapsed = toInteger(c.col('elapsed_time') ?? '');
  if (elapsed === undefined) return;
  put(event, 'event.duration', elapsed * 1_000_000_000);
  if (start) setTimestamp(event, { ms: start.ms + elapsed * 1000, offset: start.offset }, 'event.end');
}
