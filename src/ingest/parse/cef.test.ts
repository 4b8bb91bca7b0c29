import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from './index.js';
import { flatten, haveLogs, sampleLines } from './testdata.js';

const RECEIVED = new Date('2026-07-01T00:00:00Z');

function cef(text: string, opts = {}): { flat: Record<string, unknown>; error?: string; format: string; device?: string } {
  const parsed = parseMessage(text, { receivedAt: RECEIVED, ...opts });
  return { flat: flatten(parsed.event), error: parsed.error, format: parsed.format, device: parsed.device };
}

test('CEF header escapes \\| and \\\\; extension escapes \\=, \\\\, \\n; values with spaces and an = inside', () => {
  const { flat, error } = cef(
    'CEF:0|Sec\\|Corp|Sensor\\\\X|2.1|4001|Login by a\\|b|High|suser=Chen Wei msg=a\\=b c\\\\d\\nnext request=https://x.tw/p?q=1&r=2 cs1Label=note cs1=odd = sign',
  );
  assert.equal(error, undefined);
  assert.equal(flat['cef.device.vendor'], 'Sec|Corp');
  assert.equal(flat['cef.device.product'], 'Sensor\\X');
  assert.equal(flat['cef.name'], 'Login by a|b');
  assert.equal(flat['event.severity'], 7);
  assert.equal(flat['event.code'], '4001');
  assert.equal(flat['source.user.name'], 'Chen Wei');
  assert.equal(flat['message'], 'a=b c\\d\nnext'); // msg overrides the header name, as in decode_cef
  assert.equal(flat['url.original'], 'https://x.tw/p?q=1&r=2');
  assert.equal(flat['url.query'], 'q=1&r=2');
  assert.equal(flat['cef.extensions.deviceCustomString1Label'], 'note');
  assert.equal(flat['cef.extensions.deviceCustomString1'], 'odd = sign'); // `= ` is not a key
});

test('CEF header with too few fields: an error naming how many and where, and what was read', () => {
  const text = 'CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Web';
  const { flat, error } = cef(text);
  assert.equal(error, `CEF header: 5 of 7 fields before the extension (at char ${text.length})`);
  assert.equal(flat['observer.vendor'], 'Elastic');
  assert.equal(flat['event.code'], '18');
  assert.equal(flat.message, text);
});

test('CEF: a trailing lone backslash, an unterminated escape, empty values, a bad port, and no extension at all', () => {
  const { flat, error } = cef('CEF:0|V|P|1|2|N|5|src=10.0.0.1 spt=notaport duser= fname=C:\\\\temp\\\\ cs2=end\\');
  assert.match(error ?? '', /CEF extension spt: "notaport" is not a valid integer/);
  assert.equal(flat['source.ip'], '10.0.0.1');
  assert.equal(flat['cef.extensions.sourcePort'], 'notaport'); // kept, as text
  assert.equal(flat['source.port'], undefined);
  assert.equal(flat['cef.extensions.destinationUserName'], undefined);
  assert.equal(flat['file.name'], 'C:\\temp\\');
  assert.equal(flat['cef.extensions.deviceCustomString2'], 'end\\');
  const bare = cef('CEF:0|V|P|1|2|N|5|');
  assert.equal(bare.error, undefined);
  assert.equal(bare.flat['cef.extensions'], undefined);
  const garbage = cef('CEF:0|V|P|1|2|N|5|%%% not key value');
  assert.match(garbage.error ?? '', /CEF extension: "key=" expected \(at char 18\)/);
});

test('CEF times: rt in epoch ms, MMM dd yyyy HH:mm:ss with a zone, and dtz for a zone-less one', () => {
  assert.equal(cef('CEF:0|V|P|1|2|N|5|rt=1700000000123').flat['@timestamp'], '2023-11-14T22:13:20.123Z');
  assert.equal(cef('CEF:0|V|P|1|2|N|5|rt=Nov 14 2023 22:13:20 UTC').flat['@timestamp'], '2023-11-14T22:13:20.000Z');
  assert.equal(cef('CEF:0|V|P|1|2|N|5|rt=Nov 14 2023 22:13:20 dtz=Asia/Taipei').flat['@timestamp'], '2023-11-14T22:13:20.000+08:00');
  assert.equal(cef('CEF:0|V|P|1|2|N|5|rt=Nov 14 2023 22:13:20', { timezone: '+09:00' }).flat['@timestamp'], '2023-11-14T22:13:20.000+09:00');
  assert.equal(cef('CEF:0|V|P|1|2|N|5|end=1700000000000 start=1699999999000').flat['event.end'], '2023-11-14T22:13:20.000Z');
  const bad = cef('CEF:0|V|P|1|2|N|5|rt=someday');
  assert.match(bad.error ?? '', /rt: "someday" is not a valid time/);
  assert.equal(bad.flat['@timestamp'], '2026-07-01T00:00:00.000Z'); // fell back to the arrival time
});

