import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, link, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../core/index.js';

/** What a caller of `BlobStore.put` already knows about the bytes. */
export interface KnownBytes {
  readonly sha256?: Uint8Array;
  readonly handOver?: boolean;
}

/**
 * Where a repository keeps its named blobs. The repository core needs only these five
 * operations, so sites, erasure coding and network backends plug in behind it.
 *
 * Names are `/`-separated, lower-case `[a-z0-9._-]` segments (`packs/3f…`, `snapshots/9a…`).
 * `put` must be atomic: a reader sees either no blob or the whole blob, never a prefix.
 */
export interface BlobStore {
  /**
   * Stores `bytes` under `name`, replacing any previous blob, atomically and durably.
   * `known.sha256`: the caller has already hashed the bytes (a pack, named by its hash), so
   * a store that needs the hash need not compute it again. `known.handOver`: the caller will
   * not touch `bytes` again, so the store may move its buffer to another thread.
   */
  put(name: string, bytes: Uint8Array, known?: KnownBytes): Promise<void>;
  /** Stores `bytes` only if `name` does not exist yet; false when it did (used for locks). */
  putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean>;
  /**
   * The blob's bytes, or null when there is no such blob. The bytes are the caller's (a
   * restore moves them to another thread): a store must not keep or share them.
   */
  get(name: string): Promise<Uint8Array | null>;
  /**
   * A pack's bytes by the cheapest route, skipping checks a store makes over the whole blob
   * (an erasure-coded store: the data shards' stripes without hashing the pack), as pieces
   * that laid end to end are the blob (the stripes in place, not joined). Only for a reader
   * that authenticates every part it uses and, when one fails, reads the pack again with
   * `get`. The pieces are the caller's, as with `get`. Stores without such a route leave it out.
   */
  getUnchecked?(name: string): Promise<Uint8Array[] | null>;
  /** Names of the blobs under `prefix` (e.g. `packs/`), in no particular order. */
  list(prefix: string): Promise<string[]>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(name: string): Promise<void>;
}

/** Refuses names that could escape the store's root or collide with temporary files. */
export function checkBlobName(name: string): void {
  const parts = name.split('/');
  for (const part of parts) {
    if (part.length === 0 || part === '.' || part === '..' || part.startsWith('.tmp-')) {
      throw new InputError('VAULT_BLOB_NAME', `blob name "${name}" has an empty, dot or temporary segment`);
    }
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d;
      if (!ok) throw new InputError('VAULT_BLOB_NAME', `blob name "${name}" has character ${JSON.stringify(part[i])}`);
    }
  }
}

/**
 * A blob store on one local directory. Writes go to a `.tmp-*` file in the target folder,
 * are fsynced, then renamed (or hard-linked, for `putIfAbsent`) into place and the folder is
 * fsynced, so a crash leaves either the old state or the new one plus a stray temp file
 * that readers ignore.
 */
export class LocalDirBlobStore implements BlobStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    const { tmp, final } = await this.writeTemp(name, bytes);
    await rename(tmp, final);
    await fsyncDir(dirname(final));
  }

  async putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> {
    const { tmp, final } = await this.writeTemp(name, bytes);
    try {
      await link(tmp, final);
      await fsyncDir(dirname(final));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async get(name: string): Promise<Uint8Array | null> {
    checkBlobName(name);
    try {
      return await readWhole(join(this.root, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    if (dir.length > 0) checkBlobName(dir);
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith('.tmp-')) continue;
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(child);
        else if (e.isFile()) out.push(child);
      }
    };
    await walk(dir);
    return out;
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    await unlink(join(this.root, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Removes temporary files older than `olderThanMs` left by a crashed writer. */
  async removeStaleTemps(olderThanMs: number): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.name.startsWith('.tmp-')) {
          const st = await stat(p).catch(() => null);
          if (st && Date.now() - st.mtimeMs > olderThanMs) {
            await unlink(p).catch(() => undefined);
            removed++;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  private async writeTemp(name: string, bytes: Uint8Array): Promise<{ tmp: string; final: string }> {
    checkBlobName(name);
    const final = join(this.root, name);
    const dir = dirname(final);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeWhole(fh, bytes);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    return { tmp, final };
  }
}

/**
 * A whole file in one read where the system allows (a loop otherwise). `readFile` reads in
 * 512 KiB steps, each a separate trip through the thread pool, where a restore's hashing
 * and inflating queue too: a pack's shards then arrive a step at a time behind them.
 */
async function readWhole(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break; // shorter than it was a moment ago: what is there
      at += bytesRead;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/** All of `bytes` in as few writes as the system takes (see readWhole: one, usually). */
async function writeWhole(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += (await fh.write(bytes, at, bytes.length - at, at)).bytesWritten;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
