import { BlockList, isIP } from 'node:net';
import RE2 from 're2';
import { InputError } from '../../core/index.js';
import type { Observed, StixObject } from './observe.js';
import type { Comparison, ComparisonOp, Literal, ObjectPath } from './types.js';

/**
 * Comparison expressions on one observation (the objects one event shows), STIX 2.1 part 9.5:
 * a comparison holds when some object of its type has a value at the path that satisfies it
 * (`[*]` and unindexed lists: some element); a path that reaches nothing makes the comparison
 * false, with or without NOT. Strings compare exactly (`=`) or by code point (`<`…);
 * timestamps by instant. LIKE and MATCHES run on RE2, never a backtracking engine.
 */
export type ComparisonTest = (observed: Observed) => boolean;

export function compileComparison(c: Comparison): ComparisonTest {
  switch (c.k) {
    case 'and': {
      const tests = c.args.map(compileComparison);
      return (o) => tests.every((t) => t(o));
    }
    case 'or': {
      const tests = c.args.map(compileComparison);
      return (o) => tests.some((t) => t(o));
    }
    case 'exists':
      return (o) => valuesAt(o, c.path).length > 0;
    case 'test': {
      // `ipv4-addr:value = '10.0.0.0/8'`: a CIDR block stands for its addresses (as indicators mean it).
      const block = (c.path.text === 'ipv4-addr:value' || c.path.text === 'ipv6-addr:value') && (c.op === '=' || c.op === '!=') && !Array.isArray(c.value) && (c.value as Literal).kind === 'string' && String((c.value as Literal).value).includes('/');
      const inBlock = block ? valueTest('ISSUBSET', c.value) : null;
      const holds = inBlock ? (c.op === '=' ? inBlock : (v: unknown) => !inBlock(v)) : valueTest(c.op, c.value);
      const negated = c.negated;
      return (o) => {
        const values = valuesAt(o, c.path);
        return values.some((v) => holds(v) !== negated);
      };
    }
  }
}

/** Every value the path reaches in the observation's objects of its type. */
export function valuesAt(observed: Observed, path: ObjectPath): unknown[] {
  const objects = observed.get(path.type);
  if (!objects) return [];
  let current: unknown[] = objects as readonly StixObject[] as unknown[];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('prop' in step) {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, step.prop)) continue;
        const x = (v as Record<string, unknown>)[step.prop];
        // A list reached by name stands for its elements (the matcher's usual reading).
        if (Array.isArray(x) && step === path.steps.at(-1)) next.push(...x);
        else next.push(x);
      } else if (Array.isArray(v)) {
        if (step.index === '*') next.push(...v);
        else {
          const i = step.index < 0 ? v.length + step.index : step.index;
          if (i >= 0 && i < v.length) next.push(v[i]);
        }
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined && v !== null);
}

function literalValue(l: Literal): string | number | boolean {
  switch (l.kind) {
    case 'binary':
    case 'hex':
      return Buffer.from(l.value).toString('hex');
    default:
      return l.value;
  }
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

function equals(v: unknown, l: Literal): boolean {
  switch (l.kind) {
    case 'string':
      return typeof v === 'string' ? v === l.value : typeof v === 'number' && String(v) === l.value;
    case 'int':
    case 'float':
      return asNumber(v) === l.value;
    case 'bool':
      return v === l.value;
    case 'timestamp':
      return typeof v === 'string' && Date.parse(v) === l.value;
    case 'binary':
    case 'hex':
      return typeof v === 'string' && v.toLowerCase() === literalValue(l);
  }
}

function order(v: unknown, l: Literal): number | null {
  if (l.kind === 'int' || l.kind === 'float') {
    const n = asNumber(v);
    return n === null ? null : n - l.value;
  }
  if (l.kind === 'timestamp') {
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isNaN(ms) ? null : ms - l.value;
  }
  if (typeof v !== 'string') return null;
  const w = String(literalValue(l));
  return v < w ? -1 : v > w ? 1 : 0;
}

function valueTest(op: ComparisonOp, value: Literal | readonly Literal[]): (v: unknown) => boolean {
  const one = Array.isArray(value) ? null : (value as Literal);
  switch (op) {
    case '=':
      return (v) => equals(v, one!);
    case '!=':
      return (v) => !equals(v, one!);
    case '<':
      return (v) => {
        const d = order(v, one!);
        return d !== null && d < 0;
      };
    case '>':
      return (v) => {
        const d = order(v, one!);
        return d !== null && d > 0;
      };
    case '<=':
      return (v) => {
        const d = order(v, one!);
        return d !== null && d <= 0;
      };
    case '>=':
      return (v) => {
        const d = order(v, one!);
        return d !== null && d >= 0;
      };
    case 'IN': {
      const set = value as readonly Literal[];
      return (v) => set.some((l) => equals(v, l));
    }
    case 'LIKE': {
      const re = new RE2(`^${likeToRegex(String(one!.value))}$`, 's');
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'MATCHES': {
      let re: RE2;
      try {
        re = new RE2(String(one!.value), 's');
      } catch (err) {
        throw new InputError('STIX_PATTERN', `MATCHES '${String(one!.value)}': ${(err as Error).message}`);
      }
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'ISSUBSET': {
      const outer = network(String(one!.value));
      if (!outer) throw new InputError('STIX_PATTERN', `ISSUBSET needs an IP address or CIDR block, not '${String(one!.value)}'`);
      return (v) => {
        const inner = typeof v === 'string' ? network(v) : null;
        return inner !== null && contains(outer, inner);
      };
    }
    case 'ISSUPERSET': {
      const inner = network(String(one!.value));
      if (!inner) throw new InputError('STIX_PATTERN', `ISSUPERSET needs an IP address or CIDR block, not '${String(one!.value)}'`);
      return (v) => {
        const outer = typeof v === 'string' ? network(v) : null;
        return outer !== null && contains(outer, inner);
      };
    }
  }
}

/** SQL LIKE: `%` any run, `_` one character, everything else literal. */
function likeToRegex(like: string): string {
  let out = '';
  for (const ch of like) {
    if (ch === '%') out += '.*';
    else if (ch === '_') out += '.';
    else out += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return out;
}

interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

function network(text: string): Network | null {
  const [address, bits] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address: address!, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** `outer` holds every address of `inner`. */
function contains(outer: Network, inner: Network): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const list = new BlockList();
  list.addSubnet(outer.address, outer.prefix, outer.family);
  return list.check(inner.address, inner.family);
}
