import { chmod, lstat, mkdir, open, readdir, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InputError } from '../../core/index.js';
import type { ChunkLoan, ChunkOpenThread } from './chunk-open-thread.js';
import type { ChunkReader, Repository, UnwrapDataKey } from './repository.js';
import { parseTreeLine, readSnapshot, safePathParts, type TreeEntry, type VerifySnapshotSignature } from './snapshot.js';

export interface RestoreOptions {
  readonly unwrapDataKey: UnwrapDataKey;
  /** Required: a restore never trusts an unsigned or altered snapshot. */
  readonly verifySignature: VerifySnapshotSignature;
  readonly onProgress?: (p: { files: number; bytes: number; currentPath: string }) => void;
  /** Chunk-opening threads started ahead (`startChunkOpeners`); the restore closes them. */
  readonly openers?: readonly ChunkOpenThread[];
}

export interface RestoreResult {
  readonly snapshotId: string;
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly bytes: number;
}

/**
 * Streams the entries of a snapshot's tree, chunk by chunk, line by line.
 */
export async function* readTree(reader: ChunkReader, treeIds: readonly string[]): AsyncGenerator<TreeEntry> {
  let carry = '';
  let line = 0;
  for (const id of treeIds) {
    const text = carry + (await reader.read(id)).toString('utf8');
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
      line++;
      yield parseTreeLine(text.slice(from, nl), `tree line ${line}`);
      from = nl + 1;
    }
    carry = text.slice(from);
  }
  if (carry.length > 0) throw new InputError('VAULT_TREE', 'tree ends in an unterminated line', `tree line ${line + 1}`);
}

/** Bytes of opened chunks kept for their later uses; past this, a chunk is opened again. */
const SHARED_BUDGET = 128 * 1024 * 1024;

/**
 * Chunks opened once for all their uses in a restore: the plaintext stays (within
 * SHARED_BUDGET) until its last use, and a read of a chunk already being opened waits for
 * that one instead of opening it again. A chunk with one use stays a loan from the opening
 * thread's ring; one kept for later uses is copied out of it at once, so the ring never
 * waits on a chunk held for a file far ahead.
 */
export class SharedChunks {
  private readonly open = new Map<string, Promise<Buffer>>();
  /** Sizes of the opened chunks held, counted against the budget. */
  private readonly sizes = new Map<string, number>();
  private held = 0;

  constructor(
    private readonly reader: Pick<ChunkReader, 'loan'>,
    /** Uses left per chunk id. */
    private readonly uses: Map<string, number>,
  ) {}

  read(id: string): Promise<ChunkLoan> {
    const left = (this.uses.get(id) ?? 1) - 1;
    if (left > 0) this.uses.set(id, left);
    else this.uses.delete(id);
    const shared = this.open.get(id);
    if (shared !== undefined) {
      if (left <= 0) this.drop(id);
      return shared.then(owned);
    }
    if (left <= 0) return this.reader.loan(id);
    const p = this.reader.loan(id).then((l) => {
      const b = Buffer.from(l.bytes);
      l.release();
      return b;
    });
    this.open.set(id, p);
    p.then(
      (b) => {
        if (this.open.get(id) !== p) return; // its last use came first
        if (this.held + b.length > SHARED_BUDGET) {
          this.open.delete(id); // over budget: later uses open it again
          return;
        }
        this.held += b.length;
        this.sizes.set(id, b.length);
      },
      () => this.open.delete(id),
    );
    return p.then(owned);
  }

  private drop(id: string): void {
    this.open.delete(id);
    const n = this.sizes.get(id);
    if (n === undefined) return;
    this.held -= n;
    this.sizes.delete(id);
  }
}

/** A chunk copied out of the ring: nothing to give back. */
function owned(bytes: Buffer): ChunkLoan {
  return { bytes, release: () => undefined };
}

/** Chunk reads kept in flight ahead of the writes: decrypting, inflating and hashing overlap. */
const READ_AHEAD = 32;

interface FileJob {
  readonly entry: Extract<TreeEntry, { type: 'file' }>;
  readonly abs: string;
  readonly where: string;
}

/**
 * Restores a snapshot into `targetDir`, which must be absent or empty. Every chunk is checked
 * against its id; paths that are absolute, contain `..`, repeat, or pass through a symlink are
 * refused before anything is written for them. Symlinks are created last, and folder modes
 * and times are applied last (deepest first), so a read-only folder still gets its children.
 */
