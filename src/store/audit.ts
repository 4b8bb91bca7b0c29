import { createHash } from 'node:crypto';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { RequestContext } from '../core/index.js';
import type { Database } from './schema.js';

/** What happened, to what, by whom: one line of the audit log. */
export interface AuditEntry {
  /** Dotted verb, e.g. `case.update`, `rule.disable`, `token.create`. */
  readonly action: string;
  /** What it was done to, e.g. `case:01J…`, `rule:5af54681-…@2`. */
  readonly target: string;
  /** The change itself (fields before/after, the comment text, …). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly tenant: string;
  readonly prevHash: string;
  readonly hash: string;
}

export type AuditVerdict =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly entries: number; readonly seq: number; readonly reason: string };

const GENESIS = '0'.repeat(64);

/** JSON with keys sorted at every level: the same entry always hashes the same. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

function chainHash(prev: string, r: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  const body = canonical({ seq: r.seq, at: r.at, actor: r.actor, tenant: r.tenant, action: r.action, target: r.target, detail: r.detail ?? {} });
  return createHash('sha256').update(prev).update('\n').update(body).digest('hex');
}

/**
 * Appends to the hash-chained audit log. Call it inside the transaction that makes the
 * change, so the change and its record commit together; on PostgreSQL the head row is
 * locked, so concurrent writers queue instead of forking the chain.
 */
export async function appendAudit(db: Kysely<Database>, ctx: RequestContext, entry: AuditEntry, now: Date = new Date()): Promise<AuditRecord> {
  if (!db.isTransaction) return db.transaction().execute((tx) => appendAudit(tx, ctx, entry, now));
  let q = db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (db.getExecutor().adapter instanceof PostgresAdapter) q = q.forUpdate();
  const head = await q.executeTakeFirstOrThrow();
  const base = { seq: Number(head.seq) + 1, at: now.toISOString(), actor: ctx.actor.id, tenant: ctx.tenant, action: entry.action, target: entry.target, detail: entry.detail ?? {} };
  const hash = chainHash(head.hash, base);
  await db
    .insertInto('audit_log')
    .values({ seq: base.seq, at: base.at, actor: base.actor, tenant: base.tenant, action: base.action, target: base.target, detail: canonical(base.detail), prev_hash: head.hash, hash })
    .execute();
  await db.updateTable('audit_head').set({ seq: base.seq, hash }).where('id', '=', 1).execute();
  return { ...base, prevHash: head.hash, hash };
}

/** Reads the audit log, newest first, `limit` at a time before `beforeSeq`. */
export async function listAudit(db: Kysely<Database>, opts: { limit?: number; beforeSeq?: number; target?: string } = {}): Promise<AuditRecord[]> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(Math.min(opts.limit ?? 100, 1000));
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  if (opts.target !== undefined) q = q.where('target', '=', opts.target);
  const rows = await q.execute();
  return rows.map((r) => ({
    seq: Number(r.seq), at: r.at, actor: r.actor, tenant: r.tenant, action: r.action, target: r.target,
    detail: JSON.parse(r.detail) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash,
  }));
}

/**
 * Recomputes the chain from the first entry: every hash must follow from its predecessor
 * and its own content, sequence numbers must have no gaps, and the head must point at the
 * last entry. Names the first entry that breaks it.
 */
export async function verifyAudit(db: Kysely<Database>): Promise<AuditVerdict> {
  let prev = GENESIS;
  let expected = 1;
  let entries = 0;
  const page = 5000;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', expected).orderBy('seq').limit(page).execute();
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expected) return { ok: false, entries, seq: expected, reason: `entry ${expected} is missing (next is ${seq})` };
      if (r.prev_hash !== prev) return { ok: false, entries, seq, reason: `entry ${seq} does not link to entry ${seq - 1}` };
      let detail: unknown;
      try {
        detail = JSON.parse(r.detail);
      } catch {
        return { ok: false, entries, seq, reason: `entry ${seq} has a detail that is not JSON` };
      }
      const hash = chainHash(prev, { seq, at: r.at, actor: r.actor, tenant: r.tenant, action: r.action, target: r.target, detail: detail as Record<string, unknown> });
      if (hash !== r.hash) return { ok: false, entries, seq, reason: `entry ${seq} was altered: its content does not hash to its recorded hash` };
      prev = r.hash;
      expected++;
      entries++;
    }
    if (rows.length < page) break;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head) return { ok: false, entries, seq: 0, reason: 'the audit head row is missing' };
  if (Number(head.seq) !== entries || head.hash !== prev) {
    return { ok: false, entries, seq: Number(head.seq), reason: `the head says ${head.seq} entries ending ${head.hash.slice(0, 12)}…, the log has ${entries} ending ${prev.slice(0, 12)}… (entries were removed from the end?)` };
  }
  return { ok: true, entries, head: prev };
}

export { GENESIS as AUDIT_GENESIS };
