import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InputError, errorMessage } from '../../core/index.js';
import { LocalDirBlobStore, type BlobStore } from '../repo/index.js';
import { SITE_ERRORS, SiteError } from './errors.js';
import { formatSiteLocation, type LocalSiteSpec, type SiteSpec } from './spec.js';
import { SftpSite, type SftpSiteOptions } from './sftp-site.js';

/** Where a site is, for reports. `location` never holds a secret. */
export interface SiteDescription {
  readonly name: string;
  readonly kind: 'local' | 'sftp';
  readonly location: string;
}

/** The answer of a cheap reachability check. */
export type SiteProbe =
  | { readonly site: string; readonly reachable: true; readonly latencyMs: number; readonly note?: string }
  | { readonly site: string; readonly reachable: false; readonly latencyMs: number; readonly code: string; readonly problem: string };

/**
 * One place the vault keeps shards and metadata: a named blob store that can say where it is,
 * answer a cheap probe, and release its connection. Sites throw `SiteError` for failures of
 * the place itself (down, slow, refused) and `InputError` for bad blob names.
 */
export interface Site extends BlobStore {
  readonly name: string;
  describe(): SiteDescription;
  /** Never throws: a site that is down answers `{ reachable: false, … }`. */
  probe(): Promise<SiteProbe>;
  close(): Promise<void>;
}

export interface OpenSiteOptions {
  /** For local sites: longest time one operation may take before the site counts as stalled (a hung mount). */
  readonly localTimeoutMs?: number;
  /** Required for SFTP sites: key, trusted host keys, timeouts. */
  readonly sftp?: SftpSiteOptions;
}

/**
 * Opens the site a spec names. Local sites are ready at once; SFTP sites connect on first use.
 *
 * @example
 * const site = openSite(parseSiteSpec('a=/backup/a'));
 * await site.put('config', bytes);
 */
export function openSite(spec: SiteSpec, opts: OpenSiteOptions = {}): Site {
  if (spec.kind === 'local') return new LocalSite(spec, opts.localTimeoutMs);
  if (!opts.sftp) throw new InputError(SITE_ERRORS.spec, 'an sftp site needs SFTP options (private key, trusted host keys)', `site ${spec.name}`);
  return new SftpSite(spec, opts.sftp);
}

const DEFAULT_LOCAL_TIMEOUT_MS = 120_000;

/**
 * A site on a local folder or mount, through `LocalDirBlobStore` (temp file, fsync, rename).
 * File-system errors come back as `SiteError`s naming the site; an operation that does not
 * finish within the timeout (a hard-mounted NFS server gone away) fails instead of hanging
 * the backup, though the stuck system call itself cannot be cancelled.
 */
export class LocalSite implements Site {
  readonly name: string;
  readonly root: string;
  private readonly store: LocalDirBlobStore;
  private readonly timeoutMs: number;

  constructor(spec: LocalSiteSpec, timeoutMs = DEFAULT_LOCAL_TIMEOUT_MS) {
    this.name = spec.name;
    this.root = resolve(spec.path);
    this.store = new LocalDirBlobStore(this.root);
    this.timeoutMs = timeoutMs;
  }

  describe(): SiteDescription {
    return { name: this.name, kind: 'local', location: formatSiteLocation({ name: this.name, kind: 'local', path: this.root }) };
  }

  put(name: string, bytes: Uint8Array): Promise<void> {
    return this.run(`put ${name}`, () => this.store.put(name, bytes));
  }
  putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> {
    return this.run(`putIfAbsent ${name}`, () => this.store.putIfAbsent(name, bytes));
  }
  get(name: string): Promise<Uint8Array | null> {
    return this.run(`get ${name}`, () => this.store.get(name));
  }
  list(prefix: string): Promise<string[]> {
    return this.run(`list ${prefix}`, () => this.store.list(prefix));
  }
  delete(name: string): Promise<void> {
    return this.run(`delete ${name}`, () => this.store.delete(name));
  }

  /** Reachable when the root (or, before the first write, its nearest parent) is a writable folder. */
  async probe(): Promise<SiteProbe> {
    const started = performance.now();
    const took = (): number => performance.now() - started;
    try {
      const dir = await nearestExisting(this.root);
      const st = await stat(dir);
      if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
      await access(dir, constants.W_OK | constants.X_OK);
      const note = dir === this.root ? undefined : `root does not exist yet; ${dir} is writable`;
      return note ? { site: this.name, reachable: true, latencyMs: took(), note } : { site: this.name, reachable: true, latencyMs: took() };
    } catch (err) {
      return { site: this.name, reachable: false, latencyMs: took(), code: SITE_ERRORS.io, problem: `${this.prefix()}: ${errorMessage(err)}` };
    }
  }

  async close(): Promise<void> {}

  /** Removes temporary files older than `olderThanMs` left by a crashed writer. */
  removeStaleTemps(olderThanMs: number): Promise<number> {
    return this.store.removeStaleTemps(olderThanMs);
  }

  private prefix(): string {
    return `site "${this.name}" (${this.root})`;
  }

  private run<T>(what: string, op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new SiteError(SITE_ERRORS.timeout, this.name, `${this.prefix()}: ${what}: not done within ${this.timeoutMs} ms (is the mount stalled?)`));
      }, this.timeoutMs);
      op().then(
        (value) => {
          clearTimeout(timer);
          resolvePromise(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (err instanceof InputError) reject(err);
          else reject(new SiteError(SITE_ERRORS.io, this.name, `${this.prefix()}: ${what}: ${errorMessage(err)}`, { cause: err }));
        },
      );
    });
  }
}

async function nearestExisting(path: string): Promise<string> {
  let dir = path;
  for (;;) {
    try {
      await stat(dir);
      return dir;
    } catch (err) {
      const parent = dirname(dir);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw err;
      dir = parent;
    }
  }
}
