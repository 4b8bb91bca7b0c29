import type { Kysely } from 'kysely';
import { newId, systemContext, type Detection } from '../../core/index.js';
import type { Database } from '../../store/index.js';
import { addObjects, type AddedVersion } from '../stix/store.js';
import { TaxiiClient, type TaxiiAuth } from '../taxii/client.js';
import { createCollection, findCollection, type IntelCollection } from './collections.js';
import { recordIntel } from './ledger.js';
import { intelDb } from './members.js';

export interface HubConnection {
  /** The hub's TAXII discovery URL (…/taxii2/) or API root. */
  readonly url: string;
  readonly auth: TaxiiAuth;
  /** How often to pull and push; default 2 s. */
  readonly pollMs?: number;
  /** The hub collection shares and sightings go to; default: the first one we may write. */
  readonly shareCollection?: string;
}

export interface SyncReport {
  readonly pulled: number;
  readonly pushed: number;
  readonly failed: number;
}

/** The local collection whose objects a member sends to the hub (sightings, shares). */
export const OUTBOX_ALIAS = 'hub-outbox';

/**
 * A member's link to the hub: pulls every hub collection it may read into a local mirror
 * (resuming from the last date_added it stored) and pushes what it shares (the outbox) to the
 * hub. Only the outbox is pushed, so nothing received — AMBER+STRICT or otherwise — is ever
 * sent on.
 */
export class HubConnector {
  private client: TaxiiClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SyncReport> | null = null;
  private stopped = false;
  lastError: string | null = null;
  lastSync: string | null = null;
  /** Indicator id → what was seen since the last sync. */
  private readonly seen = new Map<string, { first: string; last: string; count: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenant: string,
    private readonly conn: HubConnection,
    private readonly hooks: { readonly onPulled?: (added: readonly AddedVersion[]) => void; readonly log?: (line: string) => void } = {},
  ) {}

  /**
   * Notes detections by indicators (`ioc:<id>`): each becomes part of one sighting per
   * indicator per sync. Called from detection's commit; the sightings are written later, so
   * that commit never waits on intel.
   */
  noteDetections(detections: readonly Detection[]): void {
    let any = false;
    for (const d of detections) {
      if (!d.ruleId.startsWith('ioc:')) continue;
      const id = d.ruleId.slice(4);
      const s = this.seen.get(id);
      if (!s) this.seen.set(id, { first: d.at, last: d.at, count: 1 });
      else {
        s.count++;
        if (d.at < s.first) s.first = d.at;
        if (d.at > s.last) s.last = d.at;
      }
      any = true;
    }
    // A sighting should reach the hub within seconds: sync now rather than at the next tick.
    if (any && !this.stopped) void this.syncOnce().catch(() => undefined);
  }

  private async writeSightings(): Promise<void> {
    if (this.seen.size === 0) return;
    const batch = [...this.seen.entries()];
    this.seen.clear();
    const outbox = await this.outbox();
    await addObjects(this.db, this.tenant, outbox, batch.map(([id, s]) => sightingOf(id, s.first, s.last, s.count)), { postedBy: '' });
  }

  private async taxii(): Promise<TaxiiClient> {
    if (!this.client) {
      this.client = /\/taxii2\/?$/.test(new URL(this.conn.url).pathname) ? await TaxiiClient.discover(this.conn.url, this.conn.auth) : new TaxiiClient(this.conn.url, this.conn.auth);
    }
    return this.client;
  }

  /** The outbox collection, made on first use. */
  async outbox(): Promise<IntelCollection> {
    return (await findCollection(this.db, this.tenant, OUTBOX_ALIAS))
      ?? createCollection(this.db, systemContext(this.tenant), { title: 'Shared with the hub', alias: OUTBOX_ALIAS, description: 'What this member sends to the sector hub: shared indicators and sightings' });
  }

