import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { MAX_PROBLEMS, STIX_TYPES, checkStixObject, checkStixObjectWithSchemas, loadStixSchemas, type SchemaValidator, type StixProblem } from './validate.js';

const STIX = new URL('../../../../shared/data/stix', import.meta.url).pathname;
const SCHEMAS = join(STIX, 'json-schemas/schemas');

type Json = Record<string, unknown>;

/** Every example file: the OASIS schema examples, the documentation examples, TLP 2.0. */
function exampleFiles(): { file: string; doc: Json }[] {
  const out: { file: string; doc: Json }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) out.push({ file: relative(STIX, p), doc: JSON.parse(readFileSync(p, 'utf8')) as Json });
    }
  };
  for (const d of ['json-schemas/examples', 'cti-documentation-examples', 'tlp2']) walk(join(STIX, d));
  return out;
}

/** A bundle's objects; anything else is one object (interop-objectmarking-test.json is a lone campaign). */
const objectsOf = (doc: Json): Json[] => (doc['type'] === 'bundle' ? (doc['objects'] as Json[]) : [doc]);

const FILES = exampleFiles();
const EXAMPLES = FILES.flatMap((f) => objectsOf(f.doc));

// Valid objects of the types the examples lack, written to the specification.
const uuid = (n: number): string => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const id = (type: string, n = 1): string => `${type}--${uuid(n)}`;
const T = '2020-01-01T00:00:00.000Z';
const sdo = (type: string): Json => ({ type, spec_version: '2.1', id: id(type), created: T, modified: T });
const sco = (type: string): Json => ({ type, spec_version: '2.1', id: id(type) });
const SHA256 = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c';

const FIXTURES: Json[] = [
  { ...sdo('grouping'), name: 'Q3 phishing', context: 'suspicious-activity', object_refs: [id('indicator'), id('malware')] },
  { ...sdo('incident'), name: 'Branch ransomware outbreak', kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: 'actions-on-objectives' }] },
  { ...sdo('location'), name: 'Paris office', latitude: 48.8566, longitude: 2.3522, precision: 1000, country: 'fr', city: 'Paris' },
  { ...sdo('malware-analysis'), product: 'sandbox', result: 'malicious', analysis_sco_refs: [id('file')], host_vm_ref: id('software'), sample_ref: id('file'), analysis_started: T, analysis_ended: T },
  { ...sdo('note'), abstract: 'Tracking', content: 'Seen again in March.', authors: ['analyst'], object_refs: [id('campaign')] },
  { ...sdo('opinion'), opinion: 'strongly-agree', explanation: 'Confirmed by our SOC.', object_refs: [id('indicator')] },
  { ...sdo('language-content'), object_ref: id('campaign'), object_modified: T, contents: { de: { name: 'Bankangriff', description: 'Ein Angriff.' } } },
  {
    ...sdo('extension-definition'), created_by_ref: id('identity'), name: 'acme rating', schema: 'https://example.com/acme-rating.json', version: '1.0',
    extension_types: ['property-extension', 'toplevel-property-extension'], extension_properties: ['x_acme_rating'],
  },
  { ...sdo('x-acme-widget'), name: 'widget', x_acme_size: 3, labels: ['x'], extensions: { [id('extension-definition')]: { extension_type: 'new-sdo' } } },
  { ...sco('x-acme-token'), value: 'abc', defanged: false },
  { ...sco('artifact'), mime_type: 'application/zip', payload_bin: 'aGVsbG8=', encryption_algorithm: 'mime-type-indicated', decryption_key: 'infected' },
  { ...sco('autonomous-system'), number: 15169, name: 'Google', rir: 'ARIN' },
  { ...sco('directory'), path: 'C:\\Windows\\System32', contains_refs: [id('file')] },
  { ...sco('email-addr'), value: 'jdoe@example.com', display_name: 'John Doe', belongs_to_ref: id('user-account') },
  {
    ...sco('email-message'), is_multipart: true, date: '2020-01-01T00:00:00Z', from_ref: id('email-addr'), to_refs: [id('email-addr', 2)], subject: 'Invoice',
    additional_header_fields: { 'X-Mailer': 'Outlook', 'X-Seen': ['a', 'b'] },
    body_multipart: [{ content_type: 'text/plain', body: 'See attached.' }, { content_type: 'application/pdf', body_raw_ref: id('artifact') }],
  },
  {
    ...sco('file'), name: 'invoice.exe', size: 25536, magic_number_hex: '4D5A', hashes: { 'SHA-256': SHA256, 'x-custom-hash': 'whatever' }, parent_directory_ref: id('directory'),
    extensions: {
      'windows-pebinary-ext': { pe_type: 'exe', machine_hex: '014c', time_date_stamp: '2016-01-22T12:31:12Z', optional_header: { magic_hex: '010b', size_of_code: 4096 }, sections: [{ name: '.text', size: 4096, entropy: 7.98 }] },
      'ntfs-ext': { alternate_data_streams: [{ name: 'second.stream', size: 25536 }] },
      'archive-ext': { contains_refs: [id('file', 2)] },
    },
  },
  { ...sco('ipv6-addr'), value: '2001:db8::1/128', resolves_to_refs: [id('mac-addr')] },
  { ...sco('mac-addr'), value: '00:00:5e:00:53:01' },
  { ...sco('mutex'), name: '__CLEANSWEEP__' },
  {
    ...sco('network-traffic'), src_ref: id('ipv4-addr'), dst_ref: id('ipv4-addr', 2), src_port: 49152, dst_port: 443, protocols: ['ipv4', 'tcp', 'http'], is_active: false, start: T, end: T,
    extensions: {
      'socket-ext': { address_family: 'AF_INET', socket_type: 'SOCK_STREAM', options: { SO_REUSEADDR: 1 } },
      'tcp-ext': { src_flags_hex: '02' },
      'http-request-ext': { request_method: 'get', request_value: '/download.html', request_version: 'http/1.1', request_header: { Host: ['www.example.com'] } },
    },
  },
  {
    ...sco('process'), pid: 1221, command_line: 'cmd.exe /c whoami', created_time: T, image_ref: id('file'),
    extensions: {
      'windows-process-ext': { aslr_enabled: true, integrity_level: 'high', startup_info: { dwFlags: '0x01', cb: 68 } },
      'windows-service-ext': { service_name: 'sirvizio', start_type: 'SERVICE_AUTO_START', service_type: 'SERVICE_WIN32_OWN_PROCESS', service_status: 'SERVICE_RUNNING' },
    },
  },
  { ...sco('software'), name: 'Word', cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*', languages: ['en', 'en-US'], vendor: 'Microsoft', version: '2000' },
  { ...sco('url'), value: 'https://example.com/research/index.html?q=1#top' },
  {
    ...sco('user-account'), user_id: '1001', account_login: 'jdoe', account_type: 'unix', is_privileged: false,
    extensions: { 'unix-account-ext': { gid: 1001, groups: ['wheel'], home_dir: '/home/jdoe', shell: '/bin/bash' } },
  },
  { ...sco('windows-registry-key'), key: 'HKEY_LOCAL_MACHINE\\Software\\Acme', values: [{ name: 'Foo', data: 'qwerty', data_type: 'REG_SZ' }], number_of_subkeys: 0 },
  {
    ...sco('x509-certificate'), is_self_signed: false, hashes: { 'SHA-256': SHA256 }, issuer: 'C=ZA, O=Thawte', validity_not_before: '2016-03-12T12:00:00Z', validity_not_after: '2016-08-21T12:00:00Z',
    subject_public_key_exponent: 65537, x509_v3_extensions: { basic_constraints: 'critical,CA:TRUE', private_key_usage_period_not_before: '2016-03-12T12:00:00Z' },
  },
  {
    ...sdo('observed-data'), first_observed: T, last_observed: T, number_observed: 1,
    objects: { '0': { type: 'ipv4-addr', id: id('ipv4-addr'), value: '203.0.113.1' }, '1': { type: 'network-traffic', id: id('network-traffic'), src_ref: '0', protocols: ['tcp'] } },
  },
];

