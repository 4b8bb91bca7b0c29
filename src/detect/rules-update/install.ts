import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConflictError, type LianfangError } from '../../core/index.js';
import type { KeptFile } from './select.js';

/** Written into the rules folder; its presence is what lets a later update replace the folder. */
export const MANIFEST_FILE = '.lianfang-rules.json';

export interface Diff {
  added: number;
  changed: number;
  removed: number;
}

type OnWritten = (done: number, total: number) => void;

/** Resolves a symlinked rules folder to its target, so the swap replaces the real folder and keeps the link. */
export async function resolveDest(dest: string): Promise<string> {
  const abs = resolve(dest);
  try {
    return await realpath(abs);
  } catch {
    return abs;
  }
}

/**
 * Refuses to touch a folder we did not create: `--dest ~` by mistake must not delete a
 * home folder. Empty or missing folders, and ones holding our manifest, are fine.
 */
export async function assertReplaceable(dest: string): Promise<void> {
  let names: string[];
  try {
    if (!(await lstat(dest)).isDirectory()) {
      throw new ConflictError('rules_update.dest_not_folder', `${dest} exists and is not a folder`);
    }
    names = await readdir(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (names.length === 0 || names.includes(MANIFEST_FILE)) return;
  throw new ConflictError(
    'rules_update.dest_not_managed',
    `${dest} already holds files that lianfang did not install, so it will not replace them — choose an empty or new folder, or move those files away`,
  );
}

/**
 * Writes `files` into a fresh folder beside `dest` and swaps it in with two renames, so a
 * failure at any point leaves either the old rules or the new ones, never a mix. The
 * manifest is built once the difference against the old install is known.
 */
export async function installRules(
  dest: string,
  files: readonly KeptFile[],
  manifest: (diff: Diff) => object,
  onWritten?: OnWritten,
): Promise<Diff> {
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  const unlock = await lock(join(parent, `.${basename(dest)}.lock`));
  try {
    await recoverLeftovers(dest);
    await assertReplaceable(dest);
    const diff = diffTrees(await ruleHashes(dest), newHashes(files));
    const tmp = await mkdtemp(join(parent, `.${basename(dest)}.new-`));
    try {
      await writeAll(tmp, files, onWritten);
      await writeFile(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest(diff), null, 2)}\n`);
      await chmod(tmp, await modeFor(dest)); // mkdtemp makes 0700; keep the old folder's mode
      await swap(tmp, dest);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return diff;
  } finally {
    await unlock();
  }
}

async function writeAll(root: string, files: readonly KeptFile[], onWritten?: OnWritten): Promise<void> {
  const made = new Set<string>();
  for (const [i, file] of files.entries()) {
    const target = join(root, ...file.path.split('/'));
    // The selection already refused unsafe names; this guards the guard.
    const rel = relative(root, target);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`internal: ${file.path} escapes the rules folder`);
    const dir = dirname(target);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await writeFile(target, file.data, { flag: 'wx' });
    onWritten?.(i + 1, files.length);
  }
}

async function swap(tmp: string, dest: string): Promise<void> {
  const old = (await exists(dest)) ? join(dirname(dest), `.${basename(dest)}.old-${Date.now()}-${process.pid}`) : undefined;
  if (old) await rename(dest, old);
  try {
    await rename(tmp, dest);
  } catch (err) {
    if (old) await rename(old, dest);
    throw err;
  }
  // Best effort: a leftover is removed by the next update.
  if (old) await rm(old, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * After a crash: `.NAME.new-*` folders are unfinished and go; an `.NAME.old-*` folder with no
 * `dest` means we died between the two renames, so the old rules are put back first.
 */
async function recoverLeftovers(dest: string): Promise<void> {
  const parent = dirname(dest);
  const prefix = `.${basename(dest)}.`;
  const names = (await readdir(parent)).filter((n) => n.startsWith(prefix));
  const olds = names.filter((n) => n.startsWith(`${prefix}old-`)).sort().reverse(); // newest first
  if (olds[0] && !(await exists(dest))) await rename(join(parent, olds.shift()!), dest);
  for (const name of [...olds, ...names.filter((n) => n.startsWith(`${prefix}new-`))]) {
    await rm(join(parent, name), { recursive: true, force: true });
  }
}

async function modeFor(dest: string): Promise<number> {
  try {
    return (await stat(dest)).mode & 0o7777;
  } catch {
    return 0o755;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * One update at a time per folder. The lock holds the owner's pid, so a lock left by a
 * crashed run is taken over instead of blocking updates forever.
 */
async function lock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await lockOwner(path);
      if (owner !== undefined) throw locked(path, owner);
      await rm(path, { force: true });
    }
  }
  throw locked(path, 'unknown');
}

/** The live process holding the lock, or undefined when the lock is stale. */
async function lockOwner(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return text.trim() === '' ? 'starting' : 'unknown';
  try {
    process.kill(pid, 0);
    return String(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? String(pid) : undefined;
  }
}

function locked(path: string, owner: string): LianfangError {
  return new ConflictError(
    'rules_update.locked',
    `another rules update is running (process ${owner}, lock file ${path}); if none is, delete that file`,
  );
}

const isRuleName = (name: string): boolean => /\.ya?ml$/i.test(name);

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function newHashes(files: readonly KeptFile[]): Map<string, string> {
  return new Map(files.filter((f) => isRuleName(f.path)).map((f) => [f.path, sha256(f.data)]));
}

/** Rule files of the current install, by `/`-separated relative path. Hidden files are ours. */
async function ruleHashes(root: string, prefix = '', out = new Map<string, string>()): Promise<Map<string, string>> {
  let entries;
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await ruleHashes(root, rel, out);
    else if (entry.isFile() && isRuleName(entry.name)) out.set(rel, sha256(await readFile(join(root, rel))));
  }
  return out;
}

function diffTrees(before: Map<string, string>, after: Map<string, string>): Diff {
  const diff: Diff = { added: 0, changed: 0, removed: 0 };
  for (const [path, hash] of after) {
    const old = before.get(path);
    if (old === undefined) diff.added++;
    else if (old !== hash) diff.changed++;
  }
  for (const path of before.keys()) if (!after.has(path)) diff.removed++;
  return diff;
}
