/**
 * Snapshot signing: a forward-secure key chain anchored by the vault key, plus custodian-signed
 * trusted heads. (Why this design: docs/vault-format-keys.md, "Snapshot signing".)
 *
 * - The vault's *authority key* (Ed25519) is derived from the vault secret, so only a quorum of
 *   custodians can use it. It signs the *anchor* (the chain's first public key) at init and
 *   *trusted heads* at drill or verify time.
 * - The backup host holds one Ed25519 key at a time. Entry `seq` is signed by key `seq` and names
 *   the public key `seq + 1`; the next private key is derived one-way from the current one and the
 *   current one is dropped. Ransomware on the host gets only the current key: it can append, but
 *   cannot re-sign, replace or splice out an entry made before it arrived.
 * - Entries are hash-chained (`prev`), so a removed or reordered snapshot breaks the chain, and a
 *   trusted head catches a chain cut back to an older end (rollback, replay of an old "latest").
 */
import { createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { InputError } from '../../core/index.js';
import { equalBytes, framed, fromBase64Url, fromHex, sha256, toBase64Url, toHex, utf8 } from './bytes.js';
import { KEYS_ERRORS } from './errors.js';
import type { Identity } from './identity.js';

export interface SnapshotAnchor {
  readonly format: 'lianfang-vault-signing-anchor';
  readonly version: 1;
  readonly vaultId: string;
  /** base64url Ed25519 public key derived from the vault secret. */
  readonly authorityKey: string;
  /** base64url Ed25519 public key that signs entry 0. */
  readonly genesisKey: string;
  /** base64url Ed25519 signature by the authority key. */
  readonly signature: string;
}

/** Secret: kept by the backup host only (file mode 0600), replaced after every signature. */
export interface SnapshotSignerState {
  readonly format: 'lianfang-vault-signer';
  readonly version: 1;
  readonly vaultId: string;
  /** The sequence number the next entry gets. */
  readonly seq: number;
  /** Hash of the last entry (64 zeros before the first). */
  readonly prev: string;
  /** base64url Ed25519 seed of key `seq`. */
  readonly key: string;
}

/** Public: stored beside the snapshot and replicated to every site. */
export interface SnapshotSignature {
  readonly format: 'lianfang-vault-snapshot-signature';
  readonly version: 1;
  readonly vaultId: string;
  readonly seq: number;
  readonly prev: string;
  readonly snapshotId: string;
  /** SHA-256 (hex) of the snapshot record's bytes. */
  readonly snapshotHash: string;
  readonly time: string;
  readonly nextKey: string;
  readonly signature: string;
}

/** Custodian-signed statement "the chain had reached entry `seq` with hash `entryHash`". */
export interface TrustedHead {
  readonly format: 'lianfang-vault-trusted-head';
  readonly version: 1;
  readonly vaultId: string;
  readonly seq: number;
  readonly entryHash: string;
  readonly time: string;
  readonly signature: string;
}

const ZERO_HASH = '0'.repeat(64);
// RFC 8410 PKCS#8 / SPKI prefixes: Node imports raw Ed25519 keys only wrapped in them.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyRaw(key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

function verifyEd25519(publicKeyB64: string, message: Uint8Array, signatureB64: string): boolean {
  const raw = fromBase64Url(publicKeyB64);
  const sig = fromBase64Url(signatureB64);
  if (raw?.length !== 32 || sig?.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    return verify(null, message, key, sig);
  } catch {
    return false;
  }
}

function authorityKey(vaultIdentity: Identity): KeyObject {
  const seed = hkdfSync('sha256', vaultIdentity.secret, new Uint8Array(0), utf8('lianfang-vault/authority/v1'), 32);
  return privateKeyFromSeed(new Uint8Array(seed));
}

/** The authority public key of a vault identity (compare with an anchor after recovery). */
export function vaultAuthorityKey(vaultIdentity: Identity): string {
  return toBase64Url(publicKeyRaw(authorityKey(vaultIdentity)));
}

function anchorMessage(vaultId: string, genesisKey: string): Uint8Array {
  return framed(utf8('lianfang-vault/signing-anchor/v1'), utf8(vaultId), utf8(genesisKey));
}

function entryMessage(e: Omit<SnapshotSignature, 'format' | 'version' | 'signature'>): Uint8Array {
  return framed(
    utf8('lianfang-vault/snapshot-signature/v1'),
    utf8(e.vaultId),
    utf8(String(e.seq)),
    utf8(e.prev),
    utf8(e.snapshotId),
    utf8(e.snapshotHash),
    utf8(e.time),
    utf8(e.nextKey),
  );
}

function headMessage(h: Omit<TrustedHead, 'format' | 'version' | 'signature'>): Uint8Array {
  return framed(utf8('lianfang-vault/trusted-head/v1'), utf8(h.vaultId), utf8(String(h.seq)), utf8(h.entryHash), utf8(h.time));
}

/** The hash that the next entry's `prev` and a trusted head's `entryHash` name. */
export function snapshotEntryHash(entry: SnapshotSignature): string {
  return toHex(sha256(entryMessage(entry), utf8(entry.signature)));
}

function nextSeed(seed: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), utf8('lianfang-vault/signer-ratchet/v1'), 32));
}

