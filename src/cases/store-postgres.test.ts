import { openPostgresStore } from '../store/postgres/index.js';
import { throwawayDatabase } from '../store/postgres/throwaway.suite.js';
import { casesStoreSuite } from './cases.suite.js';

// The same suite on PostgreSQL, in a throw-away database.
const { url, skip } = await throwawayDatabase('lf_cases');
casesStoreSuite('PostgreSQL', async () => openPostgresStore(url), skip);
