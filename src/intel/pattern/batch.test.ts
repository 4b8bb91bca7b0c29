import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../core/index.js';
import { matchPattern, observationsFromStix } from './batch.js';
import { parsePattern } from './parse.js';

const STIX = new URL('../../../../shared/data/stix', import.meta.url).pathname;

type Obj = Record<string, unknown>;

function bundle(file: string): Obj[] {
  return (JSON.parse(readFileSync(join(STIX, file), 'utf8')) as { objects: Obj[] }).objects;
}

/** The pattern of the indicator in an example bundle whose pattern includes `part`. */
function indicator(file: string, part = ''): string {
  const found = bundle(file).filter((o) => o.type === 'indicator' && String(o.pattern).includes(part));
  assert.ok(found.length > 0, `${file} has an indicator with ${part}`);
  return found[0]!.pattern as string;
}

const matches = (pattern: string, observed: readonly Obj[]): boolean => matchPattern(parsePattern(pattern), observationsFromStix(observed));

/** A pattern string literal for a value (backslashes and quotes escaped). */
const lit = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

let seq = 0;
/** An SCO with an id, and an observed-data showing SCOs at a time (or window), n times. */
function sco(type: string, props: Obj): Obj {
  return { type, id: `${type}--00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`, ...props };
}
function seen(at: string | [string, string], objects: readonly Obj[], n = 1): Obj[] {
  const [first, last] = typeof at === 'string' ? [at, at] : at;
  const od = { type: 'observed-data', id: `observed-data--${++seq}`, first_observed: first, last_observed: last, number_observed: n, object_refs: objects.map((o) => o.id) };
  return [od, ...objects];
}
const t = (hms: string): string => `2026-03-02T${hms}Z`;

describe('sighting-of-observed-data.json: two observations a millisecond apart', () => {
  const objects = bundle('cti-documentation-examples/sighting-of-observed-data.json');
  const KEY = lit('HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\WSALG2');
  const FILE = "[file:hashes.MD5 = '1717b7fff97d37a1e1a0029d83492de1']";
  const REG = `[windows-registry-key:key = ${KEY}]`;

  it('reads the observed-data with their object_refs, ignoring the identities, malware and sighting', () => {
    const obs = observationsFromStix(objects);
    assert.equal(obs.length, 2);
    assert.deepEqual(obs.map((o) => [...o.observed.keys()]), [['file'], ['windows-registry-key']]);
    assert.deepEqual(obs.map((o) => o.last - o.first), [0, 1]);
  });

  it('matches the file by hash and name, and not a wrong value', () => {
    assert.equal(matches(FILE, objects), true);
    assert.equal(matches("[file:hashes.'SHA-1' = 'c79a326f8411e9488bdc3779753e1e3489aaedea' AND file:size = 83968]", objects), true);
    assert.equal(matches("[file:hashes.MD5 = '1717b7fff97d37a1e1a0029d83492de2']", objects), false);
    assert.equal(matches("[file:name = 'resume.pdf' AND file:size > 83968]", objects), false);
  });

  it('needs two observations for AND between […], and one for AND inside […]', () => {
    assert.equal(matches(`${FILE} AND ${REG}`, objects), true);
    assert.equal(matches(`[file:name = 'resume.pdf' AND windows-registry-key:key = ${KEY}]`, objects), false);
    assert.equal(matches(`${FILE} AND ${FILE}`, objects), false, 'one observation cannot stand for both sides');
    assert.equal(matches(`${FILE} OR [file:name = 'other.pdf']`, objects), true);
  });

  it('orders FOLLOWEDBY by the windows: the file ends as the key begins, not the other way round', () => {
    assert.equal(matches(`${FILE} FOLLOWEDBY ${REG}`, objects), true);
    assert.equal(matches(`${REG} FOLLOWEDBY ${FILE}`, objects), false);
  });

  it('bounds WITHIN by the span from the first first_observed to the last last_observed', () => {
    assert.equal(matches(`(${FILE} AND ${REG}) WITHIN 1 SECONDS`, objects), true);
    assert.equal(matches(`(${FILE} AND ${REG}) WITHIN 0.001 SECONDS`, objects), true);
    assert.equal(matches(`(${FILE} AND ${REG}) WITHIN 0.0005 SECONDS`, objects), false);
  });

  it('keeps START inclusive and STOP exclusive, for the whole window of an observation', () => {
    assert.equal(matches(`${REG} START t'2017-02-27T21:37:11.213Z' STOP t'2017-02-27T21:37:11.215Z'`, objects), true);
    assert.equal(matches(`${REG} START t'2017-02-27T21:37:11.213Z' STOP t'2017-02-27T21:37:11.214Z'`, objects), false);
    assert.equal(matches(`${FILE} START t'2017-02-27T21:37:11.213Z' STOP t'2017-02-27T21:37:11.214Z'`, objects), true);
    assert.equal(matches(`${FILE} START t'2017-02-27T21:37:11.214Z' STOP t'2017-03-01T00:00:00Z'`, objects), false);
  });

  it('counts number_observed toward REPEATS', () => {
    assert.equal(matches(`${FILE} REPEATS 2 TIMES`, objects), false);
    const twice = objects.map((o) => (o.id === 'observed-data--cf8eaa41-6f4c-482e-89b9-9cd2d6a83cb1' ? { ...o, number_observed: 2 } : o));
    assert.equal(matches(`${FILE} REPEATS 2 TIMES`, twice), true);
    assert.equal(matches(`${FILE} REPEATS 3 TIMES`, twice), false);
  });
});