/**
 * At vault init (the vault identity is whole only there): the public anchor, stored with the
 * custody record, and the first signer state, handed to the backup host.
 */
export function createSnapshotSigning(vaultIdentity: Identity, vaultId: string): { anchor: SnapshotAnchor; signer: SnapshotSignerState } {
  const seed = new Uint8Array(randomBytes(32));
  const genesisKey = toBase64Url(publicKeyRaw(privateKeyFromSeed(seed)));
  const signature = toBase64Url(new Uint8Array(sign(null, anchorMessage(vaultId, genesisKey), authorityKey(vaultIdentity))));
  return {
    anchor: { format: 'lianfang-vault-signing-anchor', version: 1, vaultId, authorityKey: vaultAuthorityKey(vaultIdentity), genesisKey, signature },
    signer: { format: 'lianfang-vault-signer', version: 1, vaultId, seq: 0, prev: ZERO_HASH, key: toBase64Url(seed) },
  };
}

function signerSeed(signer: SnapshotSignerState): Uint8Array {
  const seed = fromBase64Url(signer.key);
  if (seed?.length !== 32) throw new InputError(KEYS_ERRORS.anchorInvalid, 'signer state key must be 32 bytes of base64url');
  return seed;
}

/**
 * Signs the next snapshot. Store `signature` durably, then replace the stored signer state by
 * `next` (which forgets the key just used). After a crash between the two, `signerAfter` catches up.
 */
export function signSnapshot(
  signer: SnapshotSignerState,
  snapshot: { readonly id: string; readonly bytes: Uint8Array },
  now: Date = new Date(),
): { signature: SnapshotSignature; next: SnapshotSignerState } {
  const seed = signerSeed(signer);
  const following = nextSeed(seed);
  const body = {
    vaultId: signer.vaultId,
    seq: signer.seq,
    prev: signer.prev,
    snapshotId: snapshot.id,
    snapshotHash: toHex(sha256(snapshot.bytes)),
    time: now.toISOString(),
    nextKey: toBase64Url(publicKeyRaw(privateKeyFromSeed(following))),
  };
  const sig = toBase64Url(new Uint8Array(sign(null, entryMessage(body), privateKeyFromSeed(seed))));
  const signature: SnapshotSignature = { format: 'lianfang-vault-snapshot-signature', version: 1, ...body, signature: sig };
  const next: SnapshotSignerState = { ...signer, seq: signer.seq + 1, prev: snapshotEntryHash(signature), key: toBase64Url(following) };
  return { signature, next };
}

/**
 * The signer state after `entry`, when the host crashed after storing the entry but before
 * storing the new state. Refuses an entry this state did not sign.
 */
export function signerAfter(signer: SnapshotSignerState, entry: SnapshotSignature): SnapshotSignerState {
  const seed = signerSeed(signer);
  const publicKey = toBase64Url(publicKeyRaw(privateKeyFromSeed(seed)));
  if (entry.seq !== signer.seq || entry.prev !== signer.prev || !verifyEd25519(publicKey, entryMessage(entry), entry.signature)) {
    throw new InputError(KEYS_ERRORS.snapshotChainBroken, `entry seq ${entry.seq} was not signed by this signer state (seq ${signer.seq})`);
  }
  return { ...signer, seq: signer.seq + 1, prev: snapshotEntryHash(entry), key: toBase64Url(nextSeed(seed)) };
}

/** Custodians (holding the recovered vault identity) vouch for the chain's head as seen now. */
export function signTrustedHead(vaultIdentity: Identity, head: SnapshotSignature, now: Date = new Date()): TrustedHead {
  const body = { vaultId: head.vaultId, seq: head.seq, entryHash: snapshotEntryHash(head), time: now.toISOString() };
  const signature = toBase64Url(new Uint8Array(sign(null, headMessage(body), authorityKey(vaultIdentity))));
  return { format: 'lianfang-vault-trusted-head', version: 1, ...body, signature };
}

