import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePattern } from './parse.js';
import type { Comparison, Literal, Observation } from './types.js';

const STIX = new URL('../../../../shared/data/stix', import.meta.url).pathname;

/** A compact rendering of the tree, to compare shapes. */
function show(o: Observation): string {
  switch (o.k) {
    case 'observe':
      return `[${cmp(o.comparison)}]`;
    case 'and':
    case 'or':
    case 'followedby':
      return `(${o.args.map(show).join(` ${o.k.toUpperCase()} `)})`;
    case 'within':
      return `${show(o.arg)} WITHIN ${o.seconds}`;
    case 'repeats':
      return `${show(o.arg)} REPEATS ${o.times}`;
    case 'startstop':
      return `${show(o.arg)} START ${new Date(o.start).toISOString()} STOP ${new Date(o.stop).toISOString()}`;
  }
}

function cmp(c: Comparison): string {
  switch (c.k) {
    case 'and':
    case 'or':
      return `(${c.args.map(cmp).join(` ${c.k.toUpperCase()} `)})`;
    case 'exists':
      return `EXISTS ${c.path.text}`;
    case 'test': {
      const v = Array.isArray(c.value) ? `(${(c.value as readonly Literal[]).map((l) => JSON.stringify(l.value)).join(',')})` : JSON.stringify((c.value as Literal).value);
      return `${c.path.text}${c.negated ? ' NOT' : ''} ${c.op} ${v}`;
    }
  }
}

const parsed = (p: string): string => show(parsePattern(p).root);

