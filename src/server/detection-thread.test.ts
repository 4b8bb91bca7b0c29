import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { systemContext } from '../core/index.js';
import { importRuleText, loadRuleSet } from '../detect/index.js';
import type { SpoolRecord } from '../ingest/index.js';
import { DetectionThread } from './detection-thread.js';
import { openDataStore } from './store.js';

const RULE = `title: Telnet attempt
id: 7d2c4e1a-0b3f-4a5c-9d8e-2f1a0b9c8d7e
status: test
level: medium
logsource:
    category: firewall
detection:
    selection:
        dst_port: 23
    condition: selection
`;

const source = { transport: 'tcp' as const, peer: '127.0.0.1:9', listener: 'test' };
const record = (seq: number, text: string): SpoolRecord => ({ seq, text, source, receivedAt: new Date('2026-11-21T09:00:00Z') });

describe('detection thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lianfang-detect-thread-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses and detects a batch off the main thread, and comes back with its rules after the thread dies', async () => {
    const store = await openDataStore(dir);
    await importRuleText(store.db, systemContext(), RULE, 'telnet.yml');
    const set = await loadRuleSet(store.db);
    await store.close();
    const thread = new DetectionThread();
    try {
      const loaded = await thread.load(set, []);
      assert.equal(loaded.rules, 1);
      const batch = [
        record(1, 'CEF:0|Fortinet|FortiGate|7.6|1|telnet|5|src=10.0.0.5 dst=10.0.0.9 dpt=23'),
        record(2, 'CEF:0|Fortinet|FortiGate|7.6|2|web|5|src=10.0.0.5 dst=10.0.0.9 dpt=443'),
        record(3, 'CEF:0|broken'),
      ];
      const r = await thread.process('s1', batch);
      assert.deepEqual(r.rows.map((x) => x.id), ['s1:1', 's1:2', 's1:3'], 'one row per message, in spool order');
      assert.equal(JSON.parse(r.rows[0]!.event).destination.port, 23);
      assert.equal(r.failed, 1);
      assert.match(r.rows[2]!.error ?? '', /CEF/);
      assert.deepEqual(r.detections.map((d) => [d.ruleId, d.eventId]), [['7d2c4e1a-0b3f-4a5c-9d8e-2f1a0b9c8d7e', 's1:1']]);

      // The thread dies with a batch in flight: that batch fails, the next one runs on a new
      // thread that has the same rules.
      const big = Array.from({ length: 5000 }, (_, i) => record(10 + i, batch[i % 3]!.text));
      const inFlight = thread.process('s1', big).then(() => 'done', (e: Error) => e.message);
      await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      // (Were the batch already answered, it would have been whole; it is not, here.)
      assert.match(await inFlight, /detection thread exited|^done$/);
      const again = await thread.process('s1', batch.slice(0, 1));
      assert.deepEqual(again.detections.map((d) => d.eventId), ['s1:1']);
    } finally {
      await thread.close();
    }
  });

  it('matches STIX indicators on the events it decoded for the rules, and a new thread gets them back', async () => {
    const store = await openDataStore(dir);
    const set = await loadRuleSet(store.db);
    await store.close();
    const thread = new DetectionThread();
    try {
      await thread.load(set, []);
      const cef = (n: number, dst: string) => record(n, `CEF:0|Fortinet|FortiGate|7.6|${n}|conn|5|src=10.0.0.5 dst=${dst} dpt=443`);
      const before = await thread.process('s2', [cef(1, '198.51.100.7')]);
      assert.deepEqual(before.detections, [], 'no indicators yet');

      const first = await thread.indicators(true, [
        { id: 'indicator--a', pattern: "[ipv4-addr:value = '198.51.100.7']", name: 'C2 address' },
        { id: 'indicator--broken', pattern: "[ipv4-addr:value = '198.51.100.8'" },
      ]);
      assert.equal(first.size, 1);
      assert.equal(first.problemCount, 1);
      assert.match(first.problems[0]!.where, /indicator--broken/);
      const added = await thread.indicators(false, [{ id: 'indicator--b', pattern: "[ipv4-addr:value = '203.0.113.0/24']" }]);
      assert.equal(added.size, 2, 'added to the ones held, not replacing them');

      const r = await thread.process('s2', [cef(2, '198.51.100.7'), cef(3, '192.0.2.1'), cef(4, '203.0.113.77')]);
      assert.deepEqual(r.detections.map((d) => [d.ruleId, d.eventId]), [['ioc:indicator--a', 's2:2'], ['ioc:indicator--b', 's2:4']]);
      assert.equal(r.detections[0]!.ruleTitle, 'C2 address');

      // Rules reloaded: the indicators stay.
      await thread.load(set, []);
      assert.equal((await thread.process('s2', [cef(5, '198.51.100.7')])).detections.length, 1);

      // The thread dies: the next one has the indicators (and a reset replaces them).
      await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      assert.deepEqual((await thread.process('s2', [cef(6, '203.0.113.9')])).detections.map((d) => d.ruleId), ['ioc:indicator--b']);
      const reset = await thread.indicators(true, [{ id: 'indicator--c', pattern: "[ipv4-addr:value = '192.0.2.1']" }]);
      assert.equal(reset.size, 1);
      const replaced = await thread.process('s2', [cef(7, '198.51.100.7'), cef(8, '192.0.2.1')]);
      assert.deepEqual(replaced.detections.map((d) => [d.ruleId, d.eventId]), [['ioc:indicator--c', 's2:8']]);
    } finally {
      await thread.close();
    }
  });
});
