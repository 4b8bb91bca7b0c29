/**
 * The vault key under custody: split k-of-n with Shamir's scheme among custodians, each share
 * wrapped to its custodian's recipient, with a key-check value because `combine` returns a wrong
 * key silently when a share is corrupt. Rotation re-splits the same key: no data is re-encrypted.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { InputError, errorMessage } from '../../core/index.js';
import { equalBytes, fromBase64Url, fromHex, toBase64Url, toHex, utf8 } from './bytes.js';
import { KEYS_ERRORS } from './errors.js';
import { identityFromSecret, parseRecipient, recipientToString, type Identity, type Recipient } from './identity.js';
import { unwrapKey, wrapKey } from './wrap.js';

export interface Custodian {
  readonly name: string;
  readonly recipient: Recipient;
}

export interface CustodyShare {
  readonly custodian: string;
  readonly recipientFingerprint: string;
  /** base64url of the Shamir share (secret length + 1 bytes) wrapped by `wrapKey`. */
  readonly wrappedShare: string;
}

/** Serialisable JSON: holds no secret in the clear, replicated to every site. */
export interface CustodyRecord {
  readonly format: 'lianfang-vault-custody';
  readonly version: 1;
  readonly vaultId: string;
  /** Random per split: shares of two generations cannot be mixed. */
  readonly recordId: string;
  /** 1 at init, +1 at each rotation. */
  readonly generation: number;
  readonly created: string;
  /** The vault's public key: the backup host wraps data keys to it. */
  readonly vaultRecipient: string;
  readonly quorum: number;
  readonly keyCheck: { readonly algorithm: 'hkdf-sha256+hmac-sha256'; readonly value: string };
  readonly shares: readonly CustodyShare[];
}

export interface ShareProblem {
  /** The custodian whose share is at fault, when known. */
  readonly custodian?: string;
  /** The identity's recipient fingerprint, when it matched no custodian. */
  readonly fingerprint?: string;
  readonly reason: string;
}

export interface VaultKeyRecovery {
  readonly identity: Identity;
  /** Custodians whose shares reconstructed the key. */
  readonly used: readonly string[];
  /** Shares that were offered but are bad, and identities that matched no custodian. */
  readonly problems: readonly ShareProblem[];
}

const MAX_SHARES = 255; // GF(2^8) Shamir: x-coordinates 1..255
const MAX_SUBSETS = 20_000;

function keyCheckValue(secret: Uint8Array): string {
  const kcvKey = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), utf8('lianfang-vault/key-check/v1'), 32));
  return createHmac('sha256', kcvKey).update('lianfang vault key check v1').digest('hex');
}

function shareContext(vaultId: string, recordId: string, custodian: string): string {
  return JSON.stringify(['lianfang-vault/custody-share/v1', vaultId, recordId, custodian]);
}

function parameterError(message: string): InputError {
  return new InputError(KEYS_ERRORS.custodyParameters, message);
}

function checkCustodians(custodians: readonly Custodian[], quorum: number): void {
  if (!Number.isInteger(quorum) || quorum < 2) {
    throw parameterError(`quorum must be a whole number of at least 2 (one custodian alone must not open the vault), got ${quorum}`);
  }
  if (custodians.length < quorum) throw parameterError(`quorum ${quorum} needs at least ${quorum} custodians, got ${custodians.length}`);
  if (custodians.length > MAX_SHARES) throw parameterError(`at most ${MAX_SHARES} custodians, got ${custodians.length}`);
  const names = new Set<string>();
  const keys = new Map<string, string>();
  for (const c of custodians) {
    if (c.name.trim() === '' || c.name.length > 128) throw parameterError(`custodian name "${c.name}" must be 1–128 characters`);
    if (names.has(c.name)) throw parameterError(`custodian "${c.name}" is listed twice`);
    const other = keys.get(c.recipient.fingerprint);
    if (other !== undefined) {
      throw parameterError(`custodians "${other}" and "${c.name}" have the same recipient ${c.recipient.fingerprint}: one person would hold two shares`);
    }
    names.add(c.name);
    keys.set(c.recipient.fingerprint, c.name);
  }
}

