import { pathText } from './parse.js';
import type { Comparison, Literal, ObjectPath, Observation, PathStep } from './types.js';

/** Hash algorithm names as the STIX vocabulary spells them, by lower-case spelling. */
export const HASH_NAMES: Readonly<Record<string, string>> = {
  md5: 'MD5', 'sha-1': 'SHA-1', sha1: 'SHA-1', 'sha-256': 'SHA-256', sha256: 'SHA-256', 'sha-512': 'SHA-512', sha512: 'SHA-512',
  'sha-384': 'SHA-384', 'sha3-256': 'SHA3-256', 'sha3-512': 'SHA3-512', ssdeep: 'SSDEEP', tlsh: 'TLSH', imphash: 'IMPHASH',
};

/**
 * Hash names in their vocabulary spelling (`hashes.md5` → `hashes.'MD5'`), hash and domain
 * literals in lower case: the forms the observation side produces.
 */
export function canonical(o: Observation): Observation {
  switch (o.k) {
    case 'observe':
      return { k: 'observe', comparison: canonicalComparison(o.comparison) };
    case 'and':
    case 'or':
    case 'followedby':
      return { k: o.k, args: o.args.map(canonical) };
    default:
      return { ...o, arg: canonical(o.arg) };
  }
}

function canonicalComparison(c: Comparison): Comparison {
  switch (c.k) {
    case 'and':
    case 'or':
      return { k: c.k, args: c.args.map(canonicalComparison) };
    case 'exists':
      return { k: 'exists', path: canonicalPath(c.path) };
    case 'test': {
      const path = canonicalPath(c.path);
      const folds = foldsCase(path);
      const lit = (l: Literal): Literal => (folds && l.kind === 'string' ? { kind: 'string', value: l.value.toLowerCase() } : l);
      const value = Array.isArray(c.value) ? (c.value as readonly Literal[]).map(lit) : lit(c.value as Literal);
      return { k: 'test', path, op: c.op, negated: c.negated, value };
    }
  }
}

export function canonicalPath(p: ObjectPath): ObjectPath {
  const steps: PathStep[] = p.steps.map((s, i) => {
    const prev = p.steps[i - 1];
    if ('prop' in s && prev && 'prop' in prev && prev.prop === 'hashes') return { prop: HASH_NAMES[s.prop.toLowerCase()] ?? s.prop };
    return s;
  });
  return { type: p.type, steps, text: pathText(p.type, steps) };
}

/** Values compared without regard to case: hashes (hex) and domain names. */
export function foldsCase(p: ObjectPath): boolean {
  return p.steps.some((s) => 'prop' in s && s.prop === 'hashes') || (p.type === 'domain-name' && p.text === 'domain-name:value');
}

