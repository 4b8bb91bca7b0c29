import type { VaultSummary } from '../api/types.js';

/** One site's line on the vault page, from the newest verify record. */
export interface SiteStatus {
  readonly name: string;
  readonly url: string;
  /** ok: every checked shard good; behind: some missing or bad; unknown: never verified. */
  readonly state: 'ok' | 'behind' | 'unknown';
  readonly shardsOk: number | null;
  readonly shardsBad: number | null;
  /** "Can we still restore if this site is lost?" as of the last verify. */
  readonly canLose: boolean | null;
}

export function siteStatuses(v: VaultSummary): SiteStatus[] {
  return v.sites.map((s) => {
    const checked = v.last_verify?.sites.find((x) => x.site === s.name);
    if (!checked) return { name: s.name, url: s.url, state: 'unknown', shardsOk: null, shardsBad: null, canLose: null };
    return {
      name: s.name, url: s.url, state: checked.shardsBad > 0 ? 'behind' : 'ok',
      shardsOk: checked.shardsOk, shardsBad: checked.shardsBad, canLose: checked.canLose,
    };
  });
}

/** How old the newest snapshot is: the recovery point if disaster struck now. */
export function newestAgeMs(v: VaultSummary, now: number): number | null {
  const newest = v.snapshots[0];
  if (!newest) return null;
  const t = Date.parse(newest.time);
  return Number.isNaN(t) ? null : Math.max(0, now - t);
}
