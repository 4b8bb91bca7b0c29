import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { walkFiles, type ItemProblem } from '../core/index.js';
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
  const problems = walkFiles(paths, (path, _st, named) => {
    if (named || RULE_EXTENSIONS.has(extname(path).toLowerCase())) files.push(path);
  });
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
