/**
 * Test helpers: tiny zip and tar writers, so tests can build exactly the archives they need
 * (including hostile ones no well-behaved library would write), plus the Sigma sample corpus.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface Item {
  name: string;
  data?: string | Uint8Array;
  /** Zip: Unix mode stored in the external attributes (0o120777 = symlink). */
  unixMode?: number;
  /** Tar type flag: '0' file, '2' symlink, '5' folder… */
  type?: string;
  /** Zip: store instead of deflate. */
  store?: boolean;
}

const bytes = (data: string | Uint8Array | undefined): Buffer => Buffer.from(data ?? '');

export function makeZip(items: readonly Item[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const item of items) {
    const name = Buffer.from(item.name, 'utf8');
    const raw = bytes(item.data);
    const body = item.store ? raw : deflateRawSync(raw);
    const method = item.store ? 0 : 8;
    const crc = crc32(raw) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode is honoured
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((item.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, size: number, type: string, prefix = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function padded(data: Buffer): Buffer[] {
  const pad = (512 - (data.length % 512)) % 512;
  return [data, Buffer.alloc(pad)];
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Names up to 100 bytes go in the header, longer ones in the ustar prefix or, failing that, a pax record (as `git archive` does). */
function nameBlocks(name: string, size: number, type: string): Buffer[] {
  if (Buffer.byteLength(name) <= 100) return [tarHeader(name, size, type)];
  const cut = name.lastIndexOf('/', name.length - 1);
  const prefix = name.slice(0, cut);
  const rest = name.slice(cut + 1);
  if (cut > 0 && Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) {
    return [tarHeader(rest, size, type, prefix)];
  }
  const pax = Buffer.from(paxRecord('path', name), 'utf8');
  return [tarHeader('PaxHeader', pax.length, 'x'), ...padded(pax), tarHeader(name.slice(0, 100), size, type)];
}

export function makeTar(items: readonly Item[], opts: { globalComment?: string } = {}): Buffer {
  const blocks: Buffer[] = [];
  if (opts.globalComment) {
    const pax = Buffer.from(paxRecord('comment', opts.globalComment), 'utf8');
    blocks.push(tarHeader('pax_global_header', pax.length, 'g'), ...padded(pax));
  }
  for (const item of items) {
    const data = bytes(item.data);
    blocks.push(...nameBlocks(item.name, data.length, item.type ?? '0'), ...padded(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function makeTarGz(items: readonly Item[], opts: { globalComment?: string } = {}): Buffer {
  return gzipSync(makeTar(items, opts));
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** /work/shared/data — beside the repository, never copied into it. */
export const SIGMA_DIR = fileURLToPath(new URL('../../../../shared/data/sigma/', import.meta.url));
export const HAVE_SIGMA = existsSync(join(SIGMA_DIR, 'rules', 'windows'));

/** The first `count` Windows rules of the shared SigmaHQ checkout, by archive path. */
export function sampleRules(count: number): Map<string, Buffer> {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (found.length >= count) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.yml')) found.push(path);
    }
  };
  walk(join(SIGMA_DIR, 'rules', 'windows'));
  return new Map(found.map((path) => [relative(SIGMA_DIR, path).split('\\').join('/'), readFileSync(path)]));
}
