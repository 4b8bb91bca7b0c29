/**
 * The dataset as oracle: every .evtx of evtx-attack-samples has a .jsonl twin made by
 * python-evtx; readEvtx must give the same records, in order, with the same fields. Only the
 * differences the dataset README documents are normalised before comparing:
 *  - CR LF (and a lone CR) in a value became LF in the JSON Lines (XML line-end handling);
 *  - timestamps: the README says "truncated to microseconds", which readEvtx does exactly, but
 *    python-evtx computed `float(ticks) * 1e-7 - 11644473600` and rounded: a double near 1.3e10
 *    seconds resolves only 1.9 µs, so in about half the events its microseconds differ from the
 *    exact cut by 1 or 2.
 * Trailing spaces need no normalising: the JSON Lines keep them, and so does readEvtx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { EventRecord, FieldValue } from '../../core/index.js';
import { readEvtx } from './reader.js';
import type { EvtxItem } from './reader.js';

const SAMPLES = fileURLToPath(new URL('../../../../shared/data/events/evtx-attack-samples/', import.meta.url));
const skip = existsSync(SAMPLES) ? false : `dataset not found at ${SAMPLES}`;
const DATASET_EVENTS = 8255;
const CHUNK_SIZE = 0x10000;
/** Largest gap between python-evtx's float timestamps and exact truncation seen in the dataset. */
const PYTHON_FLOAT_NOISE_MICROS = 2;

function evtxFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...evtxFiles(path));
    else if (entry.name.endsWith('.evtx')) files.push(path);
  }
  return files.sort();
}

function readJsonLines(path: string): EventRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EventRecord);
}

/** `2019-03-17T19:37:11.661928Z` / `2019-03-17 19:37:11.661928` → microseconds since the epoch. */
function timestampMicros(text: string): number | undefined {
  if (text.length < 19 || (text[10] !== ' ' && text[10] !== 'T') || text[4] !== '-' || text[13] !== ':') return undefined;
  const seconds = Date.parse(`${text.slice(0, 10)}T${text.slice(11, 19)}Z`);
  if (Number.isNaN(seconds)) return undefined;
  const rest = text.slice(19).replace(/Z$/, '');
  if (rest !== '' && !/^\.\d{6}$/.test(rest)) return undefined;
  return seconds * 1000 + (rest ? Number(rest.slice(1)) : 0);
}

/** Equal up to the documented differences (see the top of this file). */
function sameValue(actual: FieldValue | undefined, expected: FieldValue | undefined): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const lineEnds = actual.replace(/\r\n?/g, '\n');
    if (lineEnds === expected) return true;
    const a = timestampMicros(actual);
    const e = timestampMicros(expected);
    return a !== undefined && e !== undefined && Math.abs(a - e) <= PYTHON_FLOAT_NOISE_MICROS;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length === expected.length && actual.every((value, i) => sameValue(value, expected[i]));
  }
  return isDeepStrictEqual(actual, expected);
}

function differences(actual: EventRecord, expected: EventRecord): string[] {
  const fields = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...fields].filter((field) => !sameValue(actual[field], expected[field]));
}

function describe(field: string, actual: EventRecord, expected: EventRecord): string {
  return `${field} ${JSON.stringify(actual[field])} instead of ${JSON.stringify(expected[field])}`;
}

function events(items: Iterable<EvtxItem>): { events: EventRecord[]; problems: string[] } {
  const result = { events: [] as EventRecord[], problems: [] as string[] };
  for (const item of items) {
    if (item.ok) result.events.push(item.event);
    else result.problems.push(`${item.offset}: ${item.reason}`);
  }
  return result;
}

