import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { attackFromTags, classifyAttackTag } from './index.js';

/** Every `attack.*` tag in the whole SigmaHQ corpus (all rule folders, deprecated, unsupported). */
const SIGMA = fileURLToPath(new URL('../../../../shared/data/sigma/', import.meta.url));
const skip = existsSync(SIGMA) ? false : `no SigmaHQ corpus at ${SIGMA}`;

/** Tags that are ATT&CK but not tactic/technique/software/group, and why that is fine. */
const DOCUMENTED_OTHER: Record<string, string> = {
  // A data-source id (DS0005 = WMI) on posh_ps_create_volume_shadow_copy.yml: classified as
  // 'data-source', not carried in AttackContext.
  'attack.ds0005': 'data-source',
};

function ruleTags(file: string): string[][] {
  const out: string[][] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const rule = doc.toJS() as { tags?: unknown } | null;
    if (rule && Array.isArray(rule.tags)) out.push(rule.tags.map(String));
  }
  return out;
}

function corpusTags(): string[][] {
  const files = readdirSync(SIGMA, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yml') && !f.startsWith('logsource-config'))
    .map((f) => join(SIGMA, f));
  return files.flatMap(ruleTags);
}

describe('SigmaHQ corpus ATT&CK tags', { skip }, () => {
  const rules = skip ? [] : corpusTags();
  const attackTags = rules.flat().filter((t) => t.toLowerCase().startsWith('attack.'));

  it('reads the corpus', () => {
    assert.ok(rules.length > 4000, `${rules.length} rules with tags`);
    assert.ok(attackTags.length > 10000, `${attackTags.length} attack tags`);
  });

  it('every attack.* tag is a tactic, technique, software or group, or documented', () => {
    const core = new Set(['tactic', 'technique', 'software', 'group']);
    const other = new Map<string, string>();
    for (const tag of attackTags) {
      const c = classifyAttackTag(tag);
      if (!core.has(c.kind)) other.set(tag.toLowerCase(), c.kind);
    }
    assert.deepEqual(Object.fromEntries(other), DOCUMENTED_OTHER);
  });

  it('every rule with a tactic tag gets a kill-chain phase', () => {
    const missing = rules.filter((tags) => tags.some((t) => classifyAttackTag(t).kind === 'tactic'))
      .filter((tags) => attackFromTags(tags).killChainPhase === null);
    assert.equal(missing.length, 0);
  });
});
