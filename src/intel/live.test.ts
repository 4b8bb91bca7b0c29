import { openSqliteStore } from '../store/sqlite/index.js';
import { liveSuite } from './live.suite.js';

liveSuite('SQLite', async () => openSqliteStore(':memory:'));