test('CEF behind a syslog header, behind a relay prefix, and the device kind from the vendor', () => {
  const syslog = cef('<134>Feb 10 10:00:00 fw01 CEF:0|Fortinet|Fortigate|7.2|0000000013|traffic|3|src=10.1.1.1 dst=8.8.8.8 act=accept');
  assert.equal(syslog.format, 'cef');
  assert.equal(syslog.device, 'fortigate');
  assert.equal(syslog.flat['log.syslog.hostname'], 'fw01');
  assert.equal(syslog.flat['event.action'], 'accept');
  assert.deepEqual(syslog.flat['related.ip'], ['10.1.1.1', '8.8.8.8']);
  const tagged = cef('<134>Feb 10 10:00:00 fw01 ArcSight: CEF:0|Trend Micro|Deep Security|20|100|Malware|8|fname=evil.exe');
  assert.equal(tagged.format, 'cef');
  assert.equal(tagged.device, 'trendmicro');
  assert.equal(tagged.flat['log.syslog.appname'], 'ArcSight');
  const relayed = cef('2024-01-01T00:00:00Z relay01 forwarded CEF:0|V|P|1|2|N|5|src=1.2.3.4');
  assert.equal(relayed.format, 'cef');
  assert.equal(relayed.flat['source.ip'], '1.2.3.4');
});

test('CEF keys named __proto__ and constructor are plain fields and pollute nothing', () => {
  const { flat } = cef('CEF:0|V|P|1|2|N|5|__proto__=polluted constructor=x toString=y');
  assert.equal(flat['cef.extensions.__proto__'], 'polluted');
  assert.equal(flat['cef.extensions.constructor'], 'x');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
});

test('CEF with an IPv6 address and a file hash: canonical address, hash by its length', () => {
  const { flat } = cef('CEF:0|V|P|1|2|N|5|src=2001:DB8:0:0:0:0:0:1 fileHash=F610428EBDDF6F8CF9E39322E672583C45FCDCF885EFAD0AB48FD53A3DFC2C4B');
  assert.equal(flat['source.ip'], '2001:db8::1');
  assert.equal(flat['file.hash.sha256'], 'f610428ebddf6f8cf9e39322e672583c45fcdcf885efad0ab48fd53a3dfc2c4b');
});

test('LEEF 2.0 with ^ and with a hex delimiter; LEEF 1.0 with tabs', () => {
  const caret = parseMessage('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21^usrName=joe', { receivedAt: RECEIVED });
  assert.equal(caret.error, undefined);
  const c = flatten(caret.event);
  assert.equal(c['leef.delimiter'], '^');
  assert.equal(c['destination.port'], 21);
  assert.equal(c['user.name'], 'joe');
  assert.equal(c['event.severity'], 5);
  const hex = flatten(parseMessage('LEEF:2.0|V|P|1|E|x09|src=10.0.1.8\tdst=10.0.0.5', { receivedAt: RECEIVED }).event);
  assert.equal(hex['leef.delimiter'], '\t');
  assert.equal(hex['destination.ip'], '10.0.0.5');
  const zeroX = flatten(parseMessage('LEEF:2.0|V|P|1|E|0x7C|src=10.0.1.8|dst=10.0.0.5', { receivedAt: RECEIVED }).event);
  assert.equal(zeroX['source.ip'], '10.0.1.8');
  assert.equal(zeroX['destination.ip'], '10.0.0.5');
  const v1 = flatten(parseMessage('LEEF:1.0|V|P|1|E|src=10.0.1.8\tusrName=a b\tdevTime=2024-03-01 10:00:00.250', { receivedAt: RECEIVED, timezone: '+08:00' }).event);
  assert.equal(v1['user.name'], 'a b');
  assert.equal(v1['@timestamp'], '2024-03-01T10:00:00.250+08:00');
  const short = parseMessage('LEEF:1.0|V|P', { receivedAt: RECEIVED });
  assert.match(short.error ?? '', /LEEF header: 2 of 5 fields before the attributes \(at char 12\)/);
});

test('LEEF 1.0 from Panda Adaptive Defense (Wazuh ruleset samples): tab-separated, devTime with microseconds', { skip: !haveLogs() }, () => {
  const lines = sampleLines('wazuh-ruleset-tests/panda_paps.ini').filter((l) => l.includes('LEEF:'));
  assert.ok(lines.length > 5);
  for (const raw of lines) {
    const line = raw.slice(raw.indexOf('LEEF:'));
    const parsed = parseMessage(line, { receivedAt: RECEIVED });
    assert.equal(parsed.format, 'leef');
    assert.equal(parsed.device, 'panda');
    const flat = flatten(parsed.event);
    assert.equal(flat['leef.vendor'], 'Panda Security');
    assert.match(String(flat['@timestamp']), /^2019-05-09T2\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof flat['source.ip'], 'string');
  }
});

test('CEF from a firewall naming an address pair is network traffic seen by a firewall (for Sigma firewall rules)', () => {
  const classify = (raw: string) => {
    const e = parseMessage(raw).event as { event?: { category?: unknown }; observer?: { type?: unknown } };
    return [e.event?.category ?? null, e.observer?.type ?? null];
  };
  assert.deepEqual(classify('CEF:0|Fortinet|FortiGate|7.6|13|traffic|3|src=10.0.0.5 dst=203.0.113.5 dpt=4444'), [['network'], 'firewall']);
  assert.deepEqual(classify('CEF:0|Cisco|ASA|9.16|106023|Deny tcp|5|src=10.0.0.5 dst=203.0.113.5'), [['network'], 'firewall']);
  assert.deepEqual(classify('CEF:0|Cisco|IOS Router|15|1|login|3|src=10.0.0.5 dst=203.0.113.5'), [null, null], 'a router is not a firewall');
  assert.deepEqual(classify('CEF:0|Trend Micro|Deep Security Agent|20|4000000|Eicar_test_file|6|src=10.0.0.5 dst=10.0.0.6'), [null, null], 'an anti-malware agent is not a firewall');
  assert.deepEqual(classify('CEF:0|Fortinet|FortiGate|7.6|32001|admin login|3|duser=admin'), [null, null], 'no address pair: not traffic');
});
