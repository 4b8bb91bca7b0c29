import { createHash } from 'node:crypto';
import { InputError, errorMessage, type ItemProblem } from '../core/index.js';
import { dataStripes, decodePackDetailed, joinDataShards, repairShardsDetailed, verifyShard } from './erasure/index.js';
import { shardThread } from './erasure/shard-thread.js';
import type { BlobStore, KnownBytes } from './repo/index.js';

/** One place shards and metadata go: a named blob store (a directory, an SFTP server…). */
export interface SiteStore {
  readonly name: string;
  readonly store: BlobStore;
}

/** A site that did not take what it should have, so it is behind and needs a repair. */
export interface SiteLag {
  readonly site: string;
  readonly blob: string;
  readonly reason: string;
}

const PACKS = 'packs/';

/** The 32-byte id a pack's shards carry: derived from its blob name, so every site agrees. */
function packIdOf(name: string): Uint8Array {
  return createHash('sha256').update(name).digest();
}

/**
 * The repository's blob store spread over n sites: each pack is erasure-coded into n shards,
 * shard i on site i, any k of which rebuild it; everything else (config, index, snapshots,
 * locks) is small and copied to every site. A write succeeds once k sites have it, so a slow
 * or dead site does not stop a backup while the data stays recoverable; the sites that missed
 * it are listed in `lagging` for `repair` to fill in.
 */
export interface ShardedStoreOptions {
  /**
   * How long a write waits for the sites still busy once k have it, before it goes on and
   * leaves them writing in the background (a slow site then does not set the backup's pace).
   */
  readonly straggleMs?: number;
  /** Background writes one site may have under way; beyond it, the site is left behind. */
  readonly maxBehind?: number;
}

/** A site's write still under way after the put that started it went on. */
interface Straggler {
  readonly site: number;
  readonly blob: string;
  readonly done: Promise<void>;
}

export class ShardedStore implements BlobStore {
  readonly lagging: SiteLag[] = [];
  private readonly stragglers = new Set<Straggler>();
  /** Sites left behind for the rest of this store's life: they get no more writes. */
  private readonly leftBehind = new Set<number>();
  private readonly straggleMs: number;
  private readonly maxBehind: number;

  constructor(
    readonly sites: readonly SiteStore[],
    readonly k: number,
    opts: ShardedStoreOptions = {},
  ) {
    if (!Number.isInteger(k) || k < 1 || k > sites.length) throw new InputError('VAULT_DATA', `need 1 ≤ k ≤ ${sites.length} sites, got k = ${k}`, 'data');
    this.straggleMs = opts.straggleMs ?? 2_000;
    this.maxBehind = opts.maxBehind ?? 8;
  }

  get n(): number {
    return this.sites.length;
  }

  /**
   * Writes to every site and returns once k have it and the others have answered, or have
   * had `straggleMs` more to do so: those go on in the background (see `settleStragglers`).
   */
  async put(name: string, bytes: Uint8Array, known?: KnownBytes): Promise<void> {
    const copies = name.startsWith(PACKS)
      ? await shardThread().encode(packIdOf(name), bytes, this.k, this.n, { packSha256: known?.sha256, handOver: known?.handOver })
      : this.sites.map(() => bytes);
    const results: Array<PromiseSettledResult<void> | undefined> = this.sites.map(() => undefined);
    let ok = 0;
    let failed = 0;
    let wake: () => void = () => {};
    const writes = this.sites.map((s, i) => {
      if (this.leftBehind.has(i)) {
        results[i] = { status: 'rejected', reason: new Error('left behind: too many writes still under way on this site') };
        failed++;
        return Promise.resolve();
      }
      return s.store.put(name, copies[i]!).then(
        () => {
          results[i] = { status: 'fulfilled', value: undefined };
          ok++;
          wake();
        },
        (err: unknown) => {
          results[i] = { status: 'rejected', reason: err };
          failed++;
          wake();
        },
      );
    });
    const all = this.sites.length;
    const decided = (): boolean => ok + failed === all || ok >= this.k || failed > all - this.k;
    while (!decided()) await new Promise<void>((r) => (wake = r));
    if (ok + failed < all) {
      // Decided either way: give the rest a moment (for the report), then let them finish on their own.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => (timer = setTimeout(r, this.straggleMs)));
      await Promise.race([Promise.all(writes), late]);
      clearTimeout(timer);
    }
    writes.forEach((w, i) => {
      if (results[i] !== undefined) return;
      const straggler: Straggler = {
        site: i,
        blob: name,
        done: w.then(() => {
          this.stragglers.delete(straggler);
          const r = results[i]!;
          if (r.status === 'rejected') this.lagging.push({ site: this.sites[i]!.name, blob: name, reason: errorMessage(r.reason) });
        }),
      };
      this.stragglers.add(straggler);
      if ([...this.stragglers].filter((x) => x.site === i).length > this.maxBehind) this.leftBehind.add(i);
    });
    const why: string[] = [];
    results.forEach((r, i) => {
      if (r?.status !== 'rejected') return;
      this.lagging.push({ site: this.sites[i]!.name, blob: name, reason: errorMessage(r.reason) });
      why.push(`${this.sites[i]!.name}: ${errorMessage(r.reason)}`);
    });
    if (ok < this.k) throw new InputError('VAULT_SITES_DOWN', `put ${name}: only ${ok} of ${this.n} sites took it, at least ${this.k} are needed (${why.join('; ')})`, name);
  }

