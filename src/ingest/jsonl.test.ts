import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenWinlogbeat, readJsonEvents } from './jsonl.js';

test('JSON Lines: each line an event, blank lines skipped, a bad line reported by number', () => {
  const items = [...readJsonEvents('{"a":1}\n\n[1,2]\nnot json\n{"b":2}\n')];
  assert.deepEqual(
    items.map((i) => (i.ok ? ['ok', i.record] : ['bad', i.record])),
    [['ok', 1], ['bad', 3], ['bad', 4], ['ok', 5]],
  );
  const bad = items.find((i) => !i.ok && i.record === 3);
  assert.ok(bad && !bad.ok && /array/.test(bad.reason));
});

test('a JSON array of events, and one pretty-printed object, are read too', () => {
  assert.deepEqual([...readJsonEvents('[{"a":1}, 2, {"b":2}]')].map((i) => i.ok), [true, false, true]);
  const one = [...readJsonEvents('{\n  "EventID": 4624,\n  "Channel": "Security"\n}\n')];
  assert.equal(one.length, 1);
  assert.ok(one[0]!.ok && one[0]!.event.EventID === 4624);
});

test('a file whose first line is broken is still read line by line', () => {
  const items = [...readJsonEvents('{"EventID": 1, oops\n{"EventID": 2}\n')];
  assert.deepEqual(items.map((i) => i.ok), [false, true]);
});

test('Winlogbeat events are lifted to the flat Windows names Sigma rules use', () => {
  const ev = flattenWinlogbeat({
    '@timestamp': '2024-01-02T03:04:05.678Z',
    winlog: {
      channel: 'Microsoft-Windows-Sysmon/Operational',
      event_id: '1',
      computer_name: 'WS1',
      record_id: 42,
      provider_name: 'Microsoft-Windows-Sysmon',
      event_data: { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c whoami' },
    },
  });
  assert.equal(ev.Channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(ev.EventID, 1);
  assert.equal(ev.Computer, 'WS1');
  assert.equal(ev.Image, 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(ev.TimeCreated_SystemTime, '2024-01-02T03:04:05.678Z');
  assert.ok(ev.winlog, 'the original fields stay');
  const flat = { Channel: 'Security', EventID: 4624 };
  assert.equal(flattenWinlogbeat(flat), flat, 'flat events pass through untouched');
});
