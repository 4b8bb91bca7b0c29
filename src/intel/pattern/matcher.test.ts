import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../core/index.js';
import { LiveDetector } from '../../detect/index.js';
import { parseMessage } from '../../ingest/index.js';
import { IndicatorMatcher, ipv4Number, type PatternIndicator } from './matcher.js';

const STIX = new URL('../../../../shared/data/stix', import.meta.url).pathname;

function indicatorsOf(file: string): PatternIndicator[] {
  const bundle = JSON.parse(readFileSync(join(STIX, file), 'utf8')) as { objects: Record<string, unknown>[] };
  return bundle.objects
    .filter((o) => o.type === 'indicator')
    .map((o) => ({ id: o.id as string, name: o.name as string | undefined, pattern: o.pattern as string, validFrom: o.valid_from as string | undefined, validUntil: o.valid_until as string | undefined }));
}

let seq = 0;
const ev = (event: EventRecord, at = '2026-11-21T09:00:00Z'): { id: string; event: EventRecord; receivedAt: string } => ({ id: `e${++seq}`, event: { ...event, '@timestamp': at }, receivedAt: at });
const cef = (ext: string): EventRecord => parseMessage(`CEF:0|Fortinet|FortiGate|7.6|1|traffic|5|${ext}`, { receivedAt: new Date('2026-11-21T09:00:00Z') }).event;

