import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeMappings, renderDefenderNames, renderMappingTable, resolveLogsource } from './index.js';
import type { LogsourceResolution, LogsourceTarget } from './index.js';

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

function targetsOf(r: LogsourceResolution): LogsourceTarget[] {
  assert.equal(r.kind, 'targets', JSON.stringify(r));
  return r.kind === 'targets' ? r.targets : [];
}

describe('resolveLogsource spot checks', () => {
  it('process_creation: Sysmon 1 and Security 4688 with the 4688 field names', () => {
    const targets = targetsOf(resolveLogsource({ product: 'windows', category: 'process_creation' }));
    assert.deepEqual(targets, [
      { channels: [SYSMON], eventIds: [1], fieldMap: {}, conditions: {} },
      {
        channels: ['Security'],
        eventIds: [4688],
        fieldMap: { Image: 'NewProcessName', ParentImage: 'ParentProcessName' },
        conditions: {},
      },
    ]);
  });

  it('ps_script is 4104 and ps_module 4103 on both PowerShell operational channels', () => {
    const channels = ['Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational'];
    assert.deepEqual(targetsOf(resolveLogsource({ product: 'windows', category: 'ps_script' })), [
      { channels, eventIds: [4104], fieldMap: {}, conditions: {} },
    ]);
    assert.deepEqual(targetsOf(resolveLogsource({ product: 'windows', category: 'ps_module' }))[0]?.eventIds, [4103]);
  });

  it('classic PowerShell categories live in "Windows PowerShell"', () => {
    for (const [category, id] of [['ps_classic_start', 400], ['ps_classic_provider_start', 600], ['ps_classic_script', 800]] as const) {
      const [t] = targetsOf(resolveLogsource({ product: 'windows', category }));
      assert.deepEqual(t?.channels, ['Windows PowerShell']);
      assert.deepEqual(t?.eventIds, [id]);
    }
  });

  it('registry categories split Sysmon 12/13/14', () => {
    const ids = (category: string) => targetsOf(resolveLogsource({ product: 'windows', category }))[0];
    assert.deepEqual(ids('registry_event')?.eventIds, [12, 13, 14]);
    assert.deepEqual(ids('registry_set')?.eventIds, [13]);
    assert.deepEqual(ids('registry_add')?.conditions, { EventType: ['CreateKey'] });
    assert.deepEqual(ids('registry_delete')?.eventIds, [12]);
    assert.deepEqual(ids('registry_delete')?.conditions, { EventType: ['DeleteKey', 'DeleteValue'] });
  });

  it('service security → Security channel, any EventID', () => {
    assert.deepEqual(targetsOf(resolveLogsource({ product: 'windows', service: 'security' })), [
      { channels: ['Security'], eventIds: [], fieldMap: {}, conditions: {} },
    ]);
    assert.deepEqual(targetsOf(resolveLogsource({ product: 'windows', service: 'windefend' }))[0]?.channels, [
      'Microsoft-Windows-Windows Defender/Operational',
    ]);
  });

  it('windefend maps Sigma spellings to the spaced names Defender writes', () => {
    const [t] = targetsOf(resolveLogsource({ product: 'windows', service: 'windefend' }));
    assert.equal(t?.fieldMap['ThreatName'], 'Threat Name');
    assert.equal(t?.fieldMap['Feature_Name'], 'Feature Name');
    const [av] = targetsOf(resolveLogsource({ category: 'antivirus' }));
    assert.equal(av?.fieldMap['Signature'], 'Threat Name');
    assert.equal(av?.fieldMap['Filename'], 'Path');
  });

  it('compares names case-insensitively', () => {
    const upper = resolveLogsource({ product: 'Windows', category: 'PROCESS_CREATION' });
    assert.deepEqual(upper, resolveLogsource({ product: 'windows', category: 'process_creation' }));
    assert.equal(targetsOf(resolveLogsource({ product: 'WINDOWS', service: 'Security' }))[0]?.channels[0], 'Security');
  });

  it('no product + a Windows category = the Windows targets', () => {
    assert.deepEqual(
      resolveLogsource({ category: 'process_creation' }),
      resolveLogsource({ product: 'windows', category: 'process_creation' }),
    );
  });

  it('product windows alone = any Windows event (one unconstrained target)', () => {
    assert.deepEqual(targetsOf(resolveLogsource({ product: 'windows' })), [
      { channels: [], eventIds: [], fieldMap: {}, conditions: {} },
    ]);
  });

  it('no logsource at all = any event', () => {
    assert.deepEqual(resolveLogsource({}), { kind: 'any' });
    assert.deepEqual(resolveLogsource({ definition: 'anything' }), { kind: 'any' });
  });

  it('category + service narrows to the service channel', () => {
    const targets = targetsOf(resolveLogsource({ product: 'windows', category: 'process_creation', service: 'sysmon' }));
    assert.deepEqual(targets.map((t) => t.eventIds), [[1]]);
    const none = resolveLogsource({ product: 'windows', category: 'ps_script', service: 'security' });
    assert.equal(none.kind, 'unmapped');
  });

  it('unknown and non-Windows sources are unmapped with a reason naming them', () => {
    const cases = [
      [{ product: 'windows', category: 'no_such_category' }, 'no_such_category'],
      [{ product: 'windows', service: 'no-such-service' }, 'no-such-service'],
      [{ product: 'linux', category: 'process_creation' }, 'linux'],
      [{ product: 'macos', category: 'process_creation' }, 'macos'],
      [{ product: 'aws', service: 'cloudtrail' }, 'aws'],
      [{ category: 'proxy' }, 'proxy'],
    ] as const;
    for (const [ls, word] of cases) {
      const r = resolveLogsource(ls);
      assert.equal(r.kind, 'unmapped', JSON.stringify(ls));
      assert.ok(r.kind === 'unmapped' && r.reason.includes(word), `${JSON.stringify(ls)}: ${JSON.stringify(r)}`);
    }
  });

  it('returns copies: mutating a result does not change the table', () => {
    const first = targetsOf(resolveLogsource({ product: 'windows', category: 'process_creation' }));
    first[1]!.fieldMap['Image'] = 'x';
    first[0]!.eventIds.push(99);
    const again = targetsOf(resolveLogsource({ product: 'windows', category: 'process_creation' }));
    assert.equal(again[1]?.fieldMap['Image'], 'NewProcessName');
    assert.deepEqual(again[0]?.eventIds, [1]);
  });
});

describe('describeMappings', () => {
  it('every row resolves to exactly its own targets', () => {
    for (const row of describeMappings()) {
      const r = resolveLogsource(row);
      assert.deepEqual(targetsOf(r), row.targets, JSON.stringify(row));
    }
  });

  it('covers every Sysmon event id 1..29 and 255', () => {
    const ids = new Set<number>();
    for (const row of describeMappings()) {
      for (const t of row.targets) if (t.channels.includes(SYSMON)) t.eventIds.forEach((id) => ids.add(id));
    }
    for (let id = 1; id <= 29; id++) assert.ok(ids.has(id), `Sysmon ${id}`);
    assert.ok(ids.has(255));
  });

  it('docs/logsource-mapping.md holds the current table', () => {
    const doc = readFileSync(new URL('../../../docs/logsource-mapping.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(renderMappingTable()), 'table out of date: regenerate with renderMappingTable()');
    assert.ok(doc.includes(renderDefenderNames()), 'Defender table out of date: regenerate with renderDefenderNames()');
  });
});
