import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, appendFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompressSync, deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../core/index.js';
import { LocalDirBlobStore } from './blob-store.js';
import { backup } from './backup.js';
import { startChunkOpeners } from './chunk-open-thread.js';
import { ChunkSplitter, FastCdc, gearTable } from './chunker.js';
import { packBlobName } from './format.js';
import { compressChunk, initRepository, PackWriter, Repository } from './repository.js';
import { restore } from './restore.js';
import { treeLine, writeSnapshot, type SnapshotRecord, type TreeEntry } from './snapshot.js';
import { verifyRepo } from './verify.js';
import { zstdDecompress } from './zstd.js';
import { ed25519Signer, x25519Recipient } from './x25519-recipient.js';

const SMALL = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 };
const tmpRoot = mkdtempSync(join(tmpdir(), 'vault-repo-test-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let seq = 0;
const tmp = (label: string): string => join(tmpRoot, `${label}-${seq++}`);

/** Deterministic pseudo-random bytes (so tests repeat) from SHA-256 in counter mode. */
function prng(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

function cutAll(cdc: FastCdc, data: Buffer, piece: number): Buffer[] {
  const s = new ChunkSplitter(cdc);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += piece) s.push(data.subarray(off, off + piece), out);
  s.finish(out);
  return out.map((c) => Buffer.from(c));
}

async function newRepo(packTarget = 256 * 1024) {
  const rec = x25519Recipient();
  const signer = ed25519Signer();
  const dir = tmp('repo');
  const store = new LocalDirBlobStore(dir);
  const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey, chunker: SMALL, packTarget });
  const repo = await Repository.open(store, { secret });
  const backupOpts = { wrapDataKey: rec.wrapDataKey, sign: signer.sign };
  const restoreOpts = { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify };
  return { rec, signer, dir, store, secret, repo, backupOpts, restoreOpts };
}

function sourceTree(): string {
  const src = tmp('src');
  mkdirSync(join(src, 'db', 'nested'), { recursive: true });
  mkdirSync(join(src, 'empty-dir'));
  writeFileSync(join(src, 'db', 'random.bin'), prng('random', 1_500_000));
  writeFileSync(join(src, 'db', 'nested', 'text.sql'), 'INSERT INTO txn VALUES (1, 2, 3);\n'.repeat(40_000));
  writeFileSync(join(src, 'empty.txt'), '');
  writeFileSync(join(src, 'secret.key'), 'k');
  chmodSync(join(src, 'secret.key'), 0o600);
  symlinkSync('db/random.bin', join(src, 'link'));
  // real public data, read in place
  const sigma = '/work/shared/data/sigma';
  if (existsSync(sigma)) {
    const readme = readdirSync(sigma).find((n) => n.toLowerCase().startsWith('readme'));
    if (readme) writeFileSync(join(src, 'db', 'sigma-readme'), readFileSync(join(sigma, readme)));
  }
  return src;
}

function assertSameTree(a: string, b: string): void {
  const names = readdirSync(a).sort();
  assert.deepEqual(readdirSync(b).sort(), names, `entries of ${b}`);
  for (const n of names) {
    const pa = join(a, n);
    const pb = join(b, n);
    const sa = lstatSync(pa);
    const sb = lstatSync(pb);
    assert.equal(sb.isSymbolicLink(), sa.isSymbolicLink(), pb);
    if (sa.isSymbolicLink()) assert.equal(readlinkSync(pb), readlinkSync(pa));
    else if (sa.isDirectory()) assertSameTree(pa, pb);
    else {
      assert.ok(readFileSync(pb).equals(readFileSync(pa)), `content of ${pb}`);
      assert.equal(sb.mode & 0o777, sa.mode & 0o777, `mode of ${pb}`);
      assert.equal(Math.floor(sb.mtimeMs / 1000), Math.floor(sa.mtimeMs / 1000), `mtime of ${pb}`);
    }
  }
}

