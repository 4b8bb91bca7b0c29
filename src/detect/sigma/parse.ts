import { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import { InputError, type ItemProblem } from '../../core/index.js';
import { parseCondition, referencedNames, ConditionSyntaxError } from './condition.js';
import type {
  CorrelationCondition,
  CorrelationType,
  FieldCondition,
  RuleMeta,
  SearchIdentifier,
  SigmaCorrelation,
  SigmaDocument,
  SigmaFilter,
  SigmaLevel,
  SigmaLogsource,
  SigmaRule,
  SigmaScalar,
} from './types.js';
import { LEVELS } from './types.js';

/** What one rule file holds: its documents and, for each broken one, where and why. */
export interface ParsedRuleFile {
  readonly documents: SigmaDocument[];
  readonly problems: ItemProblem[];
}

/**
 * Parses a Sigma YAML file (one or several `---` documents) with a YAML 1.2 core-schema
 * loader, so `yes`, `no`, `on` and `off` stay strings. A broken document is reported with
 * its line and the rest of the file still loads.
 */
export function parseRuleFile(text: string, file: string): ParsedRuleFile {
  const lines = new LineCounter();
  const documents: SigmaDocument[] = [];
  const problems: ItemProblem[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { version: '1.2', schema: 'core', lineCounter: lines, uniqueKeys: true }) as Document.Parsed[];
  } catch (err) {
    problems.push({ where: `${file}:1`, reason: `not YAML: ${(err as Error).message}` });
    return { documents, problems };
  }
  if (!Array.isArray(docs)) docs = [docs];
  for (const doc of docs) {
    const reader = new NodeReader(file, lines, doc);
    const startLine = reader.lineOf(doc.contents ?? undefined);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? startLine;
      problems.push({ where: `${file}:${line}`, reason: `YAML error: ${firstLine(e.message)}` });
      continue;
    }
    if (doc.contents === null) continue;
    try {
      documents.push(readDocument(reader, doc.contents));
    } catch (err) {
      if (err instanceof InputError) problems.push({ where: err.where ?? `${file}:${startLine}`, reason: stripWhere(err) });
      else if (err instanceof RangeError) problems.push({ where: `${file}:${startLine}`, reason: 'the rule is nested too deeply to read' });
      else throw err;
    }
  }
  return { documents, problems };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function stripWhere(err: InputError): string {
  return err.where && err.message.startsWith(`${err.where}: `) ? err.message.slice(err.where.length + 2) : err.message;
}

/** Reads YAML nodes, turning shape errors into InputErrors that name file:line. */
class NodeReader {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  lineOf(node: YamlNode | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  where(node: YamlNode | null | undefined): string {
    return `${this.file}:${this.lineOf(node)}`;
  }

  fail(node: YamlNode | null | undefined, reason: string): never {
    throw new InputError('DETECT_RULE_INVALID', reason, this.where(node));
  }

  resolve(node: unknown): YamlNode | null {
    if (isAlias(node)) return (node.resolve(this.doc) as YamlNode | undefined) ?? null;
    return (node as YamlNode | null) ?? null;
  }

  /** Map entries as [key text, value node, key node]. */
  entries(node: YamlNode, what: string): Array<[string, YamlNode | null, YamlNode]> {
    if (!isMap(node)) this.fail(node, `${what} must be a map`);
    return node.items.map((pair) => {
      const key = pair.key as YamlNode;
      if (!isScalar(key)) this.fail(key, `${what} has a key that is not a plain value`);
      return [String(key.value ?? ''), this.resolve(pair.value), key];
    });
  }

  scalar(node: YamlNode | null): SigmaScalar {
    if (node === null) return null;
    if (!isScalar(node)) this.fail(node, 'expected a single value here, found a list or map');
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      // Keep the rule's own spelling of non-decimal numbers (0x1fffff, 012): Sigma
      // compares values as text, and event logs print them the same way.
      const src = node.source ?? String(v);
      return String(v) === src ? v : src;
    }
    return String(v);
  }

  text(node: YamlNode | null, what: string): string {
    const v = this.scalar(node);
    if (typeof v !== 'string') this.fail(node, `${what} must be text`);
    return v;
  }