/** A fresh copy of the first example (or fixture) of a type. */
function base(type: string): Json {
  const found = type === 'bundle' ? FILES.find((f) => f.doc['type'] === 'bundle')?.doc : [...EXAMPLES, ...FIXTURES].find((o) => o['type'] === type);
  assert.ok(found, `no example or fixture of type ${type}`);
  return structuredClone(found);
}

function baseWhere(type: string, test: (o: Json) => boolean): Json {
  const found = [...EXAMPLES, ...FIXTURES].find((o) => o['type'] === type && test(o));
  assert.ok(found, `no ${type} example to break`);
  return structuredClone(found);
}

const show = (ps: readonly StixProblem[]): string => ps.map((p) => `  ${p.path || "''"}: ${p.message}`).join('\n') || '  (none)';

interface Mutation {
  readonly name: string;
  readonly make: () => Json;
  /** Where checkStixObject must point. */
  readonly path: string;
  /** Set when the OASIS schemas accept the broken object: the reason they cannot see it. */
  readonly schemaAccepts?: string;
}

/** Breaks a copy of the first example of `type`. */
const broken = (type: string, f: (o: Json) => void): (() => Json) => () => {
  const o = base(type);
  f(o);
  return o;
};

const CANNOT_COMPARE = 'JSON Schema cannot compare two properties';