interface SplitOptions {
  /** Binds the shares to this vault; defaults to the vault recipient's fingerprint. */
  readonly vaultId?: string;
  readonly now?: Date;
}

async function splitSecret(
  vaultIdentity: Identity,
  custodians: readonly Custodian[],
  quorum: number,
  vaultId: string,
  generation: number,
  now: Date,
): Promise<CustodyRecord> {
  checkCustodians(custodians, quorum);
  const recordId = toHex(new Uint8Array(randomBytes(16)));
  const shares = await split(vaultIdentity.secret, custodians.length, quorum);
  return {
    format: 'lianfang-vault-custody',
    version: 1,
    vaultId,
    recordId,
    generation,
    created: now.toISOString(),
    vaultRecipient: recipientToString(vaultIdentity.recipient),
    quorum,
    keyCheck: { algorithm: 'hkdf-sha256+hmac-sha256', value: keyCheckValue(vaultIdentity.secret) },
    shares: custodians.map((c, i) => ({
      custodian: c.name,
      recipientFingerprint: c.recipient.fingerprint,
      wrappedShare: toBase64Url(wrapKey(c.recipient, shares[i]!, shareContext(vaultId, recordId, c.name))),
    })),
  };
}

/**
 * Splits the vault identity k-of-n among custodians.
 * @example const record = await splitVaultKey(vault, [{ name: 'alice', recipient: alicePub }, …], 2)
 */
export function splitVaultKey(
  vaultIdentity: Identity,
  custodians: readonly Custodian[],
  quorum: number,
  options: SplitOptions = {},
): Promise<CustodyRecord> {
  const vaultId = options.vaultId ?? vaultIdentity.recipient.fingerprint;
  if (vaultId === '' || vaultId.length > 256) throw parameterError('vault id must be 1–256 characters');
  return splitSecret(vaultIdentity, custodians, quorum, vaultId, 1, options.now ?? new Date());
}

interface LabelledShare {
  readonly custodian: string;
  readonly share: Uint8Array;
}

async function reconstructs(shares: readonly LabelledShare[], keyCheck: string): Promise<Uint8Array | null> {
  let secret: Uint8Array;
  try {
    secret = await combine(shares.map((s) => s.share));
  } catch {
    return null; // e.g. two shares with the same x-coordinate after corruption
  }
  return equalBytes(utf8(keyCheckValue(secret)), utf8(keyCheck)) ? secret : null;
}

function* subsets(count: number, size: number): Generator<number[]> {
  const pick = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    yield pick.slice();
    let i = size - 1;
    while (i >= 0 && pick[i] === count - size + i) i--;
    if (i < 0) return;
    pick[i]!++;
    for (let j = i + 1; j < size; j++) pick[j] = pick[j - 1]! + 1;
  }
}

/**
 * Finds `quorum` shares that reconstruct a key matching `keyCheck`, then tests every other share
 * against that subset so a corrupt one is named. Exported for tools that hold raw shares.
 */
export async function combineCheckedShares(
  shares: readonly LabelledShare[],
  keyCheck: string,
  quorum: number,
): Promise<{ secret: Uint8Array; used: string[]; bad: string[] }> {
  let tried = 0;
  for (const pick of subsets(shares.length, quorum)) {
    if (++tried > MAX_SUBSETS) break;
    const chosen = pick.map((i) => shares[i]!);
    const secret = await reconstructs(chosen, keyCheck);
    if (secret === null) continue;
    const bad: string[] = [];
    for (let i = 0; i < shares.length; i++) {
      if (pick.includes(i)) continue;
      if ((await reconstructs([...chosen.slice(1), shares[i]!], keyCheck)) === null) bad.push(shares[i]!.custodian);
    }
    return { secret, used: chosen.map((s) => s.custodian), bad };
  }
  const names = shares.map((s) => s.custodian).join(', ');
  const hint =
    shares.length === quorum
      ? `at least one of ${names} is corrupt; bring one more custodian so the bad share can be named`
      : `no ${quorum} of ${names} agree: more than ${shares.length - quorum} of them are corrupt`;
  throw new InputError(KEYS_ERRORS.keyCheckFailed, `the shares reconstruct a wrong vault key (key-check value mismatch): ${hint}`);
}

