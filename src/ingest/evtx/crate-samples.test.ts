/**
 * The sample files of the Rust `evtx` crate's test suite (shared data, logs README §3): logs
 * from other Windows versions and producers than the attack samples — CAPI2 with BinXML inside
 * substitution values, events forwarded by WEC (records without templates), size_t values, a
 * file with damaged chunks — and the crate's expected rendering of chosen records (insta
 * snapshots, XML or JSON) as an oracle.
 *
 * The snapshots are parsed here into the element tree, flattened with the project's own
 * `flattenEvent`, and compared field by field with what `readEvtx` gives. The crate renders a
 * few values differently from python-evtx, whose rendering the reader follows (dataset README,
 * "JSON Lines format"); only these differences are normalised before comparing:
 *  - GUID values: the crate writes them without braces (`54849625-…`), python-evtx with;
 *  - string arrays: Windows and the crate repeat the element per item, python-evtx writes one
 *    element with `<string>item</string>\n` per item (see `renderArray`);
 *  - the crate's JSON drops trailing spaces of a value (its XML keeps them, as does the reader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EventRecord, FieldValue } from '../../core/index.js';
import { flattenEvent, isElement } from '../winevent.js';
import type { WinElement, WinNode } from '../winevent.js';
import { readEvtx } from './reader.js';
import type { EvtxItem } from './reader.js';

const SAMPLES = fileURLToPath(new URL('../../../../shared/data/logs/windows/evtx/', import.meta.url));
const SNAPSHOTS = `${SAMPLES}expected-snapshots/`;
const skip = existsSync(SNAPSHOTS) ? false : `evtx crate samples not found at ${SAMPLES}`;

const FILE_HEADER_SIZE = 0x1000;
const CHUNK_SIZE = 0x10000;
const CAPI2 = 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx';
const DAMAGED = 'sample_with_a_bad_chunk_magic.evtx';

/**
 * Records each file yields, checked against its chunk headers below. sysmon.evtx is followed
 * by 8 chunks' worth of non-EVTX bytes (not zeros), one problem each.
 */
const EXPECTED: Record<string, { records: number; problems: number }> = {
  'Application_no_crc32.evtx': { records: 17, problems: 0 },
  [CAPI2]: { records: 340, problems: 0 },
  'MSExchange_Management_wec.evtx': { records: 1, problems: 0 },
  'Security_short_selected.evtx': { records: 7, problems: 0 },
  'Security_with_size_t.evtx': { records: 636, problems: 0 },
  'issue_201.evtx': { records: 1, problems: 0 },
  'new-user-security.evtx': { records: 4, problems: 0 },
  'security.evtx': { records: 2261, problems: 0 },
  'sysmon.evtx': { records: 358, problems: 8 },
  'system.evtx': { records: 1881, problems: 0 },
};

function read(name: string): { bytes: Uint8Array; items: EvtxItem[] } {
  const bytes = new Uint8Array(readFileSync(SAMPLES + name));
  let items: EvtxItem[] = [];
  assert.doesNotThrow(() => {
    items = [...readEvtx(bytes)];
  }, name);
  return { bytes, items };
}

interface ChunkHeader {
  base: number;
  firstId: number;
  lastId: number;
}

/** The chunks that carry a signature, with the record id range their header declares. */
function chunkHeaders(bytes: Uint8Array): ChunkHeader[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: ChunkHeader[] = [];
  for (let base = FILE_HEADER_SIZE; base + 0x200 <= bytes.length; base += CHUNK_SIZE) {
    if (new TextDecoder().decode(bytes.subarray(base, base + 8)) !== 'ElfChnk\0') continue;
    chunks.push({ base, firstId: Number(view.getBigUint64(base + 24, true)), lastId: Number(view.getBigUint64(base + 32, true)) });
  }
  return chunks;
}

