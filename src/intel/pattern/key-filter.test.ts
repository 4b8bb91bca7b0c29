import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KeyFilter } from './key-filter.js';
import { ipv4Number } from './matcher.js';

// Real values: every attribute value in the shared MISP feed's events, and its hash list.
const MISP = new URL('../../../../shared/data/misp/feed', import.meta.url).pathname;

function mispValues(): { texts: string[]; addresses: number[] } {
  const texts = new Set<string>();
  const addresses = new Set<number>();
  const manifest = JSON.parse(readFileSync(`${MISP}/manifest.json`, 'utf8')) as Record<string, unknown>;
  for (const uuid of Object.keys(manifest)) {
    type Attribute = { type: string; value: string };
    const e = JSON.parse(readFileSync(`${MISP}/${uuid}.json`, 'utf8')) as { Event: { Attribute?: Attribute[]; Object?: { Attribute?: Attribute[] }[] } };
    for (const a of [...(e.Event.Attribute ?? []), ...(e.Event.Object ?? []).flatMap((o) => o.Attribute ?? [])]) {
      texts.add(a.value);
      const n = ipv4Number(a.value.split('|')[0]!);
      if (n >= 0) addresses.add(n);
    }
  }
  for (const line of readFileSync(`${MISP}/hashes.csv`, 'utf8').split('\n')) {
    const hash = line.split(',')[0]!.trim();
    if (hash) texts.add(hash);
  }
  return { texts: [...texts], addresses: [...addresses] };
}

describe('KeyFilter (the matcher’s “certainly not held” test)', () => {
  const { texts, addresses } = mispValues();

  it('never rules out a key it holds, through every growth', () => {
    assert.ok(texts.length > 500, `the MISP feed gives ${texts.length} values`);
    const f = new KeyFilter();
    const held: (string | number)[] = [];
    for (const k of [...texts, ...addresses]) {
      held.push(k);
      f.add(k, () => held);
      // Checked after every add, so each rebuild (it starts at one block) is covered.
      if (held.length % 97 === 0) for (const h of held) assert.ok(f.has(h), `lost ${String(h)} at ${held.length} keys`);
    }
    for (const t of texts) assert.ok(f.hasText(t));
    for (const a of addresses) assert.ok(f.has(a));
    assert.equal(f.size, texts.length + addresses.length);
  });

  it('rules out almost every key it does not hold (about 1 % false positives)', () => {
    const f = new KeyFilter();
    const held: string[] = [];
    for (const t of texts) {
      held.push(t);
      f.add(t, () => held);
    }
    // Keys certainly not held: the same values changed by one character, and other numbers.
    const others = texts.map((t) => `${t}\u0001`);
    const fp = others.filter((o) => f.hasText(o)).length;
    assert.ok(fp / others.length < 0.03, `${fp} of ${others.length} absent keys passed`);
    const n = new KeyFilter();
    for (const a of addresses) n.add(a, () => addresses);
    const absent = addresses.map((a) => (a ^ 0x5a5a5a5a) >>> 0).filter((a) => !addresses.includes(a));
    const nfp = absent.filter((a) => n.has(a)).length;
    assert.ok(nfp / absent.length < 0.03, `${nfp} of ${absent.length} absent numbers passed`);
  });

  it('an empty filter holds nothing', () => {
    const f = new KeyFilter();
    assert.equal(f.has('x'), false);
    assert.equal(f.has(0), false);
  });
});
