import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository and the shared data beside it. */
export const ROOT = new URL('../../', import.meta.url).pathname;
export const DATA = join(ROOT, '..', 'shared', 'data');
export const SIGMA = join(DATA, 'sigma');
export const SAMPLES = join(DATA, 'events', 'evtx-attack-samples');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The rule cache of CLI runs in tests lives in a temporary folder, not in the user's home. */
const CACHE = mkdtempSync(join(tmpdir(), 'lianfang-cache-'));
process.on('exit', () => rmSync(CACHE, { recursive: true, force: true }));

/** Runs the CLI from source (so tests see the code, not a stale build), as a user would, with `input` on standard input. */
export function lianfang(args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', LIANFANG_CACHE: CACHE, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // Scripts pipe their input in; without any, standard input is closed at once.
    child.stdin.end(input ?? '');
  });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export interface ServeChild {
  readonly child: ChildProcess;
  readonly http: string;
  /** The UDP syslog port, when it listens on one. */
  readonly udp?: number;
}

/** `lianfang serve --http 0 …` as a child process, resolved once it prints its URL and syslog ports. */
export function startServe(args: readonly string[]): Promise<ServeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--http', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /serving (http:\/\/[0-9.:]+)/.exec(err)?.[1];
      const syslog = /syslog: (?:udp (\d+)|\S)/.exec(err);
      if (url && syslog) resolve({ child, http: url, ...(syslog[1] ? { udp: Number(syslog[1]) } : {}) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** Stops a child with SIGTERM and waits until it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Polls `probe` until it gives a value, or fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const t = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
