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
});
