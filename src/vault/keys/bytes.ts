/**
 * Byte helpers shared by the key files: text encodings, length-prefixed framing for KDF inputs,
 * and constant-time comparison. Kept here so no other module of ours is needed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Each part prefixed by its 4-byte big-endian length, so no two part lists frame to the same bytes. */
export function framed(...parts: Uint8Array[]): Uint8Array {
  const pieces: Uint8Array[] = [];
  for (const p of parts) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, p.length);
    pieces.push(len, p);
  }
  return concatBytes(...pieces);
}

/** Constant-time equality (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url (no padding, no other characters); null when the text is not that. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return toBase64Url(bytes) === text ? bytes : null;
}

/** Strict lower-case hex; null when the text is not that. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'hex'));
}
