import { RETIRED_TACTICS, TACTICS, killChainIndex } from './tactics.js';
import type { KillChainPhase, Tactic } from './tactics.js';

/** What an ATT&CK-related Sigma tag says, after `attack.` and normalisation. */
export type AttackTag =
  | { kind: 'tactic'; tactic: Tactic }
  | { kind: 'technique'; id: string }
  | { kind: 'software'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'campaign'; id: string }
  | { kind: 'data-source'; id: string }
  | { kind: 'mitigation'; id: string }
  | { kind: 'unknown'; text: string }
  | { kind: 'not-attack' };

export interface AttackContext {
  /** 'T1003.001' normalised upper-case, in tag order, deduplicated. */
  techniques: string[];
  /** Tactic ids 'TA0006', from tactic tags. */
  tactics: string[];
  /** 'credential-access' (ATT&CK shortnames). */
  tacticNames: string[];
  /** Phases of those tactics, deduplicated, in chain order. */
  killChainPhases: KillChainPhase[];
  /** The furthest phase along the chain (what an analyst sorts by). */
  killChainPhase: KillChainPhase | null;
  software: string[];
  groups: string[];
}

const BY_NAME = new Map<string, Tactic>([...RETIRED_TACTICS, ...TACTICS].map((t) => [t.shortname, t]));
const BY_ID = new Map<string, Tactic>(TACTICS.map((t) => [t.id.toLowerCase(), t]));

const ID_KINDS: ReadonlyArray<[RegExp, 'technique' | 'software' | 'group' | 'campaign' | 'data-source' | 'mitigation']> = [
  [/^t\d{4}(\.\d{3})?$/, 'technique'],
  [/^s\d{4}$/, 'software'],
  [/^g\d{4}$/, 'group'],
  [/^c\d{4}$/, 'campaign'],
  [/^ds\d{4}$/, 'data-source'],
  [/^m\d{4}$/, 'mitigation'],
];

function classifyId(rest: string): AttackTag | null {
  for (const [pattern, kind] of ID_KINDS) if (pattern.test(rest)) return { kind, id: rest.toUpperCase() };
  return null;
}

function classifyTactic(rest: string): AttackTag | null {
  const tactic = BY_ID.get(rest) ?? BY_NAME.get(rest.replace(/[_\s]+/g, '-'));
  return tactic ? { kind: 'tactic', tactic } : null;
}

/** Classify one Sigma tag: `attack.t1003.001`, `attack.credential_access`, `attack.g0007`, `car.…`. */
export function classifyAttackTag(tag: string): AttackTag {
  const lower = tag.trim().toLowerCase();
  if (!lower.startsWith('attack.')) return { kind: 'not-attack' };
  const rest = lower.slice('attack.'.length);
  return classifyId(rest) ?? classifyTactic(rest) ?? { kind: 'unknown', text: tag };
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function phasesOf(tactics: readonly Tactic[]): KillChainPhase[] {
  const phases = [...new Set(tactics.map((t) => t.killChainPhase))];
  return phases.sort((a, b) => killChainIndex(a) - killChainIndex(b));
}

function addTag(ctx: AttackContext, tactics: Tactic[], t: AttackTag): void {
  if (t.kind === 'technique') pushUnique(ctx.techniques, t.id);
  else if (t.kind === 'software') pushUnique(ctx.software, t.id);
  else if (t.kind === 'group') pushUnique(ctx.groups, t.id);
  else if (t.kind === 'tactic') {
    tactics.push(t.tactic);
    pushUnique(ctx.tactics, t.tactic.id);
    pushUnique(ctx.tacticNames, t.tactic.shortname);
  }
}

/**
 * The ATT&CK and kill-chain reading of a rule's tags. Non-ATT&CK tags (`car.`, `cve.`,
 * `detection.`) and ATT&CK tags of other kinds (campaign, data source, unknown) are ignored.
 * `tactics` and `tacticNames` are deduplicated separately: a legacy `defense-evasion` next to
 * `stealth` gives one id (TA0005) and two names.
 */
export function attackFromTags(tags: readonly string[]): AttackContext {
  const ctx: AttackContext = {
    techniques: [], tactics: [], tacticNames: [], killChainPhases: [], killChainPhase: null, software: [], groups: [],
  };
  const tactics: Tactic[] = [];
  for (const tag of tags) addTag(ctx, tactics, classifyAttackTag(tag));
  ctx.killChainPhases = phasesOf(tactics);
  ctx.killChainPhase = ctx.killChainPhases.at(-1) ?? null;
  return ctx;
}
