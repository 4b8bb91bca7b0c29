/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgedIndicator, CreditStanding, SectorAlert } from '../api/types.js';
import { toCsv } from '../csv.js';
import { taxiiDiscoveryUrl, taxiiObjectsUrl } from './endpoints.js';
import { barGeometry, LEDGER_CSV_HEADER, ledgerCsv, schemeOf, signed } from './ledger.js';
import { filterIndicators, newestFirst, scoreBand } from './lists.js';
import { keyOfInput, normalPath, valuesOfPattern } from './values.js';

describe('intel values', () => {
  it('reads the exact values of a pattern as the hub keys them', () => {
    assert.deepEqual(valuesOfPattern("[ipv4-addr:value = '203.0.113.9'] OR [domain-name:value = 'Bad.Example.NET']"), ['ipv4-addr:value=203.0.113.9', 'domain-name:value=bad.example.net']);
    assert.deepEqual(valuesOfPattern("[file:hashes.'SHA-256' IN ('AA', 'bb')]"), ["file:hashes.'SHA-256'=aa", "file:hashes.'SHA-256'=bb"]);
    assert.deepEqual(valuesOfPattern("[file:hashes.'MD5' = 'ABC']"), ['file:hashes.MD5=abc'], 'identifiers unquoted, as the server writes paths');
    assert.deepEqual(valuesOfPattern("[url:value LIKE 'http://x/%']"), [], 'a LIKE names no exact value');
    assert.deepEqual(valuesOfPattern("[ipv4-addr:value NOT = '1.2.3.4']"), [], 'nor does a negation');
    assert.deepEqual(valuesOfPattern("[ipv4-addr:value != '1.2.3.4' AND ipv6-addr:value = '2001:DB8::1']"), ['ipv6-addr:value=2001:db8::1']);
    assert.deepEqual(valuesOfPattern("[email-addr:value='It\\'s@Example.org']"), ["email-addr:value=it's@example.org"]);
    assert.deepEqual(valuesOfPattern('[broken'), []);
  });

  it('writes paths like the server', () => {
    assert.equal(normalPath("file:hashes.'SHA-256'"), "file:hashes.'SHA-256'");
    assert.equal(normalPath("file:hashes.'MD5'"), 'file:hashes.MD5');
    assert.equal(normalPath('network-traffic:dst_ref.value'), 'network-traffic:dst_ref.value');
  });

  it('turns what the analyst typed into a correlation key, guessing the type of a bare value', () => {
    assert.equal(keyOfInput('  '), null);
    assert.equal(keyOfInput('203.0.113.7'), 'ipv4-addr:value=203.0.113.7');
    assert.equal(keyOfInput('10.0.0.0/8'), 'ipv4-addr:value=10.0.0.0/8');
    assert.equal(keyOfInput('2001:DB8::1'), 'ipv6-addr:value=2001:db8::1');
    assert.equal(keyOfInput('HTTPS://Evil.example/a?b=c'), 'url:value=https://evil.example/a?b=c');
    assert.equal(keyOfInput('CEO@Bank.example'), 'email-addr:value=ceo@bank.example');
    assert.equal(keyOfInput('D41D8CD98F00B204E9800998ECF8427E'), 'file:hashes.MD5=d41d8cd98f00b204e9800998ecf8427e');
    assert.equal(keyOfInput('a'.repeat(64)), `file:hashes.'SHA-256'=${'a'.repeat(64)}`);
    assert.equal(keyOfInput('Pay-Update.example'), 'domain-name:value=pay-update.example');
    assert.equal(keyOfInput('domain-name:value=Pay.Example'), 'domain-name:value=pay.example', 'a full key, folded like the hub');
    assert.equal(keyOfInput("ipv4-addr:value = '1.2.3.4'"), 'ipv4-addr:value=1.2.3.4');
  });
});

function standing(over: Partial<CreditStanding>): CreditStanding {
  return {
    member: 'bank-a', points: 0, rank: 1, shared: 0, corroborations: 0, first_reports: 0, false_positives: 0, with_attack_context: 0, confident: 0,
    sightings_sent: 0, known_benign: 0, ...over,
  };
}

