import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventRecord } from '../../core/index.js';
import { alternativeCuts, compileDetection, toClosure, EventView, FieldTable, type Pred } from './compile.js';
import { loadRule, rule } from './conformance.suite.js';
import { specialize } from './specialize.js';

function compiled(detection: string): { pred: Pred; table: FieldTable } {
  const r = loadRule(rule(detection));
  const table = new FieldTable();
  return { pred: compileDetection(r.detection, r.conditions, r.conditionWhere, { table }), table };
}

const SDELETE = `
  selection:
      EventID:
          - 4656
          - 4663
      ObjectName|endswith: '.ZZZ'
  other:
      EventID: 4624
      LogonType: 3
  condition: selection or other
`;

test('specialize: the event id the index is for folds exact EventID tests into constants', () => {
  const { pred, table } = compiled(SDELETE);
  const for4663 = specialize(pred, 'EventID', '4663', table);
  // Only the ObjectName test is left: the index files the rule under '.zzz', not under 4663.
  assert.equal(for4663.k, 'test');
  assert.deepEqual(alternativeCuts(for4663), [[{ field: 'ObjectName', op: 'suffix', lit: '.zzz' }]]);
  assert.deepEqual(specialize(pred, 'EventID', '1', table), { k: 'const', value: false });
  const for4624 = specialize(pred, 'EventID', '4624', table);
  assert.equal(for4624.k, 'test');
  assert.deepEqual(alternativeCuts(for4624), [[{ field: 'LogonType', op: 'eq', lit: '3' }]]);
});

test('specialize: for every event with that id the folded predicate says what the original says', () => {
  const { pred, table } = compiled(`
    a:
        EventID: [4663, 4656]
    b:
        ObjectName|contains: secret
    c:
        EventID|gt: 4660
    condition: (a and not b) or (c and b) or not a
  `);
  const view = new EventView(table);
  const original = toClosure(pred);
  for (const id of ['4656', '4663', '4624', '4700']) {
    const folded = toClosure(specialize(pred, 'EventID', id, table));
    for (const eventId of [id, Number(id)]) {
      for (const name of [undefined, 'C:\\secret.txt', 'C:\\other.txt']) {
        const event: EventRecord = { EventID: eventId, ...(name === undefined ? {} : { ObjectName: name }) };
        assert.equal(folded(view.reset(event)), original(view.reset(event)), `EventID ${JSON.stringify(eventId)}, ObjectName ${name}`);
      }
    }
  }
});

test('alternative cuts: each argument of an and offers one, an or needs one from each branch', () => {
  const { pred } = compiled(`
    sel:
        EventType: CreateKey
        TargetObject|endswith: '\\Netwire'
    alt:
        Image|endswith: '\\evil.exe'
    condition: sel or alt
  `);
  const cuts = alternativeCuts(pred).map((c) => c.map((a) => `${a.field}:${a.lit}`).sort().join(' '));
  assert.deepEqual(new Set(cuts), new Set(['EventType:createkey Image:\\evil.exe', 'Image:\\evil.exe TargetObject:\\netwire']));
  assert.deepEqual(alternativeCuts(compiled(`
    sel:
        A: 1
    flt:
        B: 2
    condition: sel and not flt
  `).pred), [[{ field: 'A', op: 'eq', lit: '1' }]]);
  assert.deepEqual(alternativeCuts(compiled(`
    sel:
        A: 1
    condition: not sel
  `).pred), [], 'a negation offers no cut');
});