  optionalText(node: YamlNode | null): string | undefined {
    if (node === null) return undefined;
    const v = this.scalar(node);
    return v === null ? undefined : String(v);
  }

  textList(node: YamlNode | null, what: string): string[] {
    if (node === null) return [];
    if (isSeq(node)) return node.items.map((n) => String(this.scalar(this.resolve(n)) ?? ''));
    if (isScalar(node)) return [String(node.value ?? '')];
    return this.fail(node, `${what} must be a list of text`);
  }
}

function readDocument(r: NodeReader, root: YamlNode): SigmaDocument {
  const fields = new Map<string, [YamlNode | null, YamlNode]>();
  for (const [k, v, keyNode] of r.entries(root, 'a rule')) fields.set(k, [v, keyNode]);
  const get = (k: string): YamlNode | null => fields.get(k)?.[0] ?? null;
  if (fields.has('action')) {
    r.fail(root, "'action: global/reset/repeat' rule collections are Sigma 1 syntax; split them into separate rules");
  }
  if (fields.has('correlation')) return readCorrelation(r, root, get);
  if (fields.has('filter')) return readFilter(r, root, get);
  if (!fields.has('detection')) r.fail(root, "a rule needs 'detection' (or 'correlation' / 'filter' for those rule types)");
  return readRule(r, root, get);
}

type Getter = (key: string) => YamlNode | null;

function readMeta(r: NodeReader, root: YamlNode, get: Getter): RuleMeta {
  const title = get('title');
  if (title === null) r.fail(root, "a rule needs a 'title'");
  const levelText = (r.optionalText(get('level')) ?? 'medium').toLowerCase();
  if (!LEVELS.includes(levelText as SigmaLevel)) {
    r.fail(get('level'), `level '${levelText}' is not one of ${LEVELS.join(', ')}`);
  }
  const author = get('author');
  return {
    file: r.file,
    line: r.lineOf(root),
    title: r.text(title, 'title'),
    id: r.optionalText(get('id')),
    name: r.optionalText(get('name')),
    status: r.optionalText(get('status')),
    description: r.optionalText(get('description')),
    // A list of authors is joined: the Detection Rule License asks that it travels with alerts.
    author: author === null ? undefined : r.textList(author, 'author').join(', '),
    level: levelText as SigmaLevel,
    tags: r.textList(get('tags'), 'tags'),
    references: r.textList(get('references'), 'references'),
    falsepositives: r.textList(get('falsepositives'), 'falsepositives'),
    fields: r.textList(get('fields'), 'fields'),
    date: r.optionalText(get('date')),
    modified: r.optionalText(get('modified')),
  };
}

function readLogsource(r: NodeReader, node: YamlNode | null): SigmaLogsource {
  if (node === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of r.entries(node, 'logsource')) {
    if (['product', 'category', 'service', 'definition'].includes(k) && v !== null) out[k] = String(r.scalar(v) ?? '');
  }
  return out;
}

function readRule(r: NodeReader, root: YamlNode, get: Getter): SigmaRule {
  const meta = readMeta(r, root, get);
  const detectionNode = get('detection')!;
  const { identifiers, conditions, conditionNode } = readDetection(r, detectionNode);
  return {
    kind: 'rule',
    ...meta,
    logsource: readLogsource(r, get('logsource')),
    detection: identifiers,
    conditions,
    conditionWhere: r.where(conditionNode),
  };
}

function readDetection(
  r: NodeReader,
  node: YamlNode,
): { identifiers: Map<string, SearchIdentifier>; conditions: string[]; conditionNode: YamlNode } {
  const identifiers = new Map<string, SearchIdentifier>();
  let conditionNode: YamlNode | null = null;
  for (const [name, value, keyNode] of r.entries(node, 'detection')) {
    if (name === 'condition') conditionNode = value ?? keyNode;
    else if (name === 'timeframe') continue; // Sigma 1 aggregation window; correlations carry their own
    else identifiers.set(name, readIdentifier(r, name, value, keyNode));
  }
  if (conditionNode === null) r.fail(node, "detection needs a 'condition'");
  const conditions = r.textList(conditionNode, 'condition');
  if (conditions.length === 0) r.fail(conditionNode, 'condition is empty');
  const names = [...identifiers.keys()];
  for (const text of conditions) {
    try {
      const ast = parseCondition(text);
      const { missing } = referencedNames(ast, names);
      if (missing.length > 0) {
        r.fail(conditionNode, `condition refers to ${missing.map((m) => `'${m}'`).join(', ')}, which detection does not define`);
      }
    } catch (err) {
      if (err instanceof ConditionSyntaxError) r.fail(conditionNode, `condition '${text.length > 80 ? `${text.slice(0, 77)}…` : text}', column ${err.column}: ${err.message}`);
      throw err;
    }
  }
  return { identifiers, conditions, conditionNode };
}

