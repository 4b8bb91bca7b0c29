import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { ItemProblem } from '../core/index.js';
import type { Database, MigrationSet } from '../store/index.js';
import type { DrillRecord } from './drill.js';
import type { VaultVerifyResult } from './vault.js';

/**
 * Evidence of the vault's health, for the console and for governance: each `vault drill` and
 * `vault verify` appends one JSON line to a journal beside the vault file (the CLI needs no
 * database), and `lianfang serve --vault FILE` imports new lines into its store.
 */
export interface VerifyRecord {
  readonly kind: 'vault.verify';
  readonly vaultId: string;
  readonly at: string;
  readonly level: string;
  readonly ok: boolean;
  readonly packs: number;
  readonly sites: ReadonlyArray<{ site: string; shardsOk: number; shardsBad: number; canLose: boolean }>;
  /** The first problems found (the CLI prints them all). */
  readonly problems: ItemProblem[];
  readonly problemCount: number;
}

export type EvidenceRecord = DrillRecord | VerifyRecord;

export function drillJournal(vaultPath: string): string {
  return `${resolve(vaultPath)}.drills.jsonl`;
}

export function verifyJournal(vaultPath: string): string {
  return `${resolve(vaultPath)}.verifies.jsonl`;
}

export function recordVerify(vaultPath: string, vaultId: string, v: VaultVerifyResult, at = new Date()): VerifyRecord {
  const record: VerifyRecord = {
    kind: 'vault.verify', vaultId, at: at.toISOString(), level: v.level, ok: v.ok, packs: v.packs,
    sites: v.sites.map((s) => ({ site: s.site, shardsOk: s.shardsOk, shardsBad: s.shardsBad.length, canLose: s.canLose })),
    problems: v.problems.slice(0, 20), problemCount: v.problems.length,
  };
  appendFileSync(verifyJournal(vaultPath), JSON.stringify(record) + '\n');
  return record;
}

/** Every record in a vault's journals; a line that is not a record is reported, not fatal. */
export function readJournals(vaultPath: string): { records: { line: string; record: EvidenceRecord }[]; problems: ItemProblem[] } {
  const records: { line: string; record: EvidenceRecord }[] = [];
  const problems: ItemProblem[] = [];
  for (const file of [drillJournal(vaultPath), verifyJournal(vaultPath)]) {
    if (!existsSync(file)) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const r = JSON.parse(line) as Partial<EvidenceRecord>;
        if ((r.kind !== 'vault.restore-drill' && r.kind !== 'vault.verify') || typeof r.vaultId !== 'string') throw new Error('not a drill or verify record');
        records.push({ line, record: r as EvidenceRecord });
      } catch (err) {
        problems.push({ where: `${file}:${i + 1}`, reason: (err as Error).message });
      }
    });
  }
  return { records, problems };
}

// ---------------------------------------------------------------- the store

interface EvidenceTable {
  digest: string;
  vault_id: string;
  kind: string;
  snapshot_id: string | null;
  ok: number;
  at: string;
  record: string;
}

type EvidenceDb = Kysely<{ vault_evidence: EvidenceTable }>;

export const vaultMigrations: MigrationSet = {
  'vault/0001_evidence': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vault_evidence')
        .addColumn('digest', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('vault_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('kind', 'varchar(40)', (c) => c.notNull())
        .addColumn('snapshot_id', 'varchar(64)')
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vault_evidence_by_vault').on('vault_evidence').columns(['vault_id', 'kind', 'at']).execute();
    },
  },
};

/** Adds the records not stored yet (a record's identity is the SHA-256 of its line). */
export async function importEvidence(db: Kysely<Database>, records: ReadonlyArray<{ line: string; record: EvidenceRecord }>): Promise<number> {
  if (records.length === 0) return 0;
  const rows: EvidenceTable[] = records.map(({ line, record }) => ({
    digest: createHash('sha256').update(line).digest('hex'),
    vault_id: record.vaultId,
    kind: record.kind,
    snapshot_id: record.kind === 'vault.restore-drill' ? record.snapshotId : null,
    ok: record.ok ? 1 : 0,
    at: record.kind === 'vault.restore-drill' ? record.startedAt : record.at,
    record: line,
  }));
  const edb = db as unknown as EvidenceDb;
  let added = 0;
  for (let i = 0; i < rows.length; i += 200) {
    const r = await edb.insertInto('vault_evidence').values(rows.slice(i, i + 200)).onConflict((oc) => oc.column('digest').doNothing()).executeTakeFirst();
    added += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}

/** A vault's evidence, newest first. */
export async function listEvidence(db: Kysely<Database>, vaultId: string, opts: { kind?: EvidenceRecord['kind']; limit?: number } = {}): Promise<EvidenceRecord[]> {
  let q = (db as unknown as EvidenceDb).selectFrom('vault_evidence').select('record').where('vault_id', '=', vaultId);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  const rows = await q.orderBy('at', 'desc').limit(opts.limit ?? 50).execute();
  return rows.map((r) => JSON.parse(r.record) as EvidenceRecord);
}
