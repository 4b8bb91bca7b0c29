import { openSqliteStore } from '../../store/sqlite/index.js';
import { taxiiServerSuite } from './server.suite.js';

taxiiServerSuite('SQLite', () => openSqliteStore(':memory:'));
