import { lstat, readdir, readlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../../core/index.js';
import type { ItemProblem } from '../../core/index.js';
import { ChunkSplitter } from './chunker.js';
import { FileReadError, chunkThread, type FileChunks } from './chunk-thread.js';
import { ringHoldLimit } from './chunk-ring.js';
import type { FileStamp, FilesCache } from './files-cache.js';
import { PackWriter, compressChunk, type Repository, type WrapDataKey } from './repository.js';
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
  const cache = opts.filesCache;
  let unchangedFiles = 0;

  const pipeline = new ChunkPipeline(repo, writer, ringHoldLimit(repo.config.chunker.max));
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

  const session = chunkThread().session({ gearKey: repo.keys.gearKey, idKey: repo.keys.idKey, chunker: repo.config.chunker });
  /** A file's chunks as the chunk thread cuts and names them, queued in order. */
  const storeFile = async (file: FileChunks): Promise<{ size: number; chunks: string[] }> => {
    const chunks: string[] = [];
    for await (const { chunk, id, release } of file) {
      const at = chunks.length;
      chunks.push('');
      await pipeline.chunk(chunk, (hex) => {
        chunks[at] = hex;
        totals.chunks++;
      }, { id, release });
    }
    return { size: file.size, chunks };
  };

  const take = async (item: Ahead): Promise<void> => {
    const w = item.walked;
    if (w.kind === 'problem') {
      problems.push(w.problem);
      return;
    }
    current = w.abs;
    if (w.kind === 'symlink') {
      await addEntry({ type: 'symlink', path: w.rel, target: w.target, mtimeMs: w.mtimeMs });
      totals.symlinks++;
      return;
    }
    if (w.kind === 'dir') {
      await addEntry({ type: 'dir', path: w.rel, mode: w.mode, mtimeMs: w.mtimeMs });
      totals.dirs++;
      return;
    }
    const { abs, stamp } = w;
    let content: { size: number; chunks: string[] };
    if (item.cached !== null) {
      content = { size: stamp.size, chunks: item.cached };
      totals.chunks += item.cached.length;
      unchangedFiles++;
    } else {
      try {
        content = await storeFile(item.file!);
      } catch (err) {
        if (!(err instanceof FileReadError)) throw err;
        cache?.forget(abs);
        problems.push({ where: abs, reason: `cannot read: ${err.reason}` });
        return;
      }
    }
    const entry: TreeEntry = { type: 'file', path: w.rel, mode: w.mode, mtimeMs: stamp.mtimeMs, size: content.size, chunks: content.chunks };
    // The chunk list is complete once the pipeline reaches the entry: record it then.
    await pipeline.afterQueued(async () => {
      if (cache) {
        if (content.size === stamp.size) cache.record(abs, stamp, content.chunks, w.lookedAt);
        else cache.forget(abs); // it changed while it was read
      }
      await tree.add(entry);
    });
    totals.files++;
    totals.bytes += content.size;
    report(false);
  };

  /**
   * Walks the paths in tree order, LOOKAHEAD entries ahead of what is stored, asking the
   * chunk thread for each file to read as it is found: reading runs ahead across files.
   */
  const backUpTrees = async (tops: readonly string[]): Promise<void> => {
    const walked = walkTrees(tops);
    const ahead: Ahead[] = [];
    let more = true;
    try {
      for (;;) {
        while (more && ahead.length < LOOKAHEAD) {
          const r = await walked.next();
          if (r.done === true) {
            more = false;
            break;
          }
          const w = r.value;
          let cached: string[] | null = null;
          let file: FileChunks | null = null;
          if (w.kind === 'file') {
            cached = cache?.lookup(w.abs, w.stamp, (id) => writer.has(id)) ?? null;
            if (cached === null) file = session.read(w.abs);
          }
          ahead.push({ walked: w, cached, file });
        }
        const item = ahead.shift();
        if (item === undefined) return;
        await take(item);
      }
    } finally {
      session.close();
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
    await backUpTrees(paths);
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

/** Tree entries found ahead of the one being stored (their files already asked for). */
const LOOKAHEAD = 64;

/** One step of the walk: an entry to store, or why a path was left out. */
type Walked =
  | { readonly kind: 'problem'; readonly problem: ItemProblem }
  | { readonly kind: 'symlink'; readonly abs: string; readonly rel: string; readonly target: string; readonly mtimeMs: number }
  | { readonly kind: 'dir'; readonly abs: string; readonly rel: string; readonly mode: number; readonly mtimeMs: number }
  | { readonly kind: 'file'; readonly abs: string; readonly rel: string; readonly mode: number; readonly stamp: FileStamp; readonly lookedAt: number };

interface Ahead {
  readonly walked: Walked;
  /** The files cache's chunk list for an unchanged file. */
  readonly cached: string[] | null;
  /** The chunk thread's reading of a file not in the cache. */
  readonly file: FileChunks | null;
}

/** Each top path, named by its base name, and everything under it, in sorted tree order. */
async function* walkTrees(tops: readonly string[]): AsyncGenerator<Walked> {
  for (const p of tops) yield* walk(p, basename(p));
}

async function* walk(abs: string, rel: string): AsyncGenerator<Walked> {
  const lookedAt = Date.now();
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    yield { kind: 'problem', problem: { where: abs, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    return;
  }
  if (st.isSymbolicLink()) {
    yield { kind: 'symlink', abs, rel, target: await readlink(abs), mtimeMs: st.mtimeMs };
  } else if (st.isDirectory()) {
    yield { kind: 'dir', abs, rel, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs };
    let names: string[];
    try {
      names = (await readdir(abs)).sort();
    } catch (err) {
      yield { kind: 'problem', problem: { where: abs, reason: `cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
      return;
    }
    for (const name of names) yield* walk(join(abs, name), `${rel}/${name}`);
  } else if (st.isFile()) {
    yield { kind: 'file', abs, rel, mode: st.mode & 0o7777, stamp: { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino }, lookedAt };
  } else {
    yield { kind: 'problem', problem: { where: abs, reason: 'not a regular file, folder or symlink: skipped' } };
  }
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

type Queued =
  | { readonly work: Promise<PreparedChunk>; readonly onId: (hex: string) => void; readonly ring: ThreadChunkHold | null }
  | { readonly after: () => Promise<void> };

/** A chunk read in place from a chunk thread's ring (see chunk-ring.ts): its length, and how to give the room back. */
interface ThreadChunkHold {
  readonly length: number;
  readonly release: () => void;
}

/**
 * Data chunks in the order they were cut: each one's id (keyed HMAC) and compression start
 * on the thread pool as soon as it is queued, up to CHUNKS_AHEAD in flight, while the main
 * thread cuts and encrypts; they reach the packs, and their ids the tree, in order, so a
 * backup's packs and snapshot are what the one-at-a-time loop wrote.
 */
class ChunkPipeline {
  private readonly queue: Queued[] = [];
  private queuedChunks = 0;
  /** Bytes of chunk-thread rings the queue holds. */
  private ringHeld = 0;

  /** `ringLimit`: ring bytes it may hold and still let a chunk thread cut the next chunk (ringHoldLimit). */
  constructor(private readonly repo: Repository, private readonly writer: PackWriter, private readonly ringLimit: number) {}

  /**
   * Queues a chunk; from a chunk thread, with its id and the `release` that gives its ring
   * room back once it is packed (not before: compression and sealing read it in place).
   */
  async chunk(raw: Uint8Array, onId: (hex: string) => void, thread?: { id: Uint8Array; release: () => void }): Promise<void> {
    const work = this.prepare(raw, thread?.id);
    work.catch(() => undefined); // its error surfaces when its turn comes
    const ring = thread ? { length: raw.length, release: thread.release } : null;
    this.queue.push({ work, onId, ring });
    this.queuedChunks++;
    if (ring) this.ringHeld += ring.length;
    while (this.queuedChunks > CHUNKS_AHEAD || this.ringHeld > this.ringLimit) await this.commitOne();
  }

  /** Runs `after` once everything queued before it is in the packs. (Not `then`: that would make the pipeline a thenable.) */
  async afterQueued(after: () => Promise<void>): Promise<void> {
    this.queue.push({ after });
    if (this.queuedChunks === 0) await this.drain();
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.commitOne();
  }

  private async prepare(raw: Uint8Array, known?: Uint8Array): Promise<PreparedChunk> {
    const id = known ?? (await this.repo.chunkIdOffThread(raw));
    const hex = Buffer.from(id).toString('hex');
    return { id, hex, raw, packed: this.writer.has(hex) ? null : compressChunk(raw) };
  }

  private async commitOne(): Promise<void> {
    const item = this.queue.shift()!;
    if ('after' in item) {
      await item.after();
      return;
    }
    this.queuedChunks--;
    try {
      const c = await item.work;
      item.onId(c.hex);
      if (c.packed !== null) await this.writer.addStored('data', c.id, c.raw, c.packed.stored, c.packed.compression);
      else await this.writer.add('data', c.id, c.raw); // deduplicated: add() returns at once
    } finally {
      // Sealed (or failed): nothing reads the chunk's bytes any more.
      if (item.ring) {
        this.ringHeld -= item.ring.length;
        item.ring.release();
      }
    }
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
