/**
 * `lianfang rules update`: download SigmaHQ's rule corpus (which we may not ship), check
 * it and install it atomically into the user's rules folder. See docs/rules-update.md.
 */
export { updateRules } from './update.js';
export type { RulesUpdateOptions, RulesUpdateResult, RulesUpdateProgress } from './update.js';
export type { Rejected } from './select.js';
export { defaultRulesDir } from './paths.js';
export { MANIFEST_FILE } from './install.js';
export { DEFAULT_RELEASE_URL, PREFERRED_ASSET } from './source.js';
