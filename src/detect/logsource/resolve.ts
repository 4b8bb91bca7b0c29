import { CATEGORIES } from './categories.js';
import type { CategoryEntry } from './categories.js';
import { SERVICES } from './services.js';
import type { ServiceEntry } from './services.js';
import type { Logsource, LogsourceResolution, LogsourceTarget, MappingEntry } from './types.js';

const WINDOWS = 'windows';

function key(name: string | undefined): string {
  return String(name ?? '').trim().toLowerCase();
}

function indexBy<T>(entries: readonly T[], names: (e: T) => readonly string[]): Map<string, T> {
  const index = new Map<string, T>();
  for (const entry of entries) for (const name of names(entry)) index.set(key(name), entry);
  return index;
}

const CATEGORY_INDEX = indexBy(CATEGORIES, (e: CategoryEntry) => [e.category, ...(e.aliases ?? [])]);
const SERVICE_INDEX = indexBy(SERVICES, (e: ServiceEntry) => [e.service, ...(e.aliases ?? [])]);

function copyTarget(t: LogsourceTarget): LogsourceTarget {
  const conditions: Record<string, string[]> = {};
  for (const [field, values] of Object.entries(t.conditions)) conditions[field] = [...values];
  return { channels: [...t.channels], eventIds: [...t.eventIds], fieldMap: { ...t.fieldMap }, conditions };
}

function serviceTarget(entry: ServiceEntry): LogsourceTarget {
  return { channels: [...entry.channels], eventIds: [], fieldMap: { ...(entry.fieldMap ?? {}) }, conditions: {} };
}

/** Any event in any Windows channel: `product: windows` and nothing else. */
function anyWindowsTarget(): LogsourceTarget {
  return { channels: [], eventIds: [], fieldMap: {}, conditions: {} };
}

function unmapped(reason: string): LogsourceResolution {
  return { kind: 'unmapped', reason };
}

/** Narrow a category's targets to the channels a service also named (`category` + `service`). */
function restrictToService(targets: LogsourceTarget[], service: ServiceEntry): LogsourceTarget[] {
  const allowed = new Set(service.channels.map(key));
  const out: LogsourceTarget[] = [];
  for (const t of targets) {
    const channels = t.channels.length === 0 ? [...service.channels] : t.channels.filter((c) => allowed.has(key(c)));
    if (channels.length > 0) out.push({ ...t, channels });
  }
  return out;
}

function resolveCategory(ls: Logsource): LogsourceResolution {
  const entry = CATEGORY_INDEX.get(key(ls.category));
  if (!entry) return unmapped(`category '${ls.category}' is not a Windows event log source we know`);
  let targets = entry.targets.map(copyTarget);
  if (key(ls.service) !== '') {
    const service = SERVICE_INDEX.get(key(ls.service));
    if (!service) return unmapped(`service '${ls.service}' is not a Windows event log we know`);
    targets = restrictToService(targets, service);
    if (targets.length === 0) {
      return unmapped(`category '${ls.category}' is never written to the channels of service '${ls.service}'`);
    }
  }
  return { kind: 'targets', targets };
}

function resolveService(ls: Logsource): LogsourceResolution {
  const entry = SERVICE_INDEX.get(key(ls.service));
  if (!entry) return unmapped(`service '${ls.service}' is not a Windows event log we know`);
  return { kind: 'targets', targets: [serviceTarget(entry)] };
}

/**
 * Where a Sigma rule's events live in Windows event logs. Names compare case-insensitively.
 * No product is read as "any product", which for us means Windows: a product-less
 * `process_creation` rule gets the Windows targets, a product-less `proxy` rule is unmapped.
 */
export function resolveLogsource(ls: Logsource): LogsourceResolution {
  const product = key(ls.product);
  if (product !== '' && product !== WINDOWS) {
    return unmapped(`product '${ls.product}' is not Windows; only Windows event logs are mapped`);
  }
  if (key(ls.category) !== '') return resolveCategory(ls);
  if (key(ls.service) !== '') return resolveService(ls);
  if (product === WINDOWS) return { kind: 'targets', targets: [anyWindowsTarget()] };
  return { kind: 'any' };
}

function categoryRows(): MappingEntry[] {
  const rows: MappingEntry[] = [];
  for (const entry of CATEGORIES) {
    for (const category of [entry.category, ...(entry.aliases ?? [])]) {
      rows.push({ product: WINDOWS, category, targets: entry.targets.map(copyTarget) });
    }
  }
  return rows;
}

function serviceRows(): MappingEntry[] {
  const rows: MappingEntry[] = [];
  for (const entry of SERVICES) {
    for (const service of [entry.service, ...(entry.aliases ?? [])]) {
      rows.push({ product: WINDOWS, service, targets: [serviceTarget(entry)] });
    }
  }
  return rows;
}

/** The whole table we ship: `product: windows` alone, every category, every service (aliases as rows). */
export function describeMappings(): Array<{ product: string; category?: string; service?: string; targets: LogsourceTarget[] }> {
  return [{ product: WINDOWS, targets: [anyWindowsTarget()] }, ...categoryRows(), ...serviceRows()];
}
