import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.js';
import { isKnownBenign, valuesOfPattern } from './ledger.js';
import { intelDb } from './members.js';

/** Days for an indicator's score to halve with no sighting, by what it names (addresses move on fast, hashes do not). */
export const HALF_LIFE_DAYS: Readonly<Record<string, number>> = { 'ipv4-addr': 14, 'ipv6-addr': 14, 'domain-name': 30, url: 30, 'email-addr': 60, file: 365 };
const DEFAULT_HALF_LIFE_DAYS = 60;

export interface AgedIndicator {
  readonly id: string;
  readonly name: string;
  readonly pattern: string;
  /** 0–100: confidence (50 when unstated) halved every half-life since it was last confirmed. */
  readonly score: number;
  readonly halfLifeDays: number;
  /** The later of its last modification and its last sighting. */
  readonly lastConfirmed: string;
  readonly sightings: number;
  readonly sightedBy: number;
  readonly falsePositives: number;
  /** The member who first shared it ('' for the hub's own or imported intel). */
  readonly sharedBy: string;
  readonly confidence: number | null;
}

/**
 * IOC ageing: a decay score per indicator, reset by sightings. Revoked and expired
 * (valid_until passed) indicators score 0; each false-positive report halves the score.
 */
export function decayScore(o: Readonly<Record<string, unknown>>, lastSighting: string | null, falsePositives: number, now: Date): { score: number; halfLifeDays: number; lastConfirmed: string } {
  const pattern = typeof o['pattern'] === 'string' ? o['pattern'] : '';
  const types = new Set(valuesOfPattern(pattern).map((v) => v.slice(0, v.indexOf(':'))));
  const halfLifeDays = types.size === 0 ? DEFAULT_HALF_LIFE_DAYS : Math.min(...[...types].map((t) => HALF_LIFE_DAYS[t] ?? DEFAULT_HALF_LIFE_DAYS));
  const modified = String(o['modified'] ?? o['created'] ?? now.toISOString());
  const lastConfirmed = lastSighting !== null && lastSighting > modified ? lastSighting : modified;
  const expired = typeof o['valid_until'] === 'string' && Date.parse(o['valid_until']) <= now.getTime();
  if (o['revoked'] === true || expired) return { score: 0, halfLifeDays, lastConfirmed };
  const base = typeof o['confidence'] === 'number' ? o['confidence'] : 50;
  const ageDays = Math.max(0, (now.getTime() - Date.parse(lastConfirmed)) / 86_400_000);
  const score = base * 0.5 ** (ageDays / halfLifeDays) * 0.5 ** falsePositives;
  return { score: Math.round(score * 10) / 10, halfLifeDays, lastConfirmed };
}

interface IndicatorFacts {
  readonly id: string;
  readonly object: Record<string, unknown>;
  readonly sharedBy: string;
  readonly sightings: { member: string; count: number; last: string; fp: boolean }[];
}

async function indicatorFacts(db: Kysely<Database>, tenant: string): Promise<IndicatorFacts[]> {
  const idb = intelDb(db);
  const rows = await idb.selectFrom('stix_objects').select(['id', 'version', 'json', 'added_by', 'seq']).where('tenant', '=', tenant).where('type', '=', 'indicator').orderBy('seq').execute();
  const latest = new Map<string, { version: string; json: string; firstBy: string }>();
  for (const r of rows) {
    const had = latest.get(r.id);
    if (!had) latest.set(r.id, { version: r.version, json: r.json, firstBy: r.added_by });
    else if (had.version < r.version) latest.set(r.id, { ...had, version: r.version, json: r.json });
  }
  const sightings = await idb.selectFrom('intel_sightings').selectAll().where('tenant', '=', tenant).execute();
  const byIndicator = new Map<string, IndicatorFacts['sightings']>();
  for (const s of sightings) {
    const list = byIndicator.get(s.indicator_id) ?? [];
    list.push({ member: s.member, count: Number(s.count), last: s.last_seen, fp: s.false_positive === 1 });
    byIndicator.set(s.indicator_id, list);
  }
  return [...latest.entries()].map(([id, l]) => ({ id, object: JSON.parse(l.json) as Record<string, unknown>, sharedBy: l.firstBy, sightings: byIndicator.get(id) ?? [] }));
}

/** Indicators with their decay scores, highest first. */
export async function agedIndicators(db: Kysely<Database>, tenant: string, now = new Date(), limit = 500): Promise<AgedIndicator[]> {
  const facts = await indicatorFacts(db, tenant);
  const out = facts.map((f) => {
    const real = f.sightings.filter((s) => !s.fp);
    const last = real.map((s) => s.last).sort().at(-1) ?? null;
    const fps = f.sightings.filter((s) => s.fp).length;
    const d = decayScore(f.object, last, fps, now);
    return {
      id: f.id, name: String(f.object['name'] ?? ''), pattern: String(f.object['pattern'] ?? ''), ...d,
      sightings: real.reduce((n, s) => n + s.count, 0), sightedBy: new Set(real.map((s) => s.member)).size, falsePositives: fps,
      sharedBy: f.sharedBy, confidence: typeof f.object['confidence'] === 'number' ? f.object['confidence'] : null,
    };
  });
  return out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
}

