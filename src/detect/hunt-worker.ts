import { parentPort, workerData } from 'node:worker_threads';
import type { EventFile } from '../ingest/index.js';
import { FileScanner, type HuntWorkerInit } from './hunt.js';

// One hunt worker: compiles its own engine once, then scans the files it is sent.
const init = (workerData as { init: HuntWorkerInit }).init;
const scanner = new FileScanner(init, {
  minLevel: init.minLevel,
  ignoreLogsource: init.ignoreLogsource,
  placeholders: init.placeholders ? new Map(init.placeholders) : undefined,
  excludeStatus: init.excludeStatus,
  startMs: init.startMs,
  endMs: init.endMs,
});
parentPort!.on('message', (file: EventFile) => {
  parentPort!.postMessage(scanner.scan(file));
});
