import { InputError } from '../../core/index.js';
import type { Comparison, ComparisonOp, Literal, ObjectPath, Observation, Pattern, PathStep } from './types.js';

/**
 * A parser for the whole STIX 2.1 pattern grammar (part 9 of the specification and its
 * ANTLR grammar): observation expressions joined by AND, OR and FOLLOWEDBY (in rising order
 * of binding: FOLLOWEDBY loosest, AND tightest), qualifiers WITHIN n SECONDS, REPEATS n TIMES
 * and START t'…' STOP t'…', comparison expressions joined by AND and OR (AND binds tighter),
 * NOT, every comparison operator, EXISTS, and every literal form. Errors name the column
 * and what was found. Keywords are upper case, as the grammar has them.
 */
export function parsePattern(text: string): Pattern {
  const p = new Parser(text);
  const root = p.observations();
  p.expectEnd();
  return { text, root };
}

type TokenKind = 'punct' | 'word' | 'string' | 'number' | 'typed' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** punct: the symbol; word: the identifier or keyword; string: the unescaped text; number: its text; typed: prefix t/h/b. */
  readonly text: string;
  /** For typed literals, the unescaped content. */
  readonly body?: string;
  readonly at: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'IN', 'EXISTS', 'START', 'STOP', 'WITHIN', 'SECONDS', 'REPEATS', 'TIMES']);
const TWO_CHAR = ['!=', '<=', '>=', '<>'];
/** A pattern longer than this is refused before it is read (hostile input). */
export const MAX_PATTERN_CHARS = 1 << 20;
/** Nesting beyond this is refused: real patterns are shallow, the recursion is not unbounded. */
const MAX_DEPTH = 200;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

