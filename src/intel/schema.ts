import type { ColumnType, Kysely, Migration } from 'kysely';
import { isPostgres, type MigrationSet } from '../store/index.js';
import { disclosureMigrations } from './disclosure/disclosures.js';

/**
 * The intel capability's tables: hub members and sharing groups, TAXII collections, the STIX
 * object store (one row per object version per collection) with the audience each version
 * may reach, and TAXII status resources. Timestamps are fixed-width ISO text (microseconds)
 * where they are compared, so text order is time order on both databases.
 */
export type IntelTables = {
  intel_members: MemberTable;
  intel_group_members: GroupMemberTable;
  taxii_collections: CollectionTable;
  stix_objects: StixObjectTable;
  stix_audience: AudienceTable;
  taxii_status: StatusTable;
  taxii_sync: SyncTable;
  intel_values: ValueTable;
  intel_sightings: SightingTable;
  intel_sector_alerts: SectorAlertTable;
};

/** Which objects (and which members' objects) carry a value: correlation and lead time. */
export interface ValueTable {
  tenant: string;
  /** `ipv4-addr:value=203.0.113.7`, hashes and names case-folded. */
  value_key: string;
  object_id: string;
  /** The member who shared (indicator) or sighted (sighting) it; '' for the hub itself. */
  member: string;
  kind: string;
  first_at: string;
}

/** A sighting (or a false-positive report) a member sent, by the indicator it names. */
export interface SightingTable {
  tenant: string;
  sighting_id: string;
  indicator_id: string;
  member: string;
  count: number;
  first_seen: string;
  last_seen: string;
  received_at: string;
  false_positive: number;
}

/** Several members sighting one indicator within the window: the hub's sector alert. */
export interface SectorAlertTable {
  id: string;
  tenant: string;
  indicator_id: string;
  indicator_name: string;
  /** JSON array of member names. */
  members: string;
  sightings: number;
  first_seen: string;
  last_seen: string;
  created_at: string;
  updated_at: string;
  status: string;
}

type Serial = ColumnType<number | string, never, never>;
type BigInt = ColumnType<number | string, number, number>;

export interface MemberTable {
  tenant: string;
  name: string;
  /** The member's STIX identity: TLP:RED recipients and created_by_ref name it. */
  identity_id: string;
  /** scrypt: `N$r$p$salt$hash`, base64url parts. */
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
}

export interface GroupMemberTable {
  tenant: string;
  group_name: string;
  member: string;
}

export interface CollectionTable {
  id: string;
  tenant: string;
  title: string;
  description: string;
  alias: string | null;
  /** JSON arrays of member names and `group:NAME`. */
  readers: string;
  writers: string;
  /** 1: objects posted here reach other members without created_by_ref. */
  anonymous: number;
  created_at: string;
}

export interface StixObjectTable {
  /** Insertion order: TAXII's date_added order and the page cursor. */
  seq: Serial;
  tenant: string;
  collection_id: string;
  id: string;
  type: string;
  spec_version: string;
  /** Sortable: the object's modified (else created, else date_added) at microsecond width. */
  version: string;
  /** The version as the object writes it, for manifests and match[version]. */
  version_text: string;
  date_added: string;
  tlp: string;
  /** 1: every reader of the collection; 0: only the principals in stix_audience. */
  open: number;
  /** The member who posted it ('' for the hub's own staff or a local import). */
  added_by: string;
  anonymous: number;
  /** Where it came from: 'local', or the URL of the TAXII collection it was pulled from. */
  origin: string;
  json: string;
}

export interface AudienceTable {
  seq: BigInt;
  /** `member:NAME` or `group:NAME`. */
  principal: string;
}

export interface StatusTable {
  id: string;
  tenant: string;
  collection_id: string;
  requested_by: string;
  status: string;
  request_timestamp: string;
  total_count: number;
  /** JSON arrays of status details ({id, version, message}). */
  successes: string;
  failures: string;
  pendings: string;
}

/** Where a member's pull from (or push to) a remote TAXII collection resumes. */
export interface SyncTable {
  tenant: string;
  /** The remote collection's URL. */
  remote: string;
  direction: string;
  /** pull: the last date_added received; push: the last local seq sent. */
  cursor: string;
  updated_at: string;
}

const TS = 'varchar(40)';

async function createHubTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('intel_members')
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('identity_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', TS, (c) => c.notNull())
    .addColumn('disabled_at', TS)
    .addPrimaryKeyConstraint('intel_members_pk', ['tenant', 'name'])
    .execute();
  await db.schema
    .createTable('intel_group_members')
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('group_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('member', 'varchar(200)', (c) => c.notNull())
    .addPrimaryKeyConstraint('intel_group_members_pk', ['tenant', 'group_name', 'member'])
    .execute();
  await db.schema
    .createTable('taxii_collections')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('alias', 'varchar(200)')
    .addColumn('readers', 'text', (c) => c.notNull())
    .addColumn('writers', 'text', (c) => c.notNull())
    .addColumn('anonymous', 'integer', (c) => c.notNull())
    .addColumn('created_at', TS, (c) => c.notNull())
    .execute();
}

