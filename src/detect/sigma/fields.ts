import type { EventRecord, FieldValue } from '../../core/index.js';

/**
 * The value of a Sigma field name in an event. A literal key wins (`process.command_line`
 * as one flat key); otherwise dots reach into nested objects (ECS), trying the longest
 * literal prefix at each level so `winlog.event_data.Image` works when `event_data` holds
 * `Image` and also when a key itself contains dots. Arrays along the path are searched
 * element by element and the results flattened. `undefined` means the field is absent.
 */
export function fieldValue(event: EventRecord, name: string): FieldValue | undefined {
  const direct = event[name];
  if (direct !== undefined) return direct;
  if (name.indexOf('.') < 0) return undefined;
  return nestedValue(event, name);
}

/** Lists nested in lists deeper than this are not searched (hostile input, not real events). */
const MAX_LIST_DEPTH = 16;

function nestedValue(node: FieldValue, path: string, lists = 0): FieldValue | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    if (lists >= MAX_LIST_DEPTH) return undefined;
    const found: FieldValue[] = [];
    for (const item of node) {
      const v = nestedValue(item, path, lists + 1);
      if (v === undefined) continue;
      if (Array.isArray(v)) found.push(...v);
      else found.push(v);
    }
    return found.length > 0 ? found : undefined;
  }
  const direct = node[path];
  if (direct !== undefined) return direct;
  // Longest prefix first: a key containing dots beats a deeper split.
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const child = node[path.slice(0, dot)];
    if (child === undefined || child === null || typeof child !== 'object') continue;
    const v = nestedValue(child, path.slice(dot + 1));
    if (v !== undefined) return v;
  }
  return undefined;
}
