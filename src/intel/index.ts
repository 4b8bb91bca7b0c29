/**
 * The sector intel hub (capability C3): STIX 2.1 patterning and indicator matching on the
 * live stream so far; the STIX store, TAXII 2.1, TLP and the rest follow (see issue 5).
 */
export { parsePattern, IndicatorMatcher, observationOf, compileComparison } from './pattern/index.js';
export type { PatternIndicator, MatchedEvent, Pattern, Observation, Comparison, Literal, ObjectPath, Observed } from './pattern/index.js';
