// Vault repository throughput next to restic and borg, measured in the same run.
// `npx tsx bench/vault.ts` (env: DIV=2 → 512 MiB dataset from ../shared/bench/vault-peers.sh; DIV=1 → 1 GiB;
// ROUNDS=2). The peers run through vault-peers.sh (same dataset generator); we then back up the
// same data. This machine's speed wanders by half from one minute to the next, so the whole
// sequence (peers, then us) runs ROUNDS times and each tool keeps its best round per phase.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

// The compiled code in dist/, as `lianfang vault` runs it: built first, so it is the code in
// src/. (Through tsx, each of the backup's threads would compile its TypeScript again and
// tsx's loader threads would take about a second of CPU from a 2-core machine.)
const ROOT = new URL('..', import.meta.url).pathname;
console.log('building dist/ (tsc -p tsconfig.build.json) …');
const built = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
if (built.status !== 0) throw new Error(`build failed (${built.status})`);
const { FilesCache, LocalDirBlobStore, Repository, backup, ed25519Signer, initRepository, restore, verifyRepo, x25519Recipient } =
  (await import(join(ROOT, 'dist/vault/repo/index.js'))) as typeof import('../src/vault/repo/index.js');
const { ShardedStore } = (await import(join(ROOT, 'dist/vault/sharded-store.js'))) as typeof import('../src/vault/sharded-store.js');
type FilesCache = import('../src/vault/repo/index.js').FilesCache;

const DIV = process.env.DIV ?? '2';
const WORK = '/tmp/vault-bench';
const PEERS_SCRIPT = new URL('../../shared/bench/vault-peers.sh', import.meta.url).pathname;
const MiB = 1024 * 1024;

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = ['restic', 'borg'].filter(has);
for (const t of ['restic', 'borg'].filter((x) => !tools.includes(x))) console.log(`${t}: absent (apt-get install -y restic borgbackup)`);

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 2));
const DATA = join(WORK, 'data');
const bytesOf = (dir: string): number => readdirSync(dir, { recursive: true }).reduce<number>((s, n) => {
  const st = statSync(join(dir, String(n)));
  return st.isFile() ? s + st.size : s;
}, 0);
const mibs = (b: number, s: number): number => b / MiB / s;

// Each timed phase starts the way vault-peers.sh starts the peers' phases: earlier writes
// flushed (sync), and with DROP_CACHES=1 (its default) the page cache dropped, so no tool
// pays for another's write-back or reads what another left in memory.
const DROP = (process.env.DROP_CACHES ?? '1') === '1';
const dropCaches = (): void => {
  spawnSync('sync');
  if (DROP) {
    try {
      writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    } catch {
      // not root: the phases run with whatever the cache holds
    }
  }
};
let phasePeak = 0;
const rssTimer = setInterval(() => {
  phasePeak = Math.max(phasePeak, process.memoryUsage().rss);
}, 20);

/** One tool's figures in one round: MiB/s by phase (incremental: seconds), peak RSS by phase. */
interface Figures {
  full: number;
  incrS: number;
  restore: number;
  rssBackup: number;
  rssRestore: number;
}

