/**
 * Suricata EVE JSON → ECS (after Elastic's suricata integration): the flow's endpoints, the
 * alert as `rule.*` and `event.severity`, HTTP as `url.*`/`http.*`, DNS, TLS and file
 * metadata. The EVE record itself is kept whole under `suricata.eve`.
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { resolveWall, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { addUnique, fillRelated, getString, isRecord, put, setOwn } from './fields.js';
import { canonicalIp } from './ip.js';
import { parseIsoTime } from './time.js';
import { putUrl } from './url.js';

const CATEGORIES: Record<string, string[]> = {
  alert: ['network', 'intrusion_detection'],
  http: ['network', 'web'],
  fileinfo: ['network', 'file'],
  dns: ['network'],
  tls: ['network'],
  ssh: ['network'],
  flow: ['network'],
  netflow: ['network'],
  smb: ['network'],
  anomaly: ['network'],
};

function str(value: FieldValue | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function num(value: FieldValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isoTime(value: FieldValue | undefined, ctx: ParseContext, event: EventRecord, what: string, path: string): void {
  if (typeof value !== 'string') return;
  const parsed = parseIsoTime(value, 0);
  if (!parsed) {
    ctx.problems.push(`Suricata ${what} "${value.slice(0, 40)}" is not ISO 8601`);
    return;
  }
  setTimestamp(event, resolveWall(ctx, event, parsed.wall, parsed.offset, () => `Suricata ${what}`), path);
}

export function parseSuricata(eve: EventRecord, event: EventRecord, ctx: ParseContext, namespace: 'suricata' | 'fireeye' = 'suricata'): void {
  const type = str(eve.event_type) ?? '';
  put(event, 'observer.vendor', 'OISF');
  put(event, 'observer.product', 'Suricata');
  put(event, 'observer.type', 'ids');
  put(event, 'event.kind', type === 'alert' ? 'alert' : type === 'stats' ? 'metric' : 'event');
  for (const category of (Object.hasOwn(CATEGORIES, type) ? CATEGORIES[type] : undefined) ?? []) addUnique(event, 'event.category', category);
  isoTime(eve.timestamp, ctx, event, 'timestamp', '@timestamp');
  put(event, 'source.ip', canonicalIp(str(eve.src_ip) ?? ''));
  put(event, 'source.port', num(eve.src_port));
  put(event, 'destination.ip', canonicalIp(str(eve.dest_ip) ?? ''));
  put(event, 'destination.port', num(eve.dest_port));
  put(event, 'network.transport', str(eve.proto)?.toLowerCase());
  const appProto = str(eve.app_proto);
  if (appProto && appProto !== 'failed') put(event, 'network.protocol', appProto.toLowerCase());
  put(event, 'network.community_id', str(eve.community_id));
  put(event, 'observer.ingress.interface.name', str(eve.in_iface));
  if (typeof eve.flow_id === 'number' || typeof eve.flow_id === 'string') put(event, 'event.id', String(eve.flow_id));

  const flow = eve.flow;
  if (isRecord(flow)) putFlow(flow, event, ctx);
  const alert = eve.alert;
  if (isRecord(alert)) putAlert(alert, event);
  const http = eve.http;
  if (isRecord(http)) putHttp(http, event);
  const dns = eve.dns;
  if (isRecord(dns)) putDns(dns, event);
  const tls = eve.tls;
  if (isRecord(tls)) putTls(tls, event);
  const fileinfo = eve.fileinfo;
  if (isRecord(fileinfo)) putFile(fileinfo, event);
  if (type === 'flow') addUnique(event, 'event.type', 'connection');
  if (type === 'http' || type === 'dns' || type === 'tls' || type === 'ssh') addUnique(event, 'event.type', 'protocol');

  fillRelated(event);
  addUnique(event, 'related.hosts', getString(event, 'url.domain'));
  addUnique(event, 'related.hosts', getString(event, 'tls.client.server_name'));
  addUnique(event, 'related.hosts', getString(event, 'dns.question.name'));
  if (namespace === 'suricata') setOwn(event, 'suricata', { eve });
}

function putFlow(flow: EventRecord, event: EventRecord, ctx: ParseContext): void {
  const toServerBytes = num(flow.bytes_toserver);
  const toClientBytes = num(flow.bytes_toclient);
  const toServerPackets = num(flow.pkts_toserver);
  const toClientPackets = num(flow.pkts_toclient);
  put(event, 'source.bytes', toServerBytes);
  put(event, 'destination.bytes', toClientBytes);
  put(event, 'source.packets', toServerPackets);
  put(event, 'destination.packets', toClientPackets);
  if (toServerBytes !== undefined && toClientBytes !== undefined) put(event, 'network.bytes', toServerBytes + toClientBytes);
  if (toServerPackets !== undefined && toClientPackets !== undefined) put(event, 'network.packets', toServerPackets + toClientPackets);
  isoTime(flow.start, ctx, event, 'flow.start', 'event.start');
  isoTime(flow.end, ctx, event, 'flow.end', 'event.end');
}

function putAlert(alert: EventRecord, event: EventRecord): void {
  const id = str(alert.signature_id);
  put(event, 'rule.id', id);
  put(event, 'rule.name', str(alert.signature));
  put(event, 'rule.category', str(alert.category));
  put(event, 'message', str(alert.signature));
  put(event, 'event.severity', num(alert.severity));
  const action = str(alert.action);
  put(event, 'event.action', action);
  if (isRecord(alert.metadata)) putMitre(alert.metadata, event);
  if (action === 'allowed') addUnique(event, 'event.type', 'allowed');
  else if (action === 'blocked') addUnique(event, 'event.type', 'denied');
}

/** ET and other rule sets tag alerts with ATT&CK ids in their metadata: `mitre_tactic_id: ["TA0001"]`. */
function putMitre(metadata: EventRecord, event: EventRecord): void {
  const list = (key: string, spaces = false): string[] => {
    const value = metadata[key];
    const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return items.filter((v): v is string => typeof v === 'string').map((v) => (spaces ? v.replaceAll('_', ' ') : v));
  };
  const tacticIds = list('mitre_tactic_id');
  const techniqueIds = list('mitre_technique_id');
  if (tacticIds.length === 0 && techniqueIds.length === 0) return;
  put(event, 'threat.framework', 'MITRE ATT&CK');
  if (tacticIds.length) put(event, 'threat.tactic.id', tacticIds);
  const tacticNames = list('mitre_tactic_name', true);
  if (tacticNames.length) put(event, 'threat.tactic.name', tacticNames);
  if (techniqueIds.length) put(event, 'threat.technique.id', techniqueIds);
  const techniqueNames = list('mitre_technique_name', true);
  if (techniqueNames.length) put(event, 'threat.technique.name', techniqueNames);
}

