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

/**
 * The top-level keys an event has among those the table reads (a field's literal key, or the
 * first step of a dotted one), stamped per event: one pass over the event's own keys, so the
 * dozens of fields an event does not have cost nothing. Most events have few of them.
 */
const ROOT_IDS = new Map<string, number>();
let rootStamp = new Uint32Array(64);
let rootGen = 0;
/** The value under each stamped root (read in the same pass: no keyed lookups later). */
const rootValue: (FieldValue | undefined)[] = [];

/** Per root id, the groups of fields (G.*) it can hold a field of. */
const ROOT_GROUPS: number[] = [];
/** The groups some stamped root of the current event belongs to. */
let presentGroups = 0;

/** Groups of fields, one per kind of object they make: an event without any root of a group skips it. */
const G = { address: 1, domain: 2, url: 4, email: 8, mac: 16, user: 32, registry: 64, as: 128, files: 256, traffic: 512 } as const;

/**
 * Which (length, first character) pairs the roots of some groups have: an event's other keys
 * (most of them) are passed over without hashing them for ROOT_IDS. Bit `c & 31` of word
 * `(len & 63) * 4 + (c >> 5 & 3)`.
 */
function rootShapes(groups: number): Uint32Array {
  const shapes = new Uint32Array(64 * 4);
  for (const [key, id] of ROOT_IDS) if ((ROOT_GROUPS[id]! & groups) !== 0) shapes[shapeWord(key)]! |= 1 << (key.charCodeAt(0) & 31);
  return shapes;
}

function shapeWord(key: string): number {
  return ((key.length & 63) << 2) | ((key.charCodeAt(0) >> 5) & 3);
}

function rootId(key: string, group: number): number {
  let id = ROOT_IDS.get(key);
  if (id !== undefined) {
    ROOT_GROUPS[id]! |= group;
    return id;
  }
  ROOT_GROUPS.push(group);
  ROOT_IDS.set(key, (id = ROOT_IDS.size));
  if (id >= rootStamp.length) {
    const grown = new Uint32Array(rootStamp.length * 2);
    grown.set(rootStamp);
    rootStamp = grown;
  }
  return id;
}

/** A field the table reads, with the root ids that can hold it. */
interface FieldRef {
  readonly literal: number;
  /** -1 for a path without dots. */
  readonly nested: number;
  /** The steps after the first, for the nested reading. */
  readonly rest: readonly string[];
}

function fieldRef(path: string, group: number): FieldRef {
  const dot = path.indexOf('.');
  return { literal: rootId(path, group), nested: dot < 0 ? -1 : rootId(path.slice(0, dot), group), rest: dot < 0 ? [] : path.split('.').slice(1) };
}

function refs(paths: readonly string[], group: number): FieldRef[] {
  return paths.map((p) => fieldRef(p, group));
}

/**
 * What the key at each position of the last events was (key, and its root id or -1), for the
 * `shapes` they were worked out with: events of one source repeat their keys in the same
 * order, and comparing a key with the one seen at its position is cheaper than testing it.
 */
const SEEN_MAX = 256;
const seenKeys: string[] = new Array<string>(SEEN_MAX).fill('');
const seenIds: number[] = new Array<number>(SEEN_MAX).fill(-1);
let seenShapes: Uint32Array | null = null;

/** Stamps the event's roots that belong to `wanted` groups (their shapes in `shapes`). */
function stampRoots(event: EventRecord, shapes: Uint32Array, wanted: number): void {
  if (++rootGen === 0xffffffff) {
    rootStamp.fill(0);
    rootGen = 1;
  }
  if (shapes !== seenShapes) {
    seenKeys.fill('');
    seenIds.fill(-1);
    seenShapes = shapes;
  }
  const stamp = rootStamp;
  const gen = rootGen;
  let groups = 0;
  let i = 0;
  for (const k in event) {
    let id: number;
    if (i < SEEN_MAX && seenKeys[i] === k) id = seenIds[i]!;
    else {
      id = -1;
      if ((shapes[shapeWord(k)]! & (1 << (k.charCodeAt(0) & 31))) !== 0) {
        const r = ROOT_IDS.get(k);
        if (r !== undefined && (ROOT_GROUPS[r]! & wanted) !== 0) id = r;
      }
      if (i < SEEN_MAX) {
        seenKeys[i] = k;
        seenIds[i] = id;
      }
    }
    i++;
    if (id >= 0 && Object.hasOwn(event, k)) {
      stamp[id] = gen;
      rootValue[id] = event[k];
      groups |= ROOT_GROUPS[id]!;
    }
  }
  presentGroups = groups;
}

