import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { errorMessage } from '../../core/index.js';
import { checkBlobName } from '../repo/index.js';
import { SITE_ERRORS, SiteError, type SiteErrorCode } from './errors.js';
import { checkHostKey, type HostKeyVerdict } from './known-hosts.js';
import type { Site, SiteDescription, SiteProbe } from './site.js';
import { formatSiteLocation, type SftpSiteSpec } from './spec.js';

/** How to reach and trust one SFTP site. Only the key file's path is kept, never its bytes in messages. */
export interface SftpSiteOptions {
  /** OpenSSH private key file used to log in (ed25519, ecdsa or rsa). */
  readonly privateKeyPath: string;
  /** Passphrase of an encrypted private key. */
  readonly passphrase?: string;
  /** Host keys pinned in the vault config (`SHA256:…` or `ssh-ed25519 AAAA…`); they override known_hosts. */
  readonly hostKeys?: readonly string[];
  /** An OpenSSH known_hosts file consulted when no key is pinned. */
  readonly knownHostsPath?: string;
  /** TCP connect + SSH handshake + login + SFTP start must finish within this. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Each SFTP request must be answered within this, so a stalled server fails fast. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** SSH keepalive period; three unanswered keepalives drop an idle connection. Default 15 s. */
  readonly keepaliveIntervalMs?: number;
  /**
   * How `putIfAbsent` claims a name. `hardlink` (default) writes a temp file and links it with
   * OpenSSH's hardlink extension, which fails if the name exists: exclusive and atomic, like the
   * local store. `exclusive-open` creates the final name with O_CREAT|O_EXCL and writes into it:
   * exclusive on every SFTP server, but a reader may briefly see a partial blob. The hardlink
   * method falls back to exclusive-open on servers without the extension.
   */
  readonly putIfAbsentMethod?: 'hardlink' | 'exclusive-open';
}

/**
 * Bytes per SFTP request and how many are in flight (about 2 MiB either way, to fill a WAN
 * pipe). Measured against OpenSSH 9.2 on loopback: 64 KiB writes and 128 KiB reads were fastest.
 */
const WRITE_CHUNK = 64 * 1024;
const WRITE_WINDOW = 32;
const READ_CHUNK = 128 * 1024;
const READ_WINDOW = 16;
const LIST_CONCURRENCY = 16;
// SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7).
const FX_NO_SUCH_FILE = 2;
const FX_FAILURE = 4;

/** A server that lacks an OpenSSH extension; callers fall back to the plain request. */
class ExtensionMissing extends Error {}

type Done<T> = (err: Error | null | undefined, value?: T) => void;

/** One SSH connection with its SFTP channel; `lose` fails every request still waiting on it. */
class SftpConnection {
  closed = false;
  private readonly waiters = new Set<(reason: string) => void>();
  constructor(
    readonly client: Client,
    readonly sftp: SFTPWrapper,
  ) {}

  wait(onLost: (reason: string) => void): () => void {
    this.waiters.add(onLost);
    return () => this.waiters.delete(onLost);
  }

  lose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) w(reason);
    this.waiters.clear();
    this.client.destroy();
  }
}

/**
 * A site on an SFTP server (OpenSSH's `internal-sftp` or any SFTP v3 server).
 *
 * - Key authentication; the server's host key must match a pin or a known_hosts line.
 * - One connection, opened on first use, shared by concurrent operations (SFTP pipelines
 *   requests), and reopened on the next call after it drops.
 * - `put` writes `.tmp-<random>` (exclusive create), fsyncs it (fsync@openssh.com) and
 *   renames it over the name (posix-rename@openssh.com), so readers see old or new, never a prefix.
 * - Every request has a deadline; on a missed deadline the connection is dropped and the
 *   caller gets `VAULT_SITE_TIMEOUT`, so a stalled site cannot hang a backup.
 */
export class SftpSite implements Site {
  readonly name: string;
  /** Connections opened so far (1 while the first one lasts): for tests and the site report. */
  connectCount = 0;
  private readonly spec: SftpSiteSpec;
  private readonly opts: SftpSiteOptions;
  private readonly root: string;
  private readonly location: string;
  private conn: SftpConnection | null = null;
  private connecting: Promise<SftpConnection> | null = null;
  private readonly knownDirs = new Set<string>();

