import { InputError, LianfangError } from '../../core/index.js';

/** SigmaHQ's all-rules zip is a few MiB; the whole source tarball is well under this. */
export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;
const MAX_REDIRECTS = 10;
/** A stalled connection fails after this long without a byte, however slow the link. */
const IDLE_TIMEOUT_MS = 60_000;

export const OFFLINE_HINT = 'use --from FILE with a downloaded sigma_all_rules.zip (https://github.com/SigmaHQ/sigma/releases)';

export interface DownloadContext {
  fetch: typeof fetch;
  /** Plain http to a non-loopback host is allowed only when the user pinned a sha256. */
  allowPlainHttp: boolean;
}

export interface Downloaded {
  bytes: Buffer;
  /** The URL after redirects. */
  url: string;
}

type OnBytes = (done: number, total?: number) => void;

/**
 * GETs a URL into memory. Redirects are followed by hand so every hop passes the same
 * http/https policy (fetch alone would follow an https → http downgrade).
 */
export async function download(url: string, ctx: DownloadContext, accept: string, onBytes?: OnBytes): Promise<Downloaded> {
  let current = parseUrl(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    checkAllowed(current, ctx.allowPlainHttp);
    const idle = new IdleTimer();
    try {
      const res = await send(current, ctx, accept, idle);
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (location !== null) {
        await res.body?.cancel();
        current = new URL(location, current);
        continue;
      }
      if (!res.ok) throw await httpError(current, res);
      return { bytes: await readBody(res, current, idle, onBytes), url: current.href };
    } finally {
      idle.stop();
    }
  }
  throw new LianfangError('rules_update.redirects', `${url}: too many redirects`, 'technical');
}

export function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new InputError('rules_update.bad_url', `not a valid URL: ${url}`);
  }
}

function checkAllowed(url: URL, allowPlainHttp: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    throw new InputError('rules_update.bad_url', `${url.href}: only http and https URLs are supported`);
  }
  if (allowPlainHttp || isLoopback(url.hostname)) return;
  throw new InputError(
    'rules_update.insecure_url',
    `refusing to download rules over plain http from ${url.host}: anyone on the way could swap them — use an https URL, or pin the archive with --sha256`,
  );
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function send(url: URL, ctx: DownloadContext, accept: string, idle: IdleTimer): Promise<Response> {
  try {
    return await ctx.fetch(url, {
      redirect: 'manual',
      signal: idle.signal,
      // GitHub's API refuses requests without a User-Agent.
      headers: { accept, 'user-agent': 'lianfang-rules-update', 'x-github-api-version': '2022-11-28' },
    });
  } catch (err) {
    throw unreachable(url, err, idle);
  }
}

async function readBody(res: Response, url: URL, idle: IdleTimer, onBytes?: OnBytes): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(declared) ? declared : undefined;
  if (total !== undefined && total > MAX_DOWNLOAD_BYTES) throw tooLarge(url);
  const chunks: Uint8Array[] = [];
  let done = 0;
  try {
    for await (const chunk of res.body ?? emptyStream()) {
      idle.touch();
      done += chunk.length;
      if (done > MAX_DOWNLOAD_BYTES) throw tooLarge(url);
      chunks.push(chunk);
      onBytes?.(done, total);
    }
  } catch (err) {
    if (err instanceof LianfangError) throw err;
    throw unreachable(url, err, idle, 'the download was interrupted');
  }
  return Buffer.concat(chunks, done);
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}

function tooLarge(url: URL): LianfangError {
  return new InputError('rules_update.too_large', `${url.href}: larger than ${MAX_DOWNLOAD_BYTES} bytes, which is not a rules archive`);
}

async function httpError(url: URL, res: Response): Promise<LianfangError> {
  await res.body?.cancel();
  if ((res.status === 403 || res.status === 429) && res.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? ` (it resets at ${new Date(reset * 1000).toISOString()})` : '';
    return new LianfangError('rules_update.rate_limited', `GitHub's API rate limit is used up${when} — try again later, or ${OFFLINE_HINT}`, 'technical');
  }
  const what = res.status === 404 ? 'not found' : `the server answered HTTP ${res.status} ${res.statusText}`.trim();
  return new LianfangError('rules_update.http_status', `${url.href}: ${what}`, 'technical');
}

function unreachable(url: URL, err: unknown, idle: IdleTimer, what = `could not reach ${url.host}`): LianfangError {
  const detail = idle.fired ? `no data for ${IDLE_TIMEOUT_MS / 1000} s (timed out)` : describe(err);
  return new LianfangError('rules_update.unreachable', `${what}: ${detail} — ${OFFLINE_HINT}`, 'technical', { cause: err });
}

const CODE_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found (offline, or a DNS problem)',
  EAI_AGAIN: 'host name lookup failed (offline, or a DNS problem)',
  ETIMEDOUT: 'connection timed out',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
};

/** undici reports `TypeError: fetch failed` and hides the useful part in `cause`. */
function describe(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CODE_TEXT[code]) return CODE_TEXT[code];
  if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return `TLS certificate problem (${code}) — a proxy may be intercepting https`;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** Aborts the request when no progress was made for IDLE_TIMEOUT_MS. */
class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor() {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, IDLE_TIMEOUT_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