describe('the indicators of the shared examples against observed data', () => {
  it('malicious URL: the exact URL only', () => {
    const p = indicator('cti-documentation-examples/indicator-for-malicious-url.json');
    assert.equal(matches(p, seen(t('09:00:00'), [sco('url', { value: 'http://x4z9arb.cn/4712/' })])), true);
    assert.equal(matches(p, seen(t('09:00:00'), [sco('url', { value: 'http://x4z9arb.cn/4713/' })])), false);
  });

  it('APT1: an MD5 written hashes.md5 in the pattern and MD5 (upper case) in the SCO', () => {
    const p = indicator('cti-documentation-examples/apt1.json', 'file:hashes.md5');
    const md5 = /'([0-9a-f]{32})'/.exec(p)![1]!;
    assert.equal(matches(p, seen(t('09:00:00'), [sco('file', { hashes: { MD5: md5.toUpperCase() } })])), true);
    assert.equal(matches(p, seen(t('09:00:00'), [sco('file', { hashes: { 'SHA-1': md5 } })])), false);
  });

  it('APT1: a CIDR block stands for its addresses', () => {
    const p = indicator('cti-documentation-examples/apt1.json', "'223.166.0.0/15'");
    assert.equal(matches(p, seen(t('09:00:00'), [sco('ipv4-addr', { value: '223.167.1.2' })])), true);
    assert.equal(matches(p, seen(t('09:00:00'), [sco('ipv4-addr', { value: '223.168.0.1' })])), false);
  });

  it('APT1: issuer AND serial number of one certificate', () => {
    const p = indicator('cti-documentation-examples/apt1.json', "'CN=WEBMAIL'");
    const cert = (serial: string): Obj[] => seen(t('09:00:00'), [sco('x509-certificate', { issuer: 'CN=WEBMAIL', serial_number: serial })]);
    assert.equal(matches(p, cert('4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28')), true);
    assert.equal(matches(p, cert('4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:29')), false);
  });

  it('Poison Ivy: a domain (any case) or an address', () => {
    const p = indicator('cti-documentation-examples/poisonivy.json', "[domain-name:value = 'www.webserver.dynssl.com'");
    assert.equal(matches(p, seen(t('09:00:00'), [sco('domain-name', { value: 'WWW.WebServer.DynSSL.com' })])), true);
    assert.equal(matches(p, seen(t('09:00:00'), [sco('ipv4-addr', { value: '219.90.112.197' })])), true);
    assert.equal(matches(p, seen(t('09:00:00'), [sco('domain-name', { value: 'www.webserver.dynssl.org' })])), false);
  });

  it("granular markings: follows from_ref to the sender address, reading the example's \\b as RE2 does", () => {
    const p = indicator('cti-documentation-examples/using-granular-markings.json');
    assert.ok(p.includes("'.+\\\\banking@g0thamnatl\\\\.com$'"), p);
    const mail = (from: string): Obj[] => {
      const addr = sco('email-addr', { value: from });
      return seen(t('09:00:00'), [sco('email-message', { is_multipart: false, subject: 'Your account', from_ref: addr.id }), addr]);
    };
    // The regex is .+\banking@…: a word boundary, then "anking@" (the b belongs to \b).
    assert.equal(matches(p, mail('alerts.anking@g0thamnatl.com')), true);
    assert.equal(matches(p, mail('alerts.banking@g0thamnatl.com')), false);
    assert.equal(matches(p, mail('alerts.anking@g0thamnatl.com.example')), false);
  });

  it('malicious e-mail attachment: body_multipart[*].body_raw_ref.name, in the deprecated objects form too', () => {
    const p = indicator('json-schemas/examples/malicious-email-indicator-with-attachment.json', 'body_raw_ref');
    const mail = (name: string): Obj[] => {
      const file = sco('file', { name });
      const msg = sco('email-message', { is_multipart: true, body_multipart: [{ content_type: 'text/plain', body: 'See attached.' }, { content_type: 'application/octet-stream', body_raw_ref: file.id }] });
      return seen(t('09:00:00'), [msg, file]);
    };
    assert.equal(matches(p, mail('Final Report 2016.exe')), true);
    assert.equal(matches(p, mail('Final Report 2016.pdf')), false);
    const dict = (name: string): Obj[] => [
      {
        type: 'observed-data', id: 'observed-data--dict', first_observed: t('09:00:00'), last_observed: t('09:00:00'), number_observed: 1,
        objects: { '0': { type: 'email-message', is_multipart: true, body_multipart: [{ body_raw_ref: '1' }] }, '1': { type: 'file', name } },
      },
    ];
    assert.equal(matches(p, dict('Final Report Q3.exe')), true);
    assert.equal(matches(p, dict('Summary.exe')), false);
  });

  it("malicious e-mail subject: the example's [IMPORTANT] is a regex character class (one letter), as written", () => {
    const p = indicator('json-schemas/examples/malicious-email-indicator-with-attachment.json', 'subject');
    const subject = (s: string): Obj[] => seen(t('09:00:00'), [sco('email-message', { is_multipart: false, subject: s })]);
    assert.equal(matches(p, subject('[IMPORTANT] Please Review Before Friday')), false);
    assert.equal(matches(p, subject('I Please Review Before Friday')), true);
  });

  it('a reference to an object not given reaches nothing', () => {
    const p = indicator('cti-documentation-examples/using-granular-markings.json');
    assert.equal(matches(p, seen(t('09:00:00'), [sco('email-message', { is_multipart: false, from_ref: 'email-addr--not-here' })])), false);
  });
});

