import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createWriteStream } from 'node:fs';
import type * as VaultApi from '../vault/index.js';

/** The vault module, loaded when a vault command runs: not for `--help`, nor for other commands. */
let api: Promise<typeof VaultApi> | null = null;
const vaultApi = (): Promise<typeof VaultApi> => (api ??= import('../vault/index.js'));

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** `lianfang vault …`: every command runs non-interactively from flags, so drills can script it. */
export function registerVaultCommands(program: Command): void {
  const vault = program.command('vault').description('The core-data vault: encrypted, deduplicated backups split k-of-n across sites, key held by custodians');

  vault
    .command('keygen')
    .description('Make a custodian identity (ML-KEM-768 + X25519): writes FILE (private, 0600) and FILE.pub')
    .requiredOption('--out <file>', 'identity file to write')
    .action(async (o: { out: string }) => {
      const { keygen, writeIdentity, writeRecipient } = await vaultApi();
      const { identity, recipient } = keygen();
      await writeIdentity(o.out, identity);
      await writeRecipient(`${o.out}.pub`, recipient);
      out(`${o.out}.pub`);
    });

  vault
    .command('init')
    .description('Create a vault: sites, k-of-n data coding, custodians and their quorum')
    .requiredOption('--vault <file>', 'vault file to create (public; no secret in it)')
    .requiredOption('--site <name=dir>', 'a site (repeatable, in shard order): a directory or mounted path', collect)
    .requiredOption('--data <k-of-n>', 'erasure coding, e.g. 2-of-3: any k sites restore')
    .requiredOption('--custodian <name=file.pub>', "a custodian's recipient file (repeatable)", collect)
    .requiredOption('--quorum <k>', 'custodians needed to restore', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError('a whole number of 2 or more');
      return n;
    })
    .option('--ssh-key <file>', "this host's SSH private key for sftp:// sites (kept in <vault>.host/ssh.json; LIANFANG_VAULT_SSH_KEY overrides)")
    .option('--known-hosts <file>', 'known_hosts file for sftp:// sites (default ~/.ssh/known_hosts)')
    .option('--host-key <name=SHA256:…>', "pin an sftp site's host key (repeatable)", collect)
    .action(async (o: { vault: string; site: string[]; data: string; custodian: string[]; quorum: number; sshKey?: string; knownHosts?: string; hostKey?: string[] }) => {
      const { initVault, parseData, parseNamed } = await vaultApi();
      const pins = new Map<string, string[]>();
      for (const p of (o.hostKey ?? []).map((h) => parseNamed(h, '--host-key'))) pins.set(p.name, [...(pins.get(p.name) ?? []), p.value]);
      const sites = o.site.map((s) => parseNamed(s, '--site')).map((s) => ({ name: s.name, url: s.value, ...(pins.has(s.name) ? { hostKeys: pins.get(s.name)! } : {}) }));
      const custodians = o.custodian.map((c) => parseNamed(c, '--custodian')).map((c) => ({ name: c.name, recipientPath: c.value }));
      const ssh = { ...(o.sshKey ? { privateKeyPath: o.sshKey } : {}), ...(o.knownHosts ? { knownHostsPath: o.knownHosts } : {}) };
      const file = await initVault({ vault: o.vault, sites, data: parseData(o.data), custodians, quorum: o.quorum, ssh });
      out(`vault ${file.vaultId}: ${file.data.k}-of-${file.data.n} over ${sites.map((s) => s.name).join(', ')}; key ${o.quorum}-of-${custodians.length} (${custodians.map((c) => c.name).join(', ')})`);
    });

  vault
    .command('backup')
    .description('Back up files and folders, or standard input (a database dump); prints the snapshot id (needs no custodian)')
    .requiredOption('--vault <file>', 'vault file')
    .argument('[paths...]', 'files or folders')
    .option('--stdin <name>', 'back up standard input under this file name, e.g. pg_dump core | lianfang vault backup --stdin core.sql (no plaintext copy on disk)')
    .option('--force', 'read every file, even those the files cache shows unchanged (same size, mtime, ctime and inode)')
    .action(async (paths: string[], o: { vault: string; stdin?: string; force?: boolean }) => {
      const { backupVault } = await vaultApi();
      if ((paths.length > 0) === Boolean(o.stdin)) throw new InvalidArgumentError('give paths to back up, or --stdin NAME, not both');
      const r = await backupVault(o.vault, o.stdin ? { stream: process.stdin, name: o.stdin } : paths, { force: o.force === true });
      for (const p of r.problems) process.stderr.write(`${p.where}: ${p.reason}\n`);
      for (const l of r.lagging) process.stderr.write(`site ${l.site} is behind (${l.blob}): ${l.reason}\n`);
      for (const n of r.notes) process.stderr.write(`${n}\n`);
      process.stderr.write(`${r.files} files, ${mib(r.bytes)}${r.unchangedFiles > 0 ? ` (${r.unchangedFiles} unchanged files not read again)` : ''}\n`);
      out(r.snapshotId);
      if (r.problems.length > 0) process.exitCode = 1;
    });

  vault
    .command('snapshots')
    .description('List snapshots (signatures checked)')
    .requiredOption('--vault <file>', 'vault file')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (o: { vault: string; format: string }) => {
      const { listSnapshots } = await vaultApi();
      const list = await listSnapshots(o.vault);
      if (o.format === 'json') return out(JSON.stringify(list, null, 2));
      for (const s of list) out(`${s.id.slice(0, 16)}  ${s.time}  ${s.host}  ${String(s.files).padStart(7)} files  ${mib(s.bytes).padStart(11)}  ${s.paths.join(' ')}`);
    });

  vault
    .command('restore')
    .description('Restore a snapshot (or latest) with a quorum of custodian identities')
    .requiredOption('--vault <file>', 'vault file')
    .argument('<snapshot>', 'snapshot id or latest')
    .requiredOption('--to <dir>', 'target folder')
    .requiredOption('--identity <file>', 'a custodian identity file (repeatable)', collect)
    .option('--trusted-head <file>', "the last drill's record (or its trustedHead): refuse a history cut back since then")
    .action(async (snapshot: string, o: { vault: string; to: string; identity: string[]; trustedHead?: string }) => {
      const { readTrustedHead, restoreVault } = await vaultApi();
      const r = await restoreVault(o.vault, snapshot, o.to, o.identity, undefined, o.trustedHead ? { trustedHead: readTrustedHead(o.trustedHead) } : {});
      for (const p of r.keyProblems) process.stderr.write(`custodian share: ${p}\n`);
      out(`restored ${r.snapshotId}: ${r.files} files, ${mib(r.bytes)} in ${r.seconds.toFixed(2)} s`);
    });

  vault
    .command('verify')
    .description('Check the vault: metadata, a sample of shards per site, or everything')
    .requiredOption('--vault <file>', 'vault file')
    .option('--level <level>', 'metadata, sample or full', 'metadata')
    .option('--identity <file>', 'custodian identities, for a full check that decrypts every chunk (repeatable)', collect)
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (o: { vault: string; level: string; identity?: string[]; format: string }) => {
      const { readVaultFile, recordVerify, verifyVault } = await vaultApi();
      if (!['metadata', 'sample', 'full'].includes(o.level)) throw new InvalidArgumentError('--level is metadata, sample or full');
      const v = await verifyVault(o.vault, o.level as 'metadata', { identityPaths: o.identity ?? [] });
      recordVerify(o.vault, readVaultFile(o.vault).vaultId, v); // evidence for the console and governance
      if (o.format === 'json') out(JSON.stringify(v, null, 2));
      else {
        out(`${v.ok ? 'ok' : 'PROBLEMS'}: ${v.level} check of ${v.packs} packs`);
        for (const s of v.sites) out(`  site ${s.site}: ${s.shardsOk} shards ok, ${s.shardsBad.length} bad or missing; can be lost: ${s.canLose ? 'yes' : 'NO'}`);
        for (const snap of v.snapshots ?? []) {
          const lose = Object.entries(snap.canLose).map(([site, ok]) => `${site} ${ok ? 'yes' : 'NO'}`).join(', ');
          out(`  snapshot ${snap.snapshotId.slice(0, 12)} (${snap.time}, ${snap.packs} packs): can lose ${lose}`);
        }
        for (const p of v.problems.slice(0, 50)) out(`  ${p.where}: ${p.reason}`);
        for (const n of v.notes.slice(0, 20)) out(`  note: ${n}`);
      }
      if (!v.ok) process.exitCode = 1;
    });

  vault
    .command('rotate-custodians')
    .description('Give the vault key to a new set of custodians and quorum; a quorum of the current ones must be present (no data is re-encrypted)')
    .requiredOption('--vault <file>', 'vault file')
    .requiredOption('--identity <file>', "a current custodian's identity (repeatable, a quorum)", collect)
    .requiredOption('--custodian <name=file.pub>', "a new custodian's recipient file (repeatable)", collect)
    .requiredOption('--quorum <k>', 'new quorum', (v) => Number(v))
    .action(async (o: { vault: string; identity: string[]; custodian: string[]; quorum: number }) => {
      const { rotateVaultCustodians, parseNamed } = await vaultApi();
      const custodians = o.custodian.map((c) => parseNamed(c, '--custodian')).map((c) => ({ name: c.name, recipientPath: c.value }));
      await rotateVaultCustodians(o.vault, o.identity, custodians, o.quorum);
      out(`key now ${o.quorum}-of-${custodians.length} (${custodians.map((c) => c.name).join(', ')}); the old shares should be destroyed`);
    });

  vault
    .command('recover')
    .description("Write a vault file from the copy every site keeps, on a host that lost its own: restore, verify, drill and export then work (backups need the old host's secrets)")
    .requiredOption('--vault <file>', 'vault file to create')
    .requiredOption('--site <name=dir>', "a site this host reaches, under the vault's name for it (repeatable; at least k)", collect)
    .option('--ssh-key <file>', "this host's SSH private key for sftp:// sites")
    .option('--known-hosts <file>', 'known_hosts file for sftp:// sites (default ~/.ssh/known_hosts)')
    .action(async (o: { vault: string; site: string[]; sshKey?: string; knownHosts?: string }) => {
      const { recoverVaultFile, parseNamed } = await vaultApi();
      const sites = o.site.map((s) => parseNamed(s, '--site')).map((s) => ({ name: s.name, url: s.value }));
      const ssh = { ...(o.sshKey ? { privateKeyPath: o.sshKey } : {}), ...(o.knownHosts ? { knownHostsPath: o.knownHosts } : {}) };
      const r = await recoverVaultFile(o.vault, sites, { ssh });
      out(`vault ${r.fingerprint.vaultId} recovered from ${r.agreeing.join(', ')}: ${r.file.data.k}-of-${r.file.data.n}, key ${r.file.custody.quorum}-of-${r.file.custody.shares.length}`);
      out(`custodians: compare with your copy before restoring: custody record ${r.fingerprint.custodyRecordId}, authority key ${r.fingerprint.authorityKey}`);
      for (const p of r.problems) out(`  ${p.where}: ${p.reason}`);
    });

  vault
    .command('export')
    .description('Write a snapshot as a plain tar stream (to standard output or --out), for any tool to read')
    .requiredOption('--vault <file>', 'vault file')
    .argument('<snapshot>', 'snapshot id or latest')
    .requiredOption('--identity <file>', 'a custodian identity file (repeatable)', collect)
    .option('-o, --out <file>', 'tar file to write (default: standard output)')
    .action(async (snapshot: string, o: { vault: string; identity: string[]; out?: string }) => {
      const { exportVault } = await vaultApi();
      const sink = o.out ? createWriteStream(o.out, { flags: 'wx' }) : process.stdout;
      const r = await exportVault(o.vault, snapshot, sink, o.identity);
      if (o.out) await new Promise<void>((res, rej) => (sink as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? rej(err) : res())));
      process.stderr.write(`exported ${r.snapshotId}: ${r.files} files, ${mib(r.bytes)}\n`);
    });

  vault
    .command('repair')
    .description('Refill sites that fell behind: rebuild missing or corrupt shards from the good ones, copy missing metadata')
    .requiredOption('--vault <file>', 'vault file')
    .action(async (o: { vault: string }) => {
      const { repairVault } = await vaultApi();
      const r = await repairVault(o.vault);
      const w = Object.entries(r.written);
      out(`checked ${r.checked} blobs; ${w.length === 0 ? 'every site was complete' : w.map(([site, n]) => `${n} written to ${site}`).join(', ')}`);
      for (const n of r.notes) out(`note: ${n}`);
      for (const p of r.problems) process.stderr.write(`${p.where}: ${p.reason}\n`);
      if (r.problems.length > 0) process.exitCode = 1;
    });

  vault
    .command('drill')
    .description('Restore drill: restore into a segregated folder, re-hash, time it, and record the evidence')
    .requiredOption('--vault <file>', 'vault file')
    .option('--snapshot <id>', 'snapshot id or latest', 'latest')
    .requiredOption('--to <dir>', 'an empty or new folder')
    .requiredOption('--identity <file>', 'a custodian identity file (repeatable)', collect)
    .option('-f, --format <format>', 'text or json', 'text')
    .option('--trusted-head <file>', "the last drill's record (or its trustedHead): refuse a history cut back since then")
    .action(async (o: { vault: string; snapshot: string; to: string; identity: string[]; format: string; trustedHead?: string }) => {
      const { drillVault, readTrustedHead } = await vaultApi();
      const d = await drillVault(o.vault, o.snapshot, o.to, o.identity, undefined, o.trustedHead ? { trustedHead: readTrustedHead(o.trustedHead) } : {});
      if (o.format === 'json') out(JSON.stringify(d, null, 2));
      else out(`drill ${d.ok ? 'passed' : 'FAILED'}: ${d.files} files, ${mib(d.bytes)} restored in ${d.restoreSeconds} s; data age ${Math.round(d.dataAgeSeconds / 60)} min${d.problems.length ? `; ${d.problems.join('; ')}` : ''}`);
      if (!d.ok) process.exitCode = 1;
    });

  vault
    .command('prune')
    .description('Apply a retention policy: remove the snapshots no --keep rule keeps, and the packs only they needed (needs the custodians\' quorum)')
    .requiredOption('--vault <file>', 'vault file')
    .option('--keep-last <n>', 'keep the n newest snapshots', count)
    .option('--keep-hourly <n>', 'keep the newest snapshot of each of the last n hours that have one', count)
    .option('--keep-daily <n>', '… of the last n days', count)
    .option('--keep-weekly <n>', '… of the last n ISO weeks', count)
    .option('--keep-monthly <n>', '… of the last n months', count)
    .option('--keep-yearly <n>', '… of the last n years', count)
    .option('--timezone <zone>', 'IANA time zone that days, weeks and months are counted in (default: this machine\'s)')
    .option('--identity <file>', 'a custodian identity file (repeatable; not needed with --dry-run)', collect)
    .option('--dry-run', 'say what would be removed, change nothing')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (o: {
      vault: string; keepLast?: number; keepHourly?: number; keepDaily?: number; keepWeekly?: number; keepMonthly?: number; keepYearly?: number;
      timezone?: string; identity?: string[]; dryRun?: boolean; format: string;
    }) => {
      const { pruneVault } = await vaultApi();
      if (!o.dryRun && (o.identity ?? []).length === 0) throw new InvalidArgumentError('prune needs --identity for a quorum of custodians (or --dry-run)');
      const policy = { last: o.keepLast, hourly: o.keepHourly, daily: o.keepDaily, weekly: o.keepWeekly, monthly: o.keepMonthly, yearly: o.keepYearly };
      const r = await pruneVault(o.vault, policy, o.identity ?? [], { dryRun: o.dryRun, timeZone: o.timezone });
      if (o.format === 'json') return out(JSON.stringify(r, null, 2));
      for (const p of r.keyProblems) process.stderr.write(`custodian share: ${p}\n`);
      for (const [id, why] of Object.entries(r.kept)) out(`keep   ${id.slice(0, 12)}  ${why.join(', ')}`);
      for (const id of r.snapshotsRemoved) out(`${r.dryRun ? 'would remove' : 'removed'} ${id.slice(0, 12)}`);
      const packs = r.packsKept + r.packsDeleted > 0 ? `; packs: ${r.packsDeleted} ${r.dryRun ? 'to delete' : 'deleted'} (${mib(r.bytesDeleted)}), ${r.packsKept} kept (${mib(r.unusedBytesKept)} of them no longer needed)` : '';
      const leftovers = r.leftoverPacks === 0 ? '' : r.dryRun ? `; ${r.leftoverPacks} packs in no index (left by interrupted backups: readable ones are adopted, the rest deleted)` : `; ${r.leftoverPacks} unreadable packs left by interrupted backups deleted`;
      out(`${r.snapshotsKept} snapshots kept, ${r.snapshotsRemoved.length} ${r.dryRun ? 'to remove' : 'removed'}${packs}${leftovers}`);
    });
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a whole number ≥ 0`);
  return n;
}
