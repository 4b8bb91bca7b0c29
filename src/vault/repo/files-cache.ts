import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What the backup host remembers of the files it backed up: for each absolute path, the
 * size, times and inode it had and the chunk ids it was cut into. A later backup takes an
 * unchanged file's chunk list from here instead of reading it again — the files cache of
 * borg and restic. The host cannot read its own snapshots (their keys are the custodians'),
 * so the cache lives on the host, beside its other secrets (`<vault>.host/files-cache`).
 *
 * It holds nothing the host does not already have: the file names, and chunk ids keyed with
 * the repository secret the host keeps anyway.
 *
 * File format (one JSON value per line):
 *   {"format":"lianfang-vault-files-cache","version":1,"repoId":…,"chunker":…}
 *   [path, size, mtimeMs, ctimeMs, ino, age, "<chunk ids, 64 hex digits each, concatenated>"]  (one per file)
 *   {"sha256": "<hex of every byte above>"}
 * A cache that fails any check is ignored (every file is read), never trusted in part.
 */

/** What a file's stat must still say for its cached chunk list to stand. */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
}

interface CachedFile extends FileStamp {
  readonly chunks: string;
  /** Backups since the file was last seen; entries unseen for MAX_AGE backups are dropped. */
  age: number;
}

const FORMAT = 'lianfang-vault-files-cache';
/** The backup that is the 20th in a row not to see a file drops its entry (borg's files cache TTL is 20 too). */
const MAX_AGE = 20;
/**
 * A file whose ctime is this close to when it was looked at is not cached: file times tick
 * coarsely (a few ms), so a change right after the stat could leave the same ctime behind.
 */
const RACY_MS = 1000;

export class FilesCache {
  /** Files this backup saw; null: seen but not cacheable (changed too recently, or while read). */
  private readonly seen = new Map<string, CachedFile | null>();
  /** Why the file on disk was not used (absent is not a reason). */
  readonly ignored: string | null;

  private constructor(
    private readonly path: string,
    private readonly header: string,
    private readonly old: Map<string, CachedFile>,
    ignored: string | null,
  ) {
    this.ignored = ignored;
  }

  /** Number of files the cache file held when loaded. */
  get loaded(): number {
    return this.old.size;
  }

  /**
   * Loads the cache at `path` for repository `repoId` cutting chunks with `chunker` (any
   * JSON-able description of its parameters). A missing, damaged or foreign file gives an
   * empty cache; `ignored` says why. `empty`: start empty whatever the file holds (re-read
   * everything; the file is replaced on save).
   */
  static load(path: string, repoId: string, chunker: unknown, opts: { empty?: boolean } = {}): FilesCache {
    const header = JSON.stringify({ format: FORMAT, version: 1, repoId, chunker });
    if (opts.empty) return new FilesCache(path, header, new Map(), null);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return new FilesCache(path, header, new Map(), code === 'ENOENT' ? null : `cannot read it: ${code ?? (err as Error).message}`);
    }
    const parsed = parseCache(text, header);
    return typeof parsed === 'string' ? new FilesCache(path, header, new Map(), parsed) : new FilesCache(path, header, parsed, null);
  }

  /**
   * The chunk ids (hex) the file had when it was last backed up, if its stat still says the
   * same and `present` holds every one of them (a prune may have removed some).
   */
  lookup(absPath: string, stat: FileStamp, present: (idHex: string) => boolean): string[] | null {
    const e = this.old.get(absPath);
    if (e === undefined || e.size !== stat.size || e.mtimeMs !== stat.mtimeMs || e.ctimeMs !== stat.ctimeMs || e.ino !== stat.ino) return null;
    const ids: string[] = [];
    for (let i = 0; i < e.chunks.length; i += 64) {
      const id = e.chunks.slice(i, i + 64);
      if (!present(id)) return null;
      ids.push(id);
    }
    return ids;
  }

  /** Marks a file seen but not to be cached (it changed while it was read). */
  forget(absPath: string): void {
    this.seen.set(absPath, null);
  }

  /**
   * Records what a file was cut into. `lookedAtMs` is when its stat was taken: a file that
   * changed within RACY_MS before that is left out (it is read again next time).
   */
  record(absPath: string, stat: FileStamp, chunks: readonly string[], lookedAtMs: number): void {
    if (Math.max(stat.mtimeMs, stat.ctimeMs) > lookedAtMs - RACY_MS) {
      this.seen.set(absPath, null);
      return;
    }
    this.seen.set(absPath, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, chunks: chunks.join(''), age: 0 });
  }

  /**
   * Writes the cache: the files this backup saw, and older entries one backup older (dropped
   * after MAX_AGE). Call it only after the snapshot is written, so every id in it is in a pack
   * the index names. Written to a temporary file, synced, then renamed over the old one.
   */
  save(): void {
    const lines: string[] = [this.header];
    for (const [path, e] of this.old) {
      if (this.seen.has(path) || e.age + 1 >= MAX_AGE) continue;
      lines.push(entryLine(path, { ...e, age: e.age + 1 }));
    }
    for (const [path, e] of this.seen) if (e !== null) lines.push(entryLine(path, e));
    const body = lines.join('\n') + '\n';
    const text = body + JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex') }) + '\n';
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function entryLine(path: string, e: CachedFile): string {
  return JSON.stringify([path, e.size, e.mtimeMs, e.ctimeMs, e.ino, e.age, e.chunks]);
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** The entries, or why the text is not a cache this repository can use. */
function parseCache(text: string, header: string): Map<string, CachedFile> | string {
  const lastBreak = text.lastIndexOf('\n', text.length - 2);
  if (lastBreak < 0 || !text.endsWith('\n')) return 'it is truncated';
  const body = text.slice(0, lastBreak + 1);
  let trailer: unknown;
  try {
    trailer = JSON.parse(text.slice(lastBreak + 1));
  } catch {
    return 'its checksum line is not JSON (truncated?)';
  }
  if (typeof trailer !== 'object' || trailer === null || (trailer as { sha256?: unknown }).sha256 !== createHash('sha256').update(body).digest('hex')) {
    return 'its checksum does not match (damaged or truncated)';
  }
  const lines = body.split('\n');
  lines.pop();
  if (lines[0] !== header) return 'it belongs to another repository or chunker';
  const out = new Map<string, CachedFile>();
  for (let i = 1; i < lines.length; i++) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch {
      return `line ${i + 1} is not JSON`;
    }
    if (!Array.isArray(v) || v.length !== 7) return `line ${i + 1} is not a file entry`;
    const [path, size, mtimeMs, ctimeMs, ino, age, chunks] = v as unknown[];
    if (typeof path !== 'string' || !isCount(size) || typeof mtimeMs !== 'number' || typeof ctimeMs !== 'number' || !isCount(ino) || !isCount(age)) {
      return `line ${i + 1} has a field of the wrong type`;
    }
    if (typeof chunks !== 'string' || chunks.length % 64 !== 0 || !/^[0-9a-f]*$/.test(chunks)) return `line ${i + 1} has malformed chunk ids`;
    out.set(path, { size, mtimeMs, ctimeMs, ino, age, chunks });
  }
  return out;
}
