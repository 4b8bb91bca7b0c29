/**
 * What every format parser shares while one message is read: the time settings and the list
 * of problems found so far (they become `ParsedMessage.error`).
 */
import type { EventRecord } from '../../core/index.js';
import { put } from './fields.js';
import { formatInstant, invalidWallTime, wallToInstant } from './time.js';
import type { Instant, TimeContext, WallTime } from './time.js';

export interface ParseContext extends TimeContext {
  /** Problems found so far, each naming what is wrong and where. */
  readonly problems: string[];
}

/**
 * The instant of calendar fields, or undefined (with a problem naming `what`) when they are not
 * a real time (`what` is built only then). Without `offset` the fields are read in the context's zone, and the event
 * records that zone in `event.timezone` as Elastic's pipelines do.
 */
export function resolveWall(
  ctx: ParseContext,
  event: EventRecord,
  wall: WallTime,
  offset: number | undefined,
  what: string | (() => string),
): Instant | undefined {
  const invalid = invalidWallTime(wall);
  if (invalid) {
    ctx.problems.push(`${typeof what === 'string' ? what : what()}: ${invalid}`);
    return undefined;
  }
  if (offset === undefined) put(event, 'event.timezone', ctx.zone.name);
  return wallToInstant(wall, ctx.zone, offset);
}

export function setTimestamp(event: EventRecord, instant: Instant | undefined, path = '@timestamp'): void {
  if (instant) put(event, path, formatInstant(instant));
}

/** `(at char N)`: positions in problems count UTF-16 units from the start of the message. */
export function at(position: number): string {
  return `(at char ${position})`;
}
