/**
 * Substring literals of one field, found in an event's text in time proportional to the
 * text, not to the number of literals (thousands, for `CommandLine`):
 *
 * - long literals (8+ characters) by a sampled 3-gram scan: with s = shortest long literal
 *   − 2, each literal files the s consecutive 3-grams that are rarest among the literals, so
 *   reading the text's 3-gram at every s-th position cannot step over any occurrence;
 * - medium ones (3–7) by each one's rarest 3-gram at every position, or with the engine's
 *   own `includes` when there are only a few;
 * - short ones (1–2: `^^`, emoji) by their first character.
 *
 * A 3-gram hit is checked at the position it implies, so a hit costs O(literal). `folded`
 * indexes compare ASCII case-insensitively on the raw text (keyword search over every value);
 * the others expect lower-cased text.
 */
export interface Literal {
  readonly lit: string;
  readonly items: number[];
}

/** Collects item ids; see rule-index.ts. */
export interface ItemSink {
  addAll(items: readonly number[]): void;
}

interface GramEntry extends Literal {
  /** Where the 3-gram sits in the literal. */
  readonly off: number;
}

const LONG = 8;
const FEW = 16;
const TABLE_BITS = 18;

function gram(a: number, b: number, c: number): number {
  return ((a << 12) ^ (b << 6) ^ c) & ((1 << TABLE_BITS) - 1);
}

/** ASCII case folding, plus the two non-ASCII letters whose lower case is ASCII (K, İ). */
export function fold(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  return c === 0x212a ? 107 : c === 0x130 ? 105 : c;
}

/** `text` holds the lower-case literal at `at`, ignoring ASCII case. */
export function foldedAt(text: string, lit: string, at: number): boolean {
  if (at < 0 || at + lit.length > text.length) return false;
  for (let i = 0; i < lit.length; i++) if (fold(text.charCodeAt(at + i)) !== lit.charCodeAt(i)) return false;
  return true;
}

/**
 * Literals filed under 3-grams, laid out for the scan's cache misses, which are its cost
 * (hundreds of tables, one per indexed field and bucket, are touched per event): a bit
 * filter sized to the table (a few hundred bytes for most), then an open-addressed table of
 * grams whose entries sit side by side in flat arrays.
 */
class GramTable {
  private readonly building = new Map<number, GramEntry[]>();
  private readonly spelled = new Set<number>();
  /** Filter over the grams (folded tables: over every case spelling of them). */
  filter = new Uint32Array(1);
  filterShift = 31;
  /** Open addressing: `keys[h]` is a gram + 1 (0: empty); its entries are `[start[h], start[h + 1])` in slot order. */
  keys = new Int32Array(1);
  firstEntry = new Int32Array(2);
  keyShift = 31;
  lits: string[] = [];
  offs = new Int32Array(0);
  items: (readonly number[])[] = [];

  constructor(readonly folded: boolean) {}

  add(g: number, entry: GramEntry): void {
    let list = this.building.get(g);
    if (!list) this.building.set(g, (list = []));
    list.push(entry);
    if (!this.folded) return;
    const at = entry.off;
    for (const a of spellings(entry.lit.charCodeAt(at))) {
      for (const b of spellings(entry.lit.charCodeAt(at + 1))) {
        for (const c of spellings(entry.lit.charCodeAt(at + 2))) this.spelled.add(gram(a, b, c));
      }
    }
  }

  seal(): this {
    const grams = [...this.building.keys()];
    const filterGrams = this.folded ? [...this.spelled] : grams;
    // About 16 filter bits per gram: a text gram passes by chance one time in 16 or less.
    this.filterShift = 32 - log2AtLeast(Math.max(64, filterGrams.length * 16));
    this.filter = new Uint32Array(Math.max(1, 2 ** (32 - this.filterShift) / 32));
    for (const g of filterGrams) {
      const b = mix(g) >>> this.filterShift;
      this.filter[b >>> 5]! |= 1 << (b & 31);
    }
    const bits = log2AtLeast(Math.max(4, grams.length * 2));
    this.keyShift = 32 - bits;
    const size = 2 ** bits;
    this.keys = new Int32Array(size);
    for (const g of grams) {
      let h = mix(g) >>> this.keyShift;
      while (this.keys[h] !== 0) h = (h + 1) & (size - 1);
      this.keys[h] = g + 1;
    }
    this.firstEntry = new Int32Array(size + 1);
    const offs: number[] = [];
    for (let h = 0; h < size; h++) {
      this.firstEntry[h] = this.lits.length;
      const k = this.keys[h]!;
      if (k === 0) continue;
      for (const e of this.building.get(k - 1)!) {
        this.lits.push(e.lit);
        offs.push(e.off);
        this.items.push(e.items);
      }
    }
    this.firstEntry[size] = this.lits.length;
    this.offs = Int32Array.from(offs);
    this.building.clear();
    this.spelled.clear();
    return this;
  }