describe('observation operators and qualifiers over timed observations', () => {
  // The STIX 2.1 specification's FOLLOWEDBY … WITHIN example (part 9, examples).
  const SPEC = "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS";
  const ip = (at: string | [string, string], value = '203.0.113.33'): Obj[] => seen(at, [sco(value.includes(':') ? 'ipv6-addr' : 'ipv4-addr', { value })]);
  const dom = (at: string | [string, string]): Obj[] => seen(at, [sco('domain-name', { value: 'example.com' })]);

  it('FOLLOWEDBY … WITHIN: in order and in time', () => {
    assert.equal(matches(SPEC, [...ip(t('10:00:00')), ...dom(t('10:05:00'))]), true);
    assert.equal(matches(SPEC, [...ip(t('10:00:00'), '2001:db8:dead:beef:dead:beef:dead:1'), ...dom(t('10:05:00'))]), true, 'the same IPv6 address, written short');
    assert.equal(matches(SPEC, [...ip(t('10:00:00')), ...dom(t('10:10:00'))]), true, 'WITHIN includes its bound');
  });

  it('FOLLOWEDBY … WITHIN: wrong order, too late, wrong value', () => {
    assert.equal(matches(SPEC, [...dom(t('10:00:00')), ...ip(t('10:05:00'))]), false);
    assert.equal(matches(SPEC, [...ip(t('10:00:00')), ...dom(t('10:10:01'))]), false);
    assert.equal(matches(SPEC, [...ip(t('10:00:00'), '203.0.113.34'), ...dom(t('10:05:00'))]), false);
  });

  it('FOLLOWEDBY: one observation cannot follow itself, nor overlapping windows follow each other', () => {
    const both = seen(t('10:00:00'), [sco('ipv4-addr', { value: '198.51.100.1' }), sco('domain-name', { value: 'example.com' })]);
    assert.equal(matches(SPEC, both), false);
    assert.equal(matches(SPEC, [...ip([t('10:00:00'), t('10:03:00')]), ...dom([t('10:02:00'), t('10:04:00')])]), false, 'which came first is not known');
    assert.equal(matches(SPEC, [...ip([t('10:00:00'), t('10:02:00')]), ...dom([t('10:02:00'), t('10:04:00')])]), true);
  });

  it('WITHIN spans windows whole: an observation over 11 minutes cannot be within 10', () => {
    assert.equal(matches(SPEC, [...ip([t('09:59:00'), t('10:00:00')]), ...dom([t('10:05:00'), t('10:10:00')])]), false);
    assert.equal(matches(SPEC, [...ip([t('10:00:00'), t('10:01:00')]), ...dom([t('10:05:00'), t('10:10:00')])]), true);
  });

  it('chooses, among many observations, a set that works', () => {
    const noise = [...dom(t('09:00:00')), ...ip(t('09:30:00')), ...dom(t('09:45:00'))];
    assert.equal(matches(SPEC, [...noise, ...ip(t('11:00:00')), ...dom(t('11:09:59'))]), true);
    assert.equal(matches(SPEC, noise), false);
  });

  const SHA = "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']";
  const drop = (at: string | [string, string], n = 1): Obj[] => seen(at, [sco('file', { name: 'x.exe', hashes: { 'SHA-256': 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c' } })], n);
  const other = (at: string): Obj[] => seen(at, [sco('file', { name: 'y.exe', hashes: { 'SHA-256': '0'.repeat(64) } })]);

  it('REPEATS … WITHIN: enough distinct observations close enough', () => {
    const p = `${SHA} REPEATS 3 TIMES WITHIN 60 SECONDS`;
    assert.equal(indicator('cti-documentation-examples/malware-indicator-for-file-hash.json'), SHA, 'the example indicator, with qualifiers added');
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:20')), ...drop(t('10:00:40'))]), true);
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:20')), ...drop(t('10:01:10'))]), false, 'outside the window');
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:20')), ...other(t('10:00:30'))]), false, 'too few');
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:50')), ...drop(t('10:01:10')), ...drop(t('10:01:40'))]), true, 'the last three');
  });

  it('REPEATS: number_observed counts, within its window', () => {
    const p = `${SHA} REPEATS 3 TIMES WITHIN 60 SECONDS`;
    assert.equal(matches(p, drop([t('10:00:00'), t('10:00:30')], 3)), true);
    assert.equal(matches(p, drop([t('10:00:00'), t('10:01:30')], 3)), false, 'three sightings over 90 s are not shown to be within 60 s');
    assert.equal(matches(p, [...drop([t('10:00:00'), t('10:00:30')], 2), ...drop(t('10:00:45'))]), true);
    assert.equal(matches(`${SHA} REPEATS 999999999 TIMES`, drop(t('10:00:00'), 999_999_999)), true);
    assert.equal(matches(`${SHA} REPEATS 1000 TIMES`, [...drop(t('10:00:00'), 998), ...drop(t('10:00:01'))]), false);
  });

  it('REPEATS beside AND: the repeats and the other side need distinct observations', () => {
    const p = `(${SHA} REPEATS 2 TIMES) AND [file:name = 'x.exe']`;
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:01'))]), false);
    assert.equal(matches(p, [...drop(t('10:00:00')), ...drop(t('10:00:01')), ...drop(t('10:00:02'))]), true);
    assert.equal(matches(p, drop(t('10:00:00'), 3)), true);
    assert.equal(matches(`([file:name = 'x.exe'] AND [file:name = 'y.exe']) REPEATS 2 TIMES`, [...drop(t('10:00:00'), 2), ...other(t('10:00:05')), ...other(t('10:00:06'))]), true);
    assert.equal(matches(`([file:name = 'x.exe'] AND [file:name = 'y.exe']) REPEATS 2 TIMES`, [...drop(t('10:00:00'), 2), ...other(t('10:00:05'))]), false);
  });

  it('START/STOP around the C2 address indicator', () => {
    const p = `${indicator('json-schemas/examples/indicator-for-c2-ip-address.json')} START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`;
    const c2 = (at: string | [string, string]): Obj[] => seen(at, [sco('ipv4-addr', { value: '10.0.0.0' })]);
    assert.equal(matches(p, c2('2016-06-01T00:00:00Z')), true);
    assert.equal(matches(p, c2('2016-06-30T23:59:59.999Z')), true);
    assert.equal(matches(p, c2('2016-07-01T00:00:00Z')), false);
    assert.equal(matches(p, c2('2016-05-31T23:59:59.999Z')), false);
    assert.equal(matches(p, c2(['2016-05-31T23:59:00Z', '2016-06-01T00:01:00Z'])), false, 'a window that starts before START');
  });

  it('qualifiers on one side apply to that side only', () => {
    const p = `([file:name = 'x.exe'] START t'2026-03-02T10:00:00Z' STOP t'2026-03-02T11:00:00Z') FOLLOWEDBY [file:name = 'y.exe']`;
    assert.equal(matches(p, [...drop(t('10:30:00')), ...other(t('12:00:00'))]), true);
    assert.equal(matches(p, [...drop(t('09:30:00')), ...other(t('12:00:00'))]), false);
  });

  it('answers quickly for REPEATS over many observations', () => {
    const many = Array.from({ length: 3000 }, (_, i) => drop(new Date(Date.parse(t('00:00:00')) + i * 30_000).toISOString())).flat();
    const started = performance.now();
    assert.equal(matches(`${SHA} REPEATS 100 TIMES WITHIN 3000 SECONDS`, many), true);
    assert.equal(matches(`${SHA} REPEATS 100 TIMES WITHIN 2969 SECONDS`, many), false);
    assert.ok(performance.now() - started < 2000, 'under two seconds');
  });

  it('refuses, with an error, a search that would not end', () => {
    const many = Array.from({ length: 40 }, (_, i) => drop(new Date(Date.parse(t('00:00:00')) + i * 1000).toISOString())).flat();
    assert.throws(
      () => matches(`(${SHA} REPEATS 12 TIMES) AND [file:name = 'y.exe']`, many),
      (e: unknown) => e instanceof InputError && e.code === 'STIX_PATTERN_COST' && /more than 1000000 combinations of these 40 observations/.test(e.message),
    );
  });
});

describe('observationsFromStix: what is wrong with the observed data, and where', () => {
  const good = (): Obj[] => seen(t('10:00:00'), [sco('file', { name: 'a' })]);
  const broken = (change: Obj): Obj[] => {
    const [od, ...rest] = good();
    return [{ ...od!, ...change }, ...rest];
  };
  const why = (objects: readonly unknown[]): string => {
    try {
      observationsFromStix(objects);
    } catch (e) {
      assert.ok(e instanceof InputError);
      return e.message;
    }
    return 'read';
  };

  it('names the object and the property', () => {
    assert.equal(why(good()), 'read');
    assert.match(why(broken({ first_observed: undefined })), /^observed\[0\] \(observed-data--\d+\): first_observed is missing$/);
    assert.match(why(broken({ last_observed: '2026-02-30T10:00:00Z' })), /last_observed "2026-02-30T10:00:00Z" is not a STIX timestamp/);
    assert.match(why(broken({ last_observed: '2026-03-02 10:00:00' })), /not a STIX timestamp/);
    assert.match(why(broken({ last_observed: t('09:00:00') })), /last_observed .* is before first_observed/);
    assert.match(why(broken({ number_observed: 0 })), /number_observed must be a whole number from 1/);
    assert.match(why(broken({ number_observed: '2' })), /number_observed must be a whole number/);
    assert.match(why(broken({ object_refs: ['file--missing'] })), /object_refs names file--missing, which is not in observed/);
    assert.match(why(broken({ objects: { '0': { type: 'file', name: 'a' } } })), /has both object_refs and objects/);
    assert.match(why(broken({ object_refs: undefined })), /has neither object_refs nor a non-empty objects dictionary/);
    assert.match(why([...good(), 'file--x']), /^observed\[2\] is not a STIX object/);
  });

  it('skips relationships and sightings in object_refs, and resolves reference cycles', () => {
    const parent = sco('process', { pid: 1 });
    const child = sco('process', { pid: 2, parent_ref: parent.id });
    parent.child_refs = [child.id];
    const objects = seen(t('10:00:00'), [parent, child]);
    (objects[0]!.object_refs as string[]).push('relationship--00000000-0000-4000-8000-000000000001');
    assert.equal(matches('[process:child_refs[*].parent_ref.child_refs[0].pid = 2]', objects), true);
    assert.equal(matches('[process:parent_ref.pid = 1 AND process:pid = 2]', objects), true);
  });

  it('makes no observation of an empty list: nothing matches', () => {
    assert.deepEqual(observationsFromStix([]), []);
    assert.equal(matches("[file:name = 'a']", []), false);
  });
});
