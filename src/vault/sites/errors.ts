import { LianfangError, type ErrorCategory } from '../../core/index.js';

/** Error codes of the vault's sites. Messages name the site, its location and the operation. */
export const SITE_ERRORS = {
  /** A `--site` value that is not `name=DIR` or `name=sftp://user@host[:port]/path`. */
  spec: 'VAULT_SITE_SPEC',
  /** No answer within the configured time (connect, handshake or one request). */
  timeout: 'VAULT_SITE_TIMEOUT',
  /** The site could not be reached, or the connection dropped during an operation. */
  unreachable: 'VAULT_SITE_UNREACHABLE',
  /** The server offered a host key that nothing we trust lists. */
  hostKeyUnknown: 'VAULT_SITE_HOSTKEY_UNKNOWN',
  /** The server offered a host key other than the one pinned or known for it. */
  hostKeyChanged: 'VAULT_SITE_HOSTKEY_CHANGED',
  /** The server refused our key, or the private key file cannot be used. */
  auth: 'VAULT_SITE_AUTH',
  /** The site answered but the operation failed (permission, disk full, not a folder…). */
  io: 'VAULT_SITE_IO',
} as const;

export type SiteErrorCode = (typeof SITE_ERRORS)[keyof typeof SITE_ERRORS];

/**
 * A site failed. `site` is its name; the message starts with the site and its location
 * (never a secret: locations carry no passwords and key material is never quoted).
 */
export class SiteError extends LianfangError {
  readonly site: string;
  constructor(code: SiteErrorCode, site: string, message: string, options?: { cause?: unknown; category?: ErrorCategory }) {
    super(code, message, options?.category ?? 'technical', options?.cause === undefined ? undefined : { cause: options.cause });
    this.site = site;
  }
}
