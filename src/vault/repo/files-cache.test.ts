import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalDirBlobStore } from './blob-store.js';
import { backup } from './backup.js';
import { FilesCache } from './files-cache.js';
import { initRepository, Repository } from './repository.js';
import { restore } from './restore.js';
import { prune } from './prune.js';
import { ed25519Signer, x25519Recipient } from './x25519-recipient.js';

const root = mkdtempSync(join(tmpdir(), 'vault-files-cache-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const tmp = (label: string): string => join(root, `${label}-${seq++}`);

const ID = (n: number): string => createHash('sha256').update(String(n)).digest('hex');
const OLD = { size: 10, mtimeMs: 1_000_000, ctimeMs: 1_000_500, ino: 42 };
const NOW = 2_000_000;
const always = (): boolean => true;

describe('files cache', () => {
  it('gives back a file’s chunk list only while its size, times and inode are the same', () => {
    const path = join(tmp('c'), 'files-cache');
    const c = FilesCache.load(path, 'repo-a', { avg: 1 });
    assert.equal(c.ignored, null, 'a missing cache is not a problem');
    c.record('/data/a', OLD, [ID(1), ID(2)], NOW);
    c.save();
    const d = FilesCache.load(path, 'repo-a', { avg: 1 });
    assert.equal(d.ignored, null);
    assert.deepEqual(d.lookup('/data/a', OLD, always), [ID(1), ID(2)]);
    for (const change of [{ size: 11 }, { mtimeMs: OLD.mtimeMs + 1 }, { ctimeMs: OLD.ctimeMs + 0.001 }, { ino: 43 }]) {
      assert.equal(d.lookup('/data/a', { ...OLD, ...change }, always), null, JSON.stringify(change));
    }
    assert.equal(d.lookup('/data/b', OLD, always), null);
    // A chunk the repository no longer has (pruned): the file is read again.
    assert.equal(d.lookup('/data/a', OLD, (id) => id !== ID(2)), null);
  });

  it('leaves out a file that changed within a second of being looked at', () => {
    const path = join(tmp('c'), 'files-cache');
    const c = FilesCache.load(path, 'r', {});
    c.record('/racy', { ...OLD, ctimeMs: NOW - 200 }, [ID(1)], NOW);
    c.record('/settled', OLD, [ID(2)], NOW);
    c.save();
    const d = FilesCache.load(path, 'r', {});
    assert.equal(d.lookup('/racy', { ...OLD, ctimeMs: NOW - 200 }, always), null);
    assert.deepEqual(d.lookup('/settled', OLD, always), [ID(2)]);
  });

  it('ignores, with the reason, a damaged, truncated or foreign cache file', () => {
    const path = join(tmp('c'), 'files-cache');
    const c = FilesCache.load(path, 'repo-a', { avg: 1 });
    c.record('/data/a', OLD, [ID(1)], NOW);
    c.save();
    const good = readFileSync(path, 'utf8');
    const cases: Array<[string, string, RegExp]> = [
      ['one byte changed', good.replace('"/data/a"', '"/data/b"'), /checksum does not match/],
      ['cut short', good.slice(0, good.length - 20), /truncated/],
      ['empty', '', /truncated/],
    ];
    for (const [what, text, reason] of cases) {
      writeFileSync(path, text);
      const d = FilesCache.load(path, 'repo-a', { avg: 1 });
      assert.match(d.ignored ?? '', reason, what);
      assert.equal(d.lookup('/data/b', OLD, always), null, what);
      assert.equal(d.lookup('/data/a', OLD, always), null, what);
    }
    writeFileSync(path, good);
    assert.match(FilesCache.load(path, 'repo-b', { avg: 1 }).ignored ?? '', /another repository or chunker/);
    assert.match(FilesCache.load(path, 'repo-a', { avg: 2 }).ignored ?? '', /another repository or chunker/);
    assert.deepEqual(FilesCache.load(path, 'repo-a', { avg: 1 }).lookup('/data/a', OLD, always), [ID(1)]);
  });

  it('drops a file’s entry at the 20th backup in a row that does not visit it', () => {
    const path = join(tmp('c'), 'files-cache');
    const first = FilesCache.load(path, 'r', {});
    first.record('/other', OLD, [ID(7)], NOW);
    first.save();
    for (let i = 1; i <= 20; i++) {
      const c = FilesCache.load(path, 'r', {});
      assert.deepEqual(c.lookup('/other', OLD, always), [ID(7)], `after ${i - 1} backups without it`);
      c.save();
    }
    assert.equal(FilesCache.load(path, 'r', {}).lookup('/other', OLD, always), null);
  });
});

describe('backup with the files cache', () => {
  async function setup() {
    const rec = x25519Recipient();
    const signer = ed25519Signer();
    const store = new LocalDirBlobStore(tmp('repo'));
    const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey, chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 } });
    const repo = await Repository.open(store, { secret });
    const cachePath = join(tmp('host'), 'files-cache');
    const cacheOf = (force = false): FilesCache => FilesCache.load(cachePath, repo.config.repoId, repo.config.chunker, { empty: force });
    const opts = { wrapDataKey: rec.wrapDataKey, sign: signer.sign };
    const restoreOpts = { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify };
    return { repo, cacheOf, opts, restoreOpts, rec };
  }

  function files(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const n of readdirSync(dir, { recursive: true }).map(String).sort()) {
      const p = join(dir, n);
      if (statSync(p).isFile()) out.set(n, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
    return out;
  }

  it('does not read unchanged files again, re-reads a file rewritten behind the same size and mtime, and restores what is on disk', async () => {
    const { repo, cacheOf, opts, restoreOpts } = await setup();
    const src = tmp('src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(join(src, 'sub', `f${i}.bin`), createHash('sha512').update(`f${i}`).digest().toString('hex').repeat(2000 + i));
    writeFileSync(join(src, 'same-size.txt'), 'A'.repeat(100_000));
    // A whole-second mtime, so putting it back later restores it exactly.
    utimesSync(join(src, 'same-size.txt'), 1_700_000_000, 1_700_000_000);
    // Files are cached only once their ctime is more than a second old.
    await new Promise((r) => setTimeout(r, 1100));

    const first = await backup(repo, [src], { ...opts, filesCache: cacheOf() });
    assert.equal(first.unchangedFiles, 0);
    const second = await backup(repo, [src], { ...opts, filesCache: cacheOf() });
    assert.equal(second.unchangedFiles, 7, 'every file was taken from the cache');
    assert.equal(second.record.totals.newChunks, 0);
    assert.deepEqual(second.record.totals.bytes, first.record.totals.bytes);
    assert.equal(second.record.totals.chunks, first.record.totals.chunks);

    // The same size and the old mtime put back: only the ctime (and content) differ.
    const target = join(src, 'same-size.txt');
    const before = statSync(target);
    writeFileSync(target, 'B'.repeat(100_000));
    utimesSync(target, 1_700_000_000, 1_700_000_000);
    assert.equal(statSync(target).mtimeMs, before.mtimeMs);
    const third = await backup(repo, [src], { ...opts, filesCache: cacheOf() });
    assert.equal(third.unchangedFiles, 6, 'the rewritten file was read');

    const out = tmp('out');
    await restore(repo, third.snapshotId, out, restoreOpts);
    assert.deepEqual(files(join(out, src.split('/').pop()!)), files(src));

    const forced = await backup(repo, [src], { ...opts, filesCache: cacheOf(true) });
    assert.equal(forced.unchangedFiles, 0, '--force reads everything');
  });

  it('reads a file again when the chunks its cache entry names were pruned away', async () => {
    const { repo, cacheOf, opts, restoreOpts, rec } = await setup();
    const src = tmp('src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.bin'), createHash('sha512').update('a').digest().toString('hex').repeat(3000));
    await new Promise((r) => setTimeout(r, 1100));
    const first = await backup(repo, [src], { ...opts, filesCache: cacheOf() });
    // Another source backed up, then the first snapshot pruned: a.bin's chunks are gone.
    const other = tmp('other');
    mkdirSync(other);
    writeFileSync(join(other, 'b.txt'), 'b');
    await backup(repo, [other], { ...opts });
    const pruned = await prune(repo, [first.snapshotId], { unwrapDataKey: rec.unwrapDataKey, verifySignature: restoreOpts.verifySignature });
    assert.ok(pruned.packsDeleted > 0, JSON.stringify(pruned));
    await repo.loadIndex();
    const again = await backup(repo, [src], { ...opts, filesCache: cacheOf() });
    assert.equal(again.unchangedFiles, 0);
    const out = tmp('out');
    await restore(repo, again.snapshotId, out, restoreOpts);
    assert.deepEqual(readFileSync(join(out, src.split('/').pop()!, 'a.bin')), readFileSync(join(src, 'a.bin')));
  });
});
