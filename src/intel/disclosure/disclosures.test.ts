import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LianfangError, systemContext, type RequestContext } from '../../core/index.js';
import { ALL_MIGRATIONS } from '../../server/index.js';
import { migrate, verifyAudit, type Store } from '../../store/index.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import {
  acknowledgeDisclosure, addMember, changeDisclosure, fileDisclosure, findCollection, getDisclosure, listDisclosures, publishDue, queryObjects,
  VULNERABILITY_COLLECTION_ALIAS,
} from '../index.js';

const member = (name: string): RequestContext => ({ actor: { id: `member:${name}`, kind: 'user', roles: ['member-connector'] }, tenant: 'local' });
const staff: RequestContext = { actor: { id: 'token:isac-analyst', kind: 'token', roles: ['analyst'] }, tenant: 'local' };

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof LianfangError && err.code === code);
}

describe('vulnerability disclosure intake: filed, triaged, routed, patched, published at embargo end', () => {
  let store: Store;

  before(async () => {
    store = openSqliteStore(':memory:');
    await migrate(store, ALL_MIGRATIONS);
    for (const m of ['bank-a', 'bank-b', 'bank-c']) await addMember(store.db, systemContext(), m, `${m}-password-1`);
  });

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
});
