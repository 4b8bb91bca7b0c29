import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../../core/index.js';
import type { ItemProblem } from '../../core/index.js';
import { ChunkSplitter } from './chunker.js';
import type { FilesCache } from './files-cache.js';
import { PackWriter, compressOffThread, type Repository, type WrapDataKey } from './repository.js';
import type { Compression } from './format.js';
import { treeLine, writeSnapshot, type SignSnapshot, type SnapshotRecord, type SnapshotTotals, type TreeEntry } from './snapshot.js';

export interface BackupProgress {
  readonly files: number;
  readonly bytesRead: number;
  readonly newBytes: number;
  readonly storedBytes: number;
  readonly currentPath: string;
}

/** A byte stream to back up as one file, e.g. `pg_dump` output on stdin. */
export interface StreamSource {
  readonly stream: AsyncIterable<Uint8Array>;
  /** The file name the stream gets in the snapshot. */
  readonly name: string;
  readonly mode?: number;
}

export interface BackupOptions {
  readonly wrapDataKey: WrapDataKey;
  readonly sign: SignSnapshot;
  readonly host?: string;
  readonly now?: () => Date;
  readonly onProgress?: (p: BackupProgress) => void;
  /** Files between progress calls (the last call always happens). */
  readonly progressEvery?: number;
  /**
   * The host's files cache: unchanged files (same size, mtime, ctime and inode) take their
   * chunk list from it instead of being read; it is saved once the snapshot is written.
   */
  readonly filesCache?: FilesCache;
}

export interface BackupResult {
  readonly snapshotId: string;
  readonly record: SnapshotRecord;
  /** Packs left by an interrupted backup that this one indexed and reused. */
  readonly resumedPacks: number;
  /** Files taken from the files cache unread. */
  readonly unchangedFiles: number;
  /** About the files cache: why it was not used, or not saved. Not problems of the backup. */
  readonly notes: string[];
  readonly problems: ItemProblem[];
}

const READ_SIZE = 4 * 1024 * 1024;

/**
 * Backs up files and folders (each named by its base name at the top of the tree) or one
 * stream, then writes a signed snapshot record. Holds the repository lock throughout; packs
 * of an earlier interrupted backup are indexed first and their chunks not written again.
 */
export async function backup(repo: Repository, source: readonly string[] | StreamSource, opts: BackupOptions): Promise<BackupResult> {
  const lock = await repo.lock('backup');
  try {
    await repo.loadIndex();
    const { adopted } = await repo.adoptUnindexedPacks();
    return await runBackup(repo, source, opts, adopted.length);
  } finally {
    await lock.release();
  }
}