function describe(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end of the pattern';
    case 'string':
      return `the string '${t.text}'`;
    case 'typed':
      return `the literal ${t.text}'…'`;
    default:
      return `'${t.text}'`;
  }
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  private depth = 0;

  constructor(private readonly src: string) {
    if (src.length > MAX_PATTERN_CHARS) throw new InputError('STIX_PATTERN', `pattern is ${src.length} characters long; at most ${MAX_PATTERN_CHARS} are read`);
    this.tokens = this.lex();
  }

  private fail(message: string, at: number): never {
    throw new InputError('STIX_PATTERN', `${message} at column ${at + 1}`);
  }

  private lex(): Token[] {
    const s = this.src;
    const out: Token[] = [];
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        i++;
        continue;
      }
      const at = i;
      const two = s.slice(i, i + 2);
      if (TWO_CHAR.includes(two)) {
        out.push({ kind: 'punct', text: two === '<>' ? '!=' : two, at });
        i += 2;
        continue;
      }
      if ('[](),:.*=<>'.includes(c)) {
        out.push({ kind: 'punct', text: c, at });
        i++;
        continue;
      }
      if (c === "'") {
        const r = this.quoted(i + 1);
        out.push({ kind: 'string', text: r.value, at });
        i = r.end;
        continue;
      }
      if ((c === 't' || c === 'h' || c === 'b') && s[i + 1] === "'") {
        const r = this.quoted(i + 2);
        out.push({ kind: 'typed', text: c, body: r.value, at });
        i = r.end;
        continue;
      }
      if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9]/.test(s[i + 1] ?? ''))) {
        let j = i + 1;
        while (j < s.length && /[0-9]/.test(s[j]!)) j++;
        if (s[j] === '.' && /[0-9]/.test(s[j + 1] ?? '')) {
          j++;
          while (j < s.length && /[0-9]/.test(s[j]!)) j++;
        }
        out.push({ kind: 'number', text: s.slice(i, j), at });
        i = j;
        continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        let j = i + 1;
        while (j < s.length && /[A-Za-z0-9_-]/.test(s[j]!)) j++;
        out.push({ kind: 'word', text: s.slice(i, j), at });
        i = j;
        continue;
      }
      this.fail(`unexpected character ${JSON.stringify(c)}`, at);
    }
    out.push({ kind: 'end', text: '', at: s.length });
    return out;
  }

  /** A quoted literal's text from after its opening quote: `\'` and `\\` are the only escapes. */
  private quoted(from: number): { value: string; end: number } {
    const s = this.src;
    let out = '';
    for (let i = from; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\\') {
        const n = s[i + 1];
        if (n !== "'" && n !== '\\') this.fail(`a backslash in a string may only escape ' or \\, not ${n === undefined ? 'the end' : JSON.stringify(n)}`, i);
        out += n;
        i++;
      } else if (c === "'") {
        return { value: out, end: i + 1 };
      } else {
        out += c;
      }
    }
    return this.fail('string is not closed', from - 1);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isWord(w: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.text === w;
  }

  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === p;
  }

  private expectPunct(p: string, context: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== p) this.fail(`expected '${p}' ${context}, found ${describe(t)}`, t.at);
    return t;
  }

  private expectWord(w: string, context: string): void {
    const t = this.next();
    if (t.kind !== 'word' || t.text !== w) this.fail(`expected ${w} ${context}, found ${describe(t)}`, t.at);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'end') this.fail(`expected AND, OR, FOLLOWEDBY or a qualifier, found ${describe(t)}`, t.at);
  }

  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH) this.fail(`expressions nest deeper than ${MAX_DEPTH}`, at);
  }

  // observationExpressions := or (FOLLOWEDBY or)*
  observations(): Observation {
    return this.joined('followedby', 'FOLLOWEDBY', () => this.joined('or', 'OR', () => this.joined('and', 'AND', () => this.observation())));
  }

  private joined(k: 'and' | 'or' | 'followedby', word: string, operand: () => Observation): Observation {
    const args = [operand()];
    while (this.isWord(word)) {
      this.next();
      args.push(operand());
    }
    return args.length === 1 ? args[0]! : { k, args };
  }

  // observationExpression := '[' comparison ']' | '(' observations ')' , then qualifiers
  private observation(): Observation {
    const t = this.peek();
    let obs: Observation;
    if (this.isPunct('[')) {
      this.next();
      this.enter(t.at);
      const comparison = this.comparisons();
      this.depth--;
      this.expectPunct(']', 'to close the observation expression opened at column ' + (t.at + 1));
      obs = { k: 'observe', comparison };
    } else if (this.isPunct('(')) {
      this.next();
      this.enter(t.at);
      obs = this.observations();
      this.depth--;
      this.expectPunct(')', 'to close the parenthesis opened at column ' + (t.at + 1));
    } else {
      return this.fail(`expected an observation expression ('[' or '('), found ${describe(t)}`, t.at);
    }
    for (;;) {
      if (this.isWord('WITHIN')) {
        this.next();
        const n = this.next();
        const seconds = n.kind === 'number' ? Number(n.text) : NaN;
        if (!(seconds > 0)) this.fail(`WITHIN needs a positive number of seconds, found ${describe(n)}`, n.at);
        this.expectWord('SECONDS', 'after WITHIN n');
        obs = { k: 'within', seconds, arg: obs };
      } else if (this.isWord('REPEATS')) {
        this.next();
        const n = this.next();
        const times = n.kind === 'number' ? Number(n.text) : NaN;
        if (!(Number.isInteger(times) && times > 0)) this.fail(`REPEATS needs a positive whole number, found ${describe(n)}`, n.at);
        this.expectWord('TIMES', 'after REPEATS n');
        obs = { k: 'repeats', times, arg: obs };
      } else if (this.isWord('START')) {
        this.next();
        const start = this.timestamp('START');
        this.expectWord('STOP', "after START t'…'");
        const stop = this.timestamp('STOP');
        if (stop.value <= start.value) this.fail(`STOP ${stop.text} is not after START ${start.text}`, this.tokens[this.pos - 1]!.at);
        obs = { k: 'startstop', start: start.value, stop: stop.value, arg: obs };
      } else {
        return obs;
      }
    }
  }

  private timestamp(after: string): { value: number; text: string } {
    const t = this.next();
    if (t.kind !== 'typed' || t.text !== 't') this.fail(`${after} needs a timestamp t'…', found ${describe(t)}`, t.at);
    return { value: parseTimestamp(t.body!, t.at, this), text: t.body! };
  }

  // comparisonExpression := and (OR and)* ; and := propTest (AND propTest)*
  private comparisons(): Comparison {
    const or: Comparison[] = [this.comparisonAnd()];
    while (this.isWord('OR')) {
      this.next();
      or.push(this.comparisonAnd());
    }
    return or.length === 1 ? or[0]! : { k: 'or', args: or };
  }

  private comparisonAnd(): Comparison {
    const and: Comparison[] = [this.propTest()];
    while (this.isWord('AND')) {
      this.next();
      and.push(this.propTest());
    }
    return and.length === 1 ? and[0]! : { k: 'and', args: and };
  }

  private propTest(): Comparison {
    const t = this.peek();
    if (this.isPunct('(')) {
      this.next();
      this.enter(t.at);
      const inner = this.comparisons();
      this.depth--;
      this.expectPunct(')', 'to close the parenthesis opened at column ' + (t.at + 1));
      return inner;
    }
    if (this.isWord('EXISTS')) {
      this.next();
      return { k: 'exists', path: this.objectPath() };
    }
    const path = this.objectPath();
    let negated = false;
    if (this.isWord('NOT')) {
      this.next();
      negated = true;
    }
    const o = this.next();
    if (o.kind === 'punct' && ['=', '!=', '<', '>', '<=', '>='].includes(o.text)) {
      const value = this.literal();
      const op = o.text as ComparisonOp;
      if (op !== '=' && op !== '!=' && value.kind === 'bool') this.fail(`${op} needs an orderable literal, not a boolean`, o.at);
      return { k: 'test', path, op, negated, value };
    }
    if (o.kind === 'word' && o.text === 'IN') {
      const open = this.expectPunct('(', 'to start the set after IN');
      const values: Literal[] = [];
      if (!this.isPunct(')')) {
        values.push(this.literal());
        while (this.isPunct(',')) {
          this.next();
          values.push(this.literal());
        }
      }
      this.expectPunct(')', `to close the set opened at column ${open.at + 1}`);
      return { k: 'test', path, op: 'IN', negated, value: values };
    }
    if (o.kind === 'word' && (o.text === 'LIKE' || o.text === 'MATCHES' || o.text === 'ISSUBSET' || o.text === 'ISSUPERSET')) {
      const v = this.next();
      if (v.kind !== 'string') this.fail(`${o.text} needs a string literal, found ${describe(v)}`, v.at);
      return { k: 'test', path, op: o.text, negated, value: { kind: 'string', value: v.text } };
    }
    return this.fail(`expected a comparison operator (=, !=, <, >, <=, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) after ${path.text}, found ${describe(o)}`, o.at);
  }

  // objectPath := objectType ':' first ('.' prop | '[' index ']')*
  private objectPath(): ObjectPath {
    const t = this.next();
    if (t.kind !== 'word' || KEYWORDS.has(t.text)) this.fail(`expected an object path (type:property), found ${describe(t)}`, t.at);
    if (!/^[a-z0-9-]+$/.test(t.text) && !/^x-[a-z0-9_-]+$/i.test(t.text)) this.fail(`'${t.text}' is not a cyber-observable object type (lower case letters, digits and hyphens)`, t.at);
    this.expectPunct(':', `after the object type ${t.text}`);
    const steps: PathStep[] = [this.property('the first property')];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        steps.push(this.property('a property name after .'));
      } else if (this.isPunct('[')) {
        const open = this.next();
        const n = this.next();
        if (n.kind === 'punct' && n.text === '*') steps.push({ index: '*' });
        else if (n.kind === 'number' && /^[+-]?\d+$/.test(n.text)) steps.push({ index: Number(n.text) });
        else this.fail(`a list index is a whole number or *, found ${describe(n)}`, n.at);
        this.expectPunct(']', `to close the list index opened at column ${open.at + 1}`);
      } else {
        break;
      }
    }
    return { type: t.text, steps, text: pathText(t.text, steps) };
  }

  private property(what: string): { prop: string } {
    const t = this.next();
    if (t.kind === 'string') return { prop: t.text };
    if (t.kind === 'word' && !KEYWORDS.has(t.text)) {
      if (t.text.includes('-')) this.fail(`property '${t.text}' has a hyphen: quote it ('${t.text}')`, t.at);
      return { prop: t.text };
    }
    return this.fail(`expected ${what}, found ${describe(t)}`, t.at);
  }

  private literal(): Literal {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.text };
      case 'number':
        return t.text.includes('.') ? { kind: 'float', value: Number(t.text) } : { kind: 'int', value: Number(t.text) };
      case 'word':
        if (t.text === 'true' || t.text === 'false') return { kind: 'bool', value: t.text === 'true' };
        break;
      case 'typed': {
        const body = t.body!;
        if (t.text === 't') return { kind: 'timestamp', value: parseTimestamp(body, t.at, this), text: body };
        if (t.text === 'h') {
          if (!/^([0-9a-fA-F]{2})*$/.test(body)) this.fail(`h'…' needs pairs of hex digits`, t.at);
          return { kind: 'hex', value: Uint8Array.from(Buffer.from(body, 'hex')) };
        }
        if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) this.fail(`b'…' needs base64`, t.at);
        return { kind: 'binary', value: Uint8Array.from(Buffer.from(body, 'base64')) };
      }
      default:
        break;
    }
    return this.fail(`expected a literal (a string, a number, true/false, t'…', h'…' or b'…'), found ${describe(t)}`, t.at);
  }

  failAt(message: string, at: number): never {
    return this.fail(message, at);
  }
}

function parseTimestamp(text: string, at: number, p: Parser): number {
  const m = TIMESTAMP.exec(text);
  const ms = m ? Date.parse(text) : NaN;
  // Date.parse rolls 2026-02-30 over to March: the round trip catches it.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19)) {
    return p.failAt(`'${text}' is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)`, at);
  }
  return ms;
}

/** The path as the specification writes it, properties quoted where they must be. */
export function pathText(type: string, steps: readonly PathStep[]): string {
  let out = `${type}:`;
  steps.forEach((s, i) => {
    if ('index' in s) out += `[${s.index}]`;
    else out += (i === 0 ? '' : '.') + (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.prop) ? s.prop : `'${s.prop.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  });
  return out;
}
