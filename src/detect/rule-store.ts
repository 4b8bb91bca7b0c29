import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql, type Kysely, type Selectable } from 'kysely';
import { parseAllDocuments } from 'yaml';
import { InputError, NotFoundError, requireRole, type ItemProblem, type RequestContext } from '../core/index.js';
import { appendAudit, type Database, type MigrationSet } from '../store/index.js';
import { findRuleFiles } from './rules.js';
import { parseRuleFile } from './sigma/parse.js';
import type { SigmaCorrelation, SigmaDocument, SigmaFilter, SigmaRule } from './sigma/types.js';

/**
 * Rules in the store: each Sigma document (rule, filter or correlation) is a row per
 * version. Importing a changed document adds a version; the newest version is the one that
 * runs, if enabled. Every change is audited in the same transaction.
 */
export const detectMigrations: MigrationSet = {
  'detect/0001_rule_kind': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sigma_rules').addColumn('kind', 'varchar(20)', (c) => c.notNull().defaultTo('rule')).execute();
      await db.schema.alterTable('sigma_rules').addColumn('name', 'varchar(200)').execute();
      await db.schema.createIndex('sigma_rules_latest').on('sigma_rules').columns(['id', 'version']).execute();
    },
  },
};

type RuleDb = Kysely<Database & { sigma_rules: Database['sigma_rules'] & { kind: string; name: string | null } }>;

export interface StoredRule {
  readonly id: string;
  readonly version: number;
  readonly kind: SigmaDocument['kind'];
  readonly title: string;
  readonly level: string;
  readonly status: string | null;
  readonly author: string | null;
  readonly logsource: Record<string, string>;
  readonly tags: string[];
  readonly enabled: boolean;
  readonly source: string;
  readonly importedAt: string;
  readonly updatedAt: string;
}

export interface StoredRuleDetail extends StoredRule {
  readonly yaml: string;
  readonly versions: Array<{ version: number; importedAt: string; source: string }>;
}

export interface RuleImportReport {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly problems: ItemProblem[];
}

/** One document of a rule file with its own text, so each version keeps exactly what was imported. */
interface ImportedDoc {
  readonly doc: SigmaDocument;
  readonly yaml: string;
  readonly source: string;
}

/** Splits a file into its YAML documents' texts, matched by order with what parseRuleFile read. */
function documentsOf(text: string, file: string): { docs: ImportedDoc[]; problems: ItemProblem[] } {
  const parsed = parseRuleFile(text, file);
  if (parsed.documents.length === 0) return { docs: [], problems: parsed.problems };
  const raw = parseAllDocuments(text, { version: '1.2' });
  const list = Array.isArray(raw) ? raw : [raw];
  // Sigma rule documents in file order; parseRuleFile numbers them by line.
  const texts = list
    .filter((d) => d.contents !== null)
    .map((d) => ({ line: 1 + (text.slice(0, d.range[0]).match(/\n/g)?.length ?? 0), text: text.slice(d.range[0], d.range[2]).trim() + '\n' }));
  const docs: ImportedDoc[] = [];
  for (const doc of parsed.documents) {
    // The document whose text starts at or before the rule's line, the latest such.
    let best = texts[0];
    for (const t of texts) if (t.line <= doc.line) best = t;
    docs.push({ doc, yaml: best?.text ?? text, source: file });
  }
  return { docs, problems: parsed.problems };
}

function idOf(d: ImportedDoc): string {
  return d.doc.id ?? `sha256-${createHash('sha256').update(d.yaml).digest('hex').slice(0, 32)}`;
}

/**
 * Imports every rule document under `paths` (files or folders). New ids are added enabled;
 * changed ones get a new version (keeping their enabled state); identical ones are left
 * alone. Broken documents are reported with file:line and skipped; the rest import.
 */
export async function importRules(db: Kysely<Database>, ctx: RequestContext, paths: readonly string[], now: Date = new Date()): Promise<RuleImportReport> {
  requireRole(ctx, 'admin');
  const { files, problems } = findRuleFiles(paths);
  const docs: ImportedDoc[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ where: file, reason: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const r = documentsOf(text, file);
    docs.push(...r.docs);
    problems.push(...r.problems);
  }
  return importDocuments(db, ctx, docs, problems, now);
}

