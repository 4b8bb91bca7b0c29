import { InputError } from '../../core/index.js';
import { readZip } from './zip.js';
import { readTar, readTarGz } from './tar.js';

/** One member of an archive, as the archive describes it (nothing trusted yet). */
export interface ArchiveEntry {
  /** The name exactly as stored in the archive; may be hostile (`../x`, `/etc/x`). */
  readonly name: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Uncompressed size in bytes as declared by the archive. */
  readonly size: number;
  /** Problem found while reading the header that makes this entry unusable (encrypted…). */
  readonly problem?: string;
  /** The content, integrity-checked (CRC for zip, header checksum + gzip CRC for tar). */
  read(): Buffer;
}

export type ArchiveFormat = 'zip' | 'tar.gz' | 'tar';

/**
 * Decides the format from the bytes, not the file name: a mirror or a saved download may
 * be named anything, and sniffing makes a `.zip` that is really an HTML error page fail
 * with a clear message instead of a confusing parse error.
 */
export function sniffFormat(bytes: Uint8Array): ArchiveFormat | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const b2 = bytes[2];
    const b3 = bytes[3];
    // Local file header (PK\3\4) or an empty zip's end record (PK\5\6).
    if ((b2 === 3 && b3 === 4) || (b2 === 5 && b3 === 6)) return 'zip';
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar.gz';
  if (bytes.length >= 262 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

export async function openArchive(bytes: Buffer, where: string): Promise<{ format: ArchiveFormat; entries: ArchiveEntry[] }> {
  const format = sniffFormat(bytes);
  if (format === 'zip') return { format, entries: readZip(bytes) };
  if (format === 'tar.gz') return { format, entries: await readTarGz(bytes) };
  if (format === 'tar') return { format, entries: readTar(bytes) };
  throw new InputError(
    'rules_update.not_an_archive',
    'this is neither a .zip nor a .tar.gz archive (perhaps an error page was saved instead of the file)',
    where,
  );
}

/** Raised by the readers; one code so callers can refuse the whole update on any of them. */
export function corrupt(detail: string): InputError {
  return new InputError('rules_update.archive_corrupt', `the archive is damaged: ${detail}`);
}

/** Caps that keep a hostile or broken archive from exhausting memory (zip/gzip bombs). */
export const LIMITS = {
  /** Largest single file we extract; real Sigma rules are a few KiB. */
  maxFileBytes: 8 * 1024 * 1024,
  /** Largest total we decompress (the whole SigmaHQ source tarball is well below this). */
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 500_000,
} as const;
