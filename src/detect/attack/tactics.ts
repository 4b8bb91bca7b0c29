/** The seven phases of the Lockheed Martin Cyber Kill Chain®, in chain order. */
export type KillChainPhase =
  | 'reconnaissance'
  | 'weaponization'
  | 'delivery'
  | 'exploitation'
  | 'installation'
  | 'command-and-control'
  | 'actions-on-objectives';

export const KILL_CHAIN_PHASES: readonly KillChainPhase[] = Object.freeze([
  'reconnaissance',
  'weaponization',
  'delivery',
  'exploitation',
  'installation',
  'command-and-control',
  'actions-on-objectives',
] as const);

export interface Tactic {
  /** ATT&CK id, e.g. 'TA0006'. */
  readonly id: string;
  /** ATT&CK shortname as used in tags and STIX `x_mitre_shortname`, e.g. 'credential-access'. */
  readonly shortname: string;
  readonly name: string;
  /** Our documented choice, see docs/kill-chain.md. */
  readonly killChainPhase: KillChainPhase;
}

function tactic(id: string, shortname: string, name: string, killChainPhase: KillChainPhase): Tactic {
  return Object.freeze({ id, shortname, name, killChainPhase });
}

/**
 * The Enterprise ATT&CK tactics in matrix order, as of ATT&CK v19 (April 2026): Defense Evasion
 * was split into Stealth (keeping TA0005) and Defense Impairment (TA0112, new), so there are 15.
 * The SigmaHQ rules we ship already use the v19 names. ICS and Mobile tactics are not needed.
 */
export const TACTICS: ReadonlyArray<Tactic> = Object.freeze([
  tactic('TA0043', 'reconnaissance', 'Reconnaissance', 'reconnaissance'),
  tactic('TA0042', 'resource-development', 'Resource Development', 'weaponization'),
  tactic('TA0001', 'initial-access', 'Initial Access', 'delivery'),
  tactic('TA0002', 'execution', 'Execution', 'exploitation'),
  tactic('TA0003', 'persistence', 'Persistence', 'installation'),
  tactic('TA0004', 'privilege-escalation', 'Privilege Escalation', 'exploitation'),
  tactic('TA0005', 'stealth', 'Stealth', 'installation'),
  tactic('TA0112', 'defense-impairment', 'Defense Impairment', 'installation'),
  tactic('TA0006', 'credential-access', 'Credential Access', 'actions-on-objectives'),
  tactic('TA0007', 'discovery', 'Discovery', 'actions-on-objectives'),
  tactic('TA0008', 'lateral-movement', 'Lateral Movement', 'actions-on-objectives'),
  tactic('TA0009', 'collection', 'Collection', 'actions-on-objectives'),
  tactic('TA0011', 'command-and-control', 'Command and Control', 'command-and-control'),
  tactic('TA0010', 'exfiltration', 'Exfiltration', 'actions-on-objectives'),
  tactic('TA0040', 'impact', 'Impact', 'actions-on-objectives'),
]);

/**
 * Tactics retired from the current matrix that older rules still name. `defense-evasion`
 * (TA0005 until v18) covered what is now Stealth *and* Defense Impairment; a tag cannot say
 * which, so it is reported under its own name with the id it had.
 */
export const RETIRED_TACTICS: ReadonlyArray<Tactic> = Object.freeze([
  tactic('TA0005', 'defense-evasion', 'Defense Evasion', 'installation'),
]);

export function killChainIndex(phase: KillChainPhase): number {
  return KILL_CHAIN_PHASES.indexOf(phase);
}