/** Imports rule documents given as text (the API's upload path). */
export async function importRuleText(db: Kysely<Database>, ctx: RequestContext, text: string, name: string, now: Date = new Date()): Promise<RuleImportReport> {
  requireRole(ctx, 'admin');
  const r = documentsOf(text, name);
  return importDocuments(db, ctx, r.docs, r.problems, now);
}

async function importDocuments(db: Kysely<Database>, ctx: RequestContext, docs: readonly ImportedDoc[], problems: ItemProblem[], now: Date): Promise<RuleImportReport> {
  const rdb = db as unknown as RuleDb;
  const at = now.toISOString();
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  const seen = new Set<string>();
  await rdb.transaction().execute(async (tx) => {
    for (const d of docs) {
      const id = idOf(d);
      if (seen.has(id)) {
        problems.push({ where: `${d.source}:${d.doc.line}`, reason: `rule id ${id} appears twice in this import; the first was kept` });
        continue;
      }
      seen.add(id);
      const latest = await tx.selectFrom('sigma_rules').select(['version', 'yaml', 'enabled']).where('id', '=', id).orderBy('version', 'desc').limit(1).executeTakeFirst();
      if (latest && latest.yaml === d.yaml) {
        unchanged++;
        continue;
      }
      const version = latest ? Number(latest.version) + 1 : 1;
      const doc = d.doc;
      await tx
        .insertInto('sigma_rules')
        .values({
          id,
          version,
          kind: doc.kind,
          name: doc.kind === 'filter' ? null : (doc.name ?? null),
          title: doc.title,
          level: doc.kind === 'filter' ? 'informational' : doc.level,
          status: doc.kind === 'filter' ? null : (doc.status ?? null),
          author: doc.kind === 'filter' ? null : (doc.author ?? null),
          logsource: JSON.stringify(doc.kind === 'correlation' ? {} : doc.logsource),
          tags: JSON.stringify(doc.kind === 'filter' ? [] : doc.tags),
          yaml: d.yaml,
          source: d.source,
          enabled: latest ? latest.enabled : 1,
          imported_at: at,
          updated_at: at,
        })
        .execute();
      await appendAudit(tx as unknown as Kysely<Database>, ctx, {
        action: latest ? 'rule.update' : 'rule.import',
        target: `rule:${id}`,
        detail: { version, title: doc.title, source: d.source },
      }, now);
      if (latest) updated++;
      else added++;
    }
  });
  return { added, updated, unchanged, problems };
}

/** Newest version of each rule, as one subquery both dialects run. */
function latestRows(db: RuleDb) {
  return db
    .selectFrom('sigma_rules as r')
    .selectAll('r')
    .where('r.version', '=', (eb) => eb.selectFrom('sigma_rules as v').select(sql<number>`max(v.version)`.as('m')).whereRef('v.id', '=', 'r.id'));
}

type RuleRow = Selectable<Database['sigma_rules']> & { kind: string };

function toStored(r: RuleRow): StoredRule {
  return {
    id: r.id,
    version: Number(r.version),
    kind: r.kind as SigmaDocument['kind'],
    title: r.title,
    level: r.level,
    status: r.status,
    author: r.author,
    logsource: JSON.parse(r.logsource) as Record<string, string>,
    tags: JSON.parse(r.tags) as string[],
    enabled: Number(r.enabled) === 1,
    source: r.source,
    importedAt: r.imported_at,
    updatedAt: r.updated_at,
  };
}

export interface RuleQuery {
  readonly enabled?: boolean;
  /** Case-insensitive text in the title or id. */
  readonly q?: string;
  readonly level?: string;
  readonly limit?: number;
  /** Opaque: the last id of the previous page. */
  readonly cursor?: string;
}

