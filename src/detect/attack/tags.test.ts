import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KILL_CHAIN_PHASES, RETIRED_TACTICS, TACTICS, attackFromTags, classifyAttackTag } from './index.js';

describe('attackFromTags', () => {
  it('reads techniques, tactics, software and groups, normalised and deduplicated in tag order', () => {
    const ctx = attackFromTags([
      'attack.credential-access', 'attack.t1003.001', 'attack.T1003.001', 'attack.t1003',
      'attack.s0002', 'attack.g0007', 'attack.S0002', 'car.2013-07-001', 'cve.2021-44228',
      'detection.threat-hunting',
    ]);
    assert.deepEqual(ctx, {
      techniques: ['T1003.001', 'T1003'],
      tactics: ['TA0006'],
      tacticNames: ['credential-access'],
      killChainPhases: ['actions-on-objectives'],
      killChainPhase: 'actions-on-objectives',
      software: ['S0002'],
      groups: ['G0007'],
    });
  });

  it('accepts the old underscore spellings', () => {
    const ctx = attackFromTags(['attack.credential_access', 'attack.command_and_control', 'attack.privilege_escalation']);
    assert.deepEqual(ctx.tactics, ['TA0006', 'TA0011', 'TA0004']);
    assert.deepEqual(ctx.tacticNames, ['credential-access', 'command-and-control', 'privilege-escalation']);
  });

  it('orders phases along the chain and picks the furthest', () => {
    const ctx = attackFromTags(['attack.impact', 'attack.execution', 'attack.persistence', 'attack.initial-access']);
    assert.deepEqual(ctx.killChainPhases, ['delivery', 'exploitation', 'installation', 'actions-on-objectives']);
    assert.equal(ctx.killChainPhase, 'actions-on-objectives');
    assert.equal(attackFromTags(['attack.execution', 'attack.command-and-control']).killChainPhase, 'command-and-control');
  });

  it('knows the v19 split and the retired defense-evasion', () => {
    const v19 = attackFromTags(['attack.stealth', 'attack.defense-impairment']);
    assert.deepEqual(v19.tactics, ['TA0005', 'TA0112']);
    assert.deepEqual(v19.killChainPhases, ['installation']);
    const old = attackFromTags(['attack.defense_evasion', 'attack.defense-evasion', 'attack.stealth']);
    assert.deepEqual(old.tactics, ['TA0005']);
    assert.deepEqual(old.tacticNames, ['defense-evasion', 'stealth']);
  });

  it('gives null phase and empty lists when there are no ATT&CK tags', () => {
    assert.deepEqual(attackFromTags(['cve.2021-1675', 'detection.emerging-threats']), {
      techniques: [], tactics: [], tacticNames: [], killChainPhases: [], killChainPhase: null, software: [], groups: [],
    });
    assert.equal(attackFromTags(['attack.t1059']).killChainPhase, null);
  });
});

describe('classifyAttackTag', () => {
  it('names each kind', () => {
    assert.equal(classifyAttackTag('attack.TA0006').kind, 'tactic');
    assert.deepEqual(classifyAttackTag('attack.ds0005'), { kind: 'data-source', id: 'DS0005' });
    assert.deepEqual(classifyAttackTag('attack.c0024'), { kind: 'campaign', id: 'C0024' });
    assert.deepEqual(classifyAttackTag('attack.nonsense'), { kind: 'unknown', text: 'attack.nonsense' });
    assert.deepEqual(classifyAttackTag('car.2013-07-001'), { kind: 'not-attack' });
    assert.deepEqual(classifyAttackTag('attack.t10031'), { kind: 'unknown', text: 'attack.t10031' });
  });
});

describe('tactic table', () => {
  it('has 15 current tactics with unique ids and shortnames, every phase one of the seven', () => {
    assert.equal(TACTICS.length, 15);
    assert.equal(new Set(TACTICS.map((t) => t.id)).size, 15);
    assert.equal(new Set(TACTICS.map((t) => t.shortname)).size, 15);
    for (const t of [...TACTICS, ...RETIRED_TACTICS]) assert.ok(KILL_CHAIN_PHASES.includes(t.killChainPhase), t.shortname);
  });

  it('has the seven Lockheed Martin phases in order', () => {
    assert.deepEqual(KILL_CHAIN_PHASES, [
      'reconnaissance', 'weaponization', 'delivery', 'exploitation', 'installation', 'command-and-control', 'actions-on-objectives',
    ]);
  });

  it('never places a tactic before the phase its matrix predecessor is in, except documented', () => {
    // Matrix order is roughly attack order; our phases should be too. The exceptions are deliberate
    // (docs/kill-chain.md): privilege escalation is read as exploitation although it comes after
    // persistence in the matrix, and C2 sits between collection and exfiltration.
    const backwards: string[] = [];
    const idx = (p: string) => KILL_CHAIN_PHASES.indexOf(p as never);
    for (let i = 1; i < TACTICS.length; i++) {
      const [a, b] = [TACTICS[i - 1]!, TACTICS[i]!];
      if (idx(b.killChainPhase) < idx(a.killChainPhase)) backwards.push(`${a.shortname}>${b.shortname}`);
    }
    assert.deepEqual(backwards, ['persistence>privilege-escalation', 'collection>command-and-control']);
  });

  it('docs/kill-chain.md has a row for every tactic with its phase', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/kill-chain.md', import.meta.url), 'utf8');
    for (const t of [...TACTICS, ...RETIRED_TACTICS]) {
      const row = doc.split('\n').find((l) => l.startsWith(`| ${t.id} | \`${t.shortname}\``));
      assert.ok(row, `no row for ${t.id} ${t.shortname}`);
      assert.ok(row.includes(`\`${t.killChainPhase}\``), `row for ${t.shortname} does not say ${t.killChainPhase}`);
    }
  });
});
