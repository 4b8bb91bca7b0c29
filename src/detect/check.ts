import { InputError, type ItemProblem } from '../core/index.js';
import { loadRules, type RuleCorpus } from './rules.js';
import { compileDetection } from './sigma/compile.js';
import { FieldTable } from './sigma/event-view.js';
import type { SigmaCorrelation, SigmaDocument } from './sigma/types.js';

export interface RuleFailure {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** What `lianfang rules check` reports. */
export interface RuleCheckReport {
  readonly total: number;
  readonly compiled: number;
  readonly failed: RuleFailure[];
  readonly byKind: { rules: number; filters: number; correlations: number };
}

export function toFailure(p: ItemProblem): RuleFailure {
  const m = /^(.*):(\d+)$/.exec(p.where);
  return m ? { file: m[1]!, line: Number(m[2]), reason: p.reason } : { file: p.where, line: 0, reason: p.reason };
}

/** Compiles one document on its own; the error says file, line and why. */
export function compileDocument(doc: SigmaDocument, known: ReadonlySet<string>): void {
  const table = new FieldTable();
  if (doc.kind === 'rule') compileDetection(doc.detection, doc.conditions, doc.conditionWhere, { table });
  else if (doc.kind === 'filter') compileDetection(doc.detection, [doc.condition], doc.conditionWhere, { table });
  else checkCorrelation(doc, known);
}

function checkCorrelation(doc: SigmaCorrelation, known: ReadonlySet<string>): void {
  const missing = doc.rules.filter((r) => !known.has(r));
  if (missing.length > 0) {
    throw new InputError('DETECT_RULE_INVALID', `correlation refers to rules that are not loaded: ${missing.join(', ')}`, `${doc.file}:${doc.line}`);
  }
}

/** Parses and compiles every rule under `paths`. */
export function checkRules(paths: readonly string[], corpus: RuleCorpus = loadRules(paths)): RuleCheckReport {
  const failed: RuleFailure[] = corpus.problems.map(toFailure);
  const docs: SigmaDocument[] = [...corpus.rules, ...corpus.filters, ...corpus.correlations];
  const known = new Set<string>();
  for (const d of [...corpus.rules, ...corpus.correlations]) {
    if (d.id) known.add(d.id);
    if (d.name) known.add(d.name);
  }
  let compiled = 0;
  for (const doc of docs) {
    try {
      compileDocument(doc, known);
      compiled++;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      failed.push(toFailure({ where: err.where ?? `${doc.file}:${doc.line}`, reason: err.message.slice((err.where?.length ?? -2) + 2) }));
    }
  }
  // A file that could not be read at all counts as one rule that did not compile.
  const unreadable = corpus.problems.length;
  return {
    total: docs.length + unreadable,
    compiled,
    failed: failed.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    byKind: { rules: corpus.rules.length, filters: corpus.filters.length, correlations: corpus.correlations.length },
  };
}
