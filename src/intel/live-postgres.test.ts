import { sql } from 'kysely';
import { openPostgresStore } from '../store/postgres/index.js';
import { throwawayDatabase } from '../store/postgres/throwaway.suite.js';
import { liveSuite } from './live.suite.js';

// The same suite on PostgreSQL, in a throw-away database: each test wants an empty store,
// so each gets a schema of its own there.
const { url, skip } = await throwawayDatabase('lf_live');
let schemas = 0;
liveSuite('PostgreSQL', async () => {
  const schema = `live_${++schemas}`;
  const admin = openPostgresStore(url);
  try {
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  } finally {
    await admin.close();
  }
  return openPostgresStore(`${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`);
}, skip);