describe('FastCDC with a keyed gear table', () => {
  const data = prng('cdc', 4 * 1024 * 1024);
  it('cuts within min/max, the same way whatever the read size', () => {
    const cdc = new FastCdc(randomBytes(32), SMALL);
    const whole = cutAll(cdc, data, data.length);
    assert.ok(Buffer.concat(whole).equals(data));
    for (const c of whole.slice(0, -1)) assert.ok(c.length >= SMALL.min && c.length <= SMALL.max, `chunk of ${c.length}`);
    const avg = data.length / whole.length;
    assert.ok(avg > SMALL.min && avg < SMALL.max, `average ${avg}`);
    for (const piece of [1000, 65_537, 300_000]) {
      assert.deepEqual(cutAll(cdc, data, piece).map((c) => c.length), whole.map((c) => c.length), `piece ${piece}`);
    }
  });

  it('cuts differently under another repository key', () => {
    const a = cutAll(new FastCdc(prng('k1', 32), SMALL), data, 1 << 20).map((c) => c.length);
    const b = cutAll(new FastCdc(prng('k2', 32), SMALL), data, 1 << 20).map((c) => c.length);
    assert.notDeepEqual(a, b);
  });

  it('resynchronises after an insertion (shift resistance)', () => {
    const cdc = new FastCdc(prng('k1', 32), SMALL);
    const ids = (d: Buffer) => new Set(cutAll(cdc, d, 1 << 20).map((c) => createHash('sha256').update(c).digest('hex')));
    const before = ids(data);
    const shifted = Buffer.concat([data.subarray(0, 1_000_000), prng('ins', 777), data.subarray(1_000_000)]);
    const afterIds = ids(shifted);
    const shared = [...afterIds].filter((x) => before.has(x)).length;
    assert.ok(shared >= before.size - 3, `only ${shared} of ${before.size} chunks shared`);
  });

  it('cuts exactly where docs/vault-format.md says, byte by byte', () => {
    // The format's definition, written plainly: the engine's unrolled loop must agree with it.
    const key = prng('k3', 32);
    const gear = gearTable(key);
    const mask = (ones: number): number => {
      let m = 0;
      let placed = 0;
      for (let pos = 31; pos >= 0 && placed < ones; pos -= 2, placed++) m = (m | (2 ** pos)) >>> 0;
      for (let pos = 30; pos >= 0 && placed < ones; pos -= 2, placed++) m = (m | (2 ** pos)) >>> 0;
      return m;
    };
    for (const p of [SMALL, { min: 64, avg: 128, max: 1024 }, { min: 1000, avg: 2048, max: 3000 }]) {
      const bits = Math.log2(p.avg);
      const [maskS, maskL] = [mask(bits + 2), mask(bits - 2)];
      const expected: number[] = [];
      for (let start = 0; start < data.length; ) {
        const len = Math.min(p.max, data.length - start);
        let cut = len;
        if (len > p.min) {
          let h = 0;
          for (let i = p.min; i < len; i++) {
            h = (h * 2 + gear[data[start + i]!]!) % 2 ** 32;
            if ((h & (i < p.avg ? maskS : maskL)) >>> 0 === 0) {
              cut = i + 1;
              break;
            }
          }
        }
        expected.push(cut);
        start += cut;
      }
      assert.deepEqual(cutAll(new FastCdc(key, p), data, 65_536).map((c) => c.length), expected, JSON.stringify(p));
    }
  });

  it('refuses bad parameters with the reason', () => {
    assert.throws(() => new FastCdc(randomBytes(32), { min: 100, avg: 1000, max: 5000 }), /power of two/);
    assert.throws(() => new FastCdc(randomBytes(32), { min: 2048, avg: 1024, max: 5000 }), /min < avg/);
  });
});