async function createObjectTables(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .createTable('stix_objects')
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('collection_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('id', 'varchar(300)', (c) => c.notNull())
    .addColumn('type', 'varchar(250)', (c) => c.notNull())
    .addColumn('spec_version', 'varchar(20)', (c) => c.notNull())
    .addColumn('version', TS, (c) => c.notNull())
    .addColumn('version_text', TS, (c) => c.notNull())
    .addColumn('date_added', TS, (c) => c.notNull())
    .addColumn('tlp', 'varchar(20)', (c) => c.notNull())
    .addColumn('open', 'integer', (c) => c.notNull())
    .addColumn('added_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('anonymous', 'integer', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addUniqueConstraint('stix_objects_version', ['collection_id', 'id', 'version'])
    .execute();
  await db.schema.createIndex('stix_objects_collection_seq').on('stix_objects').columns(['collection_id', 'seq']).execute();
  await db.schema.createIndex('stix_objects_type').on('stix_objects').columns(['collection_id', 'type']).execute();
  await db.schema
    .createTable('stix_audience')
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('principal', 'varchar(220)', (c) => c.notNull())
    .addPrimaryKeyConstraint('stix_audience_pk', ['seq', 'principal'])
    .execute();
  await db.schema
    .createTable('taxii_status')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('collection_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('requested_by', 'varchar(200)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('request_timestamp', TS, (c) => c.notNull())
    .addColumn('total_count', 'integer', (c) => c.notNull())
    .addColumn('successes', 'text', (c) => c.notNull())
    .addColumn('failures', 'text', (c) => c.notNull())
    .addColumn('pendings', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('taxii_sync')
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('remote', 'varchar(1000)', (c) => c.notNull())
    .addColumn('direction', 'varchar(10)', (c) => c.notNull())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', TS, (c) => c.notNull())
    .addPrimaryKeyConstraint('taxii_sync_pk', ['tenant', 'remote', 'direction'])
    .execute();
}

async function createLedgerTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('intel_values')
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('value_key', 'varchar(1000)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('member', 'varchar(200)', (c) => c.notNull())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('first_at', TS, (c) => c.notNull())
    .addPrimaryKeyConstraint('intel_values_pk', ['tenant', 'value_key', 'object_id', 'member', 'kind'])
    .execute();
  await db.schema.createIndex('intel_values_object').on('intel_values').columns(['tenant', 'object_id']).execute();
  await db.schema
    .createTable('intel_sightings')
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('sighting_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('indicator_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('member', 'varchar(200)', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_seen', TS, (c) => c.notNull())
    .addColumn('last_seen', TS, (c) => c.notNull())
    .addColumn('received_at', TS, (c) => c.notNull())
    .addColumn('false_positive', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('intel_sightings_pk', ['tenant', 'sighting_id', 'indicator_id'])
    .execute();
  await db.schema.createIndex('intel_sightings_indicator').on('intel_sightings').columns(['tenant', 'indicator_id', 'last_seen']).execute();
  await db.schema
    .createTable('intel_sector_alerts')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant', 'varchar(200)', (c) => c.notNull())
    .addColumn('indicator_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('indicator_name', 'text', (c) => c.notNull())
    .addColumn('members', 'text', (c) => c.notNull())
    .addColumn('sightings', 'integer', (c) => c.notNull())
    .addColumn('first_seen', TS, (c) => c.notNull())
    .addColumn('last_seen', TS, (c) => c.notNull())
    .addColumn('created_at', TS, (c) => c.notNull())
    .addColumn('updated_at', TS, (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('intel_sector_alerts_indicator').on('intel_sector_alerts').columns(['tenant', 'indicator_id']).execute();
}

/**
 * version_text keeps a version as the object writes it, and a valid STIX timestamp may carry
 * any number of fraction digits (checkStixObject takes up to 64 characters). varchar(40) was
 * too narrow: PostgreSQL, which enforces the width where SQLite does not, refused the batch.
 */
async function widenVersionText(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  await db.schema.alterTable('stix_objects').alterColumn('version_text', (c) => c.setDataType('varchar(64)')).execute();
}

/** The intel capability's schema, for `migrate(store, [intelMigrations, …])`. */
export const intelMigrations: MigrationSet = {
  'intel/0001_hub': { up: createHubTables } satisfies Migration,
  'intel/0002_stix_objects': { up: createObjectTables } satisfies Migration,
  'intel/0003_ledger': { up: createLedgerTables } satisfies Migration,
  ...disclosureMigrations,
  'intel/0005_version_text_width': { up: widenVersionText } satisfies Migration,
};