  /**
   * Waits up to `waitMs` for writes still under way on slow sites; those not done by then
   * (and any site left behind) are listed in `lagging`, for `repair` to fill in later.
   */
  async settleStragglers(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, waitMs)));
    await Promise.race([Promise.all([...this.stragglers].map((x) => x.done)), late]);
    clearTimeout(timer);
    for (const x of this.stragglers) this.lagging.push({ site: this.sites[x.site]!.name, blob: x.blob, reason: `still being written ${waitMs} ms after the backup ended` });
    this.stragglers.clear();
  }

  async putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> {
    const results = await Promise.allSettled(this.sites.map((s) => s.store.putIfAbsent(name, bytes)));
    const taken = results.filter((r) => r.status === 'fulfilled' && r.value).length;
    const refused = results.filter((r) => r.status === 'fulfilled' && !r.value).length;
    if (refused > 0) {
      // Someone holds it on at least one site: undo ours, so no site keeps a half-taken lock.
      await Promise.allSettled(this.sites.map((s, i) => (results[i]!.status === 'fulfilled' && (results[i] as PromiseFulfilledResult<boolean>).value ? s.store.delete(name) : Promise.resolve())));
      return false;
    }
    if (taken < this.k) await Promise.allSettled(this.sites.map((s) => s.store.delete(name)));
    this.settle(name, results, 'putIfAbsent'); // throws when fewer than k sites took it
    return true;
  }

  async get(name: string): Promise<Uint8Array | null> {
    if (name.startsWith(PACKS)) {
      const { pack, problems } = await this.readPack(name);
      // A pack read despite a missing or bad shard: that site is behind, for repair to fill in.
      if (pack !== null) for (const p of problems) this.lagging.push({ site: p.where.slice(0, p.where.indexOf(':')), blob: name, reason: p.reason });
      return pack;
    }
    // Metadata: the copy most sites agree on (a site rewritten behind our back loses the vote).
    const results = await Promise.allSettled(this.sites.map((s) => s.store.get(name)));
    const votes = new Map<string, { bytes: Uint8Array; count: number }>();
    for (const r of results) {
      if (r.status !== 'fulfilled' || r.value === null) continue;
      const key = createHash('sha256').update(r.value).digest('hex');
      const v = votes.get(key);
      if (v) v.count++;
      else votes.set(key, { bytes: r.value, count: 1 });
    }
    if (votes.size === 0) {
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed > this.n - this.k) throw new InputError('VAULT_SITES_DOWN', `${name}: ${failed} of ${this.n} sites could not be read; at least ${this.k} are needed`, name);
      return null;
    }
    return [...votes.values()].sort((a, b) => b.count - a.count)[0]!.bytes;
  }

  /**
   * A pack from its k data shards, joined with their headers checked but not the pack's hash
   * (restores authenticate every chunk and call `get` when one fails); anything off, and it is
   * `get`'s careful path at once.
   */
  async getUnchecked(name: string): Promise<Uint8Array[] | null> {
    const whole = async (): Promise<Uint8Array[] | null> => {
      const bytes = await this.get(name);
      return bytes === null ? null : [bytes];
    };
    if (!name.startsWith(PACKS)) return whole();
    const data = await Promise.all(this.sites.slice(0, this.k).map((s) => s.store.get(name).catch(() => null)));
    return dataStripes(data, { packId: packIdOf(name) })?.pieces ?? whole();
  }

  /**
   * A pack rebuilt from any k good shards, with which sites served and why others did not.
   * The k data shards are read first and, when they join into the pack its hash names, that is
   * all; only otherwise are the parity shards read and every shard checked on its own.
   */
  async readPack(name: string): Promise<{ pack: Uint8Array | null; problems: ItemProblem[] }> {
    const problems: ItemProblem[] = [];
    const packId = packIdOf(name);
    const fetch = async (s: SiteStore): Promise<Uint8Array | null> => {
      try {
        return await s.store.get(name);
      } catch (err) {
        problems.push({ where: `${s.name}:${name}`, reason: errorMessage(err) });
        return null;
      }
    };
    const data = await Promise.all(this.sites.slice(0, this.k).map(fetch));
    if (problems.length === 0) {
      const pack = await joinDataShards(data, { packId });
      if (pack !== null) return { pack, problems };
    }
    const shards = [...data, ...(await Promise.all(this.sites.slice(this.k).map(fetch)))];
    if (shards.every((x) => x === null) && problems.length === 0) return { pack: null, problems };
    let decoded;
    try {
      decoded = decodePackDetailed(shards, { packId });
    } catch (err) {
      // Fewer than k good shards: say which sites failed, not which input positions.
      if (err instanceof InputError) throw new InputError(err.code, err.message.replace(/position (\d+)/g, (_, i: string) => `site "${this.siteOfPosition(`position ${i}`)}"`), name);
      throw err;
    }
    for (const p of decoded.skipped) problems.push({ where: `${this.siteOfPosition(p.where)}:${name}`, reason: p.reason });
    return { pack: decoded.pack, problems };
  }

  async list(prefix: string): Promise<string[]> {
    const results = await Promise.allSettled(this.sites.map((s) => s.store.list(prefix)));
    const names = new Set<string>();
    let ok = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      ok++;
      for (const n of r.value) names.add(n);
    }
    if (ok < this.k) throw new InputError('VAULT_SITES_DOWN', `listing ${prefix}: only ${ok} of ${this.n} sites answered; at least ${this.k} are needed`, prefix);
    return [...names];
  }

  async delete(name: string): Promise<void> {
    const results = await Promise.allSettled(this.sites.map((s) => s.store.delete(name)));
    this.settle(name, results, 'delete');
  }

  /**
   * Brings every site up to date for one blob: re-creates missing or corrupt shards from the
   * good ones, copies missing metadata. Returns the sites that were written.
   */
  async repair(name: string): Promise<string[]> {
    const fixed: string[] = [];
    if (name.startsWith(PACKS)) {
      const shards = await Promise.all(this.sites.map((s) => s.store.get(name).catch(() => null)));
      const repaired = repairShardsDetailed(shards, { packId: packIdOf(name) });
      for (const index of repaired.rebuilt) {
        const site = this.sites[index]!;
        await site.store.put(name, repaired.shards[index]!);
        fixed.push(site.name);
      }
      return fixed;
    }
    const bytes = await this.get(name);
    if (bytes === null) return fixed;
    for (const s of this.sites) {
      const have = await s.store.get(name).catch(() => null);
      if (have !== null && Buffer.compare(Buffer.from(have), Buffer.from(bytes)) === 0) continue;
      await s.store.put(name, bytes);
      fixed.push(s.name);
    }
    return fixed;
  }

  /**
   * Each site's shard of a pack, checked against its own hashes; with `parity`, also against
   * the pack rebuilt from the others: every shard is recomputed from k good ones and compared,
   * so a shard whose hashes were rewritten to match wrong bytes is caught too.
   */
  async checkPack(name: string, opts: { parity?: boolean } = {}): Promise<Array<{ site: string; ok: boolean; reason?: string }>> {
    const shards: Array<Uint8Array | null> = [];
    const verdicts = await Promise.all(
      this.sites.map(async (s, i) => {
        shards[i] = null;
        try {
          const shard = await s.store.get(name);
          if (shard === null) return { site: s.name, ok: false, reason: 'missing' };
          shards[i] = shard;
          const v = verifyShard(shard);
          return v.ok ? { site: s.name, ok: true } : { site: s.name, ok: false, reason: v.reason };
        } catch (err) {
          return { site: s.name, ok: false, reason: errorMessage(err) };
        }
      }),
    );
    if (!opts.parity || verdicts.filter((v) => v.ok).length < this.k) return verdicts;
    let repaired;
    try {
      repaired = repairShardsDetailed(shards, { packId: packIdOf(name) });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // Each shard is intact on its own, yet no k of them make the pack they claim.
      return verdicts.map((v) => (v.ok ? { ...v, ok: false, reason: `no ${this.k} shards rebuild the pack: ${err.message}` } : v));
    }
    return verdicts.map((v, i) =>
      v.ok && repaired.rebuilt.includes(i)
        ? { site: v.site, ok: false, reason: `shard ${i} has intact hashes but differs from the one re-encoded from the other sites' shards` }
        : v,
    );
  }

  private settle(name: string, results: PromiseSettledResult<unknown>[], what: string): void {
    let ok = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') ok++;
      else this.lagging.push({ site: this.sites[i]!.name, blob: name, reason: errorMessage(r.reason) });
    });
    if (ok < this.k) {
      const why = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.sites[i]!.name}: ${errorMessage(r.reason)}`] : []));
      throw new InputError('VAULT_SITES_DOWN', `${what} ${name}: only ${ok} of ${this.n} sites took it, at least ${this.k} are needed (${why.join('; ')})`, name);
    }
  }

  /** decodePack names inputs by position ("position 2"); say which site that is. */
  private siteOfPosition(where: string): string {
    const m = /^position (\d+)$/.exec(where);
    return m ? (this.sites[Number(m[1])]?.name ?? where) : where;
  }
}