describe('backup and restore', () => {
  it('round-trips a tree (files, empty file and folder, symlink, modes, mtimes) and verifies fully', async () => {
    const { repo, backupOpts, restoreOpts, rec, signer } = await newRepo();
    const src = sourceTree();
    const progress: number[] = [];
    const res = await backup(repo, [src], { ...backupOpts, onProgress: (p) => progress.push(p.bytesRead) });
    assert.equal(res.problems.length, 0);
    assert.ok(res.record.totals.files >= 4);
    assert.equal(res.record.totals.symlinks, 1);
    assert.ok(progress.length >= 4 && progress.at(-1) === res.record.totals.bytes);
    // the repetitive SQL compresses, the random file does not
    assert.ok(res.record.totals.storedBytes < res.record.totals.newBytes);
    const out = tmp('out');
    const r = await restore(repo, res.snapshotId, out, restoreOpts);
    assert.equal(r.bytes, res.record.totals.bytes);
    assertSameTree(src, join(out, src.slice(src.lastIndexOf('/') + 1)));
    const v = await verifyRepo(repo, { level: 'full', unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify });
    assert.deepEqual(v.problems, []);
    assert.ok(v.ok && v.chunks > 0 && v.snapshots === 1);
  });

  it('stores only the changed chunks on the second backup (dedup)', async () => {
    const { repo, backupOpts, restoreOpts } = await newRepo();
    const src = sourceTree();
    const first = await backup(repo, [src], backupOpts);
    const f = join(src, 'db', 'random.bin');
    const buf = readFileSync(f);
    prng('change', 4096).copy(buf, 700_000);
    writeFileSync(f, buf);
    const second = await backup(repo, [src], backupOpts);
    assert.ok(second.record.totals.newBytes < first.record.totals.newBytes / 4, `new ${second.record.totals.newBytes} vs ${first.record.totals.newBytes}`);
    const out = tmp('out');
    await restore(repo, second.snapshotId, out, restoreOpts);
    assert.ok(readFileSync(join(out, src.slice(src.lastIndexOf('/') + 1), 'db', 'random.bin')).equals(buf));
  });

  it('backs up a stream (as from pg_dump) without a temporary file', async () => {
    const { repo, backupOpts, restoreOpts } = await newRepo();
    async function* dump(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) yield Buffer.concat([prng(`row${i}`, 30_000), Buffer.from(`-- block ${i}\n`.repeat(2000))]);
    }
    const expected = Buffer.concat(await (async () => { const a: Uint8Array[] = []; for await (const p of dump()) a.push(p); return a; })());
    const res = await backup(repo, { stream: dump(), name: 'core.sql' }, backupOpts);
    assert.equal(res.record.totals.bytes, expected.length);
    const out = tmp('out');
    await restore(repo, res.snapshotId, out, restoreOpts);
    assert.ok(readFileSync(join(out, 'core.sql')).equals(expected));
  });

  it('opens a chunk that several files hold once, and writes it to each', async () => {
    const { repo, backupOpts, restoreOpts } = await newRepo();
    const src = tmp('src');
    mkdirSync(src);
    const body = prng('dup', 1_000_000);
    for (const n of ['a.bin', 'b.bin', 'c.bin']) writeFileSync(join(src, n), body);
    writeFileSync(join(src, 'd.bin'), Buffer.concat([body.subarray(0, 500_000), prng('tail', 300_000)]));
    const res = await backup(repo, [src], backupOpts);
    // Count what the restore opens, through the repository's own reader.
    const opened = new Map<string, number>();
    const make = repo.chunkReader.bind(repo);
    repo.chunkReader = (unwrap) => {
      const r = make(unwrap);
      const count = (id: string): void => void opened.set(id, (opened.get(id) ?? 0) + 1);
      const read = r.read.bind(r);
      const loan = r.loan.bind(r);
      r.read = (id) => (count(id), read(id));
      r.loan = (id) => (count(id), loan(id));
      return r;
    };
    const out = tmp('out');
    await restore(repo, res.snapshotId, out, restoreOpts);
    assertSameTree(src, join(out, src.slice(src.lastIndexOf('/') + 1)));
    const data = [...opened].filter(([id]) => !res.record.tree.includes(id));
    assert.ok(data.length > 0 && res.record.totals.chunks > data.length * 2, `${res.record.totals.chunks} uses of ${data.length} chunks`);
    assert.deepEqual(data.filter(([, n]) => n > 1), [], 'each data chunk opened once');
  });

  it('restores in order when packs arrive out of order (chunks opened on threads, ring memory lent in turn)', { timeout: 60_000 }, async () => {
    const { repo, store, backupOpts, restoreOpts } = await newRepo(64 * 1024);
    const src = sourceTree();
    const res = await backup(repo, [src], backupOpts);
    // Every third pack read is slow, so later packs are ready before earlier ones: the
    // opening threads must still take ring memory in the order the restore writes chunks.
    const get = store.get.bind(store);
    const asked: string[] = [];
    const arrived: string[] = [];
    store.get = async (name) => {
      if (!name.startsWith('packs/')) return get(name);
      asked.push(name);
      if (asked.length % 3 === 1) await new Promise((r) => setTimeout(r, 60));
      const bytes = await get(name);
      arrived.push(name);
      return bytes;
    };
    const out = tmp('out');
    await restore(repo, res.snapshotId, out, restoreOpts);
    assertSameTree(src, join(out, src.slice(src.lastIndexOf('/') + 1)));
    assert.ok(asked.length > 8, `${asked.length} packs read`);
    assert.notDeepEqual(arrived, asked, 'some pack arrived before one asked for earlier');
  });

  it('opens chunks on threads started ahead of the keys, and closes them whether the restore succeeds or fails', async () => {
    const { repo, backupOpts, restoreOpts } = await newRepo();
    const src = sourceTree();
    const res = await backup(repo, [src], backupOpts);
    const closed = async (o: ReturnType<typeof startChunkOpeners>[number]): Promise<boolean> =>
      o.open(1, { chunkId: Buffer.alloc(32), offset: 0, storedLength: 1, rawLength: 1, compression: 'none' } as never, 'test').then(
        () => false,
        (err: unknown) => /closed/.test(String(err)),
      );
    const used = startChunkOpeners();
    const out = tmp('out');
    await restore(repo, res.snapshotId, out, { ...restoreOpts, openers: used });
    assertSameTree(src, join(out, src.slice(src.lastIndexOf('/') + 1)));
    assert.ok(used.every((o) => o.begun), 'the threads given were the ones used');
    assert.deepEqual(await Promise.all(used.map(closed)), [true, true]);
    const unused = startChunkOpeners();
    await assert.rejects(restore(repo, 'f'.repeat(64), tmp('out'), { ...restoreOpts, openers: unused }));
    assert.deepEqual(await Promise.all(unused.map(closed)), [true, true]);
  });

  it('gives equal content different chunk ids in two repositories', async () => {
    const a = await newRepo();
    const b = await newRepo();
    const chunk = prng('same', 100_000);
    assert.notEqual(a.repo.chunkId(chunk).toString('hex'), b.repo.chunkId(chunk).toString('hex'));
  });
});

