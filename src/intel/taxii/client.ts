import { LianfangError } from '../../core/index.js';
import type { TaxiiStatus } from './status.js';

export type TaxiiAuth = { readonly token: string } | { readonly user: string; readonly password: string };

export interface RemoteCollection {
  readonly id: string;
  readonly title: string;
  readonly can_read: boolean;
  readonly can_write: boolean;
}

export interface ObjectsPage {
  readonly objects: Record<string, unknown>[];
  readonly more: boolean;
  readonly next?: string;
  /** X-TAXII-Date-Added-Last: where an incremental pull resumes. */
  readonly dateAddedLast?: string;
}

export interface PullOptions {
  readonly addedAfter?: string;
  readonly types?: readonly string[];
  readonly limit?: number;
}

const TAXII = 'application/taxii+json;version=2.1';

/** A failed TAXII call, with the server's error object when it sent one. */
export class TaxiiClientError extends LianfangError {
  constructor(readonly status: number, message: string) {
    super('TAXII_REMOTE', message, status === 401 || status === 403 ? 'not_allowed' : status === 404 ? 'not_found' : status >= 500 || status === 0 ? 'technical' : 'input');
  }
}

/**
 * A TAXII 2.1 client for one API root: what a member's instance uses to pull from and push
 * to the hub, and what imports from any other TAXII server use.
 */
export class TaxiiClient {
  readonly apiRoot: string;

  constructor(apiRoot: string, private readonly auth: TaxiiAuth, private readonly timeoutMs = 30_000) {
    this.apiRoot = apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`;
  }

  /** Finds the default API root from a discovery URL (…/taxii2/). */
  static async discover(discoveryUrl: string, auth: TaxiiAuth): Promise<TaxiiClient> {
    const probe = new TaxiiClient(discoveryUrl, auth);
    const d = await probe.request('GET', discoveryUrl);
    const root = typeof d.body['default'] === 'string' ? d.body['default'] : Array.isArray(d.body['api_roots']) ? String(d.body['api_roots'][0] ?? '') : '';
    if (!root) throw new TaxiiClientError(d.status, `${discoveryUrl} names no API root`);
    return new TaxiiClient(new URL(root, discoveryUrl).toString(), auth);
  }

  private header(): string {
    return 'token' in this.auth ? `Bearer ${this.auth.token}` : `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`;
  }

  private async request(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { accept: TAXII, authorization: this.header(), ...(body !== undefined ? { 'content-type': TAXII } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // fetch says only 'fetch failed'; the reason (refused, DNS, TLS…) is its cause.
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      const why = cause?.code ?? cause?.message;
      throw new TaxiiClientError(0, `${method} ${url}: ${(err as Error).message}${why ? ` (${why})` : ''}`);
    }
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    if (text) {
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) parsed = v as Record<string, unknown>;
      } catch {
        throw new TaxiiClientError(res.status, `${method} ${url}: the answer is not JSON (HTTP ${res.status})`);
      }
    }
    if (!res.ok) {
      const why = typeof parsed['description'] === 'string' ? parsed['description'] : typeof parsed['title'] === 'string' ? parsed['title'] : `HTTP ${res.status}`;
      throw new TaxiiClientError(res.status, `${method} ${url}: ${res.status} ${why}`);
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async collections(): Promise<RemoteCollection[]> {
    const r = await this.request('GET', `${this.apiRoot}collections/`);
    const list = Array.isArray(r.body['collections']) ? (r.body['collections'] as Record<string, unknown>[]) : [];
    return list.map((c) => ({ id: String(c['id']), title: String(c['title'] ?? ''), can_read: c['can_read'] === true, can_write: c['can_write'] === true }));
  }

  collectionUrl(collectionId: string): string {
    return `${this.apiRoot}collections/${encodeURIComponent(collectionId)}/`;
  }

  /** One page of objects; `next` from the previous page continues the same query. */
  async objects(collectionId: string, opts: PullOptions & { next?: string } = {}): Promise<ObjectsPage> {
    const q = new URLSearchParams();
    if (opts.addedAfter) q.set('added_after', opts.addedAfter);
    if (opts.types && opts.types.length > 0) q.set('match[type]', opts.types.join(','));
    if (opts.limit) q.set('limit', String(opts.limit));
    if (opts.next) q.set('next', opts.next);
    const r = await this.request('GET', `${this.collectionUrl(collectionId)}objects/${q.size > 0 ? `?${q}` : ''}`);
    const objects = Array.isArray(r.body['objects']) ? (r.body['objects'] as Record<string, unknown>[]) : [];
    const last = r.headers.get('x-taxii-date-added-last');
    return { objects, more: r.body['more'] === true, ...(typeof r.body['next'] === 'string' ? { next: r.body['next'] } : {}), ...(last ? { dateAddedLast: last } : {}) };
  }

  /**
   * Everything added after `addedAfter`, page by page. Each page is handed over with the
   * date_added to resume from, so a caller that stores it after each page resumes there
   * after a crash and never asks twice for what it has.
   */
  async *pull(collectionId: string, opts: PullOptions = {}): AsyncGenerator<ObjectsPage> {
    let next: string | undefined;
    do {
      const page = await this.objects(collectionId, { ...opts, ...(next ? { next } : {}) });
      if (page.objects.length > 0) yield page;
      next = page.more ? page.next : undefined;
    } while (next);
  }

  /** Posts objects in envelopes of at most `chunk` objects; one status per envelope. */
  async push(collectionId: string, objects: readonly Record<string, unknown>[], chunk = 1000): Promise<TaxiiStatus[]> {
    const out: TaxiiStatus[] = [];
    for (let i = 0; i < objects.length; i += chunk) {
      const r = await this.request('POST', `${this.collectionUrl(collectionId)}objects/`, { objects: objects.slice(i, i + chunk) });
      out.push(r.body as unknown as TaxiiStatus);
    }
    return out;
  }
}
