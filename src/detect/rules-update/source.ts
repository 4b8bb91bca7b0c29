import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, errorMessage } from '../../core/index.js';
import { download, MAX_DOWNLOAD_BYTES, OFFLINE_HINT, type DownloadContext } from './download.js';

export const DEFAULT_RELEASE_URL = 'https://api.github.com/repos/SigmaHQ/sigma/releases/latest';
/** SigmaHQ's release packages: core, core+, core++, emerging threats, all rules. We want all. */
export const PREFERRED_ASSET = 'sigma_all_rules.zip';

const ARCHIVE_NAME = /\.(zip|tar\.gz|tgz)$/i;
const GITHUB_JSON = 'application/vnd.github+json, application/json;q=0.9, */*;q=0.5';
const ANY = '*/*';

export interface ExpectedDigest {
  algorithm: string;
  hex: string;
  /** Who vouches for it, for the error message. */
  from: 'the release' | '--sha256';
}

export interface FetchedArchive {
  bytes: Buffer;
  /** The URL or absolute path the archive came from (before redirects, so it stays readable). */
  source: string;
  version?: string;
  digests: ExpectedDigest[];
}

interface Loaded {
  bytes: Buffer;
  source: string;
}

type OnBytes = (done: number, total?: number) => void;

/**
 * Gets the archive `from` names: an archive (URL or file) directly, or a GitHub release
 * document (URL or saved file) whose asset is then downloaded. Which one it is, is decided
 * by the content — a JSON object is a release document, anything else must be an archive —
 * so mirrors and API URLs without a file extension work.
 */
export async function fetchArchive(from: string, ctx: DownloadContext, onBytes?: OnBytes): Promise<FetchedArchive> {
  // A release document is small; only show progress once we are sure to fetch an archive.
  const first = await load(from, ctx, ARCHIVE_NAME.test(from) ? onBytes : undefined);
  if (!looksLikeJson(first.bytes)) {
    const version = versionFromUrl(first.source);
    return { ...first, digests: [], ...(version ? { version } : {}) };
  }
  const release = parseRelease(first.bytes, first.source);
  const asset = chooseAsset(release, first.source);
  const got = await download(asset.url, ctx, ANY, onBytes);
  return {
    bytes: got.bytes,
    source: asset.url,
    digests: asset.digest ? [asset.digest] : [],
    ...(release.tag ? { version: release.tag } : {}),
  };
}

async function load(from: string, ctx: DownloadContext, onBytes?: OnBytes): Promise<Loaded> {
  if (/^https?:\/\//i.test(from)) {
    const got = await download(from, ctx, ARCHIVE_NAME.test(from) ? ANY : GITHUB_JSON, onBytes);
    return { bytes: got.bytes, source: from };
  }
  if (/^file:/i.test(from)) return readLocal(fileURLToPath(from), onBytes);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(from)) {
    throw new InputError('rules_update.bad_url', `${from}: only http, https and local files are supported`);
  }
  return readLocal(resolve(from), onBytes);
}

async function readLocal(path: string, onBytes?: OnBytes): Promise<Loaded> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new InputError('rules_update.bad_source', 'is a folder; give the downloaded archive (.zip or .tar.gz) instead', path);
    }
    if (info.size > MAX_DOWNLOAD_BYTES) {
      throw new InputError('rules_update.too_large', `larger than ${MAX_DOWNLOAD_BYTES} bytes, which is not a rules archive`, path);
    }
    const bytes = await readFile(path);
    onBytes?.(bytes.length, bytes.length);
    return { bytes, source: path };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : `cannot read it (${errorMessage(err)})`;
    throw new InputError('rules_update.bad_source', what, path, { cause: err });
  }
}

function looksLikeJson(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 64).toString('utf8').trimStart();
  return head.startsWith('{');
}

interface Release {
  tag?: string;
  assets: { name: string; url: string; digest?: ExpectedDigest }[];
}

/** Reads the parts of GitHub's release JSON we use: tag_name, assets[].name/browser_download_url/digest. */
function parseRelease(bytes: Buffer, where: string): Release {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InputError('rules_update.bad_release', `neither an archive nor valid JSON (${errorMessage(err)})`, where);
  }
  const obj = asRecord(doc);
  if (!obj || !Array.isArray(obj['assets'])) {
    const said = typeof obj?.['message'] === 'string' ? ` (it says: ${obj['message']})` : '';
    throw new InputError('rules_update.bad_release', `not a GitHub release document: it has no 'assets' list${said}`, where);
  }
  const assets = obj['assets'].flatMap((raw) => {
    const a = asRecord(raw);
    if (!a || typeof a['name'] !== 'string' || typeof a['browser_download_url'] !== 'string') return [];
    const digest = parseDigest(a['digest'], a['name'], where);
    return [{ name: a['name'], url: a['browser_download_url'], ...(digest ? { digest } : {}) }];
  });
  const tag = typeof obj['tag_name'] === 'string' ? obj['tag_name'] : undefined;
  return { assets, ...(tag ? { tag } : {}) };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** GitHub writes `sha256:<hex>`; older assets have `null` (then only --sha256 can pin them). */
function parseDigest(raw: unknown, asset: string, where: string): ExpectedDigest | undefined {
  if (raw === null || raw === undefined) return undefined;
  const m = typeof raw === 'string' ? /^([a-z0-9-]+):([0-9a-f]+)$/i.exec(raw.trim()) : null;
  if (!m) throw new InputError('rules_update.bad_release', `the digest listed for ${asset} is malformed: ${String(raw)}`, where);
  return { algorithm: m[1]!.toLowerCase(), hex: m[2]!.toLowerCase(), from: 'the release' };
}

function chooseAsset(release: Release, where: string): Release['assets'][number] {
  const archives = release.assets.filter((a) => ARCHIVE_NAME.test(a.name));
  const chosen = archives.find((a) => a.name === PREFERRED_ASSET) ?? (archives.length === 1 ? archives[0] : undefined);
  if (chosen) return chosen;
  const names = release.assets.map((a) => a.name).join(', ') || 'none';
  throw new InputError(
    'rules_update.no_asset',
    `the release ${release.tag ?? ''} has no ${PREFERRED_ASSET} (its assets: ${names}) — pass the archive's URL with --from, or ${OFFLINE_HINT}`.replace('  ', ' '),
    where,
  );
}

/** `…/releases/download/r2024-09-02/sigma_all_rules.zip` or `…/archive/refs/tags/r2024-09-02.tar.gz`. */
export function versionFromUrl(source: string): string | undefined {
  const m = /\/releases\/download\/([^/]+)\/[^/]+$/.exec(source) ?? /\/archive\/refs\/tags\/([^/]+?)\.(?:zip|tar\.gz|tgz)$/.exec(source);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** SigmaHQ tags releases `rYYYY-MM-DD`; GitHub tarballs of a tag unpack to `sigma-<tag>/`. */
export function versionFromWrapper(wrapper: string | undefined): string | undefined {
  const m = wrapper ? /^sigma-(r\d{4}-\d{2}-\d{2}.*)$/.exec(wrapper) : null;
  return m ? m[1] : undefined;
}
