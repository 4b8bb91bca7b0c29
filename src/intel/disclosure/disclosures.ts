import type { Kysely, Migration } from 'kysely';
import { ConflictError, InputError, NotAllowedError, NotFoundError, newId, requireRole, type RequestContext } from '../../core/index.js';
import { appendAudit, inTransaction, isPostgres, lockUntilCommit, type Database, type MigrationSet } from '../../store/index.js';
import { createCollection, findCollection, type IntelCollection } from '../hub/collections.js';
import { principalOf } from '../hub/members.js';
import { addObjects } from '../stix/store.js';

/**
 * Vulnerability disclosure intake (漏洞通報與回應管道): a researcher's or member's report is
 * triaged, routed to the vendor and the members who run the product, tracked until each has
 * patched, and published as a STIX vulnerability when its embargo ends — not before.
 */
export type DisclosureState = 'received' | 'triaged' | 'routed' | 'fixing' | 'fixed' | 'published' | 'rejected' | 'duplicate';

/** Allowed moves. Publishing happens by the embargo clock (or by staff once fixed), never from intake. */
export const DISCLOSURE_TRANSITIONS: Readonly<Record<DisclosureState, readonly DisclosureState[]>> = {
  received: ['triaged', 'rejected', 'duplicate'],
  triaged: ['routed', 'rejected', 'duplicate'],
  routed: ['fixing', 'fixed'],
  fixing: ['fixed'],
  fixed: ['published'],
  published: [],
  rejected: [],
  duplicate: [],
};

export interface Recipient {
  readonly member: string;
  readonly ackedAt: string | null;
  readonly patchedAt: string | null;
}

export interface Disclosure {
  readonly id: string;
  readonly number: string;
  readonly title: string;
  readonly description: string;
  readonly reporter: string;
  readonly filedBy: string;
  readonly vendor: string;
  readonly product: string;
  readonly affectedVersions: string;
  readonly cve: string | null;
  readonly cvss: number | null;
  readonly state: DisclosureState;
  readonly embargoUntil: string | null;
  readonly vendorContact: string | null;
  readonly recipients: readonly Recipient[];
  readonly fixedVersion: string | null;
  readonly stixId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: readonly { at: string; actor: string; kind: string; note: string }[];
}

export interface NewDisclosure {
  readonly title: string;
  readonly description: string;
  /** Who found it (name and contact), kept even when a member files on their behalf. */
  readonly reporter: string;
  readonly vendor: string;
  readonly product: string;
  readonly affectedVersions?: string;
  readonly cve?: string;
  readonly cvss?: number;
}

interface DisclosureTable {
  id: string;
  tenant: string;
  number: string;
  title: string;
  description: string;
  reporter: string;
  filed_by: string;
  vendor: string;
  product: string;
  affected_versions: string;
  cve: string | null;
  cvss: number | null;
  state: string;
  embargo_until: string | null;
  vendor_contact: string | null;
  recipients: string;
  fixed_version: string | null;
  stix_id: string | null;
  history: string;
  created_at: string;
  updated_at: string;
}

type Db = Kysely<Database & { vuln_disclosures: DisclosureTable }>;
const tbl = (db: Kysely<Database>): Db => db.withTables<{ vuln_disclosures: DisclosureTable }>();

export const disclosureMigrations: MigrationSet = {
  'intel/0004_disclosures': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vuln_disclosures')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
        .addColumn('number', 'varchar(40)', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .addColumn('filed_by', 'varchar(200)', (c) => c.notNull())
        .addColumn('vendor', 'varchar(200)', (c) => c.notNull())
        .addColumn('product', 'varchar(200)', (c) => c.notNull())
        .addColumn('affected_versions', 'text', (c) => c.notNull())
        .addColumn('cve', 'varchar(40)')
        .addColumn('cvss', 'real')
        .addColumn('state', 'varchar(20)', (c) => c.notNull())
        .addColumn('embargo_until', 'varchar(40)')
        .addColumn('vendor_contact', 'text')
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('fixed_version', 'varchar(200)')
        .addColumn('stix_id', 'varchar(100)')
        .addColumn('history', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addUniqueConstraint('vuln_disclosures_number', ['tenant', 'number'])
        .execute();
    },
  } satisfies Migration,
};

function fromRow(r: DisclosureTable): Disclosure {
  return {
    id: r.id, number: r.number, title: r.title, description: r.description, reporter: r.reporter, filedBy: r.filed_by, vendor: r.vendor, product: r.product,
    affectedVersions: r.affected_versions, cve: r.cve, cvss: r.cvss === null ? null : Number(r.cvss), state: r.state as DisclosureState, embargoUntil: r.embargo_until,
    vendorContact: r.vendor_contact, recipients: JSON.parse(r.recipients) as Recipient[], fixedVersion: r.fixed_version, stixId: r.stix_id,
    createdAt: r.created_at, updatedAt: r.updated_at, history: JSON.parse(r.history) as Disclosure['history'],
  };
}

