import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { systemContext } from '../../src/core/index.js';
import { createToken, openDataStore, serve, type Running } from '../../src/server/index.js';
import { backupVault, drillVault, initVault, keygen, parseData, recordVerify, verifyVault, writeIdentity, writeRecipient } from '../../src/vault/index.js';
import { ensureConsoleBuilt, launchChromium, WEB_DIST } from './browser.js';
import { tempDir } from './cli.js';

/**
 * The console end to end, in a real headless Chromium against a real `lianfang serve`: a
 * firewall message sent over syslog TCP becomes an alert in the queue, and an analyst turns it
 * into a case whose page shows the alert and the source IP.
 */


const RULE = `title: Telnet session through the firewall
id: 7d0f5e1a-3c2b-4f7e-9a61-2f4c8b1d0e01
status: experimental
description: Telnet carries credentials in clear text; production networks forbid it.
author: Lianfang e2e test
level: high
tags:
    - attack.lateral-movement
    - attack.t1021
logsource:
    product: fortigate
detection:
    selection:
        destination.port: 23
    condition: selection
`;

/** A FortiGate CEF line over syslog: telnet from 10.0.0.66, and an HTTPS one the rule must not match. */
const MESSAGES = [
  '<134>Nov 21 08:00:00 fw01 CEF:0|Fortinet|FortiGate|7.2|13|telnet|5|src=10.0.0.66 spt=51515 dst=192.168.1.20 dpt=23 proto=TCP act=accept suser=alice',
  '<134>Nov 21 08:00:01 fw01 CEF:0|Fortinet|FortiGate|7.2|13|https|5|src=10.0.0.67 spt=50000 dst=192.168.1.20 dpt=443 proto=TCP act=accept',
];

function sendSyslogTcp(port: number, lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(lines.map((l) => `${l}\n`).join('')));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

async function api<T>(url: string, token: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text) as T;
}

