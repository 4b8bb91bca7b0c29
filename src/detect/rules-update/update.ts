import { createHash, getHashes } from 'node:crypto';
import { InputError, LianfangError, errorMessage } from '../../core/index.js';
import { openArchive } from './archive.js';
import { assertReplaceable, installRules, resolveDest, type Diff } from './install.js';
import { defaultRulesDir } from './paths.js';
import { selectEntries, type KeptFile, type Rejected, type Selection } from './select.js';
import { DEFAULT_RELEASE_URL, fetchArchive, versionFromWrapper, type ExpectedDigest, type FetchedArchive } from './source.js';
import { ruleProblem } from './validate.js';

export interface RulesUpdateProgress {
  phase: 'download' | 'verify' | 'extract';
  done: number;
  total?: number;
}

export interface RulesUpdateOptions {
  /** Where rules live; default `defaultRulesDir()`. Replaced only if empty or installed by us. */
  dest?: string;
  /** URL (http/https) of an archive or of a GitHub release document, or a local file. Default: SigmaHQ's latest release. */
  from?: string;
  /** Expected SHA-256 (hex) of the archive (`--sha256`). Also permits plain http. */
  sha256?: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** download: bytes; verify: rule files checked; extract: files written. */
  onProgress?: (p: RulesUpdateProgress) => void;
}

export interface RulesUpdateResult {
  /** The archive's URL (as published, before redirects) or absolute file path. */
  source: string;
  /** SHA-256 of the archive bytes, always computed. */
  sha256: string;
  /** Release tag (`r2024-09-02`) when the source tells it. */
  version?: string;
  dest: string;
  /** Rule files installed. */
  ruleFiles: number;
  added: number;
  changed: number;
  removed: number;
  /** Entries not installed because they are unsafe or not Sigma rules, with the reason. */
  rejected: Rejected[];
  /** Harmless entries outside the rule folders that were left out (tests, images, deprecated/…). */
  skipped: number;
  /** Which digests the archive was checked against; empty means only the archive's own checksums. */
  checkedAgainst: ExpectedDigest['from'][];
}

/**
 * `lianfang rules update`: fetch a Sigma rule archive, check it, install it atomically.
 * Throws (leaving `dest` untouched) on a digest mismatch, a damaged archive, or no valid rule.
 */
export async function updateRules(opts: RulesUpdateOptions = {}): Promise<RulesUpdateResult> {
  const pinned = userDigest(opts.sha256);
  const dest = await resolveDest(opts.dest ?? defaultRulesDir());
  await assertReplaceable(dest); // fail before a long download, and again under the lock
  const progress = opts.onProgress ?? (() => undefined);
  const fetched = await fetchArchive(
    opts.from ?? DEFAULT_RELEASE_URL,
    { fetch: opts.fetch ?? globalThis.fetch, allowPlainHttp: pinned !== undefined },
    (done, total) => progress({ phase: 'download', done, ...(total !== undefined ? { total } : {}) }),
  );
  const checked = await unchanged(dest, () => checkArchive(fetched, pinned, progress));
  const files = [...checked.rules, ...checked.selection.texts];
  const started = new Date().toISOString();
  const diff = await installing(dest, () =>
    installRules(dest, files, (d) => manifest(checked, d, started), (done, total) => progress({ phase: 'extract', done, total })),
  );
  return result(checked, dest, diff);
}

/** File-system failures while installing (disk full, permissions) in plain words; the swap kept the old rules. */
async function installing<T>(dest: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof LianfangError) throw err;
    throw new LianfangError(
      'rules_update.install_failed',
      `could not install the rules into ${dest}: ${errorMessage(err)} — the previous rules were kept`,
      'technical',
      { cause: err },
    );
  }
}

interface Checked {
  fetched: FetchedArchive;
  sha256: string;
  version?: string;
  checkedAgainst: ExpectedDigest['from'][];
  selection: Selection;
  rules: KeptFile[];
  rejected: Rejected[];
}

