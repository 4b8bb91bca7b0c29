import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MeteredSite, siteStandings, type SiteStats } from './metered-site.js';
import { openSite } from './site.js';
import { parseSiteSpec } from './spec.js';

const base = mkdtempSync(join(tmpdir(), 'lianfang-metered-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('a metered site counts bytes, operations and time, and passes results through', async () => {
  const site = new MeteredSite(openSite(parseSiteSpec(`a=${join(base, 'a')}`)));
  await site.put('packs/00/p', new Uint8Array(1000));
  assert.equal(await site.putIfAbsent('locks/l', new Uint8Array(10)), true);
  assert.equal(await site.putIfAbsent('locks/l', new Uint8Array(10)), false);
  assert.equal((await site.get('packs/00/p'))!.length, 1000);
  assert.equal(await site.get('missing'), null);
  assert.deepEqual(await site.list('locks/'), ['locks/l']);
  await site.delete('locks/l');
  const s = site.stats();
  assert.equal(s.bytesWritten, 1010, 'a refused putIfAbsent moves nothing');
  assert.equal(s.bytesRead, 1000);
  assert.deepEqual(s.ops, { put: 3, get: 2, list: 1, delete: 1 });
  assert.equal(s.failures, 0);
  assert.ok(s.writeMs > 0 && s.readMs > 0);
  assert.equal(s.inFlight, 0);
  assert.equal(s.inFlightBytes, 0);
  assert.ok(s.lastOkAt instanceof Date);
});

test('in-flight bytes show a backlog while writes are under way', async () => {
  const site = new MeteredSite(openSite(parseSiteSpec(`a=${join(base, 'b')}`)));
  const writing = Promise.all([site.put('packs/00/x', new Uint8Array(4096)), site.put('packs/00/y', new Uint8Array(4096))]);
  assert.equal(site.stats().inFlight, 2);
  assert.equal(site.stats().inFlightBytes, 8192);
  await writing;
  assert.equal(site.stats().inFlightBytes, 0);
});

test('failures are counted with the error code and message, then the site reads as failing', async () => {
  const file = join(base, 'file');
  writeFileSync(file, 'x');
  const broken = new MeteredSite(openSite(parseSiteSpec(`bad=${join(file, 'v')}`)));
  const good = new MeteredSite(openSite(parseSiteSpec(`good=${join(base, 'good')}`)));
  await assert.rejects(broken.put('config', new Uint8Array(5)));
  await good.put('config', new Uint8Array(5));
  const s = broken.stats();
  assert.equal(s.failures, 1);
  assert.equal(s.bytesWritten, 0);
  assert.equal(s.lastErrorCode, 'VAULT_SITE_IO');
  assert.match(s.lastError!, /site "bad"/);
  const standings = siteStandings([good.stats(), broken.stats()]);
  assert.deepEqual(standings.map((l) => [l.site, l.state]), [['bad', 'failing'], ['good', 'ok']]);
});

function stats(site: string, over: Partial<SiteStats>): SiteStats {
  return {
    site, bytesWritten: 0, bytesRead: 0, ops: { put: 0, get: 0, list: 0, delete: 0 }, failures: 0, writeMs: 0, readMs: 0,
    inFlight: 0, inFlightBytes: 0, lastOkAt: null, lastFailureAt: null, lastError: null, lastErrorCode: null, ...over,
  };
}

test('standings: a slow writer, a backlog, a recovered site, and a site with no writes yet', () => {
  const mib = 1024 * 1024;
  const t = (s: number) => new Date(1767225600000 + s * 1000);
  const lines = siteStandings([
    stats('a', { bytesWritten: 100 * mib, writeMs: 1000, lastOkAt: t(5) }),
    stats('b', { bytesWritten: 100 * mib, writeMs: 1200, lastOkAt: t(5) }),
    stats('c', { bytesWritten: 100 * mib, writeMs: 10_000, lastOkAt: t(5) }),
    stats('d', { bytesWritten: 100 * mib, writeMs: 1000, inFlightBytes: 200 * mib, lastOkAt: t(5) }),
    stats('e', { bytesWritten: 100 * mib, writeMs: 1000, lastFailureAt: t(1), lastError: 'old', lastOkAt: t(5) }),
    stats('f', {}),
  ]);
  const byName = new Map(lines.map((l) => [l.site, l]));
  assert.equal(byName.get('c')!.state, 'slow');
  assert.match(byName.get('c')!.reason!, /writes at 10\.0 MiB\/s, median site 100\.0 MiB\/s/);
  assert.equal(byName.get('d')!.state, 'slow');
  assert.match(byName.get('d')!.reason!, /200\.0 MiB still being written/);
  assert.equal(byName.get('e')!.state, 'ok', 'a failure followed by success is not failing');
  assert.equal(byName.get('f')!.state, 'ok');
  assert.equal(byName.get('f')!.writeMiBps, null);
  assert.deepEqual(lines.map((l) => l.site).slice(0, 2), ['c', 'd']);
});
