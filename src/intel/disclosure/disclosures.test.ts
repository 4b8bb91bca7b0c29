import { openSqliteStore } from '../../store/sqlite/index.js';
import { disclosureSuite } from './disclosures.suite.js';

disclosureSuite('SQLite', () => openSqliteStore(':memory:'));
