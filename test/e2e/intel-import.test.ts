import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { mispEventToStix } from '../../src/intel/index.js';
import { DATA, lianfang, startServe, stopChild, tempDir, type Run, type ServeChild } from './cli.js';

const FEED = join(DATA, 'misp', 'feed');
const BUNDLE = join(DATA, 'stix', 'cti-documentation-examples', 'indicator-for-malicious-url.json');
const PASSWORD = 'correct horse battery';

interface Line {
  readonly stored: number;
  readonly already: number;
  readonly invalid: number;
}

/** The `<source>: N stored (M already there), K invalid` lines, by source. */
function summary(run: Run): Record<string, Line> {
  const out: Record<string, Line> = {};
  for (const line of run.stdout.split('\n').filter(Boolean)) {
    const m = /^(.+): (\d+) stored \((\d+) already there\), (\d+) invalid$/.exec(line);
    assert.ok(m, `not a summary line: ${line}`);
    out[m[1]!] = { stored: Number(m[2]), already: Number(m[3]), invalid: Number(m[4]) };
  }
  return out;
}

interface Row {
  readonly id: string;
  readonly version: string;
  readonly origin: string;
  readonly tlp: string;
}

function rows(data: string, alias: string): Row[] {
  const db = new BetterSqlite3(join(data, 'lianfang.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT o.id, o.version, o.origin, o.tlp FROM stix_objects o JOIN taxii_collections c ON c.id = o.collection_id WHERE c.alias = ? OR c.id = ?').all(alias, alias) as Row[];
  } finally {
    db.close();
  }
}

describe('lianfang intel import from files', () => {
  const { dir, cleanup } = tempDir('lianfang-intel-import-');
  const data = join(dir, 'data');
  after(cleanup);

  it('imports a MISP feed folder and a STIX bundle, and on a second run finds them all already there', async () => {
    const first = await lianfang(['intel', 'import', FEED, BUNDLE, '--collection', 'misp', '--create', '--data', data]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /created collection [0-9a-f-]{36} \(alias misp\), readable by staff only/);
    const one = summary(first);
    assert.deepEqual(one[BUNDLE], { stored: 3, already: 0, invalid: 0 });
    // Six events; what the converter cannot take is listed, by attribute uuid.
    assert.equal(one[FEED]!.invalid, 6);
    assert.match(first.stderr, /56e12e66-f01c-41be-afea-4d9a950d210f\.json: event \S+ attribute 56e14a73-f9ac-4fea-98f4-46e0950d210f: MISP type 'btc' has no STIX mapping here; skipped/);
    // A value's newline is shown as \n, so each problem stays on one line.
    assert.match(first.stderr, /is not an ssdeep hash/);
    assert.ok(first.stderr.split('\n').every((l) => l === '' || l.startsWith(FEED) || l.startsWith('created collection')), first.stderr);

    // Everything the converter makes, and the bundle's objects, are stored: each once.
    const expected = new Set<string>(JSON.parse(readFileSync(BUNDLE, 'utf8')).objects.map((o: { id: string }) => o.id));
    for (const f of readdirSync(FEED).filter((n) => n.endsWith('.json') && n !== 'manifest.json')) {
      for (const o of mispEventToStix(JSON.parse(readFileSync(join(FEED, f), 'utf8'))).objects) expected.add(String(o['id']));
    }
    const stored = rows(data, 'misp');
    assert.equal(stored.length, expected.size);
    assert.deepEqual(new Set(stored.map((r) => r.id)), expected);
    assert.equal(one[FEED]!.stored + one[BUNDLE]!.stored - one[FEED]!.already, expected.size);
    const report = stored.find((r) => r.id === 'report--57c4445b-c548-4654-af0b-4be3950d210f')!;
    assert.equal(report.tlp, 'clear');
    assert.match(report.origin, /^file:\/\/.*\/misp\/feed\/57c4445b-c548-4654-af0b-4be3950d210f\.json$/);

    const again = await lianfang(['intel', 'import', FEED, BUNDLE, '--collection', 'misp', '--data', data]);
    assert.equal(again.code, 0, again.stderr);
    const two = summary(again);
    for (const [source, line] of Object.entries(two)) {
      assert.equal(line.already, line.stored, `${source}: ${JSON.stringify(line)}`);
      assert.equal(line.stored, one[source]!.stored, source);
    }
    assert.equal(rows(data, 'misp').length, expected.size, 'a re-import adds no row, SCOs included');
  });

  it('reads a folder of .json files, MISP events and STIX alike', async () => {
    const folder = join(dir, 'mixed');
    mkdirSync(folder);
    writeFileSync(join(folder, 'event.json'), readFileSync(join(FEED, '57c4445b-c548-4654-af0b-4be3950d210f.json')));
    writeFileSync(join(folder, 'bundle.json'), readFileSync(BUNDLE));
    writeFileSync(join(folder, 'notes.txt'), 'not read');
    const r = await lianfang(['intel', 'import', folder, '--collection', 'mixed', '--create', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    // Xorist: report, identity, 5 indicators, 2 notes; the bundle: 3 objects.
    assert.deepEqual(summary(r)[folder], { stored: 9 + 3, already: 0, invalid: 0 });
  });

  it('names what it cannot read and carries on; exits 1 only when nothing was stored', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"type": "bundle", "objects": ');
    const notBundle = join(dir, 'list.json');
    writeFileSync(notBundle, '[1, 2]');
    const bad = join(dir, 'bad-object.json');
    writeFileSync(bad, JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [{ type: 'indicator', id: 'indicator--5d0092c5-5f74-4287-9642-33f4c354e56d', spec_version: '2.1' }] }));
    const mixed = await lianfang(['intel', 'import', broken, notBundle, bad, BUNDLE, join(dir, 'missing.json'), '--collection', 'errors', '--create', '--data', data]);
    assert.equal(mixed.code, 0, mixed.stderr);
    const s = summary(mixed);
    assert.deepEqual(s[broken], { stored: 0, already: 0, invalid: 1 });
    assert.deepEqual(s[BUNDLE], { stored: 3, already: 0, invalid: 0 });
    assert.deepEqual(s[bad], { stored: 0, already: 0, invalid: 1 });
    assert.match(mixed.stderr, new RegExp(`${broken}: not JSON: `));
    assert.match(mixed.stderr, new RegExp(`${notBundle}: not a STIX bundle or object: the file holds a list`));
    assert.match(mixed.stderr, /bad-object\.json: indicator--5d0092c5-5f74-4287-9642-33f4c354e56d: objects\[0\] is not valid STIX 2\.1: .*'created' is required/);
    assert.match(mixed.stderr, /missing\.json: no such file or folder/);

    const nothing = await lianfang(['intel', 'import', broken, '--collection', 'errors', '--data', data]);
    assert.equal(nothing.code, 1);
  });

  it('refuses a collection that does not exist unless --create is given', async () => {
    const r = await lianfang(['intel', 'import', BUNDLE, '--collection', 'nowhere', '--data', data]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no collection 'nowhere' in this data folder: .*--create/);
    assert.equal(r.stdout, '');
  });
});

