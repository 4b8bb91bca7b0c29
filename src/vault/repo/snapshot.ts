import { InputError } from '../../core/index.js';
import type { BlobStore } from './blob-store.js';
import { sha256 } from './format.js';

/** One node of a snapshot tree. Paths are relative, `/`-separated, parents before children. */
export type TreeEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode: number; readonly mtimeMs: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly mtimeMs: number; readonly size: number; readonly chunks: readonly string[] }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string; readonly mtimeMs: number };

export interface SnapshotTotals {
  files: number;
  dirs: number;
  symlinks: number;
  /** Logical bytes of all files in the snapshot. */
  bytes: number;
  chunks: number;
  /** Chunks and bytes this backup added (after dedup). */
  newChunks: number;
  newBytes: number;
  /** Bytes written to the store (packs after compression and encryption). */
  storedBytes: number;
  /** Problems met while reading the source (unreadable files, special files skipped). */
  skipped: number;
}

/** The signed record that names a snapshot's tree. */
export interface SnapshotRecord {
  readonly format: 'lianfang-vault-snapshot';
  readonly version: 1;
  readonly repoId: string;
  readonly time: string;
  readonly host: string;
  readonly paths: readonly string[];
  /** Chunk ids (hex) of the serialised tree, in order. */
  readonly tree: readonly string[];
  readonly totals: SnapshotTotals;
}

export type SignSnapshot = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
export type VerifySnapshotSignature = (bytes: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/** Serialises a tree entry as one line of the tree stream (JSON + `\n`). */
export function treeLine(e: TreeEntry): string {
  return JSON.stringify(e) + '\n';
}

/** Checks one decoded tree line; a hostile tree gets a precise error, never a crash. */
export function parseTreeLine(line: string, where: string): TreeEntry {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new InputError('VAULT_TREE', 'tree line is not JSON', where);
  }
  if (typeof v !== 'object' || v === null) throw new InputError('VAULT_TREE', 'tree line is not an object', where);
  const o = v as Record<string, unknown>;
  const num = (k: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new InputError('VAULT_TREE', `field "${k}" is not a non-negative number`, where);
    return x;
  };
  if (typeof o.path !== 'string') throw new InputError('VAULT_TREE', 'field "path" is not a string', where);
  const path = o.path;
  if (o.type === 'dir') return { type: 'dir', path, mode: num('mode') & 0o7777, mtimeMs: num('mtimeMs') };
  if (o.type === 'symlink') {
    if (typeof o.target !== 'string') throw new InputError('VAULT_TREE', 'field "target" is not a string', where);
    return { type: 'symlink', path, target: o.target, mtimeMs: num('mtimeMs') };
  }
  if (o.type === 'file') {
    const chunks = o.chunks;
    if (!Array.isArray(chunks) || !chunks.every((c) => typeof c === 'string' && c.length === 64)) {
      throw new InputError('VAULT_TREE', 'field "chunks" is not a list of 64-hex-digit ids', where);
    }
    return { type: 'file', path, mode: num('mode') & 0o7777, mtimeMs: num('mtimeMs'), size: num('size'), chunks: chunks as string[] };
  }
  throw new InputError('VAULT_TREE', `unknown entry type ${JSON.stringify(o.type)}`, where);
}

/**
 * Splits a tree path into safe components, refusing absolute paths, `..`, `.`, empty
 * components, backslashes and NUL: a hostile snapshot must not write outside the target.
 */
export function safePathParts(path: string, where: string): string[] {
  if (path.length === 0 || path.length > 4096) throw new InputError('VAULT_PATH', `path length ${path.length} is not in 1..4096`, where);
  if (path.startsWith('/')) throw new InputError('VAULT_PATH', `absolute path ${JSON.stringify(path)} refused`, where);
  const parts = path.split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') throw new InputError('VAULT_PATH', `path ${JSON.stringify(path)} has a "${p}" component`, where);
    if (p.includes('\\') || p.includes('\0')) throw new InputError('VAULT_PATH', `path ${JSON.stringify(path)} has a backslash or NUL`, where);
  }
  return parts;
}

// ---------------------------------------------------------------- snapshot blobs

/** The blob: `{"version":1,"record":<base64 of record JSON>,"signature":<base64>}`. */
export async function writeSnapshot(store: BlobStore, record: SnapshotRecord, sign: SignSnapshot): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(record));
  const signature = Buffer.from(await sign(bytes));
  const id = sha256(bytes).toString('hex');
  const blob = { version: 1, record: bytes.toString('base64'), signature: signature.toString('base64') };
  await store.put(`snapshots/${id}`, Buffer.from(JSON.stringify(blob) + '\n'));
  return id;
}

export interface LoadedSnapshot {
  readonly id: string;
  readonly record: SnapshotRecord;
}

/**
 * Reads a snapshot and checks its name, signature and repository. An unsigned, altered or
 * foreign snapshot is refused with the reason.
 */
export async function readSnapshot(store: BlobStore, id: string, repoId: string, verify: VerifySnapshotSignature): Promise<LoadedSnapshot> {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new InputError('VAULT_SNAPSHOT_ID', `snapshot id ${JSON.stringify(id)} is not 64 hex digits`);
  const where = `snapshots/${id}`;
  const blob = await store.get(where);
  if (blob === null) throw new InputError('VAULT_SNAPSHOT_MISSING', 'no such snapshot', where);
  let outer: { version?: unknown; record?: unknown; signature?: unknown };
  try {
    outer = JSON.parse(Buffer.from(blob).toString('utf8')) as typeof outer;
  } catch {
    throw new InputError('VAULT_SNAPSHOT', 'not JSON', where);
  }
  if (outer.version !== 1) throw new InputError('VAULT_VERSION', `snapshot version ${String(outer.version)} is not 1`, where);
  if (typeof outer.record !== 'string') throw new InputError('VAULT_SNAPSHOT', 'field "record" is missing', where);
  if (typeof outer.signature !== 'string' || outer.signature.length === 0) throw new InputError('VAULT_UNSIGNED', 'snapshot is not signed', where);
  const bytes = Buffer.from(outer.record, 'base64');
  if (sha256(bytes).toString('hex') !== id) throw new InputError('VAULT_SNAPSHOT_ALTERED', 'record does not hash to the snapshot id', where);
  if (!(await verify(bytes, Buffer.from(outer.signature, 'base64')))) throw new InputError('VAULT_SIGNATURE', 'signature does not verify', where);
  const record = JSON.parse(bytes.toString('utf8')) as SnapshotRecord;
  if (record.format !== 'lianfang-vault-snapshot' || record.version !== 1) throw new InputError('VAULT_SNAPSHOT', 'not a version-1 snapshot record', where);
  if (record.repoId !== repoId) throw new InputError('VAULT_SNAPSHOT_FOREIGN', `snapshot belongs to repository ${record.repoId}`, where);
  if (!Array.isArray(record.tree) || !record.tree.every((t) => typeof t === 'string' && /^[0-9a-f]{64}$/.test(t))) {
    throw new InputError('VAULT_SNAPSHOT', 'field "tree" is not a list of chunk ids', where);
  }
  return { id, record };
}

/** Snapshot ids in the store. */
export async function listSnapshotIds(store: BlobStore): Promise<string[]> {
  return (await store.list('snapshots/')).map((n) => n.slice('snapshots/'.length)).filter((id) => /^[0-9a-f]{64}$/.test(id));
}
