import { InputError } from '../../core/index.js';
import { SITE_ERRORS } from './errors.js';

/** A site on a local directory or a mounted path (NFS, SMB, removable disk). */
export interface LocalSiteSpec {
  readonly name: string;
  readonly kind: 'local';
  /** As written; `openSite` resolves a relative path against the working folder. */
  readonly path: string;
}

/** A site on an SFTP server, reached with key authentication. */
export interface SftpSiteSpec {
  readonly name: string;
  readonly kind: 'sftp';
  readonly user: string;
  /** Host name or IP address; an IPv6 address without its brackets. */
  readonly host: string;
  readonly port: number;
  /** Absolute folder on the server, or `~/…` for a folder below the user's home. */
  readonly path: string;
}

export type SiteSpec = LocalSiteSpec | SftpSiteSpec;

const MAX_NAME = 64;

/**
 * Parses a `--site` value: `name=DIR` or `name=sftp://user@host[:port]/path`.
 * The SFTP path is absolute (`sftp://u@h/srv/vault` → `/srv/vault`), as curl reads it;
 * `sftp://u@h/~/vault` means `vault` below the user's home. Passwords in the URL are refused:
 * sites authenticate with keys, and a password would end up in shell history and configs.
 *
 * @example
 * parseSiteSpec('third=sftp://vault@dr-site:2222/srv/vault')
 * // → { name: 'third', kind: 'sftp', user: 'vault', host: 'dr-site', port: 2222, path: '/srv/vault' }
 */
export function parseSiteSpec(text: string): SiteSpec {
  const where = 'site';
  const eq = text.indexOf('=');
  if (eq < 0) throw specError('has no "=": write name=DIR or name=sftp://user@host/path', where);
  const name = text.slice(0, eq);
  checkSiteName(name);
  const location = text.slice(eq + 1);
  const at = `site ${name}`;
  if (location.length === 0) throw specError('has an empty location after "="', at);
  if (hasControl(location)) throw specError('location has a control character', at);
  const scheme = schemeOf(location);
  if (scheme === null) return { name, kind: 'local', path: location };
  if (scheme !== 'sftp') throw specError(`scheme "${scheme}://" is not supported; use a folder or sftp://`, at);
  return { name, kind: 'sftp', ...parseSftpUrl(location.slice('sftp://'.length), at) };
}

/** Site names are lower-case `[a-z0-9_-]`, start with a letter or digit, at most 64 long. */
export function checkSiteName(name: string): void {
  if (name.length === 0) throw specError('site name is empty (write name=DIR)', 'site');
  if (name.length > MAX_NAME) throw specError(`site name is longer than ${MAX_NAME} characters`, 'site');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && !(i > 0 && (c === 0x2d || c === 0x5f))) {
      throw specError(`site name "${clip(name)}" has character ${JSON.stringify(name[i])} at ${i}; use lower-case letters, digits, - and _`, 'site');
    }
  }
}

/** The location as shown to people: the folder, or the URL with user, host and port. */
export function formatSiteLocation(spec: SiteSpec): string {
  if (spec.kind === 'local') return spec.path;
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  const path = spec.path.startsWith('~/') ? `/${spec.path}` : spec.path;
  return `sftp://${spec.user}@${host}:${spec.port}${path}`;
}

function parseSftpUrl(rest: string, at: string): Omit<SftpSiteSpec, 'name' | 'kind'> {
  const slash = rest.indexOf('/');
  if (slash < 0) throw specError('sftp URL has no path: write sftp://user@host/path', at);
  const authority = rest.slice(0, slash);
  const rawPath = rest.slice(slash);
  if (rawPath.includes('?') || rawPath.includes('#')) throw specError('sftp URL must not have a query (?) or fragment (#)', at);
  const atSign = authority.lastIndexOf('@');
  if (atSign < 0) throw specError('sftp URL has no user: write sftp://user@host/path', at);
  const userInfo = authority.slice(0, atSign);
  if (userInfo.includes(':')) throw specError('sftp URL has a password; sites use key authentication, remove it', at);
  const user = decode(userInfo, 'user', at);
  if (user.length === 0) throw specError('sftp URL has an empty user', at);
  const { host, port } = parseHostPort(authority.slice(atSign + 1), at);
  return { user, host, port, path: parseRemotePath(rawPath, at) };
}

function parseHostPort(hostPort: string, at: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw specError('sftp URL has "[" without "]" around an IPv6 address', at);
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after.length > 0 && !after.startsWith(':')) throw specError(`unexpected "${clip(after)}" after "]"`, at);
    if (after.length > 0) portText = after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) portText = hostPort.slice(colon + 1);
  }
  if (host.length === 0) throw specError('sftp URL has an empty host', at);
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x3a || c === 0x5f;
    if (!ok) throw specError(`sftp host "${clip(host)}" has character ${JSON.stringify(host[i])}`, at);
  }
  return { host, port: portText === undefined ? 22 : parsePort(portText, at) };
}

function parsePort(text: string, at: string): number {
  if (text.length === 0 || text.length > 5) throw specError(`port "${clip(text)}" is not a number from 1 to 65535`, at);
  let port = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw specError(`port "${clip(text)}" is not a number from 1 to 65535`, at);
    port = port * 10 + (c - 0x30);
  }
  if (port < 1 || port > 65535) throw specError(`port ${port} is not from 1 to 65535`, at);
  return port;
}

function parseRemotePath(rawPath: string, at: string): string {
  const path = decode(rawPath, 'path', at);
  const home = path === '/~' || path.startsWith('/~/');
  const rel = home ? path.slice(2) : path;
  const parts = rel.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '.' || p === '..')) throw specError('sftp path must not have "." or ".." segments', at);
  if (home) return parts.length === 0 ? '~' : `~/${parts.join('/')}`;
  if (parts.length === 0) throw specError('sftp path is "/": give the folder the vault may use, e.g. /srv/vault', at);
  return `/${parts.join('/')}`;
}

function decode(text: string, what: string, at: string): string {
  let out: string;
  try {
    out = decodeURIComponent(text);
  } catch {
    throw specError(`sftp ${what} has a bad %-escape`, at);
  }
  if (hasControl(out)) throw specError(`sftp ${what} has a control character`, at);
  return out;
}

/** `sftp` for `sftp://…`; null when the text is a path (no `scheme://` prefix). */
function schemeOf(location: string): string | null {
  const sep = location.indexOf('://');
  if (sep <= 0) return null;
  for (let i = 0; i < sep; i++) {
    const c = location.charCodeAt(i) | 0x20;
    const ok = (c >= 0x61 && c <= 0x7a) || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e));
    if (!ok) return null;
  }
  return location.slice(0, sep).toLowerCase();
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function specError(message: string, where: string): InputError {
  return new InputError(SITE_ERRORS.spec, message, where);
}
