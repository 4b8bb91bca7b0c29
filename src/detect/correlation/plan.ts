import type { ItemProblem } from '../../core/index.js';
import type { SigmaCorrelation } from '../sigma/types.js';
import { compileThreshold, type Threshold } from './condition.js';

export interface Route {
  /** Runner (position in Plan.correlations). */
  readonly idx: number;
  /** Position in that correlation's `rules`. */
  readonly slot: number;
}

/**
 * The correlations that can run, inner before outer (so a hit always reaches the
 * correlations that reference it), and how matches travel between them.
 */
export interface Plan {
  readonly correlations: readonly SigmaCorrelation[];
  readonly thresholds: readonly Threshold[];
  /** Correlations left out, with why. */
  readonly problems: readonly ItemProblem[];
  /** Base rule id/name → where its matches go. */
  readonly baseRoutes: ReadonlyMap<string, readonly Route[]>;
  /** Per runner: where its hits go (chaining). */
  readonly outers: readonly (readonly Route[])[];
  /** Per runner: referenced only by correlations with generate: false, so its hits stay internal. */
  readonly silent: readonly boolean[];
  /** Base rule id/name → `generate` of each correlation referencing it. */
  readonly baseGenerate: ReadonlyMap<string, readonly boolean[]>;
}

function whereOf(c: SigmaCorrelation): string {
  return `${c.file}:${c.line}`;
}

export function planCorrelations(all: readonly SigmaCorrelation[]): Plan {
  const reasons = new Map<number, string>();
  const keys = identify(all, reasons);
  const thresholds = all.map((c, i) => {
    const t = compileThreshold(c);
    const reason = typeof t === 'string' ? t : c.timespanMs > 0 ? undefined : 'timespan must be greater than zero';
    if (reason !== undefined && !reasons.has(i)) reasons.set(i, reason);
    return t;
  });
  // Per correlation and slot: the inner correlation the reference names, if it names one.
  const inners = all.map((c) => c.rules.map((r) => keys.get(r)));
  const order = topoOrder(inners, reasons, all);
  for (const i of order) {
    if (reasons.has(i)) continue;
    const bad = all[i]!.rules.find((_, s) => {
      const j = inners[i]![s];
      return j !== undefined && reasons.has(j);
    });
    if (bad !== undefined) reasons.set(i, `refers to correlation '${bad}', which cannot run`);
  }
  const valid = order.filter((i) => !reasons.has(i));
  const problems = [...reasons].sort(([a], [b]) => a - b).map(([i, reason]) => ({ where: whereOf(all[i]!), reason }));
  return { ...wire(all, valid, inners), thresholds: valid.map((i) => thresholds[i] as Threshold), problems };
}

/** id/name → correlation; a key used twice leaves the later correlation out. */
function identify(all: readonly SigmaCorrelation[], reasons: Map<number, string>): Map<string, number> {
  const keys = new Map<string, number>();
  all.forEach((c, i) => {
    for (const key of new Set([c.id, c.name])) {
      if (key === undefined) continue;
      const other = keys.get(key);
      if (other === undefined) keys.set(key, i);
      else reasons.set(i, `'${key}' already names the correlation at ${whereOf(all[other]!)}`);
    }
  });
  return keys;
}

/** Kahn's order over inner → outer; what never becomes free sits on or behind a loop. */
function topoOrder(inners: readonly (readonly (number | undefined)[])[], reasons: Map<number, string>, all: readonly SigmaCorrelation[]): number[] {
  const outersOf = inners.map(() => [] as number[]);
  const pending = inners.map((slots, i) => {
    const distinct = new Set(slots.filter((j): j is number => j !== undefined));
    for (const j of distinct) outersOf[j]!.push(i);
    return distinct.size;
  });
  const order: number[] = [];
  const ready = pending.flatMap((n, i) => (n === 0 ? [i] : []));
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(i);
    for (const o of outersOf[i]!) if (--pending[o]! === 0) ready.push(o);
  }
  pending.forEach((n, i) => {
    if (n > 0 && !reasons.has(i)) {
      reasons.set(i, `'${all[i]!.id ?? all[i]!.name ?? all[i]!.title}' is in, or depends on, a loop of correlations referring to each other`);
    }
  });
  return order;
}

function wire(
  all: readonly SigmaCorrelation[],
  valid: readonly number[],
  inners: readonly (readonly (number | undefined)[])[],
): Omit<Plan, 'thresholds' | 'problems'> {
  const runnerOf = new Map(valid.map((i, idx) => [i, idx] as const));
  const correlations = valid.map((i) => all[i]!);
  const baseRoutes = new Map<string, Route[]>();
  const baseGenerate = new Map<string, boolean[]>();
  const outers = valid.map(() => [] as Route[]);
  valid.forEach((i, idx) => {
    const c = all[i]!;
    c.rules.forEach((ref, slot) => {
      const inner = inners[i]![slot];
      if (inner !== undefined) {
        outers[runnerOf.get(inner)!]!.push({ idx, slot });
        return;
      }
      push(baseRoutes, ref, { idx, slot });
      push(baseGenerate, ref, c.generate);
    });
  });
  const silent = outers.map((routes) => routes.length > 0 && routes.every((r) => !correlations[r.idx]!.generate));
  return { correlations, baseRoutes, outers, silent, baseGenerate };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
