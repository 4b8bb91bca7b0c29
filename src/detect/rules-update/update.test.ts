import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_RELEASE_URL, MANIFEST_FILE, updateRules, type RulesUpdateOptions } from './index.js';
import { HAVE_SIGMA, makeTarGz, makeZip, sampleRules, sha256, SIGMA_DIR, type Item } from './archives.suite.js';

// ---- the corpus: real SigmaHQ rules read from shared data at test time, plus junk ----

const TAG = 'r2099-01-01';
const SAMPLE = HAVE_SIGMA ? sampleRules(302) : new Map<string, Buffer>();
const paths = [...SAMPLE.keys()];
const V1_RULES = paths.slice(0, 300);
const BROKEN: Record<string, string> = {
  'rules/windows/zz_broken/bad_yaml.yml': 'title: broken\ndetection: [\n',
  'rules/windows/zz_broken/no_title.yml': 'detection:\n  sel:\n    a: 1\n  condition: sel\n',
  'rules/windows/zz_broken/a_list.yml': '- not\n- a rule\n',
  'rules/windows/zz_broken/no_detection.yml': 'title: only a title\nlevel: high\n',
};
const EXTRAS: Record<string, string | Buffer> = HAVE_SIGMA
  ? {
      'LICENSE.Detection.Rules.md': readFileSync(join(SIGMA_DIR, 'LICENSE.Detection.Rules.md')),
      'rules/README.md': readFileSync(join(SIGMA_DIR, 'rules', 'README.md')),
      'tests/test_logsource.py': 'print("not a rule")\n',
      'deprecated/windows/old_rule.yml': SAMPLE.get(paths[0]!) ?? '',
    }
  : {};

type Corpus = Map<string, string | Buffer>;

function corpus(rules: readonly string[], changed: readonly string[] = []): Corpus {
  const files: Corpus = new Map(Object.entries(EXTRAS));
  for (const path of rules) {
    const data = SAMPLE.get(path)!;
    files.set(path, changed.includes(path) ? Buffer.concat([data, Buffer.from('# locally changed\n')]) : data);
  }
  for (const [path, text] of Object.entries(BROKEN)) files.set(path, text);
  return files;
}

const items = (files: Corpus, prefix = ''): Item[] => [...files].map(([name, data]) => ({ name: prefix + name, data }));

// v2: 3 rules changed, 5 removed, 2 added.
const CHANGED = V1_RULES.slice(10, 13);
const V2_RULES = [...V1_RULES.slice(0, 295), ...paths.slice(300, 302)];
const V1 = corpus(V1_RULES);
const V2 = corpus(V2_RULES, CHANGED);
const zipV1 = makeZip(items(V1));
const tgzV1 = makeTarGz(items(V1, `sigma-${TAG}/`), { globalComment: '0123456789abcdef' });
const tgzV2 = makeTarGz(items(V2, `sigma-${TAG}/`));

// ---- a real HTTP server on 127.0.0.1 ----

interface Route {
  body?: string | Buffer;
  status?: number;
  headers?: Record<string, string>;
}

const routes = new Map<string, Route>();
let server: Server;
let base = '';

function serve(path: string, route: Route): string {
  routes.set(path, route);
  return base + path;
}

/** A release document in the shape of GitHub's `GET /repos/{owner}/{repo}/releases/latest`. */
function releaseDoc(assets: { name: string; body: Buffer; digest?: string | null }[]): string {
  return JSON.stringify({
    url: `${base}/repos/SigmaHQ/sigma/releases/1`,
    html_url: `${base}/SigmaHQ/sigma/releases/tag/${TAG}`,
    id: 1,
    tag_name: TAG,
    name: `Release ${TAG}`,
    draft: false,
    prerelease: false,
    published_at: '2099-01-01T00:00:00Z',
    assets: assets.map((a, i) => {
      // The download URL redirects to storage elsewhere, as github.com does.
      const stored = serve(`/storage/${i}/${a.name}`, { body: a.body });
      return {
        url: `${base}/repos/SigmaHQ/sigma/releases/assets/${i}`,
        id: i,
        name: a.name,
        label: '',
        content_type: 'application/zip',
        state: 'uploaded',
        size: a.body.length,
        digest: a.digest === undefined ? `sha256:${sha256(a.body)}` : a.digest,
        browser_download_url: serve(`/SigmaHQ/sigma/releases/download/${TAG}/${a.name}`, {
          status: 302,
          headers: { location: stored },
        }),
      };
    }),
    tarball_url: `${base}/repos/SigmaHQ/sigma/tarball/${TAG}`,
    zipball_url: `${base}/repos/SigmaHQ/sigma/zipball/${TAG}`,
    body: '### New Rules\n',
  });
}

