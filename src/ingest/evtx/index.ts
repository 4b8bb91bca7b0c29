export { readEvtx } from './reader.js';
export type { EvtxItem } from './reader.js';