/**
 * The value of a field of the event last stamped: the literal dotted key first (flat Windows
 * events), then the nested objects (ECS); absent roots cost nothing.
 */
function field(f: FieldRef): FieldValue | undefined {
  const gen = rootGen;
  if (rootStamp[f.literal] === gen) {
    const direct = rootValue[f.literal];
    if (direct !== undefined) return direct;
  }
  if (f.nested < 0 || rootStamp[f.nested] !== gen) return undefined;
  let v = rootValue[f.nested];
  for (const part of f.rest) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as EventRecord)[part];
  }
  return v;
}

/**
 * The distinct non-empty texts of some fields, in field order, in a scratch list that the
 * next call reuses: read it before calling again.
 */
function texts(fields: readonly FieldRef[]): readonly string[] {
  const out = TEXTS;
  out.length = 0;
  for (const f of fields) {
    const v = field(f);
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) takeText(x, out);
    else takeText(v, out);
  }
  return out;
}

const TEXTS: string[] = [];

function takeText(x: FieldValue, out: string[]): void {
  const t = typeof x === 'string' ? (x !== '' && x !== '-' ? x : null) : typeof x === 'number' ? String(x) : null;
  if (t !== null && !out.includes(t)) out.push(t);
}

/** `MD5=…,SHA256=…,IMPHASH=…` (Sysmon's Hashes field) → STIX hashes. */
function sysmonHashes(text: string): Readonly<Record<string, string>> {
  // The same image shows up event after event: parsed once, shared (never written to).
  const known = HASH_TEXTS.get(text);
  if (known !== undefined) return known;
  const parsed = Object.freeze(parseSysmonHashes(text));
  if (HASH_TEXTS.size >= 4096) HASH_TEXTS.clear();
  HASH_TEXTS.set(text, parsed);
  return parsed;
}

const HASH_TEXTS = new Map<string, Readonly<Record<string, string>>>();

function parseSysmonHashes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = HASH_NAMES[part.slice(0, eq).trim().toLowerCase()];
    if (name) out[name] = part.slice(eq + 1).trim().toLowerCase();
  }
  return out;
}

/** No hashes (shared, never written to). */
const NO_HASHES: Readonly<Record<string, string>> = Object.freeze({});

function ecsHashes(v: FieldValue | undefined): Readonly<Record<string, string>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return NO_HASHES;
  const out: Record<string, string> = {};
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

function fileObject(name: string | undefined, path: string | undefined, hashes: Readonly<Record<string, string>>): StixObject | null {
  const hasHashes = hashes !== NO_HASHES && hasKeys(hashes);
  const n = name ? name : path ? basename(path) : undefined;
  if (n === undefined && !hasHashes) return null;
  const o: StixObject = { type: 'file' };
  if (n !== undefined) o.name = n;
  if (hasHashes) o.hashes = hashes;
  return o;
}

function hasKeys(o: Readonly<Record<string, string>>): boolean {
  for (const _ in o) return true;
  return false;
}

function str(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '-' ? v : typeof v === 'number' ? String(v) : undefined;
}

function num(v: FieldValue | undefined): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