export async function restore(repo: Repository, snapshotId: string, targetDir: string, opts: RestoreOptions): Promise<RestoreResult> {
  const packs = repo.chunkReader(opts.unwrapDataKey, opts.openers);
  try {
    return await restoreWith(packs, repo, snapshotId, targetDir, opts);
  } finally {
    await packs.close();
  }
}

async function restoreWith(packs: ChunkReader, repo: Repository, snapshotId: string, targetDir: string, opts: RestoreOptions): Promise<RestoreResult> {
  const { record } = await readSnapshot(repo.store, snapshotId, repo.config.repoId, opts.verifySignature);
  await prepareTarget(targetDir);
  // A chunk that several files hold (copies, near-identical dumps) is opened once and written
  // to each of them, as restic's restorer does: count the uses first (the tree is small).
  const uses = new Map<string, number>();
  for await (const e of readTree(packs, record.tree)) {
    if (e.type === 'file') for (const id of e.chunks) uses.set(id, (uses.get(id) ?? 0) + 1);
  }
  const reader = new SharedChunks(packs, uses);
  const dirs: { path: string; mode: number; mtimeMs: number; depth: number }[] = [];
  const links: { path: string; target: string; mtimeMs: number }[] = [];
  let files = 0;
  let bytes = 0;
  await writeFiles(reader, placeEntries(readTree(packs, record.tree), snapshotId, targetDir, dirs, links), (job, written) => {
    bytes += written;
    files++;
    opts.onProgress?.({ files, bytes, currentPath: job.entry.path });
  });
  await packs.close();
  for (const l of links) {
    await symlink(l.target, l.path);
  }
  dirs.sort((a, b) => b.depth - a.depth);
  for (const d of dirs) {
    await chmod(d.path, d.mode);
    await utimes(d.path, d.mtimeMs / 1000, d.mtimeMs / 1000);
  }
  return { snapshotId, files, dirs: dirs.length, symlinks: links.length, bytes };
}

/**
 * Checks each tree entry's path and makes its folders; yields the files to write, and
 * collects folders and symlinks for the end.
 */
async function* placeEntries(
  entries: AsyncIterable<TreeEntry>,
  snapshotId: string,
  targetDir: string,
  dirs: { path: string; mode: number; mtimeMs: number; depth: number }[],
  links: { path: string; target: string; mtimeMs: number }[],
): AsyncGenerator<FileJob> {
  const seen = new Set<string>();
  const symlinkPaths = new Set<string>();
  const filePaths = new Set<string>();
  const made = new Set<string>();
  const ensureDir = async (parts: string[]): Promise<void> => {
    const rel = parts.join('/');
    if (parts.length === 0 || made.has(rel)) return;
    await mkdir(join(targetDir, ...parts), { recursive: true, mode: 0o700 });
    for (let i = 1; i <= parts.length; i++) made.add(parts.slice(0, i).join('/'));
  };
  let n = 0;
  for await (const e of entries) {
    n++;
    const where = `snapshot ${snapshotId.slice(0, 12)} entry ${n} (${JSON.stringify(e.path).slice(0, 200)})`;
    const parts = safePathParts(e.path, where);
    if (seen.has(e.path)) throw new InputError('VAULT_PATH', 'path appears twice in the tree', where);
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      if (symlinkPaths.has(anc)) throw new InputError('VAULT_PATH', `path passes through symlink "${anc}"`, where);
      if (filePaths.has(anc)) throw new InputError('VAULT_PATH', `path passes through file "${anc}"`, where);
    }
    seen.add(e.path);
    const abs = join(targetDir, ...parts);
    if (e.type === 'dir') {
      await ensureDir(parts);
      dirs.push({ path: abs, mode: e.mode, mtimeMs: e.mtimeMs, depth: parts.length });
    } else if (e.type === 'symlink') {
      symlinkPaths.add(e.path);
      await ensureDir(parts.slice(0, -1));
      links.push({ path: abs, target: e.target, mtimeMs: e.mtimeMs });
    } else {
      filePaths.add(e.path);
      await ensureDir(parts.slice(0, -1));
      yield { entry: e, abs, where };
    }
  }
}

