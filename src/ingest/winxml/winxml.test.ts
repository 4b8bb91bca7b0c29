import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EventRecord } from '../../core/index.js';
import { readEventXml } from './reader.js';
import type { WinXmlItem } from './reader.js';

const NS = "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'";

function all(text: string): WinXmlItem[] {
  return [...readEventXml(text)];
}

function onlyEvent(text: string): EventRecord {
  const items = all(text);
  assert.equal(items.length, 1, JSON.stringify(items));
  const [item] = items;
  assert.ok(item!.ok, JSON.stringify(item));
  return item!.event;
}

/** Event 7036 as Windows renders it (wevtutil); its EVTX twin is in the dataset. */
const SERVICE_EVENT = `<Event ${NS}><System><Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2020-09-23T16:57:41.3726298Z'/><EventRecordID>65371</EventRecordID><Correlation/><Execution ProcessID='580' ThreadID='6460'/><Channel>System</Channel><Computer>01566s-win16-ir.threebeesco.com</Computer><Security/></System><EventData><Data Name='param1'>Windows Error Reporting Service</Data><Data Name='param2'>running</Data><Binary>5700650072005300760063002F0034000000</Binary></EventData></Event>`;

const JSONL_TWIN = fileURLToPath(
  new URL('../../../../shared/data/events/evtx-attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.jsonl', import.meta.url),
);

test('Windows XML gives the same object as the dataset line of the same event', { skip: !existsSync(JSONL_TWIN) && 'dataset not present' }, () => {
  const expected = JSON.parse(readFileSync(JSONL_TWIN, 'utf8').split('\n')[0]!) as EventRecord;
  assert.deepEqual(onlyEvent(SERVICE_EVENT), expected);
});

test('escaped entities, character references and CDATA become plain text', () => {
  const event = onlyEvent(`<?xml version="1.0" encoding="utf-8"?>
<Event ${NS}>
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"/>
    <EventID>1</EventID>
    <Computer>PC &amp; &quot;Co&quot;</Computer>
  </System>
  <EventData>
    <Data Name="CommandLine">cmd.exe /c "echo &lt;a&gt; &amp;&amp; dir" &#x41;&#66;</Data>
    <Data Name="ScriptBlockText"><![CDATA[if ($a -lt 1 && $b) { "<x>" }]]></Data>
    <Data Name="Mixed">pre <![CDATA[<raw>]]> post</Data>
    <Data Name="GrantedAccess">0x001fffff</Data>
    <Data Name="Multi">line1&#13;&#10;line2
line3</Data>
  </EventData>
</Event>`);
  assert.deepEqual(event, {
    Provider_Name: 'Microsoft-Windows-Sysmon',
    Provider_Guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
    EventID: 1,
    Computer: 'PC & "Co"',
    CommandLine: 'cmd.exe /c "echo <a> && dir" AB',
    ScriptBlockText: 'if ($a -lt 1 && $b) { "<x>" }',
    Mixed: 'pre <raw> post',
    GrantedAccess: '0x1fffff',
    Multi: 'line1\r\nline2\nline3',
  });
});

test('UserData leaves and unnamed Data elements', () => {
  const text = `<Events>
<Event ${NS}><System><EventID>104</EventID><Channel>System</Channel></System><UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'><SubjectUserName>user01</SubjectUserName><SubjectDomainName>EXAMPLE</SubjectDomainName><Channel>System</Channel><BackupPath></BackupPath></LogFileCleared></UserData></Event>
<Event ${NS}><System><EventID Qualifiers='49152'>18456</EventID></System><EventData><Data>sa</Data><Data> Reason: Password did not match</Data><Data/></EventData></Event>
<Event ${NS}><System><EventID>4</EventID></System><EventData><Data>only</Data></EventData></Event>
</Events>`;
  assert.deepEqual(all(text), [
    {
      ok: true,
      index: 0,
      event: { EventID: 104, Channel: 'System', SubjectUserName: 'user01', SubjectDomainName: 'EXAMPLE', UserData_Channel: 'System', BackupPath: '' },
    },
    { ok: true, index: 1, event: { EventID: 18456, EventID_Qualifiers: 49152, Data: ['sa', ' Reason: Password did not match', ''] } },
    { ok: true, index: 2, event: { EventID: 4, Data: 'only' } },
  ]);
});

