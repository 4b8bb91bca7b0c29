import { isIP } from 'node:net';
import type { EventRecord, FieldValue } from '../../core/index.js';

/** A cyber-observable object as STIX names its properties; `_ref` properties hold objects. */
export interface StixObject {
  readonly type: string;
  [property: string]: unknown;
}

/** The objects one event shows, by type: what a pattern's observation expressions look at. */
export type Observed = ReadonlyMap<string, readonly StixObject[]>;

/**
 * What an event of the live stream shows, as STIX cyber-observable objects. The table maps
 * ECS fields (the normaliser's output) and the Windows/Sysmon field names of the shared
 * samples to object properties; `docs/intel.md` lists it. Each distinct value is one object.
 */
const ADDRESS_FIELDS = ['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'related.ip', 'SourceIp', 'DestinationIp', 'IpAddress', 'SourceAddress', 'DestAddress'];
const DOMAIN_FIELDS = ['destination.domain', 'source.domain', 'client.domain', 'server.domain', 'url.domain', 'dns.question.name', 'DestinationHostname', 'QueryName'];
const URL_FIELDS = ['url.full', 'url.original'];
const EMAIL_FIELDS = ['email.from.address', 'email.to.address', 'email.sender.address', 'source.user.email', 'user.email'];
const MAC_FIELDS = ['source.mac', 'destination.mac', 'host.mac', 'observer.mac'];
const USER_FIELDS = ['user.name', 'source.user.name', 'destination.user.name', 'TargetUserName', 'SubjectUserName', 'User'];
const REGISTRY_FIELDS = ['registry.path', 'registry.key', 'TargetObject'];
const AS_FIELDS = ['source.as.number', 'destination.as.number', 'client.as.number', 'server.as.number'];
/** STIX hash names (the vocabulary's spelling) from ECS's. */
const HASH_NAMES: Record<string, string> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512', sha384: 'SHA-384', ssdeep: 'SSDEEP', tlsh: 'TLSH', imphash: 'IMPHASH' };

/** A value at a dotted path: the literal dotted key first (flat Windows events), then nested. */
const PARTS = new Map<string, string[]>();

export function valueAt(event: EventRecord, path: string): FieldValue | undefined {
  const direct = event[path];
  if (direct !== undefined && Object.hasOwn(event, path)) return direct;
  let parts = PARTS.get(path);
  if (!parts) PARTS.set(path, (parts = path.split('.')));
  if (parts.length === 1) return undefined;
  let v: FieldValue | undefined = event;
  for (const part of parts) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as EventRecord)[part];
  }
  return v;
}

function texts(event: EventRecord, fields: readonly string[]): string[] {
  const out = new Set<string>();
  for (const f of fields) {
    const v = valueAt(event, f);
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === 'string' && x !== '' && x !== '-') out.add(x);
      else if (typeof x === 'number') out.add(String(x));
    }
  }
  return [...out];
}

/** `MD5=…,SHA256=…,IMPHASH=…` (Sysmon's Hashes field) → STIX hashes. */
function sysmonHashes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = HASH_NAMES[part.slice(0, eq).trim().toLowerCase()];
    if (name) out[name] = part.slice(eq + 1).trim().toLowerCase();
  }
  return out;
}

function ecsHashes(v: FieldValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const name = HASH_NAMES[k.toLowerCase()];
    if (name && typeof x === 'string') out[name] = x.toLowerCase();
  }
  return out;
}

function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return i < 0 ? path : path.slice(i + 1);
}

function fileObject(name: string | undefined, path: string | undefined, hashes: Record<string, string>): StixObject | null {
  const o: StixObject = { type: 'file' };
  if (name) o.name = name;
  else if (path) o.name = basename(path);
  if (Object.keys(hashes).length > 0) o.hashes = hashes;
  return Object.keys(o).length > 1 ? o : null;
}

function str(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '-' ? v : typeof v === 'number' ? String(v) : undefined;
}

function num(v: FieldValue | undefined): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/** Every object type `observationOf` can produce. */
export const OBSERVED_TYPES: ReadonlySet<string> = new Set([
  'ipv4-addr', 'ipv6-addr', 'domain-name', 'url', 'email-addr', 'mac-addr', 'user-account', 'windows-registry-key', 'autonomous-system', 'file', 'process', 'network-traffic',
]);

