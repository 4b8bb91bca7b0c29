/**
 * Readers for Windows event logs: binary .evtx files and Windows event XML. Both give the flat
 * objects of the dataset's JSON Lines (see shared/data/events/README.md, "JSON Lines format").
 */
export { readEvtx } from './evtx/index.js';
export type { EvtxItem } from './evtx/index.js';
export { readEventXml } from './winxml/index.js';
export type { WinXmlItem } from './winxml/index.js';
export { flattenEvent } from './winevent.js';
export type { WinElement, WinAttribute, WinNode } from './winevent.js';
// files.ts (file discovery and per-file reading) is another engineer's; re-exported because
// src/detect/hunt.ts imports these names from here.
export { findEventFiles, readEventFile } from './files.js';
export type { EventFile } from './files.js';
export { Spool } from './spool/spool.js';
export type { SpoolInput, SpoolRecord, SpoolOptions, SpoolOpenReport } from './spool/spool.js';
export { ingestMigrations, storeEvents, eventRow, insertEventRows, listEvents, getEvent, countEvents, eventTimeOf, recentEvents } from './events-store.js';
export type { EventQuery, StoredEventView, EventsTable } from './events-store.js';
export { registerIngestRoutes } from './routes.js';
export type { IngestRouteDeps } from './routes.js';
export { parseMessage, isKnownTimezone, MAX_MESSAGE_CHARS } from './parse/index.js';
export type { ParseOptions } from './parse/index.js';
export { startSyslogListeners } from './listen/index.js';
export type { RawMessage, MessageSink, ListenerOptions, ListenerCounters, SyslogListeners } from './listen/index.js';
