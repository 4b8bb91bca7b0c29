import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { storeContract } from '../contract.suite.js';
import { openSqliteStore } from './index.js';

storeContract('sqlite in memory', async () => openSqliteStore(':memory:'));

const dir = mkdtempSync(join(tmpdir(), 'lianfang-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
storeContract('sqlite file', async () => openSqliteStore(join(dir, 'nested', 'lianfang.db')));
