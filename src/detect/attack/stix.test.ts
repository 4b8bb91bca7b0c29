import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RETIRED_TACTICS, TACTICS } from './index.js';

/**
 * Our tactic table against the Enterprise ATT&CK STIX bundle in shared/data (v18.1), read at
 * test time. v18.1 predates the v19 split, so the expected differences are exactly: TA0005 is
 * `defense-evasion` there (our RETIRED_TACTICS entry) and `stealth` here, and TA0112 is new.
 */
const BUNDLE = fileURLToPath(new URL('../../../../shared/data/attack/enterprise-attack/enterprise-attack.json', import.meta.url));
const skip = existsSync(BUNDLE) ? false : `no ATT&CK bundle at ${BUNDLE}`;

interface StixObject {
  type: string;
  id: string;
  name?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  x_mitre_shortname?: string;
  tactic_refs?: string[];
  external_references?: Array<{ source_name: string; external_id?: string }>;
}

interface StixTactic {
  ref: string;
  id: string;
  shortname: string;
  name: string;
}

function load(): StixObject[] {
  return (JSON.parse(readFileSync(BUNDLE, 'utf8')) as { objects: StixObject[] }).objects;
}

function attackId(o: StixObject): string {
  return o.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id ?? '';
}

function stixTactics(objects: StixObject[]): StixTactic[] {
  return objects
    .filter((o) => o.type === 'x-mitre-tactic' && !o.revoked && !o.x_mitre_deprecated)
    .map((o) => ({ ref: o.id, id: attackId(o), shortname: o.x_mitre_shortname ?? '', name: o.name ?? '' }));
}

function key(t: { id: string; shortname: string; name: string }): string {
  return `${t.id} ${t.shortname} ${t.name}`;
}

describe('tactics against the Enterprise ATT&CK bundle', { skip }, () => {
  const objects = skip ? [] : load();
  const tactics = stixTactics(objects);

  it('every bundle tactic is ours (current or retired) with the same id, shortname and name', () => {
    const ours = new Set([...TACTICS, ...RETIRED_TACTICS].map(key));
    assert.equal(tactics.length, 14);
    assert.deepEqual(tactics.filter((t) => !ours.has(key(t))).map(key), []);
  });

  it('ours that the v18.1 bundle lacks are exactly the v19 changes', () => {
    const theirs = new Set(tactics.map(key));
    assert.deepEqual(TACTICS.filter((t) => !theirs.has(key(t))).map(key), [
      'TA0005 stealth Stealth',
      'TA0112 defense-impairment Defense Impairment',
    ]);
  });

  it('our order is the matrix order (with the v19 split in place of defense-evasion)', () => {
    const matrix = objects.find((o) => o.type === 'x-mitre-matrix' && !o.revoked && o.tactic_refs);
    const byRef = new Map(tactics.map((t) => [t.ref, t.shortname]));
    const theirs = (matrix?.tactic_refs ?? []).map((r) => byRef.get(r));
    const ours = TACTICS.map((t) => t.shortname).filter((s) => s !== 'defense-impairment');
    assert.deepEqual(ours.map((s) => (s === 'stealth' ? 'defense-evasion' : s)), theirs);
  });
});
