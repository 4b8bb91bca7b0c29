import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, ftruncateSync } from 'node:fs';
import { open as openAsync, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ItemProblem, MessageSource, Transport } from '../../core/index.js';

/**
 * The spool: an append-only log on disk between the listeners and detection. A batch is
 * acknowledged (its `append` resolves) only after it is written and fsync'd, so a message a
 * sender was told we have survives a kill. Detection reads behind the writer at its own pace;
 * when it falls behind the spool grows on disk (up to `maxBytes`, then `append` waits, which
 * pushes back on TCP senders) instead of dropping anything.
 *
 * Format (docs/spool-format.md): segment files `<first seq, 16 digits>.seg`, each a run of
 * records `magic "LFS1" | u32 payload length | u32 CRC-32 of payload | u32 seq high | u32 seq
 * low | payload`, payload = f64 receivedAt ms | 5 × (u32 length | UTF-8): transport, peer,
 * listener, text, problem. The magic lets a reader resynchronise after a damaged record.
 */
export interface SpoolInput {
  readonly text: string;
  readonly source: MessageSource;
  readonly receivedAt: Date;
  readonly problem?: string;
}

export interface SpoolRecord extends SpoolInput {
  readonly seq: number;
}

export interface SpoolOptions {
  readonly dir: string;
  /** Roll to a new segment file past this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Unreleased bytes beyond which `append` waits for the reader (default 4 GiB). */
  readonly maxBytes?: number;
  /** fsync each group commit (default true; benchmarks of the OS page cache may turn it off). */
  readonly fsync?: boolean;
}

export interface SpoolOpenReport {
  readonly segments: number;
  readonly records: number;
  /** Damaged or torn records found on open: where and what was skipped. */
  readonly problems: ItemProblem[];
}

const MAGIC = 0x4c465331; // "LFS1"
const HEADER = 20;
const NAME_DIGITS = 16;
/** A payload larger than this is damage, not a message (listeners cut messages far shorter). */
const MAX_PAYLOAD = 64 * 1024 * 1024;

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  /** Bytes written and fsync'd: readers never look past it. */
  committedBytes: number;
  /** Last seq in the segment that is committed (firstSeq − 1 when empty). */
  lastSeq: number;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface PendingWrite {
  readonly bytes: Buffer;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly done: () => void;
  readonly fail: (err: Error) => void;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'http', 'file']);