test('malformed XML is a problem with its offset, never an exception', () => {
  const cases: [string, RegExp][] = [
    [`<Event><System><EventID>1</EventID></System>`, /end of text/],
    [`<Event><System><EventID>1</EventId></System></Event>`, /does not close <EventID>/],
    [`<Event><Data Name="a<b">x</Data></Event>`, /'<' in the value/],
    [`<Event><Data Name="a>x</Data></Event>`, /not closed/],
    [`<Event><Data Name=a>x</Data></Event>`, /not quoted/],
    [`<Event><Data>&unknown;</Data></Event>`, /unknown entity/],
    [`<Event><Data>a & b</Data></Event>`, /does not start a reference/],
    [`<Event><Data>&#0;</Data></Event>`, /invalid character reference/],
    [`<Event><Data a="1" a="2"/></Event>`, /appears twice/],
    [`<Event><!DOCTYPE x [<!ENTITY e "boom">]><Data>&e;</Data></Event>`, /declarations/],
    [`<Event><Data><![CDATA[never closed</Data></Event>`, /CDATA section is not closed/],
  ];
  for (const [text, reason] of cases) {
    let items: WinXmlItem[] = [];
    assert.doesNotThrow(() => {
      items = all(text);
    }, text);
    assert.equal(items.length, 1, text);
    const [item] = items;
    assert.ok(item && !item.ok, text);
    assert.match(item.reason, reason, text);
    assert.equal(item.index, 0);
    assert.ok(item.offset >= 0 && item.offset <= text.length, text);
  }
  const broken = `<Event><System><EventID>1</EventId></System></Event>`;
  const [problem] = all(broken);
  assert.equal(problem!.ok ? -1 : problem!.offset, broken.indexOf('</EventId>'));
});

test('one broken event among several: the others still come out, in order', () => {
  const good = (id: number) => `<Event ${NS}><System><EventID>${id}</EventID></System><EventData><Data Name="n">${id}</Data></EventData></Event>`;
  const text = [
    '<?xml version="1.0"?>',
    '<!-- exported by wevtutil -->',
    '<Events>',
    good(1),
    `<Event ${NS}><System><EventID>2</EventID></System><EventData><Data Name="n">2</EventData></Event>`,
    good(3),
    `<Event ${NS}><System><EventID>4</EventID></System>`, // never closed: the next <Event> starts over
    good(5),
    '</Events>',
  ].join('\n');
  const items = all(text);
  assert.deepEqual(
    items.map((item) => (item.ok ? [item.index, item.event['EventID']] : [item.index, 'problem'])),
    [[0, 1], [1, 'problem'], [2, 3], [3, 'problem'], [4, 5]],
  );
  const second = items[1]!;
  assert.equal(second.ok ? -1 : second.offset, text.indexOf('</EventData>', text.indexOf('<EventID>2')));
  const fourth = items[3]!;
  assert.equal(fourth.ok ? -1 : fourth.offset, text.indexOf(good(5)));
});

test('bare events without a wrapper, a BOM, and namespace prefixes', () => {
  const text = `\uFEFF<Event ${NS}><System><EventID>1</EventID></System></Event>\r\n<e:Event xmlns:e='x'><e:System><e:EventID>2</e:EventID></e:System></e:Event>`;
  assert.deepEqual(
    all(text).map((item) => item.ok && item.event),
    [{ EventID: 1 }, { EventID: 2 }],
  );
});

test('text outside events is reported once; an empty document yields nothing', () => {
  assert.deepEqual(all(''), []);
  assert.deepEqual(all('  \n '), []);
  const items = all('garbage <Event><System><EventID>1</EventID></System></Event> more');
  assert.deepEqual(
    items.map((item) => item.ok),
    [false, true],
  );
});

test('deep nesting is refused, not a stack overflow', () => {
  const text = `<Event>${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}</Event>`;
  const items = all(text);
  assert.equal(items.length, 1);
  assert.match(items[0]!.ok ? '' : items[0]!.reason, /nested deeper/);
});

test('attribute values: literal white space becomes spaces, references keep their character', () => {
  const event = onlyEvent(`<Event><System><Provider Name="a\tb\r\nc&#10;d &amp; e"/></System></Event>`);
  assert.deepEqual(event, { Provider_Name: 'a b c\nd & e' });
});