/**
 * A custodian-authorised removal of a snapshot (retention): keeps the removed snapshot's
 * chain entry verifiable, signed by the vault authority key, so pruning does not look like
 * the deletion the chain exists to detect, and the backup host cannot forge one.
 */
export interface SnapshotRetirement {
  readonly format: 'lianfang-vault-retired';
  readonly version: 1;
  readonly vaultId: string;
  readonly snapshotId: string;
  readonly entryHash: string;
  readonly time: string;
  readonly signature: string;
}

function retirementMessage(r: Omit<SnapshotRetirement, 'format' | 'version' | 'signature'>): Uint8Array {
  return framed(utf8('lianfang-vault/retired/v1'), utf8(r.vaultId), utf8(r.snapshotId), utf8(r.entryHash), utf8(r.time));
}

export function signRetirement(vaultIdentity: Identity, entry: SnapshotSignature, now: Date = new Date()): SnapshotRetirement {
  const body = { vaultId: entry.vaultId, snapshotId: entry.snapshotId, entryHash: snapshotEntryHash(entry), time: now.toISOString() };
  const signature = toBase64Url(new Uint8Array(sign(null, retirementMessage(body), authorityKey(vaultIdentity))));
  return { format: 'lianfang-vault-retired', version: 1, ...body, signature };
}

/** True when `r` retires exactly `entry` and carries the anchor's authority signature. */
export function verifyRetirement(anchor: SnapshotAnchor, r: SnapshotRetirement, entry: SnapshotSignature): boolean {
  return (
    r.format === 'lianfang-vault-retired' && r.version === 1 && r.vaultId === anchor.vaultId && r.vaultId === entry.vaultId &&
    r.snapshotId === entry.snapshotId && r.entryHash === snapshotEntryHash(entry) && typeof r.time === 'string' &&
    typeof r.signature === 'string' && verifyEd25519(anchor.authorityKey, retirementMessage(r), r.signature)
  );
}

export interface ChainCheckOptions {
  /** The most recent custodian-signed head known outside the backup host. */
  readonly trustedHead?: TrustedHead;
  /** The authority key re-derived from the recovered vault identity (`vaultAuthorityKey`). */
  readonly authorityKey?: string;
}

function chainError(code: string, message: string): InputError {
  return new InputError(code, message, 'snapshot signatures');
}

function checkAnchor(anchor: SnapshotAnchor, options: ChainCheckOptions): void {
  if (options.authorityKey !== undefined && !equalBytes(utf8(options.authorityKey), utf8(anchor.authorityKey))) {
    throw chainError(KEYS_ERRORS.anchorInvalid, 'the signing anchor names an authority key that is not derived from this vault key: the anchor was replaced');
  }
  if (!verifyEd25519(anchor.authorityKey, anchorMessage(anchor.vaultId, anchor.genesisKey), anchor.signature)) {
    throw chainError(KEYS_ERRORS.anchorInvalid, 'the signing anchor is not signed by the vault authority key');
  }
}

function orderedEntries(anchor: SnapshotAnchor, chain: readonly SnapshotSignature[]): SnapshotSignature[] {
  const bySeq = new Map<number, SnapshotSignature>();
  for (const entry of chain) {
    if (entry.vaultId !== anchor.vaultId) throw chainError(KEYS_ERRORS.snapshotChainBroken, `entry seq ${entry.seq} belongs to vault ${entry.vaultId}, not ${anchor.vaultId}`);
    if (!Number.isInteger(entry.seq) || entry.seq < 0) throw chainError(KEYS_ERRORS.snapshotChainBroken, `entry has an invalid seq ${entry.seq}`);
    const other = bySeq.get(entry.seq);
    if (other !== undefined && snapshotEntryHash(other) !== snapshotEntryHash(entry)) {
      throw chainError(KEYS_ERRORS.snapshotChainBroken, `two different entries at seq ${entry.seq} (snapshots ${other.snapshotId} and ${entry.snapshotId}): history was forked`);
    }
    bySeq.set(entry.seq, entry);
  }
  const ordered: SnapshotSignature[] = [];
  for (let seq = 0; bySeq.size > ordered.length; seq++) {
    const entry = bySeq.get(seq);
    if (entry === undefined) throw chainError(KEYS_ERRORS.snapshotChainBroken, `signature entry seq ${seq} is missing: a snapshot was removed`);
    ordered.push(entry);
  }
  return ordered;
}