/** One chunk to write, its read already started (null: an empty file). */
interface PendingChunk {
  readonly job: FileJob;
  readonly index: number;
  readonly data: Promise<ChunkLoan> | null;
}

/**
 * Writes the files in tree order while up to READ_AHEAD chunk reads, across file
 * boundaries, run ahead of the writes.
 */
async function writeFiles(reader: Pick<SharedChunks, 'read'>, jobs: AsyncIterable<FileJob>, onFile: (job: FileJob, written: number) => void): Promise<void> {
  const it = jobs[Symbol.asyncIterator]();
  const ahead: PendingChunk[] = [];
  let current: FileJob | null = null;
  let nextChunk = 0;
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (ahead.length < READ_AHEAD) {
      if (current !== null && nextChunk < current.entry.chunks.length) {
        const data = reader.read(current.entry.chunks[nextChunk]!);
        // Seen when its turn comes; not unhandled if a write fails first. A loan never
        // written (the restore failed) is given back when the reader closes.
        data.catch(() => undefined);
        ahead.push({ job: current, index: nextChunk++, data });
        continue;
      }
      if (exhausted) return;
      const r = await it.next();
      if (r.done === true) {
        exhausted = true;
        return;
      }
      current = r.value;
      nextChunk = 0;
      if (current.entry.chunks.length === 0) ahead.push({ job: current, index: 0, data: null });
    }
  };
  // Writes (and each file's close) are not awaited one by one: up to WRITES_IN_FLIGHT run on
  // the thread pool while the next chunks are decrypted. Positional writes keep them apart.
  const inFlight: Promise<void>[] = [];
  const settle = async (p: Promise<void>): Promise<void> => {
    inFlight.push(p);
    if (inFlight.length > WRITES_IN_FLIGHT) await inFlight.shift();
  };
  let fh: FileHandle | null = null;
  let writes: Promise<unknown>[] = [];
  let written = 0;
  try {
    for (;;) {
      await fill();
      const next = ahead.shift();
      if (next === undefined) break;
      const { job, index, data } = next;
      if (index === 0) {
        // 'wx' = O_CREAT|O_EXCL: never follows or overwrites anything already at the path
        fh = await open(job.abs, 'wx', 0o600);
        writes = [];
        written = 0;
      }
      if (data !== null) {
        const { bytes: chunk, release } = await data;
        const w = fh!.write(chunk, 0, chunk.length, written);
        w.then(release, release); // its room in the ring comes back once written
        w.catch(() => undefined); // awaited with the file's close below
        writes.push(w);
        written += chunk.length;
      }
      if (data === null || index === job.entry.chunks.length - 1) {
        const f = fh!;
        const size = written;
        fh = null;
        const done = finishFile(f, job, writes, size).then(() => onFile(job, size));
        done.catch(() => undefined); // awaited in turn by settle, or at the end
        await settle(done);
      } else if (writes.length > WRITES_IN_FLIGHT) {
        await writes[writes.length - WRITES_IN_FLIGHT - 1];
      }
    }
    await Promise.all(inFlight);
  } finally {
    if (fh !== null) await Promise.allSettled(writes).then(() => fh!.close());
    await Promise.allSettled(inFlight);
  }
}

/** Chunk writes and file closes left running while the restore goes on. */
const WRITES_IN_FLIGHT = 8;

async function finishFile(f: FileHandle, job: FileJob, writes: readonly Promise<unknown>[], written: number): Promise<void> {
  try {
    await Promise.all(writes);
    if (written !== job.entry.size) throw new InputError('VAULT_FILE_SIZE', `restored ${written} bytes, tree says ${job.entry.size}`, job.where);
    await f.chmod(job.entry.mode);
  } finally {
    await Promise.allSettled(writes);
    await f.close();
  }
  await utimes(job.abs, job.entry.mtimeMs / 1000, job.entry.mtimeMs / 1000);
}

async function prepareTarget(targetDir: string): Promise<void> {
  const st = await lstat(targetDir).catch(() => null);
  if (st === null) {
    await mkdir(targetDir, { recursive: true, mode: 0o700 });
    return;
  }
  if (!st.isDirectory()) throw new ConflictError('VAULT_TARGET', `restore target ${targetDir} exists and is not a folder`);
  if ((await readdir(targetDir)).length > 0) throw new ConflictError('VAULT_TARGET', `restore target ${targetDir} is not empty`);
}