describe('hostile and damaged repositories', () => {
  async function hostileSnapshot(ctx: Awaited<ReturnType<typeof newRepo>>, entries: TreeEntry[]): Promise<string> {
    const writer = new PackWriter(ctx.repo, ctx.rec.wrapDataKey);
    const content = Buffer.from('pwned\n');
    const cid = ctx.repo.chunkId(content);
    await writer.add('data', cid, content);
    const text = Buffer.from(entries.map((e) => treeLine(e.type === 'file' ? { ...e, chunks: [cid.toString('hex')], size: content.length } : e)).join(''));
    const tid = ctx.repo.chunkId(text);
    await writer.add('tree', tid, text);
    await writer.finish();
    const record: SnapshotRecord = {
      format: 'lianfang-vault-snapshot', version: 1, repoId: ctx.repo.config.repoId, time: new Date().toISOString(), host: 'evil',
      paths: ['x'], tree: [tid.toString('hex')], totals: { files: 1, dirs: 0, symlinks: 0, bytes: 6, chunks: 1, newChunks: 1, newBytes: 6, storedBytes: 0, skipped: 0 },
    };
    return writeSnapshot(ctx.store, record, ctx.signer.sign);
  }
  const file = (path: string): TreeEntry => ({ type: 'file', path, mode: 0o644, mtimeMs: 0, size: 0, chunks: [] });

  for (const [label, entries] of [
    ['../ traversal', [file('../escaped')]],
    ['nested ../', [file('a/../../escaped')]],
    ['absolute path', [file('/tmp/escaped-abs')]],
    ['write through a symlink', [{ type: 'symlink', path: 'a', target: '/tmp', mtimeMs: 0 }, file('a/escaped')] as TreeEntry[]],
    ['duplicate path', [file('a'), file('a')]],
  ] as [string, TreeEntry[]][]) {
    it(`refuses a signed snapshot with a ${label}`, async () => {
      const ctx = await newRepo();
      const id = await hostileSnapshot(ctx, entries);
      const parent = tmp('hostile');
      const out = join(parent, 'target');
      await assert.rejects(restore(ctx.repo, id, out, ctx.restoreOpts), (err: unknown) => err instanceof InputError && err.code === 'VAULT_PATH');
      assert.ok(!existsSync(join(parent, 'escaped')) && !existsSync('/tmp/escaped') && !existsSync('/tmp/escaped-abs'));
    });
  }

  it('rejects an altered, unsigned or foreign-signed snapshot', async () => {
    const { repo, store, backupOpts, restoreOpts, dir } = await newRepo();
    const res = await backup(repo, [sourceTree()], backupOpts);
    const name = join(dir, 'snapshots', res.snapshotId);
    const original = readFileSync(name, 'utf8');
    const blob = JSON.parse(original) as { record: string; signature: string };
    const rec = JSON.parse(Buffer.from(blob.record, 'base64').toString()) as SnapshotRecord;
    writeFileSync(name, JSON.stringify({ ...blob, record: Buffer.from(JSON.stringify({ ...rec, host: 'other' })).toString('base64') }));
    await assert.rejects(restore(repo, res.snapshotId, tmp('o'), restoreOpts), /VAULT_SNAPSHOT_ALTERED|does not hash/);
    writeFileSync(name, JSON.stringify({ ...blob, signature: '' }));
    await assert.rejects(restore(repo, res.snapshotId, tmp('o'), restoreOpts), /not signed/);
    writeFileSync(name, original);
    const stranger = ed25519Signer();
    await assert.rejects(restore(repo, res.snapshotId, tmp('o'), { ...restoreOpts, verifySignature: stranger.verify }), /signature does not verify/);
    void store;
  });

  it('detects a flipped byte and a truncated pack, naming the pack', async () => {
    const { repo, backupOpts, restoreOpts, rec, dir } = await newRepo();
    const res = await backup(repo, [sourceTree()], backupOpts);
    const packs = [...repo.indexedPacks];
    const p0 = join(dir, packBlobName(packs[0]!));
    const bytes = readFileSync(p0);
    bytes[bytes.length - 100]! ^= 0x40;
    writeFileSync(p0, bytes);
    const p1 = join(dir, packBlobName(packs[1]!));
    truncateSync(p1, statSync(p1).size - 1000);
    const v = await verifyRepo(repo, { level: 'full', unwrapDataKey: rec.unwrapDataKey });
    assert.equal(v.ok, false);
    assert.ok(v.problems.some((p) => p.where.includes(packs[0]!) && /hash|authentication/.test(p.reason)), JSON.stringify(v.problems));
    assert.ok(v.problems.some((p) => p.where.includes(packs[1]!)), JSON.stringify(v.problems));
    await assert.rejects(restore(repo, res.snapshotId, tmp('o'), restoreOpts), InputError);
  });

  it('refuses a newer format version and a wrong secret, and names the field', async () => {
    const { dir, store, secret } = await newRepo();
    const cfgPath = join(dir, 'config');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { version: number };
    await assert.rejects(Repository.open(store, { secret: randomBytes(32) }), (e: unknown) => e instanceof InputError && e.code === 'VAULT_WRONG_SECRET');
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, version: 2 }));
    await assert.rejects(Repository.open(store, { secret }), (e: unknown) => e instanceof InputError && e.code === 'VAULT_VERSION' && /version 2 is newer/.test(e.message));
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, chunker: { min: 1 } }));
    await assert.rejects(Repository.open(store, { secret }), /chunker/);
  });

  it('recovers the repository secret from config through unwrapDataKey', async () => {
    const { store, rec, secret } = await newRepo();
    const repo = await Repository.open(store, { unwrapDataKey: rec.unwrapDataKey });
    const direct = await Repository.open(store, { secret });
    assert.equal(repo.chunkId(Buffer.from('x')).toString('hex'), direct.chunkId(Buffer.from('x')).toString('hex'));
  });

  it('compresses a chunk with zstd only when its sample and then the whole chunk shrink', () => {
    const text = Buffer.from('INSERT INTO txn VALUES (7, 8, 9);\n'.repeat(5_000));
    const packed = compressChunk(text);
    assert.equal(packed.compression, 'zstd');
    assert.ok(packed.stored.length < text.length / 10, `${packed.stored.length} bytes`);
    assert.deepEqual(zstdDecompress(packed.stored, text.length), text);
    const noise = randomBytes(64 * 1024);
    assert.deepEqual(compressChunk(noise), { stored: noise, compression: 'none' });
    // Compressible start, random rest: the sample says yes, and the whole chunk still shrinks a little.
    const mixed = Buffer.concat([text.subarray(0, 20_000), randomBytes(200_000)]);
    const m = compressChunk(mixed);
    assert.equal(m.compression, 'zstd');
    assert.ok(m.stored.length < mixed.length);
    assert.equal(compressChunk(text.subarray(0, 255)).compression, 'none');
  });

  it('reads chunks stored as raw deflate and brotli (earlier versions) and zstd alike, and refuses one that decompresses past its length', async () => {
    const { repo, rec } = await newRepo();
    const text = Buffer.from('INSERT INTO txn VALUES (7, 8, 9);\n'.repeat(5_000));
    const writer = new PackWriter(repo, rec.wrapDataKey);
    const asDeflate = Buffer.concat([text, Buffer.from('deflate')]);
    const asBrotli = Buffer.concat([text, Buffer.from('brotli')]);
    await writer.addStored('data', repo.chunkId(asDeflate), asDeflate, deflateRawSync(asDeflate), 'deflate');
    await writer.addStored('data', repo.chunkId(asBrotli), asBrotli, brotliCompressSync(asBrotli), 'brotli');
    const asZstd = Buffer.concat([text, Buffer.from('zstd')]);
    await writer.addStored('data', repo.chunkId(asZstd), asZstd, compressChunk(asZstd).stored, 'zstd');
    // A record whose index says 100 raw bytes but which inflates to 170,000: a bomb, refused.
    const bomb = Buffer.concat([text, Buffer.from('bomb')]);
    const bombId = repo.chunkId(bomb);
    await writer.addStored('data', bombId, bomb.subarray(0, 100), deflateRawSync(bomb), 'deflate');
    const zstdBomb = Buffer.concat([text, Buffer.from('zstd bomb')]);
    const zstdBombId = repo.chunkId(zstdBomb);
    await writer.addStored('data', zstdBombId, zstdBomb.subarray(0, 100), compressChunk(zstdBomb).stored, 'zstd');
    // Truncated: decompresses to less than the index says.
    const short = Buffer.concat([text, Buffer.from('short')]);
    const shortId = repo.chunkId(short);
    await writer.addStored('data', shortId, Buffer.concat([short, short]), compressChunk(short).stored, 'zstd');
    await writer.finish();
    const reader = repo.chunkReader(rec.unwrapDataKey);
    assert.deepEqual(await reader.read(repo.chunkId(asDeflate).toString('hex')), asDeflate);
    assert.deepEqual(await reader.read(repo.chunkId(asBrotli).toString('hex')), asBrotli);
    assert.deepEqual(await reader.read(repo.chunkId(asZstd).toString('hex')), asZstd);
    await assert.rejects(reader.read(bombId.toString('hex')), (err: Error) => err instanceof InputError && /does not decompress \(deflate\) to 100 bytes/.test(err.message));
    await assert.rejects(reader.read(zstdBombId.toString('hex')), (err: Error) => err instanceof InputError && /does not decompress \(zstd\) to 100 bytes/.test(err.message));
    await assert.rejects(reader.read(shortId.toString('hex')), (err: Error) => err instanceof InputError && err.code === 'VAULT_CHUNK_LENGTH');
  });
  it('rebuilds a lost index from pack headers', async () => {
    const { dir, store, secret, backupOpts, restoreOpts, repo } = await newRepo();
    const res = await backup(repo, [sourceTree()], backupOpts);
    const before = repo.index.size;
    rmSync(join(dir, 'index'), { recursive: true });
    const reopened = await Repository.open(store, { secret });
    assert.equal(reopened.index.size, 0);
    assert.ok(reopened.unindexedPacks.length > 0);
    const { adopted } = await reopened.adoptUnindexedPacks();
    assert.equal(reopened.index.size, before);
    assert.ok(adopted.length > 0);
    const r = await restore(reopened, res.snapshotId, tmp('o'), restoreOpts);
    assert.equal(r.bytes, res.record.totals.bytes);
  });
});

