import type { EventView } from './event-view.js';
import type { Literal } from './match.js';

/**
 * Compiled predicate trees: closures to run, structure to index (necessary literals) and to
 * explain (which fields matched).
 */
/** A necessary condition for a rule: field text must satisfy the literal. */
export interface IndexAtom extends Literal {
  /** Event field name (after logsource renames); '' means any field (keywords). */
  readonly field: string;
}

export type Test = (v: EventView) => boolean;

/** A compiled predicate tree: closures to run, structure to index and explain. */
export type Pred =
  | { readonly k: 'and' | 'or'; readonly args: readonly Pred[] }
  | { readonly k: 'not'; readonly arg: Pred }
  | { readonly k: 'const'; readonly value: boolean }
  | {
      readonly k: 'test';
      readonly field: string;
      /** Any one of these must hold for the test to pass; null when unknown. */
      readonly atoms: readonly IndexAtom[] | null;
      readonly fn: Test;
    };

/** Turns a predicate tree into one closure. */
export function toClosure(p: Pred): Test {
  switch (p.k) {
    case 'const': {
      const value = p.value;
      return () => value;
    }
    case 'test':
      return p.fn;
    case 'not': {
      const f = toClosure(p.arg);
      return (v) => !f(v);
    }
    case 'and': {
      const fs = p.args.map(toClosure);
      if (fs.length === 2) {
        const [a, b] = fs as [Test, Test];
        return (v) => a(v) && b(v);
      }
      return (v) => {
        for (const f of fs) if (!f(v)) return false;
        return true;
      };
    }
    case 'or': {
      const fs = p.args.map(toClosure);
      if (fs.length === 2) {
        const [a, b] = fs as [Test, Test];
        return (v) => a(v) || b(v);
      }
      return (v) => {
        for (const f of fs) if (f(v)) return true;
        return false;
      };
    }
  }
}

/** At most this many alternative cuts are kept per predicate (an `or` multiplies them). */
const MAX_CUTS = 8;

/**
 * Every known set of atoms at least one of which holds whenever `p` does, best first by
 * `atomCost`: each argument of an `and` offers its own, an `or` needs one from each
 * argument. `[[]]` means `p` never holds; `[]` means no cut is known. The engine picks among
 * them by how often each fires on the events it sees.
 */
export function alternativeCuts(p: Pred): IndexAtom[][] {
  switch (p.k) {
    case 'const':
      return p.value ? [] : [[]];
    case 'test':
      return p.atoms === null ? [] : [[...p.atoms]];
    case 'not':
      return [];
    case 'and': {
      const out: IndexAtom[][] = [];
      for (const a of p.args) {
        const cuts = alternativeCuts(a);
        if (cuts.some((c) => c.length === 0)) return [[]];
        out.push(...cuts);
      }
      return bestCuts(out);
    }
    case 'or': {
      let combos: IndexAtom[][] = [[]];
      for (const a of p.args) {
        const cuts = alternativeCuts(a);
        if (cuts.length === 0) return [];
        if (cuts.length === 1 && cuts[0]!.length === 0) continue; // a branch that never holds
        const next: IndexAtom[][] = [];
        for (const c of combos) for (const d of cuts) next.push([...c, ...d]);
        combos = bestCuts(next);
      }
      return combos.length === 1 && combos[0]!.length === 0 ? [[]] : combos;
    }
  }
}

function bestCuts(cuts: IndexAtom[][]): IndexAtom[][] {
  const unique = new Map<string, IndexAtom[]>();
  for (const c of cuts) {
    const key = c.map((a) => `${a.field}\u0000${a.op}\u0000${a.lit}`).sort().join('\u0001');
    if (!unique.has(key)) unique.set(key, c);
  }
  return [...unique.values()].sort((a, b) => atomCost(a) - atomCost(b)).slice(0, MAX_CUTS);
}

/** Lower is a better index key: few atoms with long literals; exact values best. */
function atomCost(atoms: readonly IndexAtom[]): number {
  let cost = 0;
  for (const a of atoms) {
    const weight = a.op === 'eq' ? 1 : a.op === 'contains' ? 4 : 2;
    cost += weight * (1 + 8 / (1 + a.lit.length)) * (a.field === '' ? 8 : 1);
  }
  return cost;
}

/** Fields whose tests held in a matching event (positive branches only), for the alert. */
export function matchedFields(p: Pred, v: EventView, out: Set<string>): boolean {
  switch (p.k) {
    case 'const':
      return p.value;
    case 'test': {
      const ok = p.fn(v);
      if (ok && p.field !== '') out.add(p.field);
      return ok;
    }
    case 'not':
      return !toClosure(p.arg)(v);
    case 'and': {
      const local = new Set<string>();
      for (const a of p.args) if (!matchedFields(a, v, local)) return false;
      for (const f of local) out.add(f);
      return true;
    }
    case 'or': {
      let any = false;
      for (const a of p.args) if (matchedFields(a, v, out)) any = true;
      return any;
    }
  }
}


/**
 * The values a field must equal for `p` to hold (case-folded), or null if `p` does not pin
 * the field. The engine uses it to file a rule under the event ids its detection names.
 */
export function requiredEquals(p: Pred, field: string): string[] | null {
  switch (p.k) {
    case 'test':
      return p.field === field && p.atoms !== null && p.atoms.length > 0 && p.atoms.every((a) => a.op === 'eq')
        ? p.atoms.map((a) => a.lit)
        : null;
    case 'and': {
      for (const a of p.args) {
        const v = requiredEquals(a, field);
        if (v !== null) return v;
      }
      return null;
    }
    case 'or': {
      const out: string[] = [];
      for (const a of p.args) {
        const v = requiredEquals(a, field);
        if (v === null) return null;
        out.push(...v);
      }
      return out;
    }
    default:
      return null;
  }
}
