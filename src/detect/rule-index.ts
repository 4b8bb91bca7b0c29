import type { IndexAtom } from './sigma/pred.js';
import type { EventRecord, FieldValue } from '../core/index.js';
import type { EventView, FieldTable } from './sigma/event-view.js';
import { SubstringIndex } from './substrings.js';

interface ItemSinkLike {
  addAll(items: readonly number[]): void;
}

/** One literal and the items (rule variants) that need it. */
interface Entry {
  readonly lit: string;
  readonly items: number[];
}

interface TrieNode {
  next: Map<number, TrieNode> | null;
  entries: Entry[] | null;
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
  private substrings: SubstringIndex | null = null;
  /** Length of the shortest literal (keywords): shorter values hold none. */
  minLength = 1;
  /** Non-negative integers below this print shorter than `minLength`. */
  smallInts = 1;
  /** Longest exact value: longer texts are not looked up (hashing a 5 KB script costs). */
  private longestExact = -1;
  private hasPrefix = false;
  private hasSuffix = false;
  private readonly memo = new Map<string, readonly number[]>();
  private readonly sink = new ListSink();

  constructor(readonly slot: number) {}

  add(atom: IndexAtom, item: number): void {
    switch (atom.op) {
      case 'eq':
        entryIn(this.exact, atom.lit).items.push(item);
        this.longestExact = Math.max(this.longestExact, atom.lit.length);
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

  /** `folded`: keywords, scanned on raw text with ASCII case folding. */
  freeze(folded = false): void {
    if (this.containsList.size === 0) return;
    this.substrings = new SubstringIndex([...this.containsList.values()], folded);
    this.minLength = this.substrings.minLength;
    this.smallInts = 10 ** Math.min(this.minLength - 1, 15);
  }

  /** Adds to `hit` each item whose literal the text satisfies. */
  scan(text: string, hit: ItemSinkLike): void {
    if (text.length <= this.longestExact) {
      const exact = this.exact.get(text);
      if (exact) hit.addAll(exact.items);
    }
    if (this.hasPrefix) walkTrie(this.prefixes, text, false, hit);
    if (this.hasSuffix) walkTrie(this.suffixes, text, true, hit);
    this.substrings?.scan(text, hit);
  }

  /** Keyword search in one raw value (the index was frozen `folded`). */
  scanFolded(text: string, hit: ItemSinkLike): void {
    this.substrings?.scan(text, hit);
  }

  /**
   * What a raw (not lower-cased) value of this field reaches, remembered by value: paths,
   * call traces and hashes repeat across events far more than they change (in the shared
   * samples, 93 distinct SourceImage values over 6,573 events). Bounded; cleared when full.
   */
  forget(): void {
    this.memo.clear();
  }

  /** `raw` is the field's text in `view`; its lower-cased form comes from the view's cache. */
  remembered(raw: string, view: EventView, found: Found): void {
    if (raw.length > MEMO_MAX_TEXT) {
      // Long texts (scripts, call traces) rarely repeat: neither hashed nor kept.
      this.scan(view.lower(this.slot)!, found);
      return;
    }
    const known = this.memo.get(raw);
    if (known !== undefined) {
      if (known.length > 0) found.addAll(known);
      return;
    }
    const sink = this.sink;
    sink.items.length = 0;
    this.scan(view.lower(this.slot)!, sink);
    const items = sink.items.length === 0 ? NONE : sink.items.slice();
    if (this.memo.size >= MEMO_MAX_ENTRIES) this.memo.clear();
    this.memo.set(raw, items);
    if (items.length > 0) found.addAll(items);
  }
}

const MEMO_MAX_ENTRIES = 8192;
const NONE: readonly number[] = Object.freeze([]);
const MEMO_MAX_TEXT = 1024;

/** Collects item ids in a plain list (duplicates are harmless: Found dedupes). */
class ListSink {
  readonly items: number[] = [];
  addAll(items: readonly number[]): void {
    for (let k = 0; k < items.length; k++) this.items.push(items[k]!);
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

function walkTrie(root: TrieNode, text: string, reverse: boolean, hit: ItemSinkLike): void {
  let node: TrieNode | undefined = root;
  const n = text.length;
  for (let k = 0; node !== undefined; k++) {
    if (node.entries) for (const e of node.entries) hit.addAll(e.items);
    if (k >= n || node.next === null) return;
    node = node.next.get(text.charCodeAt(reverse ? n - 1 - k : k));
  }
}

/**
 * The item ids an event's text reaches, each once: a reusable buffer and a generation mark,
 * so collecting allocates nothing per event.
 */
export class Found {
  ids: Int32Array;
  n = 0;
  private mark: Int32Array;
  private gen = 0;

  constructor(size: number) {
    this.ids = new Int32Array(size);
    this.mark = new Int32Array(size);
  }

  reset(): void {
    this.n = 0;
    this.gen++;
  }

  add(id: number): void {
    if (this.mark[id] !== this.gen) {
      this.mark[id] = this.gen;
      this.ids[this.n++] = id;
    }
  }

  addAll(items: readonly number[]): void {
    const mark = this.mark;
    const gen = this.gen;
    for (let k = 0; k < items.length; k++) {
      const id = items[k]!;
      if (mark[id] !== gen) {
        mark[id] = gen;
        this.ids[this.n++] = id;
      }
    }
  }
}

/**
 * Items (rule variants) indexed by the literals they need. `candidates` gives each item an
 * event could match exactly once: those with no known literal, and those whose literal the
 * event's text holds.
 */
export class RuleIndex<T> {
  readonly items: T[] = [];
  readonly always: T[] = [];
  private readonly fields = new Map<string, FieldIndex>();
  private fieldList: FieldIndex[] = [];
  private found = new Found(0);

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
    this.found = new Found(this.items.length);
  }

  /** Drops remembered values (benchmarks measure a first pass over the data). */
  forget(): void {
    for (const f of this.fieldList) f.forget();
  }

  /**
   * Ids (into `items`) of the indexed items whose literal the event holds, in ascending
   * order; valid until the next call. `always` items are the caller's to try as well.
   */
  candidates(view: EventView): Found {
    const found = this.found;
    found.reset();
    if (this.items.length === 0) return found;
    for (const f of this.fieldList) {
      if (f.slot < 0) {
        // Keywords: any value of the event, nested ones included.
        scanValues(view.event, f, found);
        continue;
      }
      const text = view.text(f.slot);
      if (text !== null) {
        f.remembered(text, view, found);
        continue;
      }
      const value = view.value(f.slot);
      if (Array.isArray(value)) {
        for (const x of value) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') f.scan(String(x).toLowerCase(), found);
      }
    }
    if (found.n > 1) sortPrefix(found.ids, found.n);
    return found;
  }
}

/**
 * Keyword search over every scalar value of an event (nested ones included), skipping values
 * too short to hold the shortest keyword: most fields are short ids and numbers.
 */
function scanValues(v: EventRecord | FieldValue, f: FieldIndex, found: Found, depth = 0): void {
  if (v === null) return;
  if (typeof v === 'string') {
    if (v.length >= f.minLength) f.scanFolded(v, found);
  } else if (typeof v === 'number') {
    // Most numbers (ids, counts) are shorter than any keyword: skip them without a string.
    if (Number.isInteger(v) && v >= 0 && v < f.smallInts) return;
    const t = String(v);
    if (t.length >= f.minLength) f.scanFolded(t, found);
  } else if (typeof v === 'boolean') {
    if (f.minLength <= 5) f.scanFolded(String(v), found);
  } else if (depth < MAX_VALUE_DEPTH) {
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) scanValues(v[i]!, f, found, depth + 1);
    else for (const k in v) scanValues(v[k]!, f, found, depth + 1);
  }
}

/** Values nested deeper than this are not searched: real events are shallow, hostile ones not. */
export const MAX_VALUE_DEPTH = 64;

/** Sorts ids[0..n) in place: insertion sort for the usual handful, the native sort beyond. */
function sortPrefix(ids: Int32Array, n: number): void {
  if (n > 32) {
    ids.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = ids[i]!;
    let j = i - 1;
    while (j >= 0 && ids[j]! > x) {
      ids[j + 1] = ids[j]!;
      j--;
    }
    ids[j + 1] = x;
  }
}