/**
 * Verifies the whole chain from the anchor; returns the entries in order (index = seq).
 * Throws naming the first entry that fails and why.
 */
export function verifySnapshotChain(anchor: SnapshotAnchor, chain: readonly SnapshotSignature[], options: ChainCheckOptions = {}): SnapshotSignature[] {
  checkAnchor(anchor, options);
  const ordered = orderedEntries(anchor, chain);
  let key = anchor.genesisKey;
  let prev = ZERO_HASH;
  for (const entry of ordered) {
    if (entry.prev !== prev) {
      throw chainError(KEYS_ERRORS.snapshotChainBroken, `entry seq ${entry.seq} does not follow seq ${entry.seq - 1} (prev hash differs): an entry was replaced or moved`);
    }
    if (!verifyEd25519(key, entryMessage(entry), entry.signature)) {
      throw chainError(KEYS_ERRORS.snapshotAltered, `signature of entry seq ${entry.seq} (snapshot ${entry.snapshotId}) does not verify: the entry was altered or forged`);
    }
    key = entry.nextKey;
    prev = snapshotEntryHash(entry);
  }
  if (options.trustedHead !== undefined) checkTrustedHead(anchor, ordered, options.trustedHead);
  return ordered;
}

function checkTrustedHead(anchor: SnapshotAnchor, ordered: readonly SnapshotSignature[], head: TrustedHead): void {
  if (head.vaultId !== anchor.vaultId || !verifyEd25519(anchor.authorityKey, headMessage(head), head.signature)) {
    throw chainError(KEYS_ERRORS.anchorInvalid, `trusted head seq ${head.seq} is not signed by this vault's authority key`);
  }
  const entry = ordered[head.seq];
  if (entry === undefined) {
    throw chainError(
      KEYS_ERRORS.snapshotRollback,
      `the chain ends at seq ${ordered.length - 1} but custodians saw seq ${head.seq} on ${head.time}: snapshots were removed or history rolled back`,
    );
  }
  if (!equalBytes(utf8(snapshotEntryHash(entry)), utf8(head.entryHash))) {
    throw chainError(KEYS_ERRORS.snapshotRollback, `entry seq ${head.seq} differs from the one custodians saw on ${head.time}: history was rewritten`);
  }
}

export interface SnapshotCheckOptions extends ChainCheckOptions {
  /** Require the snapshot to be the newest in the chain (restore of "latest"). */
  readonly mustBeLatest?: boolean;
}

/**
 * Verifies one snapshot's bytes against the signed chain. Rejects an unsigned snapshot, altered
 * bytes, a broken chain, and (with a trusted head or `mustBeLatest`) an old snapshot replayed as new.
 * @example verifySnapshot(anchor, entries, { id, bytes }, { trustedHead, mustBeLatest: true })
 */
export function verifySnapshot(
  anchor: SnapshotAnchor,
  chain: readonly SnapshotSignature[],
  snapshot: { readonly id: string; readonly bytes: Uint8Array },
  options: SnapshotCheckOptions = {},
): SnapshotSignature {
  return snapshotInChain(verifySnapshotChain(anchor, chain, options), snapshot, options);
}

/**
 * The checks of `verifySnapshot` after the chain: `ordered` is what `verifySnapshotChain`
 * returned, so a caller checking many snapshots verifies the chain once.
 */
export function snapshotInChain(
  ordered: readonly SnapshotSignature[],
  snapshot: { readonly id: string; readonly bytes: Uint8Array },
  options: SnapshotCheckOptions = {},
): SnapshotSignature {
  const entry = ordered.find((e) => e.snapshotId === snapshot.id);
  if (entry === undefined) {
    throw chainError(KEYS_ERRORS.snapshotUnsigned, `snapshot ${snapshot.id} has no signature entry: it was not written by this vault's backup host`);
  }
  if (!equalBytes(fromHex(entry.snapshotHash) ?? new Uint8Array(0), sha256(snapshot.bytes))) {
    throw chainError(KEYS_ERRORS.snapshotAltered, `snapshot ${snapshot.id} (seq ${entry.seq}) does not match its signed hash: it was altered`);
  }
  const last = ordered[ordered.length - 1]!;
  if (options.mustBeLatest === true && entry !== last) {
    throw chainError(KEYS_ERRORS.snapshotRollback, `snapshot ${snapshot.id} is seq ${entry.seq}, not the latest (seq ${last.seq}): an old snapshot was offered as the newest`);
  }
  return entry;
}