/** The peers through the shared script (which also makes the dataset and mutates 5 % of it). */
function peersRound(): Map<string, Figures> {
  console.log(`running ${PEERS_SCRIPT} DIV=${DIV} TOOLS="${tools.join(' ')}" …`);
  const peers = spawnSync('bash', [PEERS_SCRIPT], {
    env: { ...process.env, WORK, DIV, KEEP: '1', TOOLS: tools.length > 0 ? tools.join(' ') : ' ' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (peers.status !== 0) throw new Error(`vault-peers.sh failed (${peers.status})`);
  const rows = readFileSync(join(WORK, 'results.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const col = (tool: string, phase: string, c: number): number => Number(rows.find((x) => x[0] === tool && x[1] === phase)?.[c] ?? Number.NaN);
  return new Map(tools.map((t) => [t, {
    full: col(t, 'backup-full', 3), incrS: col(t, 'backup-incr', 2), restore: col(t, 'restore', 3),
    rssBackup: col(t, 'backup-full', 7), rssRestore: col(t, 'restore', 7),
  }]));
}

/** The vault on the same data (left mutated by the script: 5 % of files changed). */
async function vaultRound(): Promise<Figures> {
  const total = bytesOf(DATA);
  const repoDir = join(WORK, 'repo-vault');
  rmSync(repoDir, { recursive: true, force: true });
  const rec = x25519Recipient();
  const signer = ed25519Signer();
  // As deployed: packs erasure-coded 2-of-3 across three sites (here three local folders).
  const store = new ShardedStore(['local', 'offsite', 'third'].map((name) => ({ name, store: new LocalDirBlobStore(join(repoDir, name)) })), 2);
  const { secret } = await initRepository(store, { wrapDataKey: rec.wrapDataKey });
  const repo = await Repository.open(store, { secret });
  const opts = { wrapDataKey: rec.wrapDataKey, sign: signer.sign };
  // The files cache, as `lianfang vault backup` keeps it in `<vault>.host/files-cache`: restic
  // and borg keep theirs too (restic's parent snapshot, borg's files cache).
  const cachePath = join(WORK, 'vault-host', 'files-cache');
  rmSync(cachePath, { force: true });
  const filesCache = (): FilesCache => FilesCache.load(cachePath, repo.config.repoId, repo.config.chunker);
  /** Peak RSS of each timed phase, MiB. */
  const phaseRss: number[] = [];
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    dropCaches();
    phasePeak = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    const r = await f();
    const took = Number(process.hrtime.bigint() - t0) / 1e9;
    phaseRss.push(Math.round(Math.max(phasePeak, process.memoryUsage().rss) / MiB));
    return [r, took];
  };

  const [full, tFull] = await timed(() => backup(repo, [DATA], { ...opts, filesCache: filesCache() }));
  // second backup after a small change: 64 KiB overwritten in every 20th file
  const files = readdirSync(DATA, { recursive: true }).map(String).filter((n) => statSync(join(DATA, n)).isFile()).sort();
  let changed = 0;
  for (let i = 0; i < files.length; i += 20) {
    const f = join(DATA, files[i]!);
    const fd = openSync(f, 'r+');
    writeSync(fd, createHash('sha512').update(`m${i}`).digest().subarray(0, 64).toString('hex').repeat(1024), Math.floor(statSync(f).size / 3));
    closeSync(fd);
    changed++;
  }
  const [incr, tIncr] = await timed(() => backup(repo, [DATA], { ...opts, filesCache: filesCache() }));
  const out = join(WORK, 'restore-vault');
  rmSync(out, { recursive: true, force: true });
  const [res, tRestore] = await timed(() => restore(repo, incr.snapshotId, out, { unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify }));
  const same = spawnSync('diff', ['-r', '-q', DATA, join(out, 'data')]).status === 0;
  const [ver, tVerify] = await timed(() => verifyRepo(repo, { level: 'full', unwrapDataKey: rec.unwrapDataKey, verifySignature: signer.verify }));
  const repoBytes = bytesOf(repoDir);
  console.log('');
  console.log(`dataset: ${files.length} files, ${(total / MiB).toFixed(1)} MiB (vault-peers.sh DIV=${DIV}); ${DROP ? 'sync and page cache dropped before each phase, as for the peers' : 'sync before each phase (DROP_CACHES=0: page cache kept)'}`);
  console.log(`vault full backup     ${tFull.toFixed(2)} s  ${mibs(total, tFull).toFixed(1)} MiB/s  new ${(full.record.totals.newBytes / MiB).toFixed(1)} MiB, stored ${(full.record.totals.storedBytes / MiB).toFixed(1)} MiB`);
  console.log(`vault second backup   ${tIncr.toFixed(2)} s  ${mibs(total, tIncr).toFixed(1)} MiB/s  (${changed} files changed, ${incr.unchangedFiles} taken unread from the files cache) new ${(incr.record.totals.newBytes / MiB).toFixed(2)} MiB, stored ${(incr.record.totals.storedBytes / MiB).toFixed(2)} MiB`);
  console.log(`vault restore         ${tRestore.toFixed(2)} s  ${mibs(res.bytes, tRestore).toFixed(1)} MiB/s  identical=${same ? 'yes' : 'NO'}`);
  console.log(`vault verify full     ${tVerify.toFixed(2)} s  ${mibs(ver.bytesRead, tVerify).toFixed(1)} MiB/s of repository  ok=${ver.ok}`);
  console.log(`vault repository ${(repoBytes / MiB).toFixed(1)} MiB, peak RSS (full backup ${phaseRss[0]}, second backup ${phaseRss[1]}, restore ${phaseRss[2]}, verify ${phaseRss[3]}) MiB`);
  if (!same || !ver.ok) throw new Error('the restore differs from the data, or the repository does not verify');
  rmSync(out, { recursive: true, force: true });
  return { full: mibs(total, tFull), incrS: tIncr, restore: mibs(res.bytes, tRestore), rssBackup: phaseRss[0]!, rssRestore: phaseRss[2]! };
}

const rounds: Map<string, Figures>[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  console.log(`\n== round ${r} of ${ROUNDS}`);
  const figures = peersRound();
  figures.set('vault', await vaultRound());
  const line = [...figures.entries()].map(([t, f]) => `${t} ${f.full.toFixed(1)}/${f.restore.toFixed(1)}`).join(', ');
  console.log(`round ${r}: MiB/s full backup/restore: ${line}`);
  rounds.push(figures);
}
clearInterval(rssTimer);

/** A tool's best round per phase: the least disturbed run of each, ours and theirs alike. */
const best = (tool: string): Figures => {
  const all = rounds.map((r) => r.get(tool)!);
  return {
    full: Math.max(...all.map((f) => f.full)), incrS: Math.min(...all.map((f) => f.incrS)), restore: Math.max(...all.map((f) => f.restore)),
    rssBackup: Math.max(...all.map((f) => f.rssBackup)), rssRestore: Math.max(...all.map((f) => f.rssRestore)),
  };
};
console.log(`\nbest of ${ROUNDS} round(s) per tool and phase (peak RSS: the highest):`);
for (const t of ['vault', ...tools]) {
  const f = best(t);
  console.log(`${t.padEnd(6)} full ${f.full.toFixed(1)} MiB/s, incremental ${f.incrS.toFixed(2)} s, restore ${f.restore.toFixed(1)} MiB/s; peak RSS backup ${f.rssBackup} MiB, restore ${f.rssRestore} MiB`);
}
const v = best('vault');
const ratio = (mine: number, tool: string, phase: 'full' | 'restore'): string => {
  if (!tools.includes(tool)) return 'n/a';
  const theirs = best(tool)[phase];
  return theirs > 0 ? (mine / theirs).toFixed(2) : 'n/a';
};
if (process.env.KEEP !== '1') for (const d of [DATA, join(WORK, 'repo-vault'), join(WORK, 'repo-restic'), join(WORK, 'repo-borg'), join(WORK, 'cache')]) rmSync(d, { recursive: true, force: true });
writeFileSync(join(WORK, 'vault-result.txt'), `${v.full} ${v.restore}\n`);
console.log(`vault_vs_restic_backup=${ratio(v.full, 'restic', 'full')} vault_vs_restic_restore=${ratio(v.restore, 'restic', 'restore')} vault_vs_borg_backup=${ratio(v.full, 'borg', 'full')} vault_vs_borg_restore=${ratio(v.restore, 'borg', 'restore')}`);
