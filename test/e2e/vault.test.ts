import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, lianfang, tempDir } from './cli.js';

describe('lianfang vault: keygen, init, backup, snapshots, restore, verify, drill', () => {
  const { dir, cleanup } = tempDir('lianfang-vault-e2e-');
  after(cleanup);
  const v = join(dir, 'core.json');
  const key = (p: string) => join(dir, `${p}.key`);
  const run = async (args: string[]) => {
    const r = await lianfang(['vault', ...args]);
    return r;
  };

  it('runs the issue\'s scripted flow: a site lost, two custodians restore, a drill records its evidence', async () => {
    for (const p of ['alice', 'bob', 'carol']) assert.equal((await run(['keygen', '--out', key(p)])).code, 0);
    assert.equal(statSync(key('alice')).mode & 0o777, 0o600);
    const init = await run(['init', '--vault', v, '--site', `local=${join(dir, 'a')}`, '--site', `offsite=${join(dir, 'b')}`, '--site', `third=${join(dir, 'c')}`,
      '--data', '2-of-3', '--custodian', `alice=${key('alice')}.pub`, '--custodian', `bob=${key('bob')}.pub`, '--custodian', `carol=${key('carol')}.pub`, '--quorum', '2']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /2-of-3 over local, offsite, third; key 2-of-3/);
    const data = join(dir, 'dumps');
    mkdirSync(data);
    writeFileSync(join(data, 'remittance.sql'), 'INSERT INTO remittance VALUES (1, 100.00, \'TWD\');\n'.repeat(20000));
    writeFileSync(join(data, 'atm.cfg'), 'terminal=TPE-0042\n');
    const b = await run(['backup', '--vault', v, data]);
    assert.equal(b.code, 0, b.stderr);
    const id = b.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const list = JSON.parse((await run(['snapshots', '--vault', v, '--format', 'json'])).stdout) as Array<{ id: string; files: number }>;
    assert.deepEqual(list.map((s) => [s.id, s.files]), [[id, 2]]);

    rmSync(join(dir, 'c'), { recursive: true, force: true }); // the third site is gone
    const verify = await run(['verify', '--vault', v, '--level', 'full']);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /site third: 0 shards ok, \d+ bad or missing; can be lost: yes/);
    assert.match(verify.stdout, /site local: \d+ shards ok, 0 bad or missing; can be lost: NO/);

    const one = await run(['restore', '--vault', v, 'latest', '--to', join(dir, 'r1'), '--identity', key('bob')]);
    assert.equal(one.code, 2, 'one custodian cannot restore');
    const r = await run(['restore', '--vault', v, 'latest', '--to', join(dir, 'r2'), '--identity', key('bob'), '--identity', key('carol')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(dir, 'r2', 'dumps', 'remittance.sql')), readFileSync(join(data, 'remittance.sql')));

    const d = await run(['drill', '--vault', v, '--to', join(dir, 'drill'), '--identity', key('alice'), '--identity', key('carol'), '--format', 'json']);
    assert.equal(d.code, 0, d.stderr);
    const rec = JSON.parse(d.stdout) as { ok: boolean; files: number; snapshotId: string; restoreSeconds: number; dataAgeSeconds: number };
    assert.deepEqual([rec.ok, rec.files, rec.snapshotId], [true, 2, id]);
    assert.ok(rec.restoreSeconds > 0 && rec.dataAgeSeconds >= 0);
    const evidence = readFileSync(`${v}.drills.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    assert.deepEqual(evidence.map((e) => e.kind), ['vault.restore-drill']);
    const again = await run(['drill', '--vault', v, '--to', join(dir, 'drill'), '--identity', key('alice'), '--identity', key('carol')]);
    assert.equal(again.code, 2, 'a drill never restores over a non-empty folder');
    assert.match(again.stderr, /segregated/);

    // Portability: the snapshot as a plain tar that Debian's tar reads.
    const tarFile = join(dir, 'export.tar');
    const ex = await run(['export', '--vault', v, 'latest', '--identity', key('alice'), '--identity', key('bob'), '--out', tarFile]);
    assert.equal(ex.code, 0, ex.stderr);
    mkdirSync(join(dir, 'untar'));
    const untar = spawnSync('tar', ['-xf', tarFile, '-C', join(dir, 'untar')], { encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    assert.deepEqual(readFileSync(join(dir, 'untar', 'dumps', 'remittance.sql')), readFileSync(join(data, 'remittance.sql')));
    assert.equal(readFileSync(join(dir, 'untar', 'dumps', 'atm.cfg'), 'utf8'), 'terminal=TPE-0042\n');

    // Carol leaves; dave joins. Alice and carol (a quorum of the old set) hand over.
    assert.equal((await run(['keygen', '--out', key('dave')])).code, 0);
    const rot = await run(['rotate-custodians', '--vault', v, '--identity', key('alice'), '--identity', key('carol'),
      '--custodian', `alice=${key('alice')}.pub`, '--custodian', `bob=${key('bob')}.pub`, '--custodian', `dave=${key('dave')}.pub`, '--quorum', '2']);
    assert.equal(rot.code, 0, rot.stderr);
    const withDave = await run(['restore', '--vault', v, id, '--to', join(dir, 'r3'), '--identity', key('bob'), '--identity', key('dave')]);
    assert.equal(withDave.code, 0, withDave.stderr);
    const withCarol = await run(['restore', '--vault', v, id, '--to', join(dir, 'r4'), '--identity', key('bob'), '--identity', key('carol')]);
    assert.equal(withCarol.code, 2, 'a removed custodian no longer counts');
  });

  it('streams a pg_dump of a real database through the vault with no plaintext copy, and restores it identical', async (t) => {
    const db = `lf_vault_${process.pid}`;
    const psql = (sql: string, database = 'test') => spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8' });
    if (psql('select 1').status !== 0) return t.skip('PostgreSQL at 127.0.0.1:5432 is not reachable; .ci/run starts it');
    assert.equal(psql(`create database ${db}`).status, 0);
    try {
      assert.equal(psql("create table remittance (id int primary key, amount numeric(12,2), memo text); insert into remittance select g, g * 1.5, '匯款 ' || g from generate_series(1, 20000) g", db).status, 0);
      const cli = `node --import tsx ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}`;
      const piped = spawnSync('bash', ['-c', `set -o pipefail; pg_dump -h 127.0.0.1 -U postgres ${db} | ${cli} vault backup --vault ${JSON.stringify(v)} --stdin core.sql`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIANFANG_CACHE: dir } });
      assert.equal(piped.status, 0, piped.stderr);
      const id = piped.stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const r = await run(['restore', '--vault', v, id, '--to', join(dir, 'pg'), '--identity', key('alice'), '--identity', key('bob')]);
      assert.equal(r.code, 0, r.stderr);
      const fresh = spawnSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', db], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      // pg_dump writes a random \restrict key into every dump (PostgreSQL 15.14+): the rest must match.
      const steady = (dump: string) => dump.replace(/^\\(un)?restrict .*$/gm, '');
      assert.equal(steady(readFileSync(join(dir, 'pg', 'core.sql'), 'utf8')), steady(fresh.stdout));
      assert.match(fresh.stdout, /COPY public\.remittance/);
      // Loaded into another database, the restored dump gives the same dump back.
      assert.equal(psql(`create database ${db}_restored`).status, 0);
      const loaded = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', `${db}_restored`, '-v', 'ON_ERROR_STOP=1', '-q', '-f', join(dir, 'pg', 'core.sql')], { encoding: 'utf8' });
      assert.equal(loaded.status, 0, loaded.stderr);
      const again = spawnSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', `${db}_restored`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(steady(again.stdout), steady(fresh.stdout));
    } finally {
      psql(`drop database if exists ${db}`);
      psql(`drop database if exists ${db}_restored`);
    }
  });

  /** Every file the backup could have written (the sites, the host's folder, its temp folder) is free of `marker`. */
  const assertNoPlaintext = (marker: string, tmp: string) => {
    let scanned = 0;
    for (const root of [join(dir, 'a'), join(dir, 'b'), join(dir, 'c'), `${v}.host`, tmp].filter((d) => existsSync(d))) {
      for (const f of readdirSync(root, { recursive: true }).map((x) => join(root, String(x)))) {
        if (!statSync(f).isFile()) continue;
        scanned++;
        assert.equal(readFileSync(f).includes(marker), false, `plaintext in ${f}`);
      }
    }
    assert.ok(scanned > 10, `${scanned} files scanned`);
  };

  it('streams an sqlite3 .dump through the vault: no plaintext lands on a site, the host or a temp folder; it restores identical', async (t) => {
    if (spawnSync('sqlite3', ['-version']).status !== 0) return t.skip('sqlite3 is not installed; .ci/run installs it');
    const marker = `TELLER-NOTE-${process.pid}-PLAINTEXT`;
    const db = join(dir, 'branch.db');
    const made = spawnSync('sqlite3', [db, `create table teller (id integer primary key, note text); with recursive g(x) as (select 1 union all select x + 1 from g where x < 5000) insert into teller select x, '${marker} ' || x from g;`], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const cli = `node --import tsx ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}`;
    const piped = spawnSync('bash', ['-c', `set -o pipefail; sqlite3 ${JSON.stringify(db)} .dump | ${cli} vault backup --vault ${JSON.stringify(v)} --stdin branch.sql`], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIANFANG_CACHE: tmp, TMPDIR: tmp },
    });
    assert.equal(piped.status, 0, piped.stderr);
    assertNoPlaintext(marker, tmp);
    const id = piped.stdout.trim();
    const r = await run(['restore', '--vault', v, id, '--to', join(dir, 'sqlite'), '--identity', key('alice'), '--identity', key('bob')]);
    assert.equal(r.code, 0, r.stderr);
    const fresh = spawnSync('sqlite3', [db, '.dump'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(readFileSync(join(dir, 'sqlite', 'branch.sql'), 'utf8'), fresh.stdout);
    assert.ok(fresh.stdout.includes(`${marker} 4999`));
    // Loaded into a new database, the restored dump dumps the same again.
    const loaded = join(dir, 'sqlite', 'loaded.db');
    assert.equal(spawnSync('sqlite3', [loaded], { input: readFileSync(join(dir, 'sqlite', 'branch.sql')) }).status, 0);
    assert.equal(spawnSync('sqlite3', [loaded, '.dump'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout, fresh.stdout);
  });

  it('streams a mariadb-dump of a real MariaDB database through the vault: no plaintext on disk; the restored dump loads back row for row', async (t) => {
    const maria = (args: string[], input?: string) =>
      spawnSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '--batch', '--skip-column-names', ...args], { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
    if (maria(['-e', 'select 1']).status !== 0) return t.skip('MariaDB at 127.0.0.1:3306 is not reachable; .ci/run starts it');
    const db = `lf_vault_${process.pid}`;
    const back = `${db}_restored`;
    const marker = `ATM-JOURNAL-${process.pid}-PLAINTEXT`;
    try {
      const made = maria(['-e', `create database ${db} character set utf8mb4; use ${db};
        create table atm_journal (id int primary key, terminal varchar(16), amount decimal(12,2), note text, taken datetime(3));
        insert into atm_journal select seq, concat('ATM-', seq % 97), seq * 2.5, concat('${marker} 提款 ', seq), timestamp'2026-11-01 00:00:00' + interval seq second from seq_1_to_20000;`]);
      assert.equal(made.status, 0, made.stderr);
      const tmp = join(dir, 'tmp-maria');
      mkdirSync(tmp);
      const cli = `node --import tsx ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}`;
      const dump = `mariadb-dump -h 127.0.0.1 -u root --single-transaction --skip-dump-date ${db}`;
      const piped = spawnSync('bash', ['-c', `set -o pipefail; ${dump} | ${cli} vault backup --vault ${JSON.stringify(v)} --stdin atm.sql`], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIANFANG_CACHE: tmp, TMPDIR: tmp },
      });
      assert.equal(piped.status, 0, piped.stderr);
      assertNoPlaintext(marker, tmp);
      const r = await run(['restore', '--vault', v, piped.stdout.trim(), '--to', join(dir, 'maria'), '--identity', key('alice'), '--identity', key('bob')]);
      assert.equal(r.code, 0, r.stderr);
      const restored = readFileSync(join(dir, 'maria', 'atm.sql'), 'utf8');
      assert.equal(restored, spawnSync('bash', ['-c', dump], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout);
      // The restored dump is a working backup: loaded into another database, every row is back.
      assert.equal(maria(['-e', `create database ${back} character set utf8mb4`]).status, 0);
      const loaded = maria([back], restored);
      assert.equal(loaded.status, 0, loaded.stderr);
      const digest = (name: string) =>
        maria(['-e', `select count(*), sum(crc32(concat_ws('|', id, terminal, amount, note, taken))) from ${name}.atm_journal`]).stdout.trim();
      assert.equal(digest(back), digest(db));
      assert.match(digest(back), /^20000\t\d+$/);
    } finally {
      maria(['-e', `drop database if exists ${db}; drop database if exists ${back}`]);
    }
  });

  it('prunes by a retention policy: a dry run with no custodian, then with a quorum; what stays restores', async () => {
    const data = join(dir, 'later');
    mkdirSync(data, { recursive: true });
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(data, 'ledger.csv'), `day,${i}\n`.repeat(50_000));
      assert.equal((await run(['backup', '--vault', v, data])).code, 0);
    }
    const before = JSON.parse((await run(['snapshots', '--vault', v, '--format', 'json'])).stdout) as Array<{ id: string }>;
    assert.ok(before.length >= 4);
    const dry = await run(['prune', '--vault', v, '--keep-last', '2', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout.split('\n').filter((l) => l.startsWith('would remove')).length, before.length - 2);
    const alone = await run(['prune', '--vault', v, '--keep-last', '2', '--identity', key('bob')]);
    assert.notEqual(alone.code, 0, 'one custodian cannot delete history');
    assert.equal((JSON.parse((await run(['snapshots', '--vault', v, '--format', 'json'])).stdout) as unknown[]).length, before.length);
    const p = await run(['prune', '--vault', v, '--keep-last', '2', '--identity', key('bob'), '--identity', key('dave'), '--format', 'json']);
    assert.equal(p.code, 0, p.stderr);
    assert.ok(p.stdout.trim().startsWith('{'), p.stdout + p.stderr);
    const r = JSON.parse(p.stdout) as { snapshotsRemoved: string[]; packsDeleted: number; snapshotsKept: number };
    assert.equal(r.snapshotsRemoved.length, before.length - 2);
    assert.ok(r.packsDeleted > 0);
    const listed = await run(['snapshots', '--vault', v, '--format', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const after = JSON.parse(listed.stdout) as Array<{ id: string }>;
    assert.deepEqual(after.map((s) => s.id), before.slice(-2).map((s) => s.id));
    const verify = await run(['verify', '--vault', v, '--level', 'full']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const restored = await run(['restore', '--vault', v, 'latest', '--to', join(dir, 'after-prune'), '--identity', key('alice'), '--identity', key('dave')]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(readFileSync(join(dir, 'after-prune', 'later', 'ledger.csv'), 'utf8'), 'day,2\n'.repeat(50_000));

    // The host deleting a snapshot on its own (no custodians, no retirement record) is caught.
    for (const site of ['a', 'b', 'c']) rmSync(join(dir, site, 'snapshots', after[0]!.id), { force: true });
    const tampered = await run(['snapshots', '--vault', v]);
    assert.notEqual(tampered.code, 0);
    assert.match(tampered.stderr, /removed|does not verify/);
  });

  it('a second backup does not read files the files cache shows unchanged; --force reads them all', async () => {
    const w = join(dir, 'cached.json');
    for (const p of ['dora', 'eve']) assert.equal((await run(['keygen', '--out', key(p)])).code, 0);
    const init = await run(['init', '--vault', w, '--site', `a=${join(dir, 'ca')}`, '--site', `b=${join(dir, 'cb')}`, '--data', '1-of-2',
      '--custodian', `dora=${key('dora')}.pub`, '--custodian', `eve=${key('eve')}.pub`, '--quorum', '2']);
    assert.equal(init.code, 0, init.stderr);
    const data = join(dir, 'ledger');
    mkdirSync(data);
    writeFileSync(join(data, 'a.sql'), 'INSERT INTO ledger VALUES (1);\n'.repeat(5000));
    writeFileSync(join(data, 'b.sql'), 'INSERT INTO ledger VALUES (2);\n'.repeat(5000));
    await new Promise((r) => setTimeout(r, 1100)); // files younger than a second are not cached
    const first = await run(['backup', '--vault', w, data]);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /unchanged/);
    assert.equal(statSync(`${w}.host/files-cache`).mode & 0o777, 0o600);
    const second = await run(['backup', '--vault', w, data]);
    assert.match(second.stderr, /2 files, .*\(2 unchanged files not read again\)/);
    writeFileSync(join(data, 'b.sql'), 'INSERT INTO ledger VALUES (3);\n'.repeat(5000));
    const third = await run(['backup', '--vault', w, data]);
    assert.match(third.stderr, /\(1 unchanged files not read again\)/);
    const forced = await run(['backup', '--vault', w, '--force', data]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.doesNotMatch(forced.stderr, /unchanged/);
    const r = await run(['restore', '--vault', w, 'latest', '--to', join(dir, 'cached-out'), '--identity', key('dora'), '--identity', key('eve')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(dir, 'cached-out', 'ledger', 'b.sql')), readFileSync(join(data, 'b.sql')));
  });
});