  start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      await this.syncOnce().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.conn.pollMs ?? 2000);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pull of every readable hub collection and one push of the outbox. */
  syncOnce(): Promise<SyncReport> {
    if (this.running) {
      // Asked again mid-sync (a new sighting): run once more after this one.
      const after = this.running.catch(() => undefined).then(() => this.syncOnce());
      return after;
    }
    this.running = this.sync().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sync(): Promise<SyncReport> {
    let pulled = 0;
    let pushed = 0;
    let failed = 0;
    try {
      const client = await this.taxii();
      const remote = await client.collections();
      for (const rc of remote.filter((c) => c.can_read)) {
        const local = (await findCollection(this.db, this.tenant, rc.id))
          ?? (await createCollection(this.db, systemContext(this.tenant), { id: rc.id, title: `hub: ${rc.title}`, description: `Pulled from ${client.collectionUrl(rc.id)}` }));
        const url = client.collectionUrl(rc.id);
        const cursor = await this.cursor(url, 'pull');
        for await (const page of client.pull(rc.id, { ...(cursor ? { addedAfter: cursor } : {}), limit: 1000 })) {
          const r = await addObjects(this.db, this.tenant, local, page.objects, { postedBy: '', origin: url });
          await recordIntel(this.db, this.tenant, '', r.added);
          if (r.added.length > 0) this.hooks.onPulled?.(r.added);
          pulled += r.successes.length;
          failed += r.failures.length;
          for (const f of r.failures) this.hooks.log?.(`hub pull ${url}: ${f.message ?? f.id}`);
          if (page.dateAddedLast) await this.saveCursor(url, 'pull', page.dateAddedLast);
        }
      }
      await this.writeSightings();
      const target = this.conn.shareCollection ?? remote.find((c) => c.can_write)?.id;
      if (target) pushed = await this.push(client, target);
      this.lastError = null;
      this.lastSync = new Date().toISOString();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.hooks.log?.(`hub sync: ${this.lastError}`);
      throw err;
    }
    return { pulled, pushed, failed };
  }

  private async push(client: TaxiiClient, target: string): Promise<number> {
    const outbox = await this.outbox();
    const url = client.collectionUrl(target);
    const after = Number((await this.cursor(url, 'push')) ?? '0');
    const rows = await intelDb(this.db).selectFrom('stix_objects').select(['seq', 'json']).where('tenant', '=', this.tenant)
      .where('collection_id', '=', outbox.id).where('origin', '=', 'local').where('seq', '>', after).orderBy('seq').limit(5000).execute();
    if (rows.length === 0) return 0;
    const statuses = await client.push(target, rows.map((r) => JSON.parse(r.json) as Record<string, unknown>));
    for (const s of statuses) for (const f of s.failures ?? []) this.hooks.log?.(`hub push ${url}: ${f.id}: ${f.message ?? 'refused'}`);
    await this.saveCursor(url, 'push', String(rows[rows.length - 1]!.seq));
    return rows.length;
  }

  private async cursor(remote: string, direction: 'pull' | 'push'): Promise<string | undefined> {
    const r = await intelDb(this.db).selectFrom('taxii_sync').select('cursor').where('tenant', '=', this.tenant).where('remote', '=', remote).where('direction', '=', direction).executeTakeFirst();
    return r?.cursor;
  }

  private async saveCursor(remote: string, direction: 'pull' | 'push', cursor: string): Promise<void> {
    const idb = intelDb(this.db);
    const now = new Date().toISOString();
    const n = await idb.updateTable('taxii_sync').set({ cursor, updated_at: now }).where('tenant', '=', this.tenant).where('remote', '=', remote).where('direction', '=', direction).executeTakeFirst();
    if (Number(n.numUpdatedRows) === 0) await idb.insertInto('taxii_sync').values({ tenant: this.tenant, remote, direction, cursor, updated_at: now }).execute();
  }
}

/**
 * A STIX sighting of an indicator for the outbox: what a member's SOC saw, when and how
 * often. The hub learns who sighted it from the connection, not from the object.
 */
export function sightingOf(indicatorId: string, firstSeen: string, lastSeen: string, count: number, now = new Date()): Record<string, unknown> {
  const ts = now.toISOString();
  return {
    type: 'sighting', spec_version: '2.1', id: `sighting--${newId()}`, created: ts, modified: ts,
    sighting_of_ref: indicatorId, count: Math.max(1, Math.min(count, 999_999_999)), first_seen: firstSeen, last_seen: lastSeen,
  };
}
