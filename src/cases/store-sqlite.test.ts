import { openSqliteStore } from '../store/sqlite/index.js';
import { casesStoreSuite } from './cases.suite.js';

casesStoreSuite('SQLite in memory', async () => openSqliteStore(':memory:'));
