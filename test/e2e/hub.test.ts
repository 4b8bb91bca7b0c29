import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lianfang, startServe, stopChild, tempDir, until, type ServeChild } from './cli.js';

const TAXII = 'application/taxii+json;version=2.1';
type Json = Record<string, unknown>;

describe('a hub and a member on loopback: intel out by TAXII, an alert at the member, the sighting back', () => {
  const { dir, cleanup } = tempDir('lianfang-hub-');
  const hubData = join(dir, 'hub');
  const memberData = join(dir, 'member');
  let hub: ServeChild;
  let member: ServeChild;
  let hubAdmin: string;
  let memberAnalyst: string;
  let collection: string;

  before(async () => {
    const add = await lianfang(['hub', 'member', 'add', 'bank-a', '--password', 'correct horse battery', '--data', hubData]);
    assert.equal(add.code, 0, add.stderr);
    const memberToken = add.stdout.trim();
    assert.match(memberToken, /^lf_[0-9a-f]{16}_/);
    const created = await lianfang(['intel', 'collection', 'create', 'Sector indicators', '--read', 'bank-a', '--write', 'bank-a', '--data', hubData]);
    assert.equal(created.code, 0, created.stderr);
    collection = created.stdout.trim();
    assert.match(collection, /^[0-9a-f-]{36}$/);
    hubAdmin = (await lianfang(['token', 'create', '--role', 'admin', '--name', 'isac-staff', '--data', hubData])).stdout.trim();
    memberAnalyst = (await lianfang(['token', 'create', '--role', 'analyst', '--name', 'soc', '--data', memberData])).stdout.trim();
    hub = await startServe(['--hub', '--data', hubData, '--no-syslog-udp', '--no-syslog-tcp', '--sector-members', '2', '--sector-window', '48']);
    member = await startServe(['--data', memberData, '--syslog-udp', '0', '--no-syslog-tcp', '--hub-url', `${hub.http}/taxii2/`, '--hub-token', memberToken, '--hub-poll', '200']);
  });

  after(async () => {
    if (member) await stopChild(member.child);
    if (hub) await stopChild(hub.child);
    cleanup();
  });

  it('publishes at the hub, alerts at the member, returns a sighting', async () => {
    const indicatorId = 'indicator--3f0c8a52-2b7d-4e1a-9c6f-5d4e3b2a1f00';
    const ip = '203.0.113.77';
    const publish = await fetch(`${hub.http}/taxii2/intel/collections/${collection}/objects/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hubAdmin}`, 'content-type': TAXII, accept: TAXII },
      body: JSON.stringify({ objects: [{
        type: 'indicator', spec_version: '2.1', id: indicatorId, created: '2026-11-01T00:00:00.000Z', modified: '2026-11-01T00:00:00.000Z',
        name: 'C2 server of a phishing kit', pattern: `[ipv4-addr:value = '${ip}']`, pattern_type: 'stix', valid_from: '2026-11-01T00:00:00Z',
      }] }),
    });
    assert.equal(publish.status, 202);
    assert.equal(((await publish.json()) as Json)['success_count'], 1);

    // The member pulls it (TAXII) and matches it live.
    const memberApi = async (path: string): Promise<Json> => (await fetch(`${member.http}${path}`, { headers: { authorization: `Bearer ${memberAnalyst}` } })).json() as Promise<Json>;
    await until('the indicator at the member', async () => {
      const r = await fetch(`${member.http}/taxii2/intel/collections/${collection}/objects/?match[id]=${indicatorId}`, { headers: { authorization: `Bearer ${memberAnalyst}`, accept: TAXII } });
      return r.status === 200 && (((await r.json()) as Json)['objects'] as unknown[] | undefined)?.length === 1 ? true : undefined;
    });
    // The live matcher reloads after the pull; give an event until it fires.
    const send = (line: string) => new Promise<void>((resolve, reject) => {
      const u = createSocket('udp4');
      u.send(line, member.udp!, '127.0.0.1', (err) => (u.close(), err ? reject(err) : resolve()));
    });
    const alert = await until('the alert at the member', async () => {
      await send(`<134>Nov 21 10:00:00 fw01 CEF:0|Lianfang|e2e|1|100|outbound|5|src=10.1.2.3 dst=${ip} dpt=443`);
      await new Promise((r) => setTimeout(r, 300));
      const page = await memberApi(`/api/v1/alerts?rule_id=ioc:${indicatorId}`);
      const items = page['items'] as Json[] | undefined;
      return items && items.length > 0 ? items[0] : undefined;
    });
    assert.equal(alert['rule_title'], 'C2 server of a phishing kit');

    // The hub says which sector-alert rule it applies (set by --sector-members/--sector-window),
    // and counts objects, not versions: a second version of the indicator adds a version, not an object.
    const again = await fetch(`${hub.http}/taxii2/intel/collections/${collection}/objects/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hubAdmin}`, 'content-type': TAXII, accept: TAXII },
      body: JSON.stringify({ objects: [{
        type: 'indicator', spec_version: '2.1', id: indicatorId, created: '2026-11-01T00:00:00.000Z', modified: '2026-11-02T00:00:00.000Z',
        name: 'C2 server of a phishing kit', pattern: `[ipv4-addr:value = '${ip}']`, pattern_type: 'stix', valid_from: '2026-11-01T00:00:00Z', confidence: 80,
      }] }),
    });
    assert.equal(again.status, 202);
    const overview = (await (await fetch(`${hub.http}/api/v1/intel/overview`, { headers: { authorization: `Bearer ${hubAdmin}` } })).json()) as Json;
    assert.deepEqual(overview['sector_alert_rule'], { members: 2, window_hours: 48 });
    assert.equal(overview['indicators'], 1, JSON.stringify(overview));
    assert.equal(overview['object_versions'], (overview['objects'] as number) + 1, JSON.stringify(overview));

    // The sighting flows back to the hub, attributed there to the member that sent it.
    const sighting = await until('the sighting at the hub', async () => {
      const r = await fetch(`${hub.http}/taxii2/intel/collections/${collection}/objects/?match[type]=sighting`, { headers: { authorization: `Bearer ${hubAdmin}`, accept: TAXII } });
      const objs = (((await r.json()) as Json)['objects'] as Json[] | undefined) ?? [];
      return objs.find((o) => o['sighting_of_ref'] === indicatorId);
    });
    assert.ok(Number(sighting['count']) >= 1);
  });
});
