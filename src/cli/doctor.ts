import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defaultRulesDir, findRuleFiles } from '../detect/index.js';

/** Checks what a run needs and says how to fix what is missing. */
export function doctorCommand(): void {
  const require = createRequire(import.meta.url);
  const checks: Array<[string, () => string]> = [
    ['node', () => {
      const major = Number(process.versions.node.split('.')[0]);
      if (major < 20) throw new Error(`Node ${process.versions.node}; Lianfang needs Node 20 or newer`);
      return process.versions.node;
    }],
    ['re2 (rule regexes)', () => {
      const RE2 = require('re2') as new (p: string) => { test(s: string): boolean };
      return new RE2('a+b').test('aab') ? 'loads' : 'loads, but matched wrongly';
    }],
    ['better-sqlite3 (store)', () => {
      const Database = require('better-sqlite3') as new (p: string) => { prepare(q: string): { get(): unknown }; close(): void };
      const db = new Database(':memory:');
      const row = db.prepare('select sqlite_version() as v').get() as { v: string };
      db.close();
      return `SQLite ${row.v}`;
    }],
    ['rules folder', () => {
      const dir = defaultRulesDir();
      if (!existsSync(dir)) throw new Error(`${dir} is missing: run \`lianfang rules update\` or pass --rules`);
      return `${dir} (${findRuleFiles([dir]).files.length} rule files)`;
    }],
  ];
  let bad = 0;
  for (const [name, check] of checks) {
    try {
      console.log(`ok    ${name}: ${check()}`);
    } catch (err) {
      bad++;
      console.log(`FAIL  ${name}: ${(err as Error).message}`);
    }
  }
  process.exitCode = bad > 0 ? 1 : 0;
}
