import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { errorMessage, systemContext } from '../core/index.js';
import {
  TaxiiClient, TaxiiClientError, addObjects, createCollection, findCollection, mispEventToStix, mispEventsIn, queryObjects, readMispFeed, readStixBundle,
  type ImportProblem, type IntelCollection, type IntelPrincipal, type TaxiiAuth,
} from '../intel/index.js';
import { openDataStore } from '../server/index.js';
import type { Database } from '../store/index.js';

export interface IntelImportOptions {
  readonly collection: string;
  readonly create?: boolean;
  readonly taxiiCollection?: string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly data: string;
  readonly store?: string;
}

/** Objects from one file, event or TAXII page, with what could not be read there. */
interface Batch {
  readonly objects: readonly unknown[];
  readonly problems: readonly ImportProblem[];
  /** Where they came from: a file: URL or the TAXII collection's URL (never 'local': not ours to share onward). */
  readonly origin: string;
}

interface Tally {
  stored: number;
  already: number;
  invalid: number;
}

const TENANT = systemContext().tenant;
const STAFF: IntelPrincipal = { staff: true, member: null, groups: [] };
/** Objects per addObjects call: one transaction each. */
const CHUNK = 5000;

/**
 * `lianfang intel import <source...> --collection ID`: STIX bundles, MISP events and feeds, and
 * TAXII 2.1 collections into a local collection. One line per source on standard output,
 * `<source>: N stored (M already there), K invalid`; each invalid thing on standard error with
 * its reason. Exit 1 only when nothing at all could be stored.
 */
