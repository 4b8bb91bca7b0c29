import { systemContext } from '../core/index.js';
import { importRules } from '../detect/index.js';
import { createToken, openDataStore } from '../server/index.js';
import { verifyAudit } from '../store/index.js';

interface DataOptions {
  readonly data: string;
  readonly store?: string;
}

/** `lianfang token create --role R`: prints a new API token (the only time it is shown). */
export async function tokenCreateCommand(opts: DataOptions & { role: string; name?: string }): Promise<void> {
  const store = await openDataStore(opts.data, opts.store);
  try {
    const { token } = await createToken(store.db, systemContext(), opts.role, opts.name ?? `${opts.role}-${new Date().toISOString().slice(0, 10)}`);
    process.stdout.write(`${token}\n`);
  } finally {
    await store.close();
  }
}

/** `lianfang rules import PATH...`: Sigma rules into the store, enabled; changed ones get a new version. */
export async function rulesImportCommand(paths: string[], opts: DataOptions): Promise<void> {
  const store = await openDataStore(opts.data, opts.store);
  try {
    const r = await importRules(store.db, systemContext(), paths);
    for (const p of r.problems) process.stderr.write(`${p.where}: ${p.reason}\n`);
    process.stdout.write(`imported: ${r.added} added, ${r.updated} updated (new version), ${r.unchanged} unchanged, ${r.problems.length} problems\n`);
    if (r.added + r.updated + r.unchanged === 0 && r.problems.length > 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** `lianfang audit verify`: recomputes the audit log's hash chain; exit 1 if it is broken. */
export async function auditVerifyCommand(opts: DataOptions & { format?: string }): Promise<void> {
  const store = await openDataStore(opts.data, opts.store);
  try {
    const v = await verifyAudit(store.db);
    if (opts.format === 'json') process.stdout.write(`${JSON.stringify(v)}\n`);
    else if (v.ok) process.stdout.write(`audit log intact: ${v.entries} entries, head ${v.head}\n`);
    else process.stdout.write(`audit log BROKEN at entry ${v.seq}: ${v.reason} (${v.entries} entries verified before it)\n`);
    if (!v.ok) process.exitCode = 1;
  } finally {
    await store.close();
  }
}
