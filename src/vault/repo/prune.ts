import { InputError } from '../../core/index.js';
import { decodeIndex, packBlobName, type IndexedPack } from './format.js';
import type { Repository, UnwrapDataKey } from './repository.js';
import { readTree } from './restore.js';
import { listSnapshotIds, readSnapshot, type VerifySnapshotSignature } from './snapshot.js';

export interface PruneOptions {
  readonly unwrapDataKey: UnwrapDataKey;
  readonly verifySignature: VerifySnapshotSignature;
  /** Work everything out and change nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (p: { phase: 'reading trees' | 'deleting packs'; done: number; total: number }) => void;
  /** Called with a snapshot's blob before it is deleted (the vault keeps its signature entry). */
  readonly beforeRemove?: (id: string, blob: Uint8Array) => Promise<void>;
}

export interface PruneResult {
  readonly snapshotsRemoved: string[];
  readonly snapshotsKept: number;
  /** Packs with no chunk a kept snapshot needs: deleted. */
  readonly packsDeleted: number;
  readonly bytesDeleted: number;
  readonly packsKept: number;
  /** Bytes of chunks no snapshot needs that stay because their pack holds needed ones too. */
  readonly unusedBytesKept: number;
  /**
   * Packs in no index that cannot be read (an interrupted backup left fewer than k shards, or
   * a broken one): deleted. In a dry run, every pack in no index (the real run adopts the
   * readable ones first).
   */
  readonly leftoverPacks: number;
  readonly dryRun: boolean;
}

/**
 * Removes snapshots and the packs only they needed. The trees of every snapshot that stays
 * are read (this needs the custodians: trees are encrypted), so what is deleted is exactly
 * what no kept snapshot refers to. Holds the repository lock, so no backup can reuse a chunk
 * while its pack goes. Packs that still hold a needed chunk are kept whole (not repacked).
 *
 * Order, so that a crash at any point leaves a repository that verifies: (1) snapshot
 * records go; (2) one new index file naming the packs that stay is written; (3) the old
 * index files go; (4) the dead packs go. After (1)-(3) a dead pack is an unindexed pack,
 * which the next backup adopts and the next prune deletes again.
 */
export async function prune(repo: Repository, remove: readonly string[], opts: PruneOptions): Promise<PruneResult> {
  const lock = opts.dryRun ? null : await repo.lock('prune');
  try {
    await repo.loadIndex();
    // Leftovers of killed backups: the readable ones are indexed (kept, or deleted below like
    // any dead pack); the unreadable ones hold nothing a snapshot can use.
    const leftovers = opts.dryRun ? [...repo.unindexedPacks] : (await repo.adoptUnindexedPacks()).rejected.map((r) => r.packId);
    const all = await listSnapshotIds(repo.store);
    const removing = new Set(remove);
    for (const id of removing) if (!all.includes(id)) throw new InputError('VAULT_SNAPSHOT_MISSING', 'no such snapshot to remove', `snapshots/${id}`);
    const kept = all.filter((id) => !removing.has(id));

    // Every chunk a kept snapshot needs, and the pack the index serves it from.
    const needed = new Set<string>();
    const reader = repo.chunkReader(opts.unwrapDataKey);
    let done = 0;
    for (const id of kept) {
      const { record } = await readSnapshot(repo.store, id, repo.config.repoId, opts.verifySignature);
      for (const t of record.tree) needed.add(t);
      for await (const e of readTree(reader, record.tree)) if (e.type === 'file') for (const c of e.chunks) needed.add(c);
      opts.onProgress?.({ phase: 'reading trees', done: ++done, total: kept.length });
    }
    const livePacks = new Set<string>();
    for (const c of needed) {
      const loc = repo.index.get(c);
      // A needed chunk in no index means the repository is already damaged: deleting
      // anything now could make it worse. verify and repair come first.
      if (!loc) throw new InputError('VAULT_CHUNK_MISSING', `chunk ${c} that a kept snapshot needs is in no index; run vault verify and repair before pruning`);
      livePacks.add(loc.packId);
    }

    // Every pack the index files name, with its entries (a pack can appear in several).
    const indexFiles = await repo.store.list('index/');
    const packs = new Map<string, IndexedPack>();
    for (const name of indexFiles) {
      const bytes = await repo.store.get(name);
      if (bytes === null) continue;
      for (const p of decodeIndex(repo.keys.metaKey, bytes, name)) packs.set(p.packId, p);
    }
    const stays: IndexedPack[] = [];
    const goes: IndexedPack[] = [];
    let bytesDeleted = 0;
    let unusedBytesKept = 0;
    for (const p of packs.values()) {
      const size = p.entries.reduce((n, e) => n + e.storedLength + 16, 0);
      if (livePacks.has(p.packId)) {
        stays.push(p);
        for (const e of p.entries) if (!needed.has(Buffer.from(e.chunkId).toString('hex'))) unusedBytesKept += e.storedLength + 16;
      } else {
        goes.push(p);
        bytesDeleted += size;
      }
    }
    const result: PruneResult = {
      snapshotsRemoved: [...removing], snapshotsKept: kept.length, packsDeleted: goes.length, bytesDeleted,
      packsKept: stays.length, unusedBytesKept, leftoverPacks: leftovers.length, dryRun: opts.dryRun === true,
    };
    if (opts.dryRun) return result;

    for (const id of removing) {
      const blob = await repo.store.get(`snapshots/${id}`);
      if (blob !== null && opts.beforeRemove) await opts.beforeRemove(id, blob);
      await repo.store.delete(`snapshots/${id}`);
    }
    if (goes.length > 0) {
      await repo.writeIndexFile(stays);
      const fresh = new Set(await repo.store.list('index/'));
      for (const name of indexFiles) if (fresh.has(name)) await repo.store.delete(name);
      let deleted = 0;
      for (const p of goes) {
        await repo.store.delete(packBlobName(p.packId));
        opts.onProgress?.({ phase: 'deleting packs', done: ++deleted, total: goes.length });
      }
    }
    // Only now, with every needed chunk found in an indexed pack: no leftover can be needed.
    for (const packId of leftovers) await repo.store.delete(packBlobName(packId));
    await repo.loadIndex();
    return result;
  } finally {
    await lock?.release();
  }
}
