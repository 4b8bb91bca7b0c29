/**
 * Building ECS events: nested plain objects written by dotted path. Keys can come from the
 * network (CEF extension names, key=value pairs, JSON), so every write goes through
 * `setOwn`, which never assigns `__proto__` (that would replace the object's prototype).
 */
import type { EventRecord, FieldValue } from '../../core/index.js';

/** Writes an own property, even one named `__proto__`, as JSON.parse would make it. */
export function setOwn(target: EventRecord, key: string, value: FieldValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * An own property's value. Field values are never functions, and `__proto__` is the one
 * inherited property of a plain object that is not a function: those two checks stand in for
 * Object.hasOwn on the hot path.
 */
function ownValue(target: EventRecord, key: string): FieldValue | undefined {
  const value = target[key];
  if (typeof value === 'function') return undefined;
  if (key === '__proto__') return Object.hasOwn(target, key) ? value : undefined;
  return value;
}

const splitCache = new Map<string, string[]>();

function pathParts(path: string): string[] {
  let parts = splitCache.get(path);
  if (!parts) {
    parts = path.split('.');
    // Paths are our own constants plus vendor keys; the cap keeps hostile key variety bounded.
    if (splitCache.size < 4096) splitCache.set(path, parts);
  }
  return parts;
}

export function isRecord(value: FieldValue | undefined | unknown): value is EventRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `key`, created when absent (a scalar in the way is replaced). */
export function child(target: EventRecord, key: string): EventRecord {
  const existing = ownValue(target, key);
  if (isRecord(existing)) return existing;
  const created: EventRecord = {};
  setOwn(target, key, created);
  return created;
}

/**
 * Sets `path` (dotted: `source.ip`) to `value`. `undefined` and empty strings are not written:
 * ECS leaves a field out rather than storing it empty.
 */
export function put(event: EventRecord, path: string, value: FieldValue | undefined): void {
  if (value === undefined || value === '') return;
  const parts = pathParts(path);
  let target = event;
  for (let i = 0; i < parts.length - 1; i++) target = child(target, parts[i]!);
  setOwn(target, parts[parts.length - 1]!, value);
}

/** The value at a dotted path, if every step is an own property. */
export function get(event: EventRecord, path: string): FieldValue | undefined {
  const parts = pathParts(path);
  let value: FieldValue | undefined = event;
  for (const part of parts) {
    if (!isRecord(value)) return undefined;
    value = ownValue(value, part);
  }
  return value;
}

export function getString(event: EventRecord, path: string): string | undefined {
  const value = get(event, path);
  return typeof value === 'string' ? value : undefined;
}

/** Appends to the array at `path` unless the value is already there (ECS `related.*`). */
export function addUnique(event: EventRecord, path: string, value: FieldValue | undefined): void {
  if (value === undefined || value === '' || value === null) return;
  const existing = get(event, path);
  if (Array.isArray(existing)) {
    if (!existing.includes(value)) existing.push(value);
    return;
  }
  put(event, path, [value]);
}

/** Appends every value, keeping order and skipping ones already present. */
export function addAll(event: EventRecord, path: string, values: readonly FieldValue[]): void {
  for (const value of values) addUnique(event, path, value);
}

/** `related.ip`, `related.user`, `related.hosts` from the ECS fields that hold them. */
export function fillRelated(event: EventRecord): void {
  for (const path of ['source.ip', 'destination.ip', 'source.nat.ip', 'destination.nat.ip', 'client.ip', 'server.ip']) {
    const ip = getString(event, path);
    if (ip) addUnique(event, 'related.ip', ip);
  }
  for (const path of ['source.user.name', 'destination.user.name', 'user.name']) {
    const user = getString(event, path);
    if (user) addUnique(event, 'related.user', user);
  }
  for (const path of ['file.hash.md5', 'file.hash.sha1', 'file.hash.sha256']) {
    const hash = getString(event, path);
    if (hash) addUnique(event, 'related.hash', hash);
  }
}