describe('STIX patterning grammar (STIX 2.1 part 9)', () => {
  it('binds AND tighter than OR inside an observation, and FOLLOWEDBY loosest between them', () => {
    assert.equal(parsed("[a:x = 1 OR a:y = 2 AND a:z = 3]"), '[(a:x = 1 OR (a:y = 2 AND a:z = 3))]');
    assert.equal(parsed("[a:x = 1] AND [a:y = 2] OR [a:z = 3] FOLLOWEDBY [a:w = 4]"), '(((([a:x = 1] AND [a:y = 2])) OR [a:z = 3]) FOLLOWEDBY [a:w = 4])'.replace('((([', '(([').replace('])) OR', ']) OR'));
    assert.equal(parsed("[a:x = 1] AND ([a:y = 2] OR [a:z = 3])"), '([a:x = 1] AND ([a:y = 2] OR [a:z = 3]))');
    assert.equal(parsed("[a:x = 1 AND (a:y = 2 OR a:z = 3)]"), '[(a:x = 1 AND (a:y = 2 OR a:z = 3))]');
  });

  it('reads qualifiers, stacked, on simple and compound observations', () => {
    assert.equal(parsed("[file:name = 'a'] REPEATS 5 TIMES WITHIN 180 SECONDS"), '[file:name = "a"] REPEATS 5 WITHIN 180');
    assert.equal(
      parsed("([a:x = 1] FOLLOWEDBY [a:y = 2]) WITHIN 1.5 SECONDS"),
      '([a:x = 1] FOLLOWEDBY [a:y = 2]) WITHIN 1.5',
    );
    assert.equal(
      parsed("[a:x = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'"),
      '[a:x = 1] START 2016-06-01T00:00:00.000Z STOP 2016-07-01T00:00:00.123Z',
    );
  });

  it('reads every operator, NOT, EXISTS, and every literal form', () => {
    assert.equal(
      parsed("[file:size > 10 AND file:size <= 20.5 AND file:name NOT LIKE 'a%' AND file:name MATCHES '^x' AND ipv4-addr:value ISSUBSET '10.0.0.0/8' AND ipv4-addr:value ISSUPERSET '10.1.2.3' AND file:name != 'b' AND file:name <> 'c' AND file:x >= -3 AND file:y < 4 AND EXISTS file:z AND file:b = true]"),
      '[(file:size > 10 AND file:size <= 20.5 AND file:name NOT LIKE "a%" AND file:name MATCHES "^x" AND ipv4-addr:value ISSUBSET "10.0.0.0/8" AND ipv4-addr:value ISSUPERSET "10.1.2.3" AND file:name != "b" AND file:name != "c" AND file:x >= -3 AND file:y < 4 AND EXISTS file:z AND file:b = true)]',
    );
    const p = parsePattern("[file:created = t'2014-01-13T07:03:17Z' AND artifact:payload_bin = b'aGVsbG8=' AND file:magic = h'4d5a' AND user-account:user_id IN ('a', 'b''s', 'c\\\\d')]".replace("'b''s'", "'b\\'s'"));
    const args = (p.root as unknown as { comparison: { args: { value: unknown }[] } }).comparison.args;
    assert.equal((args[0]!.value as { value: number }).value, Date.parse('2014-01-13T07:03:17Z'));
    assert.equal(Buffer.from((args[1]!.value as { value: Uint8Array }).value).toString(), 'hello');
    assert.deepEqual([...(args[2]!.value as { value: Uint8Array }).value], [0x4d, 0x5a]);
    assert.deepEqual((args[3]!.value as { value: string }[]).map((l) => l.value), ['a', "b's", 'c\\d']);
  });

  it('reads object paths with quoted properties, list indexes and references', () => {
    const p = parsePattern("[file:hashes.'SHA-256' = 'ab' AND file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND network-traffic:dst_ref.value = '1.2.3.4' AND x-acme-widget:parts[-1] = 'a']");
    const paths = (p.root as unknown as { comparison: { args: { path: { text: string } }[] } }).comparison.args.map((a) => a.path.text);
    assert.deepEqual(paths, ["file:hashes.'SHA-256'", "file:extensions.'windows-pebinary-ext'.sections[*].entropy", 'network-traffic:dst_ref.value', 'x-acme-widget:parts[-1]']);
  });

  it('says what is wrong and where', () => {
    const err = (p: string): string => {
      try {
        parsePattern(p);
      } catch (e) {
        return (e as Error).message;
      }
      return 'parsed';
    };
    assert.match(err("[file:name = 'a'"), /expected '\]' to close the observation expression opened at column 1, found the end of the pattern at column 17/);
    assert.match(err("[file:name == 'a']"), /expected a literal .* found '=' at column 13/);
    assert.match(err("[file:name = 'a] "), /string is not closed at column 14/);
    assert.match(err("[file:name = 'a'] AND"), /expected an observation expression .* found the end of the pattern/);
    assert.match(err("[file:name = 'a'] WITHIN 0 SECONDS"), /WITHIN needs a positive number of seconds/);
    assert.match(err("[file:name = 'a'] REPEATS 2.5 TIMES"), /REPEATS needs a positive whole number/);
    assert.match(err("[file:name = 'a'] START t'2016-13-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"), /not an RFC 3339 UTC timestamp/);
    assert.match(err("[file:name = 'a'] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'"), /STOP .* is not after START/);
    assert.match(err("[file:size LIKE 5]"), /LIKE needs a string literal, found '5'/);
    assert.match(err("[File:name = 'a']"), /'File' is not a cyber-observable object type/);
    assert.match(err("[file:hashes.SHA-256 = 'a']"), /property 'SHA-256' has a hyphen: quote it/);
    assert.match(err("[file:name = 'a\\x']"), /a backslash in a string may only escape/);
    assert.match(err("[file:name = 'a'] and [file:name = 'b']"), /expected AND, OR, FOLLOWEDBY or a qualifier, found 'and'/);
    assert.match(err("[file:size > true]"), /> needs an orderable literal/);
    assert.match(err('('.repeat(500) + '[a:b = 1]' + ')'.repeat(500)), /nest deeper than 200/);
    assert.match(err('[' + '('.repeat(500) + 'a:b = 1' + ')'.repeat(500) + ']'), /nest deeper than 200/);
    assert.match(err("[file:name = h'abc']"), /pairs of hex digits/);
  });

  it('parses the pattern of every indicator in the shared STIX examples', () => {
    const patterns: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.json')) collect(JSON.parse(readFileSync(p, 'utf8')) as unknown);
      }
    };
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (typeof v === 'object' && v !== null) {
        const o = v as Record<string, unknown>;
        if (o.type === 'indicator' && typeof o.pattern === 'string' && (o.pattern_type ?? 'stix') === 'stix') patterns.push(o.pattern);
        Object.values(o).forEach(collect);
      }
    };
    for (const d of ['cti-documentation-examples', 'json-schemas/examples', 'tlp2']) walk(join(STIX, d));
    assert.ok(patterns.length >= 30, `found ${patterns.length} patterns`);
    for (const p of patterns) assert.doesNotThrow(() => parsePattern(p), p);
  });
});
