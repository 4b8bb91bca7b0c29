import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { systemContext } from '../../src/core/index.js';
import { addMember, createCollection, CREDIT_POINTS } from '../../src/intel/index.js';
import { createToken, openDataStore, serve, type Running } from '../../src/server/index.js';
import { ensureConsoleBuilt, launchChromium, WEB_DIST } from './browser.js';
import { tempDir } from './cli.js';

/**
 * The console's Intel section end to end, in a real headless Chromium against a real
 * `lianfang serve --hub`: three member banks share indicators and sightings over TAXII with
 * HTTP Basic, the hub raises a sector alert and counts credit, and an analyst reads it all —
 * sector alert, aged indicators, correlation, the contribution ledger and its CSV export.
 */

const TAXII = 'application/taxii+json;version=2.1';
const MEMBERS = ['bank-a', 'bank-b', 'bank-c'] as const;
const password = (m: string): string => `${m}-correct-horse-battery`;

type Json = Record<string, unknown>;

/** RFC 4180, enough for the export: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();
let n = 0;
const uuid = (): string => `6c1e2d3f-4a5b-4c6d-8e7f-${(++n).toString(16).padStart(12, '0')}`;

function indicator(name: string, pattern: string, extra: Json = {}): Json {
  const at = iso(3600_000);
  return { type: 'indicator', spec_version: '2.1', id: `indicator--${uuid()}`, created: at, modified: at, name, pattern, pattern_type: 'stix', valid_from: at, ...extra };
}

function sighting(of: Json, count: number, extra: Json = {}): Json {
  const at = iso(1800_000);
  return { type: 'sighting', spec_version: '2.1', id: `sighting--${uuid()}`, created: at, modified: at, sighting_of_ref: of['id'], count, first_seen: at, last_seen: at, ...extra };
}

const C2_IP = '203.0.113.77';
const HARVEST = 'login-verify.bank-update.test';
/** bank-a shares a C2 address with ATT&CK context and high confidence: first report, corroborated by bank-b and bank-c. */
const C2 = indicator('Phishing kit C2 (e2e)', `[ipv4-addr:value = '${C2_IP}']`, {
  confidence: 80, kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'command-and-control' }],
});
/** bank-b shares a domain first; bank-c flags it as a false positive. */
const HARVEST_DOMAIN = indicator('Credential harvest domain (e2e)', `[domain-name:value = '${HARVEST}']`);
/** bank-c shares the same C2 address later: no first report. */
const C2_AGAIN = indicator('Same C2 seen at bank-c (e2e)', `[ipv4-addr:value = '${C2_IP}']`);

/** What the ledger must say, by the scheme in src/intel/hub/credit.ts. */
const P = CREDIT_POINTS;
const EXPECTED = [
  { member: 'bank-a', rank: 1, points: 2 * P.corroboration + P.firstReport + P.attackContext + P.confidence, shared: 1, corroborations: 2, first_reports: 1, false_positives: 0, with_attack_context: 1, confident: 1, sightings_sent: 0, known_benign: 0 },
  { member: 'bank-b', rank: 2, points: P.firstReport + P.falsePositive + P.sightingSent, shared: 1, corroborations: 0, first_reports: 1, false_positives: 1, with_attack_context: 0, confident: 0, sightings_sent: 1, known_benign: 0 },
  { member: 'bank-c', rank: 3, points: P.sightingSent, shared: 1, corroborations: 0, first_reports: 0, false_positives: 0, with_attack_context: 0, confident: 0, sightings_sent: 1, known_benign: 0 },
];
const COLUMNS = ['rank', 'member', 'points', 'shared', 'corroborations', 'first_reports', 'false_positives', 'with_attack_context', 'confident', 'sightings_sent', 'known_benign'] as const;

async function cellTexts(rows: Locator, cols: readonly string[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const row of await rows.all()) {
    const cells: string[] = [];
    for (const c of cols) cells.push(((await row.locator(`[data-col="${c}"]`).textContent()) ?? '').replace(/\s*\([^)]*\)$/, '').trim());
    out.push(cells);
  }
  return out;
}