describe('STIX indicators on live events', () => {
  const poison = indicatorsOf('cti-documentation-examples/poisonivy.json');
  const apt1 = indicatorsOf('cti-documentation-examples/apt1.json');
  const hash = indicatorsOf('cti-documentation-examples/malware-indicator-for-file-hash.json');
  const m = new IndicatorMatcher([...poison, ...apt1, ...hash]);

  it('compiles the shared reports’ indicators into hash lookups', () => {
    assert.deepEqual(m.problems, []);
    assert.equal(m.size, poison.length + apt1.length + hash.length);
    const s = m.stats();
    // The two x509 patterns (AND of two comparisons) are evaluated; the rest are looked up.
    const anded = [...poison, ...apt1, ...hash].filter((i) => / AND /.test(i.pattern)).length;
    assert.equal(s.evaluated, anded);
    assert.equal(s.windowed, 0);
  });

  it('matches an address from a firewall log against every indicator that names it', () => {
    const expected = poison.filter((i) => i.pattern.includes("'113.10.246.30'")).map((i) => `ioc:${i.id}`).sort();
    assert.ok(expected.length >= 3);
    const hits = m.match(ev(cef('src=10.0.0.5 dst=113.10.246.30 dpt=443')));
    assert.deepEqual(hits.map((h) => h.ruleId).sort(), expected);
    assert.deepEqual(m.match(ev(cef('src=10.0.0.5 dst=113.10.246.31 dpt=443'))), []);
  });

  it('reads a CIDR block as its addresses', () => {
    const block = apt1.find((i) => i.pattern.includes("'223.166.0.0/15'"))!;
    assert.deepEqual(m.match(ev(cef('src=223.167.1.2 dst=10.0.0.9'))).map((h) => h.ruleId), [`ioc:${block.id}`]);
    assert.deepEqual(m.match(ev(cef('src=223.168.0.1 dst=10.0.0.9'))), []);
  });

  it('masks addresses for every prefix length, IPv4 and IPv6, and never matches what is not an address', () => {
    const blocks = new IndicatorMatcher([
      { id: 'indicator--all', pattern: "[ipv4-addr:value = '0.0.0.0/0']" },
      { id: 'indicator--host', pattern: "[ipv4-addr:value = '198.51.100.7/32']" },
      { id: 'indicator--odd', pattern: "[ipv4-addr:value = '203.0.113.128/25']" },
      { id: 'indicator--v6', pattern: "[ipv6-addr:value = '2001:db8:abcd::/48']" },
    ]);
    const ids = (ip: string): string[] => blocks.match(ev({ SourceIp: ip })).map((h) => h.ruleId).sort();
    assert.deepEqual(ids('198.51.100.7'), ['ioc:indicator--all', 'ioc:indicator--host']);
    assert.deepEqual(ids('198.51.100.8'), ['ioc:indicator--all']);
    assert.deepEqual(ids('203.0.113.200'), ['ioc:indicator--all', 'ioc:indicator--odd']);
    assert.deepEqual(ids('203.0.113.127'), ['ioc:indicator--all']);
    assert.deepEqual(ids('255.255.255.255'), ['ioc:indicator--all']);
    assert.deepEqual(ids('2001:db8:abcd:12::1'), ['ioc:indicator--v6']);
    assert.deepEqual(ids('2001:db8:abce::1'), []);
    // Zoned or malformed text is not an address of the block.
    assert.deepEqual(ids('198.51.100.7%eth0'), []);
    assert.deepEqual(ids('198.51.100.07'), []);
    assert.deepEqual(ids('198.51.100'), []);
  });

  it('reads IPv4 text exactly as isIP does', () => {
    const samples = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', '256.1.1.1', '1.2.3.4 ', '', '.1.2.3', '1.2.3.', '1.2.3.4%x', '1000.1.1.1', '1.2.3.-4', '00.0.0.0', '10.0.0.01'];
    let x = 12345;
    const rand = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    const alphabet = '0123456789....x%';
    for (let i = 0; i < 20_000; i++) {
      if (i % 2 === 0) samples.push([rand(300), rand(300), rand(300), rand(300)].map((n) => (rand(10) === 0 ? `0${n}` : String(n))).join('.'));
      else samples.push(Array.from({ length: 1 + rand(16) }, () => alphabet[rand(alphabet.length)]).join(''));
    }
    for (const s of samples) {
      const n = ipv4Number(s);
      if (isIP(s) !== 4) {
        assert.equal(n, -1, s);
        continue;
      }
      assert.equal(n, s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0), s);
    }
  });

  it('matches hashes and domains whatever their case, from Sysmon and DNS events', () => {
    const sha = /'([0-9a-f]{64})'/.exec(hash[0]!.pattern)![1]!;
    const sysmon = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Users\\x\\Downloads\\invoice.exe', Hashes: `MD5=00000000000000000000000000000000,SHA256=${sha.toUpperCase()},IMPHASH=00` };
    assert.deepEqual(m.match(ev(sysmon)).map((h) => h.ruleId), [`ioc:${hash[0]!.id}`]);
    // A matcher whose patterns read only hashes builds nameless file objects: the same hit.
    assert.deepEqual(new IndicatorMatcher(hash).match(ev(sysmon)).map((h) => h.ruleId), [`ioc:${hash[0]!.id}`]);
    assert.deepEqual(new IndicatorMatcher(hash).match(ev({ ...sysmon, Hashes: 'MD5=00000000000000000000000000000000' })), []);
    const domain = poison.find((i) => i.pattern.startsWith("[domain-name:value = 'www.webserver.dynssl.com'"))!;
    const hits = m.match(ev({ dns: { question: { name: 'WWW.WebServer.DynSSL.com' } } })).map((h) => h.ruleId);
    assert.deepEqual(hits, [`ioc:${domain.id}`]);
  });

  it('builds files without hashes only when a pattern reads more than hashes', () => {
    const sha = 'a'.repeat(64);
    const byHash = new IndicatorMatcher([{ id: 'indicator--h', pattern: `[file:hashes.'SHA-256' = '${sha}']` }]);
    const byBoth = new IndicatorMatcher([
      { id: 'indicator--h', pattern: `[file:hashes.'SHA-256' = '${sha}']` },
      { id: 'indicator--n', pattern: "[file:name = 'invoice.exe']" },
    ]);
    const hashed = { Image: 'C:\\Users\\x\\invoice.exe', Hashes: `SHA256=${sha}` };
    const bare = { Image: 'C:\\Users\\x\\invoice.exe' };
    const target = { TargetFilename: 'C:\\Temp\\invoice.exe', Hashes: `SHA256=${sha.toUpperCase()}` };
    assert.deepEqual(byHash.match(ev(hashed)).map((h) => h.ruleId), ['ioc:indicator--h']);
    assert.deepEqual(byHash.match(ev(target)).map((h) => h.ruleId), ['ioc:indicator--h'], 'a written file with its hashes');
    assert.deepEqual(byHash.match(ev(bare)), []);
    assert.deepEqual(byBoth.match(ev(hashed)).map((h) => h.ruleId), ['ioc:indicator--h', 'ioc:indicator--n']);
    assert.deepEqual(byBoth.match(ev(bare)).map((h) => h.ruleId), ['ioc:indicator--n'], 'the image by name, without hashes');
    assert.deepEqual(byBoth.match(ev(target)).map((h) => h.ruleId), ['ioc:indicator--h', 'ioc:indicator--n']);
  });

  it('finds a field whatever the keys before it, event after event (the key positions it remembers)', () => {
    const addr = '198.51.100.77';
    const one = new IndicatorMatcher([{ id: 'indicator--a', pattern: `[ipv4-addr:value = '${addr}']` }]);
    // The same position holds the address field in one shape and another field in the next,
    // shapes alternate and change length, and one shape has the field twice as deep (ECS).
    const shapes: EventRecord[] = [
      { EventID: 3, SourceIp: addr, Image: 'a.exe' },
      { EventID: 3, Image: 'a.exe', SourceIp: '10.0.0.1' },
      { EventID: 3, Other: addr, Image: 'a.exe' },
      { EventID: 3, Image: 'a.exe', Extra: 'x', DestinationIp: addr },
      { source: { ip: addr }, EventID: 3 },
      { EventID: 3, SourceIp: addr, Image: 'a.exe' },
      { EventID: 3 },
    ];
    const expected = [true, false, false, true, true, true, false];
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(shapes.map((e) => one.match(ev(e)).length === 1), expected, `round ${round}`);
    }
    // A second matcher reading other groups (hash-only files) between them does not confuse either.
    const other = new IndicatorMatcher([{ id: 'indicator--h', pattern: `[file:hashes.'SHA-256' = '${'ab'.repeat(32)}']` }]);
    for (const e of shapes) {
      assert.deepEqual(other.match(ev({ ...e, Hashes: `SHA256=${'AB'.repeat(32)}` })).length, 1);
      assert.equal(one.match(ev(e)).length === 1, expected[shapes.indexOf(e)]);
    }
  });

  it('runs as a matcher of the live detector', () => {
    const d = new LiveDetector({ rules: [], filters: [], correlations: [], problems: [], versions: new Map(), fingerprint: 'none' });
    d.addMatcher(m);
    const out = d.process([ev(cef('src=10.0.0.5 dst=219.76.208.163 dpt=80'))]);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.ruleTitle, poison.find((i) => i.pattern === "[ipv4-addr:value = '219.76.208.163']")!.name);
  });
});

