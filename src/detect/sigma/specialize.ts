import { EventView, type FieldTable } from './event-view.js';
import type { Pred } from './pred.js';

/** One scratch view per field table: an index build specialises thousands of rules. */
const views = new WeakMap<FieldTable, EventView>();

/**
 * A predicate simplified for events whose `field` is known to hold `value` (the engine knows
 * an event's EventID before it picks the rules to try). Tests of exact values on that field
 * become constants and the tree folds around them, so `EventID in (4656, 4663) and
 * ObjectName|endswith ...` is indexed by ObjectName in the 4663 index, not by an EventID
 * that every event there holds. Only exact-value tests are folded: they read nothing else.
 */
export function specialize(p: Pred, field: string, value: string, table: FieldTable): Pred {
  let view = views.get(table);
  if (view === undefined) views.set(table, (view = new EventView(table)));
  view.reset({ [field]: value });
  const at = view;
  const walk = (q: Pred): Pred => {
    switch (q.k) {
      case 'const':
        return q;
      case 'test':
        return q.field === field && q.atoms !== null && q.atoms.length > 0 && q.atoms.every((a) => a.op === 'eq')
          ? { k: 'const', value: q.fn(at) }
          : q;
      case 'not': {
        const arg = walk(q.arg);
        return arg.k === 'const' ? { k: 'const', value: !arg.value } : arg === q.arg ? q : { k: 'not', arg };
      }
      case 'and':
      case 'or': {
        // and: a false argument decides, true ones drop out; or: the other way round.
        const decides = q.k === 'or';
        const args: Pred[] = [];
        let changed = false;
        for (const a of q.args) {
          const s = walk(a);
          if (s !== a) changed = true;
          if (s.k === 'const') {
            if (s.value === decides) return s;
            continue;
          }
          args.push(s);
        }
        if (!changed) return q;
        if (args.length === 0) return { k: 'const', value: !decides };
        return args.length === 1 ? args[0]! : { k: q.k, args };
      }
    }
  };
  return walk(p);
}
