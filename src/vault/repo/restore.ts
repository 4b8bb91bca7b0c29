import { chmod, lstat, mkdir, open, readdir, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InputError } from '../../core/index.js';
import type { ChunkReader, Repository, UnwrapDataKey } from './repository.js';
import { parseTreeLine, readSnapshot, safePathParts, type TreeEntry, type VerifySnapshotSignature } from './snapshot.js';

export interface RestoreOptions {
  readonly unwrapDataKey: UnwrapDataKey;
  /** Required: a restore never trusts an unsigned or altered snapshot. */
  readonly verifySignature: VerifySnapshotSignature;
  readonly onProgress?: (p: { files: number; bytes: number; currentPath: string }) => void;
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

/**
 * Restores a snapshot into `targetDir`, which must be absent or empty. Every chunk is checked
 * against its id; paths that are absolute, contain `..`, repeat, or pass through a symlink are
 * refused before anything is written for them. Symlinks are created last, and folder modes
 * and times are applied last (deepest first), so a read-only folder still gets its children.
 */
export async function restore(repo: Repository, snapshotId: string, targetDir: string, opts: RestoreOptions): Promise<RestoreResult> {
  const { record } = await readSnapshot(repo.store, snapshotId, repo.config.repoId, opts.verifySignature);
  await prepareTarget(targetDir);
  const reader = repo.chunkReader(opts.unwrapDataKey);
  const seen = new Set<string>();
  const symlinkPaths = new Set<string>();
  const filePaths = new Set<string>();
  const dirs: { path: string; mode: number; mtimeMs: number; depth: number }[] = [];
  const links: { path: string; target: string; mtimeMs: number }[] = [];
  const made = new Set<string>();
  let files = 0;
  let bytes = 0;

  const ensureDir = async (parts: string[]): Promise<void> => {
    const rel = parts.join('/');
    if (parts.length === 0 || made.has(rel)) return;
    await mkdir(join(targetDir, ...parts), { recursive: true, mode: 0o700 });
    for (let i = 1; i <= parts.length; i++) made.add(parts.slice(0, i).join('/'));
  };

  let n = 0;
  for await (const e of readTree(reader, record.tree)) {
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
      bytes += await restoreFile(reader, e, abs, where);
      files++;
      opts.onProgress?.({ files, bytes, currentPath: e.path });
    }
  }
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

async function prepareTarget(targetDir: string): Promise<void> {
  const st = await lstat(targetDir).catch(() => null);
  if (st === null) {
    await mkdir(targetDir, { recursive: true, mode: 0o700 });
    return;
  }
  if (!st.isDirectory()) throw new ConflictError('VAULT_TARGET', `restore target ${targetDir} exists and is not a folder`);
  if ((await readdir(targetDir)).length > 0) throw new ConflictError('VAULT_TARGET', `restore target ${targetDir} is not empty`);
}

async function restoreFile(reader: ChunkReader, e: Extract<TreeEntry, { type: 'file' }>, abs: string, where: string): Promise<number> {
  // 'wx' = O_CREAT|O_EXCL: never follows or overwrites anything already at the path
  const fh = await open(abs, 'wx', 0o600);
  let written = 0;
  try {
    for (let i = 0; i < e.chunks.length; i++) {
      if (i + 1 < e.chunks.length) reader.prefetch(e.chunks[i + 1]!);
      const chunk = await reader.read(e.chunks[i]!);
      await fh.write(chunk, 0, chunk.length);
      written += chunk.length;
    }
    if (written !== e.size) throw new InputError('VAULT_FILE_SIZE', `restored ${written} bytes, tree says ${e.size}`, where);
    await fh.chmod(e.mode);
  } finally {
    await fh.close();
  }
  await utimes(abs, e.mtimeMs / 1000, e.mtimeMs / 1000);
  return written;
}
