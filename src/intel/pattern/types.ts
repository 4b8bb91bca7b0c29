/**
 * STIX 2.1 patterning (STIX 2.1 part 9), as a syntax tree. Names follow the specification:
 * an observation expression holds comparison expressions; object paths name a property of a
 * cyber-observable object (`file:hashes.'SHA-256'`, `network-traffic:dst_ref.value`).
 */
export type Literal =
  | { readonly kind: 'int' | 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  /** t'…': the instant in ms since the epoch, and the text as written. */
  | { readonly kind: 'timestamp'; readonly value: number; readonly text: string }
  /** b'…' (base64) and h'…' (hex), as bytes. */
  | { readonly kind: 'binary' | 'hex'; readonly value: Uint8Array };

/** `.name` (a property) or `[n]` / `[*]` (list elements). */
export type PathStep = { readonly prop: string } | { readonly index: number | '*' };

export interface ObjectPath {
  /** The cyber-observable object type (`ipv4-addr`). */
  readonly type: string;
  readonly steps: readonly PathStep[];
  /** Canonical text: `file:hashes.'SHA-256'`. */
  readonly text: string;
}

export type ComparisonOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';

export type Comparison =
  | { readonly k: 'and' | 'or'; readonly args: readonly Comparison[] }
  | { readonly k: 'test'; readonly path: ObjectPath; readonly op: ComparisonOp; readonly negated: boolean; readonly value: Literal | readonly Literal[] }
  | { readonly k: 'exists'; readonly path: ObjectPath };

export type Observation =
  | { readonly k: 'observe'; readonly comparison: Comparison }
  | { readonly k: 'and' | 'or' | 'followedby'; readonly args: readonly Observation[] }
  | { readonly k: 'within'; readonly seconds: number; readonly arg: Observation }
  | { readonly k: 'repeats'; readonly times: number; readonly arg: Observation }
  /** Observations between `start` (inclusive) and `stop` (exclusive), ms since the epoch. */
  | { readonly k: 'startstop'; readonly start: number; readonly stop: number; readonly arg: Observation };

export interface Pattern {
  readonly text: string;
  readonly root: Observation;
}
