import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../core/index.js';
import { drillJournal } from './evidence.js';
import type { TrustedHead } from './keys/index.js';
import { listSnapshots, restoreVault, signVaultHead, type RestoreChecks, type SiteOpener } from './vault.js';

/** What a restore drill measured: the evidence governance reads later. */
export interface DrillRecord {
  readonly kind: 'vault.restore-drill';
  readonly vaultId: string;
  readonly snapshotId: string;
  readonly snapshotTime: string;
  readonly startedAt: string;
  readonly target: string;
  readonly ok: boolean;
  readonly files: number;
  readonly bytes: number;
  /** Wall time of the restore, key recovery included. */
  readonly restoreSeconds: number;
  /** Age of the restored data when the drill ran (the recovery point actually achieved). */
  readonly dataAgeSeconds: number;
  /** SHA-256 over every restored file's path and content hash, sorted: a fingerprint of what came back. */
  readonly contentSha256: string;
  readonly problems: string[];
  /**
   * On success, the custodians' signature over the snapshot chain as the drill saw it: keep
   * this record off the backup host and give it to the next drill or restore
   * (`--trusted-head`), which then refuses a history cut back to before it.
   */
  readonly trustedHead?: TrustedHead;
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * A restore drill: restores the snapshot into a segregated, empty target with a quorum of
 * custodians, re-hashes what came back, times it, and appends the record to
 * `<vault>.drills.jsonl`.
 */
export async function drillVault(vaultPath: string, snapshot: string, to: string, identityPaths: readonly string[], open?: SiteOpener, checks: RestoreChecks = {}): Promise<DrillRecord> {
  const target = resolve(to);
  if (existsSync(target) && readdirSync(target).length > 0) throw new InputError('VAULT_DRILL_TARGET', 'a drill restores into an empty or new folder, segregated from production', target);
  const file = JSON.parse(readFileSync(vaultPath, 'utf8')) as { vaultId: string };
  const startedAt = new Date();
  const snaps = await listSnapshots(vaultPath, open);
  const chosen = snapshot === 'latest' ? snaps.at(-1) : snaps.find((s) => s.id === snapshot);
  if (!chosen) throw new InputError('VAULT_NO_SNAPSHOT', snapshot === 'latest' ? 'the vault has no snapshot yet' : `no snapshot ${snapshot}`, vaultPath);
  const problems: string[] = [];
  let files = 0;
  let bytes = 0;
  let seconds = 0;
  let ok = true;
  let content = '';
  try {
    const r = await restoreVault(vaultPath, chosen.id, target, identityPaths, open, checks);
    problems.push(...r.keyProblems);
    seconds = r.seconds;
    const h = createHash('sha256');
    const list = filesUnder(target).sort();
    for (const f of list) {
      const fh = createHash('sha256').update(readFileSync(f)).digest('hex');
      h.update(`${f.slice(target.length)}\0${fh}\n`);
      bytes += statSync(f).size;
    }
    files = list.length;
    content = h.digest('hex');
    if (files !== chosen.files) {
      ok = false;
      problems.push(`restored ${files} files, the snapshot lists ${chosen.files}`);
    }
  } catch (err) {
    ok = false;
    problems.push((err as Error).message);
    rmSync(target, { recursive: true, force: true });
  }
  let trustedHead: TrustedHead | undefined;
  if (ok) {
    try {
      trustedHead = await signVaultHead(vaultPath, identityPaths, { open, trustedHead: checks.trustedHead });
    } catch (err) {
      problems.push(`no trusted head signed: ${(err as Error).message}`);
    }
  }
  const record: DrillRecord = {
    kind: 'vault.restore-drill',
    vaultId: file.vaultId,
    snapshotId: chosen.id,
    snapshotTime: chosen.time,
    startedAt: startedAt.toISOString(),
    target,
    ok,
    files,
    bytes,
    restoreSeconds: Math.round(seconds * 1000) / 1000,
    dataAgeSeconds: Math.round((startedAt.getTime() - Date.parse(chosen.time)) / 1000),
    contentSha256: content,
    problems,
    ...(trustedHead ? { trustedHead } : {}),
  };
  appendFileSync(drillJournal(vaultPath), JSON.stringify(record) + '\n');
  return record;
}
