import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { systemContext } from '../../src/core/index.js';
import { addMember, DISCLOSURE_TRANSITIONS } from '../../src/intel/index.js';
import { createToken, openDataStore, serve, type Running } from '../../src/server/index.js';
import { DISCLOSURE_TRANSITIONS as CONSOLE_TRANSITIONS } from '../../src/web/src/intel/disclosures.js';
import { ensureConsoleBuilt, launchChromium, WEB_DIST } from './browser.js';
import { tempDir } from './cli.js';

/**
 * Vulnerability disclosures worked from the console, in a real headless Chromium against a
 * real `lianfang serve --hub`: hub staff file a researcher's report in the form, triage it,
 * route it to a member under an embargo and read its history; the member, signed in with
 * its own connector token, acknowledges it and reports the patch. What the page shows is
 * checked against what the API then returns, and refused moves show the server's reason.
 */

type Json = Record<string, unknown>;
interface Disclosure {
  id: string;
  number: string;
  title: string;
  state: string;
  reporter: string;
  filed_by: string;
  vendor: string;
  product: string;
  affected_versions: string;
  cve: string | null;
  cvss: number | null;
  embargo_until: string | null;
  vendor_contact: string | null;
  fixed_version: string | null;
  recipients: Array<{ member: string; acked_at: string | null; patched_at: string | null }>;
  history: Array<{ at: string; actor: string; kind: string; note: string }>;
}

const MEMBERS = ['bank-a', 'bank-b', 'bank-c'] as const;
/** The browsers run in Taipei time (UTC+8, no daylight saving), so the local embargo time typed has one meaning. */
const TIME_ZONE = 'Asia/Taipei';
const TAIPEI_MS = 8 * 3_600_000;

/** About 60 days ahead, to the minute: as typed into the form (Taipei) and as the API must keep it (UTC). */
const EMBARGO_MS = Math.floor((Date.now() + 60 * 86_400_000) / 60_000) * 60_000;
const EMBARGO_LOCAL = new Date(EMBARGO_MS + TAIPEI_MS).toISOString().slice(0, 16);
const EMBARGO_ISO = new Date(EMBARGO_MS).toISOString();

const REPORT = {
  title: 'Session fixation in the PortalX e-banking login', vendor: 'ExampleSoft', product: 'PortalX', affected_versions: '< 3.4',
  cve: 'CVE-2026-31337', cvss: 8.1, reporter: 'Lin Mei-hua <mei@researcher.example.tw>', description: 'The session id set before login survives it, so a planted id is a logged-in session.',
};

