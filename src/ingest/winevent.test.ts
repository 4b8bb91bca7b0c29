import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenEvent, isoSystemTime, unpaddedHex, upperCaseGuid } from './winevent.js';
import type { WinElement, WinNode } from './winevent.js';

function el(name: string, attributes: Record<string, string> = {}, ...children: WinNode[]): WinElement {
  return { name, attributes: Object.entries(attributes).map(([n, value]) => ({ name: n, value })), children };
}

test('System fields: integers, attributes as <Element>_<Attribute>, empty values dropped', () => {
  const event = el(
    'Event',
    {},
    el(
      'System',
      {},
      el('Provider', { Name: 'Service Control Manager', Guid: '{555908d1-a6d7-4695-8e1e-26931d2012f4}', EventSourceName: '' }),
      el('EventID', { Qualifiers: '16384' }, '7036'),
      el('Version', {}, '0'),
      el('Keywords', {}, '0x80000000000000'),
      el('TimeCreated', { SystemTime: '2020-09-23 16:57:41.372629' }),
      el('EventRecordID', {}, '65371'),
      el('Correlation', { ActivityID: '', RelatedActivityID: '' }),
      el('Execution', { ProcessID: '580', ThreadID: '6460', ProcessorID: '1' }),
      el('Channel', {}),
      el('Computer', {}, 'host'),
      el('Security', {}),
    ),
  );
  assert.deepEqual(flattenEvent(event), {
    Provider_Name: 'Service Control Manager',
    Provider_Guid: '{555908D1-A6D7-4695-8E1E-26931D2012F4}',
    EventID: 7036,
    EventID_Qualifiers: 16384,
    Version: 0,
    Keywords: '0x0080000000000000',
    TimeCreated_SystemTime: '2020-09-23T16:57:41.372629Z',
    EventRecordID: 65371,
    Execution_ProcessID: 580,
    Execution_ThreadID: 6460,
    Execution_ProcessorID: '1',
    Computer: 'host',
  });
});

test('EventData: named Data, clashes with System, unnamed Data as string or list, Binary as base64', () => {
  const system = el('System', {}, el('EventID', {}, '1'), el('Version', {}, '5'));
  const data = (name: string | undefined, ...text: WinNode[]) => el('Data', name === undefined ? {} : { Name: name }, ...text);
  const one = el('Event', {}, system, el('EventData', {}, data('Version', '9.01'), data('RuleName'), data('LogonId', '0x00000000003e7'), data(undefined, 'x')));
  assert.deepEqual(flattenEvent(one), { EventID: 1, Version: 5, EventData_Version: '9.01', RuleName: '', LogonId: '0x3e7', Data: 'x' });
  const two = el('Event', {}, el('EventData', {}, data(undefined, 'a'), data(undefined, ''), el('Binary', {}, Uint8Array.from([0x57, 0, 0x65, 0]))));
  assert.deepEqual(flattenEvent(two), { Data: ['a', ''], Binary: 'VwBlAA==' });
});

test('UserData leaves: a clash with System becomes UserData_<leaf>, with another leaf <parent>_<leaf>', () => {
  const event = el(
    'Event',
    {},
    el('System', {}, el('Channel', {}, 'System')),
    el(
      'UserData',
      {},
      el('LogFileCleared', { xmlns: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog' },
        el('SubjectUserName', {}, 'user01'),
        el('Channel', {}, 'System'),
        el('Nested', {}, el('SubjectUserName', {}, 'other'), el('Empty', {})),
      ),
    ),
    el('ProcessingErrorData', {}, el('ErrorCode', {}, '15005')),
    el('RenderingInfo', {}, el('Message', {}, 'text')),
  );
  assert.deepEqual(flattenEvent(event), {
    Channel: 'System',
    SubjectUserName: 'user01',
    UserData_Channel: 'System',
    Nested_SubjectUserName: 'other',
    Empty: '',
  });
});

test('TimeCreated: both renderings become ISO UTC with microseconds, cut not rounded', () => {
  assert.equal(isoSystemTime('2019-03-17T19:37:11.6619287Z'), '2019-03-17T19:37:11.661928Z');
  assert.equal(isoSystemTime('2019-03-17T19:37:11.661928700Z'), '2019-03-17T19:37:11.661928Z');
  assert.equal(isoSystemTime('2019-03-17 19:37:11.661928'), '2019-03-17T19:37:11.661928Z');
  assert.equal(isoSystemTime('2019-03-17T19:37:11.5Z'), '2019-03-17T19:37:11.500000Z');
  // Python leaves out a zero fraction, and so does the dataset.
  assert.equal(isoSystemTime('2019-09-23T09:07:38.0000000Z'), '2019-09-23T09:07:38Z');
  assert.equal(isoSystemTime('2019-09-23 09:07:38'), '2019-09-23T09:07:38Z');
  assert.equal(isoSystemTime('yesterday'), 'yesterday');
});

test('GUIDs upper-case, lower-case zero-padded hex unpadded, anything else untouched', () => {
  assert.equal(upperCaseGuid('{0197231e-1b9c-4bb9-9ae6-8a2f2e5d4c3b}'), '{0197231E-1B9C-4BB9-9AE6-8A2F2E5D4C3B}');
  assert.equal(upperCaseGuid('%{19195a5b-6da0-11d0-afd3-00c04fd930c9}'), '%{19195a5b-6da0-11d0-afd3-00c04fd930c9}');
  assert.equal(upperCaseGuid('{0197231e-1b9c-4bb9-9ae6-8a2f2e5d4c3g}'), '{0197231e-1b9c-4bb9-9ae6-8a2f2e5d4c3g}');
  assert.equal(unpaddedHex('0x001fffff'), '0x1fffff');
  assert.equal(unpaddedHex('0x00000000'), '0x0');
  assert.equal(unpaddedHex('0x0000000002FF0000'), '0x0000000002FF0000');
  assert.equal(unpaddedHex('0x1fffff'), '0x1fffff');
  assert.equal(unpaddedHex('0x0g'), '0x0g');
});

test('field names from the file cannot reach the prototype', () => {
  const event = el(
    'Event',
    {},
    el('EventData', {}, el('Data', { Name: '__proto__' }, 'x'), el('Data', { Name: 'constructor' }, 'y')),
    el('UserData', {}, el('W', {}, el('toString', {}, 'z'))),
  );
  const flat = flattenEvent(event);
  assert.deepEqual(flat, JSON.parse('{"__proto__":"x","constructor":"y","toString":"z"}'));
  assert.equal(Object.getPrototypeOf(flat), Object.prototype);
});
