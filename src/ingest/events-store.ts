import { sql, type Kysely } from 'kysely';
import { InputError, NotFoundError, type EventRecord, type IngestedEvent, type MessageFormat, type Transport } from '../core/index.js';
import type { Database, MigrationSet } from '../store/index.js';

/**
 * Stored events: every message that reached the spool, parsed or not, with its raw text,
 * receive time and source. The id comes from the spool position, so storing a redelivered
 * batch again changes nothing.
 */
export const ingestMigrations: MigrationSet = {
  'ingest/0001_events': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('events')
        .addColumn('id', 'varchar(80)', (c) => c.primaryKey())
        .addColumn('received_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('event_time', 'varchar(40)', (c) => c.notNull())
        .addColumn('transport', 'varchar(10)', (c) => c.notNull())
        .addColumn('peer', 'varchar(200)', (c) => c.notNull())
        .addColumn('listener', 'varchar(200)', (c) => c.notNull())
        .addColumn('format', 'varchar(20)', (c) => c.notNull())
        .addColumn('device', 'varchar(40)')
        .addColumn('host', 'varchar(255)')
        .addColumn('error', 'text')
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_time').on('events').columns(['event_time', 'id']).execute();
      await db.schema.createIndex('events_received').on('events').columns(['received_at']).execute();
    },
  },
};

export interface EventsTable {
  id: string;
  received_at: string;
  event_time: string;
  transport: string;
  peer: string;
  listener: string;
  format: string;
  device: string | null;
  host: string | null;
  error: string | null;
  raw: string;
  event: string;
}

type EventsDb = Kysely<Database & { events: EventsTable }>;

/** The time an event is filed under: its own `@timestamp` when it has a valid one. */
export function eventTimeOf(e: IngestedEvent): string {
  const t = e.event['@timestamp'];
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  return e.receivedAt;
}

function hostOf(event: EventRecord): string | null {
  const host = event.host;
  if (host && typeof host === 'object' && !Array.isArray(host)) {
    const h = host.name ?? host.hostname;
    if (typeof h === 'string') return h.slice(0, 255);
  }
  return typeof event.Computer === 'string' ? event.Computer.slice(0, 255) : null;
}

const NUL_SHOWN = '\u2400';

/**
 * Text PostgreSQL can hold: it refuses NUL in text and `\u0000` in jsonb, and one such message
 * would otherwise fail its whole batch. NUL is stored as U+2400 (␀), on both dialects alike,
 * and the event's error says so.
 */
function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', NUL_SHOWN) : text;
}