/** Everything that can refuse the update runs before the rules folder is touched. */
async function checkArchive(
  fetched: FetchedArchive,
  pinned: ExpectedDigest | undefined,
  progress: (p: RulesUpdateProgress) => void,
): Promise<Checked> {
  const digests = pinned ? [...fetched.digests, pinned] : fetched.digests;
  const sha256 = verifyDigests(fetched, digests);
  const { entries } = await openArchive(fetched.bytes, fetched.source);
  const selection = selectEntries(entries);
  const rules: KeptFile[] = [];
  const rejected = [...selection.rejected];
  for (const [i, rule] of selection.rules.entries()) {
    const problem = ruleProblem(rule.data);
    if (problem) rejected.push({ path: rule.source, reason: problem });
    else rules.push(rule);
    progress({ phase: 'verify', done: i + 1, total: selection.rules.length });
  }
  if (rules.length === 0) throw noRules(fetched.source, selection, rejected.length);
  rejected.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const version = fetched.version ?? versionFromWrapper(selection.wrapper);
  return {
    fetched,
    sha256,
    ...(version ? { version } : {}),
    checkedAgainst: digests.map((d) => d.from),
    selection,
    rules,
    rejected,
  };
}

/** Says in refusals that nothing changed, which is what a worried operator wants to know. */
async function unchanged<T>(dest: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(err.code, `${err.message} — the rules in ${dest} were left unchanged`, undefined, { cause: err });
  }
}

function userDigest(sha256: string | undefined): ExpectedDigest | undefined {
  if (sha256 === undefined) return undefined;
  const hex = sha256.trim().toLowerCase().replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new InputError('rules_update.bad_sha256', `--sha256 must be 64 hexadecimal digits, got '${sha256}'`);
  }
  return { algorithm: 'sha256', hex, from: '--sha256' };
}

function verifyDigests(fetched: FetchedArchive, digests: readonly ExpectedDigest[]): string {
  const sha256 = createHash('sha256').update(fetched.bytes).digest('hex');
  for (const d of digests) {
    if (d.algorithm !== 'sha256' && !getHashes().includes(d.algorithm)) {
      throw new InputError('rules_update.unknown_digest', `${d.from} gives a ${d.algorithm} digest, which cannot be checked here`, fetched.source);
    }
    const actual = d.algorithm === 'sha256' ? sha256 : createHash(d.algorithm).update(fetched.bytes).digest('hex');
    if (actual !== d.hex) {
      throw new InputError(
        'rules_update.digest_mismatch',
        `the archive's ${d.algorithm} is ${actual} but ${d.from} says ${d.hex}: the download is damaged or was tampered with`,
        fetched.source,
      );
    }
  }
  return sha256;
}

function noRules(source: string, selection: Selection, rejected: number): InputError {
  const why =
    selection.rules.length === 0
      ? "it has no .yml files under a 'rules' or 'rules-*' folder — is it a Sigma rules archive?"
      : `all ${selection.rules.length} rule files were rejected`;
  return new InputError('rules_update.no_rules', `no valid Sigma rule in the archive: ${why} (${rejected} rejected)`, source);
}

function manifest(c: Checked, diff: Diff, installedAt: string): object {
  return {
    format: 1,
    tool: 'lianfang rules update',
    source: c.fetched.source,
    sha256: c.sha256,
    version: c.version ?? null,
    checkedAgainst: c.checkedAgainst,
    installedAt,
    ruleFiles: c.rules.length,
    otherFiles: c.selection.texts.length,
    ...diff,
    skipped: c.selection.skipped,
    rejected: c.rejected,
  };
}

function result(c: Checked, dest: string, diff: Diff): RulesUpdateResult {
  return {
    source: c.fetched.source,
    sha256: c.sha256,
    ...(c.version ? { version: c.version } : {}),
    dest,
    ruleFiles: c.rules.length,
    ...diff,
    rejected: c.rejected,
    skipped: c.selection.skipped,
    checkedAgainst: c.checkedAgainst,
  };
}
