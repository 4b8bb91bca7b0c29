import { openPostgresStore } from '../../store/postgres/index.js';
import { throwawayDatabase } from '../../store/postgres/throwaway.suite.js';
import { taxiiServerSuite } from './server.suite.js';

// The same conformance suite on PostgreSQL, in a throw-away database.
const { url, skip } = await throwawayDatabase('lf_taxii');
taxiiServerSuite('PostgreSQL', () => openPostgresStore(url), skip);