const ADDRESS_FIELDS_REFS = refs(ADDRESS_FIELDS, G.address);
const DOMAIN_FIELDS_REFS = refs(DOMAIN_FIELDS, G.domain);
const URL_FIELDS_REFS = refs(URL_FIELDS, G.url);
const EMAIL_FIELDS_REFS = refs(EMAIL_FIELDS, G.email);
const MAC_FIELDS_REFS = refs(MAC_FIELDS, G.mac);
const USER_FIELDS_REFS = refs(USER_FIELDS, G.user);
const REGISTRY_FIELDS_REFS = refs(REGISTRY_FIELDS, G.registry);
const AS_FIELDS_REFS = refs(AS_FIELDS, G.as);
const F = {
  fileName: fieldRef('file.name', G.files),
  filePath: fieldRef('file.path', G.files),
  fileHash: fieldRef('file.hash', G.files),
  hashes: fieldRef('Hashes', G.files),
  targetFilename: fieldRef('TargetFilename', G.files),
  image: fieldRef('Image', G.files),
  processExecutable: fieldRef('process.executable', G.files),
  processHash: fieldRef('process.hash', G.files),
  processName: fieldRef('process.name', G.files),
  commandLine: fieldRef('CommandLine', G.files),
  processCommandLine: fieldRef('process.command_line', G.files),
  processId: fieldRef('ProcessId', G.files),
  processPid: fieldRef('process.pid', G.files),
  sourceIp: fieldRef('source.ip', G.traffic),
  sourceIpWin: fieldRef('SourceIp', G.traffic),
  destinationIp: fieldRef('destination.ip', G.traffic),
  destinationIpWin: fieldRef('DestinationIp', G.traffic),
  sourcePort: fieldRef('source.port', G.traffic),
  sourcePortWin: fieldRef('SourcePort', G.traffic),
  destinationPort: fieldRef('destination.port', G.traffic),
  destinationPortWin: fieldRef('DestinationPort', G.traffic),
  transport: fieldRef('network.transport', G.traffic),
  protocol: fieldRef('network.protocol', G.traffic),
  protocolWin: fieldRef('Protocol', G.traffic),
};

/** Every object type `observationOf` can produce. */
export const OBSERVED_TYPES: ReadonlySet<string> = new Set([
  'ipv4-addr', 'ipv6-addr', 'domain-name', 'url', 'email-addr', 'mac-addr', 'user-account', 'windows-registry-key', 'autonomous-system', 'file', 'process', 'network-traffic',
]);

/** The objects of an event; with `types`, only those types (and what they refer to) are built. */
export interface ObserveOptions {
  /**
   * Build `file` objects that have no hashes (named after the image or path); default true.
   * A matcher whose patterns read only file hashes turns it off: most events name an image.
   */
  readonly fileNames?: boolean;
}

export function observationOf(event: EventRecord, types?: ReadonlySet<string>, opts: ObserveOptions = {}): Observed {
  return observeInto(new Map<string, StixObject[]>(), event, observeWants(types, opts));
}

/** What `observeInto` is asked to build, worked out once from the types a matcher holds. */
export interface ObserveWants {
  /** The groups of fields (G.*) to read. */
  readonly groups: number;
  readonly process: boolean;
  /** Files without hashes (named after an image or path). */
  readonly fileNames: boolean;
  /** The shapes of those groups' root keys (see rootShapes). */
  readonly shapes: Uint32Array;
}

export function observeWants(types?: ReadonlySet<string>, opts: ObserveOptions = {}): ObserveWants {
  const want = (t: string): boolean => types === undefined || types.has(t);
  const groups =
    (want('ipv4-addr') || want('ipv6-addr') ? G.address : 0) |
    (want('domain-name') ? G.domain : 0) |
    (want('url') ? G.url : 0) |
    (want('email-addr') ? G.email : 0) |
    (want('mac-addr') ? G.mac : 0) |
    (want('user-account') ? G.user : 0) |
    (want('windows-registry-key') ? G.registry : 0) |
    (want('autonomous-system') ? G.as : 0) |
    (want('file') || want('process') ? G.files : 0) |
    (want('network-traffic') ? G.traffic : 0);
  return { groups, process: want('process'), fileNames: opts.fileNames !== false || want('process'), shapes: rootShapes(groups) };
}

/**
 * `observationOf` into a map the caller reuses from event to event (cleared first): the live
 * matcher reads the objects of one event and lets go of them before the next.
 */
export function observeInto(out: Map<string, StixObject[]>, event: EventRecord, wants: ObserveWants): Observed {
  // Map.clear allocates a fresh table even when empty, and most events show no object.
  if (out.size > 0) out.clear();
  stampRoots(event, wants.shapes, wants.groups);
  observing = out;
  const g = presentGroups & wants.groups;
  if (g === 0) return out;
  if ((g & G.address) !== 0) for (const ip of texts(ADDRESS_FIELDS_REFS)) add(addressObject(ip));
  if ((g & G.domain) !== 0) for (const d of texts(DOMAIN_FIELDS_REFS)) if (isIP(d) === 0) add({ type: 'domain-name', value: d.endsWith('.') ? d.slice(0, -1).toLowerCase() : d.toLowerCase() });
  if ((g & G.url) !== 0) for (const u of texts(URL_FIELDS_REFS)) add({ type: 'url', value: u });
  if ((g & G.email) !== 0) for (const e of texts(EMAIL_FIELDS_REFS)) add({ type: 'email-addr', value: e });
  if ((g & G.mac) !== 0) for (const m of texts(MAC_FIELDS_REFS)) add({ type: 'mac-addr', value: m.toLowerCase().replace(/-/g, ':') });
  if ((g & G.user) !== 0) for (const u of texts(USER_FIELDS_REFS)) add({ type: 'user-account', account_login: u, user_id: u });
  if ((g & G.registry) !== 0) for (const k of texts(REGISTRY_FIELDS_REFS)) add({ type: 'windows-registry-key', key: k });
  if ((g & G.as) !== 0) for (const n of texts(AS_FIELDS_REFS)) add({ type: 'autonomous-system', number: Number(n) });
  if ((g & G.files) !== 0) files(add, wants.process, wants.fileNames);
  if ((g & G.traffic) !== 0) traffic(add, addressObject);
  return out;
}

