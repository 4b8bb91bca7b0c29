import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { walkFiles, type ItemProblem } from '../core/index.js';
import { readRuleCache, writeRuleCache, type CachedFile } from './rule-cache.js';
import { parseRuleFile } from './sigma/parse.js';
import type { SigmaCorrelation, SigmaFilter, SigmaRule } from './sigma/types.js';

/** Rules read from files: what loaded, and each file or document that did not. */
export interface RuleCorpus {
  readonly files: number;
  readonly rules: SigmaRule[];
  readonly filters: SigmaFilter[];
  readonly correlations: SigmaCorrelation[];
  readonly problems: ItemProblem[];
}

const RULE_EXTENSIONS = new Set(['.yml', '.yaml']);

/** Rule files under the given files and folders, sorted, so runs are repeatable. */
export function findRuleFiles(paths: readonly string[]): { files: string[]; problems: ItemProblem[] } {
  const { files, problems } = findRuleFileStats(paths);
  return { files: files.map((f) => f.path), problems };
}

function findRuleFileStats(paths: readonly string[]): { files: Array<{ path: string; mtimeMs: number; size: number }>; problems: ItemProblem[] } {
  const files: Array<{ path: string; mtimeMs: number; size: number }> = [];
  const problems = walkFiles(paths, (path, st, named) => {
    if (named || RULE_EXTENSIONS.has(extname(path).toLowerCase())) files.push({ path, mtimeMs: st.mtimeMs, size: st.size });
  });
  return { files, problems };
}

export interface LoadOptions {
  /** Reuse parsed files from the rule cache (see rule-cache.ts) and update it. */
  readonly cache?: boolean;
}

/** Reads and parses every rule under `paths`; broken files are reported and skipped. */
export function loadRules(paths: readonly string[], opts: LoadOptions = {}): RuleCorpus {
  const { files, problems } = findRuleFileStats(paths);
  const roots = paths.map((p) => resolve(p)).sort();
  const cached = opts.cache ? readRuleCache(roots) : new Map<string, CachedFile>();
  const fresh = new Map<string, CachedFile>();
  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  const correlations: SigmaCorrelation[] = [];
  for (const file of files) {
    const key = resolve(file.path);
    let entry = cached.get(key);
    if (!entry || entry.mtimeMs !== file.mtimeMs || entry.size !== file.size) {
      let text: string;
      try {
        text = readFileSync(file.path, 'utf8');
      } catch (err) {
        problems.push({ where: file.path, reason: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const parsed = parseRuleFile(text, file.path);
      entry = { mtimeMs: file.mtimeMs, size: file.size, documents: parsed.documents, problems: parsed.problems };
    }
    fresh.set(key, entry);
    problems.push(...entry.problems);
    for (const doc of entry.documents) {
      if (doc.kind === 'rule') rules.push(doc);
      else if (doc.kind === 'filter') filters.push(doc);
      else correlations.push(doc);
    }
  }
  if (opts.cache && !sameEntries(cached, fresh)) writeRuleCache(roots, fresh);
  return { files: files.length, rules, filters, correlations, problems };
}

function sameEntries(a: ReadonlyMap<string, CachedFile>, b: ReadonlyMap<string, CachedFile>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}
