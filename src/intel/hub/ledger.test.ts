import { openSqliteStore } from '../../store/sqlite/index.js';
import { ledgerSuite } from './ledger.suite.js';

ledgerSuite('SQLite', () => openSqliteStore(':memory:'));