describe('the Intel console at the sector hub, in a browser', () => {
  const { dir, cleanup } = tempDir('lianfang-intel-console-');
  let server: Running;
  let browser: Browser;
  let page: Page;
  let analyst: string;
  let collection: string;
  const pageErrors: string[] = [];
  const serverLog: string[] = [];

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${analyst}` } });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** A member posts by TAXII 2.1 with HTTP Basic, as OpenCTI or MISP would. */
  async function post(member: string, objects: Json[]): Promise<void> {
    const res = await fetch(`${server.url}/taxii2/intel/collections/${collection}/objects/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${member}:${password(member)}`).toString('base64')}`, 'content-type': TAXII, accept: TAXII },
      body: JSON.stringify({ objects }),
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body['success_count'], objects.length, JSON.stringify(body));
  }

  const intelNav = (name: RegExp): Locator => page.getByRole('navigation', { name: 'Intel sections' }).getByRole('link', { name });

  before(async () => {
    ensureConsoleBuilt();
    const store = await openDataStore(dir);
    try {
      const ctx = systemContext();
      for (const m of MEMBERS) await addMember(store.db, ctx, m, password(m));
      collection = (await createCollection(store.db, ctx, { title: 'Sector indicators', readers: ['*'], writers: ['*'] })).id;
      analyst = (await createToken(store.db, ctx, 'analyst', 'isac-analyst')).token;
    } finally {
      await store.close();
    }
    server = await serve({ dataDir: dir, http: 0, hub: true, webRoot: WEB_DIST, log: (line) => serverLog.push(line) });
    await post('bank-a', [C2]);
    await post('bank-b', [HARVEST_DOMAIN]);
    await post('bank-b', [sighting(C2, 3)]);
    await post('bank-c', [sighting(C2, 1)]);
    await post('bank-c', [C2_AGAIN, sighting(HARVEST_DOMAIN, 1, { x_lianfang_false_positive: true })]);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark', acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Signed in as').waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    cleanup();
  });

  it('opens the Intel section on the overview: hub mode, the counts, and the TAXII discovery URL that answers', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Intel/ }).click();
    await page.waitForURL(/\/intel$/);
    await page.locator('[data-intel="mode"]').filter({ hasText: 'sector hub' }).waitFor();
    await page.locator('[data-intel="sector_alerts"]').filter({ hasText: /^1$/ }).waitFor();
    assert.equal(await page.locator('[data-intel="members"]').textContent(), '3');
    assert.equal(await page.locator('[data-intel="collections"]').textContent(), '1');
    assert.equal(await page.locator('[data-intel="indicators"]').textContent(), '3');
    assert.equal(await page.locator('[data-intel="sightings"]').textContent(), '3');
    const taxii = (await page.locator('[data-intel="taxii-url"]').textContent()) ?? '';
    assert.equal(taxii, `${server.url}/taxii2/`);
    const discovery = await fetch(taxii, { headers: { authorization: `Basic ${Buffer.from(`bank-a:${password('bank-a')}`).toString('base64')}`, accept: TAXII } });
    assert.equal(discovery.status, 200, 'the URL shown is the discovery endpoint a TAXII client needs');
    assert.ok(Array.isArray(((await discovery.json()) as Json)['api_roots']));
    const members = page.getByRole('table', { name: 'Members' });
    for (const m of MEMBERS) await members.getByRole('row', { name: new RegExp(m) }).waitFor();
  });

  it('shows the sector alert with the indicator and both members that sighted it', async () => {
    await intelNav(/^Sector alerts/).click();
    await page.waitForURL(/\/intel\/sector-alerts$/);
    const table = page.getByRole('table', { name: 'Sector alerts' });
    const row = table.getByRole('row', { name: /Phishing kit C2 \(e2e\)/ });
    await row.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    const chips = row.getByRole('list', { name: 'Members who sighted Phishing kit C2 (e2e)' }).getByRole('listitem');
    assert.deepEqual(await chips.allTextContents(), ['bank-b', 'bank-c']);
    assert.deepEqual(await row.locator('td.num').allTextContents(), ['4'], 'three sightings from bank-b, one from bank-c');
    assert.equal(await row.locator('.badge').textContent(), 'open');
  });

  it('lists indicators by score with the scores the API gives, and filters them', async () => {
    await intelNav(/^Indicators/).click();
    await page.waitForURL(/\/intel\/indicators$/);
    const aged = await api<{ items: Array<{ id: string; name: string; score: number }> }>('/api/v1/intel/indicators?limit=500');
    const table = page.getByRole('table', { name: 'Indicators' });
    await table.locator(`tr[data-indicator="${C2['id']}"]`).waitFor();
    const shown: Array<[string | null, string | null]> = [];
    for (const r of await table.locator('tbody tr[data-indicator]').all()) shown.push([await r.getAttribute('data-indicator'), await r.locator('[data-score]').textContent()]);
    assert.deepEqual(shown, aged.items.map((i) => [i.id, i.score.toFixed(1)]), 'same order and scores as the API');
    assert.equal(shown[0]![0], C2['id'], 'the confident, freshly sighted C2 scores highest');
    const c2 = aged.items.find((i) => i.id === C2['id'])!;
    assert.ok(c2.score > 79 && c2.score <= 80, `confidence 80, sighted half an hour ago: ${c2.score}`);
    assert.match((await table.locator(`tr[data-indicator="${C2['id']}"]`).textContent()) ?? '', /Phishing kit C2 \(e2e\)/);

    await page.getByRole('search', { name: 'Indicator filter' }).getByLabel('Filter').fill('credential');
    await page.waitForURL(/\?q=credential/);
    await table.locator('tbody tr[data-indicator]').first().and(page.locator(`[data-indicator="${HARVEST_DOMAIN['id']}"]`)).waitFor();
    assert.equal(await table.locator('tbody tr[data-indicator]').count(), 1);
    await page.getByRole('search', { name: 'Indicator filter' }).getByLabel('Filter').fill('');
    await page.waitForURL((url) => !url.search.includes('q='));
    await table.locator('tbody tr[data-indicator]').nth(2).waitFor();
  });

  it('correlates a clicked value across members, and a typed one, and shows a refused value’s error', async () => {
    const table = page.getByRole('table', { name: 'Indicators' });
    await table.locator(`tr[data-indicator="${C2['id']}"]`).getByRole('button', { name: `Correlate ${C2_IP}` }).click();
    await page.waitForURL(/value=ipv4-addr%3Avalue%3D203\.0\.113\.77/);
    const panel = page.getByRole('complementary', { name: 'Correlation' });
    const members = panel.getByRole('list', { name: 'Members linked to this value' }).getByRole('listitem');
    await members.first().waitFor();
    assert.deepEqual(await members.allTextContents(), ['bank-a', 'bank-b', 'bank-c']);
    const linked = panel.getByRole('table', { name: 'Linked indicators' });
    assert.equal(await linked.locator('tbody tr').count(), 2, 'the C2 and bank-c’s copy of it');
    const first = linked.getByRole('row', { name: /Phishing kit C2 \(e2e\)/ });
    assert.deepEqual(await first.getByRole('list', { name: /^Shared/ }).getByRole('listitem').allTextContents(), ['bank-a']);
    assert.deepEqual(await first.getByRole('list', { name: /^Sighted/ }).getByRole('listitem').allTextContents(), ['bank-b', 'bank-c']);

    const lookup = page.getByRole('search', { name: 'Correlation lookup' });
    await lookup.getByLabel('Correlate a value').fill(HARVEST.toUpperCase());
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await page.waitForURL(/value=domain-name%3Avalue%3Dlogin-verify/);
    await panel.getByRole('heading', { name: new RegExp(HARVEST.replace(/\./g, '\\.')) }).waitFor();
    await panel.getByRole('row', { name: /Credential harvest domain/ }).waitFor();
    assert.deepEqual(await panel.getByRole('list', { name: 'Members linked to this value' }).getByRole('listitem').allTextContents(), ['bank-b'], 'a false-positive report links no one');

    await page.goto(`${server.url}/intel/indicators?value=not-a-key`);
    await page.getByRole('complementary', { name: 'Correlation' }).getByRole('alert').filter({ hasText: 'VALUE_INVALID' }).waitFor();
  });

  it('ranks the members in the contribution ledger with the scheme’s points, charts them and exports the same rows as CSV', async () => {
    await intelNav(/^Contribution ledger/).click();
    await page.waitForURL(/\/intel\/ledger$/);
    const table = page.getByRole('table', { name: 'Contribution ledger' });
    await table.locator('tr[data-member="bank-c"]').waitFor();
    const credit = await api<{ points: Json; items: Json[] }>('/api/v1/intel/credit');
    assert.deepEqual(credit.items, EXPECTED, 'the hub counted what the scenario earns');
    assert.deepEqual(credit.points, CREDIT_POINTS);

    const shown = await cellTexts(table.locator('tbody tr[data-member]'), COLUMNS);
    assert.deepEqual(shown, EXPECTED.map((s) => COLUMNS.map((c) => String(s[c]))), 'the page shows the API’s standings, best first');
    const scheme = page.getByRole('list', { name: 'Points scheme' });
    assert.match((await scheme.locator('[data-points="corroboration"]').textContent()) ?? '', new RegExp(`^\\+${P.corroboration} Corroborations`));
    assert.match((await scheme.locator('[data-points="falsePositive"]').textContent()) ?? '', new RegExp(`^−${-P.falsePositive} False positives`));
    const bars = page.getByRole('list', { name: 'Points by member' }).getByRole('listitem');
    const labels = await Promise.all((await bars.all()).map((b) => b.getAttribute('aria-label')));
    assert.deepEqual(labels, EXPECTED.map((s) => `${s.member}: ${s.points} points`));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^lianfang-contribution-ledger-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
    assert.deepEqual(csv[0], [...COLUMNS]);
    assert.deepEqual(csv.slice(1), shown, 'the file holds the rows the table shows');
  });

  it('lists the collection with its rights and object count, and no page error or server problem happened', async () => {
    await intelNav(/^Collections/).click();
    await page.waitForURL(/\/intel\/collections$/);
    const row = page.getByRole('table', { name: 'Collections' }).locator(`tr[data-collection="${collection}"]`);
    await row.waitFor();
    const [c] = (await api<{ items: Array<{ id: string; objects: number }> }>('/api/v1/intel/collections')).items;
    assert.equal(c!.id, collection);
    assert.equal(c!.objects, 6, 'three indicators and three sightings');
    assert.match((await row.textContent()) ?? '', /Sector indicators.*every member.*every member.*no\s*6/s);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(serverLog.filter((l) => /fail|problem/i.test(l)), []);
    assert.ok(serverLog.some((l) => /sector alert — Phishing kit C2 \(e2e\) sighted by 2 members \(bank-b, bank-c\)/.test(l)), serverLog.join('\n'));
  });

  it('tracks a vulnerability disclosure: routed with an embargo, who has acknowledged', async () => {
    const send = async (path: string, body: unknown): Promise<Json> => {
      const res = await fetch(server.url + path, { method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.ok(res.status < 300, `${path}: ${res.status} ${await res.clone().text()}`);
      return (await res.json()) as Json;
    };
    const d = await send('/api/v1/intel/disclosures', {
      title: 'Session fixation in the e-banking portal', description: 'The session id survives login.', reporter: 'A researcher <r@example.tw>',
      vendor: 'ExampleSoft', product: 'PortalX', affected_versions: '< 3.4', cvss: 7.5,
    });
    await send(`/api/v1/intel/disclosures/${String(d['id'])}/transition`, { to: 'triaged' });
    await send(`/api/v1/intel/disclosures/${String(d['id'])}/transition`, { to: 'routed', recipients: ['bank-b', 'bank-c'], embargo_until: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    await intelNav(/^Disclosures/).click();
    await page.waitForURL(/\/intel\/disclosures$/);
    const row = page.getByRole('table', { name: 'Vulnerability disclosures' }).locator(`tr[data-disclosure="${String(d['number'])}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /Session fixation in the e-banking portal/);
    assert.match(text, /routed/i);
    assert.match(text, /in 29d|in 30d/, 'the embargo end is ahead, and says so');
    assert.match(text, /bank-b · waiting.*bank-c · waiting/s);
  });
});

describe('the Intel console at a member whose hub does not answer, before any intel arrived', () => {
  const { dir, cleanup } = tempDir('lianfang-intel-member-');
  let server: Running;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  // Port 1 on loopback: nothing listens, so every sync fails at once.
  const hubUrl = 'http://127.0.0.1:1/taxii2/';

  before(async () => {
    ensureConsoleBuilt();
    const store = await openDataStore(dir);
    let analyst: string;
    try {
      analyst = (await createToken(store.db, systemContext(), 'analyst', 'soc')).token;
    } finally {
      await store.close();
    }
    server = await serve({ dataDir: dir, http: 0, webRoot: WEB_DIST, hubConnection: { url: hubUrl, auth: { user: 'bank-z', password: password('bank-z') }, pollMs: 200 }, log: () => undefined });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/intel`);
    await page.getByLabel('API token').fill(analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Signed in as').waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    cleanup();
  });

  it('shows the link to the hub with its failure, not a blank', async () => {
    await page.locator('[data-intel="mode"]').filter({ hasText: 'member' }).waitFor();
    const link = page.getByLabel('Hub link');
    await link.getByRole('link', { name: hubUrl }).waitFor();
    // The overview polls every 15 s; the first sync may not have failed yet at the first read.
    await expectSoon(async () => ((await page.locator('[data-intel="last-error"]').getByRole('alert').count()) > 0 ? true : (await page.reload(), false)));
    assert.notEqual(((await page.locator('[data-intel="last-error"]').textContent()) ?? '').trim(), '');
    assert.match((await page.locator('[data-intel="last-sync"]').textContent()) ?? '', /^never/);
  });

  it('says on each empty page what to do', async () => {
    const nav = (name: RegExp): Promise<void> => page.getByRole('navigation', { name: 'Intel sections' }).getByRole('link', { name }).click();
    await nav(/^Sector alerts/);
    await page.getByRole('table', { name: 'Sector alerts' }).getByText(/sector alerts are raised at the hub/).waitFor();
    await nav(/^Indicators/);
    await page.getByRole('table', { name: 'Indicators' }).getByText(/No indicators yet: members share them by TAXII/).waitFor();
    await nav(/^Contribution ledger/);
    await page.getByRole('table', { name: 'Contribution ledger' }).getByText(/kept at the hub/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Export CSV' }).isDisabled(), true, 'nothing to export');
    await nav(/^Collections/);
    await page.getByRole('table', { name: 'Collections' }).getByText(/No collections: create one with lianfang intel collection create/).waitFor();
    assert.deepEqual(pageErrors, []);
  });
});

async function expectSoon(probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const t = Date.now();
  while (!(await probe())) {
    if (Date.now() - t > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 300));
  }
}
