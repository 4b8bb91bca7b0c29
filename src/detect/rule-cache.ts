import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ItemProblem } from '../core/index.js';
import type { SigmaDocument } from './sigma/types.js';

/**
 * Parsed rule files kept between runs, so a hunt does not read 3,000 YAML files every time
 * (about a second). Entries are per file and keyed by path, size and modification time; a
 * changed file is parsed again. The cache is a convenience: any error reading or writing it
 * just means parsing.
 */
export interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly documents: SigmaDocument[];
  readonly problems: ItemProblem[];
}

/** Bump when what parse.ts produces changes shape. */
const FORMAT = 'lianfang-rules-cache-2';

export function cacheDir(): string {
  const env = process.env.LIANFANG_CACHE;
  if (env) return env;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'lianfang');
}

function cacheFile(roots: readonly string[]): string {
  const key = createHash('sha256').update(JSON.stringify([FORMAT, ...roots])).digest('hex').slice(0, 24);
  return join(cacheDir(), `rules-${key}.json`);
}

// Maps (detection identifiers, correlation aliases) do not survive JSON on their own.
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? { __map: [...value.entries()] } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '__map' in value) return new Map((value as { __map: [unknown, unknown][] }).__map);
  return value;
}

export function readRuleCache(roots: readonly string[]): Map<string, CachedFile> {
  try {
    const parsed = JSON.parse(readFileSync(cacheFile(roots), 'utf8'), reviver) as { format: string; files: [string, CachedFile][] };
    return parsed.format === FORMAT ? new Map(parsed.files) : new Map();
  } catch {
    return new Map();
  }
}

export function writeRuleCache(roots: readonly string[], files: ReadonlyMap<string, CachedFile>): void {
  const path = cacheFile(roots);
  try {
    mkdirSync(cacheDir(), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, files: [...files] }, replacer));
    renameSync(tmp, path);
  } catch {
    // A read-only home or a full disk costs speed next time, nothing else.
  }
}
