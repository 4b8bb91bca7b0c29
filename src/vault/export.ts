import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { InputError } from '../core/index.js';
import { readSnapshot, readTree, safePathParts, type Repository, type UnwrapDataKey, type VerifySnapshotSignature } from './repo/index.js';

/**
 * A snapshot as a plain POSIX tar stream (pax headers for long or non-ASCII names and large
 * sizes), so data can leave the vault for any tool: `lianfang vault export … | tar -x`.
 */
const BLOCK = 512;

function octal(value: number, width: number): string {
  // width − 1 octal digits and a NUL, as ustar asks.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, opts: { mode: number; size: number; mtimeMs: number; type: '0' | '2' | '5' | 'x'; linkname?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(opts.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(opts.size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(opts.mtimeMs / 1000)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(opts.type, 156, 'ascii');
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** A pax record: `<len> key=value\n`, where len counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

const ASCII_SHORT = (s: string, max: number): boolean => Buffer.byteLength(s) < max && /^[\x20-\x7e]*$/.test(s);

export interface ExportResult {
  readonly files: number;
  readonly bytes: number;
}

/**
 * Writes the snapshot to `out` as tar, checking the snapshot's signature and every chunk as
 * it goes (a damaged chunk stops the export with the reason rather than emit wrong bytes).
 */
export async function exportSnapshot(
  repo: Repository,
  snapshotId: string,
  out: Writable,
  opts: { unwrapDataKey: UnwrapDataKey; verifySignature: VerifySnapshotSignature },
): Promise<ExportResult> {
  const { record } = await readSnapshot(repo.store, snapshotId, repo.config.repoId, opts.verifySignature);
  const reader = repo.chunkReader(opts.unwrapDataKey);
  const write = async (b: Buffer): Promise<void> => {
    if (b.length > 0 && !out.write(b)) await once(out, 'drain');
  };
  let files = 0;
  let bytes = 0;
  let n = 0;
  for await (const e of readTree(reader, record.tree)) {
    n++;
    const where = `snapshot ${snapshotId.slice(0, 12)} entry ${n}`;
    safePathParts(e.path, where); // a hostile tree cannot smuggle ../ into the archive
    const name = e.type === 'dir' ? `${e.path}/` : e.path;
    const size = e.type === 'file' ? e.size : 0;
    const link = e.type === 'symlink' ? e.target : undefined;
    const pax: string[] = [];
    if (!ASCII_SHORT(name, 100)) pax.push(paxRecord('path', name));
    if (link !== undefined && !ASCII_SHORT(link, 100)) pax.push(paxRecord('linkpath', link));
    if (size >= 8 ** 11) pax.push(paxRecord('size', String(size)));
    if (pax.length > 0) {
      const body = Buffer.from(pax.join(''), 'utf8');
      await write(header(`PaxHeaders/${n}`, { mode: 0o644, size: body.length, mtimeMs: e.mtimeMs, type: 'x' }));
      await write(body);
      await write(padding(body.length));
    }
    const short = ASCII_SHORT(name, 100) ? name : `entry-${n}`;
    if (e.type === 'dir') await write(header(short, { mode: e.mode, size: 0, mtimeMs: e.mtimeMs, type: '5' }));
    else if (e.type === 'symlink') await write(header(short, { mode: 0o777, size: 0, mtimeMs: e.mtimeMs, type: '2', ...(link && ASCII_SHORT(link, 100) ? { linkname: link } : {}) }));
    else {
      await write(header(short, { mode: e.mode, size: size >= 8 ** 11 ? 0 : size, mtimeMs: e.mtimeMs, type: '0' }));
      let written = 0;
      for (let i = 0; i < e.chunks.length; i++) {
        if (i + 1 < e.chunks.length) reader.prefetch(e.chunks[i + 1]!);
        const chunk = await reader.read(e.chunks[i]!);
        await write(chunk);
        written += chunk.length;
      }
      if (written !== size) throw new InputError('VAULT_FILE_SIZE', `exported ${written} bytes of ${e.path}, the tree says ${size}`, where);
      await write(padding(size));
      files++;
      bytes += size;
    }
  }
  await write(Buffer.alloc(BLOCK * 2)); // end of archive
  return { files, bytes };
}