function storableJson(event: EventRecord): string {
  const json = JSON.stringify(event);
  // \u0000 escapes not preceded by an escaped backslash (our own output, so this is exact).
  return json.includes('\\u0000') ? json.replace(/(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g, NUL_SHOWN) : json;
}

/**
 * The row an event is stored as. Pure, so the detection thread builds rows next to parsing
 * and the thread that owns the database only inserts them.
 */
export function eventRow(e: IngestedEvent): EventsTable {
  const nul = e.raw.includes('\0');
  const error = nul ? `${e.error ? `${e.error}; ` : ''}NUL bytes stored as ${NUL_SHOWN}` : (e.error ?? null);
  return {
    id: e.id,
    received_at: e.receivedAt,
    event_time: eventTimeOf(e),
    transport: e.source.transport,
    peer: e.source.peer,
    listener: e.source.listener,
    format: e.format,
    device: e.device ?? null,
    host: hostOf(e.event),
    error,
    raw: storable(e.raw),
    event: storableJson(e.event),
  };
}

/** Stores events; ids already stored are left as they are (redelivery after a crash). */
export async function storeEvents(db: Kysely<Database>, events: readonly IngestedEvent[]): Promise<void> {
  await insertEventRows(db, events.map(eventRow));
}

/** Stores rows made by `eventRow`; ids already stored are left as they are. */
export async function insertEventRows(db: Kysely<Database>, rows: readonly EventsTable[]): Promise<void> {
  if (rows.length === 0) return;
  const edb = db as unknown as EventsDb;
  // SQLite caps bound parameters per statement; 12 columns × 500 rows stays under it.
  for (let i = 0; i < rows.length; i += 500) {
    await edb.insertInto('events').values(rows.slice(i, i + 500)).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
}

export interface EventQuery {
  /** ISO 8601 bounds on the event's time. */
  readonly since?: string;
  readonly until?: string;
  /** ECS field (dotted) → value the field must equal (as text). */
  readonly fields?: Readonly<Record<string, string>>;
  readonly host?: string;
  readonly format?: MessageFormat;
  /** Only events whose message could not be parsed. */
  readonly failed?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface StoredEventView extends IngestedEvent {
  readonly eventTime: string;
}

const FIELD_NAME = /^[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,127}$/;

function rowToEvent(r: EventsTable): StoredEventView {
  return {
    id: r.id,
    receivedAt: r.received_at,
    eventTime: r.event_time,
    source: { transport: r.transport as Transport, peer: r.peer, listener: r.listener },
    format: r.format as MessageFormat,
    ...(r.device ? { device: r.device } : {}),
    ...(r.error ? { error: r.error } : {}),
    raw: r.raw,
    event: JSON.parse(r.event) as EventRecord,
  };
}

/** Events newest first, filtered, a page at a time. */
export async function listEvents(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', query: EventQuery = {}): Promise<{ items: StoredEventView[]; next: string | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  let q = (db as unknown as EventsDb).selectFrom('events').selectAll();
  if (query.since) q = q.where('event_time', '>=', isoOrThrow(query.since, 'since'));
  if (query.until) q = q.where('event_time', '<=', isoOrThrow(query.until, 'until'));
  if (query.host) q = q.where('host', '=', query.host);
  if (query.format) q = q.where('format', '=', query.format);
  if (query.failed !== undefined) q = query.failed ? q.where('error', 'is not', null) : q.where('error', 'is', null);
  for (const [field, value] of Object.entries(query.fields ?? {})) {
    if (!FIELD_NAME.test(field)) throw new InputError('BAD_FIELD', `'${field}' is not a field name`, field);
    const path = field.split('.');
    // The JSON column, read by path in each dialect's own way; the value compares as text.
    const expr = dialect === 'postgres' ? sql<string>`(event::jsonb #>> ${`{${path.join(',')}}`})` : sql<string>`json_extract(event, ${`$.${path.map((p) => `"${p}"`).join('.')}`})`;
    q = q.where(sql`CAST(${expr} AS TEXT)`, '=', value);
  }
  if (query.cursor) {
    const [time, id] = decodeCursor(query.cursor);
    q = q.where((eb) => eb.or([eb('event_time', '<', time), eb.and([eb('event_time', '=', time), eb('id', '<', id)])]));
  }
  const rows = await q.orderBy('event_time', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(rowToEvent);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? Buffer.from(JSON.stringify([last.eventTime, last.id])).toString('base64url') : null };
}

/**
 * Stored events of the last `reachMs` before the newest one, oldest first, at most `max`:
 * what live correlation replays to rebuild its windows after a restart.
 */
export async function recentEvents(db: Kysely<Database>, reachMs: number, max: number): Promise<StoredEventView[]> {
  const edb = db as unknown as EventsDb;
  const newest = await edb.selectFrom('events').select((eb) => eb.fn.max('event_time').as('t')).executeTakeFirst();
  if (!newest?.t) return [];
  const since = new Date(Date.parse(newest.t) - reachMs).toISOString();
  // The newest `max` of the window, then put back in time order.
  const rows = await edb.selectFrom('events').selectAll().where('event_time', '>=', since).where('error', 'is', null).orderBy('event_time', 'desc').orderBy('id', 'desc').limit(max).execute();
  return rows.reverse().map(rowToEvent);
}

export async function getEvent(db: Kysely<Database>, id: string): Promise<StoredEventView> {
  const row = await (db as unknown as EventsDb).selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('EVENT_NOT_FOUND', `no event with id ${id}`);
  return rowToEvent(row);
}

export async function countEvents(db: Kysely<Database>): Promise<number> {
  const r = await (db as unknown as EventsDb).selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

function isoOrThrow(v: string, name: string): string {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InputError('BAD_TIME', `${name} must be an ISO 8601 time, got '${v}'`, name);
  return new Date(ms).toISOString();
}

function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new InputError('BAD_CURSOR', 'cursor is not one this API gave out', 'cursor');
}
