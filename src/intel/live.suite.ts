import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemContext } from '../core/index.js';
import { ALL_MIGRATIONS } from '../server/index.js';
import { migrate, type Store } from '../store/index.js';
import { addObjects, countOf, createCollection, IndicatorMatcher, LiveIndicators, type IndicatorSink, type IntelCollection } from './index.js';

const indicator = (n: number, ip: string, extra: Record<string, unknown> = {}) => ({
  type: 'indicator', spec_version: '2.1', id: `indicator--7c1e0f2a-5b3d-4c8e-9a6f-00000000000${n}`, created: '2026-11-01T00:00:00.000Z',
  modified: '2026-11-01T00:00:00.000Z', pattern: `[ipv4-addr:value = '${ip}']`, pattern_type: 'stix', valid_from: '2026-11-01T00:00:00Z', ...extra,
});
const event = (ip: string) => ({ id: `e-${ip}`, receivedAt: '2026-11-21T10:00:00.000Z', event: { '@timestamp': '2026-11-21T10:00:00.000Z', source: { ip } } });

/**
 * The live loader over a store `open` gives: a new, empty one each call (SQLite and
 * PostgreSQL run it).
 */
export function liveSuite(label: string, open: () => Promise<Store>, skip?: string): void {
describe(`live indicators from the store (${label})`, { ...(skip ? { skip } : {}) }, () => {
  it('takes new indicators in place, and rebuilds when one it holds changes', async () => {
    const store = await open();
    await migrate(store, ALL_MIGRATIONS);
    const col = await createCollection(store.db, systemContext(), { title: 'Sector' });
    await addObjects(store.db, 'local', col, [indicator(1, '203.0.113.1')], { postedBy: '' });
    const live = new LiveIndicators(store.db, 'local');
    assert.equal(live.idle, true);
    await live.reload();
    assert.equal(live.size, 1);
    assert.equal(live.match(event('203.0.113.1')).length, 1);

    const second = await addObjects(store.db, 'local', col, [indicator(2, '203.0.113.2')], { postedBy: '' });
    const pending = live.added(second.added);
    assert.equal(live.size, 2, 'a new indicator is live at once, without a rebuild');
    await pending;
    assert.equal(live.match(event('203.0.113.2')).length, 1);

    const revoked = await addObjects(store.db, 'local', col, [indicator(1, '203.0.113.1', { modified: '2026-11-20T00:00:00.000Z', revoked: true })], { postedBy: '' });
    await live.added(revoked.added);
    assert.equal(live.size, 1, 'the revoked one is gone after the rebuild');
    assert.equal(live.match(event('203.0.113.1')).length, 0);
    assert.equal(live.match(event('203.0.113.2')).length, 1);
    await store.close();
  });

  it('with a sink, sends the indicators there (reset on reload, add for new ones) and matches nothing itself', async () => {
    const store = await open();
    await migrate(store, ALL_MIGRATIONS);
    const col = await createCollection(store.db, systemContext(), { title: 'Sector' });
    await addObjects(store.db, 'local', col, [indicator(1, '203.0.113.1')], { postedBy: '' });
    // The sink keeps its own matcher, as the detection thread does.
    let held = new IndicatorMatcher();
    const calls: string[] = [];
    const sink: IndicatorSink = {
      reset: async (list) => {
        calls.push(`reset ${list.length}`);
        held = new IndicatorMatcher(list);
        return countOf(held);
      },
      add: async (list) => {
        calls.push(`add ${list.length}`);
        for (const i of list) held.add(i);
        return countOf(held);
      },
    };
    const live = new LiveIndicators(store.db, 'local', sink);
    await live.reload();
    assert.equal(live.size, 1);
    assert.equal(live.problemCount, 0);
    assert.equal(live.idle, true, 'nothing to match on this thread');
    assert.equal(live.match(event('203.0.113.1')).length, 0);
    assert.equal(held.match(event('203.0.113.1')).length, 1);

    const second = await addObjects(store.db, 'local', col, [indicator(2, '203.0.113.2')], { postedBy: '' });
    await live.added(second.added);
    assert.equal(live.size, 2);
    assert.equal(held.match(event('203.0.113.2')).length, 1);
    const revoked = await addObjects(store.db, 'local', col, [indicator(1, '203.0.113.1', { modified: '2026-11-20T00:00:00.000Z', revoked: true })], { postedBy: '' });
    await live.added(revoked.added);
    assert.deepEqual(calls, ['reset 1', 'add 1', 'reset 1']);
    assert.equal(live.size, 1);
    assert.equal(held.match(event('203.0.113.1')).length, 0);
    await store.close();
  });

  it('does not throw when its sink fails a call (a detection thread that died keeps what it was sent)', async () => {
    const store = await open();
    await migrate(store, ALL_MIGRATIONS);
    const col = await createCollection(store.db, systemContext(), { title: 'Sector' });
    await addObjects(store.db, 'local', col, [indicator(1, '203.0.113.1')], { postedBy: '' });
    let fail = false;
    const sink: IndicatorSink = {
      reset: async (list) => {
        if (fail) throw new Error('detection thread exited (1)');
        return { size: list.length, problems: [], problemCount: 0 };
      },
      add: async () => {
        throw new Error('detection thread exited (1)');
      },
    };
    const live = new LiveIndicators(store.db, 'local', sink);
    await live.reload();
    assert.equal(live.size, 1);
    const second = await addObjects(store.db, 'local', col, [indicator(2, '203.0.113.2')], { postedBy: '' });
    await live.added(second.added);
    fail = true;
    await live.reload();
    assert.equal(live.size, 1, 'the last count known stays');
    await store.close();
  });

  it("holds each indicator's latest version, whatever width its timestamps are written at, and only its own tenant's", async () => {
    const store = await open();
    await migrate(store, ALL_MIGRATIONS);
    const sector = await createCollection(store.db, systemContext(), { title: 'Sector' });
    const local = await createCollection(store.db, systemContext(), { title: 'Local' });
    const other = await createCollection(store.db, { ...systemContext(), tenant: 'other' }, { title: 'Other' });
    // Newest first: the order rows were added in is not the order of versions. A timestamp
    // with 40 fraction digits is valid STIX, and stored as written.
    const posts: Array<[string, IntelCollection, Record<string, unknown>]> = [
      ['local', sector, indicator(3, '203.0.113.33', { modified: '2026-11-02T00:00:00.500Z' })],
      ['local', local, indicator(3, '203.0.113.31', { modified: '2026-11-02T00:00:00.000Z' })],
      ['local', sector, indicator(3, '203.0.113.32', { modified: `2026-11-02T00:00:00.${'4'.repeat(40)}Z` })],
      ['other', other, indicator(4, '203.0.113.4')],
    ];
    for (const [tenant, col, o] of posts) assert.equal((await addObjects(store.db, tenant, col, [o], { postedBy: '' })).added.length, 1, String(o['modified']));
    const live = new LiveIndicators(store.db, 'local');
    await live.reload();
    assert.equal(live.size, 1, "one indicator: not the other tenant's");
    assert.equal(live.match(event('203.0.113.33')).length, 1, 'the latest version, at .5 s');
    assert.equal(live.match(event('203.0.113.32')).length, 0);
    assert.equal(live.match(event('203.0.113.31')).length, 0);
    assert.equal(live.match(event('203.0.113.4')).length, 0);
    const theirs = new LiveIndicators(store.db, 'other');
    await theirs.reload();
    assert.equal(theirs.match(event('203.0.113.4')).length, 1);
    await store.close();
  });
});
}