describe('the SOC console in a browser', () => {
  const { dir, cleanup } = tempDir('lianfang-console-');
  let server: Running;
  let syslogTcp: number;
  let browser: Browser;
  let page: Page;
  let analyst: string;
  const pageErrors: string[] = [];
  const serverLog: string[] = [];

  const vaultFile = join(dir, 'core.json');
  let vaultId = '';

  /** A 2-of-3 vault with one backup, a metadata verify and a restore drill recorded by the CLI's functions. */
  async function makeVault(): Promise<void> {
    const people = ['alice', 'bob', 'carol'];
    for (const p of people) {
      const { identity, recipient } = keygen();
      await writeIdentity(join(dir, `${p}.key`), identity);
      await writeRecipient(join(dir, `${p}.key.pub`), recipient);
    }
    const sites = ['local', 'offsite', 'third'].map((name) => ({ name, url: join(dir, 'sites', name) }));
    vaultId = (await initVault({ vault: vaultFile, sites, data: parseData('2-of-3'), custodians: people.map((name) => ({ name, recipientPath: join(dir, `${name}.key.pub`) })), quorum: 2 })).vaultId;
    mkdirSync(join(dir, 'dumps'));
    writeFileSync(join(dir, 'dumps', 'deposits.sql'), 'INSERT INTO deposits VALUES (1, 100);\n'.repeat(20_000));
    await backupVault(vaultFile, [join(dir, 'dumps')]);
    recordVerify(vaultFile, vaultId, await verifyVault(vaultFile, 'metadata'));
    const drill = await drillVault(vaultFile, 'latest', join(dir, 'drill'), [join(dir, 'alice.key'), join(dir, 'bob.key')]);
    assert.equal(drill.ok, true, drill.problems.join('; '));
  }

  before(async () => {
    ensureConsoleBuilt();
    await makeVault();
    server = await serve({ dataDir: dir, http: 0, syslogTcp: 0, syslogUdp: 0, webRoot: WEB_DIST, vaults: [vaultFile], log: (line) => serverLog.push(line) });
    syslogTcp = server.ports.tcp!;
    // A second connection to the server's data folder mints the tokens, as `lianfang token create` does.
    const store = await openDataStore(dir);
    try {
      analyst = (await createToken(store.db, systemContext(), 'analyst', 'alice')).token;
      const admin = (await createToken(store.db, systemContext(), 'admin', 'rules-admin')).token;
      const imported = await api<{ added: number }>(server.url, admin, '/api/v1/rules/import', { yaml: RULE, name: 'telnet.yml' });
      assert.equal(imported.added, 1);
    } finally {
      await store.close();
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    cleanup();
  });

  it('refuses a wrong token with the server’s error code, then signs in and shows who and which role', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(`lf_0123456789abcdef_${'x'.repeat(32)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    await page.getByLabel('API token').fill(analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const who = page.getByLabel('Signed in as');
    await who.waitFor();
    assert.match((await who.textContent()) ?? '', /token:alice\s+analyst/);
    assert.equal(await page.evaluate("sessionStorage.getItem('lianfang.session') !== null"), true, 'kept in sessionStorage');
  });

  it('shows an event sent over syslog as an alert in the queue, and turns it into a case', async () => {
    await sendSyslogTcp(syslogTcp, MESSAGES);
    const row = page.getByRole('table', { name: 'Alerts' }).getByRole('row', { name: /Telnet session through the firewall on fw01/ });
    await row.waitFor(); // the queue polls: no reload
    assert.equal(await page.getByRole('table', { name: 'Alerts' }).getByRole('row', { name: /Select alert/ }).count(), 1, 'one alert: the HTTPS line matched nothing');
    assert.match((await row.textContent()) ?? '', /fw01.*alice.*T1021/s);
    const alertId = await row.getAttribute('data-alert-id');
    assert.ok(alertId);

    await page.keyboard.press('j'); // keyboard: to the first row, and select it
    await page.keyboard.press('x');
    assert.equal(await row.getByRole('checkbox').isChecked(), true, 'selected from the keyboard');
    await page.getByRole('complementary', { name: 'Alert details' }).getByRole('cell', { name: '10.0.0.66', exact: true }).waitFor();
    // A second alert arriving on the next poll must not drop the analyst's selection.
    await sendSyslogTcp(syslogTcp, [MESSAGES[0]!.replace(' fw01 ', ' fw02 ')]);
    const second = page.getByRole('table', { name: 'Alerts' }).getByRole('row', { name: /Telnet session through the firewall on fw02/ });
    await second.waitFor();
    assert.equal(await row.getByRole('checkbox').isChecked(), true, 'still selected after the refresh');
    assert.equal(await second.getByRole('checkbox').isChecked(), false);

    await page.getByRole('toolbar', { name: 'Alert actions' }).getByRole('button', { name: 'Create case' }).click();
    const dialog = page.getByRole('dialog', { name: /Create case/ });
    assert.equal(await dialog.getByLabel('Case title').inputValue(), 'Telnet session through the firewall on fw01');
    await dialog.getByRole('button', { name: 'Create' }).click();

    await page.waitForURL(/\/cases\/\d+$/);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.filter({ hasText: 'Telnet session through the firewall on fw01' }).waitFor();
    assert.match((await heading.textContent()) ?? '', /^#\d+/);

    await page.getByRole('tab', { name: /^Alerts/ }).click();
    const alerts = page.getByRole('table', { name: 'Case alerts' });
    await alerts.getByRole('row', { name: /Telnet session through the firewall.*fw01/ }).waitFor();
    await page.getByRole('tab', { name: /^Observables/ }).click();
    const observables = page.getByRole('table', { name: 'Observables' });
    await observables.getByRole('row', { name: /ip\s+10\.0\.0\.66/ }).waitFor();
    assert.equal(await observables.getByRole('row', { name: /10\.0\.0\.67/ }).count(), 0, 'nothing from the unmatched event');
    assert.equal(await alerts.getByRole('row', { name: /fw02/ }).count(), 0, 'only the selected alert went into the case');

    const alert = await api<{ status: string; case_id: string | null }>(server.url, analyst, `/api/v1/alerts/${alertId}`);
    assert.equal(alert.status, 'in_case');
    assert.ok(alert.case_id);
  });

  it('works the case: a task done, a comment, evidence uploaded and downloaded intact, a state change', async () => {
    await page.getByRole('tab', { name: /^Tasks/ }).click();
    await page.getByLabel('New task').fill('Block telnet from 10.0.0.66');
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.getByRole('checkbox', { name: 'Mark task Block telnet from 10.0.0.66 done' }).check();
    await page.getByRole('tab', { name: /^Tasks \(0 open \/ 1\)/ }).waitFor();

    await page.getByRole('tab', { name: /^Comments/ }).click();
    await page.getByRole('textbox', { name: /Comment/ }).fill('Jump host 10.0.0.66 still allows telnet; change request filed.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.getByRole('list', { name: 'Comments' }).getByText('change request filed').waitFor();

    const evidence = Buffer.from('session transcript\nlogin: admin\n');
    await page.getByRole('tab', { name: /^Evidence/ }).click();
    await page.getByLabel('Evidence file').setInputFiles({ name: 'telnet-session.txt', mimeType: 'text/plain', buffer: evidence });
    await page.getByRole('button', { name: 'Upload' }).click();
    const sha256 = createHash('sha256').update(evidence).digest('hex');
    const evRow = page.getByRole('table', { name: 'Evidence' }).getByRole('row', { name: /telnet-session\.txt/ });
    await evRow.waitFor();
    assert.match((await evRow.textContent()) ?? '', new RegExp(sha256));
    const [download] = await Promise.all([page.waitForEvent('download'), evRow.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'telnet-session.txt');
    assert.deepEqual(readFileSync((await download.path())!), evidence);

    await page.getByRole('group', { name: 'Move case to' }).getByRole('button', { name: '→ triage' }).click();
    await page.getByRole('tab', { name: /^Timeline/ }).click();
    const timeline = page.getByRole('list', { name: 'Case timeline' });
    await timeline.getByText('new → triage').waitFor();
    for (const kind of ['created', 'alerts merged', 'task added', 'comment', 'evidence added']) {
      assert.ok((await timeline.getByText(kind, { exact: true }).count()) > 0, `timeline shows ${kind}`);
    }
    assert.match((await page.getByLabel('Reporting clocks').textContent()) ?? '', /TTA \d+s(?! running)/, 'acknowledged: its clock stopped');
  });

  it('takes a screenshot of the case page as a non-empty PNG', async () => {
    const shots = tempDir('lianfang-console-shot-');
    try {
      const path = join(shots.dir, 'case.png');
      await page.screenshot({ path, fullPage: true });
      const png = readFileSync(path);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      assert.ok(png.length > 5000, `a real picture, not an empty one (${png.length} bytes)`);
    } finally {
      shots.cleanup();
    }
  });

  it('lists the rule with its YAML, and switches it off for the analyst', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Rules/ }).click();
    await page.getByRole('link', { name: 'Telnet session through the firewall' }).click();
    await page.waitForURL(/\/rules\/7d0f5e1a-3c2b-4f7e-9a61-2f4c8b1d0e01/);
    assert.match((await page.getByLabel('Rule YAML').textContent()) ?? '', /destination\.port: 23/);
    assert.equal(await page.getByRole('button', { name: 'Import YAML' }).isDisabled(), true, 'import is for admins');
    const toggle = page.getByRole('switch', { name: 'Enable rule Telnet session through the firewall' });
    assert.equal(await toggle.isChecked(), true);
    await toggle.click();
    await page.getByRole('row', { name: /Telnet session/ }).and(page.locator('.disabled')).waitFor();
    const rule = await api<{ enabled: boolean; version: number }>(server.url, analyst, '/api/v1/rules/7d0f5e1a-3c2b-4f7e-9a61-2f4c8b1d0e01');
    assert.deepEqual([rule.enabled, rule.version], [false, 1]);
  });

  it('shows the vault: sites, the snapshot, the last verify and the passed drill', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Vault/ }).click();
    await page.waitForURL(/\/vault$/);
    const sites = page.getByRole('table', { name: 'Sites' });
    await sites.getByRole('row', { name: /offsite/ }).waitFor();
    assert.equal(await sites.getByRole('row').count(), 4, 'a header and three sites');
    assert.equal(await page.locator('[data-vault="snapshots"]').textContent(), '1');
    assert.equal(await page.locator('[data-vault="verify"]').textContent(), 'ok · metadata');
    assert.equal(await page.locator('[data-vault="drill"]').textContent(), 'passed');
    assert.match((await page.locator('[data-vault="drill-detail"]').textContent()) ?? '', /restored 1 files/);
    const api = await fetch(`${server.url}/api/v1/vaults/${vaultId}/evidence`, { headers: { authorization: `Bearer ${analyst}` } });
    const evidence = (await api.json()) as { items: Array<{ kind: string }> };
    assert.deepEqual(evidence.items.map((e) => e.kind).sort(), ['vault.restore-drill', 'vault.verify'], 'journal lines imported once each');
  });

  it('shows live ingest counters, the failed parse highlighted, and signs out', async () => {
    await sendSyslogTcp(syslogTcp, ['CEF:0|truncated header']);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Ingest/ }).click();
    const counters = page.getByRole('definition').and(page.locator('[data-counter="received"]'));
    await page.waitForFunction(`Number(document.querySelector('[data-counter="received"]')?.textContent?.replace(/,/g, '')) >= 3`);
    assert.equal(await page.locator('[aria-live="polite"][aria-label="Ingest counters"]').count(), 1);
    assert.ok(Number((await counters.textContent())?.replace(/,/g, '')) >= 3);
    const failedRow = page.getByRole('table', { name: 'Latest events' }).getByRole('row', { name: /Parse error/ });
    await failedRow.first().waitFor();
    assert.match((await failedRow.first().textContent()) ?? '', /CEF:0\|truncated header/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('lianfang.session')"), null);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(serverLog.filter((l) => /fail|problem/i.test(l)), [], 'no pipeline batch failed, no rule problem');
  });
});