function declaredIds(chunks: ChunkHeader[]): number[] {
  const ids: number[] = [];
  for (const { firstId, lastId } of chunks) for (let id = firstId; id <= lastId; id++) ids.push(id);
  return ids;
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function chunkIndex(offset: number): number {
  return Math.floor((offset - FILE_HEADER_SIZE) / CHUNK_SIZE);
}

test('every crate sample is read, each with all the records its chunk headers declare', { skip }, (t) => {
  const files = readdirSync(SAMPLES).filter((name) => name.endsWith('.evtx')).sort();
  assert.deepEqual(files, [...Object.keys(EXPECTED), DAMAGED].sort(), 'the sample set is the one these counts were verified on');
  for (const name of files) {
    const { bytes, items } = read(name);
    if (name === DAMAGED) continue; // its own test below
    const ok = items.filter((item) => item.ok);
    const problems = items.filter((item) => !item.ok);
    const chunks = chunkHeaders(bytes);
    assert.equal(ok.length, EXPECTED[name]!.records, name);
    // Exactly the declared records, each once, in chunk order.
    assert.deepEqual(
      ok.map((item) => item.recordId),
      declaredIds(chunks),
      name,
    );
    assert.equal(problems.length, EXPECTED[name]!.problems, `${name}: ${problems.map((p) => !p.ok && p.reason).join('; ')}`);
    for (const problem of problems) {
      // Only whole chunks of foreign bytes are reported in the good files, and they are not empty.
      assert.ok(!problem.ok);
      assert.equal(problem.reason, 'chunk has no ElfChnk signature; skipped', name);
      assert.equal((problem.offset - FILE_HEADER_SIZE) % CHUNK_SIZE, 0);
      assert.ok(!isZero(bytes, problem.offset, Math.min(problem.offset + CHUNK_SIZE, bytes.length)), `${name}: chunk at ${problem.offset} is empty`);
    }
    t.diagnostic(`${name}: ${ok.length} records, ${chunks.length} chunks, ${problems.length} problems`);
  }
});

test('the file with damaged chunks yields its intact records and reports each damage', { skip }, () => {
  const { bytes, items } = read(DAMAGED);
  const chunks = chunkHeaders(bytes);
  const ok = items.filter((item) => item.ok);
  const problems = items.flatMap((item) => (item.ok ? [] : [item]));

  // Chunks 1-6 and 10-15 have no signature. 6 and 10 hold leftover record bytes behind a zeroed
  // header, which is worth a report; the others are all zeros, unused chunks.
  assert.deepEqual(
    chunks.map((chunk) => chunkIndex(chunk.base)),
    [0, 7, 8, 9],
  );
  const badChunks = problems.filter((problem) => problem.reason === 'chunk has no ElfChnk signature; skipped');
  assert.deepEqual(
    badChunks.map((problem) => chunkIndex(problem.offset)),
    [6, 10],
  );

  // Chunks 0, 7 and 9 lost pages to zeros (a volume shadow copy): the record that runs into the
  // zeros has a broken size copy, then the zeros are reported where the header says records are.
  const damaged = problems.filter((problem) => problem.reason.startsWith('record is damaged'));
  assert.deepEqual(
    damaged.map((problem) => problem.recordId),
    [46741, 47640, 45933],
  );
  const gaps = problems.filter((problem) => problem.reason.startsWith('records stop early'));
  assert.deepEqual(
    gaps.map((problem) => chunkIndex(problem.offset)),
    [0, 7, 9],
  );
  for (const gap of gaps) assert.ok(isZero(bytes, gap.offset, gap.offset + 0x100));
  assert.equal(problems.length, badChunks.length + damaged.length + gaps.length);

  // What is read is real: every record id is one its chunk declares, none twice; chunk 8 is
  // intact and comes out whole, and chunk 7 has records again after its zeroed pages.
  assert.equal(ok.length, 298);
  const byChunk = new Map<number, number[]>();
  for (const item of ok) {
    const index = chunkIndex(item.offset);
    byChunk.set(index, [...(byChunk.get(index) ?? []), item.recordId]);
  }
  for (const chunk of chunks) {
    const ids = byChunk.get(chunkIndex(chunk.base)) ?? [];
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(id >= chunk.firstId && id <= chunk.lastId, `record ${id} outside its chunk's ${chunk.firstId}..${chunk.lastId}`);
  }
  assert.deepEqual(byChunk.get(8), declaredIds([chunks[2]!]));
  assert.deepEqual(
    [...byChunk].map(([index, ids]) => [index, ids.length]),
    [
      [0, 13],
      [7, 12 + 31],
      [8, 129],
      [9, 113],
    ],
  );
  const record = ok.find((item) => item.recordId === 47675);
  assert.equal(record?.ok && record.event.Channel, 'Microsoft-Windows-AppXDeployment/Operational');
});

// ---- snapshot oracle ----

/** Snapshot → sample file and record (README §3): the first record, or an EventRecordID. */
const SNAPSHOT_RECORDS: Record<string, [file: string, record: 'first' | number]> = {
  event_xml_sample: ['security.evtx', 'first'],
  event_json_sample: ['security.evtx', 'first'],
  event_xml_sample_with_string_with_trailing_spaces: ['security.evtx', 2260],
  event_xml_sample_with_event_data_with_attributes_and_text: ['system.evtx', 'first'],
  event_json_sample_with_event_data_with_attributes_and_text: ['system.evtx', 'first'],
  event_xml_sample_with_user_data: [CAPI2, 'first'],
  event_xml_sample_with_entity_ref: [CAPI2, 28],
  event_xml_sample_with_entity_ref_2: [CAPI2, 25],
  event_json_with_multiple_nodes_same_name: [CAPI2, 28],
  event_json_with_multiple_nodes_same_name_separate: [CAPI2, 28],
  event_json_with_size_t: ['Security_with_size_t.evtx', 196],
  event_json_with_multiple_data_elements: ['MSExchange_Management_wec.evtx', 'first'],
  'event_json_with_multiple_data_elements-2': ['MSExchange_Management_wec.evtx', 'first'],
  event_json_multiple_empty_data_nodes_not_ignored: ['issue_201.evtx', 'first'],
};

/** Snapshots of samples that are not in the shared data (README §3). */
const WITHOUT_SAMPLE = [
  'event_json_missing_string_cache_entry', // security_bad_string_cache.evtx
  'event_json_sample_with_event_data', // 2-system-Security-dirty.evtx
  'event_xml_sample_with_event_data', // 2-system-Security-dirty.evtx
  'event_json_sample_with_separate_json_attributes', // Application.evtx
];

/** The body of an insta snapshot: what follows its YAML header (`---` … `---`). */
function snapshotBody(text: string): string {
  const match = /^---\n[\s\S]*?\n---\n/.exec(text);
  assert.ok(match, 'snapshot header');
  return text.slice(match[0].length);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

/**
 * The crate's XML: declaration, elements with double-quoted attributes, text. It is pretty
 * printed, so an empty element comes out as a newline and indentation: whitespace-only text
 * with a line break is layout, not content.
 */
function parseXml(text: string): WinElement {
  const root: WinElement = { name: '#document', attributes: [], children: [] };
  const stack = [root];
  const token = /<\?[\s\S]*?\?>|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let match: RegExpExecArray | null;
  while ((match = token.exec(text))) {
    const [, close, open, attributes, selfClosing, chars] = match;
    const parent = stack[stack.length - 1]!;
    if (close) {
      assert.equal(parent.name, close, 'XML end tag');
      stack.pop();
    } else if (open) {
      const element: WinElement = { name: open, attributes: [], children: [] };
      for (const [, name, value] of attributes!.matchAll(/([\w:.-]+)="([^"]*)"/g)) element.attributes.push({ name: name!, value: unescapeXml(value!) });
      parent.children.push(element);
      if (!selfClosing) stack.push(element);
    } else if (chars !== undefined && !(/^\s*$/.test(chars) && chars.includes('\n'))) {
      parent.children.push(unescapeXml(chars));
    }
  }
  assert.equal(stack.length, 1, 'XML closed');
  return root.children.find(isElement)!;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonText(value: Json): string {
  return typeof value === 'string' ? value.trimEnd() : String(value);
}

/**
 * The crate's JSON back into elements. Both of its conventions: attributes under
 * `#attributes` (text then under `#text`), or in a sibling `<name>_attributes` (an element with
 * attributes only then has no key of its own). Repeated element names get `_1`, `_2`… ; a `#text`
 * array stands for the element repeated once per item.
 */
function jsonElements(name: string, value: Json, extraAttributes: { [key: string]: Json } = {}): WinElement[] {
  const element = (children: WinNode[], attributes: { [key: string]: Json }): WinElement => ({
    name,
    attributes: Object.entries({ ...extraAttributes, ...attributes }).map(([key, v]) => ({ name: key, value: jsonText(v) })),
    children,
  });
  if (value === null) return [element([], {})];
  if (typeof value !== 'object') return [element([jsonText(value)], {})];
  if (Array.isArray(value)) return value.flatMap((item) => jsonElements(name, item, extraAttributes));
  const attributes = (value['#attributes'] ?? {}) as { [key: string]: Json };
  const text = value['#text'];
  if (Array.isArray(text)) return text.map((item) => element(item === null ? [] : [jsonText(item)], attributes));
  const children: WinNode[] = text === undefined || text === null ? [] : [jsonText(text)];
  children.push(...jsonChildren(value));
  return [element(children, attributes)];
}

function jsonChildren(object: { [key: string]: Json }): WinElement[] {
  const children: WinElement[] = [];
  /** Elements made from a `<key>_attributes` key, by key, still waiting for their content. */
  const pending = new Map<string, number>();
  /** `Header_3` is the fourth `Header` when there was a `Header`. */
  const elementName = (key: string) => {
    const repeated = /^(.+)_\d+$/.exec(key);
    return repeated && children.some((child) => child.name === repeated[1]) ? repeated[1]! : key;
  };
  for (const [key, value] of Object.entries(object)) {
    if (key === '#attributes' || key === '#text') continue;
    if (key.endsWith('_attributes') && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const owner = key.slice(0, -'_attributes'.length);
      pending.set(owner, children.length);
      children.push(...jsonElements(elementName(owner), null, value));
      continue;
    }
    const at = pending.get(key);
    if (at !== undefined) {
      pending.delete(key);
      const attributes = Object.fromEntries(children[at]!.attributes.map((a) => [a.name, a.value]));
      children.splice(at, 1, ...jsonElements(children[at]!.name, value, attributes));
    } else {
      children.push(...jsonElements(elementName(key), value));
    }
  }
  return children;
}

function parseSnapshot(text: string): { event: WinElement; json: boolean } {
  const body = snapshotBody(text);
  if (body.trimStart().startsWith('<')) return { event: parseXml(body), json: false };
  const event = jsonChildren(JSON.parse(body) as { [key: string]: Json }).find((element) => element.name === 'Event');
  assert.ok(event, 'snapshot has an Event');
  return { event, json: true };
}

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;

/** A value with the crate-vs-python-evtx rendering differences (see the top) taken out. */
function normalised(value: FieldValue | undefined, json: boolean): FieldValue | undefined {
  if (Array.isArray(value)) return value.map((item) => normalised(item, json) as string);
  if (typeof value !== 'string') return value;
  const guid = GUID.exec(value);
  if (guid) return guid[1]!.toUpperCase();
  if (value.startsWith('<string>') && value.endsWith('</string>\n')) {
    return value.slice('<string>'.length, -'</string>\n'.length).split('</string>\n<string>');
  }
  return json ? value.trimEnd() : value;
}

function fieldDifferences(actual: EventRecord, expected: EventRecord, json: boolean): string[] {
  const fields = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  const differences: string[] = [];
  for (const field of fields) {
    const a = normalised(actual[field], json);
    const e = normalised(expected[field], json);
    if (JSON.stringify(a) !== JSON.stringify(e)) differences.push(`${field}: ${JSON.stringify(actual[field])} instead of ${JSON.stringify(expected[field])}`);
  }
  return differences;
}

test('records match the evtx crate snapshots, field by field', { skip }, (t) => {
  const snapshots = readdirSync(SNAPSHOTS)
    .filter((name) => name.endsWith('.snap'))
    .map((name) => name.replace(/^test_record_samples__/, '').replace(/\.snap$/, ''))
    .sort();
  assert.deepEqual(snapshots, [...Object.keys(SNAPSHOT_RECORDS), ...WITHOUT_SAMPLE].sort(), 'every snapshot is mapped to a sample or known to have none');

  const files = new Map<string, EventRecord[]>();
  let fields = 0;
  for (const [snapshot, [file, record]] of Object.entries(SNAPSHOT_RECORDS)) {
    const { event, json } = parseSnapshot(readFileSync(`${SNAPSHOTS}test_record_samples__${snapshot}.snap`, 'utf8'));
    const expected = flattenEvent(event);
    // The comparison covers the System fields that identify an event, whatever else there is.
    for (const field of ['EventID', 'Channel', 'Computer', 'EventRecordID', 'TimeCreated_SystemTime', 'Provider_Name']) {
      assert.ok(field in expected, `${snapshot}: the snapshot has ${field}`);
    }
    if (!files.has(file)) files.set(file, read(file).items.flatMap((item) => (item.ok ? [item.event] : [])));
    const events = files.get(file)!;
    const actual = record === 'first' ? events[0] : events.find((e) => e.EventRecordID === record);
    assert.ok(actual, `${snapshot}: record ${record} of ${file}`);
    assert.equal(actual.EventRecordID, expected.EventRecordID, `${snapshot}: the README's record`);
    assert.deepEqual(fieldDifferences(actual, expected, json), [], snapshot);
    fields += Object.keys(expected).length;
  }
  t.diagnostic(`${Object.keys(SNAPSHOT_RECORDS).length} snapshots, ${fields} fields compared`);
});

test('the oracle sees EventData and UserData values, not only System fields', { skip }, () => {
  // Guards the parsing above: a snapshot whose data sections came out empty would compare
  // equal to a reader that lost them.
  const wec = flattenEvent(parseSnapshot(readFileSync(`${SNAPSHOTS}test_record_samples__event_json_with_multiple_data_elements-2.snap`, 'utf8')).event);
  assert.equal((wec.Data as string[]).length, 27);
  assert.equal((wec.Data as string[])[0], 'Set-Mailbox');
  const capi2 = parseSnapshot(readFileSync(`${SNAPSHOTS}test_record_samples__event_json_with_multiple_nodes_same_name_separate.snap`, 'utf8')).event;
  const flat = flattenEvent(capi2);
  assert.equal(flat.URL, 'http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl');
  assert.equal(flat.Header, 'GET /pki/crl/products/microsoftrootcert.crl HTTP/1.1');
  assert.equal(flat.HTTPResponseHeadersInfo_Header, 'x-ms-blob-type: BlockBlob');
  assert.equal(flat.Object, '');
  const sizeT = flattenEvent(parseSnapshot(readFileSync(`${SNAPSHOTS}test_record_samples__event_json_with_size_t.snap`, 'utf8')).event);
  assert.equal(sizeT.HandleId, '0x7eec');
});
