import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { recordDetections } from '../cases/index.js';
import { systemContext, type Detection } from '../core/index.js';
import { importRuleText, type LiveEvent } from '../detect/index.js';
import { Spool, listEvents } from '../ingest/index.js';
import { IngestMetrics } from './metrics.js';
import { Pipeline } from './pipeline.js';
import { openDataStore } from './store.js';

const RULE = `title: Telnet attempt
id: 3c1e9a2b-8d4f-4e6a-9b0c-1d2e3f4a5b6c
status: test
level: medium
logsource:
    category: firewall
detection:
    selection:
        dst_port: 23
    condition: selection
`;

describe('pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-pipeline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs matchers from other capabilities, and quarantines a message that breaks one instead of stalling', async () => {
    const store = await openDataStore(dir);
    const ctx = systemContext();
    await importRuleText(store.db, ctx, RULE, 'telnet.yml');
    const { spool } = Spool.open({ dir: join(dir, 'spool') });
    const metrics = new IngestMetrics();
    const logs: string[] = [];
    const pipeline = new Pipeline({
      store, spool, metrics, log: (l) => logs.push(l),
      record: async (db, d, now) => {
        const r = await recordDetections(db, ctx, d, now);
        return [...r.created, ...r.updated];
      },
    });
    const seen: string[] = [];
    // An indicator matcher as threat intel would add; it chokes on one message.
    pipeline.addMatcher({
      name: 'ioc',
      match(e: LiveEvent): Detection[] {
        const raw = JSON.stringify(e.event);
        if (raw.includes('poison')) throw new Error('matcher bug on this message');
        seen.push(e.id);
        if (!raw.includes('198.51.100.66')) return [];
        return [{ ruleId: 'ioc:198.51.100.66', ruleVersion: 1, ruleTitle: 'Known C2 address', level: 'high', techniques: [], tactics: ['command-and-control'], eventId: e.id, at: e.receivedAt, event: e.event }];
      },
    });
    await pipeline.reloadRules(); // matchers survive a rebuild of the rules
    await pipeline.start();
    const source = { transport: 'tcp' as const, peer: '127.0.0.1:9', listener: 'test' };
    const lines = [
      'CEF:0|Fortinet|FortiGate|7.6|1|telnet|5|src=10.0.0.5 dst=10.0.0.9 dpt=23',
      'CEF:0|Fortinet|FortiGate|7.6|2|c2|7|src=10.0.0.5 dst=198.51.100.66 dpt=443',
      'CEF:0|Fortinet|FortiGate|7.6|3|poison|5|src=10.0.0.5 dst=10.0.0.10 dpt=80',
      'CEF:0|Fortinet|FortiGate|7.6|4|after|5|src=10.0.0.6 dst=10.0.0.9 dpt=23',
    ];
    await spool.append(lines.map((text) => ({ text, source, receivedAt: new Date('2026-11-21T09:00:00Z') })));
    const t = Date.now();
    while (metrics.detected + metrics.quarantined < lines.length && Date.now() - t < 20_000) await new Promise((r) => setTimeout(r, 20));
    await pipeline.stop();
    const events = await listEvents(store.db, store.dialect, { limit: 10 });
    assert.equal(events.items.length, 4, 'every message is stored, the poisonous one too');
    const poison = events.items.find((e) => e.raw.includes('poison'))!;
    assert.match(poison.error ?? '', /quarantined, not detected: matcher bug on this message/);
    assert.equal(JSON.parse(poison.raw), lines[2], 'the raw text is kept, escaped');
    assert.equal(metrics.quarantined, 1);
    const alerts = await store.db.selectFrom('alerts' as never).select(['rule_id' as never, 'detection_count' as never]).execute() as Array<{ rule_id: string; detection_count: number }>;
    const byRule = Object.fromEntries(alerts.map((a) => [a.rule_id, Number(a.detection_count)]));
    assert.deepEqual(byRule, { '3c1e9a2b-8d4f-4e6a-9b0c-1d2e3f4a5b6c': 2, 'ioc:198.51.100.66': 1 });
    assert.ok(logs.some((l) => /quarantined/.test(l)));
    await spool.close();
    await store.close();
  });
});

const SPRAY = `title: Telnet attempt from one source
id: 5a0f1c2d-3e4b-4c6d-8e9f-0a1b2c3d4e5f
name: telnet_attempt
status: test
level: low
logsource:
    category: firewall
detection:
    selection:
        dst_port: 23
    condition: selection
---
title: Telnet sweep from one source
id: 5a0f1c2d-3e4b-4c6d-8e9f-0a1b2c3d4e60
status: test
level: high
correlation:
    type: event_count
    rules:
        - telnet_attempt
    group-by:
        - source.ip
    timespan: 10m
    condition:
        gte: 3
`;

describe('pipeline across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-pipeline-corr-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a correlation window open across a restart: two events before, one after, one hit', async () => {
    const ctx = systemContext();
    const source = { transport: 'tcp' as const, peer: '127.0.0.1:9', listener: 'test' };
    const line = (n: number) => `CEF:0|Fortinet|FortiGate|7.6|${n}|telnet|5|src=10.0.0.5 dst=10.0.0.${n} dpt=23 rt=Nov 21 2026 09:0${n}:00 UTC`;
    const run = async (lines: string[]): Promise<number> => {
      const store = await openDataStore(dir);
      const { spool } = Spool.open({ dir: join(dir, 'spool') });
      const metrics = new IngestMetrics();
      const pipeline = new Pipeline({
        store, spool, metrics,
          record: async (db, d, now) => {
          const r = await recordDetections(db, ctx, d, now);
          return [...r.created, ...r.updated];
        },
      });
      await pipeline.start();
      const before = metrics.detected;
      await spool.append(lines.map((text) => ({ text, source, receivedAt: new Date('2026-11-21T09:10:00Z') })));
      const t = Date.now();
      while (metrics.detected < before + lines.length && Date.now() - t < 20_000) await new Promise((r) => setTimeout(r, 20));
      await pipeline.stop();
      const rows = await store.db.selectFrom('alerts' as never).select(['rule_id' as never]).where('rule_id' as never, '=', '5a0f1c2d-3e4b-4c6d-8e9f-0a1b2c3d4e60' as never).execute();
      await spool.close();
      await store.close();
      return rows.length;
    };
    const store = await openDataStore(dir);
    await importRuleText(store.db, ctx, SPRAY, 'sweep.yml');
    await store.close();
    assert.equal(await run([line(1), line(2)]), 0, 'two attempts: no hit yet');
    assert.equal(await run([line(3)]), 1, 'the third attempt after the restart completes the window');
  });
});