/** At most 40 characters, the width of the cve column (PostgreSQL enforces it). */
const CVE = /^CVE-\d{4}-\d{4,31}$/;

function text(v: string | undefined, name: string, max: number, required = true): string {
  const t = (v ?? '').trim();
  if (required && t.length === 0) throw new InputError('DISCLOSURE_FIELD_MISSING', `'${name}' is required`, name);
  if (t.length > max) throw new InputError('DISCLOSURE_FIELD_TOO_LONG', `'${name}' is longer than ${max} characters`, name);
  return t;
}

/** Files a report. Members (connector tokens) and hub staff may file; the researcher is named in `reporter`. */
export async function fileDisclosure(db: Kysely<Database>, ctx: RequestContext, spec: NewDisclosure, now = new Date()): Promise<Disclosure> {
  requireRole(ctx, 'analyst', 'member-connector');
  const who = await principalOf(db, ctx);
  if (spec.cve !== undefined && spec.cve !== '' && !CVE.test(spec.cve)) throw new InputError('CVE_INVALID', `'${spec.cve.slice(0, 60)}' is not a CVE id (CVE-YYYY-NNNN, at most 40 characters)`, 'cve');
  if (spec.cvss !== undefined && !(spec.cvss >= 0 && spec.cvss <= 10)) throw new InputError('CVSS_INVALID', 'cvss is a base score from 0.0 to 10.0', 'cvss');
  const at = now.toISOString();
  const year = at.slice(0, 4);
  const fields = {
    id: newId(), tenant: ctx.tenant,
    title: text(spec.title, 'title', 300), description: text(spec.description, 'description', 20_000), reporter: text(spec.reporter, 'reporter', 500),
    filed_by: who.member ?? ctx.actor.id, vendor: text(spec.vendor, 'vendor', 200), product: text(spec.product, 'product', 200),
    affected_versions: text(spec.affectedVersions, 'affected_versions', 500, false), cve: spec.cve || null, cvss: spec.cvss ?? null, state: 'received',
    embargo_until: null, vendor_contact: null, recipients: '[]', fixed_version: null, stix_id: null,
    history: JSON.stringify([{ at, actor: ctx.actor.id, kind: 'received', note: '' }]), created_at: at, updated_at: at,
  };
  return inTransaction(db, async (tx) => {
    // Two filings at once must not both take the next number. SQLite's one writer queues
    // them; PostgreSQL runs them side by side, so they queue here, per tenant and year.
    await lockUntilCommit(tx, ['lianfang.disclosures', ctx.tenant, year]);
    const last = await tbl(tx).selectFrom('vuln_disclosures').select('number').where('tenant', '=', ctx.tenant).where('number', 'like', `VD-${year}-%`).orderBy('number', 'desc').executeTakeFirst();
    const seq = last ? Number(last.number.slice(8)) + 1 : 1;
    const row: DisclosureTable = { ...fields, number: `VD-${year}-${String(seq).padStart(4, '0')}` };
    await tbl(tx).insertInto('vuln_disclosures').values(row).execute();
    await appendAudit(tx, ctx, { action: 'intel.disclosure.file', target: `disclosure:${row.id}`, detail: { number: row.number } }, now);
    return fromRow(row);
  });
}

/** What a principal may see: staff everything; a member what it filed or was routed. */
function visibleTo(d: Disclosure, staff: boolean, member: string | null, actorId: string): boolean {
  return staff || d.filedBy === (member ?? actorId) || (member !== null && d.recipients.some((r) => r.member === member));
}

export async function listDisclosures(db: Kysely<Database>, ctx: RequestContext): Promise<Disclosure[]> {
  const who = await principalOf(db, ctx);
  const staff = who.staff || ctx.actor.roles.includes('auditor') || ctx.actor.roles.includes('supervisor');
  const rows = await tbl(db).selectFrom('vuln_disclosures').selectAll().where('tenant', '=', ctx.tenant).orderBy('created_at', 'desc').execute();
  return rows.map(fromRow).filter((d) => visibleTo(d, staff, who.member, ctx.actor.id));
}

export async function getDisclosure(db: Kysely<Database>, ctx: RequestContext, id: string): Promise<Disclosure> {
  return readDisclosure(db, ctx, id, false);
}

/**
 * One disclosure; with `lock`, inside a transaction, its row stays locked until the caller
 * commits, so two changes at once (two members acknowledging) apply one after the other
 * instead of the second overwriting the first's recipients and history. SQLite's one writer
 * serialises transactions already; PostgreSQL needs the row lock.
 */