function readIdentifier(r: NodeReader, name: string, value: YamlNode | null, keyNode: YamlNode): SearchIdentifier {
  const where = r.where(value ?? keyNode);
  if (value === null) r.fail(keyNode, `search identifier '${name}' is empty`);
  if (isMap(value)) return { kind: 'map', items: readMapItems(r, value), where };
  if (isSeq(value)) {
    const items = value.items.map((n) => r.resolve(n));
    if (items.length > 0 && items.every((n) => isMap(n))) {
      return { kind: 'maps', maps: items.map((n) => readMapItems(r, n!)), where };
    }
    if (items.some((n) => isMap(n) || isSeq(n))) {
      r.fail(value, `search identifier '${name}' mixes maps and plain values in one list`);
    }
    return { kind: 'keywords', values: items.map((n) => r.scalar(n)), where };
  }
  return { kind: 'keywords', values: [r.scalar(value)], where };
}

function readMapItems(r: NodeReader, node: YamlNode): FieldCondition[] {
  const items: FieldCondition[] = [];
  for (const [key, value, keyNode] of r.entries(node, 'a selection')) {
    const [field = '', ...modifiers] = key.split('|');
    let values: SigmaScalar[];
    if (isSeq(value)) {
      values = value.items.map((n) => {
        const v = r.resolve(n);
        if (isMap(v) || isSeq(v)) r.fail(v, `'${key}' has a nested list or map as a value; Sigma values are plain`);
        return r.scalar(v);
      });
      if (values.length === 0) r.fail(value, `'${key}' has an empty list of values`);
    } else if (isMap(value)) {
      return r.fail(value, `'${key}' has a map as its value; Sigma selections are flat (use dotted field names for nesting)`);
    } else {
      values = [r.scalar(value)];
    }
    items.push({ field: field.trim(), modifiers: modifiers.map((m) => m.trim()), values, where: r.where(keyNode) });
  }
  return items;
}

function readFilter(r: NodeReader, root: YamlNode, get: Getter): SigmaFilter {
  const title = get('title');
  if (title === null) r.fail(root, "a filter needs a 'title'");
  const filterNode = get('filter')!;
  const rulesNode = r.entries(filterNode, 'filter').find(([k]) => k === 'rules')?.[1] ?? null;
  // The filter block is a detection block plus `rules`; read it as one without `rules`.
  const detectionLike = filterNode;
  const { identifiers, conditions, conditionNode } = readDetection(r, withoutKey(r, detectionLike, 'rules'));
  if (conditions.length !== 1) r.fail(conditionNode, 'a filter has exactly one condition');
  return {
    kind: 'filter',
    file: r.file,
    line: r.lineOf(root),
    title: r.text(title, 'title'),
    id: r.optionalText(get('id')),
    logsource: readLogsource(r, get('logsource')),
    rules: r.textList(rulesNode, 'filter.rules'),
    detection: identifiers,
    condition: conditions[0]!,
    conditionWhere: r.where(conditionNode),
  };
}

function withoutKey(r: NodeReader, node: YamlNode, key: string): YamlNode {
  if (!isMap(node)) r.fail(node, 'filter must be a map');
  const copy = node.clone() as typeof node;
  copy.items = copy.items.filter((p) => !(isScalar(p.key) && p.key.value === key));
  copy.range = node.range;
  return copy;
}

const CORRELATION_TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];