  /** Slot of a gram in `keys`, or -1. */
  slotOf(g: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    const want = g + 1;
    for (let h = mix(g) >>> this.keyShift; ; h = (h + 1) & mask) {
      const k = keys[h]!;
      if (k === want) return h;
      if (k === 0) return -1;
    }
  }
}

/** Spreads a gram's bits for the power-of-two tables (Fibonacci hashing: read the top bits). */
function mix(g: number): number {
  return Math.imul(g, 0x9e3779b1) >>> 0;
}

function log2AtLeast(n: number): number {
  let b = 1;
  while (2 ** b < n) b++;
  return Math.min(b, 30);
}

/** The characters that fold to a lower-case literal character. */
function spellings(c: number): number[] {
  if (c >= 97 && c <= 122) return c === 107 ? [c, c - 32, 0x212a] : c === 105 ? [c, c - 32, 0x130] : [c, c - 32];
  return [c];
}

function gramsOf(lit: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 < lit.length; i++) out.push(gram(lit.charCodeAt(i), lit.charCodeAt(i + 1), lit.charCodeAt(i + 2)));
  return out;
}

export class SubstringIndex {
  /** Length of the shortest literal: shorter texts hold none. */
  readonly minLength: number;
  private readonly long: GramTable | null = null;
  /** Positions between samples of the long scan: the shortest long literal minus 2. */
  private readonly stride: number = LONG - 2;
  private readonly mid: GramTable | null = null;
  private readonly few: Literal[] | null = null;
  private readonly shortByFirst: Map<number, Literal[]> | null = null;
  private readonly shortBits = new Uint32Array(2048);
  private readonly nonAscii: Literal[] = [];

  constructor(
    literals: readonly Literal[],
    private readonly folded: boolean,
  ) {
    const short: Literal[] = [];
    const mid: Literal[] = [];
    const long: Literal[] = [];
    for (const e of literals) {
      // Folding compares ASCII only; other literals are checked on lower-cased text.
      if (folded && /[^\x00-\x7f]/.test(e.lit)) this.nonAscii.push(e);
      else if (e.lit.length < 3) short.push(e);
      else if (e.lit.length < LONG) mid.push(e);
      else long.push(e);
    }
    // Lower-casing can lengthen a text (İ → i̇), so a non-ASCII literal bounds nothing.
    this.minLength = this.nonAscii.length > 0 ? 1 : Math.min(Infinity, ...literals.map((e) => e.lit.length));
    const f = countGrams([...mid, ...long]);
    if (long.length > 0) {
      this.stride = Math.min(...long.map((e) => e.lit.length)) - 2;
      this.long = windowTable(long, f, this.stride, folded);
    }
    if (mid.length > 0 && !folded && mid.length <= FEW) this.few = mid;
    else if (mid.length > 0) this.mid = rarestTable(mid, f, folded);
    f.release();
    if (short.length > 0) {
      this.shortByFirst = new Map();
      for (const e of short) {
        const c = folded ? fold(e.lit.charCodeAt(0)) : e.lit.charCodeAt(0);
        this.shortBits[c >>> 5]! |= 1 << (c & 31);
        let list = this.shortByFirst.get(c);
        if (!list) this.shortByFirst.set(c, (list = []));
        list.push(e);
      }
    }
  }

  scan(text: string, sink: ItemSink): void {
    if (text.length < this.minLength) return;
    if (this.nonAscii.length > 0) {
      const lower = text.toLowerCase();
      for (const e of this.nonAscii) if (lower.includes(e.lit)) sink.addAll(e.items);
    }
    if (this.shortByFirst !== null) this.scanShort(text, sink);
    if (this.few !== null) for (const e of this.few) if (text.includes(e.lit)) sink.addAll(e.items);
    if (this.mid !== null) this.scanGrams(this.mid, text, 1, sink);
    if (this.long !== null && text.length >= LONG) this.scanGrams(this.long, text, this.stride, sink);
  }

