import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SIGMA, lianfang, tempDir } from './cli.js';

describe('lianfang token create, rules import, audit verify', () => {
  const { dir, cleanup } = tempDir('lianfang-admin-');
  after(cleanup);
  const data = ['--data', dir];

  it('imports Sigma rules into the store, then again without changes', async () => {
    const folder = join(SIGMA, 'rules/windows/process_creation');
    const first = await lianfang(['rules', 'import', folder, ...data]);
    assert.equal(first.code, 0, first.stderr);
    const added = Number(/imported: (\d+) added/.exec(first.stdout)?.[1]);
    assert.ok(added > 1000, first.stdout);
    const again = await lianfang(['rules', 'import', folder, ...data]);
    assert.match(again.stdout, new RegExp(`imported: 0 added, 0 updated \\(new version\\), ${added} unchanged`));
  });

  it('prints a token once, and stores only its hash', async () => {
    const r = await lianfang(['token', 'create', '--role', 'analyst', '--name', 'alice', ...data]);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^lf_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/);
    const db = new BetterSqlite3(join(dir, 'lianfang.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT * FROM api_tokens').all();
    db.close();
    assert.equal(rows.length, 1);
    assert.equal(JSON.stringify(rows).includes(token.slice('lf_0123456789abcdef_'.length) /* the secret may itself hold '_' */), false, 'the secret is not in the database');
    const bad = await lianfang(['token', 'create', '--role', 'root', ...data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /role must be one of admin, analyst/);
  });

  it('verifies the audit log, and names the entry someone altered behind its back', async () => {
    const ok = await lianfang(['audit', 'verify', ...data]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^audit log intact: \d+ entries, head [0-9a-f]{64}$/m);
    const db = new BetterSqlite3(join(dir, 'lianfang.sqlite'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run();
    db.close();
    const broken = await lianfang(['audit', 'verify', '--format', 'json', ...data]);
    assert.equal(broken.code, 1);
    const v = JSON.parse(broken.stdout) as { ok: boolean; seq: number; reason: string };
    assert.deepEqual([v.ok, v.seq], [false, 3]);
    assert.match(v.reason, /entry 3 was altered/);
  });
});
