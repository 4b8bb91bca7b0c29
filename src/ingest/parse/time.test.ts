import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventRecord } from '../../core/index.js';
import { canonicalIp, isIp } from './ip.js';
import { isKnownTimezone } from './index.js';
import { directionOf } from './network.js';
import { formatInstant, parseAsctime, parseIsoTime, parseLegacyTime, wallToInstant, zoneNamed } from './time.js';
import { putUrl } from './url.js';

test('zones: fixed offsets in their spellings, IANA names with daylight saving, nonsense refused', () => {
  assert.equal(zoneNamed('+08:00')!.offsetAt(0), 480);
  assert.equal(zoneNamed('-0700')!.offsetAt(0), -420);
  assert.equal(zoneNamed('+0930')!.offsetAt(0), 570);
  assert.equal(zoneNamed('GMT')!.offsetAt(0), 0);
  const berlin = zoneNamed('Europe/Berlin')!;
  assert.equal(berlin.offsetAt(Date.UTC(2026, 0, 15)), 60);
  assert.equal(berlin.offsetAt(Date.UTC(2026, 6, 15)), 120);
  assert.equal(zoneNamed('Asia/Taipei')!.offsetAt(Date.UTC(2026, 6, 15)), 480);
  assert.equal(zoneNamed('Nowhere/Special'), undefined);
  assert.equal(zoneNamed('+08:00x'), undefined);
  assert.equal(isKnownTimezone('Asia/Taipei'), true);
  assert.equal(isKnownTimezone('Taipei'), false);
});

test('a wall time in a DST zone resolves to the right instant on both sides of the change', () => {
  const zone = zoneNamed('America/New_York')!;
  const before = wallToInstant({ year: 2026, month: 3, day: 8, hour: 1, minute: 30, second: 0, millis: 0 }, zone);
  const after = wallToInstant({ year: 2026, month: 3, day: 8, hour: 3, minute: 30, second: 0, millis: 0 }, zone);
  assert.equal(formatInstant(before), '2026-03-08T01:30:00.000-05:00');
  assert.equal(formatInstant(after), '2026-03-08T03:30:00.000-04:00');
  assert.equal(after.ms - before.ms, 3_600_000);
});

test('ISO 8601 shapes: Z, ±hh:mm, ±hhmm, a space for T, no zone, long fractions cut to ms', () => {
  const a = parseIsoTime('2018-07-05T15:01:09.820360-0400', 0)!;
  assert.equal(a.offset, -240);
  assert.equal(a.wall.millis, 820);
  assert.equal(formatInstant(wallToInstant(a.wall, zoneNamed('UTC')!, a.offset)), '2018-07-05T15:01:09.820-04:00');
  const b = parseIsoTime('2019-05-09 22:03:58.692466', 0)!;
  assert.equal(b.offset, undefined);
  assert.equal(b.end, 26);
  assert.equal(parseIsoTime('2019-05-09', 0), undefined);
  assert.equal(parseIsoTime('2019/05/09 22:03:58', 0), undefined);
});

test('RFC 3164 dates in their variants, and what is not one', () => {
  assert.deepEqual(parseLegacyTime('Mar  6 16:57:54 host', 0), { month: 3, day: 6, year: undefined, hour: 16, minute: 57, second: 54, millis: 0, end: 15 });
  assert.equal(parseLegacyTime('AUG 10 22:18:24 h', 0)!.month, 8);
  assert.equal(parseLegacyTime('Mar 7 2008 19:06:53: example', 0)!.year, 2008);
  assert.equal(parseLegacyTime('Mar 7 19:06:53: example', 0)!.end, 15);
  assert.equal(parseLegacyTime('Mar  6 16:57:54.123 host', 0)!.millis, 123);
  assert.equal(parseLegacyTime('Mar 6 16:57:54x', 0), undefined);
  assert.equal(parseLegacyTime('Maz 6 16:57:54', 0), undefined);
  assert.deepEqual(parseAsctime('Mon May  9 09:41:59 2022'), { year: 2022, month: 5, day: 9, hour: 9, minute: 41, second: 59, millis: 0 });
});

test('formatInstant: out-of-range instants give no timestamp instead of a wrong one', () => {
  assert.equal(formatInstant({ ms: 9e15, offset: 0 }), '');
  assert.equal(formatInstant({ ms: Number.NaN, offset: 0 }), '');
  assert.equal(formatInstant({ ms: 0, offset: -90 }), '1969-12-31T22:30:00.000-01:30');
});

test('IP addresses: canonical IPv6 (RFC 5952), IPv4 without leading zeros, host names refused', () => {
  assert.equal(canonicalIp('fe80:0000:0000:0000:fada:0cff:fedc:87f1'), 'fe80::fada:cff:fedc:87f1');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '::ffff:c000:201');
  assert.equal(canonicalIp('2001:DB8::1'), '2001:db8::1');
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('010.0.0.1'), undefined);
  assert.equal(canonicalIp('10.321.1.123'), undefined);
  assert.equal(canonicalIp('1::2::3'), undefined);
  assert.equal(isIp('www.example.com'), false);
  assert.equal(directionOf('10.0.0.1', '8.8.8.8'), 'outbound');
  assert.equal(directionOf('8.8.8.8', '192.168.1.1'), 'inbound');
  assert.equal(directionOf('172.16.1.2', '172.16.1.1'), 'internal');
  assert.equal(directionOf('fd00::1', 'fe80::1'), 'internal');
});

test('URLs: absolute with port and query, bracketed IPv6 host, a bare path, PAN-OS without a scheme', () => {
  const a: EventRecord = {};
  putUrl(a, 'HTTPS://user@x.tw:8443/a/b.php?q=1#frag');
  assert.deepEqual(a.url, { original: 'HTTPS://user@x.tw:8443/a/b.php?q=1#frag', scheme: 'https', port: 8443, domain: 'x.tw', fragment: 'frag', path: '/a/b.php', query: 'q=1', extension: 'php' });
  const b: EventRecord = {};
  putUrl(b, 'http://[2001:db8::1]:8080/');
  assert.equal((b.url as EventRecord).domain, '2001:db8::1');
  assert.equal((b.url as EventRecord).port, 8080);
  const c: EventRecord = {};
  putUrl(c, '/dd.xml');
  assert.deepEqual(c.url, { original: '/dd.xml', path: '/dd.xml', extension: 'xml' });
  const d: EventRecord = {};
  putUrl(d, 'login.yahoo.com:443');
  assert.deepEqual(d.url, { original: 'login.yahoo.com:443' });
  const e: EventRecord = {};
  putUrl(e, 'consent.cmp.oath.com/x', { schemeless: true });
  assert.equal((e.url as EventRecord).domain, 'consent.cmp.oath.com');
});
