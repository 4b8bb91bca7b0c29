/**
 * The Sigma condition grammar: identifiers, `and`, `or`, `not`, parentheses and the
 * quantifiers `1 of pattern*`, `all of pattern*`, `N of …`, `any of …`, `… of them`.
 * Precedence, lowest first: or, and, not. Pipes (`| count() …`) were Sigma 1 aggregations,
 * removed in Sigma 2 in favour of correlation rules; they get a clear error.
 */
export type ConditionNode =
  | { readonly op: 'and' | 'or'; readonly args: readonly ConditionNode[] }
  | { readonly op: 'not'; readonly arg: ConditionNode }
  | { readonly op: 'ref'; readonly name: string }
  /** `count of pattern`: count is a number, or 'all'. `them` is the pattern `*` minus `_…` names. */
  | { readonly op: 'of'; readonly count: number | 'all'; readonly pattern: string; readonly them: boolean };

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

interface Token {
  readonly text: string;
  readonly column: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ text: c, column: i + 1 });
      i++;
    } else if (c === '|') {
      throw new ConditionSyntaxError(
        "'|' aggregations (count(), sum(), near …) are Sigma 1 syntax removed in Sigma 2; write a correlation rule instead",
        i + 1,
      );
    } else {
      const start = i;
      while (i < text.length && !' \t\n\r()|'.includes(text[i] ?? '')) i++;
      tokens.push({ text: text.slice(start, i), column: start + 1 });
    }
  }
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them']);

/** Deeper nesting than any real rule needs; beyond it a hostile condition would exhaust the stack. */
const MAX_DEPTH = 200;

export function parseCondition(text: string): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const enter = (t: Token | undefined): void => {
    if (++depth > MAX_DEPTH) fail(`condition nests deeper than ${MAX_DEPTH} levels`, t);
  };
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (t: Token | undefined, word: string): boolean => t !== undefined && t.text.toLowerCase() === word;
  const fail = (message: string, t: Token | undefined): never => {
    throw new ConditionSyntaxError(message, t?.column ?? text.length + 1);
  };

  function parseOr(): ConditionNode {
    const args = [parseAnd()];
    while (isWord(peek(), 'or')) {
      pos++;
      args.push(parseAnd());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  }
  function parseAnd(): ConditionNode {
    const args = [parseNot()];
    while (isWord(peek(), 'and')) {
      pos++;
      args.push(parseNot());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  }
  function parseNot(): ConditionNode {
    if (isWord(peek(), 'not')) {
      enter(peek());
      pos++;
      const arg = parseNot();
      depth--;
      return { op: 'not', arg };
    }
    return parsePrimary();
  }
  function parsePrimary(): ConditionNode {
    const t = peek();
    if (t === undefined) return fail('condition ends where an identifier or ( was expected', t);
    if (t.text === '(') {
      enter(t);
      pos++;
      const inner = parseOr();
      if (peek()?.text !== ')') fail("missing ')'", peek());
      pos++;
      depth--;
      return inner;
    }
    if (t.text === ')') return fail("unexpected ')'", t);
    if (isWord(tokens[pos + 1], 'of')) return parseQuantifier(t);
    if (KEYWORDS.has(t.text.toLowerCase())) return fail(`unexpected '${t.text}'`, t);
    pos++;
    return { op: 'ref', name: t.text };
  }
  function parseQuantifier(t: Token): ConditionNode {
    const q = t.text.toLowerCase();
    let count: number | 'all';
    if (q === 'all') count = 'all';
    else if (q === 'any') count = 1;
    else if (/^[0-9]+$/.test(q) && Number(q) > 0) count = Number(q);
    else return fail(`'${t.text} of' needs a positive number, 'any' or 'all' before 'of'`, t);
    pos += 2;
    const target = peek();
    if (target === undefined || target.text === '(' || target.text === ')') {
      return fail("'of' must be followed by an identifier pattern or 'them'", target);
    }
    pos++;
    const them = target.text.toLowerCase() === 'them';
    return { op: 'of', count, pattern: them ? '*' : target.text, them };
  }

  if (tokens.length === 0) throw new ConditionSyntaxError('condition is empty', 1);
  const node = parseOr();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]!.text}' after a complete condition`, tokens[pos]);
  return node;
}

/** Identifier names that a quantifier pattern (`selection_*`, `them`) selects, in rule order. */
export function expandPattern(pattern: string, them: boolean, names: readonly string[]): string[] {
  // Identifiers starting with `_` are left out of `them` and of patterns alike (as pySigma does).
  const visible = names.filter((n) => !n.startsWith('_'));
  if (them) return visible;
  if (!pattern.includes('*')) return names.filter((n) => n === pattern);
  const parts = pattern.split('*');
  return visible.filter((n) => globMatch(parts, n));
}

function globMatch(parts: string[], text: string): boolean {
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = text.indexOf(parts[i] ?? '', at);
    if (found < 0) return false;
    at = found + (parts[i] ?? '').length;
  }
  return text.length - last.length >= at && text.endsWith(last);
}

/** Every identifier a condition refers to, directly or by pattern, for validation. */
export function referencedNames(node: ConditionNode, names: readonly string[]): { missing: string[] } {
  const missing: string[] = [];
  const walk = (n: ConditionNode): void => {
    if (n.op === 'ref') {
      if (!names.includes(n.name)) missing.push(n.name);
    } else if (n.op === 'of') {
      if (expandPattern(n.pattern, n.them, names).length === 0) missing.push(n.them ? 'them' : n.pattern);
    } else if (n.op === 'not') walk(n.arg);
    else n.args.forEach(walk);
  };
  walk(node);
  return { missing };
}
