import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lines } from '../../src/cli/intel-pattern.js';
import { DATA, lianfang as cli, type Run } from './cli.js';

const lianfang = (args: readonly string[], input: string): Promise<Run> => cli(args, {}, input);

const STIX = join(DATA, 'stix');

/** Every output line as JSON; the output ends with a newline and has no blank lines. */
function answers(run: Run): unknown[] {
  assert.ok(run.stdout === '' || run.stdout.endsWith('\n'), run.stdout);
  return run.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l) as unknown);
}

function objects(file: string): Record<string, unknown>[] {
  return (JSON.parse(readFileSync(join(STIX, file), 'utf8')) as { objects: Record<string, unknown>[] }).objects;
}

describe('lianfang intel pattern check', () => {
  it('answers every line in order, blank and CRLF lines and an unterminated last line included', async () => {
    const input = [
      "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
      "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS",
      "ipv4-addr:value = '10.0.0.1'",
      '',
      "[file:name = 'a'] REPEATS 5 TIMES EVERY 10 SECONDS",
      "[file:name = 'a'] START t'2016-02-30T00:00:00Z' STOP t'2016-03-01T00:00:00Z'",
      "[file:name = 'unterminated]",
      "[url:value = 'http://x4z9arb.cn/4712/'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    ];
    const run = await lianfang(['intel', 'pattern', 'check'], input.slice(0, 3).join('\n') + '\n' + input.slice(3).join('\r\n'));
    assert.equal(run.code, 1, run.stderr);
    const out = answers(run) as { valid: boolean; error?: string }[];
    assert.equal(out.length, input.length, 'one answer per line, the last one without a newline too');
    assert.deepEqual(out.map((a) => a.valid), [true, true, false, false, false, false, false, true]);
    assert.deepEqual(out[0], { valid: true });
    assert.match(out[2]!.error!, /expected an observation expression \('\[' or '\('\), found 'ipv4-addr' at column 1/);
    assert.match(out[3]!.error!, /found the end of the pattern at column 1/);
    assert.match(out[4]!.error!, /expected AND, OR, FOLLOWEDBY or a qualifier, found 'EVERY' at column 35/);
    assert.match(out[5]!.error!, /'2016-02-30T00:00:00Z' is not an RFC 3339 UTC timestamp .* at column 25/);
    assert.match(out[6]!.error!, /string is not closed at column 14/);
  });

  it('finds every indicator pattern of the shared examples valid (exit 0)', async () => {
    const patterns: string[] = [];
    for (const dir of ['cti-documentation-examples', 'json-schemas/examples']) {
      for (const f of readdirSync(join(STIX, dir)).filter((n) => n.endsWith('.json'))) {
        for (const o of (JSON.parse(readFileSync(join(STIX, dir, f), 'utf8')) as { objects?: Record<string, unknown>[] }).objects ?? []) {
          if (o.type === 'indicator') patterns.push(o.pattern as string);
        }
      }
    }
    assert.ok(patterns.length >= 30, `${patterns.length} patterns`);
    const run = await lianfang(['intel', 'pattern', 'check'], patterns.join('\n') + '\n');
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(answers(run), patterns.map(() => ({ valid: true })));
  });
});

describe('lianfang intel pattern match', () => {
  it('answers each JSON line, an error for a bad one, and carries on', async () => {
    const sighting = objects('cti-documentation-examples/sighting-of-observed-data.json');
    const FILE = "[file:hashes.MD5 = '1717b7fff97d37a1e1a0029d83492de1']";
    const REG = "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\ControlSet001\\\\Services\\\\WSALG2']";
    const addr = { type: 'ipv4-addr', id: 'ipv4-addr--1b6f2c3b-7c4a-5b4a-9c1e-7d9a0a0e1f01', value: '198.51.100.58' };
    const flow = { type: 'network-traffic', id: 'network-traffic--2c6f2c3b-7c4a-5b4a-9c1e-7d9a0a0e1f02', dst_ref: addr.id, dst_port: 443, protocols: ['ipv4', 'tcp'] };
    const at = (time: string, refs: string[]): Record<string, unknown> => ({ type: 'observed-data', id: `observed-data--${time}`, first_observed: time, last_observed: time, number_observed: 1, object_refs: refs });
    const traffic = (time: string): Record<string, unknown>[] => [at(time, [flow.id, addr.id]), flow, addr];
    const C2 = "[network-traffic:dst_ref.value = '198.51.100.58' AND network-traffic:dst_port = 443]";
    const lineOf = (pattern: unknown, observed: unknown): string => JSON.stringify({ pattern, observed });
    const input = [
      lineOf(`${FILE} FOLLOWEDBY ${REG}`, sighting),
      lineOf(`${REG} FOLLOWEDBY ${FILE}`, sighting),
      '{"pattern": "[file:name = \'a\']", "observed": [',
      lineOf(C2, traffic('2026-03-02T10:00:00Z')),
      JSON.stringify({ observed: sighting }),
      lineOf(`${FILE} AND`, sighting),
      lineOf(`${C2} REPEATS 2 TIMES WITHIN 60 SECONDS`, [...traffic('2026-03-02T10:00:00Z'), at('2026-03-02T10:00:30Z', [flow.id, addr.id])]),
      lineOf(`${C2} REPEATS 2 TIMES WITHIN 60 SECONDS`, [...traffic('2026-03-02T10:00:00Z'), at('2026-03-02T10:01:30Z', [flow.id, addr.id])]),
      lineOf(`${C2} START t'2026-03-02T00:00:00Z' STOP t'2026-03-02T10:00:00Z'`, traffic('2026-03-02T10:00:00Z')),
      lineOf(C2, [{ ...at('2026-03-02T10:00:00Z', [flow.id, addr.id]), first_observed: 'yesterday' }, flow, addr]),
      '',
      lineOf("[network-traffic:dst_ref.value = '198.51.100.59']", traffic('2026-03-02T10:00:00Z')),
    ];
    const run = await lianfang(['intel', 'pattern', 'match'], input.join('\r\n'));
    assert.equal(run.code, 1, run.stderr);
    const out = answers(run) as { match?: boolean; error?: string }[];
    assert.equal(out.length, input.length);
    assert.deepEqual(out[0], { match: true });
    assert.deepEqual(out[1], { match: false }, 'wrong FOLLOWEDBY order');
    assert.match(out[2]!.error!, /^the line is not JSON: /);
    assert.deepEqual(out[3], { match: true }, 'dst_ref followed to the address');
    assert.deepEqual(out[4], { error: '"pattern" is missing' });
    assert.match(out[5]!.error!, /^pattern: expected an observation expression .* found the end of the pattern at column 59$/);
    assert.deepEqual(out[6], { match: true });
    assert.deepEqual(out[7], { match: false }, 'outside the WITHIN window');
    assert.deepEqual(out[8], { match: false }, 'STOP is exclusive');
    assert.match(out[9]!.error!, /^observed\[0\] \(observed-data--2026-03-02T10:00:00Z\): first_observed "yesterday" is not a STIX timestamp/);
    assert.match(out[10]!.error!, /^the line is not JSON/);
    assert.deepEqual(out[11], { match: false }, 'wrong value');
  });

  it('prints nothing for no input, and exits 0 when every line had an answer', async () => {
    const empty = await lianfang(['intel', 'pattern', 'match'], '');
    assert.deepEqual([empty.code, empty.stdout], [0, '']);
    const one = await lianfang(['intel', 'pattern', 'match'], JSON.stringify({ pattern: "[url:value = 'http://x4z9arb.cn/4712/']", observed: [] }));
    assert.deepEqual([one.code, one.stdout], [0, '{"match":false}\n']);
  });
});

describe('reading lines from standard input', () => {
  async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
    yield* parts;
  }
  const all = async (input: AsyncIterable<string | Buffer>): Promise<string[]> => {
    const out: string[] = [];
    for await (const l of lines(input)) out.push(l);
    return out;
  };

  it('splits on LF, drops the CR of CRLF even across chunks, keeps blank lines and an unterminated last line', async () => {
    assert.deepEqual(await all(chunks('a\r', '\nb\n\n', 'c')), ['a', 'b', '', 'c']);
    assert.deepEqual(await all(chunks('a\n')), ['a']);
    assert.deepEqual(await all(chunks('\n')), ['']);
    assert.deepEqual(await all(chunks()), []);
  });

  it('decodes UTF-8 split between chunks and ignores a byte order mark', async () => {
    const bytes = Buffer.from("\ufeff[file:name = '聯防']\n", 'utf8');
    assert.deepEqual(await all(chunks(bytes.subarray(0, 2), bytes.subarray(2, 18), bytes.subarray(18))), ["[file:name = '聯防']"]);
  });
});