export async function intelImportCommand(sources: string[], opts: IntelImportOptions): Promise<void> {
  const auth = authOf(opts, sources.some(isUrl));
  const store = await openDataStore(opts.data, opts.store);
  try {
    const collection = await targetCollection(store.db, opts);
    let stored = 0;
    for (const source of sources) {
      const t: Tally = { stored: 0, already: 0, invalid: 0 };
      const invalid = (where: string, reason: string): void => {
        t.invalid++;
        process.stderr.write(`${source}: ${printable(where === source ? '' : `${where}: `)}${printable(reason)}\n`);
      };
      try {
        for await (const batch of readSource(source, auth, opts.taxiiCollection ?? [])) await storeBatch(store.db, collection, batch, t, invalid);
      } catch (err) {
        // An unreachable server or unreadable folder ends this source, not the others.
        invalid(source, errorMessage(err));
      }
      process.stdout.write(`${source}: ${t.stored} stored (${t.already} already there), ${t.invalid} invalid\n`);
      stored += t.stored;
    }
    if (stored === 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** Feed text shown on a terminal: control characters (a value's newlines, escape sequences) as escapes. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function authOf(opts: IntelImportOptions, needed: boolean): TaxiiAuth | undefined {
  const token = opts.token ?? process.env['LIANFANG_TAXII_TOKEN'];
  const password = opts.password ?? process.env['LIANFANG_TAXII_PASSWORD'];
  if (opts.token && opts.user) throw new Error('give --token or --user/--password, not both');
  if (opts.user && !password) throw new Error(`--user ${opts.user} needs --password (or LIANFANG_TAXII_PASSWORD)`);
  if (opts.user) return { user: opts.user, password: password! };
  if (token) return { token };
  if (needed) throw new Error('a TAXII source needs --user and --password, or --token');
  return undefined;
}

async function targetCollection(db: Kysely<Database>, opts: IntelImportOptions): Promise<IntelCollection> {
  const found = await findCollection(db, TENANT, opts.collection);
  if (found) return found;
  if (!opts.create) {
    throw new Error(`no collection '${opts.collection}' in this data folder: create it with 'lianfang intel collection create TITLE --alias ${opts.collection}', or add --create for a staff-only one`);
  }
  // No readers or writers: only hub staff see it until someone grants members.
  const c = await createCollection(db, systemContext(), { title: opts.collection, alias: opts.collection, description: 'created by lianfang intel import' });
  process.stderr.write(`created collection ${c.id} (alias ${opts.collection}), readable by staff only\n`);
  return c;
}

// ---- sources ----

async function* readSource(source: string, auth: TaxiiAuth | undefined, taxiiCollections: readonly string[]): AsyncGenerator<Batch> {
  if (isUrl(source)) {
    yield* taxiiBatches(source, auth!, taxiiCollections);
    return;
  }
  if (!existsSync(source)) {
    yield { objects: [], problems: [{ where: source, reason: 'no such file or folder' }], origin: '' };
    return;
  }
  if (!statSync(source).isDirectory()) {
    yield* fileBatches(source, source);
    return;
  }
  if (existsSync(join(source, 'manifest.json'))) {
    yield* feedBatches(source);
    return;
  }
  const files = readdirSync(source).filter((f) => f.toLowerCase().endsWith('.json')).sort();
  if (files.length === 0) yield { objects: [], problems: [{ where: source, reason: 'the folder holds no .json file and no MISP feed manifest' }], origin: '' };
  for (const f of files) yield* fileBatches(join(source, f), source);
}

function origin(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

/** A .json file: one or more MISP events, or STIX (a bundle or a lone object), told apart by shape. */
function* fileBatches(file: string, source: string): Generator<Batch> {
  const where = (w: string): string => (file === source ? w : `${basename(file)}: ${w}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    yield { objects: [], problems: [{ where: where(file), reason: errorMessage(err) }], origin: '' };
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    json = undefined; // readStixBundle says what is wrong with it
  }
  const events = json === undefined ? undefined : mispEventsIn(json);
  if (events) {
    for (const e of events) {
      const r = mispEventToStix(e);
      yield { objects: r.objects, problems: r.problems.map((p) => ({ where: where(p.where), reason: p.reason })), origin: origin(file) };
    }
    return;
  }
  const r = readStixBundle(text, file);
  yield { objects: r.objects, problems: r.problems.map((p) => ({ where: where(p.where), reason: p.reason })), origin: origin(file) };
}

function* feedBatches(dir: string): Generator<Batch> {
  for (const entry of readMispFeed(dir)) {
    const name = basename(entry.file);
    if ('problem' in entry) {
      yield { objects: [], problems: [{ where: name, reason: entry.problem.reason }], origin: '' };
      continue;
    }
    const r = mispEventToStix(entry.event);
    yield { objects: r.objects, problems: r.problems.map((p) => ({ where: `${name}: ${p.where}`, reason: p.reason })), origin: origin(entry.file) };
  }
}

/** A discovery URL names its API roots; an API root URL answers without them. */
async function connect(url: string, auth: TaxiiAuth): Promise<TaxiiClient> {
  try {
    return await TaxiiClient.discover(url, auth);
  } catch (err) {
    // discover() fails with the answer's own 2xx status when the URL answered but named no API root.
    if (err instanceof TaxiiClientError && err.status >= 200 && err.status < 300) return new TaxiiClient(url, auth);
    throw err;
  }
}

async function* taxiiBatches(url: string, auth: TaxiiAuth, wanted: readonly string[]): AsyncGenerator<Batch> {
  const client = await connect(url, auth);
  const remote = await client.collections();
  const missing = wanted.filter((id) => !remote.some((c) => c.id === id));
  const problems = missing.map((id) => ({ where: client.apiRoot, reason: `no collection ${id} there, or none this login may see` }));
  const chosen = wanted.length > 0 ? remote.filter((c) => wanted.includes(c.id)) : remote.filter((c) => c.can_read);
  if (chosen.length === 0 && missing.length === 0) problems.push({ where: client.apiRoot, reason: 'no collection there that this login may read' });
  if (problems.length > 0) yield { objects: [], problems, origin: '' };
  for (const c of chosen) {
    for await (const page of client.pull(c.id)) yield { objects: page.objects, problems: [], origin: client.collectionUrl(c.id) };
  }
}

// ---- storing ----

async function storeBatch(db: Kysely<Database>, collection: IntelCollection, batch: Batch, t: Tally, invalid: (where: string, reason: string) => void): Promise<void> {
  for (const p of batch.problems) invalid(p.where, p.reason);
  for (let i = 0; i < batch.objects.length; i += CHUNK) {
    const { send, skipped } = await withoutStoredScos(db, collection, batch.objects.slice(i, i + CHUNK));
    t.stored += skipped;
    t.already += skipped;
    if (send.length === 0) continue;
    const r = await addObjects(db, TENANT, collection, send, { postedBy: '', origin: batch.origin });
    t.stored += r.successes.length;
    // A success with a message is a version already stored, or one repeated in the batch.
    t.already += r.successes.filter((s) => s.message !== undefined).length;
    for (const f of r.failures) invalid(f.id, f.message ?? 'refused by the store');
  }
}

function isSco(o: unknown): o is { id: string } {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  return typeof r['id'] === 'string' && r['created'] === undefined && r['modified'] === undefined;
}

/**
 * SCOs have no version, so the store takes each posting as a new one. Their ids name their
 * values (deterministic ids), so one already in the collection is left out here: re-imports
 * then add nothing.
 */
async function withoutStoredScos(db: Kysely<Database>, collection: IntelCollection, objects: readonly unknown[]): Promise<{ send: unknown[]; skipped: number }> {
  const ids = [...new Set(objects.filter(isSco).map((o) => o.id))];
  const stored = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const slice = ids.slice(i, i + 500);
    const page = await queryObjects(db, TENANT, STAFF, collection.id, { ids: slice, limit: slice.length });
    for (const v of page.versions) stored.add(v.id);
  }
  const send = objects.filter((o) => !(isSco(o) && stored.has(o.id)));
  return { send, skipped: objects.length - send.length };
}
