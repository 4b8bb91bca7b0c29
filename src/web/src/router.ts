import { useSyncExternalStore } from 'react';

/** The console's pages; `parseRoute` and `hrefOf` are inverse of each other. */
export type Route =
  | { readonly page: 'alerts' }
  | { readonly page: 'cases' }
  | { readonly page: 'case'; readonly ref: string }
  | { readonly page: 'rules'; readonly ruleId?: string }
  | { readonly page: 'ingest' }
  | { readonly page: 'vault' }
  | { readonly page: 'intel'; readonly tab: IntelTab }
  | { readonly page: 'not_found'; readonly path: string };

/** The Intel section's sub-pages, in the order of its tabs; `overview` lives at /intel. */
export const INTEL_TABS = ['overview', 'sector-alerts', 'indicators', 'ledger', 'collections', 'disclosures'] as const;
export type IntelTab = (typeof INTEL_TABS)[number];

function intelTabOf(segment: string | undefined): IntelTab | null {
  if (segment === undefined) return 'overview';
  return segment !== 'overview' && (INTEL_TABS as readonly string[]).includes(segment) ? (segment as IntelTab) : null;
}

function segmentsOf(pathname: string): string[] {
  return pathname.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s; // a stray '%' in a hand-typed address: take it as it is
    }
  });
}

export function parseRoute(pathname: string): Route {
  const [first, second, ...rest] = segmentsOf(pathname);
  if (rest.length > 0) return { page: 'not_found', path: pathname };
  if (first === undefined || (first === 'alerts' && second === undefined)) return { page: 'alerts' };
  if (first === 'cases') return second === undefined ? { page: 'cases' } : { page: 'case', ref: second };
  if (first === 'rules') return second === undefined ? { page: 'rules' } : { page: 'rules', ruleId: second };
  if (first === 'ingest' && second === undefined) return { page: 'ingest' };
  if (first === 'vault' && second === undefined) return { page: 'vault' };
  const tab = first === 'intel' ? intelTabOf(second) : null;
  if (tab !== null) return { page: 'intel', tab };
  return { page: 'not_found', path: pathname };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'alerts':
      return '/';
    case 'cases':
      return '/cases';
    case 'case':
      return `/cases/${encodeURIComponent(route.ref)}`;
    case 'rules':
      return route.ruleId === undefined ? '/rules' : `/rules/${encodeURIComponent(route.ruleId)}`;
    case 'ingest':
      return '/ingest';
    case 'vault':
      return '/vault';
    case 'intel':
      return route.tab === 'overview' ? '/intel' : `/intel/${route.tab}`;
    case 'not_found':
      return route.path;
  }
}

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

/** Goes to an address of the console without reloading the page. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search;
  if (href === here) return;
  if (opts.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  notify();
}

const snapshot = (): string => window.location.pathname + window.location.search;

/** The current path and query; re-renders on navigate() and on back/forward. */
export function useLocation(): { route: Route; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, 'http://console.invalid');
  return { route: parseRoute(url.pathname), search: url.searchParams, href };
}

/** Replaces some query parameters of the current address (filters kept in the URL survive reloads). */
export function withSearch(href: string, changes: Readonly<Record<string, string | undefined>>): string {
  const url = new URL(href, 'http://console.invalid');
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return url.pathname + url.search;
}
