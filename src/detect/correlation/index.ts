export { CorrelationEngine, correlate } from './engine.js';
export type { BaseMatch, CorrelationHit, EngineOptions, EngineStats } from './types.js';
