/**
 * Vendor records the shared samples do not cover (PAN-OS TRAFFIC, FortiGate traffic, a
 * Suricata alert with ATT&CK metadata, generic JSON). The lines are our own, written from
 * the vendors' field descriptions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from './index.js';
import { flatten } from './testdata.js';

const RECEIVED = new Date('2026-07-01T00:00:00Z');

test('PAN-OS TRAFFIC end: bytes, packets, duration and end time, user domain, NAT', () => {
  const line =
    '<14>Mar  1 10:00:01 PA-3220 1,2024/03/01 10:00:00,007200001234,TRAFFIC,end,2561,2024/03/01 10:00:00,10.1.1.5,203.0.113.10,198.51.100.7,203.0.113.10,' +
    'allow-web,BANK\\chen,,ssl,vsys1,trust,untrust,ethernet1/1,ethernet1/2,default,2024/03/01 10:00:00,12345,1,50123,443,40000,443,0x400019,tcp,allow,' +
    '5000,1200,3800,20,2024/03/01 09:59:50,10,financial-services,0,987654,0x0,10.0.0.0-10.255.255.255,Taiwan,0,8,12,tcp-fin,0,0,0,0,,PA-3220,from-policy';
  const parsed = parseMessage(line, { receivedAt: RECEIVED, timezone: '+08:00' });
  assert.equal(parsed.device, 'panos');
  assert.equal(parsed.error, undefined);
  const f = flatten(parsed.event);
  assert.equal(f['@timestamp'], '2024-03-01T10:00:00.000+08:00');
  assert.equal(f['event.kind'], 'event');
  assert.deepEqual(f['event.category'], ['network']);
  assert.deepEqual(f['event.type'], ['allowed', 'end', 'connection']);
  assert.equal(f['event.action'], 'flow_terminated');
  assert.equal(f['event.outcome'], 'success');
  assert.equal(f['source.user.name'], 'chen');
  assert.equal(f['source.user.domain'], 'BANK');
  assert.equal(f['user.name'], 'chen');
  assert.equal(f['source.nat.ip'], '198.51.100.7');
  assert.equal(f['source.nat.port'], 40000);
  assert.equal(f['network.bytes'], 5000);
  assert.equal(f['source.bytes'], 1200);
  assert.equal(f['destination.bytes'], 3800);
  assert.equal(f['source.packets'], 8);
  assert.equal(f['destination.packets'], 12);
  assert.equal(f['event.start'], '2024-03-01T09:59:50.000+08:00');
  assert.equal(f['event.duration'], 10_000_000_000);
  assert.equal(f['event.end'], '2024-03-01T10:00:00.000+08:00');
  assert.equal(f['panw.panos.endreason'], 'tcp-fin');
  assert.equal(f['panw.panos.url.category'], 'financial-services');
  assert.equal(f['panw.panos.action_source'], 'from-policy');
  assert.equal(f['observer.hostname'], 'PA-3220');
  assert.equal(f['labels.nat_translated'], true);
  assert.deepEqual(f['related.user'], ['chen']);
});

test('FortiGate traffic: ports, protocol number, service, policy, a denied session, eventtime in nanoseconds', () => {
  const line =
    'date=2024-03-01 time=10:00:00 devname="FG100F" devid="FG100FTK00000001" eventtime=1709258400123456789 tz="+0800" logid="0000000013" ' +
    'type="traffic" subtype="forward" level="notice" vd="root" srcip=10.1.1.5 srcport=50123 srcintf="port1" dstip=203.0.113.10 dstport=443 ' +
    'dstintf="wan1" sessionid=12345 proto=6 action="deny" policyid=7 service="HTTPS" sentbyte=1200 rcvdbyte=0 sentpkt=3 rcvdpkt=0 user="chen" msg="blocked"';
  const parsed = parseMessage(line, { receivedAt: RECEIVED });
  assert.equal(parsed.device, 'fortigate');
  assert.equal(parsed.format, 'unknown'); // no syslog header (an HTTP bulk line)
  assert.equal(parsed.error, undefined);
  const f = flatten(parsed.event);
  assert.equal(f['@timestamp'], '2024-03-01T10:00:00.000+08:00');
  assert.equal(f['event.start'], '2024-03-01T10:00:00.123+08:00');
  assert.equal(f['source.port'], 50123);
  assert.equal(f['network.iana_number'], '6');
  assert.equal(f['network.transport'], 'tcp');
  assert.equal(f['network.protocol'], 'https');
  assert.equal(f['network.direction'], 'outbound');
  assert.equal(f['network.bytes'], 1200);
  assert.equal(f['rule.id'], '7');
  assert.equal(f['event.outcome'], 'failure');
  assert.deepEqual(f['event.type'], ['connection', 'denied']);
  assert.equal(f['observer.ingress.interface.name'], 'port1');
  assert.equal(f['observer.egress.interface.name'], 'wan1');
  assert.equal(f['fortinet.firewall.sessionid'], '12345');
  assert.equal(f['message'], 'blocked');
});

test('Suricata alert with ATT&CK metadata: threat.tactic and threat.technique', () => {
  const line = JSON.stringify({
    timestamp: '2024-03-01T10:00:00.000000+0800',
    event_type: 'alert',
    src_ip: '203.0.113.10',
    src_port: 443,
    dest_ip: '10.1.1.5',
    dest_port: 50123,
    proto: 'TCP',
    alert: {
      action: 'blocked',
      signature_id: 2030000,
      signature: 'ET EXPLOIT Example',
      severity: 1,
      metadata: { mitre_tactic_id: ['TA0001'], mitre_tactic_name: ['Initial_Access'], mitre_technique_id: ['T1190'], mitre_technique_name: ['Exploit_Public_Facing_Application'] },
    },
  });
  const f = flatten(parseMessage(line, { receivedAt: RECEIVED }).event);
  assert.deepEqual(f['threat.tactic.id'], ['TA0001']);
  assert.deepEqual(f['threat.tactic.name'], ['Initial Access']);
  assert.deepEqual(f['threat.technique.id'], ['T1190']);
  assert.deepEqual(f['event.type'], ['denied']);
  assert.equal(f['@timestamp'], '2024-03-01T10:00:00.000+08:00');
});

test('generic JSON: the record is the event, merged with the syslog header; a broken one is named', () => {
  const parsed = parseMessage('<14>1 2024-01-01T00:00:00Z h app - - - {"log":{"level":"info"},"message":"hi","user":{"name":"u"}}', { receivedAt: RECEIVED });
  assert.equal(parsed.format, 'json');
  assert.equal(parsed.error, undefined);
  const f = flatten(parsed.event);
  assert.equal(f['log.level'], 'info');
  assert.equal(f['log.syslog.appname'], 'app');
  assert.equal(f.message, 'hi');
  assert.equal(f['user.name'], 'u');
  const broken = parseMessage('{"a":1,}', { receivedAt: RECEIVED });
  assert.equal(broken.error, 'JSON: Expected double-quoted property name (at char 7)');
  assert.equal(broken.event.message, '{"a":1,}');
  const array = parseMessage('{"a":[1]} ', { receivedAt: RECEIVED });
  assert.equal(array.error, undefined);
  const duplicate = parseMessage('{"k":1,"k":2}', { receivedAt: RECEIVED });
  assert.equal(duplicate.event.k, 2); // the last duplicate key wins
});
