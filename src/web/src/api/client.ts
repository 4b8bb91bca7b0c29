import type { ApiErrorBody } from './types.js';

/** An API answer other than 2xx, with the server's code, message and where (when given). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly where?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Readonly<Record<string, QueryValue>>;

/** `?a=1&b=x&b=y`: empty values are left out, lists repeat the key (the server coerces them to arrays). */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function isErrorBody(x: unknown): x is ApiErrorBody {
  return typeof x === 'object' && x !== null && typeof (x as ApiErrorBody).error === 'string' && typeof (x as ApiErrorBody).message === 'string';
}

/** Turns a failed response into an ApiError, whatever its body was. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) return new ApiError(res.status, body.error, body.message, body.where);
  return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText || `HTTP ${res.status}`);
}

export interface ApiClient {
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  /** Raw bytes (evidence download). */
  blob(path: string): Promise<Blob>;
}

/**
 * The API over fetch with the bearer token. A 401 means the token no longer works (revoked,
 * or the server forgot it): `onUnauthorized` signs the console out instead of showing a
 * broken page.
 */
export function createApiClient(token: string, onUnauthorized: () => void, base = ''): ApiClient {
  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
    if (res.ok) return res;
    const err = await errorOf(res);
    if (res.status === 401) onUnauthorized();
    throw err;
  };
  return {
    async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
      return (await (await call('GET', path + queryString(query), undefined, signal)).json()) as T;
    },
    async post<T>(path: string, body: unknown): Promise<T> {
      return (await (await call('POST', path, body)).json()) as T;
    },
    async patch<T>(path: string, body: unknown): Promise<T> {
      return (await (await call('PATCH', path, body)).json()) as T;
    },
    async blob(path: string): Promise<Blob> {
      return (await call('GET', path)).blob();
    },
  };
}

/** Checks a token before keeping it: who it belongs to, or why not. */
export async function whoAmI(token: string, base = ''): Promise<{ actor: string; roles: string[]; tenant: string }> {
  const res = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token.trim()}` } });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as { actor: string; roles: string[]; tenant: string };
}
