import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeZip, sha256 } from '../../src/detect/rules-update/archives.suite.js';
import { jsonLines, lianfang, SAMPLES, SIGMA, tempDir } from './cli.js';

/** A SigmaHQ-style release archive of the shared Windows rules, built here (never stored). */
function windowsRulesZip(): Buffer {
  const items: Array<{ name: string; data: Buffer }> = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yml')) items.push({ name: relative(SIGMA, p), data: readFileSync(p) });
    }
  };
  walk(join(SIGMA, 'rules', 'windows'));
  items.push({ name: 'LICENSE', data: readFileSync(join(SIGMA, 'LICENSE')) });
  return makeZip(items.map((i) => ({ ...i, store: true })));
}

describe('lianfang rules update, then hunt with the default rules folder', () => {
  let server: Server;
  let base: string;
  const zip = windowsRulesZip();
  const { dir, cleanup } = tempDir('lianfang-rules-');
  const dest = join(dir, 'rules');

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/repos/SigmaHQ/sigma/releases/latest') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          tag_name: 'r2026-08-05',
          assets: [{ name: 'sigma_all_rules.zip', browser_download_url: `${base}/download/sigma_all_rules.zip`, digest: `sha256:${sha256(zip)}` }],
        }));
      } else if (req.url === '/download/sigma_all_rules.zip') {
        res.setHeader('content-type', 'application/zip');
        res.end(zip);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    cleanup();
  });

  it('downloads and verifies the release, then hunt finds the rules without --rules', async () => {
    const update = await lianfang(['rules', 'update', '--from', `${base}/repos/SigmaHQ/sigma/releases/latest`, '--dest', dest]);
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stdout, /Installed \d+ rule files .*\(r2026-08-05\)/);
    assert.match(update.stdout, new RegExp(`sha256 ${sha256(zip)}`));
    assert.ok(existsSync(join(dest, 'rules', 'windows')));

    const hunt = await lianfang(['hunt', join(SAMPLES, 'Credential Access'), '--format', 'jsonl', '-q'], { LIANFANG_RULES: dest });
    assert.equal(hunt.code, 0, hunt.stderr);
    const titles = new Set(jsonLines<{ rule_title: string }>(hunt.stdout).map((d) => d.rule_title));
    assert.ok(titles.has('HackTool - Mimikatz Kirbi File Creation'));

    const again = await lianfang(['rules', 'update', '--from', `${base}/repos/SigmaHQ/sigma/releases/latest`, '--dest', dest]);
    assert.match(again.stdout, /0 added, 0 changed, 0 removed/);
  });

  it('refuses an archive whose digest does not match, and leaves the installed rules as they were', async () => {
    const before = readdirSync(join(dest, 'rules', 'windows')).length;
    const bad = await lianfang(['rules', 'update', '--from', `${base}/download/sigma_all_rules.zip`, '--sha256', '0'.repeat(64), '--dest', dest]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sha256|digest/i);
    assert.equal(readdirSync(join(dest, 'rules', 'windows')).length, before);
  });
});
