import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LianfangError, systemContext, type RequestContext } from '../../core/index.js';
import { ALL_MIGRATIONS } from '../../server/index.js';
import { listAudit, migrate, verifyAudit, type Store } from '../../store/index.js';
import {
  acknowledgeDisclosure, addMember, changeDisclosure, fileDisclosure, findCollection, getDisclosure, listCollections, listDisclosures, publishDue, queryObjects,
  VULNERABILITY_COLLECTION_ALIAS,
} from '../index.js';

const member = (name: string): RequestContext => ({ actor: { id: `member:${name}`, kind: 'user', roles: ['member-connector'] }, tenant: 'local' });
const staff: RequestContext = { actor: { id: 'token:isac-analyst', kind: 'token', roles: ['analyst'] }, tenant: 'local' };

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof LianfangError && err.code === code);
}

/** The disclosure suite over the store `open` gives (SQLite and PostgreSQL run it). */
export function disclosureSuite(label: string, open: () => Store, skip?: string): void {
describe(`vulnerability disclosure intake: filed, triaged, routed, patched, published at embargo end (${label})`, { ...(skip ? { skip } : {}) }, () => {
  let store: Store;

  before(async () => {
    store = open();
    await migrate(store, ALL_MIGRATIONS);
    for (const m of ['bank-a', 'bank-b', 'bank-c']) await addMember(store.db, systemContext(), m, `${m}-password-1`);
  });

  after(async () => store.close());

  it('walks a report from a researcher to a published STIX vulnerability, and no step early', async () => {
    const filed = await fileDisclosure(store.db, member('bank-a'), {
      title: 'Authentication bypass in the mobile banking API gateway', description: 'A crafted JWT with alg none is accepted on /v2/session.',
      reporter: 'Lin Mei-hua <mh.lin@example.tw>', vendor: 'ExampleSoft', product: 'GatewayX', affectedVersions: '< 4.2.1', cvss: 9.1,
    }, new Date('2026-11-01T00:00:00Z'));
    assert.match(filed.number, /^VD-2026-0001$/);
    assert.equal(filed.state, 'received');
    assert.equal(filed.filedBy, 'bank-a');

    await rejects(changeDisclosure(store.db, member('bank-a'), filed.id, { to: 'triaged' }), 'ROLE_REQUIRED');
    await rejects(changeDisclosure(store.db, staff, filed.id, { to: 'fixed', fixedVersion: '4.2.1' }), 'DISCLOSURE_TRANSITION');
    await changeDisclosure(store.db, staff, filed.id, { to: 'triaged', note: 'reproduced on 4.1.9' });
    await rejects(changeDisclosure(store.db, staff, filed.id, { to: 'routed', recipients: ['bank-b'] }), 'EMBARGO_MISSING');
    const routed = await changeDisclosure(store.db, staff, filed.id, { to: 'routed', recipients: ['bank-b', 'bank-c'], vendorContact: 'psirt@examplesoft.example', embargoUntil: '2026-12-01T00:00:00Z' });
    assert.deepEqual(routed.recipients.map((r) => r.member), ['bank-b', 'bank-c']);

    // Who sees it: the filer and the routed members; not an unrelated member.
    assert.equal((await listDisclosures(store.db, member('bank-b'))).length, 1);
    await addMember(store.db, systemContext(), 'bank-z', 'bank-z-password-1');
    assert.equal((await listDisclosures(store.db, member('bank-z'))).length, 0);
    await rejects(getDisclosure(store.db, member('bank-z'), filed.id), 'DISCLOSURE_NOT_FOUND');
    await rejects(acknowledgeDisclosure(store.db, member('bank-a'), filed.id, false), 'NOT_A_RECIPIENT');

    await acknowledgeDisclosure(store.db, member('bank-b'), filed.id, false, new Date('2026-11-02T00:00:00Z'));
    const patched = await acknowledgeDisclosure(store.db, member('bank-b'), filed.id, true, new Date('2026-11-05T00:00:00Z'));
    const b = patched.recipients.find((r) => r.member === 'bank-b')!;
    assert.equal(b.ackedAt, '2026-11-02T00:00:00.000Z');
    assert.equal(b.patchedAt, '2026-11-05T00:00:00.000Z');
    assert.equal(patched.recipients.find((r) => r.member === 'bank-c')!.patchedAt, null);
    // Members' answers are in the audit trail too, like every staff move.
    const audit = await listAudit(store.db, { target: `disclosure:${filed.id}` });
    assert.deepEqual(audit.filter((a) => a.action === 'intel.disclosure.acknowledged' || a.action === 'intel.disclosure.patched').map((a) => [a.action, a.actor]).reverse(), [
      ['intel.disclosure.acknowledged', 'member:bank-b'],
      ['intel.disclosure.patched', 'member:bank-b'],
    ]);

    await changeDisclosure(store.db, staff, filed.id, { to: 'fixed', fixedVersion: '4.2.1' });
    await rejects(changeDisclosure(store.db, staff, filed.id, { to: 'published' }), 'DISCLOSURE_PUBLISH');
    assert.deepEqual(await publishDue(store.db, 'local', new Date('2026-11-30T23:59:59Z')), [], 'not before the embargo ends');
    const published = await publishDue(store.db, 'local', new Date('2026-12-01T00:00:00Z'));
    assert.equal(published.length, 1);
    assert.equal(published[0]!.state, 'published');

    const col = await findCollection(store.db, 'local', VULNERABILITY_COLLECTION_ALIAS);
    assert.ok(col);
    assert.deepEqual(col.readers, ['*']);
    const page = await queryObjects(store.db, 'local', { staff: false, member: 'bank-z', groups: [] }, col.id, { limit: 10 });
    assert.equal(page.versions.length, 1, 'every member can read the published vulnerability');
    const v = page.versions[0]!.object;
    assert.equal(v['type'], 'vulnerability');
    assert.equal(v['id'], published[0]!.stixId);
    assert.match(String(v['description']), /Fixed in: 4\.2\.1/);
    assert.deepEqual(await publishDue(store.db, 'local', new Date('2026-12-02T00:00:00Z')), [], 'published once');
    const history = (await getDisclosure(store.db, staff, filed.id)).history.map((h) => h.kind);
    assert.deepEqual(history, ['received', 'triaged', 'routed', 'acknowledged', 'patched', 'fixed', 'published']);
    assert.equal((await verifyAudit(store.db)).ok, true);
  });

  it('refuses a malformed report with the field named, and keeps numbering', async () => {
    await rejects(fileDisclosure(store.db, member('bank-a'), { title: ' ', description: 'x', reporter: 'r', vendor: 'v', product: 'p' }), 'DISCLOSURE_FIELD_MISSING');
    await rejects(fileDisclosure(store.db, member('bank-a'), { title: 't', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cve: 'CVE-26-1' }), 'CVE_INVALID');
    await rejects(fileDisclosure(store.db, member('bank-a'), { title: 't', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cvss: 11 }), 'CVSS_INVALID');
    const second = await fileDisclosure(store.db, member('bank-c'), { title: 't', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cve: 'CVE-2026-12345' }, new Date('2026-11-03T00:00:00Z'));
    assert.equal(second.number, 'VD-2026-0002');
    const rejected = await changeDisclosure(store.db, staff, second.id, { to: 'rejected', note: 'not reproducible' });
    await rejects(changeDisclosure(store.db, staff, rejected.id, { to: 'triaged' }), 'DISCLOSURE_TRANSITION');
  });

  it('reads back what it stored: a score as a number, times as ISO text, recipients and history as lists', async () => {
    const filed = await fileDisclosure(store.db, member('bank-b'), {
      title: 'Score', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cve: `CVE-2026-${'9'.repeat(31)}`, cvss: 7.5,
    }, new Date('2026-11-04T05:06:07.089Z'));
    const read = await getDisclosure(store.db, staff, filed.id);
    assert.deepEqual(read, filed);
    assert.equal(typeof read.cvss, 'number');
    assert.equal(read.cvss, 7.5);
    assert.equal(read.cve?.length, 40, 'a CVE id as wide as its column');
    assert.equal(read.createdAt, '2026-11-04T05:06:07.089Z');
  });

  it('refuses a CVE id or a fixed version wider than its column, by name, and changes nothing', async () => {
    await rejects(fileDisclosure(store.db, member('bank-a'), { title: 't', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cve: `CVE-2026-${'1'.repeat(32)}` }), 'CVE_INVALID');
    const d = await fileDisclosure(store.db, member('bank-a'), { title: 't', description: 'x', reporter: 'r', vendor: 'v', product: 'p' }, new Date('2026-11-05T00:00:00Z'));
    await changeDisclosure(store.db, staff, d.id, { to: 'triaged' });
    await changeDisclosure(store.db, staff, d.id, { to: 'routed', recipients: ['bank-b'], embargoUntil: '2027-06-01T00:00:00Z' });
    await rejects(changeDisclosure(store.db, staff, d.id, { to: 'fixed', fixedVersion: 'v'.repeat(201) }), 'DISCLOSURE_FIELD_TOO_LONG');
    const still = await getDisclosure(store.db, staff, d.id);
    assert.equal(still.state, 'routed');
    assert.deepEqual(still.history.map((h) => h.kind), ['received', 'triaged', 'routed']);
    const fixed = await changeDisclosure(store.db, staff, d.id, { to: 'fixed', fixedVersion: 'v'.repeat(200) });
    assert.equal(fixed.fixedVersion, 'v'.repeat(200));
  });

  it('numbers disclosures filed at the same moment apart', async () => {
    const at = new Date('2027-01-15T00:00:00Z');
    const filers = ['bank-a', 'bank-b', 'bank-c', 'bank-a', 'bank-b', 'bank-c'];
    const filed = await Promise.all(filers.map((m, i) => fileDisclosure(store.db, member(m), { title: `At once ${i}`, description: 'x', reporter: 'r', vendor: 'v', product: 'p' }, at)));
    assert.deepEqual(filed.map((d) => d.number).sort(), filers.map((_, i) => `VD-2027-000${i + 1}`));
    assert.equal((await listDisclosures(store.db, staff)).filter((d) => d.number.startsWith('VD-2027-')).length, filers.length);
    assert.equal((await verifyAudit(store.db)).ok, true, 'one audit chain, not a fork');
  });

  it('keeps every answer when routed members acknowledge, and staff move it, at once', async () => {
    const d = await fileDisclosure(store.db, member('bank-a'), { title: 'Busy', description: 'x', reporter: 'r', vendor: 'v', product: 'p' }, new Date('2027-02-01T00:00:00Z'));
    await changeDisclosure(store.db, staff, d.id, { to: 'triaged' });
    await changeDisclosure(store.db, staff, d.id, { to: 'routed', recipients: ['bank-a', 'bank-b', 'bank-c'], embargoUntil: '2027-03-01T00:00:00Z' });
    const at = new Date('2027-02-02T00:00:00Z');
    await Promise.all([
      acknowledgeDisclosure(store.db, member('bank-a'), d.id, false, at),
      acknowledgeDisclosure(store.db, member('bank-b'), d.id, true, at),
      acknowledgeDisclosure(store.db, member('bank-c'), d.id, false, at),
      changeDisclosure(store.db, staff, d.id, { to: 'fixing', note: 'vendor on it' }, at),
    ]);
    const now = await getDisclosure(store.db, staff, d.id);
    assert.deepEqual(now.recipients.map((r) => [r.member, r.ackedAt, r.patchedAt]), [
      ['bank-a', '2027-02-02T00:00:00.000Z', null], ['bank-b', '2027-02-02T00:00:00.000Z', '2027-02-02T00:00:00.000Z'], ['bank-c', '2027-02-02T00:00:00.000Z', null],
    ]);
    assert.equal(now.state, 'fixing');
    assert.deepEqual(now.history.map((h) => h.kind).sort(), ['acknowledged', 'acknowledged', 'fixing', 'patched', 'received', 'routed', 'triaged']);
  });

  it('publishes a due disclosure once, however many servers run the embargo clock at once', async () => {
    const tenant = 'hub-two';
    for (const m of ['bank-x', 'bank-y']) await addMember(store.db, { ...systemContext(), tenant }, m, `${m}-password-1`);
    const analyst: RequestContext = { ...staff, tenant };
    const everyone = { staff: true, member: null, groups: [] };
    const d = await fileDisclosure(store.db, { ...member('bank-x'), tenant }, { title: 'Raced', description: 'x', reporter: 'r', vendor: 'v', product: 'p', cvss: 5 }, new Date('2027-04-01T00:00:00Z'));
    await changeDisclosure(store.db, analyst, d.id, { to: 'triaged' });
    await changeDisclosure(store.db, analyst, d.id, { to: 'routed', recipients: ['bank-y'], embargoUntil: '2027-05-01T00:00:00Z' });
    const runs = (await Promise.all([1, 2, 3, 4].map(() => publishDue(store.db, tenant, new Date('2027-05-01T00:00:00Z'))))).flat();
    assert.equal(runs.length, 1, 'one publication in all');
    const cols = (await listCollections(store.db, tenant, everyone)).filter((c) => c.alias === VULNERABILITY_COLLECTION_ALIAS);
    assert.equal(cols.length, 1, 'one vulnerabilities collection');
    assert.notEqual(cols[0]!.id, (await findCollection(store.db, 'local', VULNERABILITY_COLLECTION_ALIAS))?.id, "not the other tenant's");
    const page = await queryObjects(store.db, tenant, everyone, cols[0]!.id, { limit: 10, versions: ['all'] });
    assert.deepEqual(page.versions.map((v) => v.id), [runs[0]!.stixId]);
    assert.equal(page.versions[0]!.object['x_lianfang_cvss_base_score'], 5);
    const published = await getDisclosure(store.db, analyst, d.id);
    assert.equal(published.stixId, runs[0]!.stixId);
    assert.deepEqual(published.history.map((h) => h.kind), ['received', 'triaged', 'routed', 'published']);
    assert.equal((await verifyAudit(store.db)).ok, true);
  });
});
}