describe('indicator patterns beyond lookups', () => {
  it('evaluates one-observation patterns with LIKE, MATCHES (RE2) and references', () => {
    const m = new IndicatorMatcher([
      { id: 'indicator--1', pattern: "[process:command_line MATCHES '(?i)sekurlsa::logonpasswords' AND process:binary_ref.name LIKE '%.exe']" },
      { id: 'indicator--2', pattern: "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port IN (4444, 8443)]" },
    ]);
    assert.equal(m.stats().evaluated, 2);
    const proc = { Image: 'C:\\Temp\\m.exe', CommandLine: 'm.exe "privilege::debug" "SEKURLSA::LogonPasswords" exit' };
    assert.deepEqual(m.match(ev(proc)).map((h) => h.ruleId), ['ioc:indicator--1']);
    assert.deepEqual(m.match(ev({ ...proc, Image: 'C:\\Temp\\m.dll' })), []);
    assert.deepEqual(m.match(ev(cef('src=10.0.0.5 dst=198.51.100.7 dpt=4444'))).map((h) => h.ruleId), ['ioc:indicator--2']);
    assert.deepEqual(m.match(ev(cef('src=10.0.0.5 dst=198.51.100.7 dpt=443'))), []);
  });

  it('judges FOLLOWEDBY, WITHIN and REPEATS over the stream, once per completion', () => {
    const m = new IndicatorMatcher([
      { id: 'indicator--seq', pattern: "([ipv4-addr:value = '203.0.113.9'] FOLLOWEDBY [domain-name:value = 'evil.example']) WITHIN 60 SECONDS" },
      { id: 'indicator--rep', pattern: "[user-account:account_login = 'svc_backup'] REPEATS 3 TIMES WITHIN 300 SECONDS" },
    ]);
    assert.equal(m.stats().windowed, 2);
    const dns = (at: string) => ev({ dns: { question: { name: 'evil.example' } } }, at);
    const conn = (at: string) => ev(cef('src=10.0.0.5 dst=203.0.113.9'), at);
    // The domain before the address: no sequence.
    assert.deepEqual(m.match(dns('2026-11-21T09:00:00Z')), []);
    const first = conn('2026-11-21T09:00:10Z');
    assert.deepEqual(m.match(first), []);
    const second = dns('2026-11-21T09:00:30Z');
    const hit = m.match(second);
    assert.deepEqual(hit.map((h) => [h.ruleId, h.relatedEventIds]), [['ioc:indicator--seq', [first.id, second.id]]]);
    // Used up: the same address needs a new domain lookup, and 2 minutes later is too late.
    m.match(conn('2026-11-21T09:10:00Z'));
    assert.deepEqual(m.match(dns('2026-11-21T09:12:00Z')), []);

    const logon = (at: string) => ev({ TargetUserName: 'svc_backup', EventID: 4625 }, at);
    assert.deepEqual(m.match(logon('2026-11-21T10:00:00Z')), []);
    assert.deepEqual(m.match(logon('2026-11-21T10:01:00Z')), []);
    assert.deepEqual(m.match(logon('2026-11-21T10:02:00Z')).map((h) => h.ruleId), ['ioc:indicator--rep']);
    assert.deepEqual(m.match(logon('2026-11-21T10:03:00Z')), [], 'the three that fired are used up');
  });

  it('keeps to an indicator’s validity window and START/STOP', () => {
    const m = new IndicatorMatcher([
      { id: 'indicator--old', pattern: "[ipv4-addr:value = '192.0.2.1']", validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z' },
      { id: 'indicator--window', pattern: "[ipv4-addr:value = '192.0.2.2'] START t'2026-11-21T00:00:00Z' STOP t'2026-11-22T00:00:00Z'" },
    ]);
    assert.deepEqual(m.match(ev(cef('src=192.0.2.1 dst=10.0.0.1'))), []);
    assert.deepEqual(m.match(ev(cef('src=192.0.2.1 dst=10.0.0.1'), '2020-06-01T00:00:00Z')).map((h) => h.ruleId), ['ioc:indicator--old']);
    assert.deepEqual(m.match(ev(cef('src=192.0.2.2 dst=10.0.0.1'))).map((h) => h.ruleId), ['ioc:indicator--window']);
    assert.deepEqual(m.match(ev(cef('src=192.0.2.2 dst=10.0.0.1'), '2026-11-23T00:00:00Z')), []);
  });

  it('lists an indicator whose pattern is broken, with why, and loads the rest', () => {
    const m = new IndicatorMatcher([
      { id: 'indicator--bad', pattern: "[ipv4-addr:value = '192.0.2.1'" },
      { id: 'indicator--badre', pattern: "[process:command_line MATCHES '(a']" },
      { id: 'indicator--good', pattern: "[ipv4-addr:value = '192.0.2.1']" },
    ]);
    assert.equal(m.size, 1);
    assert.deepEqual(m.problems.map((p) => p.where), ['indicator--bad', 'indicator--badre']);
    assert.match(m.problems[0]!.reason, /expected '\]'/);
    assert.match(m.problems[1]!.reason, /MATCHES/);
  });
});