describe('vulnerability disclosures in the console, staff and member, in a browser', () => {
  const { dir, cleanup } = tempDir('lianfang-intel-disclosures-');
  let server: Running;
  let browser: Browser;
  let staff: Page;
  let member: Page;
  const tokens: Record<'staff' | 'bank-b' | 'bank-c', string> = { staff: '', 'bank-b': '', 'bank-c': '' };
  let filed: Disclosure;
  const pageErrors: string[] = [];
  const serverLog: string[] = [];

  async function call<T = Json>(who: keyof typeof tokens, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(server.url + path, {
      method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }
  async function get<T>(who: keyof typeof tokens, path: string): Promise<T> {
    const r = await call<T>(who, 'GET', path);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const one = (who: keyof typeof tokens = 'staff'): Promise<Disclosure> => get<Disclosure>(who, `/api/v1/intel/disclosures/${filed.id}`);

  async function signedIn(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: TIME_ZONE });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/intel/disclosures`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Signed in as').waitFor();
    return page;
  }

  const detailOf = (page: Page): Locator => page.getByRole('complementary', { name: 'Disclosure' });
  const rowOf = (page: Page, number: string): Locator => page.getByRole('table', { name: 'Vulnerability disclosures' }).locator(`tr[data-disclosure="${number}"]`);
  const moveButtons = (page: Page): Locator => detailOf(page).getByRole('group', { name: 'Move disclosure to' }).getByRole('button');
  const stateIs = (page: Page, state: string): Promise<void> => detailOf(page).locator('[data-field="state"]').filter({ hasText: new RegExp(`^${state}$`) }).waitFor();
  const historyKinds = async (page: Page): Promise<Array<string | null>> => {
    const items = await detailOf(page).getByRole('list', { name: 'History' }).getByRole('listitem').all();
    return Promise.all(items.map((li) => li.getAttribute('data-kind')));
  };

  before(async () => {
    ensureConsoleBuilt();
    const store = await openDataStore(dir);
    try {
      const ctx = systemContext();
      for (const m of MEMBERS) await addMember(store.db, ctx, m, `${m}-correct-horse-battery`);
      tokens.staff = (await createToken(store.db, ctx, 'analyst', 'isac-analyst')).token;
      // As `lianfang hub member add` makes them: a member-connector token named after the member.
      tokens['bank-b'] = (await createToken(store.db, ctx, 'member-connector', 'bank-b')).token;
      tokens['bank-c'] = (await createToken(store.db, ctx, 'member-connector', 'bank-c')).token;
    } finally {
      await store.close();
    }
    server = await serve({ dataDir: dir, http: 0, hub: true, webRoot: WEB_DIST, log: (line) => serverLog.push(line) });
    browser = await launchChromium();
    staff = await signedIn(tokens.staff);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    cleanup();
  });

  it('offers the moves the server allows (the console’s copy of the lifecycle matches the server’s)', () => {
    assert.deepEqual(CONSOLE_TRANSITIONS, DISCLOSURE_TRANSITIONS);
  });

  it('files a researcher’s report from the form, as hub staff, and opens it', async () => {
    await staff.getByRole('table', { name: 'Vulnerability disclosures' }).getByText(/No disclosures yet/).waitFor();
    await staff.getByRole('button', { name: 'File a disclosure' }).click();
    const form = staff.getByRole('form', { name: 'File a disclosure' });
    await form.getByLabel('Title').fill(REPORT.title);
    await form.getByLabel('Vendor').fill(REPORT.vendor);
    await form.getByLabel('Product').fill(REPORT.product);
    await form.getByLabel('Affected versions').fill(REPORT.affected_versions);
    await form.getByLabel('CVE').fill(REPORT.cve);
    await form.getByLabel('CVSS base score').fill(String(REPORT.cvss));
    await form.getByLabel('Reported by').fill(REPORT.reporter);
    await form.getByLabel('Description').fill(REPORT.description);
    await form.getByRole('button', { name: 'File' }).click();

    const status = staff.getByRole('status').filter({ hasText: /^Filed VD-\d{4}-0001\.$/ });
    await status.waitFor();
    assert.equal(await form.count(), 0, 'the form closes once the report is filed');
    const [listed] = (await get<{ items: Disclosure[] }>('staff', '/api/v1/intel/disclosures')).items;
    assert.ok(listed);
    filed = listed;
    assert.equal(await status.textContent(), `Filed ${filed.number}.`);
    const { id, number, history, ...rest } = filed;
    assert.deepEqual(
      { title: rest.title, vendor: rest.vendor, product: rest.product, affected_versions: rest.affected_versions, cve: rest.cve, cvss: rest.cvss, reporter: rest.reporter, state: rest.state, filed_by: rest.filed_by },
      { title: REPORT.title, vendor: REPORT.vendor, product: REPORT.product, affected_versions: REPORT.affected_versions, cve: REPORT.cve, cvss: REPORT.cvss, reporter: REPORT.reporter, state: 'received', filed_by: 'token:isac-analyst' },
      'the API holds what was typed, filed by the analyst for the researcher',
    );
    assert.match(number, /^VD-\d{4}-0001$/);

    await staff.waitForURL((url) => url.searchParams.get('open') === id);
    const detail = detailOf(staff);
    await detail.getByRole('heading', { name: `${number} ${REPORT.title}` }).waitFor();
    await stateIs(staff, 'received');
    assert.match((await detail.getByRole('definition').filter({ hasText: 'Lin Mei-hua' }).textContent()) ?? '', /mei@researcher\.example\.tw/);
    assert.match((await detail.locator('[data-field="embargo"]').textContent()) ?? '', /not set/);
    assert.deepEqual(await historyKinds(staff), ['received']);
    assert.deepEqual(history.map((h) => [h.kind, h.actor]), [['received', 'token:isac-analyst']]);
    assert.match((await rowOf(staff, number).textContent()) ?? '', /Session fixation.*CVSS 8\.1.*ExampleSoft PortalX/s);
  });

  it('triages it: only the moves allowed from received are offered, and the list follows', async () => {
    assert.deepEqual(await moveButtons(staff).allTextContents(), ['→ triaged', '→ rejected', '→ duplicate']);
    await moveButtons(staff).filter({ hasText: 'triaged' }).click();
    const form = staff.getByRole('form', { name: `Triage ${filed.number}` });
    await form.getByLabel('Note').fill('Reproduced on PortalX 3.3.2');
    await form.getByRole('button', { name: 'Triage' }).click();

    await stateIs(staff, 'triaged');
    assert.deepEqual(await moveButtons(staff).allTextContents(), ['→ routed', '→ rejected', '→ duplicate']);
    assert.deepEqual(await historyKinds(staff), ['received', 'triaged']);
    assert.match((await detailOf(staff).locator('li[data-kind="triaged"]').textContent()) ?? '', /token:isac-analyst\s+triaged\s+Reproduced on PortalX 3\.3\.2/);
    await rowOf(staff, filed.number).locator('.badge').filter({ hasText: 'triaged' }).waitFor(); // the list refreshed without a reload
    const d = await one();
    assert.equal(d.state, 'triaged');
    assert.deepEqual(d.history.at(-1), { at: d.history.at(-1)!.at, actor: 'token:isac-analyst', kind: 'triaged', note: 'Reproduced on PortalX 3.3.2' });
  });

  it('shows the server’s refusal when routing names no one, and the disclosure stays triaged', async () => {
    await moveButtons(staff).filter({ hasText: 'routed' }).click();
    const form = staff.getByRole('form', { name: `Route ${filed.number}` });
    await form.getByRole('checkbox').nth(MEMBERS.length - 1).waitFor();
    assert.equal(await form.getByRole('checkbox').count(), MEMBERS.length, 'one box per member of the hub');
    for (const m of MEMBERS) assert.equal(await form.getByRole('checkbox', { name: m }).isChecked(), false, `${m} is not chosen for you`);
    const proposed = await form.getByLabel('Embargo until').inputValue();
    assert.ok(Date.parse(`${proposed}:00+08:00`) - Date.now() > 89 * 86_400_000, `an embargo is proposed, ~90 days ahead: ${proposed}`);
    await form.getByRole('button', { name: 'Route' }).click();

    const alert = form.getByRole('alert');
    await alert.waitFor();
    // The same request sent straight to the API: the page must say what the server said.
    const refused = await call('staff', 'POST', `/api/v1/intel/disclosures/${filed.id}/transition`, { to: 'routed', embargo_until: EMBARGO_ISO });
    assert.equal(refused.status, 400);
    assert.equal(refused.body['error'], 'ROUTE_EMPTY');
    assert.match(String(refused.body['message']), /routing needs recipients \(members\) or a vendor contact/);
    assert.equal(
      ((await alert.textContent()) ?? '').replace(/\s+/g, ' ').trim(),
      `Could not route ${filed.number}: ROUTE_EMPTY ${String(refused.body['message'])} (at ${String(refused.body['where'])})`,
    );
    const d = await one();
    assert.equal(d.state, 'triaged');
    assert.deepEqual(d.recipients, []);
    await stateIs(staff, 'triaged');
  });

  it('routes it to a member and the vendor with an embargo, and shows the embargo end and the history', async () => {
    const form = staff.getByRole('form', { name: `Route ${filed.number}` });
    await form.getByRole('checkbox', { name: 'bank-b' }).check();
    await form.getByLabel('Vendor contact').fill('psirt@examplesoft.example');
    await form.getByLabel('Embargo until').fill(EMBARGO_LOCAL);
    await form.getByLabel('Note').fill('Vendor and bank-b informed');
    await form.getByRole('button', { name: 'Route' }).click();

    await stateIs(staff, 'routed');
    const d = await one();
    assert.equal(d.state, 'routed');
    assert.equal(d.embargo_until, EMBARGO_ISO, 'the local time typed, in UTC');
    assert.equal(d.vendor_contact, 'psirt@examplesoft.example');
    assert.deepEqual(d.recipients, [{ member: 'bank-b', acked_at: null, patched_at: null }]);
    assert.deepEqual(d.history.map((h) => [h.actor, h.kind, h.note]), [
      ['token:isac-analyst', 'received', ''], ['token:isac-analyst', 'triaged', 'Reproduced on PortalX 3.3.2'], ['token:isac-analyst', 'routed', 'Vendor and bank-b informed'],
    ]);

    const detail = detailOf(staff);
    const embargo = detail.locator('[data-field="embargo"]');
    assert.equal(await embargo.getAttribute('data-embargo'), EMBARGO_ISO);
    assert.match((await embargo.textContent()) ?? '', new RegExp(`^${EMBARGO_LOCAL.replace('T', ' ')}:00 in (59|60)d \\d\\dh$`), 'shown in local time, with how far off it is');
    assert.equal(await detail.locator('li[data-recipient="bank-b"]').getAttribute('data-status'), 'waiting');
    assert.deepEqual(await historyKinds(staff), ['received', 'triaged', 'routed']);
    const times = await Promise.all((await detail.getByRole('list', { name: 'History' }).locator('time').all()).map((t) => t.getAttribute('datetime')));
    assert.deepEqual(times, d.history.map((h) => h.at), 'each step says when');
    assert.deepEqual(await moveButtons(staff).allTextContents(), ['→ fixing', '→ fixed']);
    assert.match((await rowOf(staff, filed.number).textContent()) ?? '', /routed.*in (59|60)d.*bank-b · waiting/s);
  });

  it('lets the member it was routed to acknowledge it and report its patch, and offers that member no staff move', async () => {
    member = await signedIn(tokens['bank-b']);
    const row = rowOf(member, filed.number);
    await row.waitFor();
    await row.getByRole('link', { name: filed.number }).click();
    await member.waitForURL((url) => url.searchParams.get('open') === filed.id);
    const detail = detailOf(member);
    await stateIs(member, 'routed');
    assert.equal(await detail.getByRole('group', { name: 'Move disclosure to' }).count(), 0, 'a member moves nothing along');
    const ack = detail.getByRole('region', { name: 'Your acknowledgement' });
    await ack.getByRole('button', { name: 'Acknowledge', exact: true }).click();

    await detail.locator('li[data-recipient="bank-b"][data-status="acknowledged"]').waitFor();
    assert.deepEqual(await historyKinds(member), ['received', 'triaged', 'routed', 'acknowledged']);
    assert.match((await detail.locator('li[data-kind="acknowledged"]').textContent()) ?? '', /token:bank-b\s+acknowledged\s+bank-b/);
    const acked = await one('bank-b');
    assert.ok(acked.recipients[0]!.acked_at);
    assert.equal(acked.recipients[0]!.patched_at, null);

    await ack.getByRole('button', { name: 'Report patched' }).click();
    await detail.locator('li[data-recipient="bank-b"][data-status="patched"]').waitFor();
    await ack.getByText(/acknowledged and patched/).waitFor();
    assert.equal(await ack.getByRole('button').count(), 0, 'nothing left to report');
    const patched = await one('bank-b');
    assert.equal(patched.recipients[0]!.acked_at, acked.recipients[0]!.acked_at, 'the acknowledgement keeps its time');
    assert.ok(patched.recipients[0]!.patched_at);
    assert.deepEqual(patched.history.slice(3).map((h) => [h.actor, h.kind, h.note]), [['token:bank-b', 'acknowledged', 'bank-b'], ['token:bank-b', 'patched', 'bank-b']]);
    await row.getByText('bank-b ✔ patched').waitFor();
  });

  it('refuses a member’s staff move and a stranger’s acknowledgement at the API, changing nothing', async () => {
    const move = await call('bank-b', 'POST', `/api/v1/intel/disclosures/${filed.id}/transition`, { to: 'fixing' });
    assert.equal(move.status, 403);
    assert.equal(move.body['error'], 'ROLE_REQUIRED');
    const stranger = await call('bank-c', 'POST', `/api/v1/intel/disclosures/${filed.id}/acknowledge`, { patched: true });
    assert.equal(stranger.status, 404, 'bank-c was not routed it, so it may not even see it');
    assert.equal(stranger.body['error'], 'DISCLOSURE_NOT_FOUND');
    const d = await one();
    assert.equal(d.state, 'routed');
    assert.equal(d.history.length, 5);
  });

  it('lets a member file its own report, which it sees without moves or an acknowledgement to give', async () => {
    await member.getByRole('button', { name: 'File a disclosure' }).click();
    const form = member.getByRole('form', { name: 'File a disclosure' });
    await form.getByLabel('Title').fill('Open redirect in the branch locator');
    await form.getByLabel('Vendor').fill('MapCo');
    await form.getByLabel('Product').fill('BranchFinder');
    await form.getByLabel('Reported by').fill('bank-b red team');
    await form.getByLabel('Description').fill('next= is followed to any host.');
    await form.getByLabel('CVE').fill('CVE-26-1');
    await form.getByRole('button', { name: 'File' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /CVE_INVALID.*'CVE-26-1' is not a CVE id/, 'the server’s reason, in the form, which keeps what was typed');
    assert.equal(await form.getByLabel('Title').inputValue(), 'Open redirect in the branch locator');
    await form.getByLabel('CVE').fill('');
    await form.getByRole('button', { name: 'File' }).click();

    const status = member.getByRole('status').filter({ hasText: /^Filed VD-\d{4}-0002\.$/ });
    await status.waitFor();
    const mine = (await get<{ items: Disclosure[] }>('bank-b', '/api/v1/intel/disclosures')).items;
    assert.deepEqual(mine.map((d) => [d.title, d.filed_by, d.state]), [['Open redirect in the branch locator', 'bank-b', 'received'], [REPORT.title, 'token:isac-analyst', 'routed']], 'its own report, and the one routed to it');
    await detailOf(member).getByRole('heading', { name: /Open redirect in the branch locator/ }).waitFor();
    assert.equal(await detailOf(member).getByRole('group', { name: 'Move disclosure to' }).count(), 0);
    assert.equal(await detailOf(member).getByRole('region', { name: 'Your acknowledgement' }).count(), 0);
    assert.equal((await get<{ items: Disclosure[] }>('bank-c', '/api/v1/intel/disclosures')).items.length, 0, 'bank-c sees neither');
  });

  it('tracks the first report to a fix at the hub, where the member’s patch now shows, and nothing went wrong', async () => {
    await staff.reload();
    const detail = detailOf(staff);
    await detail.locator('li[data-recipient="bank-b"][data-status="patched"]').waitFor();
    assert.deepEqual(await historyKinds(staff), ['received', 'triaged', 'routed', 'acknowledged', 'patched']);
    await moveButtons(staff).filter({ hasText: 'fixed' }).click();
    const form = staff.getByRole('form', { name: `Mark fixed ${filed.number}` });
    await form.getByLabel('Fixed in version').fill('3.4.1');
    await form.getByRole('button', { name: 'Mark fixed' }).click();

    await stateIs(staff, 'fixed');
    assert.equal(await detail.getByRole('group', { name: 'Move disclosure to' }).count(), 0, 'publication is the embargo’s, not a button');
    await detail.getByText(/published to the members as a STIX vulnerability when the embargo ends/).waitFor();
    await rowOf(staff, filed.number).getByText('fixed in 3.4.1').waitFor();
    const d = await one();
    assert.equal(d.state, 'fixed');
    assert.equal(d.fixed_version, '3.4.1');
    assert.equal(d.embargo_until, EMBARGO_ISO);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in either page');
    assert.deepEqual(serverLog.filter((l) => /fail|problem|error/i.test(l)), []);
  });
});
