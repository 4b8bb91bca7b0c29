import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleIndex } from './rule-index.js';
import type { IndexAtom } from './sigma/compile.js';
import { EventView, FieldTable } from './sigma/event-view.js';

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Includes the Kelvin sign and dotted İ, whose lower case is ASCII, and a surrogate pair.
const ALPHABET = ['a', 'b', 'c', 'A', 'B', '\\', '.', '-', ' ', 'é', 'É', '😀', 'x', 'y', ':', '\u212a', 'k', '\u0130', 'i'];

function word(r: () => number, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function holds(atom: IndexAtom, text: string): boolean {
  const t = text.toLowerCase();
  switch (atom.op) {
    case 'eq':
      return t === atom.lit;
    case 'prefix':
      return t.startsWith(atom.lit);
    case 'suffix':
      return t.endsWith(atom.lit);
    case 'contains':
      return t.includes(atom.lit);
  }
}

test('the index never misses an item whose literal an event holds (random literals and texts)', () => {
  const ops: IndexAtom['op'][] = ['eq', 'prefix', 'suffix', 'contains'];
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const table = new FieldTable();
    const index = new RuleIndex<number>(table);
    const atoms: IndexAtom[][] = [];
    // Many items on one field exercise the 3-gram path; keywords ('' field) the folded scan.
    const items = seed % 2 === 0 ? 40 : 8;
    for (let i = 0; i < items; i++) {
      const list: IndexAtom[] = [];
      const k = 1 + Math.floor(r() * 3);
      for (let j = 0; j < k; j++) {
        const field = r() < 0.3 ? '' : r() < 0.5 ? 'A' : 'B';
        const op = field === '' ? 'contains' : ops[Math.floor(r() * ops.length)]!;
        list.push({ field, op, lit: word(r, 1, 14).toLowerCase() });
      }
      atoms.push(list);
      index.add(i, list);
    }
    index.freeze();
    const view = new EventView(table);
    for (let e = 0; e < 300; e++) {
      const event = { A: word(r, 0, 80), B: [word(r, 0, 20), word(r, 0, 20)], C: { nested: word(r, 0, 30) }, N: Math.floor(r() * 1e6) };
      const seen = new Set<number>();
      const found = index.candidates(view.reset(event));
      const ids = [...found.ids.subarray(0, found.n)];
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids come in ascending order');
      for (const id of ids) {
        assert.ok(!seen.has(id), 'each item is given once');
        seen.add(index.items[id]!);
      }
      const texts = [event.A, ...event.B, event.C.nested, String(event.N)];
      atoms.forEach((list, i) => {
        const should = list.some((a) =>
          a.field === '' ? texts.some((t) => holds(a, t)) : (a.field === 'A' ? [event.A] : event.B).some((t) => holds(a, t)),
        );
        if (should) assert.ok(seen.has(i), `seed ${seed}: item ${i} ${JSON.stringify(list)} missed for ${JSON.stringify(event)}`);
      });
    }
  }
});