function putHttp(http: EventRecord, event: EventRecord): void {
  const hostname = str(http.hostname);
  const url = str(http.url);
  if (url) {
    putUrl(event, url);
    if (getString(event, 'url.domain') === undefined) put(event, 'url.domain', hostname);
  } else put(event, 'url.domain', hostname);
  put(event, 'http.request.method', str(http.http_method));
  put(event, 'http.response.status_code', num(http.status));
  put(event, 'http.response.body.bytes', num(http.length));
  put(event, 'http.response.mime_type', str(http.http_content_type));
  put(event, 'http.request.referrer', str(http.http_refer));
  put(event, 'user_agent.original', str(http.http_user_agent));
  const protocol = str(http.protocol);
  if (protocol?.startsWith('HTTP/')) put(event, 'http.version', protocol.slice(5));
}

function putDns(dns: EventRecord, event: EventRecord): void {
  put(event, 'dns.type', str(dns.type));
  put(event, 'dns.id', str(dns.id));
  put(event, 'dns.response_code', str(dns.rcode));
  put(event, 'dns.question.name', str(dns.rrname));
  put(event, 'dns.question.type', str(dns.rrtype));
  const rdata = str(dns.rdata);
  const answer = rdata ? canonicalIp(rdata) : undefined;
  if (answer) addUnique(event, 'dns.resolved_ip', answer);
}

function putTls(tls: EventRecord, event: EventRecord): void {
  const version = str(tls.version);
  const space = version?.indexOf(' ') ?? -1;
  if (version && space > 0 && /^(TLS|SSL)/i.test(version)) {
    put(event, 'tls.version_protocol', version.slice(0, space).toLowerCase());
    put(event, 'tls.version', version.slice(space + 1));
  }
  put(event, 'tls.client.server_name', str(tls.sni));
  put(event, 'tls.server.subject', str(tls.subject));
  put(event, 'tls.server.issuer', str(tls.issuerdn));
  const fingerprint = str(tls.fingerprint);
  if (fingerprint) put(event, 'tls.server.hash.sha1', fingerprint.replaceAll(':', '').toUpperCase());
  const ja3 = tls.ja3;
  if (isRecord(ja3)) put(event, 'tls.client.ja3', str(ja3.hash));
  const ja3s = tls.ja3s;
  if (isRecord(ja3s)) put(event, 'tls.server.ja3s', str(ja3s.hash));
  if (tls.session_resumed === true) put(event, 'tls.resumed', true);
}

function putFile(fileinfo: EventRecord, event: EventRecord): void {
  const filename = str(fileinfo.filename);
  if (filename) {
    put(event, 'file.path', filename);
    put(event, 'file.name', filename.slice(filename.lastIndexOf('/') + 1));
  }
  put(event, 'file.size', num(fileinfo.size));
  put(event, 'file.hash.md5', str(fileinfo.md5));
  put(event, 'file.hash.sha1', str(fileinfo.sha1));
  put(event, 'file.hash.sha256', str(fileinfo.sha256));
}
