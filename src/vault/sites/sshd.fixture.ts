// Test helper: a real OpenSSH sshd on 127.0.0.1 with throw-away host and user keys.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { SftpSiteOptions } from './sftp-site.js';
import type { SftpSiteSpec } from './spec.js';

export const SSHD = '/usr/sbin/sshd';

/** Why the SFTP tests cannot run here, or null when they can. */
export function sshdSkipReason(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server; .ci/run does)`;
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'ssh-keygen is not installed';
  }
  return null;
}

export interface Sshd {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  /** A folder the tests use as SFTP roots. */
  readonly data: string;
  readonly userKeyPath: string;
  /** `ssh-ed25519 AAAA…` of the server's host key, and its fingerprint as ssh-keygen prints it. */
  readonly hostKeyLine: string;
  readonly hostFingerprint: string;
  spec(name: string, path: string): SftpSiteSpec;
  options(extra?: Partial<SftpSiteOptions>): SftpSiteOptions;
  start(): Promise<void>;
  /** SIGKILLs the listener and every session process it forked (they outlive the listener otherwise). */
  kill(): Promise<void>;
  /** SIGSTOPs the session processes (not the listener): a server that accepted us and went silent. */
  pauseSessions(): void;
  resumeSessions(): void;
  stderr(): string;
}

export function keygen(path: string, passphrase = ''): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'lianfang-test', '-f', path], { stdio: 'ignore' });
}

export function fingerprintOf(pubPath: string): string {
  // `256 SHA256:xxxx comment (ED25519)`
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' }).split(' ')[1]!;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'lianfang-sshd-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'user_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub')));
  // sshd refuses to start without its privilege-separation folder, which Debian's unit creates.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'Subsystem sftp internal-sftp',
    `PidFile ${join(dir, 'sshd.pid')}`,
    'MaxStartups 100',
    'MaxSessions 100',
    'LogLevel ERROR',
  ].join('\n');
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, `${config}\n`);
  const hostKeyLine = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const hostFingerprint = fingerprintOf(join(dir, 'host_ed25519.pub'));
  let child: ChildProcess | null = null;
  let errText = '';
  const user = userInfo().username;
  const sshd: Sshd = {
    dir,
    port,
    user,
    data,
    userKeyPath: join(dir, 'user_ed25519'),
    hostKeyLine,
    hostFingerprint,
    spec: (name, path) => ({ name, kind: 'sftp', user, host: '127.0.0.1', port, path }),
    options: (extra = {}) => ({ privateKeyPath: join(dir, 'user_ed25519'), hostKeys: [hostFingerprint], connectTimeoutMs: 5000, requestTimeoutMs: 5000, ...extra }),
    async start() {
      const proc = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      proc.stderr!.on('data', (b: Buffer) => {
        errText += b.toString();
      });
      await waitForBanner(port, proc, () => errText);
    },
    async kill() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      signalAll(descendants(proc.pid!), 'SIGKILL');
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    pauseSessions() {
      signalAll(descendants(child!.pid!), 'SIGSTOP');
    },
    resumeSessions() {
      signalAll(descendants(child!.pid!), 'SIGCONT');
    },
    stderr: () => errText,
  };
  await sshd.start();
  return sshd;
}

async function waitForBanner(port: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port });
      sock.setTimeout(500, () => {
        sock.destroy();
        resolve(false);
      });
      sock.once('data', (b) => {
        sock.destroy();
        resolve(b.toString('latin1').startsWith('SSH-'));
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not answer on port ${port}: ${stderr()}`);
}

/** Every process below `root`, from /proc (sshd's session children call setsid, so a process group kill misses them). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(pid, Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
