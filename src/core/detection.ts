import type { EventRecord } from './event.js';

/** Sigma's levels, lowest first. */
export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** The severities in order, lowest first. */
export const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/**
 * One rule (or other matcher, e.g. a threat-intel indicator) matching one stored event: what
 * detection hands to cases. Cases deduplicate and group these into alerts.
 */
export interface Detection {
  /** Sigma rule id, or `ioc:<indicator id>` for other matchers. */
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleTitle: string;
  readonly level: Severity;
  /** ATT&CK technique ids (`T1003.001`) and tactic short names (`credential-access`). */
  readonly techniques: readonly string[];
  readonly tactics: readonly string[];
  /** The rule's author: the Detection Rule License asks that it travel with every alert. */
  readonly author?: string;
  /** The stored event's id (see IngestedEvent.id); for correlations, the last event of the group. */
  readonly eventId: string;
  /** Further events of a correlation. */
  readonly relatedEventIds?: readonly string[];
  /** ISO 8601: the event's own time (not when we saw it). */
  readonly at: string;
  readonly host?: string;
  readonly user?: string;
  /** The event itself, for observables and display. */
  readonly event: EventRecord;
  /** Event fields whose tests held: the "why". */
  readonly matchedFields?: readonly string[];
}
