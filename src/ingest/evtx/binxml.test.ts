/**
 * BinXML features the sample files do not all exercise (CDATA, character and entity references,
 * processing instructions, nested BinXML, arrays, every value type), checked on small EVTX files
 * built byte by byte here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readEvtx } from './reader.js';
import type { EvtxItem } from './reader.js';

const T = {
  null: 0x00, string: 0x01, ansi: 0x02, int8: 0x03, uint8: 0x04, int16: 0x05, uint16: 0x06, int32: 0x07,
  uint32: 0x08, int64: 0x09, uint64: 0x0a, real32: 0x0b, real64: 0x0c, bool: 0x0d, binary: 0x0e, guid: 0x0f,
  sizeT: 0x10, filetime: 0x11, systemtime: 0x12, sid: 0x13, hex32: 0x14, hex64: 0x15, binxml: 0x21,
  stringArray: 0x81, uint32Array: 0x88,
} as const;

/** Writes BinXML into a 64 KiB chunk; positions are chunk-relative like the offsets BinXML stores. */
class ChunkWriter {
  readonly bytes = new Uint8Array(0x10000);
  readonly view = new DataView(this.bytes.buffer);
  pos = 0x200;
  /** Whether start-element tokens carry the 2-byte dependency id, as Windows' templates do. */
  dependencyIds = true;
  private readonly names = new Map<string, number>();

  u8(value: number): this {
    this.bytes[this.pos++] = value;
    return this;
  }
  u16(value: number): this {
    this.view.setUint16(this.pos, value, true);
    this.pos += 2;
    return this;
  }
  u32(value: number): this {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  utf16(text: string): this {
    for (let i = 0; i < text.length; i++) this.u16(text.charCodeAt(i));
    return this;
  }

  /** A name offset; the first use of a name stores the string inline, later uses point back. */
  name(name: string): this {
    const known = this.names.get(name);
    if (known !== undefined) return this.u32(known);
    const at = this.pos + 4;
    this.names.set(name, at);
    return this.u32(at).u32(0).u16(0).u16(name.length).utf16(name).u16(0);
  }

  open(name: string, attributes?: () => void): this {
    this.u8(attributes ? 0x41 : 0x01);
    if (this.dependencyIds) this.u16(0xffff);
    this.u32(0).name(name);
    if (attributes) {
      this.u32(0);
      attributes();
    }
    return this;
  }
  attribute(name: string, value: () => void): this {
    this.u8(0x06).name(name);
    value();
    return this;
  }
  closeStart(): this {
    return this.u8(0x02);
  }
  closeEmpty(): this {
    return this.u8(0x03);
  }
  end(): this {
    return this.u8(0x04);
  }
  text(text: string): this {
    return this.u8(0x05).u8(0x01).u16(text.length).utf16(text);
  }
  sub(index: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type);
  }
  fragment(): this {
    return this.u8(0x0f).u8(1).u8(1).u8(0);
  }
  /** `<name>` holding a single substitution. */
  leaf(name: string, index: number, type: number, optional = false): this {
    return this.open(name).closeStart().sub(index, type, optional).end();
  }
  data(name: string, index: number, type: number, optional = false): this {
    return this.open('Data', () => this.attribute('Name', () => this.text(name))).closeStart().sub(index, type, optional).end();
  }

  /**
   * Template instance; with a body the definition is stored inline (first use), else referenced.
   * A value given as a function is written in place (nested BinXML must be: its name offsets
   * are chunk-relative).
   */
  instance(definition: number | (() => void), values: (Uint8Array | (() => void))[], types: number[]): this {
    this.u8(0x0c).u8(0x01).u32(0x1234);
    if (typeof definition === 'number') this.u32(definition);
    else {
      const at = this.pos + 4;
      this.u32(at).u32(0).raw(new Uint8Array(16));
      const sizeAt = this.pos;
      this.u32(0);
      const bodyStart = this.pos;
      definition();
      this.view.setUint32(sizeAt, this.pos - bodyStart, true);
    }
    this.u32(values.length);
    const descriptors = this.pos;
    values.forEach((value, i) => this.u16(value instanceof Uint8Array ? value.length : 0).u8(types[i]!).u8(0));
    values.forEach((value, i) => {
      if (value instanceof Uint8Array) {
        this.raw(value);
        return;
      }
      const start = this.pos;
      value();
      this.view.setUint16(descriptors + 4 * i, this.pos - start, true);
    });
    return this;
  }

