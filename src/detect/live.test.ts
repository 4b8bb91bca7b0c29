import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemContext, type Detection, type EventRecord } from '../core/index.js';
import { listAudit, migrate, type Store } from '../store/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { LiveDetector, type EventMatcher } from './live.js';
import { detectMigrations, getRule, importRules, listRules, loadRuleSet, setRuleEnabled } from './rule-store.js';

const SHARED = new URL('../../../shared/data/', import.meta.url).pathname;
const CRED_RULES = join(SHARED, 'sigma/rules/windows/file/file_event');
const SAMPLE = join(SHARED, 'events/evtx-attack-samples/Credential Access/CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.jsonl');

const FIREWALL_RULE = `title: Outbound connection to a Metasploit default port
id: 6f0c5a5e-3f3a-4c0e-9a55-8c3f0a1d2b01
status: test
author: Lianfang tests
level: high
tags:
    - attack.command-and-control
    - attack.t1571
logsource:
    category: firewall
detection:
    selection:
        dst_port: 4444
    condition: selection
`;

const CORRELATION = `title: Failed logon
id: 0e95725d-7320-415d-80f7-004da920fc11
name: failed_logon
status: test
level: low
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Many failed logons from one source
id: 0e95725d-7320-415d-80f7-004da920fc12
status: test
level: high
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        gte: 3
`;