describe('lianfang intel import from a TAXII 2.1 server', () => {
  const { dir, cleanup } = tempDir('lianfang-intel-taxii-');
  const hubData = join(dir, 'hub');
  const data = join(dir, 'local');
  let hub: ServeChild | undefined;
  let collection = '';

  before(async () => {
    const add = await lianfang(['hub', 'member', 'add', 'bank-a', '--password', PASSWORD, '--data', hubData]);
    assert.equal(add.code, 0, add.stderr);
    const created = await lianfang(['intel', 'collection', 'create', 'Sector indicators', '--read', 'bank-a', '--write', 'bank-a', '--data', hubData]);
    assert.equal(created.code, 0, created.stderr);
    collection = created.stdout.trim();
    hub = await startServe(['--hub', '--data', hubData, '--no-syslog-udp', '--no-syslog-tcp']);
    const TAXII = 'application/taxii+json;version=2.1';
    const posted = await fetch(`${hub.http}/taxii2/intel/collections/${collection}/objects/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`bank-a:${PASSWORD}`).toString('base64')}`, 'content-type': TAXII, accept: TAXII },
      body: readFileSync(BUNDLE),
    });
    assert.equal(posted.status, 202);
    assert.equal(((await posted.json()) as Record<string, unknown>)['success_count'], 3);
  });

  after(async () => {
    if (hub) await stopChild(hub.child);
    cleanup();
  });

  it('pulls every readable collection from the discovery URL, and nothing new the second time', async () => {
    const url = `${hub!.http}/taxii2/`;
    const first = await lianfang(['intel', 'import', url, '--user', 'bank-a', '--password', PASSWORD, '--collection', 'pulled', '--create', '--data', data]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(summary(first)[url], { stored: 3, already: 0, invalid: 0 });
    const stored = rows(data, 'pulled');
    assert.equal(stored.length, 3);
    assert.ok(stored.every((r) => r.origin === `${hub!.http}/taxii2/intel/collections/${collection}/`), JSON.stringify(stored));

    const again = await lianfang(['intel', 'import', url, '--user', 'bank-a', '--password', PASSWORD, '--collection', 'pulled', '--data', data]);
    assert.deepEqual(summary(again)[url], { stored: 3, already: 3, invalid: 0 });
    assert.equal(rows(data, 'pulled').length, 3);
  });

  it('takes an API root URL and a chosen collection; names one that is not there', async () => {
    const root = `${hub!.http}/taxii2/intel/`;
    const r = await lianfang(['intel', 'import', root, '--user', 'bank-a', '--password', PASSWORD, '--taxii-collection', collection, '--taxii-collection', 'no-such', '--collection', 'chosen', '--create', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(summary(r)[root], { stored: 3, already: 0, invalid: 1 });
    assert.match(r.stderr, /no collection no-such there, or none this login may see/);
  });

  it('says why a login is refused, and exits 1', async () => {
    const url = `${hub!.http}/taxii2/`;
    const r = await lianfang(['intel', 'import', url, '--user', 'bank-a', '--password', 'wrong password!', '--collection', 'pulled', '--data', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /401/);
    assert.deepEqual(summary(r)[url], { stored: 0, already: 0, invalid: 1 });
  });
});
