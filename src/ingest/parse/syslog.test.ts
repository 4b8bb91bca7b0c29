/**
 * The syslog header against rsyslog's own parser vectors (shared/data/logs/syslog): each
 * vector's rsyslog template field is translated to ours —
 *   %PRI% → log.syslog.priority, %syslogfacility-text% → log.syslog.facility.name,
 *   %syslogseverity-text% → log.syslog.severity.name, %timestamp% → the date and time of
 *   @timestamp as written (in its own offset), %hostname% → log.syslog.hostname
 *   ($RS_HOSTNAME, the receiver's name, → absent), %programname% → log.syslog.appname,
 *   %syslogtag% → appname plus `[procid]`, %msg% → message (rsyslog keeps the space that
 *   follows an RFC 3164 tag; we drop it).
 * Vectors where we read differently on purpose are listed in DIFFERENT with the reason.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { EventRecord } from '../../core/index.js';
import { parseMessage } from './index.js';
import { flatten, logPath, sampleLines } from './testdata.js';

const RECEIVED = new Date('2026-07-01T00:00:00Z');

interface Vector {
  rsyslog_test: string;
  input: string;
  template: string;
  expected: string;
}

const DIFFERENT: Record<string, string> = {
  'This is a message!':
    'no PRI and no timestamp: rsyslog takes the first words as host and tag; we read the line as a headerless message (an HTTP bulk line), which is what such a line is for us',
  '<167>Oct  8 23:05:06 10.321.1.123 05",result_code=200,b':
    'a word holding `=` or `,` is not taken as a program name, so FortiGate `date=…` and PAN-OS CSV payloads are not cut at their first character run',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** rsyslog's %timestamp%: `Mmm dd hh:mm:ss`, the day padded with a space. */
function rsyslogTimestamp(iso: string): string {
  const month = MONTHS[Number(iso.slice(5, 7)) - 1]!;
  const day = String(Number(iso.slice(8, 10))).padStart(2, ' ');
  return `${month} ${day} ${iso.slice(11, 19)}`;
}

function syslogTag(syslog: Record<string, unknown>): string {
  const appname = (syslog['log.syslog.appname'] as string | undefined) ?? '';
  const procid = syslog['log.syslog.procid'] as string | undefined;
  return procid ? `${appname}[${procid}]` : appname;
}

function vectors(): Vector[] {
  return sampleLines('syslog/rsyslog-parser-vectors.jsonl').map((line) => JSON.parse(line) as Vector);
}

test('rsyslog parser vectors: PRI, facility, severity, timestamp, host, tag and message as rsyslog reads them', () => {
  let checked = 0;
  for (const vector of vectors().filter((v) => v.template.startsWith('%PRI%'))) {
    if (DIFFERENT[vector.input]) continue;
    const names = vector.template.split(',').map((n) => n.replaceAll('%', ''));
    const parts = vector.expected.split(',');
    const expected: Record<string, string> = {};
    names.forEach((name, i) => {
      expected[name] = i === names.length - 1 ? parts.slice(i).join(',') : parts[i]!;
    });
    const parsed = parseMessage(vector.input, { receivedAt: RECEIVED });
    const flat = flatten(parsed.event);
    const where = `input ${JSON.stringify(vector.input)}`;
    assert.equal(String(flat['log.syslog.priority']), expected.PRI, where);
    assert.equal(flat['log.syslog.facility.name'], expected['syslogfacility-text'], where);
    assert.equal(flat['log.syslog.severity.name'], expected['syslogseverity-text'], where);
    // A Snare record's own submit time (it has a year) wins over an RFC 3164 header date.
    if (expected.timestamp !== undefined && parsed.device !== 'windows') assert.equal(rsyslogTimestamp(String(flat['@timestamp'])), expected.timestamp, where);
    if (expected.hostname !== undefined) {
      assert.equal(flat['log.syslog.hostname'], expected.hostname === '$RS_HOSTNAME' ? undefined : expected.hostname, where);
    }
    assert.equal(flat['log.syslog.appname'] ?? '', expected.programname, where);
    assert.equal(syslogTag(flat), expected.syslogtag.replace(/:$/, ''), where);
    if (parsed.device === 'windows') {
      // The Snare payload is read further: its message is the event description, not the MSG.
      assert.equal(parsed.event.EventID, 592, where);
      assert.equal(parsed.event.Channel, 'Security', where);
      assert.equal(flat['@timestamp'], '2009-10-16T16:30:44.000Z', where);
    } else {
      const msg = parsed.format === 'rfc3164' && expected.msg!.startsWith(' ') ? expected.msg!.slice(1) : expected.msg;
      assert.equal(flat.message, msg, where);
    }
    checked++;
  }
  assert.equal(checked, vectors().filter((v) => v.template.startsWith('%PRI%')).length - Object.keys(DIFFERENT).length);
});