  constructor(spec: SftpSiteSpec, opts: SftpSiteOptions) {
    this.name = spec.name;
    this.spec = spec;
    this.opts = opts;
    // OpenSSH resolves relative SFTP paths against the login's home folder.
    this.root = spec.path === '~' ? '.' : spec.path.startsWith('~/') ? spec.path.slice(2) : spec.path;
    this.location = formatSiteLocation(spec);
  }

  describe(): SiteDescription {
    return { name: this.name, kind: 'sftp', location: this.location };
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    checkBlobName(name);
    return this.withConnection(`put ${name}`, true, async (conn, what) => {
      const final = this.remote(name);
      const tmp = await this.writeTemp(conn, what, posix.dirname(final), bytes);
      try {
        await this.replace(conn, what, tmp, final);
      } catch (err) {
        await this.unlinkQuietly(conn, what, tmp);
        throw err;
      }
    });
  }

  async putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> {
    checkBlobName(name);
    // Not retried on a fresh connection: a lost answer could turn our own win into a "taken".
    return this.withConnection(`putIfAbsent ${name}`, false, async (conn, what) => {
      const final = this.remote(name);
      if ((this.opts.putIfAbsentMethod ?? 'hardlink') === 'hardlink') {
        const linked = await this.putIfAbsentByLink(conn, what, final, bytes);
        if (linked !== 'unsupported') return linked;
      }
      return this.putIfAbsentByExclusiveOpen(conn, what, final, bytes);
    });
  }

