import type { Logsource, LogsourceTarget } from './types.js';

/**
 * Where Sigma's network and application logsources live in live device events, which the
 * ingest normaliser writes with ECS field names. A category becomes a condition on the ECS
 * classification the normaliser sets, and Sigma's taxonomy field names (`c-uri`, `dst_ip`,
 * `query`) are renamed to their ECS fields; names not listed are read as written, so a rule
 * may also use ECS names directly. Documented in docs/logsource-mapping.md.
 */
interface DeviceEntry {
  readonly conditions: Record<string, string[]>;
  readonly fieldMap: Record<string, string>;
}

const ADDRESSES: Record<string, string> = {
  src_ip: 'source.ip',
  dst_ip: 'destination.ip',
  src_port: 'source.port',
  dst_port: 'destination.port',
  'c-ip': 'source.ip',
  's-ip': 'destination.ip',
};

const WEB: Record<string, string> = {
  ...ADDRESSES,
  'c-uri': 'url.original',
  'cs-uri': 'url.original',
  'c-uri-extension': 'url.extension',
  'c-uri-query': 'url.query',
  'cs-uri-query': 'url.query',
  'c-uri-stem': 'url.path',
  'cs-uri-stem': 'url.path',
  'c-useragent': 'user_agent.original',
  'cs-user-agent': 'user_agent.original',
  'cs-host': 'url.domain',
  'r-dns': 'url.domain',
  'cs-method': 'http.request.method',
  'cs-referrer': 'http.request.referrer',
  'cs-referer': 'http.request.referrer',
  'cs-version': 'http.version',
  'sc-status': 'http.response.status_code',
  'cs-bytes': 'http.request.bytes',
  'sc-bytes': 'http.response.bytes',
  'cs-username': 'user.name',
};

const CATEGORIES: Record<string, DeviceEntry> = {
  firewall: { conditions: { 'event.category': ['network'] }, fieldMap: { ...ADDRESSES, action: 'event.action', username: 'user.name' } },
  proxy: { conditions: { 'event.category': ['web'] }, fieldMap: WEB },
  webserver: { conditions: { 'event.category': ['web'] }, fieldMap: WEB },
  dns: {
    conditions: { 'network.protocol': ['dns'] },
    fieldMap: { ...ADDRESSES, query: 'dns.question.name', answer: 'dns.answers.data', record_type: 'dns.question.type', QueryName: 'dns.question.name' },
  },
  antivirus: { conditions: { 'event.category': ['malware'] }, fieldMap: { Filename: 'file.path', Signature: 'rule.name', ...ADDRESSES } },
};

/** Products and the observer vendor the normaliser sets for them. */
const PRODUCTS: Record<string, string[]> = {
  fortigate: ['Fortinet'],
  fortios: ['Fortinet'],
  paloalto: ['Palo Alto Networks'],
  cisco: ['Cisco'],
  juniper: ['Juniper'],
  huawei: ['Huawei'],
  checkpoint: ['Check Point'],
  sonicwall: ['SonicWall'],
  suricata: ['OISF'],
  squid: ['Squid'],
  modsecurity: ['Trustwave', 'ModSecurity'],
  fireeye: ['FireEye'],
};

/** A device target for the logsource, or null when it names nothing we map. */
export function deviceTarget(ls: Logsource): LogsourceTarget | null {
  const category = ls.category?.toLowerCase();
  const product = ls.product?.toLowerCase();
  const entry = category ? CATEGORIES[category] : undefined;
  const vendors = product ? PRODUCTS[product] : undefined;
  if (!entry && !vendors) return null;
  if (category && !entry) return null; // a category we do not know: do not guess
  if (product && !vendors && product !== 'windows') return null;
  return {
    channels: [],
    eventIds: [],
    fieldMap: { ...(entry?.fieldMap ?? {}) },
    conditions: { ...(entry?.conditions ?? {}), ...(vendors ? { 'observer.vendor': [...vendors] } : {}) },
  };
}

/** The table, for docs and `rules logsources`. */
export function describeDeviceMappings(): Array<{ category?: string; product?: string; conditions: Record<string, string[]>; fieldMap: Record<string, string> }> {
  return [
    ...Object.entries(CATEGORIES).map(([category, e]) => ({ category, conditions: e.conditions, fieldMap: e.fieldMap })),
    ...Object.entries(PRODUCTS).map(([product, vendors]) => ({ product, conditions: { 'observer.vendor': vendors }, fieldMap: {} })),
  ];
}