const MUTATIONS: Mutation[] = [
  // Common properties
  { name: 'indicator without pattern', make: broken('indicator', (o) => delete o['pattern']), path: '/pattern' },
  { name: 'indicator without valid_from', make: broken('indicator', (o) => delete o['valid_from']), path: '/valid_from' },
  { name: 'indicator without pattern_type', make: broken('indicator', (o) => delete o['pattern_type']), path: '/pattern_type' },
  { name: 'id with a short uuid', make: broken('indicator', (o) => (o['id'] = 'indicator--123')), path: '/id' },
  { name: 'id whose prefix is another type', make: broken('indicator', (o) => (o['id'] = String(o['id']).replace('indicator--', 'malware--'))), path: '/id' },
  { name: 'id with a version-0 uuid', make: broken('indicator', (o) => (o['id'] = 'indicator--a0000000-0000-0000-8000-000000000001')), path: '/id' },
  { name: 'id missing', make: broken('campaign', (o) => delete o['id']), path: '/id' },
  { name: 'created in month 13', make: broken('indicator', (o) => (o['created'] = '2017-13-01T00:00:00.000Z')), path: '/created' },
  { name: 'created with no milliseconds', make: broken('indicator', (o) => (o['created'] = '2017-01-01T00:00:00Z')), path: '/created' },
  { name: 'modified with a time zone offset', make: broken('indicator', (o) => (o['modified'] = '2017-01-01T00:00:00.000+01:00')), path: '/modified' },
  { name: 'modified before created', make: broken('indicator', (o) => (o['modified'] = '2000-01-01T00:00:00.000Z')), path: '/modified', schemaAccepts: CANNOT_COMPARE },
  { name: 'spec_version missing', make: broken('indicator', (o) => delete o['spec_version']), path: '/spec_version' },
  { name: 'spec_version 2.2', make: broken('malware', (o) => (o['spec_version'] = '2.2')), path: '/spec_version' },
  { name: 'confidence 101', make: broken('indicator', (o) => (o['confidence'] = 101)), path: '/confidence' },
  { name: 'confidence 50.5', make: broken('threat-actor', (o) => (o['confidence'] = 50.5)), path: '/confidence' },
  { name: 'labels empty', make: broken('indicator', (o) => (o['labels'] = [])), path: '/labels' },
  { name: 'labels of numbers', make: broken('indicator', (o) => (o['labels'] = [1])), path: '/labels/0' },
  { name: 'revoked "yes"', make: broken('tool', (o) => (o['revoked'] = 'yes')), path: '/revoked' },
  { name: 'lang a number', make: broken('tool', (o) => (o['lang'] = 7)), path: '/lang' },
  { name: 'created_by_ref not an id', make: broken('indicator', (o) => (o['created_by_ref'] = 'identity--123')), path: '/created_by_ref' },
  { name: 'created_by_ref a malware', make: broken('indicator', (o) => (o['created_by_ref'] = id('malware'))), path: '/created_by_ref', schemaAccepts: 'core.json types created_by_ref as any identifier' },
  { name: "custom property 'X-Bad'", make: broken('indicator', (o) => (o['X-Bad'] = 1)), path: '/X-Bad' },
  { name: "custom property 'ab' (too short)", make: broken('indicator', (o) => (o['ab'] = 1)), path: '/ab' },
  { name: 'custom property null', make: broken('campaign', (o) => (o['x_acme_note'] = null)), path: '/x_acme_note' },
  { name: 'custom _bin property not base64', make: broken('campaign', (o) => (o['x_acme_data_bin'] = 'not base64!')), path: '/x_acme_data_bin' },
  { name: 'custom _hex property odd length', make: broken('campaign', (o) => (o['x_acme_flags_hex'] = 'abc')), path: '/x_acme_flags_hex' },
  { name: "reserved property 'severity'", make: broken('indicator', (o) => (o['severity'] = 'high')), path: '/severity' },
  { name: 'object_marking_refs not an id', make: broken('indicator', (o) => (o['object_marking_refs'] = ['TLP:RED'])), path: '/object_marking_refs/0' },
  {
    name: 'object_marking_refs an identity id', make: broken('indicator', (o) => (o['object_marking_refs'] = [id('identity')])), path: '/object_marking_refs/0',
    schemaAccepts: 'core.json types object_marking_refs items as any identifier (only marking-definition.json itself says marking-definition--)',
  },
  { name: 'granular marking with marking_ref and lang', make: () => withMarking({ marking_ref: TLP_RED, lang: 'en', selectors: ['description'] }), path: '/granular_markings/0/lang', schemaAccepts: 'granular-marking.json lists lang but never forbids it beside marking_ref' },
  { name: 'granular marking ref not a marking', make: () => withMarking({ marking_ref: id('identity'), selectors: ['description'] }), path: '/granular_markings/0/marking_ref' },
  { name: 'granular marking without selectors', make: () => withMarking({ marking_ref: TLP_RED }), path: '/granular_markings/0/selectors' },
  { name: 'granular marking selector in capitals', make: () => withMarking({ marking_ref: TLP_RED, selectors: ['Description'] }), path: '/granular_markings/0/selectors/0' },
  { name: 'granular marking selector naming nothing', make: () => withMarking({ marking_ref: TLP_RED, selectors: ['external_references.[9]'] }), path: '/granular_markings/0/selectors/0', schemaAccepts: 'a schema cannot follow a selector into the object' },
  { name: 'external reference without source_name', make: broken('attack-pattern', (o) => delete (o['external_references'] as Json[])[0]!['source_name']), path: '/external_references/0/source_name' },
  { name: "capec reference 'CAPEC-abc'", make: () => capec((r) => (r['external_id'] = 'CAPEC-abc')), path: '/external_references/0/external_id' },
  { name: 'cve reference without external_id', make: () => capec((r) => { r['source_name'] = 'cve'; delete r['external_id']; }), path: '/external_references/0/external_id' },
  { name: "CVE id under source 'nvd'", make: () => capec((r) => { r['source_name'] = 'nvd'; r['external_id'] = 'CVE-2021-44228'; }), path: '/external_references/0/source_name' },
  { name: 'external reference with only source_name', make: broken('campaign', (o) => (o['external_references'] = [{ source_name: 'acme' }])), path: '/external_references/0' },
  { name: 'external reference url with a space', make: broken('campaign', (o) => (o['external_references'] = [{ source_name: 'acme', url: 'http://exa mple.com/' }])), path: '/external_references/0/url' },
  { name: 'external reference hash not hex', make: broken('campaign', (o) => (o['external_references'] = [{ source_name: 'acme', url: 'https://example.com/', hashes: { 'SHA-1': 'zz' } }])), path: '/external_references/0/hashes/SHA-1' },
  { name: "extensions key 'acme'", make: broken('campaign', (o) => (o['extensions'] = { acme: { a_b: 1 } })), path: '/extensions/acme' },
  { name: 'extension without extension_type', make: broken('campaign', (o) => (o['extensions'] = { [id('extension-definition')]: { x_rating: 1 } })), path: `/extensions/${id('extension-definition')}/extension_type` },
  { name: "extension_type 'new-thing'", make: broken('campaign', (o) => (o['extensions'] = { [id('extension-definition')]: { extension_type: 'new-thing' } })), path: `/extensions/${id('extension-definition')}/extension_type` },
  { name: "type 'Indicator'", make: broken('indicator', (o) => (o['type'] = 'Indicator')), path: '/type' },
  { name: "unknown type 'foo-bar'", make: broken('indicator', (o) => { o['type'] = 'foo-bar'; o['id'] = id('foo-bar'); }), path: '/type' },
  { name: 'custom object whose id names another type', make: broken('x-acme-widget', (o) => (o['id'] = id('x-other'))), path: '/id', schemaAccepts: 'core.json cannot tie the id prefix to a type it does not know' },
  { name: 'custom SDO without modified', make: broken('x-acme-widget', (o) => delete o['modified']), path: '/modified' },
  // SDOs
  { name: 'attack-pattern without name', make: broken('attack-pattern', (o) => delete o['name']), path: '/name' },
  { name: 'kill chain phase without phase_name', make: broken('attack-pattern', (o) => (o['kill_chain_phases'] = [{ kill_chain_name: 'mitre-attack' }])), path: '/kill_chain_phases/0/phase_name' },
  { name: 'campaign last_seen before first_seen', make: broken('campaign', (o) => { o['first_seen'] = '2020-02-01T00:00:00Z'; o['last_seen'] = '2020-01-01T00:00:00Z'; }), path: '/last_seen', schemaAccepts: CANNOT_COMPARE },
  { name: 'grouping without context', make: broken('grouping', (o) => delete o['context']), path: '/context' },
  { name: 'grouping with empty object_refs', make: broken('grouping', (o) => (o['object_refs'] = [])), path: '/object_refs' },
  { name: 'identity without name', make: broken('identity', (o) => delete o['name']), path: '/name' },
  { name: 'indicator valid_until before valid_from', make: broken('indicator', (o) => { o['valid_from'] = '2021-01-01T00:00:00Z'; o['valid_until'] = '2020-01-01T00:00:00Z'; }), path: '/valid_until', schemaAccepts: CANNOT_COMPARE },
  { name: 'indicator pattern that does not parse', make: broken('indicator', (o) => { o['pattern'] = "[file:name = 'a'"; o['pattern_type'] = 'stix'; }), path: '/pattern', schemaAccepts: 'the schema types pattern as any string' },
  { name: 'infrastructure without name', make: broken('infrastructure', (o) => delete o['name']), path: '/name' },
  { name: 'location latitude 91', make: broken('location', (o) => (o['latitude'] = 91)), path: '/latitude' },
  { name: 'location latitude without longitude', make: broken('location', (o) => delete o['longitude']), path: '/longitude' },
  { name: 'location with no place at all', make: broken('location', (o) => { delete o['latitude']; delete o['longitude']; delete o['precision']; delete o['country']; }), path: '' },
  { name: 'malware without is_family', make: broken('malware', (o) => delete o['is_family']), path: '/is_family' },
  { name: 'malware family without name', make: broken('malware', (o) => { o['is_family'] = true; delete o['name']; }), path: '/name' },
  { name: 'malware-analysis without result or analysis_sco_refs', make: broken('malware-analysis', (o) => { delete o['result']; delete o['analysis_sco_refs']; }), path: '' },
  { name: 'malware-analysis sample_ref an indicator', make: broken('malware-analysis', (o) => (o['sample_ref'] = id('indicator'))), path: '/sample_ref' },
  { name: 'note without content', make: broken('note', (o) => delete o['content']), path: '/content' },
  { name: 'observed-data number_observed 0', make: broken('observed-data', (o) => (o['number_observed'] = 0)), path: '/number_observed' },
  { name: 'observed-data with objects and object_refs', make: broken('observed-data', (o) => (o['objects'] = { '0': { type: 'mutex', id: id('mutex'), name: 'm' } })), path: '/objects' },
  { name: 'observed-data object_refs naming an SDO', make: broken('observed-data', (o) => (o['object_refs'] = [id('indicator')])), path: '/object_refs/0' },
  { name: 'observed-data last_observed before first_observed', make: broken('observed-data', (o) => (o['last_observed'] = '2000-01-01T00:00:00Z')), path: '/last_observed', schemaAccepts: CANNOT_COMPARE },
  { name: 'observed-data embedded SCO without id', make: () => { const o = structuredClone(FIXTURES.find((f) => f['type'] === 'observed-data')!); delete (o['objects'] as Record<string, Json>)['0']!['id']; return o; }, path: '/objects/0/id' },
  { name: "opinion 'maybe'", make: broken('opinion', (o) => (o['opinion'] = 'maybe')), path: '/opinion' },
  { name: 'report without published', make: broken('report', (o) => delete o['published']), path: '/published' },
  { name: 'threat-actor aliases not a list', make: broken('threat-actor', (o) => (o['aliases'] = 'APT1')), path: '/aliases' },
  { name: 'vulnerability without name', make: broken('vulnerability', (o) => delete o['name']), path: '/name' },
  // SROs
  { name: 'relationship without target_ref', make: broken('relationship', (o) => delete o['target_ref']), path: '/target_ref' },
  { name: "relationship_type 'Uses'", make: broken('relationship', (o) => (o['relationship_type'] = 'Uses')), path: '/relationship_type' },
  { name: 'relationship from a marking-definition', make: broken('relationship', (o) => (o['source_ref'] = TLP_RED)), path: '/source_ref' },
  { name: 'sighting count -1', make: broken('sighting', (o) => (o['count'] = -1)), path: '/count' },
  { name: 'sighting count 1e9', make: broken('sighting', (o) => (o['count'] = 1e9)), path: '/count' },
  { name: 'sighting of a relationship', make: broken('sighting', (o) => (o['sighting_of_ref'] = id('relationship'))), path: '/sighting_of_ref' },
  { name: 'sighting where_sighted_refs an indicator', make: broken('sighting', (o) => (o['where_sighted_refs'] = [id('indicator')])), path: '/where_sighted_refs/0' },
  { name: 'sighting observed_data_refs a file', make: broken('sighting', (o) => (o['observed_data_refs'] = [id('file')])), path: '/observed_data_refs/0' },
  { name: 'sighting last_seen before first_seen', make: broken('sighting', (o) => (o['last_seen'] = '2000-01-01T00:00:00Z')), path: '/last_seen', schemaAccepts: CANNOT_COMPARE },
  // SCOs
  { name: 'file SHA-256 of 63 digits', make: broken('file', (o) => (o['hashes'] = { 'SHA-256': SHA256.slice(1) })), path: '/hashes/SHA-256' },
  { name: 'file MD5 not hex', make: broken('file', (o) => (o['hashes'] = { MD5: 'z'.repeat(32) })), path: '/hashes/MD5' },
  { name: 'file SHA-512 of 127 digits', make: broken('file', (o) => (o['hashes'] = { 'SHA-512': 'a'.repeat(127) })), path: '/hashes/SHA-512' },
  { name: "hash algorithm 'sh'", make: broken('file', (o) => (o['hashes'] = { sh: 'abc' })), path: '/hashes/sh' },
  { name: 'file without hashes or name', make: broken('file', (o) => { delete o['hashes']; delete o['name']; }), path: '' },
  { name: 'file size -1', make: broken('file', (o) => (o['size'] = -1)), path: '/size' },
  { name: 'file id of a directory', make: broken('file', (o) => (o['id'] = id('directory'))), path: '/id' },
  { name: 'pe section without name', make: () => fileExt((e) => ((e['windows-pebinary-ext'] as Json)['sections'] = [{ size: 1 }])), path: '/extensions/windows-pebinary-ext/sections/0/name' },
  { name: 'pe optional header with a stranger', make: () => fileExt((e) => (((e['windows-pebinary-ext'] as Json)['optional_header'] as Json)['size_of_cake'] = 1)), path: '/extensions/windows-pebinary-ext/optional_header/size_of_cake' },
  { name: 'ipv4-addr 256.1.1.1', make: broken('ipv4-addr', (o) => (o['value'] = '256.1.1.1')), path: '/value' },
  { name: 'ipv4-addr without value', make: broken('ipv4-addr', (o) => delete o['value']), path: '/value' },
  { name: 'ipv6-addr with two ::', make: broken('ipv6-addr', (o) => (o['value'] = '2001::db8::1')), path: '/value' },
  { name: "domain-name 'bad domain'", make: broken('domain-name', (o) => (o['value'] = 'bad domain.com')), path: '/value' },
  { name: "url 'not a url'", make: broken('url', (o) => (o['value'] = 'not a url')), path: '/value' },
  { name: "email-addr 'nobody'", make: broken('email-addr', (o) => (o['value'] = 'nobody')), path: '/value' },
  { name: 'mac-addr in capitals', make: broken('mac-addr', (o) => (o['value'] = '00:00:5E:00:53:01')), path: '/value' },
  { name: "artifact encryption_algorithm 'rot13'", make: broken('artifact', (o) => (o['encryption_algorithm'] = 'rot13')), path: '/encryption_algorithm' },
  { name: 'artifact with payload_bin and url', make: broken('artifact', (o) => { o['url'] = 'https://example.com/a.zip'; o['hashes'] = { 'SHA-256': SHA256 }; }), path: '/url' },
  { name: 'artifact decryption_key without algorithm', make: broken('artifact', (o) => delete o['encryption_algorithm']), path: '/decryption_key' },
  { name: 'autonomous-system number as text', make: broken('autonomous-system', (o) => (o['number'] = '15169')), path: '/number' },
  { name: 'email-message without is_multipart', make: broken('email-message', (o) => delete o['is_multipart']), path: '/is_multipart' },
  { name: 'multipart email-message with body', make: broken('email-message', (o) => (o['body'] = 'text')), path: '/body' },
  { name: 'network-traffic dst_port 70000', make: broken('network-traffic', (o) => (o['dst_port'] = 70000)), path: '/dst_port' },
  { name: 'network-traffic active with an end', make: broken('network-traffic', (o) => (o['is_active'] = true)), path: '/end' },
  { name: 'network-traffic without protocols', make: broken('network-traffic', (o) => delete o['protocols']), path: '/protocols' },
  { name: "socket-ext address_family 'AF_FOO'", make: broken('network-traffic', (o) => (((o['extensions'] as Json)['socket-ext'] as Json)['address_family'] = 'AF_FOO')), path: '/extensions/socket-ext/address_family' },
  { name: 'icmp-ext without icmp_code_hex', make: broken('network-traffic', (o) => ((o['extensions'] as Json)['icmp-ext'] = { icmp_type_hex: '08' })), path: '/extensions/icmp-ext/icmp_code_hex' },
  { name: "windows-service-ext start_type 'SOMETIMES'", make: broken('process', (o) => (((o['extensions'] as Json)['windows-service-ext'] as Json)['start_type'] = 'SOMETIMES')), path: '/extensions/windows-service-ext/start_type' },
  { name: 'process with nothing to say', make: () => sco('process'), path: '' },
  { name: 'software cpe not a CPE', make: broken('software', (o) => (o['cpe'] = 'not-a-cpe')), path: '/cpe' },
  { name: 'user-account is_privileged "yes"', make: broken('user-account', (o) => (o['is_privileged'] = 'yes')), path: '/is_privileged' },
  { name: "registry key 'HKLM\\Software'", make: broken('windows-registry-key', (o) => (o['key'] = 'HKLM\\Software\\Acme')), path: '/key' },
  { name: "registry value data_type 'REG_TEXT'", make: broken('windows-registry-key', (o) => (o['values'] = [{ name: 'a', data_type: 'REG_TEXT' }])), path: '/values/0/data_type' },
  { name: 'x509-certificate with nothing to say', make: () => sco('x509-certificate'), path: '' },
  { name: 'SCO spec_version 2.2', make: broken('ipv4-addr', (o) => (o['spec_version'] = '2.2')), path: '/spec_version' },
  { name: 'SCO defanged "no"', make: broken('domain-name', (o) => (o['defanged'] = 'no')), path: '/defanged' },
  // marking-definition, language-content, extension-definition
  { name: "'tlp' marking with a made-up id", make: () => tlp1((o) => (o['id'] = id('marking-definition'))), path: '/id' },
  { name: 'TLP 1.0 marking with another created', make: () => tlp1((o) => (o['created'] = '2018-01-01T00:00:00.000Z')), path: '/created' },
  { name: 'TLP 1.0 marking with a created_by_ref', make: () => tlp1((o) => (o['created_by_ref'] = id('identity'))), path: '/created_by_ref' },
  { name: 'statement marking without its statement', make: () => statement((o) => (o['definition'] = { text: 'x' })), path: '/definition/statement' },
  { name: 'marking without definition_type or extensions', make: () => statement((o) => delete o['definition_type']), path: '/definition_type' },
  { name: 'marking object_marking_refs an identity', make: () => statement((o) => (o['object_marking_refs'] = [id('identity')])), path: '/object_marking_refs/0' },
  { name: 'TLP 2.0 CLEAR under the TLP 1.0 WHITE id', make: () => tlp2((o) => (o['id'] = 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9')), path: '/id', schemaAccepts: 'marking-definition.json does not know the TLP 2.0 extension' },
  { name: 'language-content without contents', make: broken('language-content', (o) => delete o['contents']), path: '/contents' },
  { name: 'language-content for a bundle', make: broken('language-content', (o) => (o['object_ref'] = id('bundle'))), path: '/object_ref' },
  { name: 'extension-definition without version', make: broken('extension-definition', (o) => delete o['version']), path: '/version' },
  { name: 'extension_properties without toplevel-property-extension', make: broken('extension-definition', (o) => (o['extension_types'] = ['property-extension'])), path: '/extension_properties' },
  // bundle
  { name: 'bundle with spec_version', make: broken('bundle', (o) => (o['spec_version'] = '2.1')), path: '/spec_version', schemaAccepts: 'bundle.json allows any extra property; 2.1 moved spec_version onto each object' },
  { name: 'bundle id of a report', make: broken('bundle', (o) => (o['id'] = id('report'))), path: '/id' },
  { name: 'bundle with no objects', make: broken('bundle', (o) => (o['objects'] = [])), path: '/objects' },
  { name: 'bundle holding a bad object', make: broken('bundle', (o) => ((o['objects'] as Json[])[0]!['confidence'] = 101)), path: '/objects/0/confidence' },
];

const TLP_RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed';

function withMarking(gm: Json): Json {
  const o = base('indicator');
  o['description'] = 'marked';
  o['granular_markings'] = [gm];
  return o;
}

function capec(f: (ref: Json) => void): Json {
  const o = baseWhere('attack-pattern', (a) => Array.isArray(a['external_references']) && (a['external_references'] as Json[])[0]?.['source_name'] === 'capec');
  f((o['external_references'] as Json[])[0]!);
  return o;
}

function fileExt(f: (exts: Json) => void): Json {
  const o = baseWhere('file', (x) => isObj(x['extensions']));
  f(o['extensions'] as Json);
  return o;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const tlp1 = (f: (o: Json) => void): Json => mark((o) => o['definition_type'] === 'tlp', f);
const tlp2 = (f: (o: Json) => void): Json => mark((o) => o['id'] === 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', f);
const statement = (f: (o: Json) => void): Json => mark((o) => o['definition_type'] === 'statement', f);

function mark(which: (o: Json) => boolean, f: (o: Json) => void): Json {
  const o = baseWhere('marking-definition', which);
  f(o);
  return o;
}

/** Valid by the specification, refused by the OASIS schemas: each one is a schema bug. */
const SCHEMA_WRONG: { name: string; make: () => Json; why: string }[] = [
  { name: 'granular marking with lang only', make: () => withMarking({ lang: 'en', selectors: ['description'] }), why: 'granular-marking.json requires marking_ref; the specification allows exactly one of marking_ref and lang' },
  { name: "IPv4-mapped IPv6 '::ffff:192.0.2.1'", make: broken('ipv6-addr', (o) => (o['value'] = '::ffff:192.0.2.1')), why: "ipv6-addr.json's regex writes 'd' for '\\d' in its IPv4 part" },
  { name: 'process with only created_time', make: () => ({ ...sco('process'), created_time: T }), why: "process.json's anyOf lists 2.0 names ('created', 'name', 'arguments') and not created_time" },
  { name: 'registry key with only modified_time', make: () => ({ ...sco('windows-registry-key'), modified_time: T }), why: "windows-registry-key.json's anyOf lists 'modified', not modified_time" },
  { name: 'windows-process-ext with only integrity_level', make: broken('process', (o) => ((o['extensions'] as Json)['windows-process-ext'] = { integrity_level: 'low' })), why: "process.json's anyOf for the extension leaves out integrity_level" },
  { name: 'http-request-ext header as a string', make: broken('network-traffic', (o) => (((o['extensions'] as Json)['http-request-ext'] as Json)['request_header'] = { Host: 'www.example.com' })), why: 'network-traffic.json wants a list; the specification example has a string' },
  {
    name: "marking definition_type 'x-tlp'",
    make: () => statement((o) => { o['definition_type'] = 'x-tlp'; o['definition'] = { level: 'house' }; }),
    why: "marking-definition.json's unanchored `^(statement)|(tlp)$` refuses any custom type ending in 'tlp'",
  },
  {
    name: "observed-data embedding custom 'x-my-file'",
    make: () => ({ ...sdo('observed-data'), first_observed: T, last_observed: T, number_observed: 1, objects: { '0': { type: 'x-my-file', id: id('x-my-file'), size_x: 1 } } }),
    why: "observed-data.json's unanchored '^artifact|…|file|…' takes any type containing 'file' for a file",
  },
];

describe('STIX 2.1 object validation', () => {
  let schemas: SchemaValidator;
  before(async () => {
    schemas = await loadStixSchemas(SCHEMAS);
  });

  describe('every object of every shared example passes both validators', () => {
    it('reads the 23 example files, one of them a lone object', () => {
      assert.equal(FILES.length, 23);
      assert.ok(EXAMPLES.length >= 560, `${EXAMPLES.length} objects`);
      // The README's trap: a lone campaign, not a bundle; its second marking ref names no
      // marking-definition we have, which is still a valid id.
      assert.equal(FILES.find((f) => f.file.endsWith('interop-objectmarking-test.json'))?.doc['type'], 'campaign');
    });
    for (const { file, doc } of FILES) {
      it(file, () => {
        objectsOf(doc).forEach((o, i) => {
          assert.deepEqual(checkStixObject(o), [], `${file} #${i}`);
          assert.deepEqual(schemas.validate(o), [], `${file} #${i}`);
        });
        assert.deepEqual(checkStixObjectWithSchemas(doc, schemas), [], file);
      });
    }
  });

  it('passes a valid object of every type, and knows every type', () => {
    for (const o of FIXTURES) {
      assert.deepEqual(checkStixObject(o), [], `builtin on ${String(o['type'])}:\n${show(checkStixObject(o))}`);
      assert.deepEqual(schemas.validate(o), [], `schema on ${String(o['type'])}:\n${show(schemas.validate(o))}`);
    }
    const covered = new Set([...EXAMPLES, ...FIXTURES].map((o) => o['type']));
    const all = [...STIX_TYPES.sdo, ...STIX_TYPES.sro, ...STIX_TYPES.sco, ...STIX_TYPES.other].filter((t) => t !== 'bundle');
    assert.equal(STIX_TYPES.sdo.length + STIX_TYPES.sro.length, 21);
    assert.equal(STIX_TYPES.sco.length, 18);
    assert.deepEqual(all.filter((t) => !covered.has(t)), []);
  });

  describe(`rejects ${MUTATIONS.length} broken objects, pointing at what is broken; the schemas too, unless they cannot see it`, () => {
    it('breaks them in distinct ways', () => assert.equal(new Set(MUTATIONS.map((m) => m.name)).size, MUTATIONS.length));
    for (const m of MUTATIONS) {
      it(m.name, () => {
        const o = m.make();
        const mine = checkStixObject(o);
        const theirs = schemas.validate(o);
        assert.ok(mine.some((p) => p.path === m.path), `the builtin should point at '${m.path}'; it says:\n${show(mine)}`);
        // A mutation only one side sees is a finding: fix the builtin, or say why the schema is blind.
        if (m.schemaAccepts === undefined) assert.notDeepEqual(theirs, [], `the schemas accept it; the builtin says:\n${show(mine)}`);
        else assert.deepEqual(theirs, [], `marked as invisible to the schemas (${m.schemaAccepts}), but they reject it`);
      });
    }
  });

  describe('accepts what the specification allows and the schemas wrongly refuse', () => {
    for (const c of SCHEMA_WRONG) {
      it(c.name, () => {
        const o = c.make();
        assert.deepEqual(checkStixObject(o), [], show(checkStixObject(o)));
        assert.notDeepEqual(schemas.validate(o), [], `the schemas now accept it (${c.why}); drop it from the list in validate.ts`);
      });
    }
  });

  it('says what is wrong in words a person can act on', () => {
    const ind = base('indicator');
    assert.deepEqual(checkStixObject({ ...ind, id: 'indicator--123' }), [{ path: '/id', message: "indicator: 'id' must be 'indicator--<UUID>'; got 'indicator--123'" }]);
    assert.deepEqual(checkStixObject({ ...ind, valid_from: '2021-01-01T00:00:00Z', valid_until: '2020-01-01T00:00:00Z' }), [
      { path: '/valid_until', message: "indicator: 'valid_until' (2020-01-01T00:00:00Z) must be later than 'valid_from' (2021-01-01T00:00:00Z)" },
    ]);
    // Equal instants written at different precision are equal: not later.
    assert.equal(checkStixObject({ ...ind, valid_from: '2021-01-01T00:00:00Z', valid_until: '2021-01-01T00:00:00.000Z' }).length, 1);
    assert.deepEqual(checkStixObject({ ...ind, valid_from: '2021-01-01T00:00:00Z', valid_until: '2021-01-01T00:00:00.0001Z' }), []);
    assert.deepEqual(checkStixObject({ ...ind, confidence: 101 }), [{ path: '/confidence', message: "indicator: 'confidence' must be an integer from 0 to 100; got 101" }]);
    assert.deepEqual(checkStixObject(capec((r) => delete r['source_name'])).map((p) => p.message), ["attack-pattern: 'external_references[0].source_name' is required"]);
    const f = base('file');
    assert.deepEqual(checkStixObject({ ...f, hashes: { 'SHA-256': 'abc' } }), [{ path: '/hashes/SHA-256', message: "file: 'hashes.SHA-256' must be 64 hex digits; got 'abc' (3 characters)" }]);
    const b = structuredClone(FILES.find((x) => x.file.endsWith('indicators-for-C2-with-COA.json'))!.doc);
    (b['objects'] as Json[])[2] = { ...(b['objects'] as Json[])[2], modified: '2000-01-01T00:00:00.000Z' };
    const [p] = checkStixObject(b);
    assert.equal(p?.path, '/objects/2/modified');
    assert.match(p?.message ?? '', /^[a-z-]+: 'modified' \(2000-01-01T00:00:00.000Z\) must be no earlier than 'created' \(.+\)$/);
    assert.match(checkStixObject({ ...ind, pattern: "[file:name = 'a'", pattern_type: 'stix' })[0]?.message ?? '', /'pattern' is not a valid STIX pattern: expected '\]'/);
    // Patterns of other languages are not ours to parse; the option turns the parse off.
    assert.deepEqual(checkStixObject({ ...ind, pattern: 'rule x {', pattern_type: 'yara' }), []);
    assert.deepEqual(checkStixObject({ ...ind, pattern: '[', pattern_type: 'stix' }, { patterns: false }), []);
  });

  it('names the schema and the property when the schemas object', () => {
    const ps = schemas.validate({ ...base('sighting'), count: -1 });
    assert.ok(ps.some((p) => p.path === '/count' && /^schema sros\/sighting\.json.*count.*must be >= 0/.test(p.message)), show(ps));
    const missing = schemas.validate(broken('report', (o) => delete o['published'])());
    assert.ok(missing.some((p) => p.path === '/published' && /must have required property 'published'/.test(p.message)), show(missing));
    assert.deepEqual(schemas.validate({ type: 'foo-bar' }), [{ path: '/type', message: "schema: no OASIS schema for type 'foo-bar'" }]);
    const both = checkStixObjectWithSchemas({ ...base('indicator'), confidence: 101 }, schemas);
    assert.ok(both.some((p) => p.message.startsWith('indicator: ')) && both.some((p) => p.message.startsWith('schema ')), show(both));
  });

  it('survives hostile input: no throw, clear problems, linear time', () => {
    /** Both validators, each in well under a second; `schemaSees` false where only the builtin can object. */
    const check = (v: unknown, schemaSees = true): StixProblem[] => {
      let t = performance.now();
      const mine = checkStixObject(v);
      const ms = performance.now() - t;
      t = performance.now();
      const theirs = schemas.validate(v);
      const schemaMs = performance.now() - t;
      assert.ok(ms < 200 && schemaMs < 1000, `builtin ${ms} ms, schemas ${schemaMs} ms`);
      assert.ok(mine.length > 0 && (theirs.length > 0 || !schemaSees), `${show(mine)}\n${show(theirs)}`);
      return mine;
    };
    for (const v of [undefined, null, 42, 'indicator', true, [], [{ type: 'indicator' }], () => 1, Symbol('x'), 10n]) {
      assert.equal(check(v)[0]!.path, '');
      assert.match(check(v)[0]!.message, /must be a JSON object; got /);
    }
    assert.deepEqual(check({}), [{ path: '/type', message: "stix: 'type' is required" }]);
    // The schemas' type pattern backtracks exponentially in V8's engine; both stay fast.
    assert.equal(check({ ...base('indicator'), type: `${'a'.repeat(40)}!` })[0]!.path, '/type');
    assert.equal(check({ ...base('campaign'), extensions: { [`${'a'.repeat(40)}!-ext`]: { x_y: 1 } } })[0]!.path, `/extensions/${'a'.repeat(40)}!-ext`);
    assert.equal(check({ ...base('x-acme-token'), type: `x-${'a'.repeat(40)}!` })[0]!.path, '/type');
    const huge = 'x'.repeat(5_000_000);
    check({ ...base('indicator'), id: huge, [`x_${huge.slice(0, 100_000)}`]: 1 });
    assert.match(check({ ...base('indicator'), pattern: `[file:name = '${huge}`, pattern_type: 'stix' }, false)[0]!.message, /at most 1048576 are read/);
    check({ ...base('url'), value: `http://${'a'.repeat(1_000_000)} ` });
    check({ ...base('email-addr'), value: `${'a'.repeat(100_000)}@${'a'.repeat(100_000)}` });
    let deep: Json = { x: 1 };
    for (let i = 0; i < 100_000; i++) deep = { x: deep };
    assert.deepEqual(checkStixObject({ ...base('campaign'), x_deep: deep }), []);
    assert.deepEqual(check({ ...base('campaign'), x_deep: deep, x_bad: null }).map((p) => p.path), ['/x_bad']);
    const proto = JSON.parse(`{"type":"campaign","__proto__":{"polluted":1},"constructor":{"x":1},"toString":"x"}`) as Json;
    Object.assign(proto, { ...base('campaign'), type: 'campaign' });
    const ps = check(proto);
    assert.ok(ps.some((p) => p.path === '/__proto__' && /property name '__proto__'/.test(p.message)), show(ps));
    assert.ok(ps.some((p) => p.path === '/toString'), show(ps));
    assert.equal(({} as Json)['polluted'], undefined);
    for (const t of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) assert.equal(check({ ...base('campaign'), type: t })[0]!.path, '/type');
    const cyclic = base('campaign');
    cyclic['x_self'] = cyclic;
    assert.deepEqual(checkStixObject(cyclic), []);
    const trap = Object.defineProperty(base('campaign'), 'name', { enumerable: true, get: () => { throw new Error('boom'); } });
    assert.match(checkStixObject(trap)[0]!.message, /could not be read: boom/);
    assert.match(schemas.validate(trap)[0]!.message, /could not be read: boom/);
    const manyBad = { ...base('report'), object_refs: Array.from({ length: 20_000 }, (_, i) => `bad-${i}`) };
    assert.equal(check(manyBad).length, MAX_PROBLEMS + 1);
    assert.equal(schemas.validate(manyBad).length, MAX_PROBLEMS + 1);
  });
});