function readCorrelation(r: NodeReader, root: YamlNode, get: Getter): SigmaCorrelation {
  const meta = readMeta(r, root, get);
  const node = get('correlation')!;
  const c = new Map(r.entries(node, 'correlation').map(([k, v]) => [k, v] as const));
  if (!c.get('type')) r.fail(node, `a correlation needs a 'type' (${CORRELATION_TYPES.join(', ')})`);
  const typeText = r.text(c.get('type') ?? null, 'correlation.type');
  if (!CORRELATION_TYPES.includes(typeText as CorrelationType)) {
    r.fail(c.get('type'), `correlation type '${typeText}' is not one of ${CORRELATION_TYPES.join(', ')}`);
  }
  const type = typeText as CorrelationType;
  const rules = r.textList(c.get('rules') ?? null, 'correlation.rules');
  if (rules.length === 0) r.fail(node, 'a correlation needs the rules it correlates');
  const timespanNode = c.get('timespan') ?? c.get('timeframe') ?? null;
  if (timespanNode === null) r.fail(node, "a correlation needs a 'timespan' (e.g. 5m)");
  const timespanMs = parseTimespan(r, timespanNode);
  const condition = readCorrelationCondition(r, type, c.get('condition') ?? null, node, rules.length);
  return {
    kind: 'correlation',
    ...meta,
    type,
    rules,
    groupBy: r.textList(c.get('group-by') ?? null, 'correlation.group-by'),
    timespanMs,
    condition,
    aliases: readAliases(r, c.get('aliases') ?? null),
    generate: r.scalar(c.get('generate') ?? get('generate') ?? null) === true,
  };
}

const TIME_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseTimespan(r: NodeReader, node: YamlNode): number {
  const text = String(r.scalar(node) ?? '');
  const m = /^([0-9]+)([smhd])$/.exec(text.trim());
  if (!m) return r.fail(node, `timespan '${text}' must be a number and a unit (s, m, h or d), e.g. 15m`);
  if (Number(m[1]) === 0) return r.fail(node, `timespan '${text}' is zero: a correlation needs a window`);
  return Number(m[1]) * (TIME_UNITS[m[2]!] ?? 0);
}

function readCorrelationCondition(
  r: NodeReader,
  type: CorrelationType,
  node: YamlNode | null,
  parent: YamlNode,
  ruleCount: number,
): CorrelationCondition {
  if (node === null) {
    // Temporal without a condition: every referenced rule must be seen (pySigma's reading).
    if (type === 'temporal' || type === 'temporal_ordered') return { gte: ruleCount };
    return r.fail(parent, `a ${type} correlation needs a condition (e.g. gte: 10)`);
  }
  if (isScalar(node)) {
    r.fail(node, 'boolean temporal conditions (rule_a and rule_b …) are not supported yet; use gte/gt with a count');
  }
  const out: Record<string, number | string> = {};
  for (const [k, v] of r.entries(node, 'correlation.condition')) {
    if (k === 'field') out.field = r.text(v, 'condition.field');
    else if (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].includes(k)) {
      const n = r.scalar(v);
      if (typeof n !== 'number') return r.fail(v ?? node, `condition ${k} must be a number`);
      out[k] = n;
    } else r.fail(v, `condition operator '${k}' is not one of gt, gte, lt, lte, eq, neq, field`);
  }
  if (type === 'value_count' && out.field === undefined) r.fail(node, "a value_count condition needs 'field'");
  if (!Object.keys(out).some((k) => k !== 'field')) r.fail(node, 'a correlation condition needs a comparison (gt, gte, lt, lte, eq or neq)');
  return out as CorrelationCondition;
}

function readAliases(r: NodeReader, node: YamlNode | null): Map<string, Map<string, string>> {
  const aliases = new Map<string, Map<string, string>>();
  if (node === null) return aliases;
  for (const [alias, mapping, keyNode] of r.entries(node, 'correlation.aliases')) {
    const perRule = new Map<string, string>();
    if (mapping === null) r.fail(keyNode, `alias '${alias}' maps no rules to fields`);
    for (const [rule, field] of r.entries(mapping, `alias '${alias}'`)) perRule.set(rule, r.text(field, 'alias field'));
    aliases.set(alias, perRule);
  }
  return aliases;
}
