import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InputError } from '../../core/index.js';
import { SITE_ERRORS, SiteError } from './errors.js';
import { LocalSite, openSite } from './site.js';
import { parseSiteSpec } from './spec.js';

const base = mkdtempSync(join(tmpdir(), 'lianfang-sites-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('a local site round-trips 0 bytes, 1 byte and 20 MiB through LocalDirBlobStore', async () => {
  const site = openSite(parseSiteSpec(`a=${join(base, 'rt')}`));
  assert.ok(site instanceof LocalSite);
  const big = randomBytes(20 * 1024 * 1024);
  await site.put('config', new Uint8Array(0));
  await site.put('locks/x', Uint8Array.of(7));
  await site.put('packs/ab/big', big);
  assert.equal((await site.get('config'))!.length, 0);
  assert.deepEqual([...(await site.get('locks/x'))!], [7]);
  assert.ok(Buffer.from((await site.get('packs/ab/big'))!).equals(big));
  assert.ok(readFileSync(join(base, 'rt', 'packs/ab/big')).equals(big));
  assert.deepEqual((await site.list('packs/')).sort(), ['packs/ab/big']);
  await site.delete('packs/ab/big');
  assert.equal(await site.get('packs/ab/big'), null);
  assert.deepEqual(site.describe(), { name: 'a', kind: 'local', location: join(base, 'rt') });
});

test('a relative local path is resolved against the working folder', () => {
  const site = openSite(parseSiteSpec('b=some/dir'));
  assert.equal(site.describe().location, join(process.cwd(), 'some/dir'));
});

test('putIfAbsent on a local site: of many racing writers exactly one wins', async () => {
  const sites = Array.from({ length: 8 }, () => openSite(parseSiteSpec(`a=${join(base, 'race')}`)));
  const results = await Promise.all(sites.map((s, i) => s.putIfAbsent('locks/exclusive', Buffer.from(`w${i}`))));
  assert.equal(results.filter(Boolean).length, 1);
  assert.equal(readFileSync(join(base, 'race', 'locks/exclusive'), 'utf8'), `w${results.indexOf(true)}`);
});

test('a site path that cannot be a folder: probe says so, writes fail naming the site, nothing else is touched', async () => {
  const file = join(base, 'plain-file');
  writeFileSync(file, 'keep me');
  const site = openSite(parseSiteSpec(`off=${join(file, 'vault')}`));
  const probe = await site.probe();
  assert.equal(probe.reachable, false);
  assert.ok(!probe.reachable && probe.problem.includes('site "off"'));
  const err = await site.put('config', Buffer.from('x')).then(
    () => assert.fail('put should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SiteError && err.code === SITE_ERRORS.io && err.site === 'off');
  assert.match(err.message, /^site "off" \(.+plain-file\/vault\): put config: ENOTDIR/);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
});

test('probe of a fresh local site notes that the root will be created', async () => {
  const probe = await openSite(parseSiteSpec(`n=${join(base, 'not', 'yet')}`)).probe();
  assert.ok(probe.reachable && probe.note?.includes('does not exist yet'));
  const made = openSite(parseSiteSpec(`m=${join(base, 'rt')}`));
  const p2 = await made.probe();
  assert.ok(p2.reachable && p2.note === undefined && p2.latencyMs >= 0);
});

test('bad blob names stay InputErrors, not site failures', async () => {
  const site = openSite(parseSiteSpec(`a=${join(base, 'names')}`));
  await assert.rejects(site.put('../x', Buffer.from('x')), (e: unknown) => e instanceof InputError && !(e instanceof SiteError));
});

test('a local operation that outlives its deadline fails as a timeout instead of hanging', async () => {
  const site = openSite(parseSiteSpec(`slow=${join(base, 'slow')}`), { localTimeoutMs: 1 });
  const err = await site.put('packs/aa/big', randomBytes(32 * 1024 * 1024)).then(
    () => assert.fail('a 32 MiB write with fsync cannot finish in 1 ms'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SiteError && err.code === SITE_ERRORS.timeout, String(err));
  assert.match(err.message, /not done within 1 ms/);
  // The write itself cannot be cancelled; let it land so the temp folder can be removed cleanly.
  const deadline = Date.now() + 20_000;
  while (!existsSync(join(base, 'slow', 'packs/aa/big')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(join(base, 'slow', 'packs/aa/big')), 'the late write completes whole');
});

test('openSite refuses an sftp spec without SFTP options', () => {
  assert.throws(() => openSite(parseSiteSpec('t=sftp://v@h/p')), (e: unknown) => e instanceof InputError && /needs SFTP options/.test(e.message));
});
