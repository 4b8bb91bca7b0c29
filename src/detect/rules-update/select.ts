import { LIMITS, type ArchiveEntry } from './archive.js';

export interface Rejected {
  /** The entry's name exactly as in the archive (so a hostile name is shown, not hidden). */
  path: string;
  reason: string;
}

export interface KeptFile {
  /** Where it goes, relative to the rules folder, `/`-separated, already proven safe. */
  path: string;
  /** The entry's name in the archive, for messages. */
  source: string;
  data: Buffer;
}

export interface Selection {
  /** `.yml`/`.yaml` files in rule folders, not yet checked as Sigma. */
  rules: KeptFile[];
  /** LICENSE / README-type files, kept because the rule licence asks for attribution. */
  texts: KeptFile[];
  rejected: Rejected[];
  /** Harmless entries we do not install (tests, images, deprecated rules…). */
  skipped: number;
  /** The single top folder that was stripped (`sigma-r2024-09-02` in a source tarball). */
  wrapper?: string;
}

interface Placed {
  entry: ArchiveEntry;
  parts: string[];
}

/**
 * Chooses what to install from an archive. Hostile or unusable entries (escaping paths,
 * links, special files, duplicates) are reported in `rejected`; ordinary files outside the
 * rule folders are just counted as skipped, since a source tarball holds thousands of them.
 */
export function selectEntries(entries: readonly ArchiveEntry[]): Selection {
  const out: Selection = { rules: [], texts: [], rejected: [], skipped: 0 };
  const placed: Placed[] = [];
  for (const entry of entries) {
    const reason = entryRejection(entry);
    if (reason) out.rejected.push({ path: entry.name, reason });
    else if (entry.kind === 'dir') continue;
    else placed.push({ entry, parts: splitPath(entry.name) });
  }
  const wrapper = commonWrapper(placed);
  if (wrapper !== undefined) out.wrapper = wrapper;
  const seen = new Map<string, string>();
  for (const { entry, parts } of placed) {
    classify(entry, wrapper === undefined ? parts : parts.slice(1), seen, out);
  }
  return out;
}

function entryRejection(entry: ArchiveEntry): string | undefined {
  const pathProblem = unsafePath(entry.name);
  if (pathProblem) return pathProblem;
  if (entry.problem) return entry.problem;
  if (entry.kind === 'symlink') return 'symbolic link (links are never installed)';
  if (entry.kind === 'hardlink') return 'hard link (links are never installed)';
  if (entry.kind === 'other') return 'not a regular file';
  return undefined;
}

/** Zip-slip and friends: anything that could resolve outside the folder we extract into. */
export function unsafePath(name: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control characters in the name';
  if (name.includes('\\')) return 'backslash in the name (a Windows path)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  if (name.split('/').includes('..')) return "path climbs out of the archive folder ('..')";
  if (splitPath(name).length === 0) return 'empty name';
  return undefined;
}

function splitPath(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}

function isIgnorable(part: string): boolean {
  return part.startsWith('.') || part === '__MACOSX';
}

function isRuleFolder(top: string): boolean {
  return top === 'rules' || top.startsWith('rules-');
}

/**
 * A GitHub source tarball puts everything under one folder (`sigma-r2024-09-02/`); the
 * release zips do not. Strip such a folder unless it is itself a rule folder.
 */
function commonWrapper(placed: readonly Placed[]): string | undefined {
  let top: string | undefined;
  for (const { parts } of placed) {
    if (isIgnorable(parts[0]!)) continue;
    if (parts.length < 2) return undefined;
    if (top === undefined) top = parts[0];
    else if (top !== parts[0]) return undefined;
  }
  return top !== undefined && !isRuleFolder(top) ? top : undefined;
}

function isTextName(base: string): boolean {
  return /^(LICENSE|LICENCE|COPYING|NOTICE|README)([.-][\w.-]*)?$/i.test(base) && !/\.ya?ml$/i.test(base);
}

function classify(entry: ArchiveEntry, parts: string[], seen: Map<string, string>, out: Selection): void {
  const base = parts[parts.length - 1];
  const top = parts[0];
  if (base === undefined || top === undefined || parts.some(isIgnorable)) {
    out.skipped++;
    return;
  }
  const inRules = isRuleFolder(top) && parts.length >= 2;
  const isRule = inRules && /\.ya?ml$/i.test(base);
  const isText = isTextName(base) && (parts.length === 1 || inRules);
  if (!isRule && !isText) {
    out.skipped++;
    return;
  }
  const path = parts.join('/');
  const clash = clashWith(path, seen);
  if (clash) return void out.rejected.push({ path: entry.name, reason: clash });
  if (entry.size > LIMITS.maxFileBytes) {
    return void out.rejected.push({ path: entry.name, reason: `larger than ${LIMITS.maxFileBytes} bytes` });
  }
  (isRule ? out.rules : out.texts).push({ path, source: entry.name, data: entry.read() });
}

/** Case-only differences would overwrite each other on Windows and macOS file systems. */
function clashWith(path: string, seen: Map<string, string>): string | undefined {
  const key = path.toLowerCase();
  const earlier = seen.get(key);
  if (earlier === path) return 'appears twice in the archive';
  if (earlier !== undefined) return `differs from ${earlier} only in letter case`;
  seen.set(key, path);
  return undefined;
}