  /** Wraps what `body` writes in an event record. */
  record(id: number, body: () => void): this {
    const start = this.pos;
    this.u32(0x2a2a).u32(0).u32(id).u32(0).u32(0).u32(0);
    body();
    const size = this.pos + 4 - start;
    this.u32(size);
    this.view.setUint32(start + 4, size, true);
    return this;
  }

  /** A whole file: file header, this chunk, and extra chunks if given. */
  file(extraChunks: Uint8Array[] = []): Uint8Array {
    const header = this.bytes.subarray(0, 0x200);
    header.set([...'ElfChnk'].map((c) => c.charCodeAt(0)));
    this.view.setUint32(40, 128, true);
    this.view.setUint32(48, this.pos, true);
    const file = new Uint8Array(0x1000 + 0x10000 * (1 + extraChunks.length));
    file.set([...'ElfFile'].map((c) => c.charCodeAt(0)));
    new DataView(file.buffer).setUint32(32, 128, true);
    file.set(this.bytes, 0x1000);
    extraChunks.forEach((chunk, i) => file.set(chunk, 0x1000 + 0x10000 * (i + 1)));
    return file;
  }
}

function le(size: number, fill: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  return bytes;
}
const utf16 = (text: string) => le(text.length * 2, (v) => [...text].forEach((c, i) => v.setUint16(2 * i, c.charCodeAt(0), true)));
const u8 = (n: number) => le(1, (v) => v.setUint8(0, n));
const u16 = (n: number) => le(2, (v) => v.setUint16(0, n, true));
const u32 = (n: number) => le(4, (v) => v.setUint32(0, n, true));
const u64 = (n: bigint) => le(8, (v) => v.setBigUint64(0, n, true));
const GUID = Uint8Array.from([0x1e, 0x23, 0x97, 0x01, 0x9c, 0x1b, 0xb9, 0x4b, 0x9a, 0xe6, 0x8a, 0x2f, 0x2e, 0x5d, 0x4c, 0x3b]);
const SID = Uint8Array.from([1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
/** 2019-03-17T19:37:11.6619283Z in 100-ns ticks since 1601. */
const FILETIME = 131973250316619283n;

/** The value types in EventData, in substitution order after the System values. */
const DATA_VALUES: [string, number, Uint8Array, string][] = [
  ['Int8', T.int8, u8(0xfb), '-5'],
  ['UInt8', T.uint8, u8(200), '200'],
  ['Int16', T.int16, u16(0x10000 - 300), '-300'],
  ['UInt16', T.uint16, u16(65000), '65000'],
  ['Int32', T.int32, u32(0x100000000 - 70000), '-70000'],
  ['UInt32', T.uint32, u32(4000000000), '4000000000'],
  ['Int64', T.int64, u64(2n ** 64n - 5000000000n), '-5000000000'],
  ['UInt64', T.uint64, u64(2n ** 64n - 1n), '18446744073709551615'],
  ['Real32', T.real32, le(4, (v) => v.setFloat32(0, 0.1, true)), '0.10000000149011612'],
  ['Real64', T.real64, le(8, (v) => v.setFloat64(0, 1e-5, true)), '1e-05'],
  ['Bool', T.bool, u32(1), 'True'],
  ['Binary', T.binary, Uint8Array.from([1, 2, 3]), 'AQID'],
  ['Guid', T.guid, GUID, '{0197231E-1B9C-4BB9-9AE6-8A2F2E5D4C3B}'],
  ['SizeT', T.sizeT, u64(4096n), '0x1000'],
  ['FileTime', T.filetime, u64(FILETIME), '2019-03-17 19:37:11.661928'],
  ['SystemTime', T.systemtime, Uint8Array.from([0xe3, 0x07, 7, 0, 4, 0, 18, 0, 20, 0, 40, 0, 0, 0, 0x44, 0x02]), '2019-07-18 20:40:00.580000'],
  ['Sid', T.sid, SID, 'S-1-5-21-1-2-3'],
  ['HexInt32', T.hex32, u32(0x1fffff), '0x1fffff'],
  ['HexInt64', T.hex64, u64(0x378n), '0x378'],
  ['Ansi', T.ansi, Uint8Array.from([0x61, 0x62, 0x63, 0]), 'abc'],
  ['String', T.string, utf16('C:\\Windows\\cmd.exe \0'), 'C:\\Windows\\cmd.exe '],
  ['StringArray', T.stringArray, utf16('sa\0 Reason\0'), '<string>sa</string>\n<string> Reason</string>\n'],
  ['UInt32Array', T.uint32Array, Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0]), '<string>1</string>\n<string>2</string>\n'],
  ['Missing', T.null, new Uint8Array(0), ''],
];