export class Spool {
  /** Names this spool's records in event ids: `<id>:<seq>` stays unique across ingest nodes. */
  readonly id: string;
  private readonly segments: Segment[] = [];
  private nextSeq: number;
  private committedSeq: number;
  private pending: PendingWrite[] = [];
  private flushing = false;
  private writeHandle: FileHandle | null = null;
  private readonly waiters: Waiter[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private released = 0;
  /** Byte offset, in its segment, just past the last released record (for the backlog figure). */
  private releasedAt: { firstSeq: number; offset: number } | null = null;
  private closed = false;
  private failure: Error | null = null;
  /** Sequential reader position: seq → byte offset in its segment. */
  private cursor = { seq: -1, segment: -1, offset: 0 };
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly fsync: boolean;

  private constructor(
    private readonly dir: string,
    id: string,
    opts: SpoolOptions,
  ) {
    this.id = id;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024 * 1024;
    this.fsync = opts.fsync ?? true;
    this.nextSeq = 1;
    this.committedSeq = 0;
  }

  /** Opens (or creates) the spool in `dir`, checking every record and cutting a torn tail. */
  static open(opts: SpoolOptions): { spool: Spool; report: SpoolOpenReport } {
    mkdirSync(opts.dir, { recursive: true });
    const idFile = join(opts.dir, 'spool.id');
    let id: string;
    if (existsSync(idFile)) id = readFileSync(idFile, 'utf8').trim();
    else {
      id = randomUUID().slice(0, 8);
      writeFileSync(`${idFile}.tmp`, id);
      renameSync(`${idFile}.tmp`, idFile);
    }
    const spool = new Spool(opts.dir, id, opts);
    const problems: ItemProblem[] = [];
    let records = 0;
    const names = readdirSync(opts.dir).filter((n) => /^[0-9]{16}\.seg$/.test(n)).sort();
    for (const name of names) {
      const path = join(opts.dir, name);
      const firstSeq = Number(name.slice(0, NAME_DIGITS));
      const scan = scanSegment(path, firstSeq, problems);
      records += scan.records;
      if (scan.validBytes < statSync(path).size) {
        // A torn write at the end (the process died mid-append): nothing there was acknowledged.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, scan.validBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      spool.segments.push({ firstSeq, path, committedBytes: scan.validBytes, lastSeq: scan.lastSeq < firstSeq ? firstSeq - 1 : scan.lastSeq });
    }
    const last = spool.segments.at(-1);
    if (last) {
      spool.committedSeq = last.lastSeq;
      spool.nextSeq = last.lastSeq + 1;
    }
    return { spool, report: { segments: spool.segments.length, records, problems } };
  }

  /** The last acknowledged record's seq (0 when empty). */
  get lastSeq(): number {
    return this.committedSeq;
  }

  /** Bytes on disk not yet released by the reader. */
  get backlogBytes(): number {
    let n = 0;
    for (const s of this.segments) {
      if (s.lastSeq <= this.released) continue;
      n += s.committedBytes - (this.releasedAt?.firstSeq === s.firstSeq ? this.releasedAt.offset : 0);
    }
    return n;
  }

  /**
   * Appends a batch; resolves with its seq range once it is on disk. Batches from concurrent
   * callers share one write and one fsync (group commit).
   */
  async append(batch: readonly SpoolInput[]): Promise<{ first: number; last: number }> {
    if (this.closed) throw new Error('spool is closed');
    if (this.failure) throw this.failure;
    if (batch.length === 0) return { first: this.nextSeq, last: this.nextSeq - 1 };
    while (this.backlogBytes > this.maxBytes && !this.closed) await new Promise<void>((r) => this.spaceWaiters.push(r));
    const first = this.nextSeq;
    const bytes = encodeBatch(batch, first);
    this.nextSeq += batch.length;
    const last = this.nextSeq - 1;
    await new Promise<void>((done, fail) => {
      this.pending.push({ bytes, firstSeq: first, lastSeq: last, done, fail });
      void this.flush();
    });
    return { first, last };
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          const seg = await this.segmentFor(group[0]!.firstSeq);
          const data = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((p) => p.bytes));
          let off = 0;
          while (off < data.length) {
            const { bytesWritten } = await this.writeHandle!.write(data, off, data.length - off, seg.committedBytes + off);
            off += bytesWritten;
          }
          if (this.fsync) await this.writeHandle!.datasync();
          seg.committedBytes += data.length;
          seg.lastSeq = group.at(-1)!.lastSeq;
          this.committedSeq = seg.lastSeq;
          for (const p of group) p.done();
          this.wake();
        } catch (err) {
          // A failed write is not acknowledged; later appends fail too rather than leave a hole.
          this.failure = err instanceof Error ? err : new Error(String(err));
          for (const p of group) p.fail(this.failure);
          for (const p of this.pending) p.fail(this.failure);
          this.pending = [];
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The segment the next write goes to, rolling over when the current one is full. */
  private async segmentFor(firstSeq: number): Promise<Segment> {
    let seg = this.segments.at(-1);
    if (seg && seg.committedBytes < this.segmentBytes && this.writeHandle) return seg;
    if (seg && seg.committedBytes < this.segmentBytes && !this.writeHandle) {
      this.writeHandle = await openAsync(seg.path, 'r+');
      return seg;
    }
    await this.writeHandle?.close();
    const path = join(this.dir, `${String(firstSeq).padStart(NAME_DIGITS, '0')}.seg`);
    this.writeHandle = await openAsync(path, 'w');
    seg = { firstSeq, path, committedBytes: 0, lastSeq: firstSeq - 1 };
    this.segments.push(seg);
    // The new file's name must survive a crash too.
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return seg;
  }

  /**
   * Up to `max` committed records from `fromSeq` on (fewer at the end of the log). Damaged
   * records are skipped and reported through `onProblem`; their seqs are simply absent.
   */
  read(fromSeq: number, max: number, onProblem?: (p: ItemProblem) => void): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let si = this.segments.findIndex((s, i) => s.lastSeq >= fromSeq && (i === this.segments.length - 1 || this.segments[i + 1]!.firstSeq > fromSeq));
    if (si < 0) return out;
    while (si < this.segments.length && out.length < max) {
      const seg = this.segments[si]!;
      let offset = this.cursor.segment === si && this.cursor.seq <= fromSeq && this.cursor.seq >= seg.firstSeq ? this.cursor.offset : 0;
      const fd = openSync(seg.path, 'r');
      try {
        const header = Buffer.allocUnsafe(HEADER);
        while (offset + HEADER <= seg.committedBytes && out.length < max) {
          readSync(fd, header, 0, HEADER, offset);
          const len = header.readUInt32LE(4);
          const seq = header.readUInt32LE(12) * 2 ** 32 + header.readUInt32LE(16);
          if (header.readUInt32LE(0) !== MAGIC || len > MAX_PAYLOAD || offset + HEADER + len > seg.committedBytes) {
            const next = resync(fd, offset + 1, seg.committedBytes);
            onProblem?.({ where: `${seg.path}@${offset}`, reason: `damaged record header; skipped ${next - offset} bytes to the next record` });
            offset = next;
            continue;
          }
          if (seq < fromSeq) {
            offset += HEADER + len;
            continue;
          }
          const payload = Buffer.allocUnsafe(len);
          readSync(fd, payload, 0, len, offset + HEADER);
          if (crc32(payload) !== header.readUInt32LE(8)) {
            onProblem?.({ where: `${seg.path}@${offset} (seq ${seq})`, reason: 'record fails its CRC-32 check; skipped' });
          } else {
            const rec = decodePayload(payload, seq);
            if (rec) out.push(rec);
            else onProblem?.({ where: `${seg.path}@${offset} (seq ${seq})`, reason: 'record payload is malformed; skipped' });
          }
          offset += HEADER + len;
          this.cursor = { seq: seq + 1, segment: si, offset };
        }
      } finally {
        closeSync(fd);
      }
      si++;
      fromSeq = Math.max(fromSeq, this.segments[si]?.firstSeq ?? fromSeq);
    }
    return out;
  }

  /** Resolves once record `seq` is committed (or the spool closes). */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.committedSeq || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** The reader is done with everything up to `seq`: whole segments below it are deleted. */
  release(seq: number): void {
    if (seq <= this.released) return;
    this.released = seq;
    // Where in its segment the released record ends, when the reader just read it (the usual case).
    const seg = this.segments[this.cursor.segment];
    this.releasedAt = this.cursor.seq === seq + 1 && seg ? { firstSeq: seg.firstSeq, offset: this.cursor.offset } : null;
    while (this.segments.length > 1 && this.segments[0]!.lastSeq <= this.released) {
      const seg = this.segments.shift()!;
      unlinkSync(seg.path);
      this.cursor = { seq: -1, segment: -1, offset: 0 };
    }
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.seq <= this.committedSeq) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Waits for writes in flight, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 1));
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    for (const w of this.spaceWaiters.splice(0)) w();
    await this.writeHandle?.close();
    this.writeHandle = null;
  }
}

