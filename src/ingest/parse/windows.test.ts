import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { EventRecord } from '../../core/index.js';
import { parseMessage } from './index.js';
import { flatten, logPath, sampleLines } from './testdata.js';

const RECEIVED = new Date('2026-07-01T00:00:00Z');

/** The XML body of an evtx crate snapshot (after its `---` front matter). */
function snapshotXml(name: string): string {
  const text = readFileSync(logPath('windows/evtx/expected-snapshots', name), 'utf8');
  return text.slice(text.indexOf('<?xml'));
}

test('Windows event XML (evtx crate snapshots): flat Sigma names plus event.code, host.name, winlog.*, @timestamp', () => {
  const parsed = parseMessage(snapshotXml('test_record_samples__event_xml_sample_with_event_data.snap'), { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'winxml');
  assert.equal(parsed.device, 'windows');
  assert.equal(parsed.error, undefined);
  const e = parsed.event;
  assert.equal(e.EventID, 4688);
  assert.equal(e.Channel, 'Security');
  assert.equal(e.NewProcessName, 'Registry');
  assert.equal(e.SubjectLogonId, '0x3e7');
  const flat = flatten(e);
  assert.equal(flat['event.code'], '4688');
  assert.equal(flat['host.name'], 'WIN-LL0C19JS506');
  assert.equal(flat['winlog.channel'], 'Security');
  assert.equal(flat['winlog.record_id'], 1);
  assert.equal(flat['@timestamp'], '2018-07-28T07:24:45.754787Z');
  assert.equal(e.message, undefined); // the record is the event; the raw text stays with the spool
  const userData = parseMessage(snapshotXml('test_record_samples__event_xml_sample_with_user_data.snap'), { receivedAt: RECEIVED });
  assert.equal(userData.event.Security_UserID, 'S-1-5-21-1223297778-3299746493-1462173606-500');
  assert.equal(flatten(userData.event)['event.code'], '80');
  assert.equal(flatten(userData.event)['winlog.channel'], 'Microsoft-Windows-CAPI2/Operational');
});

test('Sysmon event XML over syslog: Image and CommandLine for Sigma, the header kept', () => {
  const xml =
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/>' +
    '<EventID>1</EventID><TimeCreated SystemTime="2024-05-01T02:03:04.5678901Z"/><EventRecordID>77</EventRecordID>' +
    '<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws01.bank.local</Computer></System><EventData>' +
    '<Data Name="Image">C:\\Windows\\System32\\cmd.exe</Data><Data Name="CommandLine">cmd /c whoami &amp; net user</Data></EventData></Event>';
  const parsed = parseMessage(`<14>1 2024-05-01T02:03:05Z ws01 Sysmon - - - ${xml}`, { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'winxml');
  assert.equal(parsed.error, undefined);
  assert.equal(parsed.event.Image, 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(parsed.event.CommandLine, 'cmd /c whoami & net user');
  const flat = flatten(parsed.event);
  assert.equal(flat['@timestamp'], '2024-05-01T02:03:04.567890Z'); // the event's own time wins over the header's
  assert.equal(flat['log.syslog.appname'], 'Sysmon');
  assert.equal(flat['event.code'], '1');
});

test('broken Windows event XML: the reader\'s reason and position, the text kept as message', () => {
  const text = '<Event><System><EventID>1</EventID></System><EventData><Data Name="x">unclosed</EventData></Event>';
  const parsed = parseMessage(text, { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'winxml');
  assert.match(parsed.error ?? '', /^Windows event XML: .+ \(at char \d+\)$/);
  assert.equal(parsed.event.message, text);
});

test('Snare MSWinEventLog: every line of the four sample files, no problem, EventID and channel from the record', () => {
  let count = 0;
  for (const file of ['sample-events.data', 'sample-custom-pattern.data', 'sample-windows2022-security.data', 'sample-windows2025-security.data']) {
    for (const line of sampleLines('windows/snare', file)) {
      const parsed = parseMessage(line, { receivedAt: RECEIVED });
      assert.equal(parsed.format, 'snare', line.slice(0, 60));
      assert.equal(parsed.error, undefined, line.slice(0, 60));
      const fields = line.slice(line.indexOf('MSWinEventLog')).split('\t');
      assert.equal(parsed.event.EventID, Number(fields[5]));
      assert.equal(parsed.event.Channel, fields[2]);
      assert.equal(flatten(parsed.event)['host.name'], fields[10]);
      count++;
    }
  }
  assert.equal(count, 384);
});

test('Snare: the description becomes the EventData names Windows itself uses (checked against a real 4688 XML)', () => {
  const xml = parseMessage(snapshotXml('test_record_samples__event_xml_sample_with_event_data.snap'), { receivedAt: RECEIVED }).event;
  const line = sampleLines('windows/snare/sample-windows2022-security.data').find((l) => l.includes('\t4688\t'))!;
  const snare = parseMessage(line, { receivedAt: RECEIVED }).event;
  const names = ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'NewProcessId', 'NewProcessName', 'ProcessId', 'CommandLine', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'TargetLogonId', 'ParentProcessName', 'MandatoryLabel'];
  for (const name of names) {
    assert.ok(Object.hasOwn(xml, name), `the XML has ${name}`);
    assert.ok(Object.hasOwn(snare, name), `Snare gave ${name}`);
  }
  assert.equal(snare.SubjectLogonId, xml.SubjectLogonId); // 0x3E7 in the text, 0x3e7 in the event data
  assert.equal(snare.NewProcessName, xml.NewProcessName);
});

test('Snare 4624 and 5157: logon type, source address, WFP ports; the 5424 header time is kept', () => {
  const [logon, wfp] = sampleLines('windows/snare/sample-events.data').map((l) => parseMessage(l, { receivedAt: RECEIVED }).event);
  assert.equal(logon!.LogonType, '2');
  assert.equal(logon!.TargetUserName, 'ADMIN-LAPS$');
  assert.equal(logon!.IpAddress, '192.168.50.12');
  assert.equal(logon!.IpPort, '59122');
  assert.equal(logon!.ProcessName, 'C:\\Windows\\System32\\winlogon.exe');
  assert.equal(logon!.AuthenticationPackageName, 'Negotiate');
  assert.equal(logon!['@timestamp'], '2025-02-18T06:42:17.554Z');
  assert.equal((logon!.event as EventRecord).outcome, 'success');
  assert.equal(wfp!.SourcePort, '57912');
  assert.equal(wfp!.DestAddress, '104.45.23.110');
  assert.equal((wfp!.event as EventRecord).outcome, 'failure');
});

test('Snare 4672: the privilege list spans lines as in the event data', () => {
  const line = sampleLines('windows/snare/sample-windows2022-security.data').find((l) => l.includes('\t4672\t'))!;
  const event = parseMessage(line, { receivedAt: RECEIVED }).event;
  assert.match(String(event.PrivilegeList), /^SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege\n/);
  assert.equal(event['@timestamp'], '2021-09-17T16:37:26.000Z'); // the submit time has the year the RFC 3164 header lacks
});

test('Snare with too few fields is reported, and what there is is kept', () => {
  const parsed = parseMessage('<14>Sep 17 16:37:25 host MSWinEventLog\t1\tSecurity\t6862', { receivedAt: RECEIVED });
  assert.match(parsed.error ?? '', /Snare: 3 of 13 tab-separated fields after MSWinEventLog/);
  assert.equal(parsed.event.Channel, 'Security');
});