describe('the contribution ledger', () => {
  it('exports the table as CSV with a header and one row per member', () => {
    const csv = ledgerCsv([standing({ member: 'bank-a', points: 13, corroborations: 2 }), standing({ member: 'bank-b', points: -4, rank: 2, false_positives: 1 })]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], LEDGER_CSV_HEADER.join(','));
    assert.equal(lines[0], 'rank,member,points,shared,corroborations,first_reports,false_positives,with_attack_context,confident,sightings_sent,known_benign');
    assert.equal(lines[1], '1,bank-a,13,0,2,0,0,0,0,0,0');
    assert.equal(lines[2], '2,bank-b,-4,0,0,0,1,0,0,0,0', 'negative numbers stay numbers');
    assert.equal(lines[3], '');
  });

  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    assert.equal(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['=HYPERLINK("http://x")', '-1+2'], ['line\nbreak', null]]),
      'a,b\r\n"x,y","say ""hi"""\r\n"\'=HYPERLINK(""http://x"")",\'-1+2\r\n"line\nbreak",\r\n');
  });

  it('explains the scheme the server sent, keeping entries it does not know', () => {
    const s = schemeOf({ corroboration: 3, falsePositive: -4, novelty: 2 });
    assert.deepEqual(s.map((x) => [x.key, x.label, x.points]), [['corroboration', 'Corroborations', 3], ['falsePositive', 'False positives', -4], ['novelty', 'novelty', 2]]);
    assert.equal(s[2]!.explains, null);
    assert.deepEqual([signed(3), signed(-4), signed(0)], ['+3', '−4', '0']);
  });

  it('draws bars from zero, to the left for negative points', () => {
    assert.deepEqual(barGeometry([10, 5, 0]), { zero: 0, bars: [{ left: 0, width: 100 }, { left: 0, width: 50 }, { left: 0, width: 0 }] });
    const g = barGeometry([12, -4]);
    assert.equal(g.zero, 25);
    assert.deepEqual(g.bars, [{ left: 25, width: 75 }, { left: 0, width: 25 }]);
    assert.deepEqual(barGeometry([0, 0]).bars, [{ left: 0, width: 0 }, { left: 0, width: 0 }], 'no division by zero');
  });
});

describe('intel lists', () => {
  const alert = (id: string, last: string, updated = last): SectorAlert => ({
    id, indicator_id: `indicator--${id}`, indicator_name: id, members: ['a', 'b'], sightings: 2, first_seen: last, last_seen: last, created_at: updated, updated_at: updated, status: 'open',
  });
  it('puts the most recently sighted sector alert first', () => {
    const sorted = newestFirst([alert('old', '2026-11-20T00:00:00Z'), alert('new', '2026-11-21T00:00:00Z'), alert('widened', '2026-11-20T00:00:00Z', '2026-11-22T00:00:00Z')]);
    assert.deepEqual(sorted.map((a) => a.id), ['new', 'widened', 'old']);
  });

  const ind = (id: string, score: number, name = '', pattern = "[ipv4-addr:value = '1.2.3.4']"): AgedIndicator => ({
    id, name, pattern, score, half_life_days: 14, last_confirmed: '2026-11-21T00:00:00Z', sightings: 0, sighted_by: 0, false_positives: 0,
  });
  it('filters indicators by every word in name, pattern or id, highest score first', () => {
    const items = [ind('indicator--1', 20, 'Loader C2'), ind('indicator--2', 80, 'Phishing kit', "[domain-name:value = 'pay.example']"), ind('indicator--3', 50, 'loader drop site')];
    assert.deepEqual(filterIndicators(items, '').map((i) => i.id), ['indicator--2', 'indicator--3', 'indicator--1']);
    assert.deepEqual(filterIndicators(items, 'LOADER').map((i) => i.id), ['indicator--3', 'indicator--1']);
    assert.deepEqual(filterIndicators(items, 'loader c2').map((i) => i.id), ['indicator--1']);
    assert.deepEqual(filterIndicators(items, 'pay.example').map((i) => i.id), ['indicator--2']);
    assert.deepEqual(filterIndicators(items, 'indicator--3').map((i) => i.id), ['indicator--3']);
    assert.deepEqual([scoreBand(70), scoreBand(40), scoreBand(39.9)], ['high', 'medium', 'low']);
  });

  it('gives the TAXII addresses of this origin', () => {
    assert.equal(taxiiDiscoveryUrl('https://hub.example:8443/'), 'https://hub.example:8443/taxii2/');
    assert.equal(taxiiObjectsUrl('http://127.0.0.1:8080', 'c-1'), 'http://127.0.0.1:8080/taxii2/intel/collections/c-1/objects/');
  });
});
