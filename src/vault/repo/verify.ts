import { errorMessage, type ItemProblem } from '../../core/index.js';
import { packBlobName, readPackHeader, sha256 } from './format.js';
import type { Repository, UnwrapDataKey } from './repository.js';
import { readTree } from './restore.js';
import { listSnapshotIds, readSnapshot, type VerifySnapshotSignature } from './snapshot.js';

export type VerifyLevel = 'metadata' | 'full';

export interface VerifyOptions {
  readonly level: VerifyLevel;
  /** Checks snapshot signatures; without it snapshots are checked only for form and name. */
  readonly verifySignature?: VerifySnapshotSignature;
  /** With it, trees are read (every referenced chunk must be indexed), and `full` decrypts every chunk. */
  readonly unwrapDataKey?: UnwrapDataKey;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly level: VerifyLevel;
  readonly problems: ItemProblem[];
  readonly packs: number;
  readonly chunks: number;
  readonly snapshots: number;
  /** Packs written by an interrupted backup and not yet indexed: harmless, the next backup adopts them. */
  readonly unindexedPacks: number;
  /** Findings that threaten no restore (unreadable packs in no index). */
  readonly notes: string[];
  readonly bytesRead: number;
}

/**
 * Checks a repository and reports every problem found (errors are values, so one bad pack
 * does not hide the next). `metadata`: index files, the pack list, snapshot records and (with
 * unwrapDataKey) trees. `full`: also reads every pack, checks its hash and header, and with
 * unwrapDataKey decrypts and checks every chunk.
 */
export async function verifyRepo(repo: Repository, opts: VerifyOptions): Promise<VerifyReport> {
  const problems: ItemProblem[] = [];
  const fail = (where: string, err: unknown): void => { problems.push({ where, reason: (err as Error).message }); };
  try {
    await repo.loadIndex();
  } catch (err) {
    fail('index', err);
  }
  const present = new Set((await repo.store.list('packs/')).map((n) => n.slice(n.lastIndexOf('/') + 1)));
  for (const packId of repo.indexedPacks) {
    if (!present.has(packId)) problems.push({ where: packBlobName(packId), reason: 'pack named by the index is missing' });
  }
  let bytesRead = 0;
  const notes: string[] = [];
  const reader = opts.unwrapDataKey ? repo.chunkReader(opts.unwrapDataKey) : null;
  const ids = await listSnapshotIds(repo.store);
  for (const id of ids) {
    try {
      const verify = opts.verifySignature ?? (() => true);
      const { record } = await readSnapshot(repo.store, id, repo.config.repoId, verify);
      for (const t of record.tree) if (!repo.index.has(t)) problems.push({ where: `snapshots/${id}`, reason: `tree chunk ${t} is in no index` });
      if (reader && record.tree.every((t) => repo.index.has(t))) {
        for await (const e of readTree(reader, record.tree)) {
          if (e.type !== 'file') continue;
          for (const c of e.chunks) if (!repo.index.has(c)) problems.push({ where: `snapshots/${id} ${e.path}`, reason: `chunk ${c} is in no index` });
        }
      }
    } catch (err) {
      fail(`snapshots/${id}`, err);
    }
  }
  let chunks = 0;
  if (opts.level === 'full') {
    for (const packId of present) {
      const name = packBlobName(packId);
      try {
        const bytes = await repo.store.get(name);
        if (bytes === null) throw new Error('vanished while verifying');
        bytesRead += bytes.length;
        if (sha256(bytes).toString('hex') !== packId) throw new Error('content does not hash to its name');
        const header = readPackHeader(repo.keys.metaKey, bytes, name);
        chunks += header.entries.length;
        if (!reader) continue;
        for (const e of header.entries) {
          const hex = Buffer.from(e.chunkId).toString('hex');
          const loc = repo.index.get(hex);
          if (!loc || loc.packId !== packId) continue; // a duplicate copy, or an unindexed pack
          try {
            await reader.read(hex);
          } catch (err) {
            fail(`${name} chunk ${hex}`, err);
          }
        }
      } catch (err) {
        // A pack in no index holds nothing a snapshot needs: a backup killed mid-write left it.
        if (repo.indexedPacks.has(packId)) fail(name, err);
        else notes.push(`${name}: in no index (left by an interrupted backup; no snapshot needs it): ${errorMessage(err)}`);
      }
    }
  } else {
    chunks = repo.index.size;
  }
  const unindexed = [...present].filter((p) => !repo.indexedPacks.has(p)).length;
  return { ok: problems.length === 0, level: opts.level, problems, notes, packs: present.size, chunks, snapshots: ids.length, unindexedPacks: unindexed, bytesRead };
}
