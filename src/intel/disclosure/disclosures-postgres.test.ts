import { openPostgresStore } from '../../store/postgres/index.js';
import { throwawayDatabase } from '../../store/postgres/throwaway.suite.js';
import { disclosureSuite } from './disclosures.suite.js';

// The same disclosure suite on PostgreSQL, in a throw-away database.
const { url, skip } = await throwawayDatabase('lf_disclosures');
disclosureSuite('PostgreSQL', () => openPostgresStore(url), skip);