function custodyError(message: string, where: string): InputError {
  return new InputError(KEYS_ERRORS.custodyInvalid, message, where);
}

function field(obj: Record<string, unknown>, name: string, type: 'string' | 'number' | 'object', where: string): unknown {
  const v = obj[name];
  if (typeof v !== type || v === null) throw custodyError(`field "${name}" must be a ${type}`, where);
  return v;
}

/** Checks JSON read from disk or the network; names the first field that is wrong. */
export function parseCustodyRecord(json: unknown, where = 'custody record'): CustodyRecord {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw custodyError('not a JSON object', where);
  const o = json as Record<string, unknown>;
  if (o.format !== 'lianfang-vault-custody') throw custodyError(`format is ${JSON.stringify(o.format)}, not "lianfang-vault-custody"`, where);
  const version = field(o, 'version', 'number', where);
  if (typeof version === 'number' && version > 1) {
    throw new InputError(KEYS_ERRORS.newerVersion, `custody record version ${version} is newer than this program reads (1)`, where);
  }
  if (version !== 1) throw custodyError(`unknown version ${String(version)}`, where);
  const vaultId = field(o, 'vaultId', 'string', where) as string;
  const recordId = field(o, 'recordId', 'string', where) as string;
  const generation = field(o, 'generation', 'number', where) as number;
  const created = field(o, 'created', 'string', where) as string;
  const vaultRecipient = field(o, 'vaultRecipient', 'string', where) as string;
  parseRecipient(vaultRecipient, `${where}: vaultRecipient`);
  const quorum = field(o, 'quorum', 'number', where) as number;
  const keyCheck = field(o, 'keyCheck', 'object', where) as Record<string, unknown>;
  const kcv = field(keyCheck, 'value', 'string', `${where}: keyCheck`) as string;
  if (keyCheck.algorithm !== 'hkdf-sha256+hmac-sha256' || fromHex(kcv)?.length !== 32) {
    throw custodyError('keyCheck must be { algorithm: "hkdf-sha256+hmac-sha256", value: 64 hex digits }', where);
  }
  if (!Array.isArray(o.shares)) throw custodyError('field "shares" must be an array', where);
  const shares = o.shares.map((s: unknown, i: number) => parseShare(s, `${where}: shares[${i}]`));
  if (!Number.isInteger(quorum) || quorum < 2 || quorum > shares.length) {
    throw custodyError(`quorum ${quorum} must be a whole number from 2 to the number of shares (${shares.length})`, where);
  }
  if (!Number.isInteger(generation) || generation < 1) throw custodyError(`generation ${generation} must be a whole number ≥ 1`, where);
  return {
    format: 'lianfang-vault-custody',
    version: 1,
    vaultId,
    recordId,
    generation,
    created,
    vaultRecipient,
    quorum,
    keyCheck: { algorithm: 'hkdf-sha256+hmac-sha256', value: kcv },
    shares,
  };
}

function parseShare(json: unknown, where: string): CustodyShare {
  if (typeof json !== 'object' || json === null) throw custodyError('share must be an object', where);
  const o = json as Record<string, unknown>;
  const custodian = field(o, 'custodian', 'string', where) as string;
  const recipientFingerprint = field(o, 'recipientFingerprint', 'string', where) as string;
  const wrappedShare = field(o, 'wrappedShare', 'string', where) as string;
  if (fromHex(recipientFingerprint)?.length !== 16) throw custodyError('recipientFingerprint must be 32 hex digits', where);
  if (fromBase64Url(wrappedShare) === null) throw custodyError('wrappedShare is not base64url', where);
  return { custodian, recipientFingerprint, wrappedShare };
}

