import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlannedIndex, SAMPLE_EVENTS, type PlanEntry } from './planned-index.js';
import type { IndexAtom } from './sigma/compile.js';
import { EventView, FieldTable } from './sigma/event-view.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function holds(atom: IndexAtom, event: Record<string, string>): boolean {
  const t = (event[atom.field] ?? '').toLowerCase();
  return atom.op === 'eq' ? t === atom.lit : atom.op === 'prefix' ? t.startsWith(atom.lit) : atom.op === 'suffix' ? t.endsWith(atom.lit) : t.includes(atom.lit);
}

test('before, while and after it chooses its plan, the index never misses an item whose cuts all hold', () => {
  const letters = 'abcd';
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    const pick = (n: number): string => Array.from({ length: n }, () => letters[Math.floor(r() * letters.length)]).join('');
    const entries: PlanEntry<number>[] = [];
    for (let i = 0; i < 30; i++) {
      // Each cut is necessary for the item: the item "matches" when every cut has an atom that holds.
      const cuts = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
        Array.from({ length: 1 + Math.floor(r() * 2) }, (): IndexAtom => ({
          field: r() < 0.5 ? 'A' : 'B',
          op: (['eq', 'prefix', 'suffix', 'contains'] as const)[Math.floor(r() * 4)]!,
          lit: pick(1 + Math.floor(r() * 3)),
        })),
      );
      entries.push({ item: i, cuts: i % 10 === 9 ? [] : cuts });
    }
    const table = new FieldTable();
    const index = new PlannedIndex(table, entries, 16);
    const view = new EventView(table);
    for (let round = 0; round < 2; round++) {
      for (let e = 0; e < 60; e++) {
        const event = { A: pick(Math.floor(r() * 6)), B: pick(Math.floor(r() * 6)) };
        const found = index.candidates(view.reset(event));
        const got = new Set([...found.ids.subarray(0, found.n)].map((id) => index.items[id]!));
        for (const entry of entries) {
          if (entry.cuts.length === 0) {
            assert.ok(index.always.includes(entry.item), `item ${entry.item} has no cut: always tried`);
            continue;
          }
          const matches = entry.cuts.every((cut) => cut.some((a) => holds(a, event)));
          if (matches) assert.ok(got.has(entry.item), `seed ${seed}, event ${e} of round ${round}: item ${entry.item} missed`);
        }
      }
      index.forget();
    }
  }
});

test('after its sample, an item is tried only on events where its rarest cut fires', () => {
  const table = new FieldTable();
  // The static guess (first cut) is EventType = createkey, which every event here holds.
  const entries: PlanEntry<string>[] = [
    {
      item: 'netwire',
      cuts: [[{ field: 'EventType', op: 'eq', lit: 'createkey' }], [{ field: 'TargetObject', op: 'suffix', lit: '\\netwire' }]],
    },
  ];
  const index = new PlannedIndex(table, entries);
  const view = new EventView(table);
  const tried = (target: string): boolean => index.candidates(view.reset({ EventType: 'CreateKey', TargetObject: target })).n > 0;
  for (let i = 0; i < SAMPLE_EVENTS; i++) assert.ok(tried(`HKLM\\Software\\k${i}`), 'while sampling, the first cut decides');
  assert.equal(tried('HKLM\\Software\\other'), false, 'then the rarer cut decides');
  assert.equal(tried('HKCU\\Software\\Netwire'), true);
  index.forget();
  assert.equal(tried('HKLM\\Software\\other'), true, 'forget starts a new sample');
});
