/**
 * Shared helpers of the Sigma conformance tests: parse a YAML rule, compile its detection,
 * evaluate it on one event, or get the error that rejects it.
 */
import assert from 'node:assert/strict';
import type { EventRecord } from '../../core/index.js';
import { InputError } from '../../core/index.js';
import { compileDetection, toClosure, EventView, FieldTable } from './compile.js';
import { parseRuleFile } from './parse.js';
import type { SigmaRule } from './types.js';

export interface Opts {
  readonly placeholders?: ReadonlyMap<string, readonly string[]>;
}

export function loadRule(ruleYaml: string): SigmaRule {
  const { documents, problems } = parseRuleFile(ruleYaml, 'rule.yml');
  if (problems.length > 0) throw new Error(`rule was rejected: ${problems.map((p) => `${p.where}: ${p.reason}`).join('; ')}`);
  const doc = documents[0];
  if (doc?.kind !== 'rule') throw new Error('the YAML is not a detection rule');
  return doc;
}

export function compileRule(ruleYaml: string, opts: Opts = {}): (event: object) => boolean {
  const rule = loadRule(ruleYaml);
  const table = new FieldTable();
  const pred = compileDetection(rule.detection, rule.conditions, rule.conditionWhere, {
    table,
    ...(opts.placeholders ? { placeholders: opts.placeholders } : {}),
  });
  const fn = toClosure(pred);
  const view = new EventView(table);
  return (event) => fn(view.reset(event as EventRecord));
}

export function matches(ruleYaml: string, event: object, opts: Opts = {}): boolean {
  return compileRule(ruleYaml, opts)(event);
}

/** The `where: reason` of the parse problem or compile error; fails the test if none. */
export function compileError(ruleYaml: string, opts: Opts = {}): string {
  const { documents, problems } = parseRuleFile(ruleYaml, 'rule.yml');
  if (problems.length > 0) return problems.map((p) => `${p.where}: ${p.reason}`).join('\n');
  const rule = documents[0] as SigmaRule;
  try {
    compileDetection(rule.detection, rule.conditions, rule.conditionWhere, {
      table: new FieldTable(),
      ...(opts.placeholders ? { placeholders: opts.placeholders } : {}),
    });
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
  return assert.fail('expected the rule to be rejected, but it compiled');
}

export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const min = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(min)).join('\n');
}

export function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n');
}

/** A whole rule around a detection block. */
export function rule(detection: string): string {
  return `title: conformance\nlogsource:\n    product: test\ndetection:\n${indent(dedent(detection))}\n`;
}

/** A rule whose detection is one selection map (`selection`) and `condition: selection`. */
export function sel(body: string): string {
  return rule(`selection:\n${indent(dedent(body))}\ncondition: selection`);
}
