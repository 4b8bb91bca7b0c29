import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { matchPattern, observationsFromStix, parsePattern } from '../pattern/index.js';
import { TLP2_MARKING_ID } from '../stix/tlp.js';
import { checkStixObject } from '../stix/validate.js';
import { ATTRIBUTE_RULES, sco, uuidv5 } from './misp-attributes.js';
import { mispEventToStix, mispEventsIn, readMispFeed, type MispConversion } from './misp.js';

type Json = Record<string, unknown>;

const MISP = new URL('../../../../shared/data/misp/', import.meta.url).pathname;
const FILES = ['feed', 'api-export'].flatMap((d) => readdirSync(join(MISP, d)).filter((f) => f.endsWith('.json') && f !== 'manifest.json').map((f) => join(MISP, d, f)));

function load(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

function eventOf(file: string): Json {
  const j = load(file);
  return (j['Event'] ?? j) as Json;
}

function byId(r: MispConversion): Map<string, Json> {
  return new Map(r.objects.map((o) => [String(o['id']), o]));
}

function ofType(r: MispConversion, type: string): Json[] {
  return r.objects.filter((o) => o['type'] === type);
}

function attributes(o: Json): Json[] {
  return ((o['Attribute'] ?? []) as Json[]).filter((a) => a['deleted'] !== true);
}

// ---- what a sensor would see of a MISP value, written here apart from the converter ----

const HASH_NAME: Record<string, string> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512', ssdeep: 'SSDEEP', 'sha3-256': 'SHA3-256', tlsh: 'TLSH' };

function split(v: string, first = false): [string, string] {
  const i = first ? v.indexOf('|') : v.lastIndexOf('|');
  return [v.slice(0, i), v.slice(i + 1)];
}

/** The SCOs an observation of this value shows: a file with the hash, a connection to the port… */
function seen(type: string, value: string): Json[] {
  const id = (t: string): string => `${t}--${randomUUID()}`;
  const addr = (ip: string): Json => {
    const bare = ip.split('/')[0]!;
    return { type: isIP(bare) === 6 ? 'ipv6-addr' : 'ipv4-addr', id: id('ipv4-addr'), value: bare.toLowerCase() };
  };
  const withId = (o: Json): Json => ({ ...o, id: id(String(o['type'])) });
  if (type === 'ip-src' || type === 'ip-dst') return [{ ...addr(value), id: id(isIP(value.split('/')[0]!) === 6 ? 'ipv6-addr' : 'ipv4-addr') }];
  if (type === 'ip-dst|port' || type === 'ip-src|port') {
    const [ip, port] = split(value);
    const side = type.slice(3, 6);
    const a = { ...addr(ip), id: id(isIP(ip) === 6 ? 'ipv6-addr' : 'ipv4-addr') };
    return [withId({ type: 'network-traffic', [`${side}_ref`]: a['id'], [`${side}_port`]: Number(port), protocols: ['tcp'] }), a];
  }
  if (type === 'domain|ip') {
    const [d, ip] = split(value);
    const a = { ...addr(ip), id: id(isIP(ip) === 6 ? 'ipv6-addr' : 'ipv4-addr') };
    return [withId({ type: 'domain-name', value: d, resolves_to_refs: [a['id']] }), a];
  }
  if (type === 'domain' || type === 'hostname') return [withId({ type: 'domain-name', value })];
  if (type === 'url' || type === 'uri' || type === 'link') return [withId({ type: 'url', value })];
  if (type.startsWith('email-') && type !== 'email-subject' && type !== 'email-attachment') return [withId({ type: 'email-addr', value })];
  if (type === 'email-subject') return [withId({ type: 'email-message', is_multipart: false, subject: value })];
  if (type === 'email-attachment') {
    const f = withId({ type: 'file', name: value });
    return [withId({ type: 'email-message', is_multipart: true, body_multipart: [{ body_raw_ref: f['id'] }] }), f];
  }
  if (type === 'filename' || type === 'attachment') return [withId({ type: 'file', name: value })];
  if (HASH_NAME[type]) return [withId({ type: 'file', hashes: { [HASH_NAME[type]]: value } })];
  if (type.startsWith('filename|') || type === 'malware-sample') {
    const [name, h] = split(value);
    return [withId({ type: 'file', name, hashes: { [HASH_NAME[type.slice(9)] ?? 'MD5']: h } })];
  }
  if (type === 'imphash') return [withId({ type: 'file', name: 'x.exe', extensions: { 'windows-pebinary-ext': { pe_type: 'exe', imphash: value } } })];
  if (type === 'regkey') return [withId({ type: 'windows-registry-key', key: value.replace(/^HKLM\\/i, 'HKEY_LOCAL_MACHINE\\') })];
  if (type === 'regkey|value') {
    const [key, data] = split(value, true);
    return [withId({ type: 'windows-registry-key', key, values: [{ name: 'x', data }] })];
  }
  if (type === 'mutex') return [withId({ type: 'mutex', name: value })];
  if (type === 'user-agent') return [withId({ type: 'network-traffic', dst_ref: 'ipv4-addr--9f1b7c4e-2d3a-4e5f-8a6b-7c8d9e0f1a2b', protocols: ['tcp'], extensions: { 'http-request-ext': { request_method: 'get', request_value: '/', request_header: { 'User-Agent': value } } } })];
  throw new Error(`the test has no observation for MISP type ${type}`);
}

/** What one file (or connection) a MISP object describes looks like to a sensor. */
function seenObject(name: string, attrs: readonly Json[]): Json[] {
  const file: Json = { type: 'file', id: `file--${randomUUID()}` };
  const pe: Json = { pe_type: 'dll' };
  const section: Json = { name: '.text' };
  const rest: Json[] = [];
  for (const a of attrs) {
    const type = String(a['type']);
    const value = String(a['value']);
    const relation = String(a['object_relation']);
    if (name === 'pe-section' && HASH_NAME[type]) section['hashes'] = { ...(section['hashes'] as Json | undefined), [HASH_NAME[type]]: value };
    else if (name === 'pe' && relation.endsWith('-filename')) pe[`x_misp_${relation.replace('-', '_')}`] = value;
    else if (HASH_NAME[type]) file['hashes'] = { ...(file['hashes'] as Json | undefined), [HASH_NAME[type]]: value };
    else if (type === 'filename') file['name'] = value;
    else rest.push(...seen(type, value));
  }
  if (name === 'pe' || name === 'pe-section') file['extensions'] = { 'windows-pebinary-ext': { ...pe, ...(name === 'pe-section' ? { sections: [section] } : {}) } };
  return Object.keys(file).length > 2 ? [file, ...rest] : rest;
}

function matches(pattern: string, scos: readonly Json[]): boolean {
  const observed = { type: 'observed-data', id: `observed-data--${randomUUID()}`, first_observed: '2020-01-01T00:00:00Z', last_observed: '2020-01-01T00:00:00Z', number_observed: 1, object_refs: scos.map((s) => s['id']) };
  return matchPattern(parsePattern(pattern), observationsFromStix([...scos, observed]));
}

/** Another value of the same type: the last character changed. */
function other(v: string): string {
  return v.slice(0, -1) + (v.endsWith('0') ? '1' : '0');
}

// ---- the tests ----

describe('mispEventToStix on the real MISP events', () => {
  const converted = FILES.map((f) => ({ file: f, event: eventOf(f), r: mispEventToStix(load(f)) }));
  const event = (uuidStart: string): { event: Json; r: MispConversion } => converted.find((c) => String(c.event['uuid']).startsWith(uuidStart))!;

  it('converts every file, and every object it makes is valid STIX 2.1', () => {
    assert.equal(converted.length, 9);
    for (const { file, r } of converted) {
      assert.ok(r.objects.length > 0, file);
      for (const o of r.objects) assert.deepEqual(checkStixObject(o), [], `${file}: ${String(o['id'])}`);
      const ids = r.objects.map((o) => String(o['id']));
      assert.equal(new Set(ids).size, ids.length, `${file}: an id twice`);
    }
  });

  it('makes one report per event whose object_refs name everything else it made', () => {
    for (const { file, event, r } of converted) {
      const reports = ofType(r, 'report');
      assert.equal(reports.length, 1, file);
      const report = reports[0]!;
      assert.equal(report['id'], `report--${String(event['uuid'])}`);
      assert.equal(report['name'], event['info']);
      const others = r.objects.filter((o) => o !== report).map((o) => String(o['id'])).sort();
      assert.deepEqual([...(report['object_refs'] as string[])].sort(), others, file);
      const creator = r.objects.find((o) => o['id'] === report['created_by_ref'])!;
      assert.equal(creator['name'], (event['Orgc'] as Json)['name']);
    }
  });

  it('holds as many attributes and objects as the README says', () => {
    const counts = Object.fromEntries(converted.map(({ event }) => [String(event['uuid']).slice(0, 8), [attributes(event).length, ((event['Object'] ?? []) as Json[]).length]]));
    assert.deepEqual(counts, {
      '57c4445b': [9, 0], '56e12e66': [13, 0], '57153590': [370, 0], '5a0d5bf4': [111, 5], '5abf6421': [16, 16], '5c066053': [0, 17],
      '5acc88e9': [4, 2], '5c706a30': [19, 20], '5b646415': [5, 0],
    });
  });

  it('accounts for every attribute: an indicator, observed-data, a note, a link, a CVE, or a problem naming it', () => {
    for (const { file, event, r } of converted) {
      const ids = byId(r);
      const report = ofType(r, 'report')[0]!;
      const links = ((report['external_references'] ?? []) as Json[]).map((l) => l['url']);
      for (const a of attributes(event)) {
        const uuid = String(a['uuid']);
        const made = ['indicator', 'observed-data', 'note'].filter((t) => ids.has(`${t}--${uuid}`));
        const problem = r.problems.some((p) => p.where.includes(uuid));
        const linked = a['type'] === 'link' && !a['to_ids'] && links.includes(String(a['value']).trim());
        const cve = a['type'] === 'vulnerability' && ofType(r, 'vulnerability').some((v) => v['name'] === String(a['value']).toUpperCase());
        assert.equal(made.length + (problem ? 1 : 0) + (linked ? 1 : 0) + (cve ? 1 : 0), 1, `${file}: attribute ${uuid} (${String(a['type'])}) made ${made.join(', ') || 'nothing'}`);
        if (made[0] === 'indicator') assert.equal(a['to_ids'], true);
        if (made[0] === 'observed-data') assert.equal(a['to_ids'], false);
      }
    }
  });

  it('turns Xorist’s 9 attributes into 5 indicators, 2 notes and 2 external references', () => {
    const { r } = event('57c4445b');
    const count = (t: string): number => ofType(r, t).length;
    assert.deepEqual([count('indicator'), count('note'), count('observed-data'), r.problems.length], [5, 2, 0, 0]);
    const report = ofType(r, 'report')[0]!;
    assert.equal((report['external_references'] as Json[]).length, 2);
    assert.equal(report['published'], '2016-08-30T09:10:31.000Z');
    assert.deepEqual(report['labels'], ['circl:incident-classification="malware"', 'ms-caro-malware:malware-type="Ransom"', 'malware_classification:malware-category="Ransomware"']);
    const md5 = byId(r).get('indicator--57c4448b-454c-4d17-90d1-4d2f950d210f')!;
    assert.equal(md5['name'], 'md5: 0749bae92ca336a02c83d126e04ec628');
    assert.equal(md5['pattern'], "[file:hashes.'MD5' = '0749bae92ca336a02c83d126e04ec628']");
    assert.equal(md5['valid_from'], '2016-08-29T14:19:55.000Z');
    assert.equal(md5['description'], 'Imported via the Freetext Import Tool');
  });

  it('writes patterns that parse and match an observation of their own value, and not of another', () => {
    let checked = 0;
    for (const { file, event, r } of converted) {
      const ids = byId(r);
      for (const a of attributes(event)) {
        const ind = ids.get(`indicator--${String(a['uuid'])}`);
        if (!ind || ind['pattern_type'] !== 'stix') continue;
        const type = String(a['type']);
        const value = String(a['value']);
        const pattern = String(ind['pattern']);
        parsePattern(pattern);
        assert.ok(matches(pattern, seen(type, value)), `${file}: ${pattern} should match ${type} ${value}`);
        assert.ok(!matches(pattern, seen(type, other(value))), `${file}: ${pattern} should not match ${type} ${other(value)}`);
        checked++;
      }
      for (const o of (event['Object'] ?? []) as Json[]) {
        const ind = ids.get(`indicator--${String(o['uuid'])}`);
        if (!ind) continue;
        const detect = attributes(o).filter((a) => a['to_ids'] === true && !r.problems.some((p) => p.where.includes(String(a['uuid']))));
        const pattern = String(ind['pattern']);
        assert.ok(matches(pattern, seenObject(String(o['name']), detect)), `${file}: ${pattern} should match object ${String(o['uuid'])}`);
        const changed = detect.map((a) => ({ ...a, value: other(String(a['value'])) }));
        assert.ok(!matches(pattern, seenObject(String(o['name']), changed)), `${file}: ${pattern} should not match changed values`);
        checked++;
      }
    }
    assert.equal(checked, 442, 'indicators checked');
  });

  it('marks with TLP:CLEAR what comes of a tlp:white event, reference objects aside', () => {
    const { r } = event('5a0d5bf4');
    for (const o of r.objects) {
      const reference = ['identity', 'threat-actor', 'malware', 'vulnerability'].includes(String(o['type']));
      assert.deepEqual(o['object_marking_refs'], reference ? undefined : [TLP2_MARKING_ID.clear], String(o['id']));
    }
  });

  it('makes galaxy clusters SDOs that the indicators indicate', () => {
    const cobra = event('5a0d5bf4').r;
    const lazarus = ofType(cobra, 'threat-actor').find((t) => t['name'] === 'Lazarus Group')!;
    const fallchill = ofType(cobra, 'malware').find((t) => t['name'] === 'FALLCHILL')!;
    assert.deepEqual(fallchill['malware_types'], ['remote-access-trojan']);
    for (const ind of ofType(cobra, 'indicator')) {
      for (const target of [lazarus, fallchill]) {
        assert.ok(ofType(cobra, 'relationship').some((x) => x['source_ref'] === ind['id'] && x['target_ref'] === target['id'] && x['relationship_type'] === 'indicates'), String(ind['id']));
      }
    }
    const shark = event('5c706a30').r;
    const technique = ofType(shark, 'attack-pattern')[0]!;
    assert.equal(technique['name'], 'Stolen Developer Credentials or Signing Keys');
    assert.deepEqual(technique['external_references'], [{ source_name: 'mitre-attack', external_id: 'T1441', url: 'https://attack.mitre.org/techniques/T1441' }]);
    const pubg = event('5acc88e9').r;
    const apt1 = ofType(pubg, 'intrusion-set').find((s) => s['name'] === 'APT1')!;
    assert.equal((apt1['external_references'] as Json[])[0]!['external_id'], 'G0006');
    assert.ok(String(apt1['description']).includes('Chinese threat group'));
  });

  it('turns MISP sightings into a sighting per indicator, false positives into opinions, expiry into valid_until', () => {
    const { r } = event('5b646415');
    const ids = byId(r);
    const sightings = ofType(r, 'sighting');
    assert.deepEqual(sightings.map((s) => s['sighting_of_ref']).sort(), ['indicator--5b6464ca-e73c-4707-9b8a-d0350acd0835', 'indicator--5b6464e9-e73c-484d-a0b3-c0070acd0835']);
    const s = sightings.find((x) => x['sighting_of_ref'] === 'indicator--5b6464ca-e73c-4707-9b8a-d0350acd0835')!;
    assert.deepEqual([s['count'], s['first_seen'], s['last_seen']], [1, '2019-02-27T07:52:30.000Z', '2019-02-27T07:52:30.000Z']);
    assert.equal(ids.get((s['where_sighted_refs'] as string[])[0]!)!['name'], 'ORGNAME');
    assert.equal(ofType(r, 'opinion').length, 3);
    assert.ok(ofType(r, 'opinion').every((o) => o['opinion'] === 'strongly-disagree'));
    assert.equal(ids.get('indicator--5b6464ca-e0a0-40e0-8e21-d0350acd0835')!['valid_until'], '2019-02-27T07:52:48.000Z');
  });

  it('gives the same objects, ids included, when an event is converted twice', () => {
    for (const { file } of converted) assert.deepEqual(mispEventToStix(load(file)), mispEventToStix(load(file)), file);
  });

  it('reads the feed folder, event by event', () => {
    const entries = [...readMispFeed(join(MISP, 'feed'))];
    assert.equal(entries.length, 6);
    assert.ok(entries.every((e) => 'event' in e));
  });
});

describe('mispEventToStix on made-up events', () => {
  const event = (attrs: unknown, more: Json = {}): Json => ({ Event: { uuid: '6a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f', info: 'test', date: '2024-05-01', timestamp: '1714560000', Orgc: { name: 'Bank A', uuid: '0d7f5c2a-9b8e-4c1d-a2f3-4e5d6c7b8a90' }, Attribute: attrs, ...more } });
  const attr = (type: string, value: string, more: Json = {}): Json => ({ uuid: randomUUID(), type, value, to_ids: true, category: 'Network activity', timestamp: '1714560000', ...more });

  it('covers every supported type with a valid, matching pattern and a valid observable', () => {
    const samples: Record<string, string> = {
      'ip-src': '198.51.100.7', 'ip-dst': '2001:DB8::1', 'ip-src|port': '198.51.100.7|8080', 'ip-dst|port': '2001:db8::2|443', domain: 'Evil.Example.', hostname: 'c2.example.net',
      'domain|ip': 'evil.example|203.0.113.9', 'hostname|port': 'c2.example.net|8443', url: 'https://evil.example/a?b=1', uri: '/gate.php', link: 'https://evil.example/x', email: 'a@evil.example',
      'email-src': 'b@evil.example', 'email-dst': 'c@bank.example', 'email-subject': "Invoice 'urgent'", 'email-attachment': 'invoice.pdf.exe', filename: 'dropper.exe', attachment: 'a.bin',
      md5: '0749bae92ca336a02c83d126e04ec628', sha1: '77b0c41b7d340b8a3d903f21347bbf06aa766b5b', sha256: 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68',
      sha512: 'a'.repeat(128), 'sha3-256': 'b'.repeat(64), 'sha3-512': 'c'.repeat(128), ssdeep: '96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO', tlsh: 'd'.repeat(70),
      'filename|md5': 'a.exe|0749bae92ca336a02c83d126e04ec628', 'filename|sha1': 'a.exe|77b0c41b7d340b8a3d903f21347bbf06aa766b5b', 'filename|sha256': 'a.exe|b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68',
      'filename|sha512': `a.exe|${'e'.repeat(128)}`, 'filename|ssdeep': 'a.exe|3:abc:def', 'filename|sha3-256': `a.exe|${'f'.repeat(64)}`, 'filename|sha3-512': `a.exe|${'1'.repeat(128)}`, 'filename|tlsh': `a.exe|${'2'.repeat(70)}`,
      'malware-sample': 'a.exe|0749bae92ca336a02c83d126e04ec628', imphash: 'fea5902afa6e504a798c73a09b83df5e', regkey: 'HKLM\\Software\\Run', 'regkey|value': 'HKEY_CURRENT_USER\\Run|C:\\a|b.exe',
      mutex: 'Global\\x', 'user-agent': 'Mozilla/4.0 (compatible)', AS: 'AS64496', 'mac-address': '00-00-5E-00-53-01',
      'x509-fingerprint-md5': '0749bae92ca336a02c83d126e04ec628', 'x509-fingerprint-sha1': '77:b0:c4:1b:7d:34:0b:8a:3d:90:3f:21:34:7b:bf:06:aa:76:6b:5b', 'x509-fingerprint-sha256': 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68',
    };
    assert.deepEqual(Object.keys(samples).sort(), [...ATTRIBUTE_RULES.keys()].sort(), 'a sample per supported type');
    const detect = Object.entries(samples).map(([t, v]) => attr(t, v));
    const observe = Object.entries(samples).map(([t, v]) => attr(t, v, { to_ids: false }));
    const r = mispEventToStix(event([...detect, ...observe]));
    for (const o of r.objects) assert.deepEqual(checkStixObject(o), [], String(o['id']));
    const ids = byId(r);
    for (const a of detect) assert.ok(ids.has(`indicator--${String(a['uuid'])}`), String(a['type']));
    const noObservable = ['hostname|port', 'imphash', 'uri', 'user-agent'];
    for (const a of observe) {
      const made = ids.get(`observed-data--${String(a['uuid'])}`);
      if (a['type'] === 'link') continue; // an external reference of the report
      assert.equal(made === undefined, noObservable.includes(String(a['type'])), String(a['type']));
      // The observed-data made of a value matches the indicator made of the same value; an
      // email attachment is observed as the file alone (see misp-attributes.ts).
      const twin = ids.get(`indicator--${String(detect.find((d) => d['type'] === a['type'])!['uuid'])}`)!;
      if (made && a['type'] !== 'email-attachment') assert.ok(matches(String(twin['pattern']), (made['object_refs'] as string[]).map((id) => ids.get(id)!)), String(twin['pattern']));
    }
    assert.deepEqual(r.problems.map((p) => p.reason).sort(), noObservable.map((t) => `MISP type '${t}' without to_ids has no STIX cyber-observable form; skipped`).sort());
    assert.equal(ids.get(`indicator--${String(detect.find((d) => d['type'] === 'ip-dst')!['uuid'])}`)!['pattern'], "[ipv6-addr:value = '2001:db8::1']");
    assert.equal(ids.get(`indicator--${String(detect.find((d) => d['type'] === 'regkey')!['uuid'])}`)!['pattern'], "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\Run']");
  });

  it('reads CIDR blocks as their addresses', () => {
    const r = mispEventToStix(event([attr('ip-dst', '10.20.0.0/16'), attr('ip-dst|port', '10.30.0.0/16|22')]));
    const [block, withPort] = ofType(r, 'indicator');
    assert.ok(matches(String(block!['pattern']), seen('ip-dst', '10.20.5.6')));
    assert.ok(!matches(String(block!['pattern']), seen('ip-dst', '10.21.5.6')));
    assert.equal(withPort!['pattern'], "[network-traffic:dst_ref.value ISSUBSET '10.30.0.0/16' AND network-traffic:dst_port = 22]");
    assert.ok(matches(String(withPort!['pattern']), seen('ip-dst|port', '10.30.1.1|22')));
  });

  it('escapes quotes and backslashes, and keeps newlines, so the pattern still matches its value', () => {
    const hostile = "it's a \\\\server\\share \"x\"\nname.exe";
    const r = mispEventToStix(event([attr('filename', hostile), attr('mutex', "\\'"), attr('regkey|value', "HKCU\\Run\\x|'; DROP")]));
    assert.deepEqual(r.problems, []);
    const [file, mutex, key] = ofType(r, 'indicator');
    assert.ok(matches(String(file!['pattern']), seen('filename', hostile)));
    assert.ok(matches(String(mutex!['pattern']), seen('mutex', "\\'")));
    assert.ok(matches(String(key!['pattern']), seen('regkey|value', "HKEY_CURRENT_USER\\Run\\x|'; DROP")));
  });

  it('marks by the strictest TLP tag of the event, and by an attribute’s own tag', () => {
    const r = mispEventToStix(event([attr('domain', 'a.example'), attr('domain', 'b.example', { Tag: [{ name: 'tlp:red' }] }), attr('domain', 'c.example', { to_ids: false })], { Tag: [{ name: 'tlp:green' }, { name: 'TLP:AMBER+STRICT' }] }));
    const [a, b] = ofType(r, 'indicator');
    assert.deepEqual(a!['object_marking_refs'], [TLP2_MARKING_ID['amber+strict']]);
    assert.deepEqual(b!['object_marking_refs'], [TLP2_MARKING_ID.red]);
    assert.deepEqual(ofType(r, 'domain-name')[0]!['object_marking_refs'], [TLP2_MARKING_ID['amber+strict']]);
    assert.deepEqual(ofType(r, 'report')[0]!['object_marking_refs'], [TLP2_MARKING_ID['amber+strict']]);
    const white = mispEventToStix(event([attr('domain', 'a.example')], { Tag: [{ name: 'tlp:white' }] }));
    assert.deepEqual(ofType(white, 'indicator')[0]!['object_marking_refs'], [TLP2_MARKING_ID.clear]);
    const untagged = mispEventToStix(event([attr('domain', 'a.example')]), { defaultTlp: 'amber' });
    assert.deepEqual(ofType(untagged, 'indicator')[0]!['object_marking_refs'], [TLP2_MARKING_ID.amber]);
  });

  it('uses first_seen for valid_from, the timestamp otherwise', () => {
    const r = mispEventToStix(event([attr('domain', 'a.example', { first_seen: '2023-02-03T04:05:06.789000+00:00' }), attr('domain', 'b.example')]));
    assert.deepEqual(ofType(r, 'indicator').map((i) => i['valid_from']), ['2023-02-03T04:05:06.789Z', '2024-05-01T10:40:00.000Z']);
  });

  it('names what it cannot convert, and never throws on hostile input', () => {
    for (const bad of [null, 'x', 42, [], {}, { Event: 'x' }, { Event: { uuid: 'u' } }, { Event: [] }]) {
      const r = mispEventToStix(bad);
      assert.deepEqual(r.objects, []);
      assert.equal(r.problems.length, 1, JSON.stringify(bad));
    }
    const notList = mispEventToStix(event('nope', { Object: 7, Tag: 'tlp:red' }));
    assert.deepEqual(notList.problems.map((p) => p.reason), [
      "'Tag' must be a list; got a string", "'Attribute' must be a list; got a string", "'Object' must be a list; got a number",
    ]);
    const unknown = attr('btc', '1GCaWA685Nj2PqqG7P2ZBACYZB8ZtpQuQ9');
    const badIp = attr('ip-dst', '300.1.1.1');
    const r = mispEventToStix(event([1, null, 'x', { type: 'domain', value: 'a.example' }, unknown, badIp, attr('domain', ''), attr('domain', 'ok.example', { timestamp: '99999999999999', Sighting: 'many' })]));
    const reasons = r.problems.map((p) => `${p.where}: ${p.reason}`);
    assert.ok(reasons.some((x) => x.includes(String(unknown['uuid'])) && x.includes("'btc' has no STIX mapping")), reasons.join('\n'));
    assert.ok(reasons.some((x) => x.includes(String(badIp['uuid'])) && x.includes("'300.1.1.1' is not an IP address")));
    assert.ok(reasons.some((x) => x.includes('Attribute[0]') && x.includes('got a number')));
    assert.ok(reasons.some((x) => x.includes('Attribute[3]') && x.includes("no 'uuid'")));
    assert.ok(reasons.some((x) => x.includes("'timestamp' is not Unix seconds")));
    assert.ok(reasons.some((x) => x.includes("'Sighting' must be a list")));
    assert.equal(ofType(r, 'indicator').length, 1);
    for (const o of r.objects) assert.deepEqual(checkStixObject(o), []);
  });

  it('treats a __proto__ key as data', () => {
    const r = mispEventToStix(JSON.parse('{"Event": {"uuid": "6a4f0f3e-1c2b-4d5e-8f90-0a1b2c3d4e5f", "info": "x", "timestamp": "1", "__proto__": {"Attribute": [{"uuid": "u", "type": "domain", "value": "x.example", "to_ids": true}]}}}'));
    assert.equal(({} as Json)['Attribute'], undefined);
    assert.equal(ofType(r, 'indicator').length, 0);
  });

  it('keeps an event whose uuid is not RFC 4122 stable by a UUIDv5', () => {
    const e = { Event: { uuid: '11111111-2222-3333-4444-555555555555', info: 'old', timestamp: '1', Orgc: { name: 'X' }, Attribute: [attr('domain', 'a.example')] } };
    const a = mispEventToStix(e);
    assert.deepEqual(a, mispEventToStix(e));
    for (const o of a.objects) assert.deepEqual(checkStixObject(o), []);
  });
});

describe('ids', () => {
  it('computes UUIDv5 (RFC 4122 §4.3) and STIX deterministic SCO ids (§2.9)', () => {
    assert.equal(uuidv5('python.org', '6ba7b811-9dad-11d1-80b4-00c04fd430c8'), '7af94e2b-4dd9-50f0-9c9a-8a48519bdef0');
    // Values from Python's uuid.uuid5 over the canonical JSON of the ID contributing properties.
    assert.equal(sco('ipv4-addr', { value: '198.51.100.3' })['id'], 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4');
    assert.equal(sco('file', { name: '3Z4wnG9603it23y.exe', hashes: { 'SHA-256': 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68', MD5: '0749bae92ca336a02c83d126e04ec628' } })['id'], 'file--af9848fd-2f5d-56f2-bec9-3e3700579a3c');
  });
});

describe('mispEventsIn', () => {
  it('finds events by shape', () => {
    assert.equal(mispEventsIn({ Event: {} })?.length, 1);
    assert.equal(mispEventsIn({ uuid: 'u', info: 'i' })?.length, 1);
    assert.equal(mispEventsIn({ response: [{ Event: {} }, { Event: {} }] })?.length, 2);
    assert.equal(mispEventsIn({ type: 'bundle', id: 'bundle--x', objects: [] }), undefined);
    assert.equal(mispEventsIn([]), undefined);
  });
});

describe('readMispFeed', () => {
  it('names a missing or broken event file and reads the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lianfang-misp-'));
    try {
      cpSync(join(MISP, 'feed'), dir, { recursive: true });
      unlinkSync(join(dir, '57c4445b-c548-4654-af0b-4be3950d210f.json'));
      writeFileSync(join(dir, '56e12e66-f01c-41be-afea-4d9a950d210f.json'), '{"Event": ');
      const manifest = load(join(dir, 'manifest.json'));
      manifest['../../etc/passwd'] = {};
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      const entries = [...readMispFeed(dir)];
      const problems = entries.flatMap((e) => ('problem' in e ? [`${e.file.slice(dir.length + 1)}: ${e.problem.reason}`] : []));
      assert.equal(entries.filter((e) => 'event' in e).length, 4);
      assert.deepEqual(problems.sort(), [
        '56e12e66-f01c-41be-afea-4d9a950d210f.json: not readable as JSON: Unexpected end of JSON input',
        '57c4445b-c548-4654-af0b-4be3950d210f.json: the manifest lists this event but the file is missing',
        "manifest.json: '../../etc/passwd' is not an event uuid; skipped",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is one problem when there is no manifest', () => {
    const entries = [...readMispFeed(join(MISP, 'api-export'))];
    assert.equal(entries.length, 1);
    assert.ok('problem' in entries[0]! && entries[0].problem.reason.startsWith('not a MISP feed manifest'));
  });
});
