import type { IndexAtom } from './sigma/compile.js';
import type { EventRecord, FieldValue } from '../core/index.js';
import type { EventView, FieldTable } from './sigma/event-view.js';

/** One literal and the items (rule variants) that need it. */
interface Entry {
  readonly lit: string;
  readonly items: number[];
}

/** A substring literal filed under one of its 3-grams, found at `off` within it. */
interface GramEntry extends Entry {
  readonly off: number;
}

interface TrieNode {
  next: Map<number, TrieNode> | null;
  entries: Entry[] | null;
}

const GRAM_BITS = 16;
const FEW_CONTAINS = 16;

/** A cheap 16-bit key for three characters; collisions only cost a verification. */
function trigram(a: number, b: number, c: number): number {
  return ((a << 11) ^ (b << 5) ^ c) & 0xffff;
}

/** ASCII case folding, so keyword search needs no lower-cased copy of every value. */
function fold(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  // The two non-ASCII letters whose lower case is ASCII: Kelvin sign → k, dotted İ → i(+dot).
  return c === 0x212a ? 107 : c === 0x130 ? 105 : c;
}

/** `text` holds the lower-case ASCII literal `lit` at `at`, ignoring ASCII case. */
function foldedAt(text: string, lit: string, at: number): boolean {
  if (at < 0 || at + lit.length > text.length) return false;
  for (let i = 0; i < lit.length; i++) if (fold(text.charCodeAt(at + i)) !== lit.charCodeAt(i)) return false;
  return true;
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
  private readonly grams = new Map<number, GramEntry[]>();
  private readonly shortContains: Entry[] = [];
  /** Literals under 3 characters, by their first character (emoji, `^^`, …). */
  private shortByFirst: Map<number, Entry[]> | null = null;
  private readonly shortBits = new Uint32Array(2048);
  /** Few substring literals: `includes` each (V8's string search) beats the gram loop. */
  private fewContains: Entry[] | null = null;
  private readonly nonAscii: Entry[] = [];
  private stride = 1;
  /** Length of the shortest literal: shorter texts cannot hold any. */
  minLength = 1;
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

  /**
   * Picks each substring literal's rarest 3-gram (rarest among this field's literals).
   * `folded`: the index will scan raw text with ASCII case folding (keywords), so literals
   * with non-ASCII characters, which folding cannot compare, are checked on lower-cased text.
   */
  freeze(folded = false): void {
    if (folded) {
      for (const [lit, e] of this.containsList) {
        if (/[^\x00-\x7f]/.test(lit)) {
          this.nonAscii.push(e);
          this.containsList.delete(lit);
        }
      }
    }
    const freq = new Map<number, number>();
    const gramsOf = (lit: string): number[] => {
      const out: number[] = [];
      for (let i = 0; i + 2 < lit.length; i++) out.push(trigram(lit.charCodeAt(i), lit.charCodeAt(i + 1), lit.charCodeAt(i + 2)));
      return out;
    };
    if (folded) {
      this.indexAllGrams();
      this.indexShort(true);
      return;
    }
    if (this.containsList.size <= FEW_CONTAINS) {
      this.fewContains = [...this.containsList.values()];
      return;
    }
    for (const e of this.containsList.values()) for (const g of new Set(gramsOf(e.lit))) freq.set(g, (freq.get(g) ?? 0) + 1);
    for (const e of this.containsList.values()) {
      const grams = gramsOf(e.lit);
      if (grams.length === 0) {
        this.shortContains.push(e);
        continue;
      }
      let off = 0;
      for (let i = 1; i < grams.length; i++) if ((freq.get(grams[i]!) ?? 0) < (freq.get(grams[off]!) ?? 0)) off = i;
      const best = grams[off]!;
      this.gramBits[best >>> 5]! |= 1 << (best & 31);
      let list = this.grams.get(best);
      if (!list) this.grams.set(best, (list = []));
      list.push({ lit: e.lit, items: e.items, off });
    }
    this.indexShort(false);
  }

  /** Files literals shorter than a 3-gram under their first character. */
  private indexShort(folded: boolean): void {
    if (this.shortContains.length === 0) return;
    this.shortByFirst = new Map();
    for (const e of this.shortContains) {
      const c = folded ? fold(e.lit.charCodeAt(0)) : e.lit.charCodeAt(0);
      this.shortBits[c >>> 5]! |= 1 << (c & 31);
      let list = this.shortByFirst.get(c);
      if (!list) this.shortByFirst.set(c, (list = []));
      list.push(e);
    }
  }

  private scanShort(text: string, folded: boolean, hit: (item: number) => void): void {
    const bits = this.shortBits;
    for (let i = 0; i < text.length; i++) {
      const c = folded ? fold(text.charCodeAt(i)) : text.charCodeAt(i);
      if ((bits[c >>> 5]! & (1 << (c & 31))) === 0) continue;
      for (const e of this.shortByFirst!.get(c)!) {
        if (folded ? foldedAt(text, e.lit, i) : text.startsWith(e.lit, i)) for (const it of e.items) hit(it);
      }
    }
  }

  /** Files every 3-gram of every substring literal, for sampled scanning. */
  private indexAllGrams(): void {
    let minLen = Infinity;
    for (const e of this.containsList.values()) {
      if (e.lit.length < 3) {
        this.shortContains.push(e);
        continue;
      }
      minLen = Math.min(minLen, e.lit.length);
      for (let off = 0; off + 2 < e.lit.length; off++) {
        const g = trigram(e.lit.charCodeAt(off), e.lit.charCodeAt(off + 1), e.lit.charCodeAt(off + 2));
        this.gramBits[g >>> 5]! |= 1 << (g & 31);
        let list = this.grams.get(g);
        if (!list) this.grams.set(g, (list = []));
        list.push({ lit: e.lit, items: e.items, off });
      }
    }
    this.stride = Number.isFinite(minLen) ? Math.max(1, minLen - 2) : 1;
    this.minLength = Math.min(minLen, ...this.shortContains.map((e) => e.lit.length), ...this.nonAscii.map((e) => e.lit.length));
  }

  /** Calls `hit` with each item whose literal the text satisfies. */
  scan(text: string, hit: (item: number) => void): void {
    const exact = this.exact.get(text);
    if (exact) for (const i of exact.items) hit(i);
    if (this.hasPrefix) walkTrie(this.prefixes, text, false, hit);
    if (this.hasSuffix) walkTrie(this.suffixes, text, true, hit);
    if (this.shortByFirst !== null) this.scanShort(text, false, hit);
    if (this.fewContains !== null) {
      for (const e of this.fewContains) if (text.includes(e.lit)) for (const i of e.items) hit(i);
      return;
    }
    if (this.grams.size === 0 || text.length < 3) return;
    const bits = this.gramBits;
    let a = text.charCodeAt(0);
    let b = text.charCodeAt(1);
    for (let i = 2; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const g = ((a << 11) ^ (b << 5) ^ c) & 0xffff;
      if ((bits[g >>> 5]! & (1 << (g & 31))) !== 0) {
        // Check the literal where this gram sits in it: O(literal), not O(text).
        for (const e of this.grams.get(g)!) if (text.startsWith(e.lit, i - 2 - e.off)) for (const it of e.items) hit(it);
      }
      a = b;
      b = c;
    }
  }

  scanFolded(text: string, hit: (item: number) => void): void {
    if (this.nonAscii.length > 0) {
      const lower = text.toLowerCase();
      for (const e of this.nonAscii) if (lower.includes(e.lit)) for (const i of e.items) hit(i);
    }
    if (this.shortByFirst !== null) this.scanShort(text, true, hit);
    const n = text.length;
    if (this.grams.size === 0 || n < 3) return;
    const bits = this.gramBits;
    // Every 3-gram of every literal is indexed, so sampling every `stride`-th position
    // (stride = shortest literal - 2) still lands inside any occurrence of any literal.
    const stride = this.stride;
    for (let p = 0; p + 2 < n; p += stride) {
      let a = text.charCodeAt(p);
      let b = text.charCodeAt(p + 1);
      let c = text.charCodeAt(p + 2);
      // fold(), inlined: this loop is the hottest in keyword search.
      if (a < 128) a = a >= 65 && a <= 90 ? a + 32 : a;
      else a = fold(a);
      if (b < 128) b = b >= 65 && b <= 90 ? b + 32 : b;
      else b = fold(b);
      if (c < 128) c = c >= 65 && c <= 90 ? c + 32 : c;
      else c = fold(c);
      const g = ((a << 11) ^ (b << 5) ^ c) & 0xffff;
      if ((bits[g >>> 5]! & (1 << (g & 31))) !== 0) {
        for (const e of this.grams.get(g)!) if (foldedAt(text, e.lit, p - e.off)) for (const it of e.items) hit(it);
      }
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
      if (!f) this.fields.set(atom.field, (f = new FieldIndex(atom.field === '' ? -1 : this.table.slot(atom.field))));
      f.add(atom, id);
    }
  }

  freeze(): void {
    for (const [field, f] of this.fields) f.freeze(field === '');
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
      if (f.slot < 0) {
        // Keywords: any value of the event, nested ones included.
        const min = f.minLength;
        const smallInts = 10 ** Math.min(min - 1, 15);
        forEachText(view.event, min, smallInts, (t) => f.scanFolded(t, hit));
        continue;
      }
      const text = view.lower(f.slot);
      if (text !== null) {
        f.scan(text, hit);
        continue;
      }
      const value = view.value(f.slot);
      if (Array.isArray(value)) {
        for (const x of value) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') f.scan(String(x).toLowerCase(), hit);
      }
    }
  }
}

/**
 * Calls `fn` with every scalar value of an event (nested ones included) as text, skipping
 * values too short to hold the shortest literal: most fields are short ids and numbers.
 */
function forEachText(v: EventRecord | FieldValue, min: number, smallInts: number, fn: (text: string) => void): void {
  if (v === null) return;
  if (typeof v === 'string') {
    if (v.length >= min) fn(v);
  } else if (typeof v === 'number') {
    if (!(Number.isInteger(v) && Math.abs(v) < smallInts)) fn(String(v));
  } else if (typeof v === 'boolean') {
    if (min <= 5) fn(String(v));
  } else if (Array.isArray(v)) {
    for (const x of v) forEachText(x, min, smallInts, fn);
  } else {
    for (const x of Object.values(v)) forEachText(x, min, smallInts, fn);
  }
}

