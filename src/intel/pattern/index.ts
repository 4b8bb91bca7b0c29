export { parsePattern, pathText, MAX_PATTERN_CHARS } from './parse.js';
export { compileComparison, valuesAt } from './evaluate.js';
export type { ComparisonTest } from './evaluate.js';
export { observationOf } from './observe.js';
export type { Observed, StixObject } from './observe.js';
export { IndicatorMatcher, MAX_SEEN_PER_LEAF } from './matcher.js';
export type { PatternIndicator, MatchedEvent } from './matcher.js';
export type { Pattern, Observation, Comparison, ComparisonOp, Literal, ObjectPath, PathStep } from './types.js';