describe('rules in the store and live detection', () => {
  let store: Store;
  let dir: string;
  const ctx = systemContext();
  before(async () => {
    store = openSqliteStore(':memory:');
    await migrate(store, [detectMigrations]);
    dir = mkdtempSync(join(tmpdir(), 'lianfang-rules-'));
    writeFileSync(join(dir, 'fw.yml'), FIREWALL_RULE);
    writeFileSync(join(dir, 'spray.yml'), CORRELATION);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a Sigma folder, versions changed rules, leaves identical ones alone, and audits it', async () => {
    const first = await importRules(store.db, ctx, [CRED_RULES, dir]);
    assert.ok(first.added > 50, `imported ${first.added}`);
    assert.deepEqual(first.problems, []);
    const again = await importRules(store.db, ctx, [CRED_RULES, dir]);
    assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, first.added]);
    writeFileSync(join(dir, 'fw.yml'), FIREWALL_RULE.replace('level: high', 'level: critical'));
    const changed = await importRules(store.db, ctx, [dir]);
    assert.deepEqual([changed.added, changed.updated], [0, 1]);
    const rule = await getRule(store.db, '6f0c5a5e-3f3a-4c0e-9a55-8c3f0a1d2b01');
    assert.equal(rule.version, 2);
    assert.equal(rule.level, 'critical');
    assert.deepEqual(rule.versions.map((v) => v.version), [2, 1]);
    assert.match(rule.yaml, /^title: Outbound connection/);
    const audit = await listAudit(store.db, { target: 'rule:6f0c5a5e-3f3a-4c0e-9a55-8c3f0a1d2b01' });
    assert.deepEqual(audit.map((a) => a.action), ['rule.update', 'rule.import']);
  });

  it('lists a page at a time with a cursor, and filters by text', async () => {
    const page1 = await listRules(store.db, { limit: 10 });
    assert.equal(page1.items.length, 10);
    assert.ok(page1.next);
    const page2 = await listRules(store.db, { limit: 10, cursor: page1.next! });
    assert.equal(new Set([...page1.items, ...page2.items].map((r) => r.id)).size, 20, 'pages do not overlap');
    const found = await listRules(store.db, { q: 'METASPLOIT' });
    assert.deepEqual(found.items.map((r) => r.title), ['Outbound connection to a Metasploit default port']);
  });

  it('detects on Windows events and on ECS device events, and stops when a rule is disabled', async () => {
    const live = new LiveDetector(await loadRuleSet(store.db));
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean);
    const events = lines.map((l, i) => ({ id: `s:${i}`, event: JSON.parse(l) as EventRecord, receivedAt: '2026-11-21T00:00:00Z' }));
    const found = live.process(events);
    const kirbi = found.find((d) => d.ruleTitle === 'HackTool - Mimikatz Kirbi File Creation');
    assert.ok(kirbi, `titles: ${found.map((d) => d.ruleTitle).join(', ')}`);
    assert.ok(kirbi.tactics.includes('credential-access'));
    assert.ok(kirbi.host && kirbi.host.length > 0);
    assert.ok(kirbi.matchedFields?.includes('TargetFilename'));

    const fw: EventRecord = { 'event': { category: ['network'] }, 'destination': { ip: '203.0.113.9', port: 4444 }, 'source': { ip: '10.1.2.3' }, 'observer': { vendor: 'Fortinet' } };
    const other: EventRecord = { ...fw, 'destination': { ip: '203.0.113.9', port: 443 } };
    const hits = live.process([{ id: 'fw:1', event: fw, receivedAt: '2026-11-21T01:00:00Z' }, { id: 'fw:2', event: other, receivedAt: '2026-11-21T01:00:01Z' }]);
    assert.deepEqual(hits.map((h) => [h.ruleTitle, h.eventId, h.level, h.ruleVersion]), [['Outbound connection to a Metasploit default port', 'fw:1', 'critical', 2]]);
    assert.deepEqual(hits[0]!.techniques, ['T1571']);

    assert.equal(await setRuleEnabled(store.db, ctx, '6f0c5a5e-3f3a-4c0e-9a55-8c3f0a1d2b01', false), true);
    const off = new LiveDetector(await loadRuleSet(store.db));
    assert.deepEqual(off.process([{ id: 'fw:3', event: fw, receivedAt: '2026-11-21T01:00:02Z' }]), []);
    assert.notEqual(off.fingerprint, live.fingerprint);
  });

  it('runs the matchers over a batch after the rules, and returns detections in event order', async () => {
    const set = await loadRuleSet(store.db);
    // The Mimikatz sample (a file rule fires) and firewall events (one to port 4444 fires), mixed.
    const sysmon = JSON.parse(readFileSync(SAMPLE, 'utf8')) as EventRecord;
    const fw = (port: number): EventRecord => ({ event: { category: ['network'] }, destination: { ip: '203.0.113.9', port }, source: { ip: '10.1.2.3' } });
    const kinds = [sysmon, fw(4444), fw(443)];
    const events = Array.from({ length: 10 }, (_, i) => ({ id: `s:${i}`, event: kinds[i % 3]!, receivedAt: '2026-11-21T00:00:00Z' }));
    // A matcher that flags every fourth event, twice for the first one: shows where its detections land.
    const flagging = (seen: string[]): EventMatcher => ({
      name: 'every-fourth',
      match: (e) => {
        seen.push(e.id);
        const i = Number(e.id.slice(2));
        if (i % 4 !== 0) return [];
        const d: Detection = { ruleId: `flag:${e.id}`, ruleVersion: 1, ruleTitle: 'flagged', level: 'low', techniques: [], tactics: [], eventId: e.id, at: e.receivedAt, event: e.event };
        return i === 0 ? [d, { ...d, ruleId: 'flag:again' }] : [d];
      },
    });
    const oneByOne = new LiveDetector(set);
    oneByOne.addMatcher(flagging([]));
    const expected = events.flatMap((e) => oneByOne.process([e]));
    const seen: string[] = [];
    const batched = new LiveDetector(set);
    batched.addMatcher(flagging(seen));
    const got = batched.process(events);
    assert.ok(expected.some((d) => !d.ruleId.startsWith('flag:')), 'the rules detect something in the sample');
    assert.ok(expected.filter((d) => d.ruleId.startsWith('flag:')).length > 2);
    assert.deepEqual(got.map((d) => [d.eventId, d.ruleId]), expected.map((d) => [d.eventId, d.ruleId]));
    assert.deepEqual(seen, events.map((e) => e.id), 'every event, once, in order');
  });

  it('raises a correlation over a time window of live events', async () => {
    const live = new LiveDetector(await loadRuleSet(store.db));
    const failed = (i: number, ip: string, t: string) => ({
      id: `w:${i}`,
      event: { Channel: 'Security', EventID: 4625, IpAddress: ip, Computer: 'dc01.bank.local', TargetUserName: 'teller01', '@timestamp': t },
      receivedAt: t,
    });
    const out = live.process([
      failed(1, '10.0.0.5', '2026-11-21T02:00:00Z'),
      failed(2, '10.0.0.6', '2026-11-21T02:00:30Z'),
      failed(3, '10.0.0.5', '2026-11-21T02:01:00Z'),
      failed(4, '10.0.0.5', '2026-11-21T02:02:00Z'),
    ]);
    const spray = out.filter((d) => d.ruleTitle === 'Many failed logons from one source');
    assert.equal(spray.length, 1);
    assert.deepEqual(spray[0]!.relatedEventIds, ['w:1', 'w:3', 'w:4']);
    assert.equal(spray[0]!.eventId, 'w:4');
    assert.equal(spray[0]!.event.IpAddress, '10.0.0.5');
    // The base rule feeds the correlation only: Sigma's `generate` defaults to false.
    assert.equal(out.filter((d) => d.ruleTitle === 'Failed logon').length, 0);
  });
});
