import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { resolveLogsource } from './index.js';
import type { LogsourceTarget } from './index.js';

/**
 * Agreement with SigmaHQ's CI log-source config (tests/thor.yml), parsed at test time. Every
 * difference between their table and ours is listed in EXCEPTIONS (and in
 * docs/logsource-mapping.md); a new difference, or an exception that no longer happens, fails.
 */
const THOR = fileURLToPath(new URL('../../../../shared/data/sigma/logsource-config/thor.yml', import.meta.url));
const skip = existsSync(THOR) ? false : `no thor.yml at ${THOR}`;

const EXCEPTIONS: readonly string[] = [
  // Sysmon 26 (FileDeleteDetected) is a file deletion too; the Sigma taxonomy lists 23 and 26.
  'category file_delete: extra Microsoft-Windows-Sysmon/Operational#26',
  // Defender writes "Threat Name" (with a space); THOR's own scanner normalises it to ThreatName.
  'category antivirus: Signature → Threat Name, thor says ThreatName',
  // Windows names these channels with a suffix; thor.yml has the bare provider-like name.
  'service hyper-v-worker: extra channel Microsoft-Windows-Hyper-V-Worker-Admin',
  'service kernel-event-tracing: extra channel Microsoft-Windows-Kernel-EventTracing/Admin',
];

interface ThorSource {
  category?: string;
  product?: string;
  service?: string;
  conditions?: Record<string, unknown>;
  rewrite?: { product?: string; service?: string };
  sources?: string[];
  fieldmappings?: Record<string, string>;
}

interface Place {
  conditions: Record<string, string[]>;
  fieldMap: Record<string, string>;
}

function loadThor(): ThorSource[] {
  const doc = parse(readFileSync(THOR, 'utf8')) as { logsources: Record<string, ThorSource> };
  return Object.values(doc.logsources);
}

function isWindows(s: ThorSource): boolean {
  return s.product === 'windows' || s.rewrite?.product === 'windows';
}

function serviceChannels(thor: ThorSource[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of thor) {
    if (s.service && s.sources && isWindows(s)) out.set(s.service, s.sources.map((x) => x.replace(/^WinEventLog:/, '')));
  }
  return out;
}

function asStrings(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).map(String);
}

function addPlace(places: Map<string, Place>, key: string, conditions: Record<string, string[]>, fieldMap: Record<string, string>): void {
  const place = places.get(key) ?? { conditions: {}, fieldMap: {} };
  for (const [f, vs] of Object.entries(conditions)) place.conditions[f] = [...new Set([...(place.conditions[f] ?? []), ...vs])].sort();
  Object.assign(place.fieldMap, fieldMap);
  places.set(key, place);
}

/** category → "channel#eid" → extra conditions and field renames, as thor.yml says. */
function thorCategories(thor: ThorSource[]): Map<string, Map<string, Place>> {
  const channels = serviceChannels(thor);
  const out = new Map<string, Map<string, Place>>();
  for (const s of thor) {
    if (!s.category || !s.conditions || !isWindows(s)) continue;
    const { EventID, ...rest } = s.conditions;
    const conditions = Object.fromEntries(Object.entries(rest).map(([f, v]) => [f, asStrings(v)]));
    const places = out.get(s.category) ?? new Map<string, Place>();
    for (const channel of channels.get(s.rewrite?.service ?? '') ?? []) {
      for (const id of asStrings(EventID)) addPlace(places, `${channel}#${id}`, conditions, s.fieldmappings ?? {});
    }
    out.set(s.category, places);
  }
  return out;
}

function ourPlaces(targets: LogsourceTarget[]): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const t of targets) {
    for (const channel of t.channels) {
      for (const id of t.eventIds) addPlace(places, `${channel}#${id}`, t.conditions, t.fieldMap);
    }
  }
  return places;
}

function targets(ls: { category?: string; service?: string }): LogsourceTarget[] {
  const r = resolveLogsource({ product: 'windows', ...ls });
  return r.kind === 'targets' ? r.targets : [];
}

function renameDiffs(label: string, theirs: Record<string, string>, ours: Record<string, string>): string[] {
  return Object.entries(theirs)
    .filter(([from, to]) => ours[from] !== to)
    .map(([from, to]) => `${label}: ${from} → ${ours[from] ?? '(none)'}, thor says ${to}`);
}

function placeDiffs(label: string, theirs: Map<string, Place>, ours: Map<string, Place>): string[] {
  const diffs: string[] = [];
  for (const key of theirs.keys()) if (!ours.has(key)) diffs.push(`${label}: missing ${key}`);
  for (const key of ours.keys()) if (!theirs.has(key)) diffs.push(`${label}: extra ${key}`);
  for (const [key, place] of theirs) {
    const mine = ours.get(key);
    if (!mine) continue;
    if (JSON.stringify(mine.conditions) !== JSON.stringify(place.conditions)) diffs.push(`${label}: conditions differ at ${key}`);
    diffs.push(...renameDiffs(label, place.fieldMap, mine.fieldMap));
  }
  return [...new Set(diffs)];
}

function channelDiffs(label: string, theirs: string[], ours: string[]): string[] {
  return [
    ...theirs.filter((c) => !ours.includes(c)).map((c) => `${label}: missing channel ${c}`),
    ...ours.filter((c) => !theirs.includes(c)).map((c) => `${label}: extra channel ${c}`),
  ];
}

function allDiffs(thor: ThorSource[]): string[] {
  const diffs: string[] = [];
  for (const [category, places] of thorCategories(thor)) {
    diffs.push(...placeDiffs(`category ${category}`, places, ourPlaces(targets({ category }))));
  }
  for (const [service, channels] of serviceChannels(thor)) {
    const ours = targets({ service });
    if (ours.length !== 1 || ours[0]!.eventIds.length !== 0) diffs.push(`service ${service}: not a whole-channel target`);
    diffs.push(...channelDiffs(`service ${service}`, channels, ours[0]?.channels ?? []));
  }
  return diffs;
}

describe('agreement with SigmaHQ thor.yml', { skip }, () => {
  const thor = skip ? [] : loadThor();

  it('has Windows categories and services to compare', () => {
    assert.ok(thorCategories(thor).size >= 30);
    assert.ok(serviceChannels(thor).size >= 40);
  });

  it('EventIDs, channels, conditions and renames agree except the documented exceptions', () => {
    assert.deepEqual(allDiffs(thor).sort(), [...EXCEPTIONS].sort());
  });

  it("thor.yml's non-Windows sources are unmapped", () => {
    for (const s of thor.filter((x) => !isWindows(x) && x.category !== 'antivirus')) {
      const ls = { ...(s.product ? { product: s.product } : {}), ...(s.category ? { category: s.category } : {}), ...(s.service ? { service: s.service } : {}) };
      assert.equal(resolveLogsource(ls).kind, 'unmapped', JSON.stringify(ls));
    }
  });
});
