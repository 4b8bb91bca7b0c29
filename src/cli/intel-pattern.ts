import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { errorMessage } from '../core/index.js';
import { matchPattern, observationsFromStix, parsePattern } from '../intel/index.js';

export type CheckAnswer = { valid: true } | { valid: false; error: string };
export type MatchAnswer = { match: boolean } | { error: string };

/** `lianfang intel pattern check`: a verdict per pattern line; exit 1 if any pattern is invalid. */
export async function intelPatternCheckCommand(): Promise<void> {
  let invalid = 0;
  await answerLines('one STIX pattern per line', (line) => {
    const a = checkPattern(line);
    if (!a.valid) invalid++;
    return a;
  });
  process.exitCode = invalid > 0 ? 1 : 0;
}

/** `lianfang intel pattern match`: an answer per JSON line; exit 1 if any line was an error. */
export async function intelPatternMatchCommand(): Promise<void> {
  let errors = 0;
  await answerLines('one {"pattern": …, "observed": […]} per line', (line) => {
    const a = matchLine(line);
    if ('error' in a) errors++;
    return a;
  });
  process.exitCode = errors > 0 ? 1 : 0;
}

/** A blank line is a pattern too (an invalid one), so output lines pair with input lines. */
export function checkPattern(line: string): CheckAnswer {
  try {
    parsePattern(line);
    return { valid: true };
  } catch (err) {
    return { valid: false, error: errorMessage(err) };
  }
}

export function matchLine(line: string): MatchAnswer {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (err) {
    return { error: `the line is not JSON: ${errorMessage(err)}` };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: 'the line is not a JSON object {"pattern": …, "observed": […]}' };
  const { pattern, observed } = input as { pattern?: unknown; observed?: unknown };
  if (typeof pattern !== 'string') return { error: `"pattern" is ${pattern === undefined ? 'missing' : 'not a string'}` };
  if (!Array.isArray(observed)) return { error: `"observed" is ${observed === undefined ? 'missing' : 'not a list'} (observed-data objects and their SCOs)` };
  let parsed: ReturnType<typeof parsePattern>;
  try {
    parsed = parsePattern(pattern);
  } catch (err) {
    return { error: `pattern: ${errorMessage(err)}` };
  }
  try {
    return { match: matchPattern(parsed, observationsFromStix(observed)) };
  } catch (err) {
    // Keep going with the next line, whatever went wrong with this one.
    return { error: errorMessage(err) };
  }
}

async function answerLines(what: string, answer: (line: string) => CheckAnswer | MatchAnswer): Promise<void> {
  if (process.stdin.isTTY) process.stderr.write(`lianfang: reading ${what} from standard input (end with Ctrl-D)\n`);
  for await (const line of lines(process.stdin)) {
    if (!process.stdout.write(`${JSON.stringify(answer(line))}\n`)) await once(process.stdout, 'drain');
  }
}

/**
 * The lines of a stream as it arrives: split on LF, a CR before it dropped (CRLF files), the
 * last line kept when no newline ends it, a UTF-8 byte order mark at the start ignored.
 */
export async function* lines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let start = true;
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (start && pending.length > 0) {
      if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
      start = pending.length === 0;
    }
    let from = 0;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', from)) {
      yield stripCr(pending.slice(from, nl));
      from = nl + 1;
    }
    pending = pending.slice(from);
  }
  pending += decoder.end();
  if (pending !== '') yield stripCr(pending);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
