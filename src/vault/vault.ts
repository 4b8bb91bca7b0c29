import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError, errorMessage, type ItemProblem } from '../core/index.js';
import {
  createSnapshotSigning,
  dataKeyUnwrapper,
  dataKeyWrapper,
  decodeSnapshotSignature,
  keygen,
  parseCustodyRecord,
  parseRecipient,
  parseSignerState,
  parseSnapshotAnchor,
  readIdentity,
  readRecipient,
  recipientToString,
  recoverVaultKeyDetailed,
  rotateCustodians,
  snapshotSigner,
  snapshotVerifier,
  splitVaultKey,
  vaultAuthorityKey,
  type CustodyRecord,
  type Identity,
  type SnapshotAnchor,
  type SnapshotRetirement,
  type SnapshotSignature,
  signRetirement,
  signTrustedHead,
  parseTrustedHead,
  verifyRetirement,
  verifySnapshotChain,
  type TrustedHead,
} from './keys/index.js';
import {
  FilesCache,
  LocalDirBlobStore,
  Repository,
  backup,
  initRepository,
  listSnapshotIds,
  packBlobName,
  prune,
  readSnapshot,
  readTree,
  restore,
  retain,
  startChunkOpeners,
  verifyRepo,
  type BackupProgress,
  type BlobStore,
  type LoadedSnapshot,
  type PruneResult,
  type RetentionPolicy,
  type StreamSource,
  type VerifyLevel,
} from './repo/index.js';
import type { Writable } from 'node:stream';
import { exportSnapshot } from './export.js';
import { ShardedStore, type ShardedStoreOptions, type SiteLag } from './sharded-store.js';
import { openSite, parseSiteSpec, type Site } from './sites/index.js';

/**
 * The vault file (`--vault v.json`): which sites, how the data is coded, who holds the key.
 * Public by design: it holds no secret. The backup host's own secrets (the repository secret
 * and the snapshot signer's current key) sit beside it in `<vault>.host/`, mode 0600.
 */
export interface VaultFile {
  readonly format: 'lianfang-vault-file';
  readonly version: 1;
  readonly vaultId: string;
  readonly sites: ReadonlyArray<VaultSite>;
  readonly data: { readonly k: number; readonly n: number };
  readonly recipient: string;
  readonly custody: CustodyRecord;
  readonly signing: SnapshotAnchor;
}

/** A site as the vault file names it: a folder or `sftp://user@host[:port]/path`, with pinned host keys. */
export interface VaultSite {
  readonly name: string;
  readonly url: string;
  /** SSH host keys trusted for an sftp site (`SHA256:…`); without them known_hosts decides. */
  readonly hostKeys?: readonly string[];
}

/** Opens a site's blob store. */
export type SiteOpener = (site: VaultSite) => BlobStore & { close?: () => Promise<void> };

function isProbing(store: BlobStore): store is BlobStore & Pick<Site, 'probe'> {
  return typeof (store as Partial<Site>).probe === 'function';
}

/** How this host logs in to SFTP sites: `<vault>.host/ssh.json`, or the environment. */
interface SshSettings {
  readonly privateKeyPath?: string;
  readonly knownHostsPath?: string;
}

function sshSettings(vaultPath: string): SshSettings {
  const file = `${hostDir(vaultPath)}/ssh.json`;
  const saved: SshSettings = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SshSettings) : {};
  return {
    ...saved,
    ...(process.env.LIANFANG_VAULT_SSH_KEY ? { privateKeyPath: process.env.LIANFANG_VAULT_SSH_KEY } : {}),
    ...(process.env.LIANFANG_VAULT_KNOWN_HOSTS ? { knownHostsPath: process.env.LIANFANG_VAULT_KNOWN_HOSTS } : {}),
  };
}