/** How credit is counted; each factor is shown to the member so the scheme can be argued with. */
export const CREDIT_POINTS = {
  /** Per distinct other member that sighted an indicator this member shared. */
  corroboration: 3,
  /** Per indicator whose value this member was first in the sector to share. */
  firstReport: 5,
  /** Per false-positive report (disagreeing opinion or flagged sighting) by another member. */
  falsePositive: -4,
  /** Per shared indicator tied to ATT&CK (kill chain phase or a relationship to an attack-pattern). */
  attackContext: 1,
  /** Per shared indicator with confidence 70 or more. */
  confidence: 1,
  /** Per distinct indicator of someone else this member sighted and reported back. */
  sightingSent: 1,
} as const;

export interface CreditStanding {
  readonly member: string;
  readonly points: number;
  readonly rank: number;
  readonly shared: number;
  readonly corroborations: number;
  readonly firstReports: number;
  readonly falsePositives: number;
  readonly withAttackContext: number;
  readonly confident: number;
  readonly sightingsSent: number;
  /** Shared indicators on the warning list: no credit either way. */
  readonly knownBenign: number;
}

/**
 * The contribution ledger (the reward scheme the hub runs): credit by corroboration, lead
 * time, precision and context, computed from what members shared and sighted. Indicators
 * whose every value is on the warning list earn nothing. The hub sees every standing; a
 * member sees only its own (the routes enforce it).
 */
export async function creditLedger(db: Kysely<Database>, tenant: string): Promise<CreditStanding[]> {
  const idb = intelDb(db);
  const facts = await indicatorFacts(db, tenant);
  const firsts = await idb.selectFrom('intel_values').select(['value_key', 'object_id', 'member', 'first_at']).where('tenant', '=', tenant).where('kind', '=', 'indicator').where('member', '!=', '').execute();
  // The first member to share each value (ties go to the earlier name, deterministically).
  const firstOf = new Map<string, { member: string; at: string }>();
  for (const v of firsts) {
    const had = firstOf.get(v.value_key);
    if (!had || v.first_at < had.at || (v.first_at === had.at && v.member < had.member)) firstOf.set(v.value_key, { member: v.member, at: v.first_at });
  }
  const attackLinked = new Set<string>();
  const rels = await idb.selectFrom('stix_objects').select('json').where('tenant', '=', tenant).where('type', '=', 'relationship').execute();
  for (const r of rels) {
    const o = JSON.parse(r.json) as Record<string, unknown>;
    if (String(o['target_ref'] ?? '').startsWith('attack-pattern--')) attackLinked.add(String(o['source_ref']));
  }
  const members = await idb.selectFrom('intel_members').select('name').where('tenant', '=', tenant).where('disabled_at', 'is', null).execute();
  const tally = new Map<string, Omit<CreditStanding, 'rank' | 'points' | 'member'>>();
  const get = (m: string) => {
    let t = tally.get(m);
    if (!t) tally.set(m, (t = { shared: 0, corroborations: 0, firstReports: 0, falsePositives: 0, withAttackContext: 0, confident: 0, sightingsSent: 0, knownBenign: 0 }));
    return t as { -readonly [K in keyof typeof t]: number };
  };
  for (const m of members) get(m.name);
  for (const f of facts) {
    for (const m of new Set(f.sightings.filter((s) => !s.fp && s.member !== '' && s.member !== f.sharedBy).map((s) => s.member))) get(m).sightingsSent++;
    if (f.sharedBy === '') continue;
    const t = get(f.sharedBy);
    t.shared++;
    const values = valuesOfPattern(String(f.object['pattern'] ?? ''));
    if (values.length > 0 && values.every(isKnownBenign)) {
      t.knownBenign++;
      continue;
    }
    t.corroborations += new Set(f.sightings.filter((s) => !s.fp && s.member !== '' && s.member !== f.sharedBy).map((s) => s.member)).size;
    t.falsePositives += f.sightings.filter((s) => s.fp && s.member !== f.sharedBy).length;
    if (values.some((v) => !isKnownBenign(v) && firstOf.get(v)?.member === f.sharedBy)) t.firstReports++;
    const phases = Array.isArray(f.object['kill_chain_phases']) ? f.object['kill_chain_phases'] : [];
    if (attackLinked.has(f.id) || phases.some((p) => (p as Record<string, unknown>)['kill_chain_name'] === 'mitre-attack')) t.withAttackContext++;
    if (typeof f.object['confidence'] === 'number' && f.object['confidence'] >= 70) t.confident++;
  }
  const P = CREDIT_POINTS;
  const standings = [...tally.entries()].map(([member, t]) => ({
    member, ...t,
    points: t.corroborations * P.corroboration + t.firstReports * P.firstReport + t.falsePositives * P.falsePositive
      + t.withAttackContext * P.attackContext + t.confident * P.confidence + t.sightingsSent * P.sightingSent,
  }));
  standings.sort((a, b) => b.points - a.points || a.member.localeCompare(b.member));
  // Equal points share a rank (1, 2, 2, 4).
  const ranked: CreditStanding[] = [];
  standings.forEach((s, i) => ranked.push({ ...s, rank: i > 0 && standings[i - 1]!.points === s.points ? ranked[i - 1]!.rank : i + 1 }));
  return ranked;
}