test('the vectors we read differently are still parsed, the way DIFFERENT says', () => {
  const plain = parseMessage('This is a message!', { receivedAt: RECEIVED });
  assert.equal(plain.format, 'unknown');
  assert.equal(plain.event.message, 'This is a message!');
  assert.equal(plain.event.log, undefined);
  const kv = flatten(parseMessage('<167>Oct  8 23:05:06 10.321.1.123 05",result_code=200,b', { receivedAt: RECEIVED }).event);
  assert.equal(kv['log.syslog.hostname'], '10.321.1.123');
  assert.equal(kv['log.syslog.appname'], undefined);
  assert.equal(kv.message, '05",result_code=200,b');
});

test('rsyslog LEEF vectors: PAN-OS LEEF:1.0 with | between attributes', () => {
  for (const vector of vectors().filter((v) => v.template.includes('$!leef'))) {
    const parsed = parseMessage(vector.input, { receivedAt: RECEIVED });
    assert.equal(parsed.format, 'leef');
    assert.equal(parsed.device, 'panos');
    assert.equal(parsed.error, undefined);
    const flat = flatten(parsed.event);
    const ours = ['leef.vendor', 'leef.product_version', 'leef.attributes.src', 'leef.attributes.dst', 'leef.attributes.action', 'leef.attributes.cat', 'leef.attributes.proto', 'leef.attributes.SessionID']
      .map((path) => flat[path])
      .join('|');
    assert.equal(ours, vector.expected);
    assert.equal(flat['source.ip'], flat['leef.attributes.src']);
    assert.equal(flat['network.transport'], 'tcp');
    assert.match(String(flat['@timestamp']), /^2025-09-17T11:4\d:\d\d\.000Z$/); // devTime "Sep 17 2025 11:45:34 GMT"
  }
});

test('rsyslog fuzz seeds: each header variant', () => {
  const dir = logPath('syslog/rsyslog-fuzz-corpus');
  const seeds = Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(`${dir}/${name}`, 'utf8').replace(/\n$/, '')]));
  const basic = flatten(parseMessage(seeds['rfc3164-basic']!, { receivedAt: RECEIVED }).event);
  assert.equal(basic['log.syslog.appname'], 'su');
  assert.equal(basic.message, "'su root' failed for lonvick on /dev/pts/8");
  assert.equal(basic['@timestamp'], '2025-10-11T22:14:15.000Z'); // October is after July 2026: the year before
  const noPri = flatten(parseMessage(seeds['rfc3164-no-pri']!, { receivedAt: RECEIVED }).event);
  assert.equal(noPri['log.syslog.priority'], 13);
  assert.equal(noPri['log.syslog.hostname'], 'host.example');
  assert.equal(noPri['log.syslog.procid'], '123');
  const rfc3339 = flatten(parseMessage(seeds['rfc3164-rfc3339']!, { receivedAt: RECEIVED }).event);
  assert.equal(rfc3339['@timestamp'], '2026-07-23T09:30:45.123+02:00');
  assert.equal(rfc3339['event.timezone'], undefined); // the offset was written: no assumption made
  const short = parseMessage(seeds['rfc3164-short']!, { receivedAt: RECEIVED });
  assert.equal(flatten(short.event)['log.syslog.priority'], 0);
  const basic5424 = parseMessage(seeds['rfc5424-basic']!, { receivedAt: RECEIVED });
  assert.equal(basic5424.format, 'rfc5424');
  const b = flatten(basic5424.event);
  assert.equal(b['log.syslog.structured_data.exampleSDID@32473.eventSource'], 'Application');
  assert.equal(b['log.syslog.msgid'], 'ID47');
  assert.equal(b['log.syslog.version'], '1');
  assert.equal(b['@timestamp'], '2003-10-11T22:14:15.003Z');
  assert.equal(b.message, 'An application event log entry');
  const escaped = flatten(parseMessage(seeds['rfc5424-escaped-sd']!, { receivedAt: RECEIVED }).event);
  assert.equal(escaped['log.syslog.structured_data.meta@32473.value'], 'escaped]bracket');
  assert.equal(escaped['log.syslog.structured_data.meta@32473.quote'], '"');
  assert.equal(escaped.message, 'payload');
  const nil = parseMessage(seeds['rfc5424-nil']!, { receivedAt: RECEIVED });
  assert.equal(nil.error, undefined);
  assert.equal(nil.event.message, 'minimal');
  assert.equal(flatten(nil.event)['log.syslog.hostname'], undefined);
  assert.equal(nil.event['@timestamp'], '2026-07-01T00:00:00.000Z'); // NIL time: when it was received
});