function encodeBatch(batch: readonly SpoolInput[], firstSeq: number): Buffer {
  let size = 0;
  const lens: number[] = [];
  for (const m of batch) {
    const l = [
      Buffer.byteLength(m.source.transport),
      Buffer.byteLength(m.source.peer),
      Buffer.byteLength(m.source.listener),
      Buffer.byteLength(m.text),
      m.problem === undefined ? 0 : Buffer.byteLength(m.problem),
    ];
    lens.push(...l);
    size += HEADER + 8 + 20 + l[0]! + l[1]! + l[2]! + l[3]! + l[4]!;
  }
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  let li = 0;
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i]!;
    const start = off;
    const seq = firstSeq + i;
    off += HEADER;
    buf.writeDoubleLE(m.receivedAt.getTime(), off);
    off += 8;
    for (const s of [m.source.transport, m.source.peer, m.source.listener, m.text, m.problem ?? '']) {
      const l = lens[li++]!;
      buf.writeUInt32LE(l, off);
      off += 4;
      if (l > 0) buf.write(s, off, l, 'utf8');
      off += l;
    }
    const len = off - start - HEADER;
    buf.writeUInt32LE(MAGIC, start);
    buf.writeUInt32LE(len, start + 4);
    buf.writeUInt32LE(crc32(buf.subarray(start + HEADER, off)), start + 8);
    buf.writeUInt32LE(Math.floor(seq / 2 ** 32), start + 12);
    buf.writeUInt32LE(seq >>> 0, start + 16);
  }
  return buf;
}