/** System: Provider Guid (0), EventID Qualifiers (1, optional), EventID (2), Keywords (3), time (4),
 *  ActivityID (5, optional), ProcessID (6), UserID (7); then DATA_VALUES; then the nested BinXML. */
function eventTemplate(w: ChunkWriter): void {
  const first = 8;
  const nested = first + DATA_VALUES.length;
  w.fragment()
    .open('Event', () => w.attribute('xmlns', () => w.text('http://schemas.microsoft.com/win/2004/08/events/event')))
    .closeStart()
    .open('System')
    .closeStart()
    .open('Provider', () => {
      w.attribute('Name', () => w.text('Test-Provider'));
      w.attribute('Guid', () => w.sub(0, T.guid));
    })
    .closeEmpty()
    .open('EventID', () => w.attribute('Qualifiers', () => w.sub(1, T.uint16, true)))
    .closeStart()
    .sub(2, T.uint16)
    .end()
    .leaf('Keywords', 3, T.hex64)
    .open('TimeCreated', () => w.attribute('SystemTime', () => w.sub(4, T.filetime)))
    .closeEmpty()
    .open('Correlation', () => w.attribute('ActivityID', () => w.sub(5, T.guid, true)))
    .closeEmpty()
    .open('Execution', () => w.attribute('ProcessID', () => w.sub(6, T.uint32)))
    .closeEmpty()
    .open('Channel')
    .closeStart()
    .text('Test/Operational')
    .end()
    .open('Security', () => w.attribute('UserID', () => w.sub(7, T.sid)))
    .closeEmpty()
    .end()
    .open('EventData')
    .closeStart();
  DATA_VALUES.forEach(([name, type], i) => w.data(name, first + i, type, type === T.null));
  // Literal text built from every text token: value, entity and character references, CDATA, a PI.
  w.open('Data', () => w.attribute('Name', () => w.text('Literal')))
    .closeStart()
    .text('a ')
    .u8(0x09).name('amp')
    .text(' b')
    .u8(0x08).u16(0x41)
    .u8(0x07).u16(6).utf16('<c d>&')
    .u8(0x0a).name('pi')
    .u8(0x0b).u16(3).utf16('x=1')
    .end()
    .sub(nested, T.binxml)
    .end()
    .end()
    .u8(0x00);
}

function systemValues(): [Uint8Array[], number[]] {
  return [
    [GUID, new Uint8Array(0), u16(4688), u64(0x8020000000000000n), u64(FILETIME), new Uint8Array(0), u32(1912), SID],
    [T.guid, T.null, T.uint16, T.hex64, T.filetime, T.null, T.uint32, T.sid],
  ];
}

/** A nested BinXML value: its own fragment with elements, or with its own template instance. */
function nestedValue(w: ChunkWriter, withTemplate: boolean): () => void {
  return () => {
    w.fragment();
    if (withTemplate) {
      w.instance(() => w.fragment().data('FromNestedTemplate', 0, T.string).u8(0x00), [utf16('deep')], [T.string]);
    } else {
      w.open('Data', () => w.attribute('Name', () => w.text('FromNested'))).closeStart().text('yes').end().u8(0x00);
    }
  };
}

