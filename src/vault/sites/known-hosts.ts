import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What we trust for one SFTP host: pins from the vault config and a known_hosts text. */
export interface HostKeyTrust {
  /**
   * Pinned host keys: `SHA256:<base64>` fingerprints (as `ssh-keygen -lf` prints them) or
   * public key lines `ssh-ed25519 AAAA…`. A pin overrides known_hosts.
   */
  readonly pins?: readonly string[];
  /** Contents of an OpenSSH known_hosts file (plain or hashed host names, `[host]:port`). */
  readonly knownHosts?: string;
}

export type HostKeyVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown' | 'changed' | 'revoked'; readonly fingerprint: string; readonly keyType: string };

/** OpenSSH's fingerprint of a host key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function hostKeyFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`…), or `?`. */
export function hostKeyType(blob: Uint8Array): string {
  if (blob.length < 4) return '?';
  const len = ((blob[0]! << 24) | (blob[1]! << 16) | (blob[2]! << 8) | blob[3]!) >>> 0;
  if (len === 0 || len > 64 || 4 + len > blob.length) return '?';
  return Buffer.from(blob.subarray(4, 4 + len)).toString('latin1');
}

/**
 * Decides whether `blob`, the key `host:port` offered, is trusted. Pins, when present, are the
 * only truth (the vault config is signed off by people; known_hosts is a convenience).
 * Otherwise known_hosts lines for the host decide: a match is trusted, a line of the same key
 * type with another key means the key changed, `@revoked` refuses, nothing means unknown.
 */
export function checkHostKey(host: string, port: number, blob: Uint8Array, trust: HostKeyTrust): HostKeyVerdict {
  const fingerprint = hostKeyFingerprint(blob);
  const keyType = hostKeyType(blob);
  const refuse = (reason: 'unknown' | 'changed' | 'revoked'): HostKeyVerdict => ({ ok: false, reason, fingerprint, keyType });
  const pins = trust.pins ?? [];
  if (pins.length > 0) return pins.some((p) => pinMatches(p, fingerprint, blob)) ? { ok: true } : refuse('changed');
  let sameTypeOther = false;
  let matched = false;
  for (const entry of parseKnownHosts(trust.knownHosts ?? '')) {
    if (!hostMatches(entry.hosts, host, port)) continue;
    const same = equalBytes(entry.blob, blob);
    if (entry.marker === 'revoked') {
      if (same) return refuse('revoked');
      continue;
    }
    if (same) matched = true;
    else if (entry.keyType === keyType) sameTypeOther = true;
  }
  if (matched) return { ok: true };
  return refuse(sameTypeOther ? 'changed' : 'unknown');
}

interface KnownHostsEntry {
  readonly marker: 'revoked' | null;
  readonly hosts: string;
  readonly keyType: string;
  readonly blob: Uint8Array;
}

/**
 * The usable lines of a known_hosts text. Comments, blank lines, `@cert-authority` lines
 * (we do not do host certificates) and lines that do not parse are skipped, as ssh does.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const fields = splitFields(raw.trim());
    if (fields.length === 0 || fields[0]!.startsWith('#')) continue;
    let marker: 'revoked' | null = null;
    if (fields[0]!.startsWith('@')) {
      if (fields[0] !== '@revoked') continue;
      marker = 'revoked';
      fields.shift();
    }
    if (fields.length < 3) continue;
    const blob = Buffer.from(fields[2]!, 'base64');
    if (blob.length === 0 || hostKeyType(blob) !== fields[1]) continue;
    out.push({ marker, hosts: fields[0]!, keyType: fields[1]!, blob });
  }
  return out;
}

/** Does a known_hosts host field (`a,b,[c]:2222,|1|salt|hash,!bad,*.example`) name us? */
function hostMatches(field: string, host: string, port: number): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  if (field.startsWith('|1|')) return hashedHostMatches(field, name);
  let positive = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const p = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (wildcardMatch(p, name.toLowerCase())) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, OpenSSH's HashKnownHosts form. */
function hashedHostMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4) return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const want = Buffer.from(parts[3]!, 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * `*` and `?` glob match by the classic two-pointer scan: linear backtracking to the last
 * `*` only, so hostile patterns cannot blow up.
 */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

function pinMatches(pin: string, fingerprint: string, blob: Uint8Array): boolean {
  const trimmed = pin.trim();
  if (trimmed.startsWith('SHA256:')) return trimmed.replace(/=+$/, '') === fingerprint;
  const fields = splitFields(trimmed);
  const b64 = fields.length >= 2 ? fields[1]! : '';
  return b64.length > 0 && equalBytes(Buffer.from(b64, 'base64'), blob);
}

function splitFields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 0x20;
    const space = c === 0x20 || c === 0x09;
    if (!space && start < 0) start = i;
    else if (space && start >= 0) {
      out.push(line.slice(start, i));
      start = -1;
    }
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
