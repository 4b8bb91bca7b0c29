import type { EventRecord, FieldValue } from '../../core/index.js';
import { fieldValue } from './fields.js';

/**
 * Field names used by compiled rules get small integer slots, so an event's values can be
 * looked up and lower-cased once per event, not once per rule.
 */
export class FieldTable {
  private readonly slots = new Map<string, number>();
  readonly names: string[] = [];

  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.names.length;
      this.names.push(name);
      this.slots.set(name, s);
    }
    return s;
  }
}

/** Scalar text of a value as Sigma compares it; null for absent, null, lists and maps. */
export function scalarText(v: FieldValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * One event seen through a field table, with per-event caches invalidated by a generation
 * counter instead of allocation.
 */
export class EventView {
  event: EventRecord = {};
  private gen = 1;
  private rawGen: Int32Array = new Int32Array(64);
  private raw: (FieldValue | undefined)[] = [];
  private lowGen: Int32Array = new Int32Array(64);
  private low: (string | null)[] = [];
  private utf8Gen: Int32Array = new Int32Array(64);
  private utf8Bytes: (Buffer | null)[] = [];
  private allText: string[] | null = null;
  private allLower: string[] | null = null;

  constructor(readonly table: FieldTable) {}

  reset(event: EventRecord): this {
    this.event = event;
    this.gen++;
    this.allText = null;
    this.allLower = null;
    return this;
  }

  value(slot: number): FieldValue | undefined {
    if (slot >= this.rawGen.length) this.grow(slot);
    if (this.rawGen[slot] !== this.gen) {
      this.rawGen[slot] = this.gen;
      this.raw[slot] = fieldValue(this.event, this.table.names[slot]!);
    }
    return this.raw[slot];
  }

  text(slot: number): string | null {
    return scalarText(this.value(slot));
  }

  /** Lower-cased scalar text, cached: the common case-insensitive comparison. */
  lower(slot: number): string | null {
    if (slot >= this.lowGen.length) this.grow(slot);
    if (this.lowGen[slot] !== this.gen) {
      this.lowGen[slot] = this.gen;
      const t = this.text(slot);
      this.low[slot] = t === null ? null : t.toLowerCase();
    }
    return this.low[slot]!;
  }

  /** UTF-8 bytes of the scalar text, cached: what regexes on the field read. */
  utf8(slot: number): Buffer | null {
    if (slot >= this.utf8Gen.length) this.grow(slot);
    if (this.utf8Gen[slot] !== this.gen) {
      this.utf8Gen[slot] = this.gen;
      const t = this.text(slot);
      this.utf8Bytes[slot] = t === null ? null : Buffer.from(t, 'utf8');
    }
    return this.utf8Bytes[slot]!;
  }

  /** Every scalar value in the event, nested ones included, as text: what keywords search. */
  texts(): string[] {
    if (this.allText === null) {
      const out: string[] = [];
      collectTexts(this.event, out);
      this.allText = out;
    }
    return this.allText;
  }

  /** `texts()` lower-cased, cached. */
  lowerTexts(): string[] {
    if (this.allLower === null) this.allLower = this.texts().map((t) => t.toLowerCase());
    return this.allLower;
  }

  private grow(slot: number): void {
    const size = Math.max(slot + 1, this.rawGen.length * 2);
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.rawGen = grow(this.rawGen);
    this.lowGen = grow(this.lowGen);
    this.utf8Gen = grow(this.utf8Gen);
  }
}

/** Deeper values are not searched: real events are shallow; hostile ones could exhaust the stack. */
const MAX_DEPTH = 64;

function collectTexts(v: FieldValue, out: string[], depth = 0): void {
  if (v === null) return;
  if (typeof v === 'object') {
    if (depth >= MAX_DEPTH) return;
    if (Array.isArray(v)) for (const x of v) collectTexts(x, out, depth + 1);
    else for (const k in v) collectTexts(v[k]!, out, depth + 1);
    return;
  }
  out.push(String(v));
}
