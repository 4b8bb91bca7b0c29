import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveLogsource } from './index.js';
import type { Logsource } from './index.js';

const SIGMA = fileURLToPath(new URL('../../../../shared/data/sigma/', import.meta.url));
const skip = existsSync(SIGMA) ? false : `no SigmaHQ corpus at ${SIGMA}`;

interface RuleLogsource {
  file: string;
  logsource: Logsource;
}

function yamlFiles(dir: string): string[] {
  const entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  return entries.filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).map((f) => join(dir, f));
}

function text(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function logsourcesIn(file: string): RuleLogsource[] {
  const out: RuleLogsource[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const rule = doc.toJS() as { logsource?: Record<string, unknown> } | null;
    const ls = rule?.logsource;
    if (!ls || typeof ls !== 'object') continue;
    const logsource: Logsource = {};
    for (const k of ['product', 'category', 'service'] as const) {
      const value = text(ls[k]);
      if (value !== undefined) logsource[k] = value;
    }
    out.push({ file, logsource });
  }
  return out;
}

/** Every rule logsource in the rules folders (main, emerging threats, hunting, placeholder, compliance). */
function corpus(): RuleLogsource[] {
  const dirs = readdirSync(SIGMA).filter((d) => d.startsWith('rules'));
  return dirs.flatMap((d) => yamlFiles(join(SIGMA, d))).flatMap(logsourcesIn);
}

function isWindows(r: RuleLogsource): boolean {
  return r.file.includes('/windows/') || r.logsource.product?.toLowerCase() === 'windows';
}

function pairKey(ls: Logsource): string {
  return `category=${ls.category ?? '-'} service=${ls.service ?? '-'}`;
}

describe('SigmaHQ corpus logsources', { skip }, () => {
  const rules = skip ? [] : corpus();

  it('reads the corpus', () => {
    assert.ok(rules.length > 3500, `only ${rules.length} rule documents`);
  });

  it('every distinct (category, service) of Windows rules resolves to targets', () => {
    const pairs = new Map<string, Logsource>();
    for (const r of rules.filter(isWindows)) pairs.set(pairKey(r.logsource), r.logsource);
    const failed = [...pairs].filter(([, ls]) => resolveLogsource(ls).kind !== 'targets').map(([k]) => k);
    assert.deepEqual(failed, []);
    assert.ok(pairs.size >= 60, `only ${pairs.size} distinct Windows pairs`);
  });

  it('every Windows rule document resolves to targets', () => {
    const failed = rules.filter(isWindows).filter((r) => resolveLogsource(r.logsource).kind !== 'targets');
    assert.deepEqual(failed.map((r) => r.file), []);
  });

  it('non-Windows rules are unmapped, except product-less categories Windows logs do carry', () => {
    const mapped = rules
      .filter((r) => !isWindows(r))
      .filter((r) => resolveLogsource(r.logsource).kind !== 'unmapped')
      .map((r) => pairKey(r.logsource));
    // `category: antivirus` has no product; Defender's detection events are the Windows source for it.
    assert.deepEqual([...new Set(mapped)], ['category=antivirus service=-']);
  });
});