describe('lock and crash safety', () => {
  it('lets only one backup hold the lock, and breaks a lock left by a dead process', async () => {
    const { repo, store, backupOpts } = await newRepo();
    const held = await repo.lock('test');
    await assert.rejects(backup(repo, [sourceTree()], backupOpts), /locked by/);
    await held.release();
    await store.put('locks/exclusive', Buffer.from(JSON.stringify({ host: (await import('node:os')).hostname(), pid: 2 ** 22 + 12345, time: 'then', purpose: 'backup' })));
    const res = await backup(repo, [sourceTree()], backupOpts);
    assert.match(res.snapshotId, /^[0-9a-f]{64}$/);
    assert.equal(await store.get('locks/exclusive'), null);
  });

  it('survives a backup killed mid-write: verifies, then the next backup resumes with the packs already written', async () => {
    const rec = x25519Recipient();
    const signer = ed25519Signer();
    const dir = tmp('crash-repo');
    const store = new LocalDirBlobStore(dir);
    const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey, chunker: SMALL, packTarget: 512 * 1024 });
    const src = tmp('crash-src');
    mkdirSync(src);
    for (let i = 0; i < 24; i++) writeFileSync(join(src, `f${i}`), prng(`crash${i}`, 1_000_000));
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.fixture.ts'), dir, src, Buffer.from(secret).toString('hex'), rec.privateKeyPem, signer.privateKeyPem], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const packCount = () => (existsSync(join(dir, 'packs')) ? readdirSync(join(dir, 'packs'), { recursive: true }).filter((n) => String(n).length > 60 && !String(n).includes('.tmp-')).length : 0);
    const deadline = Date.now() + 60_000;
    while (packCount() < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const code = await exited;
    assert.equal(code, null, `child finished before it was killed: ${stderr}`);
    const packsWritten = packCount();
    assert.ok(packsWritten >= 8, `only ${packsWritten} packs before the kill; ${stderr}`);
    assert.ok(existsSync(join(dir, 'locks', 'exclusive')), 'the killed backup left its lock');

    const repo = await Repository.open(store, { secret });
    const v = await verifyRepo(repo, { level: 'full', unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify });
    assert.deepEqual(v.problems, []);
    assert.equal(v.snapshots, 0);

    const res = await backup(repo, [src], { wrapDataKey: rec.wrapDataKey, sign: signer.sign });
    assert.ok(res.resumedPacks > 0, 'no pack of the killed backup was reused');
    assert.ok(res.record.totals.newBytes < 24_000_000 - 4 * 512 * 1024, `rewrote ${res.record.totals.newBytes} bytes`);
    const out = tmp('crash-out');
    await restore(repo, res.snapshotId, out, { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify });
    assertSameTree(src, join(out, src.slice(src.lastIndexOf('/') + 1)));
    const v2 = await verifyRepo(repo, { level: 'full', unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify });
    assert.deepEqual(v2.problems, []);
    assert.equal(v2.unindexedPacks, 0);
    appendFileSync(join(tmpRoot, 'crash.log'), `${packsWritten} packs before kill, ${res.resumedPacks} resumed\n`);
  });
});
