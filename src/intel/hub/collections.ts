import type { Kysely, Selectable } from 'kysely';
import { InputError, NotFoundError, newId, requireRole, type RequestContext } from '../../core/index.js';
import { appendAudit, inTransaction, type Database } from '../../store/index.js';
import type { CollectionTable } from '../schema.js';
import { intelDb, type IntelPrincipal } from './members.js';

/** A TAXII collection and who may read and write it. */
export interface IntelCollection {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly alias: string | null;
  /** Member names, `group:NAME`, or `*` for every member. */
  readonly readers: readonly string[];
  readonly writers: readonly string[];
  readonly anonymous: boolean;
  readonly createdAt: string;
}

export interface NewCollection {
  /** Default: a new UUID; a member's mirror of a hub collection takes the hub's id. */
  readonly id?: string;
  readonly title: string;
  readonly description?: string;
  readonly alias?: string;
  readonly readers?: readonly string[];
  readonly writers?: readonly string[];
  readonly anonymous?: boolean;
}

function fromRow(r: Selectable<CollectionTable>): IntelCollection {
  const list = (s: string): string[] => {
    try {
      const v: unknown = JSON.parse(s);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  };
  return { id: r.id, title: r.title, description: r.description, alias: r.alias, readers: list(r.readers), writers: list(r.writers), anonymous: r.anonymous === 1, createdAt: r.created_at };
}

const PRINCIPAL = /^(\*|group:[A-Za-z0-9][A-Za-z0-9._-]{0,99}|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;

export async function createCollection(db: Kysely<Database>, ctx: RequestContext, spec: NewCollection, now = new Date()): Promise<IntelCollection> {
  requireRole(ctx, 'admin');
  const title = spec.title.trim();
  if (title.length === 0 || title.length > 200) throw new InputError('COLLECTION_TITLE_INVALID', 'a collection title is 1–200 characters', 'title');
  for (const p of [...(spec.readers ?? []), ...(spec.writers ?? [])]) {
    if (!PRINCIPAL.test(p)) throw new InputError('COLLECTION_PRINCIPAL_INVALID', `'${p}' is not a member name, group:NAME or *`, 'readers');
  }
  const c: IntelCollection = {
    id: spec.id ?? newId(), title, description: spec.description ?? '', alias: spec.alias ?? null,
    readers: [...new Set(spec.readers ?? [])], writers: [...new Set(spec.writers ?? [])], anonymous: spec.anonymous ?? false, createdAt: now.toISOString(),
  };
  await inTransaction(db, async (tx) => {
    await intelDb(tx).insertInto('taxii_collections').values({
      id: c.id, tenant: ctx.tenant, title: c.title, description: c.description, alias: c.alias,
      readers: JSON.stringify(c.readers), writers: JSON.stringify(c.writers), anonymous: c.anonymous ? 1 : 0, created_at: c.createdAt,
    }).execute();
    await appendAudit(tx, ctx, { action: 'intel.collection.create', target: `collection:${c.id}`, detail: { title: c.title, readers: c.readers, writers: c.writers } }, now);
  });
  return c;
}

function grants(list: readonly string[], who: IntelPrincipal): boolean {
  if (who.staff) return true;
  if (who.member === null) return false;
  return list.some((p) => p === '*' || p === who.member || (p.startsWith('group:') && who.groups.includes(p.slice(6))));
}

export function canRead(c: IntelCollection, who: IntelPrincipal): boolean {
  return grants(c.readers, who);
}

export function canWrite(c: IntelCollection, who: IntelPrincipal): boolean {
  return grants(c.writers, who);
}

/** The collections this principal may read or write (the rest do not exist for them). */
export async function listCollections(db: Kysely<Database>, tenant: string, who: IntelPrincipal): Promise<IntelCollection[]> {
  const rows = await intelDb(db).selectFrom('taxii_collections').selectAll().where('tenant', '=', tenant).orderBy('created_at').orderBy('id').execute();
  return rows.map(fromRow).filter((c) => canRead(c, who) || canWrite(c, who));
}

/** A collection this principal can see; otherwise not found, whether it exists or not. */
export async function getCollection(db: Kysely<Database>, tenant: string, who: IntelPrincipal, id: string): Promise<IntelCollection> {
  const row = await intelDb(db).selectFrom('taxii_collections').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  const c = row ? fromRow(row) : undefined;
  if (!c || !(canRead(c, who) || canWrite(c, who))) throw new NotFoundError('COLLECTION_NOT_FOUND', `no collection ${id} here, or not one you may use`);
  return c;
}

/** A collection by id or alias, as hub staff see it; undefined when there is none. */
export async function findCollection(db: Kysely<Database>, tenant: string, idOrAlias: string): Promise<IntelCollection | undefined> {
  const row = await intelDb(db).selectFrom('taxii_collections').selectAll().where('tenant', '=', tenant)
    .where((eb) => eb.or([eb('id', '=', idOrAlias), eb('alias', '=', idOrAlias)])).orderBy('created_at').executeTakeFirst();
  return row ? fromRow(row) : undefined;
}