/** The objects of an event; with `types`, only those types (and what they refer to) are built. */
export function observationOf(event: EventRecord, types?: ReadonlySet<string>): Observed {
  const out = new Map<string, StixObject[]>();
  const want = (t: string): boolean => types === undefined || types.has(t);
  const add = (o: StixObject | null): void => {
    if (o === null) return;
    let list = out.get(o.type);
    if (!list) out.set(o.type, (list = []));
    list.push(o);
  };
  const addressObject = (ip: string): StixObject | null => {
    const bare = ip.replace(/^\[|\]$/g, '');
    const family = isIP(bare.split('%')[0]!);
    return family === 4 ? { type: 'ipv4-addr', value: bare } : family === 6 ? { type: 'ipv6-addr', value: bare.toLowerCase() } : null;
  };
  if (want('ipv4-addr') || want('ipv6-addr')) for (const ip of texts(event, ADDRESS_FIELDS)) add(addressObject(ip));
  if (want('domain-name')) for (const d of texts(event, DOMAIN_FIELDS)) if (isIP(d) === 0) add({ type: 'domain-name', value: d.toLowerCase().replace(/\.$/, '') });
  if (want('url')) for (const u of texts(event, URL_FIELDS)) add({ type: 'url', value: u });
  if (want('email-addr')) for (const e of texts(event, EMAIL_FIELDS)) add({ type: 'email-addr', value: e });
  if (want('mac-addr')) for (const m of texts(event, MAC_FIELDS)) add({ type: 'mac-addr', value: m.toLowerCase().replace(/-/g, ':') });
  if (want('user-account')) for (const u of texts(event, USER_FIELDS)) add({ type: 'user-account', account_login: u, user_id: u });
  if (want('windows-registry-key')) for (const k of texts(event, REGISTRY_FIELDS)) add({ type: 'windows-registry-key', key: k });
  if (want('autonomous-system')) for (const n of texts(event, AS_FIELDS)) add({ type: 'autonomous-system', number: Number(n) });
  if (want('file') || want('process')) files(event, add);
  if (want('network-traffic')) traffic(event, add, addressObject);
  return out;
}

function files(event: EventRecord, add: (o: StixObject | null) => void): void {

  // Files: ECS file.*, Sysmon's target file, and the process images (with Sysmon's hashes).
  const sysHashes = typeof event.Hashes === 'string' ? sysmonHashes(event.Hashes) : {};
  const ecsFile = fileObject(str(valueAt(event, 'file.name')), str(valueAt(event, 'file.path')), ecsHashes(valueAt(event, 'file.hash')));
  add(ecsFile);
  const target = str(event.TargetFilename);
  if (target) add(fileObject(undefined, target, event.Image === undefined ? sysHashes : {}));
  const image = str(event.Image) ?? str(valueAt(event, 'process.executable'));
  const processHashes = { ...ecsHashes(valueAt(event, 'process.hash')), ...(target ? {} : sysHashes) };
  const binary = fileObject(str(valueAt(event, 'process.name')), image, processHashes);
  add(binary);
  const commandLine = str(event.CommandLine) ?? str(valueAt(event, 'process.command_line'));
  const pid = num(event.ProcessId) ?? num(valueAt(event, 'process.pid'));
  if (binary || commandLine || pid !== undefined) {
    const p: StixObject = { type: 'process' };
    if (binary) p.binary_ref = binary;
    if (binary?.name) p.name = binary.name;
    if (commandLine) p.command_line = commandLine;
    if (pid !== undefined) p.pid = pid;
    add(p);
  }
}

function traffic(event: EventRecord, add: (o: StixObject | null) => void, addressObject: (ip: string) => StixObject | null): void {
  // One network-traffic object for a connection: the addresses it joins, ports, protocols.
  const src = str(valueAt(event, 'source.ip')) ?? str(event.SourceIp);
  const dst = str(valueAt(event, 'destination.ip')) ?? str(event.DestinationIp);
  const srcPort = num(valueAt(event, 'source.port')) ?? num(event.SourcePort);
  const dstPort = num(valueAt(event, 'destination.port')) ?? num(event.DestinationPort);
  if (src || dst || srcPort !== undefined || dstPort !== undefined) {
    const t: StixObject = { type: 'network-traffic' };
    if (src) {
      const a = addressObject(src);
      if (a) t.src_ref = a;
    }
    if (dst) {
      const a = addressObject(dst);
      if (a) t.dst_ref = a;
    }
    if (srcPort !== undefined) t.src_port = srcPort;
    if (dstPort !== undefined) t.dst_port = dstPort;
    const protocols = [str(valueAt(event, 'network.transport')), str(valueAt(event, 'network.protocol')), str(event.Protocol)].filter((x): x is string => x !== undefined).map((x) => x.toLowerCase());
    if (protocols.length > 0) t.protocols = [...new Set(protocols)];
    add(t);
  }
}
