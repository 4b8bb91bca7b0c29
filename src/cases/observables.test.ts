import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { EventRecord } from '../core/index.js';
import { checkObservable, normalizeIp } from './observable-values.js';
import { MAX_OBSERVABLES_PER_EVENT, observablesOf } from './observables.js';
import type { Observable } from './types.js';

const SAMPLES = fileURLToPath(new URL('../../../shared/data/events/evtx-attack-samples/', import.meta.url));
const ELASTIC = fileURLToPath(new URL('../../../shared/data/logs/elastic-integrations/', import.meta.url));

/** The events of one sample file (read-only, never copied into the repository). */
function events(file: string): EventRecord[] {
  return readFileSync(join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EventRecord);
}

function find(file: string, pred: (e: EventRecord) => boolean): EventRecord {
  const e = events(file).find(pred);
  assert.ok(e, `an event in ${file}`);
  return e;
}

const values = (obs: readonly Observable[], type: Observable['type']): string[] => obs.filter((o) => o.type === type).map((o) => o.value);

describe('observablesOf on real Windows events', () => {
  it('takes a Sysmon process creation apart: four hashes with their algorithm, account, host, image and parent', () => {
    const e = find('Defense Evasion/faxhell_sysmon_7_1_18_3_bindshell_dllhijack.jsonl', (x) => x['EventID'] === 1 && x['Image'] === 'C:\\Windows\\System32\\cmd.exe');
    const obs = observablesOf(e);
    const hashes = obs.filter((o) => o.type === 'hash').map((o) => `${o.algorithm}:${o.value}`);
    assert.deepEqual(hashes.sort(), [
      'imphash:272245e2988e1e430500b852c4fb5e18',
      'md5:975b45b669930b0cc773eaf2b414206f',
      'sha1:8c5437cd76a89ec983e3b364e219944da3dab464',
      'sha256:3656f37a1c6951ec4496fabb8ee957d3a6e3c276d5a3785476b482c9c0d32ea2',
    ]);
    assert.deepEqual(values(obs, 'user'), ['NT AUTHORITY\\SYSTEM']);
    assert.deepEqual(values(obs, 'host'), ['msedgewin10']);
    assert.deepEqual(values(obs, 'file'), ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\svchost.exe']);
  });

  it('reads a Sysmon network connection: both IPs, the remote name as a domain, the local name as a host', () => {
    const e = find('AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.jsonl', (x) => x['DestinationHostname'] === 'ams15s30-in-f4.1e100.net');
    const obs = observablesOf(e);
    assert.deepEqual(values(obs, 'ip'), ['10.0.2.15', '172.217.17.132']);
    assert.deepEqual(values(obs, 'domain'), ['ams15s30-in-f4.1e100.net']);
    assert.deepEqual(values(obs, 'host'), ['msedgewin10', 'msedgewin10.home']);
    assert.deepEqual(values(obs, 'user'), ['MSEDGEWIN10\\IEUser']);
  });

  it('turns an IPv4-mapped IPv6 peer of a Kerberos event into the IPv4 address, and qualifies the account', () => {
    const e = find('Credential Access/kerberos_pwd_spray_4771.jsonl', (x) => x['IpAddress'] === '::ffff:172.16.66.1');
    const obs = observablesOf(e);
    assert.ok(values(obs, 'ip').includes('172.16.66.1'));
    assert.ok(!values(obs, 'ip').some((v) => v.includes('ffff')));
    assert.ok(values(obs, 'user').every((u) => u.startsWith('THREEBEESCO.COM\\')), values(obs, 'user').join(' '));
  });

  it('does not take the group of a "member added to group" event (4732) for an account', () => {
    const e = find('Persistence/Network_Service_Guest_added_to_admins_4732.jsonl', (x) => x['EventID'] === 4732);
    const users = values(observablesOf(e), 'user');
    assert.deepEqual(users, ['MSEDGEWIN10\\IEUser']);
  });

  it('skips a malformed host name (IEWIN7..home) and the "-" placeholders', () => {
    const e = find('Execution/exec_wmic_xsl_internet_sysmon_3_1_11.jsonl', (x) => x['SourceHostname'] === 'IEWIN7..home');
    const obs = observablesOf(e);
    assert.ok(!obs.some((o) => o.value.includes('..')));
    assert.deepEqual(values(obs, 'host'), ['iewin7']);
    assert.deepEqual(values(obs, 'domain'), ['45-76-12-27.static.afterburst.com']);
    const dns = find('Privilege Escalation/Sysmon_UACME_64.jsonl', (x) => x['QueryName'] === 'wpad');
    const dnsObs = observablesOf(dns);
    assert.ok(!dnsObs.some((o) => o.value === '-'));
    // A single-label DNS query is a machine name lookup.
    assert.ok(values(dnsObs, 'host').includes('wpad'));
  });

  it('over every sample: every value validates, nothing is a placeholder, nothing repeats within an event', () => {
    let total = 0;
    let withHash = 0;
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : n.endsWith('.jsonl') ? [join(dir, n)] : []));
    for (const file of walk(SAMPLES)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const obs = observablesOf(JSON.parse(line) as EventRecord);
        total += obs.length;
        if (obs.some((o) => o.type === 'hash')) withHash++;
        const keys = obs.map((o) => `${o.type}|${o.algorithm ?? ''}|${o.type === 'user' || o.type === 'file' ? o.value.toLowerCase() : o.value}`);
        assert.equal(new Set(keys).size, keys.length, `${file}: duplicates in ${keys.join(' ')}`);
        for (const o of obs) {
          assert.ok(!['-', '', 'null'].includes(o.value.toLowerCase()), `${file}: placeholder ${o.type}`);
          const again = checkObservable(o.type, o.value, o.algorithm);
          assert.notEqual(typeof again, 'string', `${file}: ${o.type} ${o.value} does not validate: ${String(again)}`);
          if (typeof again !== 'string') assert.equal(again.value, o.value, 'normalisation is idempotent');
        }
      }
    }
    // 8,255 events; Sysmon process, image-load and file events carry hashes.
    assert.ok(total > 20_000, `${total} observables`);
    assert.ok(withHash > 2000, `${withHash} events with hashes`);
  });
});

