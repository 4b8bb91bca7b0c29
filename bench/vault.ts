// Vault repository throughput next to restic and borg, measured in the same run.
// `npx tsx bench/vault.ts` (env: DIV=2 → 512 MiB dataset from ../shared/bench/vault-peers.sh; DIV=1 → 1 GiB;
// ROUNDS=2). The peers run through vault-peers.sh (same dataset generator); we then back up the
// same data. This machine's speed wanders by half from one minute to the next, so the whole
// sequence (peers, then us) runs ROUNDS times and each tool keeps its best round per phase.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

// Our side runs as users run it: `lianfang vault …` (bin/lianfang.js over the compiled dist/),
// one process per phase under /usr/bin/time, exactly as vault-peers.sh runs restic and borg
// (wall time, CPU and peak RSS from the same tool). dist/ is built first, so it is src/.
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin', 'lianfang.js');
console.log('building dist/ (tsc -p tsconfig.build.json) …');
const built = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
if (built.status !== 0) throw new Error(`build failed (${built.status})`);

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

/** One `lianfang vault …` run, timed as the peers are; throws with its output when it fails. */
function lianfang(args: string[], timed: boolean): { wall: number; rssMiB: number; stdout: string } {
  const timing = join(WORK, 'vault-time.txt');
  const argv = timed ? ['-f', '%e %M', '-o', timing, process.execPath, CLI, 'vault', ...args] : [CLI, 'vault', ...args];
  if (timed) dropCaches();
  const r = spawnSync(timed ? '/usr/bin/time' : process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 * MiB, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`lianfang vault ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  if (!timed) return { wall: 0, rssMiB: 0, stdout: r.stdout };
  const [wall, kb] = readFileSync(timing, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, rssMiB: Math.round(kb! / 1024), stdout: r.stdout };
}

/** The vault on the same data (left mutated by the script: 5 % of files changed), through the CLI. */
function vaultRound(): Figures {
  const total = bytesOf(DATA);
  const dir = join(WORK, 'repo-vault');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const vault = join(dir, 'core.json');
  const custodians = ['alice', 'bob', 'carol'];
  for (const c of custodians) lianfang(['keygen', '--out', join(dir, `${c}.key`)], false);
  // As deployed: packs erasure-coded 2-of-3 across three sites (here three local folders).
  lianfang([
    'init', '--vault', vault, ...['local', 'offsite', 'third'].flatMap((s) => ['--site', `${s}=${join(dir, s)}`]), '--data', '2-of-3',
    ...custodians.flatMap((c) => ['--custodian', `${c}=${join(dir, `${c}.key.pub`)}`]), '--quorum', '2',
  ], false);
  const identities = ['--identity', join(dir, 'alice.key'), '--identity', join(dir, 'bob.key')];

  const full = lianfang(['backup', '--vault', vault, DATA], true);
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
  const incr = lianfang(['backup', '--vault', vault, DATA], true);
  const out = join(WORK, 'restore-vault');
  rmSync(out, { recursive: true, force: true });
  const res = lianfang(['restore', '--vault', vault, 'latest', '--to', out, ...identities], true);
  const same = spawnSync('diff', ['-r', '-q', DATA, join(out, 'data')]).status === 0;
  const ver = lianfang(['verify', '--vault', vault, '--level', 'full', ...identities], true);
  const repoBytes = ['local', 'offsite', 'third'].reduce((n, s) => n + bytesOf(join(dir, s)), 0);
  console.log('');
  console.log(`dataset: ${files.length} files, ${(total / MiB).toFixed(1)} MiB (vault-peers.sh DIV=${DIV}); ${DROP ? 'sync and page cache dropped before each phase, as for the peers' : 'sync before each phase (DROP_CACHES=0: page cache kept)'}`);
  console.log(`vault full backup     ${full.wall.toFixed(2)} s  ${mibs(total, full.wall).toFixed(1)} MiB/s  peak RSS ${full.rssMiB} MiB  (${full.stdout.trim().split('\n').pop()})`);
  console.log(`vault second backup   ${incr.wall.toFixed(2)} s  (${changed} files changed)  peak RSS ${incr.rssMiB} MiB`);
  console.log(`vault restore         ${res.wall.toFixed(2)} s  ${mibs(total, res.wall).toFixed(1)} MiB/s  peak RSS ${res.rssMiB} MiB  identical=${same ? 'yes' : 'NO'}`);
  console.log(`vault verify full     ${ver.wall.toFixed(2)} s  ${mibs(repoBytes, ver.wall).toFixed(1)} MiB/s of repository  peak RSS ${ver.rssMiB} MiB`);
  console.log(`vault repository ${(repoBytes / MiB).toFixed(1)} MiB over three sites (${(repoBytes / total).toFixed(2)}× the data)`);
  if (!same) throw new Error('the restore differs from the data');
  rmSync(out, { recursive: true, force: true });
  return { full: mibs(total, full.wall), incrS: incr.wall, restore: mibs(total, res.wall), rssBackup: full.rssMiB, rssRestore: res.rssMiB };
}

const rounds: Map<string, Figures>[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  console.log(`\n== round ${r} of ${ROUNDS}`);
  const figures = peersRound();
  figures.set('vault', vaultRound());
  const line = [...figures.entries()].map(([t, f]) => `${t} ${f.full.toFixed(1)}/${f.restore.toFixed(1)}`).join(', ');
  console.log(`round ${r}: MiB/s full backup/restore: ${line}`);
  rounds.push(figures);
}

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
