/** A Sigma rule's `logsource` block, names as the rule wrote them. */
export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
  definition?: string;
}

/** One concrete place in Windows logs where a rule's events live. */
export interface LogsourceTarget {
  /** Channel names as Windows writes them, e.g. 'Microsoft-Windows-Sysmon/Operational'. Empty = any channel. */
  channels: string[];
  /** Event ids; empty = any id in those channels. */
  eventIds: number[];
  /** Sigma field name → the field name in this source's events (e.g. Image → NewProcessName for 4688). */
  fieldMap: Record<string, string>;
  /** Extra equality conditions some sources need (e.g. {EventType: 'SetValue'}), field → allowed values; empty if none. */
  conditions: Record<string, string[]>;
}

export type LogsourceResolution =
  | { kind: 'targets'; targets: LogsourceTarget[] } // mapped
  | { kind: 'any' } // applies to every event (e.g. no logsource at all)
  | { kind: 'unmapped'; reason: string }; // not a Windows event log source we know

/** One row of the shipped table (a category or a service, never both). */
export interface MappingEntry {
  readonly product: string;
  readonly category?: string;
  readonly service?: string;
  readonly targets: LogsourceTarget[];
}