describe('observablesOf on ECS events', () => {
  it('reads nested ECS from a PAN-OS threat log as Elastic maps it, including its scheme-less URL', () => {
    const doc = JSON.parse(readFileSync(join(ELASTIC, 'panw/test-panw-panos-threat-url-no-xff-sample.log-expected.json'), 'utf8')) as { expected: EventRecord[] };
    const obs = observablesOf(doc.expected[0]!);
    assert.deepEqual(values(obs, 'ip'), ['192.168.15.224', '175.16.199.1', '192.168.1.63']);
    assert.deepEqual(values(obs, 'domain'), ['consent.cmp.oath.com']);
    assert.deepEqual(values(obs, 'url'), ['consent.cmp.oath.com/']);
    assert.deepEqual(values(obs, 'host'), ['pa-220']);
  });

  it('reads FortiGate ECS users and related IPs', () => {
    const doc = JSON.parse(readFileSync(join(ELASTIC, 'fortinet_fortigate/test-fortinet-7-6.log-expected.json'), 'utf8')) as { expected: EventRecord[] };
    const obs = observablesOf(doc.expected[0]!);
    assert.deepEqual(values(obs, 'ip').sort(), ['172.16.1.1', '172.16.1.2']);
    assert.deepEqual(values(obs, 'user'), ['admin']);
  });

  it('prefers a literal dotted key, reads hashes by algorithm and e-mail, and derives the URL host', () => {
    const obs = observablesOf({
      'source.ip': '198.51.100.7',
      source: { ip: '203.0.113.99' },
      url: { full: 'HTTPS://Evil.EXAMPLE.com:8443/a?b=1' },
      file: { hash: { sha256: 'A'.repeat(64), md5: 'nothex'.padEnd(32, 'z') }, path: '/tmp/x' },
      email: { from: { address: ['Mallory@Phish.Example.org'] } },
      related: { hash: ['d41d8cd98f00b204e9800998ecf8427e'], ip: ['2001:DB8:0:0:0:0:0:1', '999.1.1.1'] },
    });
    assert.deepEqual(values(obs, 'ip'), ['198.51.100.7', '2001:db8::1']);
    assert.deepEqual(values(obs, 'url'), ['https://evil.example.com:8443/a?b=1']);
    assert.deepEqual(values(obs, 'domain'), ['evil.example.com']);
    assert.deepEqual(obs.filter((o) => o.type === 'hash').map((o) => [o.algorithm, o.value]), [
      ['sha256', 'a'.repeat(64)],
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ]);
    assert.deepEqual(values(obs, 'email'), ['mallory@phish.example.org']);
    assert.deepEqual(values(obs, 'file'), ['/tmp/x']);
  });

  it('lifts Winlogbeat event_data names and dedupes two spellings of one IPv6 address', () => {
    const obs = observablesOf({
      winlog: { event_data: { IpAddress: 'fe80:0:0:0:647b:25b7:1cc4:b972', TargetUserName: 'bob', TargetDomainName: 'CORP' } },
      'source.ip': 'fe80::647b:25b7:1cc4:b972%12',
    });
    assert.deepEqual(values(obs, 'ip'), ['fe80::647b:25b7:1cc4:b972']);
    assert.deepEqual(values(obs, 'user'), ['CORP\\bob']);
  });
});

describe('observablesOf on hostile input', () => {
  it('bounds its output, ignores non-strings and never throws', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(observablesOf({ related: { ip: many } }).length <= MAX_OBSERVABLES_PER_EVENT, true);
    const deep: EventRecord = { a: 1 };
    let cur: EventRecord = deep;
    for (let i = 0; i < 10_000; i++) cur = { source: cur };
    assert.deepEqual(observablesOf(cur), []);
    assert.deepEqual(observablesOf({ IpAddress: 12345, Hashes: null, Computer: ['x'.repeat(5000)], User: '\u0000evil' }), []);
    assert.deepEqual(observablesOf({ Hashes: 'SHA256=,MD5==,=abc,,SHA1' + '='.repeat(10_000) }), []);
    assert.deepEqual(observablesOf({ 'url.original': 'javascript:alert(1)' }), []);
  });
});

describe('value checks', () => {
  it('normalises and rejects IPs', () => {
    assert.equal(normalizeIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeIp('[2001:db8::1]'), '2001:db8::1');
    for (const bad of ['0.0.0.0', '::', '01.2.3.4', '1.2.3', '256.1.1.1', 'fe80::zz', '']) assert.equal(normalizeIp(bad), undefined, bad);
  });

  it('explains why an analyst value is refused', () => {
    assert.match(String(checkObservable('hash', 'abc')), /3 characters/);
    assert.match(String(checkObservable('hash', 'g'.repeat(32), 'md5')), /not a md5 digest/);
    assert.match(String(checkObservable('ip', '1.2.3.999')), /not an IPv4 or IPv6/);
    assert.match(String(checkObservable('url', '/relative')), /absolute/);
    assert.deepEqual(checkObservable('hash', 'A'.repeat(40)), { type: 'hash', value: 'a'.repeat(40), algorithm: 'sha1' });
    assert.deepEqual(checkObservable('domain', 'Example.COM.'), { type: 'domain', value: 'example.com' });
  });
});
