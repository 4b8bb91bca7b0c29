import { openPostgresStore } from '../../store/postgres/index.js';
import { throwawayDatabase } from '../../store/postgres/throwaway.suite.js';
import { importsSuite } from './imports.suite.js';

// The same suite on PostgreSQL, in a throw-away database.
const { url, skip } = await throwawayDatabase('lf_imports');
importsSuite('PostgreSQL', () => openPostgresStore(url), skip);
