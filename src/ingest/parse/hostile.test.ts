/**
 * Input from the network: garbage, NUL bytes, lone surrogates, unterminated escapes, huge and
 * deeply nested messages, prototype-polluting keys, and every raw vendor line we have. The
 * parser must return (never throw), keep the text, and name problems.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ParsedMessage } from '../../core/index.js';
import { MAX_MESSAGE_CHARS, parseMessage } from './index.js';
import { flatten, logPath, wazuhCases } from './testdata.js';

const RECEIVED = new Date('2026-07-01T00:00:00Z');

/** Parses, and checks what must hold for any input: a result that serialises, with a message or a record. */
function safe(text: string): ParsedMessage {
  const parsed = parseMessage(text, { receivedAt: RECEIVED });
  assert.ok(JSON.stringify(parsed).length > 0);
  // The wrapper turns an exception into `parser fault`: none may reach it.
  assert.doesNotMatch(parsed.error ?? '', /parser fault/, JSON.stringify(text.slice(0, 200)));
  assert.equal(Object.getPrototypeOf(parsed.event), Object.prototype);
  if (parsed.error) assert.equal(typeof parsed.event.message, 'string', `an error, so the text is kept: ${parsed.error}`);
  return parsed;
}

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

test('binary garbage and fragments of real formats, 20,000 of them: always a result', () => {
  const next = random(20260701);
  const seeds = ['<13>', '<165>1 ', 'CEF:0|', 'LEEF:2.0|', '{"a":', '<Event>', 'MSWinEventLog\t', 'date=2024-01-01 time=', '1,2024/01/01 00:00:00,', '[x@1 a="', '\\', '"', '=', '|', '\u0000', '\uD800', '\uDFFF', '\uFEFF', '%ASA-'];
  for (let n = 0; n < 20_000; n++) {
    let text = '';
    const parts = 1 + Math.floor(next() * 8);
    for (let p = 0; p < parts; p++) {
      if (next() < 0.5) text += seeds[Math.floor(next() * seeds.length)];
      else for (let k = Math.floor(next() * 12); k > 0; k--) text += String.fromCharCode(Math.floor(next() * 0x10000));
    }
    safe(text);
  }
});

test('NUL bytes and lone surrogates pass through untouched', () => {
  const nul = safe('<13>Oct 11 22:14:15 host app: a\u0000b');
  assert.equal(nul.event.message, 'a\u0000b');
  const surrogate = safe('<13>Oct 11 22:14:15 host app: \uD800 alone');
  assert.equal(surrogate.event.message, '\uD800 alone');
  const cef = safe('CEF:0|\uDC00|P|1|2|N|5|src\uD800=1 msg=\uDBFF');
  assert.equal(cef.format, 'cef');
  const json = safe('{"k\\ud800":"\\udfff"}');
  assert.equal(json.event['k\uD800'], '\uDFFF');
});

test('unterminated escapes and quotes: CEF header and extension, RFC 5424 SD, key=value', () => {
  assert.match(safe('CEF:0|V|P|1|2|N\\').error ?? '', /CEF header: 5 of 7 fields/);
  assert.equal(flatten(safe('CEF:0|V|P|1|2|N|5|msg=end\\').event).message, 'end\\');
  assert.match(safe('<14>1 - h a - - [id p="never closed] x').error ?? '', /unterminated value of p/);
  assert.match(safe('date=2024-01-01 time=00:00:00 logid=0100032002 devid=FG msg="open').error ?? '', /the quoted value of msg is not closed/);
});

test('a 10 MB message is read only up to the bound, quickly, and says so', () => {
  for (const body of ['x'.repeat(10_000_000), `CEF:0|V|P|1|2|N|5|a=${'b='.repeat(5_000_000)}`, `{"a":"${'y'.repeat(10_000_000)}"}`, `date=2024-01-01 time=00:00:00 logid=1 devid=2 ${'k=v '.repeat(2_500_000)}`]) {
    const started = performance.now();
    const parsed = safe(`<13>Oct 11 22:14:15 host ${body}`);
    const elapsed = performance.now() - started;
    assert.match(parsed.error ?? '', new RegExp(`message is ${body.length + 25} characters; only the first ${MAX_MESSAGE_CHARS} were read`));
    assert.ok(typeof parsed.event.message !== 'string' || parsed.event.message.length <= MAX_MESSAGE_CHARS);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  }
});

