export { createApp } from './app.js';
export type { App, AppDeps } from './app.js';
export { createToken, TokenAuthenticator, tokenMigrations, ROLES } from './tokens.js';
export { openDataStore, ALL_MIGRATIONS } from './store.js';
export { IngestMetrics } from './metrics.js';
export { Pipeline } from './pipeline.js';
export type { PipelineDeps } from './pipeline.js';
export { serve } from './serve.js';
export type { ServeOptions, Running } from './serve.js';
