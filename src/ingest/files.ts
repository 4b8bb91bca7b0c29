import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { walkFiles, type EventRecord, type ItemProblem } from '../core/index.js';
import { readEvtx } from './evtx/index.js';
import { readEventXml } from './winxml/index.js';
import { flattenWinlogbeat, readJsonEvents } from './jsonl.js';

export type EventFileKind = 'evtx' | 'jsonl' | 'xml';

export interface EventFile {
  readonly path: string;
  readonly kind: EventFileKind;
  readonly size: number;
}

export type FileItem =
  /** `at`: about how far into the file this event ends (bytes, or characters for text). */
  | { readonly ok: true; readonly record: number; readonly event: EventRecord; readonly at?: number }
  | { readonly ok: false; readonly problem: ItemProblem };

const KINDS: Record<string, EventFileKind> = { '.evtx': 'evtx', '.jsonl': 'jsonl', '.json': 'jsonl', '.ndjson': 'jsonl', '.xml': 'xml' };

/** The kind of event file a name says it is, or undefined for other files. */
export function eventFileKind(path: string): EventFileKind | undefined {
  return KINDS[extname(path).toLowerCase()];
}

/**
 * Event files under the given files and folders (folders searched recursively for .evtx,
 * .jsonl, .json and .xml), sorted for repeatable runs. A file named directly is read
 * whatever its extension (as JSON Lines if unknown).
 */
export function findEventFiles(paths: readonly string[]): { files: EventFile[]; problems: ItemProblem[] } {
  const files: EventFile[] = [];
  const problems = walkFiles(paths, (path, st, named) => {
    const kind = eventFileKind(path) ?? (named ? 'jsonl' : undefined);
    if (kind) files.push({ path, kind, size: st.size });
  });
  return { files, problems };
}

/** Every event of one file, in file order; damaged parts are reported and skipped. */
export function* readEventFile(file: EventFile): Generator<FileItem> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.path);
  } catch (err) {
    yield { ok: false, problem: { where: file.path, reason: `cannot read: ${(err as Error).message}` } };
    return;
  }
  if (file.kind === 'evtx') {
    for (const item of readEvtx(bytes)) {
      if (item.ok) yield { ok: true, record: item.recordId, event: item.event, at: item.offset };
      else {
        const rec = item.recordId === undefined ? '' : ` (record ${item.recordId})`;
        yield { ok: false, problem: { where: `${file.path}@${item.offset}${rec}`, reason: item.reason } };
      }
    }
    return;
  }
  const text = bytes.toString('utf8');
  if (file.kind === 'xml') {
    for (const item of readEventXml(text)) {
      if (item.ok) yield { ok: true, record: item.index, event: item.event };
      else yield { ok: false, problem: { where: `${file.path}@${item.offset}`, reason: item.reason } };
    }
    return;
  }
  for (const item of readJsonEvents(text)) {
    if (item.ok) yield { ok: true, record: item.record, event: flattenWinlogbeat(item.event), at: item.at };
    else yield { ok: false, problem: { where: `${file.path}:${item.record}`, reason: item.reason } };
  }
}
