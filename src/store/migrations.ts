import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Schema changes in order. Each uses only what both SQLite and PostgreSQL accept, so one
 * list serves every adapter; names sort in the order they must run.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_meta': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('lianfang_meta')
        .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_sigma_rules': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sigma_rules')
        .addColumn('id', 'varchar(200)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('level', 'varchar(20)', (c) => c.notNull())
        .addColumn('status', 'varchar(40)')
        .addColumn('author', 'text')
        .addColumn('logsource', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('yaml', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('imported_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull().defaultTo(sql`'1970-01-01T00:00:00Z'`))
        .addPrimaryKeyConstraint('sigma_rules_pk', ['id', 'version'])
        .execute();
    },
  },
};