function decodePayload(p: Buffer, seq: number): SpoolRecord | null {
  if (p.length < 28) return null;
  const at = p.readDoubleLE(0);
  let off = 8;
  const parts: string[] = [];
  for (let k = 0; k < 5; k++) {
    if (off + 4 > p.length) return null;
    const l = p.readUInt32LE(off);
    off += 4;
    if (off + l > p.length) return null;
    parts.push(p.toString('utf8', off, off + l));
    off += l;
  }
  const [transport, peer, listener, text, problem] = parts as [string, string, string, string, string];
  if (!TRANSPORTS.has(transport) || !Number.isFinite(at)) return null;
  return {
    seq,
    receivedAt: new Date(at),
    source: { transport: transport as Transport, peer, listener },
    text,
    ...(problem ? { problem } : {}),
  };
}

/** Checks a segment on open: how far its records are whole, and its last seq. */
function scanSegment(path: string, firstSeq: number, problems: ItemProblem[]): { validBytes: number; lastSeq: number; records: number } {
  const data = readFileSync(path);
  let off = 0;
  let lastSeq = firstSeq - 1;
  let validBytes = 0;
  let records = 0;
  while (off + HEADER <= data.length) {
    const len = data.readUInt32LE(off + 4);
    const whole = data.readUInt32LE(off) === MAGIC && len <= MAX_PAYLOAD && off + HEADER + len <= data.length;
    if (!whole) {
      const next = resyncIn(data, off + 1);
      if (next >= data.length) break; // a torn tail: cut below
      problems.push({ where: `${path}@${off}`, reason: `damaged record; skipped ${next - off} bytes to the next record` });
      off = next;
      continue;
    }
    const payload = data.subarray(off + HEADER, off + HEADER + len);
    const seq = data.readUInt32LE(off + 12) * 2 ** 32 + data.readUInt32LE(off + 16);
    if (crc32(payload) !== data.readUInt32LE(off + 8)) {
      problems.push({ where: `${path}@${off} (seq ${seq})`, reason: 'record fails its CRC-32 check; it will be skipped' });
    } else {
      lastSeq = Math.max(lastSeq, seq);
      records++;
    }
    off += HEADER + len;
    validBytes = off;
  }
  return { validBytes, lastSeq, records };
}

function resyncIn(data: Buffer, from: number): number {
  const magic = Buffer.from([0x31, 0x53, 0x46, 0x4c]); // MAGIC little-endian
  const at = data.indexOf(magic, from);
  return at < 0 ? data.length : at;
}

function resync(fd: number, from: number, end: number): number {
  const chunk = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(0, end - from)));
  for (let pos = from; pos < end; pos += chunk.length - 3) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, end - pos), pos);
    const at = resyncIn(chunk.subarray(0, n), 0);
    if (at < n) return pos + at;
    if (n < chunk.length) break;
  }
  return end;
}