/** Rules (newest versions) ordered by title then id, a page at a time. */
export async function listRules(db: Kysely<Database>, query: RuleQuery = {}): Promise<{ items: StoredRule[]; next: string | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let q = latestRows(db as unknown as RuleDb);
  if (query.enabled !== undefined) q = q.where('r.enabled', '=', query.enabled ? 1 : 0);
  if (query.level) q = q.where('r.level', '=', query.level);
  if (query.q) {
    const like = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb(sql`lower(r.title)`, 'like', sql`${like} escape '\\'`), eb(sql`lower(r.id)`, 'like', sql`${like} escape '\\'`)]));
  }
  if (query.cursor) {
    const [title, id] = decodeCursor(query.cursor);
    q = q.where((eb) => eb.or([eb('r.title', '>', title), eb.and([eb('r.title', '=', title), eb('r.id', '>', id)])]));
  }
  const rows = await q.orderBy('r.title').orderBy('r.id').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(toStored);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor([last.title, last.id]) : null };
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')) return v as [string, string];
  } catch {
    // fall through
  }
  throw new InputError('BAD_CURSOR', 'cursor is not one this API gave out', 'cursor');
}

export async function getRule(db: Kysely<Database>, id: string): Promise<StoredRuleDetail> {
  const rows = await (db as unknown as RuleDb).selectFrom('sigma_rules').selectAll().where('id', '=', id).orderBy('version', 'desc').execute();
  const latest = rows[0];
  if (!latest) throw new NotFoundError('RULE_NOT_FOUND', `no rule with id ${id}`);
  return {
    ...toStored(latest),
    yaml: latest.yaml,
    versions: rows.map((r) => ({ version: Number(r.version), importedAt: r.imported_at, source: r.source })),
  };
}

/** Enables or disables a rule (its newest version); audited. Returns whether anything changed. */
export async function setRuleEnabled(db: Kysely<Database>, ctx: RequestContext, id: string, enabled: boolean, now: Date = new Date()): Promise<boolean> {
  requireRole(ctx, 'admin', 'analyst');
  return (db as unknown as RuleDb).transaction().execute(async (tx) => {
    const latest = await tx.selectFrom('sigma_rules').select(['version', 'enabled']).where('id', '=', id).orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!latest) throw new NotFoundError('RULE_NOT_FOUND', `no rule with id ${id}`);
    if ((Number(latest.enabled) === 1) === enabled) return false;
    await tx.updateTable('sigma_rules').set({ enabled: enabled ? 1 : 0, updated_at: now.toISOString() }).where('id', '=', id).where('version', '=', latest.version).execute();
    await appendAudit(tx as unknown as Kysely<Database>, ctx, { action: enabled ? 'rule.enable' : 'rule.disable', target: `rule:${id}`, detail: { version: Number(latest.version) } }, now);
    return true;
  });
}

/** What the live engine runs: the newest enabled version of every document, parsed. */
export interface StoredRuleSet {
  readonly rules: SigmaRule[];
  readonly filters: SigmaFilter[];
  readonly correlations: SigmaCorrelation[];
  readonly problems: ItemProblem[];
  /** Stored id → version, for alerts. */
  readonly versions: ReadonlyMap<string, number>;
  /** A fingerprint of the set: changes when any rule is imported, changed or toggled. */
  readonly fingerprint: string;
}

export async function loadRuleSet(db: Kysely<Database>): Promise<StoredRuleSet> {
  const rows = await latestRows(db as unknown as RuleDb).where('r.enabled', '=', 1).orderBy('r.id').execute();
  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  const correlations: SigmaCorrelation[] = [];
  const problems: ItemProblem[] = [];
  const versions = new Map<string, number>();
  const hash = createHash('sha256');
  for (const row of rows) {
    hash.update(`${row.id}@${row.version}\n`);
    versions.set(row.id, Number(row.version));
    const parsed = parseRuleFile(row.yaml, `rule:${row.id}@${row.version}`);
    problems.push(...parsed.problems);
    for (const doc of parsed.documents) {
      // A rule without its own id is known by the content id it was stored under.
      const withId = doc.id === undefined ? ({ ...doc, id: row.id } as SigmaDocument) : doc;
      if (withId.kind === 'rule') rules.push(withId);
      else if (withId.kind === 'filter') filters.push(withId);
      else correlations.push(withId);
    }
  }
  return { rules, filters, correlations, problems, versions, fingerprint: hash.digest('hex') };
}