const EXPECTED_SYSTEM = {
  Provider_Name: 'Test-Provider',
  Provider_Guid: '{0197231E-1B9C-4BB9-9AE6-8A2F2E5D4C3B}',
  EventID: 4688,
  Keywords: '0x8020000000000000',
  TimeCreated_SystemTime: '2019-03-17T19:37:11.661928Z',
  Execution_ProcessID: 1912,
  Channel: 'Test/Operational',
  Security_UserID: 'S-1-5-21-1-2-3',
};

function items(file: Uint8Array): EvtxItem[] {
  return [...readEvtx(file)];
}

test('every BinXML token and value type is read and flattened', () => {
  const w = new ChunkWriter();
  let definition = 0;
  const [values, types] = systemValues();
  w.record(1, () => {
    w.fragment();
    definition = w.pos + 10;
    w.instance(
      () => eventTemplate(w),
      [...values, ...DATA_VALUES.map((d) => d[2]), nestedValue(w, false)],
      [...types, ...DATA_VALUES.map((d) => d[1]), T.binxml],
    );
    w.u8(0x00);
  });
  // Second record: the template and all names are referenced, not repeated; the nested
  // BinXML carries a template instance of its own.
  w.record(2, () => {
    w.fragment().instance(definition, [...values, ...DATA_VALUES.map((d) => d[2]), nestedValue(w, true)], [
      ...types,
      ...DATA_VALUES.map((d) => d[1]),
      T.binxml,
    ]);
    w.u8(0x00);
  });
  const result = items(w.file());
  assert.equal(result.length, 2);
  const expectedData = Object.fromEntries(DATA_VALUES.map(([name, , , text]) => [name, text]));
  assert.deepEqual(result[0], {
    ok: true,
    recordId: 1,
    offset: 0x1200,
    event: { ...EXPECTED_SYSTEM, ...expectedData, Literal: 'a & bA<c d>&', FromNested: 'yes' },
  });
  assert.ok(result[1]!.ok);
  assert.deepEqual(result[1]!.event, { ...EXPECTED_SYSTEM, ...expectedData, Literal: 'a & bA<c d>&', FromNestedTemplate: 'deep' });
});

test('a record of plain elements, without a template, is read', () => {
  const w = new ChunkWriter();
  w.record(7, () => {
    w.fragment().open('Event').closeStart().open('System').closeStart().open('EventID').closeStart().text('5').end().end();
    w.open('EventData').closeStart().open('Data').closeStart().text('one').end().open('Data').closeStart().text('two').end().end();
    w.end().u8(0x00);
  });
  assert.deepEqual(items(w.file()), [{ ok: true, recordId: 7, offset: 0x1200, event: { EventID: 5, Data: ['one', 'two'] } }]);
});

test('a record with bad data is reported with its id and the next record still comes out', () => {
  const w = new ChunkWriter();
  w.record(1, () => w.fragment().open('Event').closeStart().u8(0x05).u8(0x7f).end().u8(0x00));
  w.record(2, () => w.fragment().open('Event').closeStart().leaf('EventID', 0, T.uint16).end().u8(0x00));
  w.record(3, () => w.fragment().instance(() => w.fragment().open('Event').closeStart().leaf('Level', 0, T.uint8).end().u8(0), [u8(4)], [0x7f]).u8(0));
  w.record(4, () => w.fragment().open('Event').closeStart().open('System').closeStart().open('Level').closeStart().text('4').end().end().end().u8(0));
  const result = items(w.file());
  assert.deepEqual(
    result.map((item) => (item.ok ? item.event : { recordId: item.recordId, reason: item.reason.replace(/ at file offset.*/, '') })),
    [
      { recordId: 1, reason: 'value text of type 0x7f has no known size' },
      { recordId: 2, reason: 'substitution outside a template' },
      { recordId: 3, reason: 'unknown value type 0x7f' },
      { Level: 4 },
    ],
  );
});

