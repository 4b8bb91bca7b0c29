import type { IndexAtom } from './sigma/compile.js';
import type { EventView, FieldTable } from './sigma/event-view.js';

/** One literal and the items (rule variants) that need it. */
interface Entry {
  readonly lit: string;
  readonly items: number[];
}

interface TrieNode {
  next: Map<number, TrieNode> | null;
  entries: Entry[] | null;
}

const GRAM_BITS = 16;
const GRAM_MASK = (1 << GRAM_BITS) - 1;

function gramHash(a: number, b: number, c: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35)) >>> (32 - GRAM_BITS);
}

/**
 * Literals one event field must contain, indexed so that an event's text finds the ones it
 * holds in time proportional to its length, not to the number of rules:
 * exact values in a hash, prefixes and suffixes in tries, substrings by a rare 3-gram.
 */
class FieldIndex {
  private readonly exact = new Map<string, Entry>();
  private readonly prefixes: TrieNode = { next: null, entries: null };
  private readonly suffixes: TrieNode = { next: null, entries: null };
  private readonly containsList = new Map<string, Entry>();
  private readonly gramBits = new Uint32Array(1 << (GRAM_BITS - 5));
  private readonly grams = new Map<number, Entry[]>();
  private readonly shortContains: Entry[] = [];
  private hasPrefix = false;
  private hasSuffix = false;

  constructor(readonly slot: number) {}

  add(atom: IndexAtom, item: number): void {
    switch (atom.op) {
      case 'eq':
        entryIn(this.exact, atom.lit).items.push(item);
        break;
      case 'prefix':
        this.hasPrefix = true;
        trieEntry(this.prefixes, atom.lit, false).items.push(item);
        break;
      case 'suffix':
        this.hasSuffix = true;
        trieEntry(this.suffixes, atom.lit, true).items.push(item);
        break;
      case 'contains':
        entryIn(this.containsList, atom.lit).items.push(item);
        break;
    }
  }

  /** Picks each substring literal's rarest 3-gram (rarest among this field's literals). */
  freeze(): void {
    const freq = new Map<number, number>();
    const gramsOf = (lit: string): number[] => {
      const out: number[] = [];
      for (let i = 0; i + 2 < lit.length; i++) out.push(gramHash(lit.charCodeAt(i), lit.charCodeAt(i + 1), lit.charCodeAt(i + 2)));
      return out;
    };
    for (const e of this.containsList.values()) for (const g of new Set(gramsOf(e.lit))) freq.set(g, (freq.get(g) ?? 0) + 1);
    for (const e of this.containsList.values()) {
      const grams = gramsOf(e.lit);
      if (grams.length === 0) {
        this.shortContains.push(e);
        continue;
      }
      let best = grams[0]!;
      for (const g of grams) if ((freq.get(g) ?? 0) < (freq.get(best) ?? 0)) best = g;
      this.gramBits[best >>> 5]! |= 1 << (best & 31);
      let list = this.grams.get(best);
      if (!list) this.grams.set(best, (list = []));
      list.push(e);
    }
  }

  /** Calls `hit` with each item whose literal the text satisfies. */
  scan(text: string, hit: (item: number) => void): void {
    const exact = this.exact.get(text);
    if (exact) for (const i of exact.items) hit(i);
    if (this.hasPrefix) walkTrie(this.prefixes, text, false, hit);
    if (this.hasSuffix) walkTrie(this.suffixes, text, true, hit);
    for (const e of this.shortContains) if (text.includes(e.lit)) for (const i of e.items) hit(i);
    if (this.grams.size === 0 || text.length < 3) return;
    const bits = this.gramBits;
    let a = text.charCodeAt(0);
    let b = text.charCodeAt(1);
    for (let i = 2; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const g = gramHash(a, b, c) & GRAM_MASK;
      if ((bits[g >>> 5]! & (1 << (g & 31))) !== 0) {
        for (const e of this.grams.get(g)!) if (text.includes(e.lit)) for (const it of e.items) hit(it);
      }
      a = b;
      b = c;
    }
  }
}

function entryIn(map: Map<string, Entry>, lit: string): Entry {
  let e = map.get(lit);
  if (!e) map.set(lit, (e = { lit, items: [] }));
  return e;
}

function trieEntry(root: TrieNode, lit: string, reverse: boolean): Entry {
  let node = root;
  for (let k = 0; k < lit.length; k++) {
    const c = lit.charCodeAt(reverse ? lit.length - 1 - k : k);
    node.next ??= new Map();
    let child = node.next.get(c);
    if (!child) node.next.set(c, (child = { next: null, entries: null }));
    node = child;
  }
  node.entries ??= [];
  let e = node.entries[0];
  if (!e) node.entries.push((e = { lit, items: [] }));
  return e;
}

function walkTrie(root: TrieNode, text: string, reverse: boolean, hit: (item: number) => void): void {
  let node: TrieNode | undefined = root;
  const n = text.length;
  for (let k = 0; node !== undefined; k++) {
    if (node.entries) for (const e of node.entries) for (const i of e.items) hit(i);
    if (k >= n || node.next === null) return;
    node = node.next.get(text.charCodeAt(reverse ? n - 1 - k : k));
  }
}

/**
 * Items (rule variants) indexed by the literals they need. `candidates` visits each item an
 * event could match exactly once: those with no known literal, and those whose literal the
 * event's text holds.
 */
export class RuleIndex<T> {
  private readonly items: T[] = [];
  private readonly always: T[] = [];
  private readonly fields = new Map<string, FieldIndex>();
  private fieldList: FieldIndex[] = [];
  private mark = new Int32Array(0);
  private gen = 0;

  constructor(private readonly table: FieldTable) {}

  add(item: T, atoms: readonly IndexAtom[] | null): void {
    if (atoms === null) {
      this.always.push(item);
      return;
    }
    const id = this.items.length;
    this.items.push(item);
    for (const atom of atoms) {
      let f = this.fields.get(atom.field);
      if (!f) this.fields.set(atom.field, (f = new FieldIndex(this.table.slot(atom.field))));
      f.add(atom, id);
    }
  }

  freeze(): void {
    for (const f of this.fields.values()) f.freeze();
    this.fieldList = [...this.fields.values()];
    this.mark = new Int32Array(this.items.length);
  }

  candidates(view: EventView, visit: (item: T) => void): void {
    for (const item of this.always) visit(item);
    if (this.items.length === 0) return;
    const gen = ++this.gen;
    const mark = this.mark;
    const items = this.items;
    const hit = (id: number): void => {
      if (mark[id] === gen) return;
      mark[id] = gen;
      visit(items[id]!);
    };
    for (const f of this.fieldList) {
      const text = view.lower(f.slot);
      if (text !== null) {
        f.scan(text, hit);
        continue;
      }
      const raw = view.value(f.slot);
      if (Array.isArray(raw)) {
        for (const x of raw) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') f.scan(String(x).toLowerCase(), hit);
      }
    }
  }
}