async function runBackup(repo: Repository, source: readonly string[] | StreamSource, opts: BackupOptions, resumedPacks: number): Promise<BackupResult> {
  const writer = new PackWriter(repo, opts.wrapDataKey);
  const totals: SnapshotTotals = { files: 0, dirs: 0, symlinks: 0, bytes: 0, chunks: 0, newChunks: 0, newBytes: 0, storedBytes: 0, skipped: 0 };
  const problems: ItemProblem[] = [];
  const tree = new TreeSink(repo, writer);
  const every = opts.progressEvery ?? 1;
  let current = '';
  const report = (force: boolean): void => {
    if (!opts.onProgress || (!force && totals.files % every !== 0)) return;
    opts.onProgress({ files: totals.files, bytesRead: totals.bytes, newBytes: writer.stats.newBytes, storedBytes: writer.stats.storedBytes, currentPath: current });
  };
  const readBuf = Buffer.allocUnsafe(READ_SIZE);
  const cache = opts.filesCache;
  let unchangedFiles = 0;

  const pipeline = new ChunkPipeline(repo, writer);
  /** Queues a file's chunks; the returned list is complete once the pipeline reaches its end. */
  const storeContent = async (pieces: AsyncIterable<Uint8Array>): Promise<{ size: number; chunks: string[] }> => {
    const splitter = new ChunkSplitter(repo.cdc);
    const chunks: string[] = [];
    let size = 0;
    const take = async (out: Uint8Array[]): Promise<void> => {
      for (const c of out) {
        const at = chunks.length;
        chunks.push('');
        await pipeline.chunk(c, (hex) => {
          chunks[at] = hex;
          totals.chunks++;
        });
      }
    };
    for await (const piece of pieces) {
      size += piece.length;
      await take(splitter.push(piece));
    }
    await take(splitter.finish());
    return { size, chunks };
  };
  // Tree entries go in once every chunk queued before them is in (a file's list is complete).
  const addEntry = (e: TreeEntry): Promise<void> => pipeline.afterQueued(() => tree.add(e));

  // Two read buffers: the next read runs while the chunker works on the last one (the
  // splitter copies what it keeps, so a buffer is free again once push returns).
  const readBufs = [readBuf, Buffer.allocUnsafe(READ_SIZE)] as const;
  const readFilePieces = async function* (path: string): AsyncGenerator<Uint8Array> {
    const fh = await open(path, 'r');
    let turn = 0;
    let pending = fh.read(readBufs[0], 0, READ_SIZE, null);
    try {
      for (;;) {
        const { bytesRead, buffer } = await pending;
        if (bytesRead === 0) return;
        turn ^= 1;
        pending = fh.read(readBufs[turn], 0, READ_SIZE, null);
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await pending.catch(() => undefined);
      await fh.close();
    }
  };

  const visit = async (abs: string, rel: string): Promise<void> => {
    current = abs;
    const lookedAt = Date.now();
    let st;
    try {
      st = await lstat(abs);
    } catch (err) {
      problems.push({ where: abs, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (st.isSymbolicLink()) {
      await addEntry({ type: 'symlink', path: rel, target: await readlink(abs), mtimeMs: st.mtimeMs });
      totals.symlinks++;
    } else if (st.isDirectory()) {
      await addEntry({ type: 'dir', path: rel, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
      totals.dirs++;
      let names: string[];
      try {
        names = (await readdir(abs)).sort();
      } catch (err) {
        problems.push({ where: abs, reason: `cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        return;
      }
      for (const name of names) await visit(join(abs, name), `${rel}/${name}`);
    } else if (st.isFile()) {
      const stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
      const cached = cache?.lookup(abs, stamp, (id) => writer.has(id)) ?? null;
      let content: { size: number; chunks: string[] };
      if (cached !== null) {
        content = { size: st.size, chunks: cached };
        totals.chunks += cached.length;
        unchangedFiles++;
      } else {
        try {
          content = await storeContent(readFilePieces(abs));
        } catch (err) {
          cache?.forget(abs);
          problems.push({ where: abs, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
          return;
        }
      }
      const entry: TreeEntry = { type: 'file', path: rel, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, size: content.size, chunks: content.chunks };
      // The chunk list is complete once the pipeline reaches the entry: record it then.
      await pipeline.afterQueued(async () => {
        if (cache) {
          if (content.size === st.size) cache.record(abs, stamp, content.chunks, lookedAt);
          else cache.forget(abs); // it changed while it was read
        }
        await tree.add(entry);
      });
      totals.files++;
      totals.bytes += content.size;
      report(false);
    } else {
      problems.push({ where: abs, reason: 'not a regular file, folder or symlink: skipped' });
    }
  };

  let paths: string[];
  if (Array.isArray(source)) {
    paths = (source as readonly string[]).map((p) => resolve(p));
    const tops = new Set<string>();
    for (const p of paths) {
      const top = basename(p);
      if (top === '' || top === '/' ) throw new InputError('VAULT_BACKUP_PATH', 'cannot back up the file-system root as a top-level name', p);
      if (tops.has(top)) throw new InputError('VAULT_BACKUP_PATH', `two paths share the top-level name "${top}"`, p);
      tops.add(top);
    }
    for (const p of paths) await visit(p, basename(p));
  } else {
    const s = source as StreamSource;
    if (s.name.length === 0 || s.name.includes('/') || s.name === '.' || s.name === '..') throw new InputError('VAULT_BACKUP_PATH', `stream name ${JSON.stringify(s.name)} is not a plain file name`);
    paths = [`stdin:${s.name}`];
    current = s.name;
    const content = await storeContent(s.stream);
    const now = (opts.now?.() ?? new Date()).getTime();
    await addEntry({ type: 'file', path: s.name, mode: s.mode ?? 0o600, mtimeMs: now, size: content.size, chunks: content.chunks });
    totals.files++;
    totals.bytes += content.size;
  }
  await pipeline.drain();
  const treeIds = await tree.finish();
  await writer.finish();
  totals.newChunks = writer.stats.newChunks;
  totals.newBytes = writer.stats.newBytes;
  totals.storedBytes = writer.stats.storedBytes;
  totals.skipped = problems.length;
  report(true);
  const record: SnapshotRecord = {
    format: 'lianfang-vault-snapshot', version: 1, repoId: repo.config.repoId,
    time: (opts.now?.() ?? new Date()).toISOString(), host: opts.host ?? hostname(), paths, tree: treeIds, totals,
  };
  const snapshotId = await writeSnapshot(repo.store, record, opts.sign);
  const notes: string[] = [];
  if (cache?.ignored) notes.push(`files cache ignored, every file was read: ${cache.ignored}`);
  if (cache) {
    try {
      cache.save();
    } catch (err) {
      // The snapshot stands; the next backup just reads every file again.
      notes.push(`files cache not saved: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { snapshotId, record, resumedPacks, unchangedFiles, notes, problems };
}

/** Chunks whose hashing and compression run ahead, on the thread pool, of their turn to be packed. */
const CHUNKS_AHEAD = 8;

interface PreparedChunk {
  readonly id: Uint8Array;
  readonly hex: string;
  readonly raw: Uint8Array;
  /** Null: already in the repository when it was hashed, so not compressed. */
  readonly packed: { stored: Uint8Array; compression: Compression } | null;
}

type Queued = { readonly work: Promise<PreparedChunk>; readonly onId: (hex: string) => void } | { readonly after: () => Promise<void> };

/**
 * Data chunks in the order they were cut: each one's id (keyed HMAC) and compression start
 * on the thread pool as soon as it is queued, up to CHUNKS_AHEAD in flight, while the main
 * thread cuts and encrypts; they reach the packs, and their ids the tree, in order, so a
 * backup's packs and snapshot are what the one-at-a-time loop wrote.
 */
class ChunkPipeline {
  private readonly queue: Queued[] = [];
  private queuedChunks = 0;

  constructor(private readonly repo: Repository, private readonly writer: PackWriter) {}

  async chunk(raw: Uint8Array, onId: (hex: string) => void): Promise<void> {
    const work = this.prepare(raw);
    work.catch(() => undefined); // its error surfaces when its turn comes
    this.queue.push({ work, onId });
    this.queuedChunks++;
    while (this.queuedChunks > CHUNKS_AHEAD) await this.commitOne();
  }

  /** Runs `after` once everything queued before it is in the packs. (Not `then`: that would make the pipeline a thenable.) */
  async afterQueued(after: () => Promise<void>): Promise<void> {
    this.queue.push({ after });
    if (this.queuedChunks === 0) await this.drain();
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.commitOne();
  }

  private async prepare(raw: Uint8Array): Promise<PreparedChunk> {
    const id = await this.repo.chunkIdOffThread(raw);
    const hex = Buffer.from(id).toString('hex');
    return { id, hex, raw, packed: this.writer.has(hex) ? null : await compressOffThread(raw) };
  }

  private async commitOne(): Promise<void> {
    const item = this.queue.shift()!;
    if ('after' in item) {
      await item.after();
      return;
    }
    this.queuedChunks--;
    const c = await item.work;
    item.onId(c.hex);
    if (c.packed !== null) await this.writer.addStored('data', c.id, c.raw, c.packed.stored, c.packed.compression);
    else await this.writer.add('data', c.id, c.raw); // deduplicated: add() returns at once
  }
}

/** Streams tree lines through the chunker into tree chunks, so a huge tree is never whole in memory. */
class TreeSink {
  private readonly splitter: ChunkSplitter;
  private readonly ids: string[] = [];
  private readonly queue: Uint8Array[] = [];
  private text = '';

  constructor(private readonly repo: Repository, private readonly writer: PackWriter) {
    this.splitter = new ChunkSplitter(repo.cdc);
  }

  async add(e: TreeEntry): Promise<void> {
    this.text += treeLine(e);
    if (this.text.length >= 1 << 20) {
      this.flushText();
      await this.drain();
    }
  }

  private async drain(): Promise<void> {
    for (const c of this.queue) {
      const id = this.repo.chunkId(c);
      this.ids.push(id.toString('hex'));
      await this.writer.add('tree', id, c);
    }
    this.queue.length = 0;
  }

  private flushText(): void {
    this.splitter.push(Buffer.from(this.text, 'utf8'), this.queue);
    this.text = '';
  }

  async finish(): Promise<string[]> {
    this.flushText();
    this.splitter.finish(this.queue);
    await this.drain();
    return this.ids;
  }
}
