export type { KillChainPhase, Tactic } from './tactics.js';
export { TACTICS, RETIRED_TACTICS, KILL_CHAIN_PHASES } from './tactics.js';
export type { AttackContext, AttackTag } from './tags.js';
export { attackFromTags, classifyAttackTag } from './tags.js';