test('RFC 5424: BOM before MSG, a backslash that escapes nothing, repeated params, NIL fields', () => {
  const parsed = parseMessage('<14>1 2024-02-29T23:59:60.5+08:00 h a 9 m [x@1 p="a\\b" p="c\\\\d"][y@2] \uFEFFhello', { receivedAt: RECEIVED });
  assert.equal(parsed.error, undefined);
  const flat = flatten(parsed.event);
  assert.deepEqual(flat['log.syslog.structured_data.x@1.p'], ['a\\b', 'c\\d']);
  assert.equal(flat.message, 'hello');
  assert.equal(flat['@timestamp'], '2024-02-29T23:59:59.999+08:00'); // leap second: last ms of the minute
  assert.equal(flat['log.syslog.procid'], '9');
});

test('RFC 5424 problems are named with their position, and what follows is kept', () => {
  const badTime = parseMessage('<14>1 yesterday host app - - - text', { receivedAt: RECEIVED });
  assert.match(badTime.error ?? '', /RFC 5424 TIMESTAMP "yesterday" is not RFC 3339 \(at char 6\)/);
  assert.equal(badTime.event.message, 'text');
  const badSd = parseMessage('<14>1 - host app - - [id a=b] text', { receivedAt: RECEIVED });
  assert.match(badSd.error ?? '', /'"' expected to open the value of a \(at char 27\)/);
  assert.equal(badSd.event.message, '[id a=b] text');
  const short = parseMessage('<14>1 2024-01-01T00:00:00Z host', { receivedAt: RECEIVED });
  assert.match(short.error ?? '', /RFC 5424 header ends before APP-NAME \(at char 31\)/);
  const bigPri = parseMessage('<999>Oct 11 22:14:15 host app: x', { receivedAt: RECEIVED });
  assert.match(bigPri.error ?? '', /PRI <999> is out of range/);
  assert.equal(bigPri.event.message, 'x');
});

test('RFC 3164 without a year or zone: defaultYear, receivedAt\'s year (a week of slack), and the configured zone', () => {
  const line = '<13>Dec 31 23:59:59 host app: x';
  assert.equal(parseMessage(line, { receivedAt: new Date('2027-01-01T00:00:05Z') }).event['@timestamp'], '2026-12-31T23:59:59.000Z');
  assert.equal(parseMessage(line, { receivedAt: new Date('2026-12-31T23:59:58Z') }).event['@timestamp'], '2026-12-31T23:59:59.000Z');
  assert.equal(parseMessage(line, { defaultYear: 2001, receivedAt: RECEIVED }).event['@timestamp'], '2001-12-31T23:59:59.000Z');
  const taipei = parseMessage('<13>Mar  1 08:00:00 host app: x', { receivedAt: RECEIVED, timezone: 'Asia/Taipei' });
  assert.equal(taipei.event['@timestamp'], '2026-03-01T08:00:00.000+08:00');
  assert.equal((taipei.event.event as EventRecord).timezone, 'Asia/Taipei');
  const newYork = parseMessage('<13>Jul  1 08:00:00 host app: x', { receivedAt: RECEIVED, timezone: 'America/New_York' });
  assert.equal(newYork.event['@timestamp'], '2026-07-01T08:00:00.000-04:00'); // daylight saving time
  const unknownZone = parseMessage('<13>Jul  1 08:00:00 host app: x', { receivedAt: RECEIVED, timezone: 'Mars/Olympus' });
  assert.match(unknownZone.error ?? '', /unknown timezone "Mars\/Olympus"/);
  assert.equal(unknownZone.event['@timestamp'], '2026-07-01T08:00:00.000Z');
  const feb29 = parseMessage('<13>Feb 29 08:00:00 host app: x', { receivedAt: RECEIVED });
  assert.match(feb29.error ?? '', /day 29 out of range for 2026-02/);
  assert.equal(feb29.event.message, 'x');
});

