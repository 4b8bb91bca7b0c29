import { openPostgresStore } from '../../store/postgres/index.js';
import { throwawayDatabase } from '../../store/postgres/throwaway.suite.js';
import { ledgerSuite } from './ledger.suite.js';

// The same ledger suite on PostgreSQL, in a throw-away database.
const { url, skip } = await throwawayDatabase('lf_ledger');
ledgerSuite('PostgreSQL', () => openPostgresStore(url), skip);