/** Folders and SFTP servers, as the sites module opens them (SFTP logs in with this host's key). */
export function siteOpener(ssh: SshSettings = {}): SiteOpener {
  return (site) => {
    const spec = parseSiteSpec(`${site.name}=${site.url}`);
    if (spec.kind === 'local') return openSite(spec);
    if (!ssh.privateKeyPath) throw new InputError('VAULT_SITE', `site ${site.name} is SFTP: give --ssh-key at init, or LIANFANG_VAULT_SSH_KEY`, site.name);
    return openSite(spec, {
      sftp: {
        privateKeyPath: ssh.privateKeyPath,
        // Pinned keys decide alone; known_hosts only for sites without pins.
        ...(site.hostKeys && site.hostKeys.length > 0 ? { hostKeys: site.hostKeys } : { knownHostsPath: ssh.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts') }),
      },
    });
  };
}

/** Folders only (tests, and vaults without network sites). */
export const localSites: SiteOpener = (site) => new LocalDirBlobStore(resolve(site.url.replace(/^file:\/\//, '')));

function hostDir(vaultPath: string): string {
  return `${resolve(vaultPath)}.host`;
}

/** The backup host's repository secret (it reads the index, not the data); null on another host. */
function hostSecret(vaultPath: string): Buffer | null {
  const path = `${hostDir(vaultPath)}/repository.secret`;
  return existsSync(path) ? Buffer.from(readFileSync(path, 'utf8').trim(), 'base64') : null;
}

function needHostSecret(vaultPath: string): Buffer {
  const secret = hostSecret(vaultPath);
  if (secret === null) throw new InputError('VAULT_HOST_SECRET', 'this host has no repository secret for the vault: run this on the backup host (the one that ran init); verify and restore work anywhere with custodian identities', `${hostDir(vaultPath)}/repository.secret`);
  return secret;
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function parseData(spec: string): { k: number; n: number } {
  const m = /^(\d{1,3})-of-(\d{1,3})$/.exec(spec.trim());
  if (!m) throw new InputError('VAULT_DATA', `--data takes K-of-N (e.g. 2-of-3), got "${spec}"`, '--data');
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (k < 1 || n < k || n > 255) throw new InputError('VAULT_DATA', `--data ${spec}: need 1 ≤ K ≤ N ≤ 255`, '--data');
  return { k, n };
}

export function parseNamed(spec: string, what: string): { name: string; value: string } {
  const at = spec.indexOf('=');
  const name = at > 0 ? spec.slice(0, at) : '';
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(name) || at === spec.length - 1) throw new InputError('VAULT_ARG', `${what} takes NAME=VALUE, got "${spec}"`, what);
  return { name, value: spec.slice(at + 1) };
}

export function readVaultFile(path: string): VaultFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError('VAULT_FILE', `cannot read the vault file: ${(err as Error).message}`, path);
  }
  return parseVaultFile(raw, path);
}

/** A vault file's JSON, checked; `where` names it in errors (a path, or a site's copy). */
function parseVaultFile(raw: unknown, where: string): VaultFile {
  const v = (raw ?? {}) as Partial<VaultFile>;
  if (v.format !== 'lianfang-vault-file' || v.version !== 1) throw new InputError('VAULT_FILE', 'not a lianfang vault file (format/version)', where);
  if (!Array.isArray(v.sites) || !v.data || typeof v.vaultId !== 'string' || typeof v.recipient !== 'string') throw new InputError('VAULT_FILE', 'fields sites, data, vaultId and recipient are required', where);
  return { ...(v as VaultFile), custody: parseCustodyRecord(v.custody, `${where}: custody`), signing: parseSnapshotAnchor(v.signing, `${where}: signing`) };
}

export interface OpenedVault {
  readonly file: VaultFile;
  readonly store: ShardedStore;
  /** Closes network sites (an open SSH connection would keep the process alive). */
  close(): Promise<void>;
}

export function openVault(path: string, open?: SiteOpener, storeOptions: ShardedStoreOptions = {}): OpenedVault {
  const file = readVaultFile(path);
  const opener = open ?? siteOpener(sshSettings(path));
  const stores = file.sites.map((s) => ({ name: s.name, store: opener(s) }));
  const store = new ShardedStore(stores, file.data.k, storeOptions);
  return { file, store, close: async () => void (await Promise.allSettled(stores.map((s) => s.store.close?.()))) };
}

/** Runs `fn` on an opened vault and closes its sites whatever happens. */
async function withVault<T>(path: string, open: SiteOpener | undefined, fn: (v: OpenedVault) => Promise<T>, storeOptions: ShardedStoreOptions = {}): Promise<T> {
  const v = openVault(path, open, storeOptions);
  try {
    return await fn(v);
  } finally {
    await v.close();
  }
}

export interface InitVaultOptions {
  readonly vault: string;
  readonly sites: ReadonlyArray<VaultSite>;
  readonly data: { k: number; n: number };
  readonly custodians: ReadonlyArray<{ name: string; recipientPath: string }>;
  readonly quorum: number;
  /** This host's SSH login for sftp sites, saved in `<vault>.host/ssh.json`. */
  readonly ssh?: SshSettings;
  readonly open?: SiteOpener;
}

/**
 * Creates a vault. Its private key is made here, split among the custodians and forgotten:
 * from now on this host can write backups but not read them.
 */
export async function initVault(opts: InitVaultOptions): Promise<VaultFile> {
  if (existsSync(opts.vault)) throw new InputError('VAULT_EXISTS', 'the vault file already exists', opts.vault);
  if (opts.sites.length !== opts.data.n) throw new InputError('VAULT_DATA', `--data ${opts.data.k}-of-${opts.data.n} needs ${opts.data.n} sites, ${opts.sites.length} given`, '--site');
  const names = new Set(opts.sites.map((s) => s.name));
  if (names.size !== opts.sites.length) throw new InputError('VAULT_SITE', 'two sites have the same name', '--site');
  const custodians = await Promise.all(opts.custodians.map(async (c) => ({ name: c.name, recipient: await readRecipient(c.recipientPath) })));
  const vaultId = randomBytes(16).toString('hex');
  const { identity, recipient } = keygen();
  const custody = await splitVaultKey(identity, custodians, opts.quorum, { vaultId });
  const { anchor, signer } = createSnapshotSigning(identity, vaultId);
  const fileFor = (sites: ReadonlyArray<VaultSite>): VaultFile => ({
    format: 'lianfang-vault-file',
    version: 1,
    vaultId,
    sites: sites.map((s) => ({ name: s.name, url: s.url, ...(s.hostKeys && s.hostKeys.length > 0 ? { hostKeys: [...s.hostKeys] } : {}) })),
    data: opts.data,
    recipient: recipientToString(recipient),
    custody,
    signing: anchor,
  });
  const open = opts.open ?? siteOpener(opts.ssh ?? {});
  const stores = opts.sites.map((s) => ({ name: s.name, store: open(s) }));
  const store = new ShardedStore(stores, opts.data.k);
  let secret: Uint8Array;
  try {
    // A new vault starts whole: a site that cannot be written now is a typo or a missing
    // mount, not a site that fell behind, so init refuses before writing anything.
    const probes = await Promise.all(stores.map((s) => (isProbing(s.store) ? s.store.probe() : null)));
    const down = probes.flatMap((p) => (p !== null && !p.reachable ? [p.problem] : []));
    if (down.length > 0) throw new InputError('VAULT_SITE_UNWRITABLE', `cannot write to ${down.join('; ')}`, '--site');
    secret = (await initRepository(store, { wrapDataKey: dataKeyWrapper(recipient, vaultId) })).secret;
    await store.put(VAULT_RECORD, vaultRecordBytes(fileFor(opts.sites)));
    if (store.lagging.length > 0) {
      // Written on k sites but not all: undo, so a corrected init starts from empty sites.
      await Promise.allSettled(stores.flatMap((s) => [s.store.delete('config'), s.store.delete(VAULT_RECORD)]));
      const why = store.lagging.map((l) => `site "${l.site}": ${l.reason}`);
      throw new InputError('VAULT_SITE_UNWRITABLE', `cannot write to ${why.join('; ')}`, '--site');
    }
  } finally {
    await Promise.allSettled(stores.map((s) => s.store.close?.()));
  }
  const file = fileFor(opts.sites);
  const host = hostDir(opts.vault);
  writePrivate(`${host}/repository.secret`, Buffer.from(secret).toString('base64') + '\n');
  writePrivate(`${host}/signer.json`, JSON.stringify(signer) + '\n');
  if (opts.ssh?.privateKeyPath) writePrivate(`${host}/ssh.json`, JSON.stringify({ privateKeyPath: resolve(opts.ssh.privateKeyPath), ...(opts.ssh.knownHostsPath ? { knownHostsPath: resolve(opts.ssh.knownHostsPath) } : {}) }) + '\n');
  writeFileSync(opts.vault, JSON.stringify(file, null, 2) + '\n', { flag: 'wx' });
  return file;
}

export interface VaultBackupResult {
  readonly snapshotId: string;
  readonly files: number;
  readonly bytes: number;
  /** Files the files cache showed unchanged, so they were not read. */
  readonly unchangedFiles: number;
  readonly notes: string[];
  readonly lagging: SiteLag[];
  readonly problems: ItemProblem[];
}

/**
 * A backup of files and folders, or of a stream (`pg_dump … |`) with no plaintext copy on disk.
 * Needs no custodian, only this host's secret and the current signing key.
 */
export async function backupVault(
  vaultPath: string,
  source: readonly string[] | StreamSource,
  opts: {
    open?: SiteOpener;
    onProgress?: (p: BackupProgress) => void;
    /** Read every file, trusting no cached chunk list (the cache is rewritten). */
    force?: boolean;
    /** How long slow sites are waited for: per write once k sites have it, and at the end. */
    slowSites?: ShardedStoreOptions & { readonly settleMs?: number };
  } = {},
): Promise<VaultBackupResult> {
  return withVault(vaultPath, opts.open, async ({ file, store }) => {
    const host = hostDir(vaultPath);
    const secret = needHostSecret(vaultPath);
    const wrapDataKey = dataKeyWrapper(parseRecipient(file.recipient), file.vaultId);
    const repo = await Repository.open(store, { secret, wrapDataKey });
    const signer = snapshotSigner(parseSignerState(JSON.parse(readFileSync(`${host}/signer.json`, 'utf8')) as unknown, `${host}/signer.json`));
    const filesCache = Array.isArray(source) ? FilesCache.load(`${host}/files-cache`, repo.config.repoId, repo.config.chunker, { empty: opts.force === true }) : undefined;
    const result = await backup(repo, Array.isArray(source) ? [...(source as readonly string[])] : (source as StreamSource), {
      wrapDataKey,
      sign: (bytes) => {
        const sig = signer.sign(bytes);
        // The next key before anything else: a crash must not leave a used key on disk.
        writePrivate(`${host}/signer.json`, JSON.stringify(signer.current()) + '\n');
        return sig;
      },
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(filesCache ? { filesCache } : {}),
  });
  // Slow sites had their chance while the backup ran; what they still owe is repair's.
  await store.settleStragglers(opts.slowSites?.settleMs ?? STRAGGLER_WAIT_MS);
  // Every pack the index names should have a shard on every site: one listing per site finds
  // those a site lacks whatever the cause (a pack adopted from a killed backup, a wiped folder).
  const indexed = [...repo.indexedPacks].map(packBlobName);
  const listings = await Promise.allSettled(store.sites.map((s) => s.store.list('packs/')));
  listings.forEach((l, i) => {
    if (l.status !== 'fulfilled') return;
    const site = store.sites[i]!.name;
    const has = new Set(l.value);
    for (const p of indexed) {
      if (!has.has(p) && !store.lagging.some((x) => x.site === site && x.blob === p)) store.lagging.push({ site, blob: p, reason: 'missing: the index names this pack and the site holds no shard of it' });
    }
  });
  return {
    snapshotId: result.snapshotId, files: result.record.totals.files, bytes: result.record.totals.bytes, unchangedFiles: result.unchangedFiles,
    notes: result.notes, lagging: store.lagging, problems: result.problems,
  };
  }, opts.slowSites);
}

/** Every snapshot's signature entry: the chain a restore checks a snapshot against. */
async function signatureChain(store: BlobStore, anchor: SnapshotAnchor): Promise<SnapshotSignature[]> {
  const chain: SnapshotSignature[] = [];
  for (const id of await listSnapshotIds(store)) {
    const blob = await store.get(`snapshots/${id}`);
    if (!blob) continue;
    try {
      const outer = JSON.parse(Buffer.from(blob).toString('utf8')) as { signature?: string };
      if (typeof outer.signature === 'string') chain.push(decodeSnapshotSignature(Buffer.from(outer.signature, 'base64'), `snapshots/${id}`));
    } catch {
      // An unreadable snapshot has no place in the chain; readSnapshot reports it when asked for.
    }
  }
  // Entries of pruned snapshots count only with the custodians' signature: a snapshot the
  // host deleted on its own still leaves a hole that verification reports.
  for (const name of await store.list(RETIRED)) {
    const blob = await store.get(name);
    if (!blob) continue;
    try {
      const r = JSON.parse(Buffer.from(blob).toString('utf8')) as { retirement: SnapshotRetirement; entry: string };
      const entry = decodeSnapshotSignature(Buffer.from(r.entry, 'base64'), name);
      if (verifyRetirement(anchor, r.retirement, entry)) chain.push(entry);
    } catch {
      // A broken retirement record retires nothing.
    }
  }
  return chain;
}

const RETIRED = 'retired/';

/** How long a finished backup waits for slow sites before it reports them behind. */
const STRAGGLER_WAIT_MS = 10_000;

/**
 * The vault file's public content, replicated to every site (docs/vault-format-keys.md, "Who
 * holds what"): with k sites and a quorum of custodians, a restore needs nothing from the
 * backup host, not even its vault file.
 */
const VAULT_RECORD = 'vault';

function vaultRecordBytes(file: VaultFile): Buffer {
  return Buffer.from(JSON.stringify(file, null, 2) + '\n');
}

export interface RecoveredVault {
  readonly file: VaultFile;
  /** Sites that answered with the record the others agree on, and those that did not. */
  readonly agreeing: string[];
  readonly problems: ItemProblem[];
  /** For custodians to compare with their own copy before trusting it. */
  readonly fingerprint: { readonly vaultId: string; readonly custodyRecordId: string; readonly authorityKey: string };
}

/**
 * Writes a vault file from the copy the sites keep, for a host that lost its own (or a new
 * one): restore, verify with identities, drill and export then work; backups do not (they
 * need the old host's secret and signer). `sites` are the sites this host reaches, under the
 * vault's site names; the others keep the location the record gives. The record must come
 * from at least k of them, agreeing; custodians should compare the fingerprint with theirs.
 */
export async function recoverVaultFile(vaultPath: string, sites: ReadonlyArray<VaultSite>, opts: { open?: SiteOpener; ssh?: SshSettings } = {}): Promise<RecoveredVault> {
  if (existsSync(vaultPath)) throw new InputError('VAULT_EXISTS', 'the vault file already exists', vaultPath);
  const open = opts.open ?? siteOpener(opts.ssh ?? {});
  const stores = sites.map((s) => ({ name: s.name, store: open(s) }));
  const problems: ItemProblem[] = [];
  const votes = new Map<string, { bytes: Uint8Array; sites: string[] }>();
  try {
    await Promise.all(
      stores.map(async (s) => {
        try {
          const bytes = await s.store.get(VAULT_RECORD);
          if (bytes === null) {
            problems.push({ where: s.name, reason: 'holds no vault record' });
            return;
          }
          const key = Buffer.from(bytes).toString('base64');
          const v = votes.get(key) ?? { bytes, sites: [] };
          v.sites.push(s.name);
          votes.set(key, v);
        } catch (err) {
          problems.push({ where: s.name, reason: errorMessage(err) });
        }
      }),
    );
  } finally {
    await Promise.allSettled(stores.map((s) => s.store.close?.()));
  }
  const best = [...votes.values()].sort((a, b) => b.sites.length - a.sites.length)[0];
  if (best === undefined) throw new InputError('VAULT_NO_RECORD', `no site holds a vault record (${problems.map((p) => `${p.where}: ${p.reason}`).join('; ')})`, '--site');
  for (const v of votes.values()) if (v !== best) problems.push({ where: v.sites.join(', '), reason: 'holds a different vault record' });
  const where = `the vault record on ${best.sites.join(', ')}`;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(best.bytes).toString('utf8'));
  } catch (err) {
    throw new InputError('VAULT_FILE', `not JSON: ${(err as Error).message}`, where);
  }
  const record = parseVaultFile(raw, where);
  if (best.sites.length < record.data.k) {
    throw new InputError('VAULT_NO_RECORD', `only ${best.sites.length} site(s) (${best.sites.join(', ')}) agree on the vault record; ${record.data.k} are needed`, '--site');
  }
  for (const s of sites) if (!record.sites.some((r) => r.name === s.name)) throw new InputError('VAULT_SITE', `site "${s.name}" is not one of this vault's sites (${record.sites.map((r) => r.name).join(', ')})`, '--site');
  const here = new Map(sites.map((s) => [s.name, s]));
  const file: VaultFile = { ...record, sites: record.sites.map((r) => here.get(r.name) ?? r) };
  writeFileSync(vaultPath, vaultRecordBytes(file), { flag: 'wx' });
  return {
    file,
    agreeing: best.sites,
    problems,
    fingerprint: { vaultId: file.vaultId, custodyRecordId: file.custody.recordId, authorityKey: file.signing.authorityKey },
  };
}

/** The vault key from a quorum of custodians' identity files, naming any bad share. */
export async function recoverKey(file: VaultFile, identityPaths: readonly string[]): Promise<{ identity: Identity; problems: string[] }> {
  const identities = await Promise.all(identityPaths.map((p) => readIdentity(p)));
  const r = await recoverVaultKeyDetailed(file.custody, identities);
  return { identity: r.identity, problems: r.problems.map((p) => `${p.custodian}: ${p.reason}`) };
}

export interface Snapshots {
  readonly id: string;
  readonly time: string;
  readonly host: string;
  readonly paths: readonly string[];
  readonly files: number;
  readonly bytes: number;
}

/** Snapshots, oldest first, checked against their signatures (no custodian needed to list). */
export async function listSnapshots(vaultPath: string, open?: SiteOpener): Promise<Snapshots[]> {
  return withVault(vaultPath, open, ({ file, store }) => snapshotsIn(file, store));
}

async function snapshotsIn(file: VaultFile, store: BlobStore): Promise<Snapshots[]> {
  const chain = await signatureChain(store, file.signing);
  const verify = snapshotVerifier(file.signing, chain);
  const repoId = await repoIdOf(store);
  const out: Snapshots[] = [];
  for (const id of await listSnapshotIds(store)) {
    const s: LoadedSnapshot = await readSnapshot(store, id, repoId, verify);
    out.push({ id, time: s.record.time, host: s.record.host, paths: s.record.paths, files: s.record.totals.files, bytes: s.record.totals.bytes });
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

async function repoIdOf(store: BlobStore): Promise<string> {
  const bytes = await store.get('config');
  if (!bytes) throw new InputError('VAULT_NO_REPO', 'no repository in these sites (config is missing)', 'config');
  return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { repoId: string }).repoId;
}

export interface VaultRestoreResult {
  readonly snapshotId: string;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly keyProblems: string[];
}

/** What a restore checks beyond the signatures: that history was not cut back since a trusted head. */
export interface RestoreChecks {
  /** The newest head custodians signed (at a drill), kept off the backup host. */
  readonly trustedHead?: TrustedHead;
}

/** Restores a snapshot (or `latest`) with the key a quorum of custodians rebuilds. */
export async function restoreVault(vaultPath: string, snapshot: string, to: string, identityPaths: readonly string[], open?: SiteOpener, checks: RestoreChecks = {}): Promise<VaultRestoreResult> {
  const started = performance.now();
  // The chunk-opening threads boot while the custodians' key is recovered.
  const openers = startChunkOpeners();
  try {
    return await withVault(vaultPath, open, async ({ file, store }) => {
      const { identity, problems } = await recoverKey(file, identityPaths);
      const unwrapDataKey = dataKeyUnwrapper(identity, file.vaultId);
      const chain = await signatureChain(store, file.signing);
      if (checks.trustedHead !== undefined) {
        // Before choosing `latest`: with the newest snapshots deleted, `latest` is an older one.
        verifySnapshotChain(file.signing, chain, { authorityKey: vaultAuthorityKey(identity), trustedHead: checks.trustedHead });
      }
      const verifySignature = snapshotVerifier(file.signing, chain, { authorityKey: vaultAuthorityKey(identity), trustedHead: checks.trustedHead });
      const id = snapshot === 'latest' ? (await snapshotsIn(file, store)).at(-1)?.id : snapshot;
      if (!id) throw new InputError('VAULT_NO_SNAPSHOT', 'the vault has no snapshot yet', vaultPath);
      const repo = await Repository.open(store, { unwrapDataKey });
      const r = await restore(repo, id, resolve(to), { unwrapDataKey, verifySignature, openers });
      return { snapshotId: id, files: r.files, bytes: r.bytes, seconds: (performance.now() - started) / 1000, keyProblems: problems };
    });
  } finally {
    await Promise.all(openers.map((o) => o.close()));
  }
}

/**
 * Custodians (a quorum of identities present) vouch for the snapshot chain as it stands:
 * a head signed by the vault key, kept off the backup host, so a later restore or drill
 * given it refuses a history cut back to before it (VAULT_SNAPSHOT_ROLLBACK).
 */
export async function signVaultHead(vaultPath: string, identityPaths: readonly string[], opts: { open?: SiteOpener; trustedHead?: TrustedHead } = {}): Promise<TrustedHead> {
  return withVault(vaultPath, opts.open, async ({ file, store }) => {
    const { identity } = await recoverKey(file, identityPaths);
    const chain = await signatureChain(store, file.signing);
    const ordered = verifySnapshotChain(file.signing, chain, { authorityKey: vaultAuthorityKey(identity), trustedHead: opts.trustedHead });
    const last = ordered.at(-1);
    if (last === undefined) throw new InputError('VAULT_NO_SNAPSHOT', 'the vault has no snapshot yet', vaultPath);
    return signTrustedHead(identity, last);
  });
}

/** A trusted head from a file: the head itself, or a drill record that carries one. */
export function readTrustedHead(path: string): TrustedHead {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError('VAULT_TRUSTED_HEAD', `cannot read the trusted head: ${(err as Error).message}`, path);
  }
  const carried = (json as { trustedHead?: unknown } | null)?.trustedHead;
  return parseTrustedHead(carried ?? json, path);
}

export interface SiteCheck {
  readonly site: string;
  readonly shardsOk: number;
  readonly shardsBad: Array<{ pack: string; reason: string }>;
  /** Whether every pack could still be rebuilt without this site. */
  readonly canLose: boolean;
}

/** Per snapshot, the sites whose loss it would survive (full verify with identities). */
export interface SnapshotLoss {
  readonly snapshotId: string;
  readonly time: string;
  readonly packs: number;
  /** Site name → every pack the snapshot needs could still be rebuilt without it. */
  readonly canLose: Record<string, boolean>;
}

export interface VaultVerifyResult {
  readonly level: VerifyLevel | 'sample';
  readonly ok: boolean;
  readonly packs: number;
  readonly sites: SiteCheck[];
  readonly problems: ItemProblem[];
  /** Findings that threaten no restore: incomplete packs in no index, left by an interrupted backup. */
  readonly notes: string[];
  /** With `full` and a quorum of identities (trees are encrypted): the answer per snapshot. */
  readonly snapshots?: SnapshotLoss[];
}

/**
 * metadata: every snapshot signed and every pack named in the index; sample: also a sampled
 * fraction of each site's shards read and hash-checked; full: every shard on every site read,
 * checked and compared with the shard re-encoded from the other sites' (parity included),
 * and the repository decrypted end to end when identities are given.
 */
export async function verifyVault(vaultPath: string, level: 'metadata' | 'sample' | 'full', opts: { open?: SiteOpener; identityPaths?: readonly string[]; sample?: number } = {}): Promise<VaultVerifyResult> {
  return withVault(vaultPath, opts.open, async ({ file, store }) => {
    const chain = await signatureChain(store, file.signing);
    const identity = opts.identityPaths && opts.identityPaths.length > 0 ? (await recoverKey(file, opts.identityPaths)).identity : undefined;
    const verifySignature = snapshotVerifier(file.signing, chain, identity ? { authorityKey: vaultAuthorityKey(identity) } : {});
    const repo = await Repository.open(store, identity ? { unwrapDataKey: dataKeyUnwrapper(identity, file.vaultId) } : { secret: needHostSecret(vaultPath) });
    const report = await verifyRepo(repo, {
      level: level === 'full' && identity ? 'full' : 'metadata',
      verifySignature,
      ...(identity ? { unwrapDataKey: dataKeyUnwrapper(identity, file.vaultId) } : {}),
  });
  const packs = (await store.list('packs/')).sort();
  const chosen = level === 'metadata' ? [] : level === 'full' ? packs : packs.filter(() => Math.random() < (opts.sample ?? 0.1));
  if (level === 'sample' && chosen.length === 0 && packs.length > 0) chosen.push(packs[Math.floor(Math.random() * packs.length)]!);
  const perSite = new Map(file.sites.map((s) => [s.name, { ok: 0, bad: [] as Array<{ pack: string; reason: string }> }]));
  const badPerPack = new Map<string, number>();
  const notes: string[] = [...report.notes];
  for (const pack of chosen) {
    const checks = await store.checkPack(pack, { parity: level === 'full' });
    if (!repo.indexedPacks.has(pack.slice(pack.lastIndexOf('/') + 1))) {
      // In no index, so no snapshot needs it: what a backup killed mid-write leaves behind.
      const bad = checks.filter((c) => !c.ok).map((c) => `${c.site} ${c.reason ?? 'bad'}`);
      if (bad.length > 0) notes.push(`${pack}: in no index (left by an interrupted backup; no snapshot needs it): ${bad.join('; ')}`);
      continue;
    }
    for (const c of checks) {
      const s = perSite.get(c.site)!;
      if (c.ok) s.ok++;
      else {
        s.bad.push({ pack, reason: c.reason ?? 'bad' });
        badPerPack.set(pack, (badPerPack.get(pack) ?? 0) + 1);
      }
    }
  }
  const spare = file.data.n - file.data.k;
  const sites: SiteCheck[] = file.sites.map((s) => {
    const st = perSite.get(s.name)!;
    // Losing this site costs one more shard of every pack; still fine if the others suffice.
    const canLose = [...chosen].every((p) => (badPerPack.get(p) ?? 0) + (st.bad.some((b) => b.pack === p) ? 0 : 1) <= spare);
    return { site: s.name, shardsOk: st.ok, shardsBad: st.bad, canLose: level === 'metadata' ? spare >= 1 : canLose };
  });
  const problems = [...report.problems, ...sites.flatMap((s) => s.shardsBad.map((b) => ({ where: `${s.site}:${b.pack}`, reason: b.reason })))];
  let snapshots: SnapshotLoss[] | undefined;
  if (level === 'full' && identity) {
    // A snapshot survives losing a site when each pack it needs keeps k good shards without it.
    const survives = (pack: string, site: string): boolean => {
      const bad = badPerPack.get(pack) ?? 0;
      return bad + (perSite.get(site)!.bad.some((b) => b.pack === pack) ? 0 : 1) <= spare;
    };
    await repo.loadIndex();
    const reader = repo.chunkReader(dataKeyUnwrapper(identity, file.vaultId));
    snapshots = [];
    for (const id of await listSnapshotIds(store)) {
      const needed = new Set<string>();
      try {
        const { record } = await readSnapshot(store, id, repo.config.repoId, verifySignature);
        for (const t of record.tree) needed.add(t);
        for await (const e of readTree(reader, record.tree)) if (e.type === 'file') for (const c of e.chunks) needed.add(c);
        const packsOf = new Set<string>();
        let unindexed = 0;
        for (const c of needed) {
          const loc = repo.index.get(c);
          if (loc) packsOf.add(packBlobName(loc.packId));
          else unindexed++;
        }
        if (unindexed > 0) problems.push({ where: `snapshots/${id}`, reason: `${unindexed} chunk(s) it needs are in no index: it cannot be restored whole` });
        const canLose = Object.fromEntries(file.sites.map((st) => [st.name, unindexed === 0 && [...packsOf].every((p) => survives(p, st.name))]));
        snapshots.push({ snapshotId: id, time: record.time, packs: packsOf.size, canLose });
      } catch (err) {
        problems.push({ where: `snapshots/${id}`, reason: `cannot tell which packs it needs: ${errorMessage(err)}` });
      }
    }
  }
  return { level, ok: report.ok && problems.length === 0, packs: packs.length, sites, problems, notes, ...(snapshots ? { snapshots } : {}) };
  });
}

export interface VaultRepairResult {
  readonly checked: number;
  /** Site → blobs written to it. */
  readonly written: Record<string, number>;
  readonly problems: ItemProblem[];
  /** Packs in no index that cannot be rebuilt: left by an interrupted backup, needed by no snapshot; prune deletes them. */
  readonly notes: string[];
}

/**
 * Brings sites that fell behind (down during a backup, wiped, or holding a corrupt shard) up
 * to date: every pack's missing or bad shards are rebuilt from the good ones, and missing
 * metadata is copied. Needs no custodian: shards and metadata are repaired as sealed bytes.
 */
export async function repairVault(vaultPath: string, open?: SiteOpener): Promise<VaultRepairResult> {
  return withVault(vaultPath, open, async ({ store }) => {
    const written: Record<string, number> = {};
    const problems: ItemProblem[] = [];
    const notes: string[] = [];
    const names = new Set<string>(['config', VAULT_RECORD]);
    for (const prefix of ['packs/', 'index/', 'snapshots/', RETIRED]) for (const n of await store.list(prefix)) names.add(n);
    // Which packs the index names, to tell a damaged pack from a killed backup's leftover. The
    // index needs the host's repository secret; elsewhere, or when the index itself cannot be
    // read (repair is what fixes that), every pack counts as indexed.
    const secret = hostSecret(vaultPath);
    const indexed = secret === null ? null : await Repository.open(store, { secret }).then((r) => r.indexedPacks, () => null);
    for (const name of [...names].sort()) {
      try {
        for (const site of await store.repair(name)) written[site] = (written[site] ?? 0) + 1;
      } catch (err) {
        if (indexed !== null && name.startsWith('packs/') && !indexed.has(name.slice(name.lastIndexOf('/') + 1))) {
          notes.push(`${name}: in no index (left by an interrupted backup; no snapshot needs it), not rebuilt: ${errorMessage(err)}; prune deletes it`);
        } else {
          problems.push({ where: name, reason: errorMessage(err) });
        }
      }
    }
    return { checked: names.size, written, problems, notes };
  });
}

/**
 * Hands the vault key to a new set of custodians (a new quorum too), with a quorum of the
 * current ones present. No data is re-encrypted: the vault key stays the same, only its
 * shares change. The old shares stop working only once their holders destroy them.
 */
export async function rotateVaultCustodians(
  vaultPath: string,
  identityPaths: readonly string[],
  custodians: ReadonlyArray<{ name: string; recipientPath: string }>,
  quorum: number,
  open?: SiteOpener,
): Promise<VaultFile> {
  const file = readVaultFile(vaultPath);
  const identities = await Promise.all(identityPaths.map((p) => readIdentity(p)));
  const next = await Promise.all(custodians.map(async (c) => ({ name: c.name, recipient: await readRecipient(c.recipientPath) })));
  const custody = await rotateCustodians(file.custody, identities, next, quorum);
  const updated: VaultFile = { ...file, custody };
  // The sites' copy first: a restore from the sites alone must find the current record.
  await withVault(vaultPath, open, async ({ store }) => {
    await store.put(VAULT_RECORD, vaultRecordBytes(updated));
  });
  const tmp = `${vaultPath}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, JSON.stringify(updated, null, 2) + '\n');
  renameSync(tmp, vaultPath);
  return updated;
}

/** Writes a snapshot (or `latest`) as a plain tar stream to `out`, with a quorum of custodians. */
export async function exportVault(vaultPath: string, snapshot: string, out: Writable, identityPaths: readonly string[], open?: SiteOpener): Promise<{ snapshotId: string; files: number; bytes: number }> {
  return withVault(vaultPath, open, async ({ file, store }) => {
    const { identity } = await recoverKey(file, identityPaths);
    const unwrapDataKey = dataKeyUnwrapper(identity, file.vaultId);
    const verifySignature = snapshotVerifier(file.signing, await signatureChain(store, file.signing), { authorityKey: vaultAuthorityKey(identity) });
    const id = snapshot === 'latest' ? (await snapshotsIn(file, store)).at(-1)?.id : snapshot;
    if (!id) throw new InputError('VAULT_NO_SNAPSHOT', 'the vault has no snapshot yet', vaultPath);
    const repo = await Repository.open(store, { unwrapDataKey });
    const r = await exportSnapshot(repo, id, out, { unwrapDataKey, verifySignature });
    return { snapshotId: id, ...r };
  });
}

export interface VaultPruneResult extends PruneResult {
  /** Snapshot id → the rules that keep it. */
  readonly kept: Record<string, string[]>;
  readonly keyProblems: string[];
}

/**
 * Applies a retention policy: snapshots no rule keeps are removed with the packs only they
 * needed. Deleting history needs the custodians' quorum, like reading it: the backup host
 * alone can add snapshots but not decide which ones go. `dryRun` needs no custodian and
 * reports which snapshots would go (pack figures are then left at zero).
 */
export async function pruneVault(
  vaultPath: string,
  policy: RetentionPolicy,
  identityPaths: readonly string[],
  opts: { dryRun?: boolean; timeZone?: string; open?: SiteOpener; onProgress?: (p: { phase: string; done: number; total: number }) => void } = {},
): Promise<VaultPruneResult> {
  return withVault(vaultPath, opts.open, async ({ file, store }) => {
    const snapshots = await snapshotsIn(file, store);
    const decision = retain(snapshots, policy, opts.timeZone);
    const kept = Object.fromEntries(decision.keep);
    if (opts.dryRun && identityPaths.length === 0) {
      const secret = hostSecret(vaultPath);
      const leftoverPacks = secret === null ? 0 : (await Repository.open(store, { secret })).unindexedPacks.length;
      return {
        snapshotsRemoved: decision.remove, snapshotsKept: decision.keep.size, packsDeleted: 0, bytesDeleted: 0, packsKept: 0,
        unusedBytesKept: 0, leftoverPacks, dryRun: true, kept, keyProblems: [],
      };
    }
    const { identity, problems } = await recoverKey(file, identityPaths);
    const unwrapDataKey = dataKeyUnwrapper(identity, file.vaultId);
    const verifySignature = snapshotVerifier(file.signing, await signatureChain(store, file.signing), { authorityKey: vaultAuthorityKey(identity) });
    const repo = await Repository.open(store, { unwrapDataKey });
    const retire = async (id: string, blob: Uint8Array): Promise<void> => {
      const outer = JSON.parse(Buffer.from(blob).toString('utf8')) as { signature: string };
      const entry = decodeSnapshotSignature(Buffer.from(outer.signature, 'base64'), `snapshots/${id}`);
      const record = { retirement: signRetirement(identity, entry), entry: outer.signature };
      await store.put(`${RETIRED}${id}`, Buffer.from(JSON.stringify(record) + '\n'));
    };
    const r = await prune(repo, decision.remove, { unwrapDataKey, verifySignature, dryRun: opts.dryRun, onProgress: opts.onProgress, beforeRemove: retire });
    return { ...r, kept, keyProblems: problems };
  });
}
