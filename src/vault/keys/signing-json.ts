/** Checks signing objects read from disk or a site before they reach the verifier. */
import { InputError } from '../../core/index.js';
import { KEYS_ERRORS } from './errors.js';
import type { SnapshotAnchor, SnapshotSignature, SnapshotSignerState, TrustedHead } from './signing.js';

type FieldType = 'string' | 'seq';

function parseObject<T>(json: unknown, format: string, fields: Record<string, FieldType>, where: string): T {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(KEYS_ERRORS.anchorInvalid, 'not a JSON object', where);
  }
  const o = json as Record<string, unknown>;
  if (o.format !== format) throw new InputError(KEYS_ERRORS.anchorInvalid, `format is ${JSON.stringify(o.format)}, not "${format}"`, where);
  if (typeof o.version === 'number' && o.version > 1) {
    throw new InputError(KEYS_ERRORS.newerVersion, `${format} version ${o.version} is newer than this program reads (1)`, where);
  }
  if (o.version !== 1) throw new InputError(KEYS_ERRORS.anchorInvalid, `unknown version ${JSON.stringify(o.version)}`, where);
  const out: Record<string, unknown> = { format, version: 1 };
  for (const [name, type] of Object.entries(fields)) {
    const v = o[name];
    const ok = type === 'string' ? typeof v === 'string' && v.length <= 4096 : Number.isSafeInteger(v) && (v as number) >= 0;
    if (!ok) throw new InputError(KEYS_ERRORS.anchorInvalid, `field "${name}" must be ${type === 'string' ? 'a string' : 'a whole number ≥ 0'}`, where);
    out[name] = v;
  }
  return out as T;
}

export function parseSnapshotAnchor(json: unknown, where = 'signing anchor'): SnapshotAnchor {
  return parseObject(json, 'lianfang-vault-signing-anchor', { vaultId: 'string', authorityKey: 'string', genesisKey: 'string', signature: 'string' }, where);
}

export function parseSnapshotSignature(json: unknown, where = 'snapshot signature'): SnapshotSignature {
  return parseObject(
    json,
    'lianfang-vault-snapshot-signature',
    { vaultId: 'string', seq: 'seq', prev: 'string', snapshotId: 'string', snapshotHash: 'string', time: 'string', nextKey: 'string', signature: 'string' },
    where,
  );
}

export function parseTrustedHead(json: unknown, where = 'trusted head'): TrustedHead {
  return parseObject(json, 'lianfang-vault-trusted-head', { vaultId: 'string', seq: 'seq', entryHash: 'string', time: 'string', signature: 'string' }, where);
}

export function parseSignerState(json: unknown, where = 'signer state'): SnapshotSignerState {
  return parseObject(json, 'lianfang-vault-signer', { vaultId: 'string', seq: 'seq', prev: 'string', key: 'string' }, where);
}
