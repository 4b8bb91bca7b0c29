import { openSqliteStore } from '../../store/sqlite/index.js';
import { importsSuite } from './imports.suite.js';

importsSuite('SQLite', () => openSqliteStore(':memory:'));