  private scanShort(text: string, sink: ItemSink): void {
    const bits = this.shortBits;
    const folded = this.folded;
    for (let i = 0; i < text.length; i++) {
      const c = folded ? fold(text.charCodeAt(i)) : text.charCodeAt(i);
      if ((bits[c >>> 5]! & (1 << (c & 31))) === 0) continue;
      for (const e of this.shortByFirst!.get(c)!) {
        if (folded ? foldedAt(text, e.lit, i) : text.startsWith(e.lit, i)) sink.addAll(e.items);
      }
    }
  }

  private scanGrams(table: GramTable, text: string, stride: number, sink: ItemSink): void {
    const filter = table.filter;
    const shift = table.filterShift;
    const n = text.length;
    const folded = table.folded;
    for (let p = 0; p + 2 < n; p += stride) {
      const a = text.charCodeAt(p);
      const b = text.charCodeAt(p + 1);
      const c = text.charCodeAt(p + 2);
      // Folded tables filter the text as written (every spelling is in the filter) and
      // fold only the few positions that pass.
      const f = mix(gram(a, b, c)) >>> shift;
      if ((filter[f >>> 5]! & (1 << (f & 31))) === 0) continue;
      const h = table.slotOf(folded ? gram(fold(a), fold(b), fold(c)) : gram(a, b, c));
      if (h < 0) continue;
      const end = table.firstEntry[h + 1]!;
      for (let k = table.firstEntry[h]!; k < end; k++) {
        const lit = table.lits[k]!;
        const at = p - table.offs[k]!;
        if (folded ? foldedAt(text, lit, at) : at >= 0 && text.startsWith(lit, at)) sink.addAll(table.items[k]!);
      }
    }
  }

}

/** In how many literals each 3-gram occurs; scratch tables shared by every build, reset after. */
const COUNTS = new Uint32Array(1 << TABLE_BITS);
const STAMP = new Uint32Array(1 << TABLE_BITS);
let stamp = 0;

interface GramCounts {
  (g: number): number;
  release(): void;
}

function countGrams(literals: readonly Literal[]): GramCounts {
  const touched: number[] = [];
  for (const e of literals) {
    if (++stamp === 0xffffffff) {
      STAMP.fill(0);
      stamp = 1;
    }
    const lit = e.lit;
    for (let i = 0; i + 2 < lit.length; i++) {
      const g = gram(lit.charCodeAt(i), lit.charCodeAt(i + 1), lit.charCodeAt(i + 2));
      if (STAMP[g] === stamp) continue; // once per literal
      STAMP[g] = stamp;
      if (COUNTS[g]!++ === 0) touched.push(g);
    }
  }
  const f = ((g: number): number => COUNTS[g]!) as GramCounts;
  f.release = () => {
    for (const g of touched) COUNTS[g] = 0;
  };
  return f;
}

/** Each literal under its rarest 3-gram (read at every position). */
function rarestTable(literals: readonly Literal[], freq: (g: number) => number, folded: boolean): GramTable {
  const table = new GramTable(folded);
  for (const e of literals) {
    const grams = gramsOf(e.lit);
    let off = 0;
    for (let i = 1; i < grams.length; i++) if (freq(grams[i]!) < freq(grams[off]!)) off = i;
    table.add(grams[off]!, { lit: e.lit, items: e.items, off });
  }
  return table.seal();
}

/**
 * Each literal under `stride` consecutive 3-grams, the window whose grams are rarest, so a
 * scan reading every stride-th position meets one of them wherever the literal stands.
 */
function windowTable(literals: readonly Literal[], freq: (g: number) => number, stride: number, folded: boolean): GramTable {
  const table = new GramTable(folded);
  for (const e of literals) {
    const grams = gramsOf(e.lit);
    // Sliding sum of the window's gram counts.
    let cost = 0;
    for (let k = 0; k < stride; k++) cost += freq(grams[k]!);
    let best = 0;
    let bestCost = cost;
    for (let w = 1; w + stride <= grams.length; w++) {
      cost += freq(grams[w + stride - 1]!) - freq(grams[w - 1]!);
      if (cost < bestCost) {
        bestCost = cost;
        best = w;
      }
    }
    // A gram twice in the window is filed twice: each offset is a different alignment.
    for (let off = best; off < best + stride; off++) table.add(grams[off]!, { lit: e.lit, items: e.items, off });
  }
  return table.seal();
}