test('chunks without a signature are skipped; only non-empty ones are reported', () => {
  const w = new ChunkWriter();
  w.record(1, () => w.fragment().open('Event').closeStart().open('System').closeStart().open('Level').closeStart().text('4').end().end().end().u8(0));
  const empty = new Uint8Array(0x10000);
  const garbage = new Uint8Array(0x10000).fill(0x5a);
  // A zeroed header in front of leftover records is damage too, not an unused chunk.
  const headless = new Uint8Array(0x10000);
  headless.set([0x2a, 0x2a, 0, 0], 0xe040);
  const result = items(w.file([empty, garbage, headless]));
  assert.deepEqual(result.map((r) => r.ok), [true, false, false]);
  assert.deepEqual(result[1], { ok: false, offset: 0x1000 + 2 * 0x10000, reason: 'chunk has no ElfChnk signature; skipped' });
  assert.deepEqual(result[2], { ok: false, offset: 0x1000 + 3 * 0x10000, reason: 'chunk has no ElfChnk signature; skipped' });
});

test('start-element tokens without a dependency id are read (forwarded events, BinXML values)', () => {
  const w = new ChunkWriter();
  // Records of plain elements as WEC forwards them: no dependency ids; the second record
  // refers to every name by offset.
  const plain = (id: number, data: string[]) =>
    w.record(id, () => {
      w.fragment().open('Event').closeStart().open('System').closeStart();
      w.open('EventID', () => w.attribute('Qualifiers', () => w.text('16384'))).closeStart().text(String(id)).end().end();
      w.open('EventData').closeStart();
      for (const text of data) w.open('Data').closeStart().text(text).end();
      w.end().end().u8(0x00);
    });
  w.dependencyIds = false;
  plain(1, ['one', 'two']);
  plain(2, ['three', 'four']);
  // A template (with dependency ids) whose UserData is a BinXML value without them and without
  // a fragment header, as CAPI2 writes it.
  w.dependencyIds = true;
  w.record(3, () => {
    w.fragment().instance(
      () => w.fragment().open('Event').closeStart().open('UserData').closeStart().sub(0, T.binxml).end().end().u8(0x00),
      [
        () => {
          w.dependencyIds = false;
          w.open('WinVerifyTrustStart').closeStart();
          w.open('EventAuxInfo', () => w.attribute('ProcessName', () => w.text('Setup.exe'))).closeEmpty();
          w.open('Result').closeStart().text('0').end().end().u8(0x00);
          w.dependencyIds = true;
        },
      ],
      [T.binxml],
    );
    w.u8(0x00);
  });
  assert.deepEqual(
    items(w.file()).map((item) => (item.ok ? item.event : item.reason)),
    [
      { EventID: 1, EventID_Qualifiers: 16384, Data: ['one', 'two'] },
      { EventID: 2, EventID_Qualifiers: 16384, Data: ['three', 'four'] },
      { EventAuxInfo: '', Result: '0' },
    ],
  );
});

test('zeros inside the record area and a broken size copy are reported; records after them still come out', () => {
  const w = new ChunkWriter();
  const level = (value: number) => () =>
    w.fragment().open('Event').closeStart().open('System').closeStart().open('Level').closeStart().text(String(value)).end().end().end().u8(0);
  w.record(1, level(1));
  const second = w.pos;
  w.record(2, level(2));
  // Record 2 runs into a zeroed page: its size copy is gone, and so is what followed it.
  const size = w.view.getUint32(second + 4, true);
  w.view.setUint32(second + size - 4, 0, true);
  w.pos += 0x180;
  w.record(3, level(3));
  const result = items(w.file());
  assert.deepEqual(
    result.map((item) => (item.ok ? item.event : { recordId: item.recordId, offset: item.offset })),
    [{ Level: 1 }, { recordId: 2, offset: 0x1000 + second }, { recordId: undefined, offset: 0x1000 + second + size }, { Level: 3 }],
  );
  assert.match(result[1]!.ok ? '' : result[1]!.reason, /^record is damaged: the size copy at its end is 0, its size \d+/);
  assert.match(result[2]!.ok ? '' : result[2]!.reason, /^records stop early: zeros where the chunk header says records continue/);
});

test('input that is not an EVTX file gives one problem', () => {
  assert.deepEqual(items(new Uint8Array(0)), [{ ok: false, offset: 0, reason: 'not an EVTX file: the ElfFile signature is missing' }]);
  assert.deepEqual(items(new TextEncoder().encode('<Event/>')).length, 1);
});
