import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadRules } from './rules.js';

const dir = mkdtempSync(join(tmpdir(), 'lianfang-rulecache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rule(title: string, value: string): string {
  return `title: ${title}\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: ${value}}\n  condition: sel\n`;
}

test('the rule cache gives the same corpus, and a changed file is read again', () => {
  process.env.LIANFANG_CACHE = join(dir, 'cache');
  after(() => delete process.env.LIANFANG_CACHE);
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'a.yml'), rule('A', '4624'));
  writeFileSync(join(rules, 'b.yml'), 'title: broken\ndetection: [1\n');
  const first = loadRules([rules], { cache: true });
  assert.equal(readdirSync(join(dir, 'cache')).length, 1, 'the cache was written');
  const second = loadRules([rules], { cache: true });
  // Properties that are undefined do not survive JSON; everything else must be equal.
  const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Map ? [...v] : v)));
  assert.deepEqual(plain(second), plain(first));
  assert.ok(second.rules[0]!.detection instanceof Map, 'maps survive the cache');
  assert.equal(second.problems.length, 1, 'problems are cached too');

  writeFileSync(join(rules, 'a.yml'), rule('A changed', '4625'));
  utimesSync(join(rules, 'a.yml'), new Date(), new Date(Date.now() + 5000));
  const third = loadRules([rules], { cache: true });
  assert.equal(third.rules[0]!.title, 'A changed');
});
