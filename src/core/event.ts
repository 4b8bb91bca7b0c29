/**
 * An event as the detection engine sees it: a JSON object, flat (Windows event logs flattened
 * the way Sigma names their fields: `EventID`, `Channel`, `Image`) or nested (ECS:
 * `process.command_line`). Values keep their JSON types; absent fields are absent.
 */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

export type EventRecord = { [field: string]: FieldValue };

/** Where an event came from, so an alert can point back at it. */
export interface EventOrigin {
  /** File path, or listener name for live input. */
  readonly source: string;
  /** EVTX EventRecordID, or 1-based line number for JSON Lines, or element index for XML. */
  readonly record: number;
}
