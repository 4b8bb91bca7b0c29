import { parentPort, workerData } from 'node:worker_threads';
import type { Detection, IngestedEvent } from '../core/index.js';
import { LIVE_GROUP, LiveDetector } from '../detect/index.js';
import { eventRow, parseMessage, type EventsTable } from '../ingest/index.js';
import { countOf, IndicatorMatcher } from '../intel/index.js';
import type { DetectionRequest, DetectionResponse, ResponseValue, WorkerInit } from './detection-thread.js';

// The detection thread: parses spooled messages, runs the rules on them and builds their
// rows, so the main thread keeps only the sockets, the spool and the database.
const init = (workerData as { init: WorkerInit }).init;
let detector: LiveDetector | null = null;
// STIX indicators, matched after the rules on the event they already decoded.
let indicators = new IndicatorMatcher();
const intel = { name: 'stix-indicators', match: (e: Parameters<IndicatorMatcher['match']>[0]) => indicators.match(e) };

function handle(req: DetectionRequest): ResponseValue {
  switch (req.op) {
    case 'load': {
      const d = new LiveDetector(req.set);
      d.warm(req.warm);
      d.addMatcher(intel);
      detector = d;
      return { rules: d.report.rules, problems: d.problems.slice(0, 20), problemCount: d.problems.length };
    }
    case 'batch': {
      const live = detector;
      if (live === null) throw new Error('no rules loaded');
      // A few messages at a time from text to row (LIVE_GROUP), so parsed events die young
      // (the batch's rows are strings; a batch of parsed events would outlive the young
      // generation) while the rules and the indicator matcher each run over the group.
      const rows: EventsTable[] = [];
      const detections: Detection[] = [];
      let failed = 0;
      const group: IngestedEvent[] = [];
      const flush = (): void => {
        for (const d of live.process(group)) detections.push(d);
        group.length = 0;
      };
      for (const r of req.records) {
        const parsed = parseMessage(r.text, { receivedAt: r.receivedAt, ...(init.timezone ? { timezone: init.timezone } : {}) });
        const error = r.problem ? (parsed.error ? `${r.problem}; ${parsed.error}` : r.problem) : parsed.error;
        const e: IngestedEvent = { ...parsed, ...(error ? { error } : {}), id: `${req.spoolId}:${r.seq}`, receivedAt: r.receivedAt.toISOString(), source: r.source, raw: r.text };
        if (error) failed++;
        group.push(e);
        rows.push(eventRow(e));
        if (group.length === LIVE_GROUP) flush();
      }
      flush();
      return { rows, detections, failed };
    }
    case 'tick':
      return detector?.tick(req.nowMs) ?? [];
    case 'indicators':
      if (req.reset) indicators = new IndicatorMatcher(req.list);
      else for (const i of req.list) indicators.add(i);
      return countOf(indicators);
  }
}

parentPort!.on('message', (req: DetectionRequest) => {
  let res: DetectionResponse;
  try {
    res = { id: req.id, ok: true, value: handle(req) };
  } catch (err) {
    res = { id: req.id, ok: false, error: (err as Error).message };
  }
  parentPort!.postMessage(res);
});