function openShares(record: CustodyRecord, identities: readonly Identity[]): { good: LabelledShare[]; problems: ShareProblem[] } {
  const good: LabelledShare[] = [];
  const problems: ShareProblem[] = [];
  const seen = new Set<string>();
  for (const identity of identities) {
    const fp = identity.recipient.fingerprint;
    if (seen.has(fp)) continue;
    seen.add(fp);
    const entry = record.shares.find((s) => s.recipientFingerprint === fp);
    if (entry === undefined) {
      const names = record.shares.map((s) => s.custodian).join(', ');
      problems.push({ fingerprint: fp, reason: `identity ${fp} is not a custodian of vault ${record.vaultId} (custodians: ${names})` });
      continue;
    }
    try {
      const wrapped = fromBase64Url(entry.wrappedShare)!;
      const share = unwrapKey(identity, wrapped, shareContext(record.vaultId, record.recordId, entry.custodian));
      good.push({ custodian: entry.custodian, share });
    } catch (err) {
      problems.push({ custodian: entry.custodian, reason: `share of ${entry.custodian} cannot be opened: ${errorMessage(err)}` });
    }
  }
  return { good, problems };
}

/**
 * Reconstructs the vault identity from custodians' identities, naming any bad share.
 * Throws `VAULT_KEYS_QUORUM_NOT_MET` or `VAULT_KEYS_KEY_CHECK_FAILED` with the reasons.
 */
export async function recoverVaultKeyDetailed(record: CustodyRecord, identities: readonly Identity[]): Promise<VaultKeyRecovery> {
  const checked = parseCustodyRecord(record);
  const { good, problems } = openShares(checked, identities);
  if (good.length < checked.quorum) {
    const have = good.map((s) => s.custodian);
    const details = problems.map((p) => p.reason).join('; ');
    throw new InputError(
      KEYS_ERRORS.quorumNotMet,
      `vault ${checked.vaultId} needs ${checked.quorum} custodian shares, ${good.length} usable` +
        (have.length > 0 ? ` (${have.join(', ')})` : '') +
        (details !== '' ? `; ${details}` : ''),
    );
  }
  const { secret, used, bad } = await combineCheckedShares(good, checked.keyCheck.value, checked.quorum);
  for (const name of bad) {
    problems.push({ custodian: name, reason: `share of ${name} is corrupt: it disagrees with the key-check value` });
  }
  const identity = identityFromSecret(secret);
  if (recipientToString(identity.recipient) !== checked.vaultRecipient) {
    throw new InputError(
      KEYS_ERRORS.keyCheckFailed,
      `the reconstructed key passes the key check but is not the vault recipient of record ${checked.recordId}: the record was altered`,
    );
  }
  return { identity, used, problems };
}

/** The vault identity from a quorum of custodian identities (each unwraps its own share). */
export async function recoverVaultKey(record: CustodyRecord, identities: readonly Identity[]): Promise<Identity> {
  return (await recoverVaultKeyDetailed(record, identities)).identity;
}

/**
 * Re-splits the same vault key among new custodians with a new quorum. Needs a quorum of the
 * current custodians; data keys stay wrapped to the same vault recipient, so nothing is re-encrypted.
 */
export async function rotateCustodians(
  record: CustodyRecord,
  identities: readonly Identity[],
  newCustodians: readonly Custodian[],
  newQuorum: number,
  now: Date = new Date(),
): Promise<CustodyRecord> {
  const { identity } = await recoverVaultKeyDetailed(record, identities);
  return splitSecret(identity, newCustodians, newQuorum, record.vaultId, record.generation + 1, now);
}
