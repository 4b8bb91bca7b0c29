import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ItemProblem } from '../core/index.js';
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
  const files: string[] = [];
  const problems: ItemProblem[] = [];
  const walk = (path: string, top: boolean): void => {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      problems.push({ where: path, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (!name.startsWith('.')) walk(join(path, name), false);
      }
    } else if (top || RULE_EXTENSIONS.has(extname(path).toLowerCase())) {
      files.push(path);
    }
  };
  for (const p of paths) walk(p, true);
  return { files, problems };
}

/** Reads and parses every rule under `paths`; broken files are reported and skipped. */
export function loadRules(paths: readonly string[]): RuleCorpus {
  const { files, problems } = findRuleFiles(paths);
  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  const correlations: SigmaCorrelation[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ where: file, reason: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const parsed = parseRuleFile(text, file);
    problems.push(...parsed.problems);
    for (const doc of parsed.documents) {
      if (doc.kind === 'rule') rules.push(doc);
      else if (doc.kind === 'filter') filters.push(doc);
      else correlations.push(doc);
    }
  }
  return { files: files.length, rules, filters, correlations, problems };
}