  async get(name: string): Promise<Uint8Array | null> {
    checkBlobName(name);
    return this.withConnection(`get ${name}`, true, async (conn, what) => {
      let handle: Buffer;
      try {
        handle = await this.request<Buffer>(conn, what, (cb) => conn.sftp.open(this.remote(name), 'r', cb));
      } catch (err) {
        if (statusOf(err) === FX_NO_SUCH_FILE) return null;
        throw err;
      }
      try {
        const st = await this.request<Stats>(conn, what, (cb) => conn.sftp.fstat(handle, cb));
        return await this.readAll(conn, what, handle, st.size);
      } finally {
        await this.closeQuietly(conn, what, handle);
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    if (dir.length > 0) checkBlobName(dir);
    return this.withConnection(`list ${prefix}`, true, async (conn, what) => {
      const out: string[] = [];
      const pending: string[] = [dir];
      // Breadth-first with a few folders read at once: packs/ has 256 sub-folders.
      while (pending.length > 0) {
        const batch = pending.splice(0, LIST_CONCURRENCY);
        const listed = await Promise.all(batch.map((rel) => this.readDir(conn, what, rel)));
        batch.forEach((rel, i) => {
          for (const e of listed[i]!) {
            if (e.filename.startsWith('.tmp-')) continue;
            const child = rel ? `${rel}/${e.filename}` : e.filename;
            if (e.attrs.isDirectory()) pending.push(child);
            else if (e.attrs.isFile()) out.push(child);
          }
        });
      }
      return out;
    });
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    return this.withConnection(`delete ${name}`, true, async (conn, what) => {
      try {
        await this.request<void>(conn, what, (cb) => conn.sftp.unlink(this.remote(name), cb));
      } catch (err) {
        if (statusOf(err) !== FX_NO_SUCH_FILE) throw err;
      }
    });
  }

  /** Connects if needed and stats the root: reachable, and how long that took. */
  async probe(): Promise<SiteProbe> {
    const started = performance.now();
    try {
      const conn = await this.connection('probe');
      const st = await this.statOrNull(conn, 'probe', this.root);
      const latencyMs = performance.now() - started;
      if (st && !st.isDirectory()) throw this.error(SITE_ERRORS.io, `probe: ${this.root} is not a folder`);
      return st ? { site: this.name, reachable: true, latencyMs } : { site: this.name, reachable: true, latencyMs, note: 'root folder does not exist yet' };
    } catch (err) {
      const code = err instanceof SiteError ? err.code : SITE_ERRORS.io;
      return { site: this.name, reachable: false, latencyMs: performance.now() - started, code, problem: this.scrub(errorMessage(err)) };
    }
  }

  async close(): Promise<void> {
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const conn = this.conn;
    this.conn = null;
    if (conn && !conn.closed) {
      conn.closed = true;
      conn.client.end();
    }
  }

  // --- writing ---------------------------------------------------------------------------

  private async writeTemp(conn: SftpConnection, what: string, dir: string, bytes: Uint8Array): Promise<string> {
    await this.ensureDir(conn, what, dir);
    const tmp = `${dir}/.tmp-${randomBytes(8).toString('hex')}`;
    let handle: Buffer;
    try {
      handle = await this.request<Buffer>(conn, what, (cb) => conn.sftp.open(tmp, 'wx', { mode: 0o600 }, cb));
    } catch (err) {
      // Someone removed the folder since we cached it: make it again, once.
      if (statusOf(err) !== FX_NO_SUCH_FILE) throw err;
      this.knownDirs.clear();
      await this.ensureDir(conn, what, dir);
      handle = await this.request<Buffer>(conn, what, (cb) => conn.sftp.open(tmp, 'wx', { mode: 0o600 }, cb));
    }
    try {
      await this.writeAll(conn, what, handle, bytes);
      await this.tryExtension(conn, what, (cb) => conn.sftp.ext_openssh_fsync(handle, (err) => cb(err)));
      await this.request<void>(conn, what, (cb) => conn.sftp.close(handle, cb));
    } catch (err) {
      await this.closeQuietly(conn, what, handle);
      await this.unlinkQuietly(conn, what, tmp);
      throw err;
    }
    return tmp;
  }

  /** Moves `tmp` over `final`, atomically where the server has posix-rename. */
  private async replace(conn: SftpConnection, what: string, tmp: string, final: string): Promise<void> {
    if (await this.tryExtension(conn, what, (cb) => conn.sftp.ext_openssh_rename(tmp, final, cb))) return;
    // Plain SFTP rename refuses an existing target; without posix-rename a replace has a short gap.
    try {
      await this.request<void>(conn, what, (cb) => conn.sftp.rename(tmp, final, cb));
    } catch (err) {
      if (!(await this.statOrNull(conn, what, final))) throw err;
      await this.request<void>(conn, what, (cb) => conn.sftp.unlink(final, cb));
      await this.request<void>(conn, what, (cb) => conn.sftp.rename(tmp, final, cb));
    }
  }

  private async putIfAbsentByLink(conn: SftpConnection, what: string, final: string, bytes: Uint8Array): Promise<boolean | 'unsupported'> {
    const tmp = await this.writeTemp(conn, what, posix.dirname(final), bytes);
    try {
      // link(2) fails with EEXIST when the name is taken: the test and the set are one step.
      return (await this.tryExtension(conn, what, (cb) => conn.sftp.ext_openssh_hardlink(tmp, final, cb))) ? true : 'unsupported';
    } catch (err) {
      if (statusOf(err) === FX_FAILURE && (await this.statOrNull(conn, what, final))) return false;
      throw err;
    } finally {
      await this.unlinkQuietly(conn, what, tmp);
    }
  }

  private async putIfAbsentByExclusiveOpen(conn: SftpConnection, what: string, final: string, bytes: Uint8Array): Promise<boolean> {
    await this.ensureDir(conn, what, posix.dirname(final));
    let handle: Buffer;
    try {
      handle = await this.request<Buffer>(conn, what, (cb) => conn.sftp.open(final, 'wx', { mode: 0o600 }, cb));
    } catch (err) {
      if (await this.statOrNull(conn, what, final)) return false;
      throw err;
    }
    try {
      await this.writeAll(conn, what, handle, bytes);
      await this.tryExtension(conn, what, (cb) => conn.sftp.ext_openssh_fsync(handle, (err) => cb(err)));
      await this.request<void>(conn, what, (cb) => conn.sftp.close(handle, cb));
      return true;
    } catch (err) {
      // We created it, so it is ours to remove: leave no half-written claim behind.
      await this.closeQuietly(conn, what, handle);
      await this.unlinkQuietly(conn, what, final);
      throw err;
    }
  }

  private async writeAll(conn: SftpConnection, what: string, handle: Buffer, bytes: Uint8Array): Promise<void> {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < buf.length) {
        const off = next;
        const len = Math.min(WRITE_CHUNK, buf.length - off);
        next += len;
        await this.request<void>(conn, what, (cb) => conn.sftp.write(handle, buf, off, len, off, cb)).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    };
    await settleAll(Array.from({ length: Math.min(WRITE_WINDOW, Math.ceil(buf.length / WRITE_CHUNK)) }, worker));
  }

  private async ensureDir(conn: SftpConnection, what: string, dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const st = await this.statOrNull(conn, what, dir);
    if (st && !st.isDirectory()) throw this.error(SITE_ERRORS.io, `${what}: ${dir} exists and is not a folder`);
    if (!st) {
      const parent = posix.dirname(dir);
      if (parent !== dir && parent !== '.' && parent !== '/') await this.ensureDir(conn, what, parent);
      try {
        await this.request<void>(conn, what, (cb) => conn.sftp.mkdir(dir, { mode: 0o700 }, cb));
      } catch (err) {
        const again = await this.statOrNull(conn, what, dir); // another writer may have made it
        if (!again?.isDirectory()) throw err;
      }
    }
    this.knownDirs.add(dir);
  }

  // --- reading ---------------------------------------------------------------------------

  private async readAll(conn: SftpConnection, what: string, handle: Buffer, size: number): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(size);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < size) {
        const start = next;
        const end = Math.min(size, start + READ_CHUNK);
        next = end;
        // A server may answer with fewer bytes than asked (the protocol allows it): ask again.
        for (let pos = start; pos < end; ) {
          const got = await this.request<number>(conn, what, (cb) => conn.sftp.read(handle, buf, pos, end - pos, pos, (err, n) => cb(err, n))).catch((err: unknown) => {
            failed = true;
            throw err;
          });
          if (got === 0) {
            failed = true;
            throw this.error(SITE_ERRORS.io, `${what}: blob ended at byte ${pos} of ${size} while being read`);
          }
          pos += got;
        }
      }
    };
    if (size > 0) await settleAll(Array.from({ length: Math.min(READ_WINDOW, Math.ceil(size / READ_CHUNK)) }, worker));
    return buf;
  }

  private async readDir(conn: SftpConnection, what: string, rel: string): Promise<FileEntryWithStats[]> {
    try {
      return await this.request<FileEntryWithStats[]>(conn, what, (cb) => conn.sftp.readdir(rel ? this.remote(rel) : this.root, cb));
    } catch (err) {
      if (statusOf(err) === FX_NO_SUCH_FILE) return [];
      throw err;
    }
  }

  private async statOrNull(conn: SftpConnection, what: string, path: string): Promise<Stats | null> {
    try {
      return await this.request<Stats>(conn, what, (cb) => conn.sftp.stat(path, cb));
    } catch (err) {
      if (statusOf(err) === FX_NO_SUCH_FILE) return null;
      throw err;
    }
  }

  private async closeQuietly(conn: SftpConnection, what: string, handle: Buffer): Promise<void> {
    if (!conn.closed) await this.request<void>(conn, what, (cb) => conn.sftp.close(handle, cb)).catch(() => undefined);
  }

  private async unlinkQuietly(conn: SftpConnection, what: string, path: string): Promise<void> {
    if (!conn.closed) await this.request<void>(conn, what, (cb) => conn.sftp.unlink(path, cb)).catch(() => undefined);
  }

  // --- requests, deadlines and the connection ------------------------------------------

  /**
   * One SFTP request with a deadline. A missed deadline drops the whole connection: the
   * server's state is unknown, and pending requests must not wait for answers that will not come.
   */
  private request<T>(conn: SftpConnection, what: string, start: (done: Done<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (conn.closed) {
        reject(this.error(SITE_ERRORS.unreachable, `${what}: connection lost`));
        return;
      }
      const ms = this.opts.requestTimeoutMs ?? 30_000;
      let settled = false;
      const finish = (err: Error | null, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unwait();
        if (err) reject(err);
        else resolve(value as T);
      };
      const unwait = conn.wait((reason) => finish(this.error(SITE_ERRORS.unreachable, `${what}: connection lost (${reason})`)));
      const timer = setTimeout(() => {
        finish(this.error(SITE_ERRORS.timeout, `${what}: no answer within ${ms} ms`));
        conn.lose(`a request got no answer within ${ms} ms`);
      }, ms);
      try {
        start((err, value) => {
          if (!err) finish(null, value);
          else if (conn.closed || err.message === 'No response from server') {
            finish(this.error(SITE_ERRORS.unreachable, `${what}: connection lost`, err));
          } else finish(this.error(SITE_ERRORS.io, `${what}: ${err.message}`, err));
        });
      } catch (err) {
        // ssh2 throws at once when the server lacks an extension.
        if (errorMessage(err).includes('does not support')) finish(new ExtensionMissing(errorMessage(err)));
        else finish(this.error(SITE_ERRORS.io, `${what}: ${errorMessage(err)}`, err));
      }
    });
  }

  /** Runs an OpenSSH extension request; false when the server does not offer it. */
  private async tryExtension(conn: SftpConnection, what: string, start: (done: Done<void>) => void): Promise<boolean> {
    try {
      await this.request<void>(conn, what, start);
      return true;
    } catch (err) {
      if (err instanceof ExtensionMissing) return false;
      throw err;
    }
  }

  /**
   * Runs `op` on the shared connection. When a connection we reused turns out to have dropped
   * (an idle link cut by a firewall), an idempotent operation gets one more try on a new one.
   */
  private async withConnection<T>(what: string, idempotent: boolean, op: (conn: SftpConnection, what: string) => Promise<T>): Promise<T> {
    const before = this.connectCount;
    const conn = await this.connection(what);
    try {
      return await op(conn, what);
    } catch (err) {
      const reused = this.connectCount === before;
      if (!(idempotent && reused && conn.closed && err instanceof SiteError && err.code === SITE_ERRORS.unreachable)) throw err;
      return op(await this.connection(what), what);
    }
  }

  private connection(what: string): Promise<SftpConnection> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    if (!this.connecting) {
      this.connecting = this.connect(what).finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async connect(what: string): Promise<SftpConnection> {
    const ssh2 = await loadSsh2();
    const privateKey = await this.loadPrivateKey(ssh2, what);
    const knownHosts = await this.loadKnownHosts(what);
    const ms = this.opts.connectTimeoutMs ?? 10_000;
    const conn = await new Promise<SftpConnection>((resolve, reject) => {
      const client = new ssh2.Client();
      let verdict: HostKeyVerdict | null = null;
      let settled = false;
      let opened: SftpConnection | null = null;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(this.error(SITE_ERRORS.timeout, `${what}: no SSH session within ${ms} ms (connect, handshake and login)`)), ms);
      client.on('error', (err: Error & { level?: string }) => {
        if (!settled) fail(this.connectError(what, err, verdict));
        else opened?.lose(this.scrub(err.message));
      });
      client.on('close', () => {
        if (!settled) fail(this.error(SITE_ERRORS.unreachable, `${what}: the server closed the connection before the session was ready`));
        opened?.lose('connection closed');
      });
      client.on('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(this.error(SITE_ERRORS.io, `${what}: the server refused the SFTP subsystem: ${err.message}`, err));
          if (settled) return void client.destroy();
          settled = true;
          clearTimeout(timer);
          opened = new SftpConnection(client, sftp);
          const lost = opened;
          sftp.on('close', () => lost.lose('SFTP channel closed'));
          resolve(opened);
        });
      });
      try {
        client.connect({
          host: this.spec.host,
          port: this.spec.port,
          username: this.spec.user,
          privateKey,
          ...(this.opts.passphrase === undefined ? {} : { passphrase: this.opts.passphrase }),
          hostVerifier: (blob: Buffer): boolean => {
            verdict = checkHostKey(this.spec.host, this.spec.port, blob, { pins: this.opts.hostKeys ?? [], knownHosts });
            return verdict.ok;
          },
          // Our own timer fires first and names the site; ssh2's is a backstop.
          readyTimeout: ms + 1000,
          keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
          keepaliveCountMax: 3,
        });
      } catch (err) {
        fail(this.error(SITE_ERRORS.auth, `${what}: cannot start the SSH client: ${errorMessage(err)}`));
      }
    });
    this.connectCount++;
    this.conn = conn;
    return conn;
  }

  private connectError(what: string, err: Error & { level?: string; code?: unknown }, verdict: HostKeyVerdict | null): SiteError {
    const hostPort = `${this.spec.host}:${this.spec.port}`;
    if (verdict && !verdict.ok) {
      const key = `${verdict.keyType} ${verdict.fingerprint}`;
      const pinned = (this.opts.hostKeys ?? []).length > 0 ? 'the key pinned in the vault config' : 'the key in known_hosts';
      const message =
        verdict.reason === 'unknown'
          ? `host key ${key} of ${hostPort} is not trusted: check it with the site's administrator, then pin it in the vault config (hostKeys) or add it to known_hosts`
          : verdict.reason === 'revoked'
            ? `host key ${key} of ${hostPort} is marked @revoked in known_hosts; refusing`
            : `host key of ${hostPort} changed: it offered ${key}, which is not ${pinned}; refusing (possible man-in-the-middle)`;
      const code = verdict.reason === 'unknown' ? SITE_ERRORS.hostKeyUnknown : SITE_ERRORS.hostKeyChanged;
      return new SiteError(code, this.name, `${this.prefix()}: ${what}: ${message}`, { category: 'not_allowed' });
    }
    if (err.level === 'client-authentication') {
      return this.error(SITE_ERRORS.auth, `${what}: ${hostPort} refused key authentication for user "${this.spec.user}" with key file ${this.opts.privateKeyPath}`, undefined, 'not_allowed');
    }
    if (err.level === 'client-timeout') return this.error(SITE_ERRORS.timeout, `${what}: no SSH handshake from ${hostPort}`);
    return this.error(SITE_ERRORS.unreachable, `${what}: cannot reach ${hostPort}: ${err.message}`);
  }

  private async loadPrivateKey(ssh2: Ssh2, what: string): Promise<Buffer> {
    const path = this.opts.privateKeyPath;
    let key: Buffer;
    try {
      key = await readFile(path);
    } catch (err) {
      throw this.error(SITE_ERRORS.auth, `${what}: cannot read private key file ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
    const parsed = ssh2.utils.parseKey(key, this.opts.passphrase);
    if (parsed instanceof Error) {
      throw this.error(SITE_ERRORS.auth, `${what}: private key file ${path} cannot be used: ${parsed.message}`, undefined, 'not_allowed');
    }
    return key;
  }

  private async loadKnownHosts(what: string): Promise<string> {
    const path = this.opts.knownHostsPath;
    if (path === undefined) return '';
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw this.error(SITE_ERRORS.auth, `${what}: cannot read known_hosts file ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  }

  private remote(name: string): string {
    return this.root === '.' ? name : `${this.root}/${name}`;
  }

  private prefix(): string {
    return `site "${this.name}" (${this.location})`;
  }

  /** Builds the site's error. Messages pass through `scrub`, and causes are kept off when they might quote secrets. */
  private error(code: SiteErrorCode, message: string, cause?: unknown, category: 'technical' | 'not_allowed' = 'technical'): SiteError {
    return new SiteError(code, this.name, this.scrub(`${this.prefix()}: ${message}`), { cause, category });
  }

  /** Belt and braces: a passphrase never appears in a message, whatever a library put there. */
  private scrub(text: string): string {
    const secret = this.opts.passphrase;
    return secret && secret.length > 0 ? text.split(secret).join('[passphrase]') : text;
  }
}

/** Waits for every worker, then throws the first failure (so no request outlives its handle). */
async function settleAll(work: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The SFTP status code behind a site error, when there is one. */
function statusOf(err: unknown): number | undefined {
  const cause = err instanceof SiteError ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'number' ? cause.code : undefined;
}

type Ssh2 = typeof import('ssh2');

/** ssh2 and its crypto take ~50 ms to load: only a vault with an SFTP site pays for it. */
async function loadSsh2(): Promise<Ssh2> {
  return (await import('ssh2')).default;
}