function serveRelease(path: string, assets: Parameters<typeof releaseDoc>[0]): string {
  return serve(path, { body: releaseDoc(assets), headers: { 'content-type': 'application/json' } });
}

before(async () => {
  server = createServer((req, res) => {
    const route = routes.get(req.url ?? '');
    if (!route) return void res.writeHead(404).end('Not Found');
    const body = route.body ?? '';
    res.writeHead(route.status ?? 200, { 'content-length': Buffer.byteLength(body), ...route.headers });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

// ---- helpers ----

const scratch: string[] = [];
after(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

async function freshDest(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lianfang-rules-test-'));
  scratch.push(dir);
  return join(dir, 'rules');
}

/** Every file under `dir` (hidden ones too) with its hash, to prove a folder was not touched. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, sha256(await readFile(path)));
  }
  return out;
}

async function installed(dest: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dest, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name).slice(dest.length + 1));
  }
  return out.sort();
}

async function installV1(dest: string): Promise<void> {
  await updateRules({ dest, from: serve('/v1/sigma_all_rules.zip', { body: zipV1 }) });
}

async function assertRefused(opts: RulesUpdateOptions, expected: { code: string; message?: RegExp }): Promise<void> {
  const dest = opts.dest!;
  const before = await snapshot(dest);
  await assert.rejects(updateRules(opts), expected);
  assert.deepEqual(await snapshot(dest), before, 'the installed rules must be left exactly as they were');
  assert.deepEqual(await readdir(dirname(dest)), ['rules'], 'no temporary folder may be left behind');
}

// ---- tests ----

describe('lianfang rules update', { skip: HAVE_SIGMA ? false : 'shared Sigma data not found' }, () => {
  test('installs sigma_all_rules.zip from a GitHub release document, checking its digest', async () => {
    const dest = await freshDest();
    const doc = serveRelease('/repos/SigmaHQ/sigma/releases/latest', [
      { name: 'sigma_core.zip', body: makeZip([]) },
      { name: 'sigma_all_rules.zip', body: zipV1 },
      { name: 'sigma_emerging_threats_addon.zip', body: makeZip([]) },
    ]);
    const phases = new Map<string, { done: number; total?: number }>();
    const result = await updateRules({ dest, from: doc, onProgress: (p) => phases.set(p.phase, p) });

    assert.equal(result.version, TAG);
    assert.equal(result.source, `${base}/SigmaHQ/sigma/releases/download/${TAG}/sigma_all_rules.zip`);
    assert.equal(result.sha256, sha256(zipV1));
    assert.deepEqual(result.checkedAgainst, ['the release']);
    assert.equal(result.dest, dest);
    assert.deepEqual(
      [result.ruleFiles, result.added, result.changed, result.removed, result.skipped],
      [300, 300, 0, 0, 2],
    );
    assert.deepEqual(
      result.rejected,
      [
        { path: 'rules/windows/zz_broken/a_list.yml', reason: 'not a Sigma rule: the top level is not a mapping' },
        { path: 'rules/windows/zz_broken/bad_yaml.yml', reason: result.rejected[1]!.reason },
        { path: 'rules/windows/zz_broken/no_detection.yml', reason: "not a Sigma rule: no 'detection', 'correlation' or 'filter' section" },
        { path: 'rules/windows/zz_broken/no_title.yml', reason: "not a Sigma rule: no 'title'" },
      ],
    );
    assert.match(result.rejected[1]!.reason, /^YAML error: /);

    const files = await installed(dest);
    assert.deepEqual(files, [MANIFEST_FILE, 'LICENSE.Detection.Rules.md', ...V1_RULES, 'rules/README.md'].sort());
    assert.deepEqual(await readFile(join(dest, V1_RULES[7]!)), SAMPLE.get(V1_RULES[7]!));
    const manifest = JSON.parse(await readFile(join(dest, MANIFEST_FILE), 'utf8'));
    assert.equal(manifest.source, result.source);
    assert.equal(manifest.sha256, result.sha256);
    assert.equal(manifest.version, TAG);
    assert.equal(manifest.ruleFiles, 300);
    assert.ok(!Number.isNaN(Date.parse(manifest.installedAt)));

    assert.deepEqual(phases.get('download'), { phase: 'download', done: zipV1.length, total: zipV1.length });
    assert.deepEqual(phases.get('verify'), { phase: 'verify', done: 304, total: 304 });
    assert.deepEqual(phases.get('extract'), { phase: 'extract', done: 302, total: 302 });
  });

  test('installs a source .tar.gz from a direct URL, stripping the sigma-<tag>/ folder', async () => {
    const dest = await freshDest();
    const result = await updateRules({ dest, from: serve(`/archive/refs/tags/${TAG}.tar.gz`, { body: tgzV1 }) });
    assert.equal(result.version, TAG);
    assert.deepEqual(result.checkedAgainst, []);
    assert.equal(result.ruleFiles, 300);
    assert.equal(result.rejected.length, 4);
    assert.deepEqual(
      result.rejected.map((r) => r.path),
      Object.keys(BROKEN).map((p) => `sigma-${TAG}/${p}`).sort(),
    );
    assert.ok(existsSync(join(dest, V1_RULES[0]!)));

    // The same rules from the zip change nothing.
    const again = await updateRules({ dest, from: serve('/same/sigma_all_rules.zip', { body: zipV1 }) });
    assert.deepEqual([again.added, again.changed, again.removed], [0, 0, 0]);
  });

  test('installs from a local file, checking --sha256 when given', async () => {
    const dest = await freshDest();
    const file = join(dirname(dest), 'downloads', 'sigma_all_rules.zip');
    await mkdir(dirname(file));
    await writeFile(file, zipV1);
    const result = await updateRules({ dest, from: file, sha256: sha256(zipV1).toUpperCase() });
    assert.equal(result.source, file);
    assert.deepEqual(result.checkedAgainst, ['--sha256']);
    assert.equal(result.ruleFiles, 300);
    await assert.rejects(updateRules({ dest, from: join(dirname(file), 'nope.zip') }), { code: 'rules_update.bad_source', message: /no such file/ });
    await assert.rejects(updateRules({ dest, from: dirname(file) }), { code: 'rules_update.bad_source', message: /is a folder/ });
  });

  test('a second update reports added, changed and removed rule files', async () => {
    const dest = await freshDest();
    await installV1(dest);
    const result = await updateRules({ dest, from: serve('/v2/sigma.tar.gz', { body: tgzV2 }) });
    assert.deepEqual([result.ruleFiles, result.added, result.changed, result.removed], [297, 2, 3, 5]);
    for (const gone of V1_RULES.slice(295)) assert.ok(!existsSync(join(dest, gone)), `${gone} should be gone`);
    for (const added of paths.slice(300)) assert.ok(existsSync(join(dest, added)), `${added} should be there`);
    assert.match(await readFile(join(dest, CHANGED[0]!), 'utf8'), /# locally changed\n$/);
    assert.deepEqual(await readdir(dirname(dest)), ['rules'], 'the old folder and the lock are cleaned up');
  });

  test('a digest mismatch refuses the update and leaves the old rules untouched', async () => {
    const dest = await freshDest();
    await installV1(dest);
    const tampered = Buffer.from(zipV1);
    const doc = serveRelease('/mismatch/releases/latest', [{ name: 'sigma_all_rules.zip', body: tampered, digest: `sha256:${'0'.repeat(64)}` }]);
    await assertRefused({ dest, from: doc }, { code: 'rules_update.digest_mismatch', message: /the release says 0{64}.*left unchanged/ });
    const direct = serve('/pinned/sigma_all_rules.zip', { body: zipV1 });
    await assertRefused({ dest, from: direct, sha256: 'f'.repeat(64) }, { code: 'rules_update.digest_mismatch', message: /--sha256 says f{64}/ });
    await assert.rejects(updateRules({ dest, from: direct, sha256: 'abc' }), { code: 'rules_update.bad_sha256' });
  });

  test('a corrupt archive refuses the update and leaves the old rules untouched', async () => {
    const dest = await freshDest();
    await installV1(dest);
    const flipped = Buffer.from(zipV1);
    for (let i = 0; i < 64; i++) flipped[Math.floor(zipV1.length / 2) + i]! ^= 0x5a;
    await assertRefused({ dest, from: serve('/bad/flipped.zip', { body: flipped }) }, { code: 'rules_update.archive_corrupt', message: /damaged/ });
    const truncated = tgzV1.subarray(0, tgzV1.length - 1000);
    await assertRefused({ dest, from: serve('/bad/truncated.tar.gz', { body: truncated }) }, { code: 'rules_update.archive_corrupt' });
    const page = serve('/bad/page.zip', { body: '<html><body>Rate limited</body></html>' });
    await assertRefused({ dest, from: page }, { code: 'rules_update.not_an_archive', message: /error page/ });
    const json = serve('/bad/error.json', { body: '{"message": "Not Found"}' });
    await assertRefused({ dest, from: json }, { code: 'rules_update.bad_release', message: /it says: Not Found/ });
  });

  test('zip-slip names and symlinks are rejected while the rest installs', async () => {
    const dest = await freshDest();
    const hostile = makeZip([
      ...items(V1),
      { name: '../evil.yml', data: SAMPLE.get(paths[0]!)! },
      { name: 'rules/../../evil2.yml', data: SAMPLE.get(paths[0]!)! },
      { name: '/tmp/lianfang-evil.yml', data: SAMPLE.get(paths[0]!)! },
      { name: 'rules/windows/passwd.yml', data: '../../../../../etc/passwd', unixMode: 0o120777 },
    ]);
    const result = await updateRules({ dest, from: serve('/hostile/sigma_all_rules.zip', { body: hostile }) });
    assert.equal(result.ruleFiles, 300);
    const reasons = new Map(result.rejected.map((r) => [r.path, r.reason]));
    assert.match(reasons.get('../evil.yml')!, /climbs out/);
    assert.match(reasons.get('rules/../../evil2.yml')!, /climbs out/);
    assert.match(reasons.get('/tmp/lianfang-evil.yml')!, /absolute/);
    assert.match(reasons.get('rules/windows/passwd.yml')!, /symbolic link/);
    assert.deepEqual(await readdir(dirname(dest)), ['rules']);
    assert.ok(!existsSync(join(dest, 'rules/windows/passwd.yml')));
    assert.ok(!existsSync('/tmp/lianfang-evil.yml'));
  });

  test('an archive with no valid rule is refused', async () => {
    const dest = await freshDest();
    await installV1(dest);
    const junk = makeZip(items(new Map(Object.entries({ ...BROKEN, 'LICENSE': 'x' }))));
    await assertRefused({ dest, from: serve('/junk/a.zip', { body: junk }) }, { code: 'rules_update.no_rules', message: /all 4 rule files were rejected/ });
    const other = makeZip([{ name: 'src/main.py', data: 'x' }]);
    await assertRefused({ dest, from: serve('/junk/b.zip', { body: other }) }, { code: 'rules_update.no_rules', message: /is it a Sigma rules archive/ });
  });

  test('a folder that lianfang did not install is never replaced', async () => {
    const dest = await freshDest();
    await mkdir(dest);
    await writeFile(join(dest, 'my-notes.txt'), 'precious');
    await assert.rejects(updateRules({ dest, from: serve('/v1/a.zip', { body: zipV1 }) }), { code: 'rules_update.dest_not_managed' });
    assert.equal(await readFile(join(dest, 'my-notes.txt'), 'utf8'), 'precious');
  });

  test('a running update holds a lock; a stale lock is taken over', async () => {
    const dest = await freshDest();
    const lockFile = join(dirname(dest), '.rules.lock');
    await writeFile(lockFile, String(process.pid));
    await assert.rejects(installV1(dest), { code: 'rules_update.locked', message: new RegExp(`process ${process.pid}`) });
    await writeFile(lockFile, '2147483646'); // no such process
    await installV1(dest);
    assert.ok(!existsSync(lockFile));
  });

  test('leftovers of a crashed update are cleaned up and the old rules restored', async () => {
    const dest = await freshDest();
    await installV1(dest);
    await rename(dest, join(dirname(dest), '.rules.old-1-1')); // died between the two renames
    await mkdir(join(dirname(dest), '.rules.new-abc'));
    const result = await updateRules({ dest, from: serve('/v1/again.zip', { body: zipV1 }) });
    assert.deepEqual([result.added, result.changed, result.removed], [0, 0, 0]);
    assert.deepEqual(await readdir(dirname(dest)), ['rules']);
  });

  test('network and HTTP failures give a plain message with the offline hint', async () => {
    const dest = await freshDest();
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    await assert.rejects(updateRules({ dest, from: `http://127.0.0.1:${port}/sigma_all_rules.zip` }), {
      code: 'rules_update.unreachable',
      message: new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: connection refused — use --from FILE with a downloaded sigma_all_rules\\.zip`),
    });
    await assert.rejects(updateRules({ dest, from: `${base}/missing.zip` }), { code: 'rules_update.http_status', message: /not found/ });
    const limited = serve('/limited', { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4070908800' }, body: '{}' });
    await assert.rejects(updateRules({ dest, from: limited }), { code: 'rules_update.rate_limited', message: /rate limit.*--from FILE/ });
    const noAsset = serveRelease('/no-asset/latest', [
      { name: 'sigma_core.zip', body: zipV1 },
      { name: 'sigma_core+.zip', body: zipV1 },
    ]);
    await assert.rejects(updateRules({ dest, from: noAsset }), { code: 'rules_update.no_asset', message: /assets: sigma_core\.zip, sigma_core\+\.zip/ });
    assert.ok(!existsSync(dest));
  });

  test('plain http to another host is refused unless the archive is pinned with --sha256', async () => {
    const dest = await freshDest();
    const from = 'http://rules.example.com/sigma_all_rules.zip';
    const refuse: typeof fetch = () => assert.fail('must not connect');
    await assert.rejects(updateRules({ dest, from, fetch: refuse }), { code: 'rules_update.insecure_url' });
    const fake: typeof fetch = async () => new Response(zipV1);
    const result = await updateRules({ dest, from, fetch: fake, sha256: sha256(zipV1) });
    assert.equal(result.ruleFiles, 300);
  });

  test('by default it asks the GitHub API for SigmaHQ\'s latest release', async () => {
    const dest = await freshDest();
    const download = `https://github.com/SigmaHQ/sigma/releases/download/${TAG}/sigma_all_rules.zip`;
    const storage = 'https://objects.githubusercontent.com/release-asset/sigma_all_rules.zip?sig=x';
    const doc = JSON.parse(releaseDoc([{ name: 'sigma_all_rules.zip', body: zipV1 }]));
    doc.assets[0].browser_download_url = download;
    const asked: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      const url = String(input);
      asked.push(`${url} ${new Headers(init?.headers).get('accept')}`);
      if (url === DEFAULT_RELEASE_URL) return Response.json(doc);
      if (url === download) return new Response(null, { status: 302, headers: { location: storage } });
      if (url === storage) return new Response(zipV1);
      return new Response('nope', { status: 404 });
    };
    const result = await updateRules({ dest, fetch: fake });
    assert.equal(result.version, TAG);
    assert.equal(result.source, download);
    assert.deepEqual(result.checkedAgainst, ['the release']);
    assert.deepEqual(asked, [
      `${DEFAULT_RELEASE_URL} application/vnd.github+json, application/json;q=0.9, */*;q=0.5`,
      `${download} */*`,
      `${storage} */*`,
    ]);
  });
});