test('every sample reads to the same events as its JSON Lines twin', { skip }, (t) => {
  let compared = 0;
  let exact = 0;
  let equal = 0;
  const failures: string[] = [];
  for (const file of evtxFiles(SAMPLES)) {
    const expected = readJsonLines(file.replace(/\.evtx$/, '.jsonl'));
    const { events: actual, problems } = events(readEvtx(readFileSync(file)));
    const name = file.slice(SAMPLES.length);
    if (problems.length > 0) failures.push(`${name}: ${problems.join('; ')}`);
    if (actual.length !== expected.length) failures.push(`${name}: ${actual.length} records, the twin has ${expected.length}`);
    for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
      compared++;
      if (isDeepStrictEqual(actual[i], expected[i])) exact++;
      const fields = differences(actual[i]!, expected[i]!);
      if (fields.length === 0) equal++;
      else if (failures.length < 20) failures.push(`${name} #${i}: ${fields.map((f) => describe(f, actual[i]!, expected[i]!)).join(', ')}`);
    }
  }
  t.diagnostic(`${equal}/${compared} events equal (${exact} without any normalising)`);
  assert.deepEqual(failures, []);
  assert.equal(compared, DATASET_EVENTS);
  assert.equal(equal, DATASET_EVENTS);
});

/** A sample with records in several chunks, so a cut can fall inside the second chunk. */
const MULTI_CHUNK = 'Lateral Movement/LM_5145_Remote_FileCopy.evtx';

function pickMultiChunkSample(): string {
  const preferred = join(SAMPLES, MULTI_CHUNK);
  if (existsSync(preferred)) return preferred;
  // Fall back on the biggest file: it has the most chunks in use.
  return evtxFiles(SAMPLES).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
}

test('a file cut inside a chunk yields the records before the cut and a problem', { skip }, () => {
  const bytes = new Uint8Array(readFileSync(pickMultiChunkSample()));
  const whole = [...readEvtx(bytes)].filter((item) => item.ok);
  const offsets = whole.map((item) => item.offset);
  // Cut in the middle of a record that is not the first one of its chunk.
  const victim = offsets.findIndex((offset, i) => i > 0 && (offset - 0x1000) % CHUNK_SIZE > 0x200 + 0x400);
  assert.ok(victim > 0, 'the sample has a record deep enough into a chunk');
  const cut = offsets[victim]! + 40;
  let items: EvtxItem[] = [];
  assert.doesNotThrow(() => {
    items = [...readEvtx(bytes.subarray(0, cut))];
  });
  const read = items.filter((item) => item.ok);
  const problems = items.filter((item) => !item.ok);
  assert.deepEqual(
    read.map((item) => item.offset),
    offsets.slice(0, victim),
  );
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.offset, offsets[victim]);
  assert.match(problems[0]!.ok ? '' : problems[0]!.reason, /truncated/);
});

test('a file cut right after a chunk header reports the truncation', { skip }, () => {
  const bytes = new Uint8Array(readFileSync(pickMultiChunkSample()));
  const first = [...readEvtx(bytes)].find((item) => item.ok)!;
  const items = [...readEvtx(bytes.subarray(0, 0x1000 + 0x200))];
  assert.equal(first.offset, 0x1200);
  assert.equal(items.length, 1);
  assert.match(items[0]!.ok ? '' : items[0]!.reason, /truncated/);
});

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random byte damage inside records never throws, and undamaged chunks still read', { skip }, () => {
  const files = evtxFiles(SAMPLES);
  const random = seededRandom(20240917);
  for (let run = 0; run < 300; run++) {
    const file = files[Math.floor(random() * files.length)]!;
    const bytes = new Uint8Array(readFileSync(file));
    const chunks: number[] = [];
    for (let base = 0x1000; base + 0x200 <= bytes.length; base += CHUNK_SIZE) if (bytes[base] === 0x45) chunks.push(base);
    const base = chunks[Math.floor(random() * chunks.length)]!;
    const used = new DataView(bytes.buffer).getUint32(base + 48, true);
    const damage = 1 + Math.floor(random() * 16);
    for (let i = 0; i < damage; i++) {
      bytes[base + 0x200 + Math.floor(random() * Math.max(1, used - 0x200))] = Math.floor(random() * 256);
    }
    let items: EvtxItem[] = [];
    assert.doesNotThrow(() => {
      items = [...readEvtx(bytes)];
    }, `run ${run}: ${file}`);
    // Records of the chunks that were not touched come out as before.
    const untouched = (offset: number) => offset < base || offset >= base + CHUNK_SIZE;
    const before = [...readEvtx(readFileSync(file))].filter((item) => item.ok && untouched(item.offset)).length;
    assert.equal(items.filter((item) => item.ok && untouched(item.offset)).length, before, `run ${run}: ${file}`);
  }
});