test('Check Point: RFC 5424 without PRI, key:"value" pairs where structured data belongs', () => {
  const line =
    '1 2019-05-15T16:25:50Z HOSTNAME CheckPoint 19710 - [action:"Drop"; ifdir:"inbound"; ifname:"eth2"; loguid:"{0x0,0x0,0x0,0x0}"; origin:"11.22.33.44"; __policy_id_tag:"product=VPN-1 & FireWall-1[db_tag={C12F};policy_name=FW\\]"; dst:"11.22.33.55"; rule_name:"CleanUp Rule"; proto:"17"; s_port:"55036"; service:"1514"; src:"11.22.33.77"; layer_name:"A"; layer_name:"B"; ike::"Main Mode"; ]';
  const parsed = parseMessage(line, { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'rfc5424');
  assert.equal(parsed.device, 'checkpoint');
  assert.equal(parsed.error, undefined);
  const flat = flatten(parsed.event);
  assert.equal(flat['log.syslog.appname'], 'CheckPoint');
  assert.equal(flat['log.syslog.priority'], undefined);
  assert.equal(flat['event.action'], 'drop');
  assert.equal(flat['event.outcome'], 'failure');
  assert.equal(flat['source.ip'], '11.22.33.77');
  assert.equal(flat['destination.port'], 1514);
  assert.equal(flat['network.transport'], 'udp');
  assert.equal(flat['rule.name'], 'CleanUp Rule');
  assert.equal(flat['checkpoint.__policy_id_tag'], 'product=VPN-1 & FireWall-1[db_tag={C12F};policy_name=FW]');
  assert.deepEqual(flat['checkpoint.layer_name'], ['A', 'B']);
  assert.equal(flat['checkpoint.ike'], 'Main Mode');
  assert.equal(flat['observer.ingress.interface.name'], 'eth2');
});

test('McAfee ePO: RFC 5424 without PRI or VERSION, an SD element, then a BOM and an XML document', () => {
  const [line] = wazuhLines('mcafee_epo.ini');
  const parsed = parseMessage(line!, { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'rfc5424');
  assert.equal(parsed.device, 'mcafee_epo');
  const flat = flatten(parsed.event);
  assert.equal(flat['log.syslog.hostname'], 'RH1WVEPO1');
  assert.equal(flat['log.syslog.appname'], 'EPOEvents');
  assert.equal(flat['log.syslog.msgid'], 'EventFwd');
  assert.equal(flat['log.syslog.structured_data.agentInfo@3401.tenantNodePath'], '1\\2');
  assert.equal(flat['@timestamp'], '2019-07-03T13:49:44.000Z');
  assert.match(String(flat.message), /^<\?xml version="1\.0"encoding="UTF-8"\?><EPOevent>/); // the BOM is not part of it
});

test('Cisco ASA and PIX: the message ID as event.code, its severity digit, with or without a syslog header', () => {
  const pix = flatten(parseMessage(vectors()[0]!.input, { receivedAt: RECEIVED }).event);
  assert.equal(pix['event.code'], '710005');
  assert.equal(pix['event.severity'], 7);
  assert.equal(pix['observer.product'], 'PIX');
  let asaLines = 0;
  for (const line of wazuhLines('cisco_asa.ini')) {
    const parsed = parseMessage(line, { receivedAt: RECEIVED });
    assert.equal(parsed.device, 'cisco_asa', line);
    const flat = flatten(parsed.event);
    assert.match(String(flat['event.code']), /^\d{6}$/);
    assert.equal(flat['event.severity'], Number(line[5]));
    assert.equal(flat.message, line.replace(/^%ASA-\d-\d+:? /, ''));
    asaLines++;
  }
  assert.ok(asaLines > 40);
});

test('a header but an unknown payload: the syslog fields and the message, nothing invented', () => {
  const parsed = parseMessage('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed', { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'rfc3164');
  assert.equal(parsed.device, undefined);
  assert.equal(parsed.error, undefined);
  assert.deepEqual(Object.keys(parsed.event).sort(), ['@timestamp', 'event', 'host', 'log', 'message']);
});

function wazuhLines(file: string): string[] {
  return readFileSync(logPath('wazuh-ruleset-tests', file), 'utf8')
    .split('\n')
    .map((l) => /^log \d+ (?:pass|fail) = (.*)$/.exec(l.replace(/\r$/, ''))?.[1])
    .filter((l): l is string => l !== undefined);
}
