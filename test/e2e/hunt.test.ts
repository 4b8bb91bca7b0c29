import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonLines, lianfang, SAMPLES, SIGMA, tempDir } from './cli.js';

interface Detection {
  rule_id: string;
  rule_title: string;
  level: string;
  file: string;
  record: number;
  timestamp: string | null;
  computer: string | null;
  channel: string | null;
  event_id: number | string | null;
  event_record_id: number | null;
  techniques: string[];
  tactics: string[];
  kill_chain_phase: string | null;
  author: string | null;
  matched: Record<string, string>;
}

const RULES = join(SIGMA, 'rules');
const REQUIRED = ['rule_id', 'rule_title', 'level', 'file', 'record', 'timestamp', 'computer', 'channel', 'event_id', 'techniques', 'tactics', 'kill_chain_phase', 'author'];

describe('lianfang hunt', () => {
  it('finds credential access in the Mimikatz and LSASS samples, with every field a script needs', async () => {
    const dir = join(SAMPLES, 'Credential Access');
    const run = await lianfang(['hunt', dir, '--rules', RULES, '--format', 'jsonl']);
    assert.equal(run.code, 0, run.stderr);
    const detections = jsonLines<Detection>(run.stdout);
    assert.ok(detections.length > 50, `${detections.length} detections`);
    for (const d of detections) for (const k of REQUIRED) assert.ok(k in d, `detection lacks ${k}`);
    const byFile = (name: string): Detection[] => detections.filter((d) => basename(d.file).startsWith(name));
    const expectations: Array<[string, string]> = [
      ['CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx', 'HackTool - Mimikatz Kirbi File Creation'],
      ['CA_DCSync_4662.evtx', 'Active Directory Replication from Non Machine Account - DcSync Indicator'],
      ['Powershell_4104_MiniDumpWriteDump_Lsass.evtx', 'PowerShell Get-Process LSASS in ScriptBlock'],
      ['CA_hashdump_4663_4656_lsass_access.evtx', 'LSASS Access From Non System Account'],
    ];
    for (const [file, title] of expectations) {
      const hits = byFile(file);
      const hit = hits.find((d) => d.rule_title === title);
      assert.ok(hit, `${file}: expected "${title}", got ${[...new Set(hits.map((d) => d.rule_title))].join('; ')}`);
      assert.ok(hit.tactics.includes('TA0006'), `${title} is credential access`);
      assert.equal(hit.kill_chain_phase, 'actions-on-objectives');
      assert.ok(hit.author, 'the rule author travels with the alert (DRL)');
      assert.ok(hit.techniques.some((t) => t.startsWith('T1')));
    }
    const mimikatz = byFile('CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx')[0]!;
    assert.equal(mimikatz.channel, 'Microsoft-Windows-Sysmon/Operational');
    assert.equal(mimikatz.event_id, 11);
    assert.ok(Object.keys(mimikatz.matched).includes('TargetFilename'), 'the key field that matched is shown');
    assert.match(run.stderr, /Results summary/);
  });

  it('gives identical detections for each .evtx file and its .jsonl twin, on one thread or two', async () => {
    const run = await lianfang(['hunt', SAMPLES, '--rules', RULES, '--format', 'jsonl', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    const threaded = await lianfang(['hunt', SAMPLES, '--rules', RULES, '--format', 'jsonl', '--quiet', '--threads', '2']);
    assert.equal(threaded.code, 0, threaded.stderr);
    assert.equal(threaded.stdout, run.stdout, 'worker threads change nothing in the output');
    const detections = jsonLines<Detection>(run.stdout);
    // The JSON Lines' timestamps went through a float and differ by up to 2 µs (events README);
    // the record id is exact.
    const key = (d: Detection): string => [d.file.replace(/\.(evtx|jsonl)$/, ''), d.rule_id, d.event_record_id, d.computer, d.event_id].join('|');
    const fromEvtx = detections.filter((d) => d.file.endsWith('.evtx')).map(key).sort();
    const fromJsonl = detections.filter((d) => d.file.endsWith('.jsonl')).map(key).sort();
    assert.ok(fromEvtx.length > 1000, `${fromEvtx.length} detections from EVTX`);
    assert.deepEqual(fromEvtx, fromJsonl);
  });

  it('reports bad input with where and why, and scans the rest', async () => {
    const { dir, cleanup } = tempDir('lianfang-hunt-');
    after(cleanup);
    const logs = join(dir, 'logs');
    const rules = join(dir, 'rules');
    mkdirSync(logs);
    mkdirSync(rules);
    // A truncated EVTX: the first 100 KiB of a real file (the header and part of its first chunk).
    const evtx = readFileSync(join(SAMPLES, 'Credential Access', 'CA_DCSync_4662.evtx'));
    writeFileSync(join(logs, 'truncated.evtx'), evtx.subarray(0, 4096 + 40_000));
    // JSON Lines with a broken line between two good ones.
    const good = readFileSync(join(SAMPLES, 'Credential Access', 'CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(logs, 'mixed.jsonl'), ['{"EventID": 11, "Channel": oops', ...good].join('\n') + '\n');
    // A rule with a broken condition beside a good one.
    copyFileSync(join(RULES, 'windows', 'file', 'file_event', 'file_event_win_hktl_mimikatz_files.yml'), join(rules, 'good.yml'));
    writeFileSync(join(rules, 'broken.yml'), 'title: broken\nlogsource: {product: windows}\ndetection:\n  selection: {EventID: 1}\n  condition: selection and (\n');
    const run = await lianfang(['hunt', logs, '--rules', rules, '--format', 'jsonl']);
    assert.equal(run.code, 1, 'completed, with input problems');
    assert.match(run.stderr, /mixed\.jsonl:1: not JSON/);
    assert.match(run.stderr, /truncated\.evtx@\d+/);
    assert.match(run.stderr, /1 rule files failed/);
    const detections = jsonLines<Detection>(run.stdout);
    assert.ok(detections.some((d) => d.file.endsWith('mixed.jsonl') && d.record > 1), 'lines after the broken one were scanned');
    const check = await lianfang(['rules', 'check', rules, '--format', 'json']);
    const report = JSON.parse(check.stdout) as { total: number; compiled: number; failed: Array<{ file: string; line: number; reason: string }> };
    assert.equal(report.total, 2);
    assert.equal(report.compiled, 1);
    assert.equal(report.failed[0]!.file, join(rules, 'broken.yml'));
    assert.equal(report.failed[0]!.line, 5);
    assert.match(report.failed[0]!.reason, /missing '\)'|condition ends/);
  });

  it('writes CSV to --out, filters by --min-level, and fails clearly on a missing path', async () => {
    const { dir, cleanup } = tempDir('lianfang-out-');
    after(cleanup);
    const out = join(dir, 'detections.csv');
    const logs = join(SAMPLES, 'Lateral Movement');
    const all = await lianfang(['hunt', logs, '--rules', RULES, '--format', 'jsonl', '-q']);
    const high = await lianfang(['hunt', logs, '--rules', RULES, '--format', 'csv', '--min-level', 'high', '--out', out, '-q']);
    assert.equal(high.code, 0, high.stderr);
    const csv = readFileSync(out, 'utf8');
    assert.match(csv, /^timestamp,computer,channel,event_id,level,rule_title/);
    const expected = jsonLines<Detection>(all.stdout).filter((d) => d.level === 'high' || d.level === 'critical');
    assert.equal(csvRecords(csv) - 1, expected.length);
    assert.ok(expected.length > 0 && expected.length < jsonLines(all.stdout).length);
    const missing = await lianfang(['hunt', join(dir, 'nope'), '--rules', RULES]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no event files/);
  });
});

describe('lianfang hunt against the labels of the shared samples', () => {
  it('detects the labelled tactic in most labelled files (a floor, to catch regressions)', async () => {
    const events = join(SAMPLES, '..');
    const rules = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].flatMap((d) => ['--rules', join(SIGMA, d)]);
    const run = await lianfang(['hunt', events, ...rules, '--format', 'jsonl', '-q']);
    assert.equal(run.code, 0, run.stderr);
    const byFile = new Map<string, Detection[]>();
    for (const d of jsonLines<Detection>(run.stdout)) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    const manifest = JSON.parse(readFileSync(join(events, 'manifest.json'), 'utf8')) as { files: Array<{ jsonl: string; tactics: string[] }> };
    const labelled = manifest.files.filter((f) => f.tactics.length > 0);
    const found = labelled.map((f) => byFile.get(join(events, f.jsonl)) ?? []);
    const anyHit = found.filter((ds) => ds.length > 0).length;
    const tacticHit = labelled.filter((f, i) => found[i]!.some((d) => d.tactics.some((t) => f.tactics.includes(t)))).length;
    // Measured 2026-11-21: 232 and 152 of 287 labelled files.
    assert.ok(labelled.length >= 280);
    assert.ok(anyHit / labelled.length >= 0.75, `${anyHit} of ${labelled.length} labelled files have a detection`);
    assert.ok(tacticHit / labelled.length >= 0.45, `${tacticHit} of ${labelled.length} labelled files have one with the labelled tactic`);
  });
});

describe('lianfang hunt on Windows event XML', () => {
  it('reads an <Events> export and detects in it like in EVTX', async () => {
    const { dir, cleanup } = tempDir('lianfang-xml-');
    after(cleanup);
    const event = (record: number, image: string, cmd: string): string => `
  <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
    <System>
      <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
      <EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>
      <Keywords>0x8000000000000000</Keywords>
      <TimeCreated SystemTime="2024-05-01T08:00:0${record}.123456700Z"/>
      <EventRecordID>${record}</EventRecordID>
      <Execution ProcessID="3000" ThreadID="4000"/>
      <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
      <Computer>BANK-WS-01</Computer>
      <Security UserID="S-1-5-18"/>
    </System>
    <EventData>
      <Data Name="Image">${image}</Data>
      <Data Name="CommandLine">${cmd}</Data>
      <Data Name="ParentImage">C:\\Windows\\explorer.exe</Data>
    </EventData>
  </Event>`;
    writeFileSync(join(dir, 'export.xml'), `<?xml version="1.0" encoding="utf-8"?>\n<Events>${event(1, 'C:\\Windows\\System32\\notepad.exe', 'notepad.exe a.txt')}${event(2, 'C:\\Users\\bob\\mimikatz.exe', '&quot;mimikatz.exe&quot; &quot;sekurlsa::logonpasswords&quot; exit')}\n</Events>\n`);
    const run = await lianfang(['hunt', dir, '--rules', RULES, '--format', 'jsonl', '-q']);
    assert.equal(run.code, 0, run.stderr);
    const detections = jsonLines<Detection>(run.stdout);
    assert.ok(detections.length > 0);
    assert.ok(detections.every((d) => d.event_record_id === 2 && d.computer === 'BANK-WS-01'), JSON.stringify(detections.map((d) => d.rule_title)));
    assert.ok(detections.some((d) => d.tactics.includes('TA0006')), 'a credential-access rule fires on sekurlsa::logonpasswords');
    assert.ok(detections.some((d) => (d.matched.CommandLine ?? '').includes('"sekurlsa::logonpasswords"')), 'entities are decoded');
  });
});

describe('lianfang hunt with correlation rules', () => {
  it('raises an event_count correlation over the Kerberos password-spray sample, grouped by source address', async () => {
    const { dir, cleanup } = tempDir('lianfang-corr-');
    after(cleanup);
    // The sample holds 10 Kerberos requests (4768 and 4771) from one address within 10 s.
    writeFileSync(join(dir, 'spray.yml'), `title: Kerberos ticket request or failed pre-authentication
id: 3f1c1b2e-0000-4000-8000-000000004771
name: kerberos_preauth_failed
status: test
author: Lianfang tests
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 4768
            - 4771
    condition: selection
level: low
---
title: Kerberos password spray from one address
id: 3f1c1b2e-0000-4000-8000-00000000c0de
status: test
author: Lianfang tests
correlation:
    type: event_count
    rules:
        - kerberos_preauth_failed
    group-by:
        - IpAddress
    timespan: 1m
    condition:
        gte: 5
level: high
tags:
    - attack.credential-access
    - attack.t1110.003
`);
    const file = join(SAMPLES, 'Credential Access', 'kerberos_pwd_spray_4771.jsonl');
    const run = await lianfang(['hunt', file, '--rules', dir, '--format', 'jsonl', '-q']);
    assert.equal(run.code, 0, run.stderr);
    const detections = jsonLines<Detection & { rule_type: string }>(run.stdout);
    const corr = detections.filter((d) => d.rule_type === 'correlation');
    // Ten requests: the fifth raises a hit and uses its matches up, the tenth raises another.
    assert.equal(corr.length, 2, JSON.stringify(corr));
    assert.equal(corr[0]!.rule_title, 'Kerberos password spray from one address');
    assert.deepEqual(corr.map((c) => [c.matched.IpAddress, c.matched.count]), [['172.16.66.1', '5'], ['172.16.66.1', '5']]);
    assert.deepEqual(corr[0]!.techniques, ['T1110.003']);
    assert.equal(corr[0]!.author, 'Lianfang tests');
    // The base rule only feeds the correlation (generate is false): no alerts of its own.
    assert.equal(detections.filter((d) => d.rule_type === 'detection').length, 0);
  });
});

describe('lianfang hunt filters', () => {
  it('--timeline-start/--timeline-end keep only events in the window', async () => {
    const logs = join(SAMPLES, 'Execution');
    const all = jsonLines<Detection>((await lianfang(['hunt', logs, '--rules', RULES, '--format', 'jsonl', '-q'])).stdout);
    const stamps = all.map((d) => d.timestamp!).filter(Boolean).sort();
    const start = stamps[Math.floor(stamps.length / 4)]!;
    const end = stamps[Math.floor((3 * stamps.length) / 4)]!;
    const run = await lianfang(['hunt', logs, '--rules', RULES, '--format', 'jsonl', '-q', '--timeline-start', start, '--timeline-end', end]);
    assert.equal(run.code, 0, run.stderr);
    const inside = jsonLines<Detection>(run.stdout);
    const expected = all.filter((d) => d.timestamp === null || (Date.parse(d.timestamp) >= Date.parse(start) && Date.parse(d.timestamp) <= Date.parse(end)));
    assert.ok(inside.length > 0 && inside.length < all.length);
    assert.equal(inside.length, expected.length);
    const bad = await lianfang(['hunt', logs, '--rules', RULES, '--timeline-start', 'yesterday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a time/);
  });

  it('leaves out deprecated and unsupported rules unless told otherwise', async () => {
    const { dir, cleanup } = tempDir('lianfang-status-');
    after(cleanup);
    const rule = readFileSync(join(RULES, 'windows', 'file', 'file_event', 'file_event_win_hktl_mimikatz_files.yml'), 'utf8');
    writeFileSync(join(dir, 'old.yml'), rule.replace(/^status: .*$/m, 'status: deprecated'));
    const logs = join(SAMPLES, 'Credential Access', 'CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.jsonl');
    const byDefault = await lianfang(['hunt', logs, '--rules', dir, '--format', 'jsonl', '-q']);
    assert.equal(jsonLines(byDefault.stdout).length, 0);
    const included = await lianfang(['hunt', logs, '--rules', dir, '--format', 'jsonl', '-q', '--exclude-status', '']);
    assert.ok(jsonLines(included.stdout).length > 0);
  });
});

describe('lianfang rules check', () => {
  it('compiles at least 99.5 % of the SigmaHQ corpus and lists every failure with file, line and reason', async () => {
    const dirs = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder', 'rules-compliance'].map((d) => join(SIGMA, d));
    const run = await lianfang(['rules', 'check', ...dirs, '--format', 'json']);
    const report = JSON.parse(run.stdout) as { total: number; compiled: number; failed: Array<{ file: string; line: number; reason: string }> };
    assert.ok(report.total >= 3780, `${report.total} rules`);
    assert.ok(report.compiled / report.total >= 0.995, `${report.compiled} of ${report.total}`);
    assert.equal(report.total - report.compiled, report.failed.length);
    for (const f of report.failed) assert.ok(f.file && f.line > 0 && f.reason);
  });

  it('rejects the removed Sigma 1 aggregation syntax with a reason', async () => {
    const run = await lianfang(['rules', 'check', join(SIGMA, 'unsupported'), '--format', 'json']);
    const report = JSON.parse(run.stdout) as { failed: Array<{ reason: string }> };
    assert.ok(report.failed.filter((f) => /Sigma 1 syntax/.test(f.reason)).length >= 40);
    assert.equal(run.code, 1);
  });
});

/** Records in CSV text: newlines inside quoted cells do not end a record. */
function csvRecords(text: string): number {
  let records = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) records++;
  }
  return records;
}
