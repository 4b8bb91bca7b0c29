/**
 * Adapters from the signing chain to the repository's `sign(bytes) → sig` and
 * `verify(bytes, sig) → boolean` callbacks. The signature bytes are the UTF-8 JSON of a
 * `SnapshotSignature`; the snapshot id is hex SHA-256 of the record bytes, as the repository names it.
 */
import { errorMessage } from '../../core/index.js';
import { sha256, toHex } from './bytes.js';
import { parseSnapshotSignature } from './signing-json.js';
import { signSnapshot, snapshotInChain, verifySnapshotChain, type SnapshotAnchor, type SnapshotCheckOptions, type SnapshotSignature, type SnapshotSignerState } from './signing.js';

const decoder = new TextDecoder();

/**
 * For the backup host. Persist `current()` after the backup has stored its snapshot; after a
 * crash in between, `signerAfter` on restart catches the stored state up.
 */
export function snapshotSigner(state: SnapshotSignerState, now: () => Date = () => new Date()): {
  sign: (bytes: Uint8Array) => Uint8Array;
  current: () => SnapshotSignerState;
} {
  let signer = state;
  return {
    sign(bytes) {
      const { signature, next } = signSnapshot(signer, { id: toHex(sha256(bytes)), bytes }, now());
      signer = next;
      return new TextEncoder().encode(JSON.stringify(signature));
    },
    current: () => signer,
  };
}

/** Decodes the signature bytes a repository stored beside a snapshot record. */
export function decodeSnapshotSignature(sig: Uint8Array, where?: string): SnapshotSignature {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(sig));
  } catch {
    json = null;
  }
  return parseSnapshotSignature(json, where);
}

/**
 * For restore and verify: checks a record against the whole chain (`chain` = every snapshot's
 * decoded signature). `onReject` receives the precise reason a `false` stands for.
 */
export function snapshotVerifier(
  anchor: SnapshotAnchor,
  chain: readonly SnapshotSignature[],
  options: SnapshotCheckOptions = {},
  onReject: (reason: string) => void = () => {},
): (bytes: Uint8Array, sig: Uint8Array) => boolean {
  // The chain is verified once, on first use (listing n snapshots would otherwise verify it n times).
  let ordered: SnapshotSignature[] | Error | undefined;
  return (bytes, sig) => {
    try {
      const entry = decodeSnapshotSignature(sig);
      const id = toHex(sha256(bytes));
      if (entry.snapshotId !== id) throw new Error(`signature names snapshot ${entry.snapshotId}, the record is ${id}`);
      if (ordered === undefined) {
        try {
          ordered = verifySnapshotChain(anchor, chain, options);
        } catch (err) {
          ordered = err instanceof Error ? err : new Error(String(err));
        }
      }
      if (ordered instanceof Error) throw ordered;
      snapshotInChain(ordered, { id, bytes }, options);
      return true;
    } catch (err) {
      onReject(errorMessage(err));
      return false;
    }
  };
}