async function readDisclosure(db: Kysely<Database>, ctx: RequestContext, id: string, lock: boolean): Promise<Disclosure> {
  const who = await principalOf(db, ctx);
  const staff = who.staff || ctx.actor.roles.includes('auditor') || ctx.actor.roles.includes('supervisor');
  let q = tbl(db).selectFrom('vuln_disclosures').selectAll().where('tenant', '=', ctx.tenant).where('id', '=', id);
  if (lock && isPostgres(db)) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  const d = row ? fromRow(row) : undefined;
  if (!d || !visibleTo(d, staff, who.member, ctx.actor.id)) throw new NotFoundError('DISCLOSURE_NOT_FOUND', `no disclosure ${id} that you may see`);
  return d;
}

export interface DisclosureChange {
  readonly to: DisclosureState;
  readonly note?: string;
  /** On routing: the members who run the product, the vendor's contact, the embargo's end. */
  readonly recipients?: readonly string[];
  readonly vendorContact?: string;
  readonly embargoUntil?: string;
  readonly fixedVersion?: string;
}

/** Moves a disclosure along its lifecycle (hub staff only). */
export async function changeDisclosure(db: Kysely<Database>, ctx: RequestContext, id: string, change: DisclosureChange, now = new Date()): Promise<Disclosure> {
  requireRole(ctx, 'analyst');
  return inTransaction(db, (tx) => applyChange(tx, ctx, id, change, now));
}

async function applyChange(db: Kysely<Database>, ctx: RequestContext, id: string, change: DisclosureChange, now: Date): Promise<Disclosure> {
  const d = await readDisclosure(db, ctx, id, true);
  if (!DISCLOSURE_TRANSITIONS[d.state].includes(change.to)) {
    throw new ConflictError('DISCLOSURE_TRANSITION', `${d.number} is ${d.state}; it can go to ${DISCLOSURE_TRANSITIONS[d.state].join(', ') || 'nothing (closed)'}, not ${change.to}`);
  }
  const at = now.toISOString();
  const set: Partial<DisclosureTable> = { state: change.to, updated_at: at };
  if (change.to === 'routed') {
    if (!change.recipients?.length && !change.vendorContact) throw new InputError('ROUTE_EMPTY', 'routing needs recipients (members) or a vendor contact', 'recipients');
    if (!change.embargoUntil || Number.isNaN(Date.parse(change.embargoUntil))) throw new InputError('EMBARGO_MISSING', 'routing sets the embargo end (embargo_until, ISO 8601)', 'embargo_until');
    set.recipients = JSON.stringify([...new Set(change.recipients ?? [])].map((member): Recipient => ({ member, ackedAt: null, patchedAt: null })));
    set.vendor_contact = change.vendorContact ?? null;
    set.embargo_until = new Date(change.embargoUntil).toISOString();
  }
  if (change.to === 'fixed') {
    if (!change.fixedVersion) throw new InputError('FIXED_VERSION_MISSING', 'say which version fixes it (fixed_version)', 'fixed_version');
    set.fixed_version = text(change.fixedVersion, 'fixed_version', 200);
  }
  if (change.to === 'published') throw new ConflictError('DISCLOSURE_PUBLISH', 'publication happens when the embargo ends (publishDue), not by hand');
  set.history = JSON.stringify([...d.history, { at, actor: ctx.actor.id, kind: change.to, note: change.note ?? '' }]);
  await tbl(db).updateTable('vuln_disclosures').set(set).where('id', '=', id).where('tenant', '=', ctx.tenant).execute();
  await appendAudit(db, ctx, { action: `intel.disclosure.${change.to}`, target: `disclosure:${id}`, detail: { note: change.note ?? '' } }, now);
  return getDisclosure(db, ctx, id);
}

/** A routed member acknowledges the report, and later says it has patched. */
export async function acknowledgeDisclosure(db: Kysely<Database>, ctx: RequestContext, id: string, patched: boolean, now = new Date()): Promise<Disclosure> {
  return inTransaction(db, (tx) => acknowledge(tx, ctx, id, patched, now));
}

async function acknowledge(db: Kysely<Database>, ctx: RequestContext, id: string, patched: boolean, now: Date): Promise<Disclosure> {
  const who = await principalOf(db, ctx);
  const d = await readDisclosure(db, ctx, id, true);
  if (who.member === null || !d.recipients.some((r) => r.member === who.member)) throw new NotAllowedError('NOT_A_RECIPIENT', `${d.number} was not routed to you`);
  const at = now.toISOString();
  const recipients = d.recipients.map((r) => (r.member === who.member ? { ...r, ackedAt: r.ackedAt ?? at, patchedAt: patched ? (r.patchedAt ?? at) : r.patchedAt } : r));
  const history = [...d.history, { at, actor: ctx.actor.id, kind: patched ? 'patched' : 'acknowledged', note: who.member }];
  await tbl(db).updateTable('vuln_disclosures').set({ recipients: JSON.stringify(recipients), history: JSON.stringify(history), updated_at: at }).where('id', '=', id).where('tenant', '=', ctx.tenant).execute();
  await appendAudit(db, ctx, { action: `intel.disclosure.${patched ? 'patched' : 'acknowledged'}`, target: `disclosure:${id}`, detail: { member: who.member } }, now);
  return getDisclosure(db, ctx, id);
}

