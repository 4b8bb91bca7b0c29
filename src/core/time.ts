/** A clock that tests can replace. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Milliseconds since the epoch for an ISO 8601 timestamp, or undefined when the text is
 * not a timestamp we can trust (the caller decides what an undated event means).
 */
export function parseTimestamp(text: string): number | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