/** The map `observationOf` is filling (one call at a time: it never calls itself). */
let observing = new Map<string, StixObject[]>();

function add(o: StixObject | null): void {
  if (o === null) return;
  let list = observing.get(o.type);
  if (!list) observing.set(o.type, (list = []));
  list.push(o);
}

function addressObject(ip: string): StixObject | null {
  const bare = ip.charCodeAt(0) === 0x5b || ip.endsWith(']') ? ip.replace(/^\[|\]$/g, '') : ip;
  const zone = bare.indexOf('%');
  const family = isIP(zone < 0 ? bare : bare.slice(0, zone));
  return family === 4 ? { type: 'ipv4-addr', value: bare } : family === 6 ? { type: 'ipv6-addr', value: bare.toLowerCase() } : null;
}

function files(add: (o: StixObject | null) => void, withProcess: boolean, names: boolean): void {
  // Files: ECS file.*, Sysmon's target file, and the process images (with Sysmon's hashes).
  const hashText = field(F.hashes);
  const sysHashes = typeof hashText === 'string' ? sysmonHashes(hashText) : NO_HASHES;
  const ecsFileHashes = ecsHashes(field(F.fileHash));
  if (names || ecsFileHashes !== NO_HASHES) add(fileObject(str(field(F.fileName)), str(field(F.filePath)), ecsFileHashes));
  const target = str(field(F.targetFilename));
  const targetHashes = field(F.image) === undefined ? sysHashes : NO_HASHES;
  if (target && (names || targetHashes !== NO_HASHES)) add(fileObject(undefined, target, targetHashes));
  const ecsProcess = ecsHashes(field(F.processHash));
  const processHashes = target ? ecsProcess : ecsProcess === NO_HASHES ? sysHashes : { ...ecsProcess, ...sysHashes };
  if (!names && !withProcess && processHashes === NO_HASHES) return;
  // Without names (hash-only patterns, no process objects) the image path is not read at all.
  const image = names ? (str(field(F.image)) ?? str(field(F.processExecutable))) : undefined;
  const binary = fileObject(names ? str(field(F.processName)) : undefined, image, processHashes);
  add(binary);
  if (!withProcess) return;
  const commandLine = str(field(F.commandLine)) ?? str(field(F.processCommandLine));
  const pid = num(field(F.processId)) ?? num(field(F.processPid));
  if (binary || commandLine || pid !== undefined) {
    const p: StixObject = { type: 'process' };
    if (binary) p.binary_ref = binary;
    if (binary?.name) p.name = binary.name;
    if (commandLine) p.command_line = commandLine;
    if (pid !== undefined) p.pid = pid;
    add(p);
  }
}

function traffic(add: (o: StixObject | null) => void, addressObject: (ip: string) => StixObject | null): void {
  // One network-traffic object for a connection: the addresses it joins, ports, protocols.
  const src = str(field(F.sourceIp)) ?? str(field(F.sourceIpWin));
  const dst = str(field(F.destinationIp)) ?? str(field(F.destinationIpWin));
  const srcPort = num(field(F.sourcePort)) ?? num(field(F.sourcePortWin));
  const dstPort = num(field(F.destinationPort)) ?? num(field(F.destinationPortWin));
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
    const protocols = [str(field(F.transport)), str(field(F.protocol)), str(field(F.protocolWin))].filter((x): x is string => x !== undefined).map((x) => x.toLowerCase());
    if (protocols.length > 0) t.protocols = [...new Set(protocols)];
    add(t);
  }
}
