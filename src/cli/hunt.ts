import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { parse as parseYaml } from 'yaml';
import { defaultRulesDir, hunt, loadRules, type SigmaLevel } from '../detect/index.js';
import { style, summarize, summaryText, timelineTable, toCsv, toJson, toJsonl, type HuntFormat } from './hunt-output.js';

interface HuntFlags {
  rules?: string[];
  minLevel: SigmaLevel;
  ignoreLogsource?: boolean;
  format: HuntFormat;
  out?: string;
  placeholders?: string;
  color: boolean;
  quiet?: boolean;
  threads?: number;
  excludeStatus: string;
  timelineStart?: string;
  timelineEnd?: string;
}

/** Exit codes: 0 completed; 1 completed but some input could not be read; 2 could not run. */
export async function huntCommand(paths: string[], flags: HuntFlags): Promise<void> {
  const rulePaths = flags.rules ?? [defaultRulesDir()];
  if (!flags.rules && !existsSync(rulePaths[0]!)) {
    fail(`no rules: ${rulePaths[0]} does not exist. Run \`lianfang rules update\` or give --rules PATH`);
  }
  const err = process.stderr;
  const interactive = err.isTTY === true && !flags.quiet;
  const corpus = loadRules(rulePaths, { cache: process.env.LIANFANG_NO_CACHE !== '1' });
  if (corpus.rules.length === 0) fail(`no rules loaded from ${rulePaths.join(', ')}`);
  if (!flags.quiet) {
    err.write(`Loaded ${corpus.rules.length} rules, ${corpus.correlations.length} correlations, ${corpus.filters.length} filters from ${corpus.files} files` +
      (corpus.problems.length ? ` (${corpus.problems.length} rule files failed; see \`lianfang rules check\`)` : '') + '\n');
  }
  const bar = interactive
    ? new cliProgress.SingleBar({ format: 'Scanning [{bar}] {percentage}% | {value}/{total} MiB | {duration_formatted}', hideCursor: true, clearOnComplete: true, stream: err }, cliProgress.Presets.shades_classic)
    : null;
  const mib = (b: number): number => Math.round(b / 1048576);
  let started = false;
  const result = await hunt(paths, corpus, {
    minLevel: flags.minLevel,
    ignoreLogsource: flags.ignoreLogsource,
    threads: flags.threads,
    excludeStatus: flags.excludeStatus.split(',').map((x) => x.trim()).filter(Boolean),
    startMs: flags.timelineStart === undefined ? undefined : timeFlag('--timeline-start', flags.timelineStart),
    endMs: flags.timelineEnd === undefined ? undefined : timeFlag('--timeline-end', flags.timelineEnd),
    placeholders: flags.placeholders ? readPlaceholders(flags.placeholders) : undefined,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(Math.max(mib(total), 1), 0);
        started = true;
      }
      bar.update(mib(done));
    },
  });
  bar?.stop();
  if (result.stats.files === 0) fail(`no event files (.evtx, .jsonl, .json, .xml) under ${paths.join(', ')}`);
  const useColor = flags.color && !flags.out && process.stdout.isTTY === true;
  const output = render(flags.format, result, useColor);
  if (flags.out) writeFileSync(flags.out, output);
  else process.stdout.write(output);
  if (!flags.quiet && flags.format !== 'table') {
    err.write(summaryText(summarize(result), result.problems, style(err.isTTY === true && flags.color)));
  }
  if (flags.out && !flags.quiet) err.write(`wrote ${result.detections.length} detections to ${flags.out}\n`);
  process.exitCode = result.problems.length > 0 ? 1 : 0;
}

function render(format: HuntFormat, result: Awaited<ReturnType<typeof hunt>>, color: boolean): string {
  switch (format) {
    case 'json':
      return toJson(result);
    case 'jsonl':
      return toJsonl(result.detections);
    case 'csv':
      return toCsv(result.detections);
    case 'table': {
      const st = style(color);
      return timelineTable(result.detections, st, process.stdout.columns ?? 200) + summaryText(summarize(result), result.problems, st);
    }
  }
}

function readPlaceholders(file: string): Map<string, string[]> {
  const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(`${file}: placeholders must be a map of name: [values]`);
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    out.set(k.replace(/^%|%$/g, ''), (Array.isArray(v) ? v : [v]).map(String));
  }
  return out;
}

function timeFlag(name: string, text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) fail(`${name} '${text}' is not a time; use ISO 8601, e.g. 2024-01-31T00:00:00Z`);
  return ms;
}

export function fail(message: string): never {
  console.error(`lianfang: ${message}`);
  process.exit(2);
}