export const VULNERABILITY_COLLECTION_ALIAS = 'vulnerabilities';

const PUBLISHABLE: readonly DisclosureState[] = ['routed', 'fixing', 'fixed'];

/**
 * Publishes every routed disclosure whose embargo has ended as a STIX 2.1 vulnerability in
 * the 'vulnerabilities' collection (readable by every member), whatever its fix state: a
 * deadline that moves whenever a vendor is slow protects no one. Each server runs this on a
 * timer; when several share one PostgreSQL database, each disclosure is still published once.
 */
export async function publishDue(db: Kysely<Database>, tenant: string, now = new Date()): Promise<Disclosure[]> {
  const due = await tbl(db).selectFrom('vuln_disclosures').select('id').where('tenant', '=', tenant).where('state', 'in', [...PUBLISHABLE])
    .where('embargo_until', '<=', now.toISOString()).orderBy('number').execute();
  if (due.length === 0) return [];
  const ctx: RequestContext = { actor: { id: 'system:embargo', kind: 'system', roles: ['admin'] }, tenant };
  const collection = await vulnerabilityCollection(db, ctx, now);
  const out: Disclosure[] = [];
  for (const { id } of due) {
    const d = await inTransaction(db, (tx) => publishOne(tx, ctx, id, collection, now));
    if (d) out.push(d);
  }
  return out;
}

/** The collection published vulnerabilities go to, made once even when two publishers start together. */
async function vulnerabilityCollection(db: Kysely<Database>, ctx: RequestContext, now: Date): Promise<IntelCollection> {
  const found = await findCollection(db, ctx.tenant, VULNERABILITY_COLLECTION_ALIAS);
  if (found) return found;
  return inTransaction(db, async (tx) => {
    await lockUntilCommit(tx, ['lianfang.disclosures.collection', ctx.tenant]);
    return (await findCollection(tx, ctx.tenant, VULNERABILITY_COLLECTION_ALIAS))
      ?? (await createCollection(tx, ctx, { title: 'Vulnerabilities disclosed to the sector', alias: VULNERABILITY_COLLECTION_ALIAS, readers: ['*'], writers: [] }, now));
  });
}

/**
 * Publishes one disclosure, in the caller's transaction: its row is read again, locked, and
 * only while still publishable, so a publisher that lost the race finds nothing to do.
 */
async function publishOne(db: Kysely<Database>, ctx: RequestContext, id: string, collection: IntelCollection, now: Date): Promise<Disclosure | undefined> {
  let q = tbl(db).selectFrom('vuln_disclosures').selectAll().where('tenant', '=', ctx.tenant).where('id', '=', id).where('state', 'in', [...PUBLISHABLE]);
  if (isPostgres(db)) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  const d = fromRow(row);
  const at = now.toISOString();
  const stixId = `vulnerability--${newId()}`;
  const vulnerability = {
    type: 'vulnerability', spec_version: '2.1', id: stixId, created: at, modified: at, name: d.cve ?? d.number,
    description: `${d.title}\n\n${d.description}\n\nAffected: ${d.vendor} ${d.product} ${d.affectedVersions}`.trim() + (d.fixedVersion ? `\nFixed in: ${d.fixedVersion}` : '\nNo fix was available when the embargo ended.'),
    external_references: [
      ...(d.cve ? [{ source_name: 'cve', external_id: d.cve }] : []),
      { source_name: 'lianfang-disclosure', external_id: d.number, description: `reported by ${d.reporter}` },
    ],
    ...(d.cvss !== null ? { x_lianfang_cvss_base_score: d.cvss } : {}),
  };
  const r = await addObjects(db, ctx.tenant, collection, [vulnerability], { postedBy: '' });
  if (r.failures.length > 0) throw new InputError('DISCLOSURE_STIX', `${d.number} did not make a valid STIX vulnerability: ${r.failures[0]!.message}`);
  const history = [...d.history, { at, actor: ctx.actor.id, kind: 'published', note: stixId }];
  await tbl(db).updateTable('vuln_disclosures').set({ state: 'published', stix_id: stixId, history: JSON.stringify(history), updated_at: at }).where('id', '=', d.id).execute();
  await appendAudit(db, ctx, { action: 'intel.disclosure.published', target: `disclosure:${d.id}`, detail: { stix: stixId } }, now);
  return { ...d, state: 'published', stixId, updatedAt: at, history };
}