test('deeply nested JSON is refused before parsing, with the position; 64 levels are fine', () => {
  const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const parsed = safe(deep);
  assert.equal(parsed.error, 'JSON: nested deeper than 64 levels (at char 320)');
  assert.equal(parsed.event.message, deep);
  const arrays = safe(`{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
  assert.equal(arrays.error, 'JSON: nested deeper than 64 levels (at char 68)');
  const ok = safe(`${'{"a":'.repeat(64)}1${'}'.repeat(64)}`);
  assert.equal(ok.error, undefined);
  const tricky = safe(`{"s":"${'{'.repeat(500)}\\"${'['.repeat(500)}"}`); // brackets inside a string do not count
  assert.equal(tricky.error, undefined);
});

test('__proto__ keys in JSON, CEF, LEEF, key=value and structured data stay plain fields', () => {
  const inputs = [
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
    'CEF:0|V|P|1|2|N|5|__proto__=1 constructor=2',
    'LEEF:1.0|V|P|1|E|__proto__=1\tconstructor=2',
    'date=2024-01-01 time=00:00:00 logid=1 devid=2 __proto__=1 constructor=2',
    '<14>1 - h a - - [__proto__ __proto__="1"] m',
    '1 2024-01-01T00:00:00Z h a 1 - [__proto__:"1"; constructor:"2"]',
    '{"winlog":{"channel":"Security","event_id":"1","event_data":{"__proto__":{"polluted":1}}}}',
    '{"rawmsg":"{\\"__proto__\\":{\\"polluted\\":1},\\"event_type\\":\\"flow\\"}","meta_sip4":"1.2.3.4"}',
  ];
  for (const input of inputs) {
    const parsed = safe(input);
    assert.equal(parsed.error, undefined, `${input}: ${parsed.error}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, input);
    assert.ok(!('polluted' in Object.prototype), input);
  }
  assert.deepEqual(safe(inputs[0]!).event.__proto__, { polluted: 1 });
  assert.equal(flatten(safe(inputs[3]!).event)['fortinet.firewall.__proto__'], '1');
});

test('every raw line of the Wazuh ruleset tests is parsed; vendor lines are recognised', () => {
  const files = readdirSync(logPath('wazuh-ruleset-tests')).filter((f) => f.endsWith('.ini'));
  const devices = new Map<string, Set<string>>();
  let lines = 0;
  for (const file of files) {
    for (const { lines: raw } of wazuhCases(file)) {
      for (const line of raw) {
        const parsed = safe(line);
        const seen = devices.get(file) ?? new Set<string>();
        seen.add(parsed.device ?? '-');
        devices.set(file, seen);
        lines++;
      }
    }
  }
  assert.ok(lines > 100, `${lines} lines`);
  assert.deepEqual([...devices.get('cisco_asa.ini')!], ['cisco_asa']);
  assert.deepEqual([...devices.get('checkpoint_smart1.ini')!], ['checkpoint']);
  assert.deepEqual([...devices.get('paloalto.ini')!], ['panos']);
  assert.deepEqual([...devices.get('squid_rules.ini')!], ['squid']);
  assert.deepEqual([...devices.get('mcafee_epo.ini')!], ['mcafee_epo']);
  assert.ok(devices.get('panda_paps.ini')!.has('panda'));
});

test('the Wazuh PAN-OS lines have zeroed dates: recognised, and the bad dates named', () => {
  const [first] = wazuhCases('paloalto.ini').flatMap((c) => c.lines);
  const parsed = safe(first!);
  assert.equal(parsed.device, 'panos');
  assert.match(parsed.error ?? '', /RFC 3164 timestamp "May 00 00:00:00" \(at char 0\): day 0 out of range/);
  assert.match(parsed.error ?? '', /PAN-OS generated time "2020\/06\/00 00:00:00": day 0 out of range/);
  const flat = flatten(parsed.event);
  assert.equal(flat['panw.panos.type'], 'TRAFFIC');
  assert.equal(flat['panw.panos.sub_type'], 'start');
  assert.equal(flat['event.action'], 'flow_started');
  assert.equal(flat['@timestamp'], '2026-07-01T00:00:00.000Z'); // no valid time anywhere: the arrival time
});

test('the rsyslog framing samples, taken line by line, never trip the parser', () => {
  const dir = logPath('syslog/framing');
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(`${dir}/${name}`, 'latin1').split('\n')) safe(line);
  }
  for (const name of readdirSync(logPath('syslog/rsyslog-fuzz-corpus'))) safe(readFileSync(logPath('syslog/rsyslog-fuzz-corpus', name), 'utf8'));
});

test('empty and blank messages', () => {
  assert.deepEqual(Object.keys(safe('').event).sort(), ['@timestamp', 'message']);
  assert.equal(safe('   ').event.message, '   ');
  assert.equal(safe('<13>').format, 'rfc3164');
});

test('a fault inside the parser is caught: the message is kept and the fault named', () => {
  const broken = { getTime: () => { throw new Error('clock unplugged'); } } as unknown as Date;
  const parsed = parseMessage('<13>Oct 11 22:14:15 host app: kept', { receivedAt: broken });
  assert.equal(parsed.format, 'unknown');
  assert.equal(parsed.event.message, '<13>Oct 11 22:14:15 host app: kept');
  assert.equal(parsed.error, 'parser fault: clock unplugged');
});
