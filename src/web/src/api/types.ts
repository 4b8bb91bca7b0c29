/**
 * The JSON the console reads, as the REST API sends it (snake_case). Written here rather than
 * imported because the server's domain types are camelCase and carry Node types; the
 * authoritative document is GET /openapi.json.
 */

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'new' | 'acknowledged' | 'in_case' | 'dismissed';
export type CaseState = 'new' | 'triage' | 'in_progress' | 'contained' | 'resolved' | 'closed' | 'false_positive';
export type CaseSeverity = 'low' | 'medium' | 'high' | 'critical';
export type Tlp = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
export type Pap = 'clear' | 'green' | 'amber' | 'red';
export type TaskState = 'todo' | 'doing' | 'done';
export type ObservableType = 'ip' | 'domain' | 'url' | 'hash' | 'user' | 'host' | 'email' | 'file';

/** Every list answer: newest first, `next` is an opaque cursor or null at the end. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

export interface ApiErrorBody {
  readonly error: string;
  readonly message: string;
  readonly where?: string;
}

export interface Me {
  readonly actor: string;
  readonly roles: string[];
  readonly tenant: string;
}

export interface Observable {
  readonly type: ObservableType;
  readonly value: string;
  readonly algorithm?: string;
}

export interface Alert {
  readonly id: string;
  readonly rule_id: string;
  readonly rule_version: number;
  readonly rule_title: string;
  readonly level: Level;
  readonly techniques: string[];
  readonly tactics: string[];
  readonly author: string | null;
  readonly host: string | null;
  readonly user: string | null;
  readonly status: AlertStatus;
  readonly status_note: string | null;
  readonly case_id: string | null;
  readonly observables: Observable[];
  readonly event_ids: string[];
  readonly event_count: number;
  readonly detection_count: number;
  readonly matched_fields: string[];
  readonly first_seen: string;
  readonly last_seen: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface CaseClocks {
  readonly acknowledged_at: string | null;
  readonly time_to_acknowledge_ms: number | null;
  readonly resolved_at: string | null;
  readonly time_to_resolve_ms: number | null;
}

export interface Case {
  readonly id: string;
  readonly number: number;
  /** `#42` */
  readonly ref: string;
  readonly title: string;
  readonly description: string;
  readonly severity: CaseSeverity;
  readonly state: CaseState;
  readonly assignee: string | null;
  readonly tags: string[];
  readonly tlp: Tlp;
  readonly pap: Pap;
  readonly summary: string | null;
  readonly merged_into: string | null;
  readonly created_by: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly revision: number;
  readonly clocks: CaseClocks;
  readonly alert_count: number;
}

export interface CaseTask {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly state: TaskState;
  readonly assignee: string | null;
  readonly created_by: string;
  readonly created_at: string;
  readonly done_at: string | null;
}

export interface CaseComment {
  readonly id: string;
  readonly author: string;
  readonly text: string;
  readonly created_at: string;
}

export interface EvidenceInfo {
  readonly id: string;
  readonly name: string;
  readonly media_type: string;
  readonly size: number;
  readonly sha256: string;
  readonly added_by: string;
  readonly added_at: string;
}

export interface CaseObservable extends Observable {
  readonly id: string;
  readonly ioc: boolean;
  readonly note: string | null;
  readonly source: 'alert' | 'analyst';
  readonly added_by: string;
  readonly added_at: string;
}

export interface TimelineEntry {
  readonly at: string;
  readonly actor: string;
  readonly kind: string;
  readonly summary: string;
}

/** Another case sharing observables with this one. */
export interface RelatedCase {
  readonly id: string;
  readonly number: number;
  readonly ref: string;
  readonly title: string;
  readonly state: CaseState;
  readonly severity: CaseSeverity;
  /** Observables in common. */
  readonly shared: number;
}

export interface CaseDetail extends Case {
  readonly related: RelatedCase[];
  readonly alerts: Alert[];
  readonly tasks: CaseTask[];
  readonly comments: CaseComment[];
  readonly evidence: EvidenceInfo[];
  readonly observables: CaseObservable[];
  readonly timeline: TimelineEntry[];
}

export interface DurationSummary {
  readonly count: number;
  readonly median_ms: number | null;
  readonly p90_ms: number | null;
}

export interface CaseStats {
  readonly from: string;
  readonly to: string;
  readonly created: number;
  readonly time_to_acknowledge: DurationSummary;
  readonly time_to_resolve: DurationSummary;
  readonly by_state: Record<CaseState, number>;
  readonly by_severity: Record<CaseSeverity, number>;
}

export interface Rule {
  readonly id: string;
  readonly version: number;
  readonly kind: 'rule' | 'filter' | 'correlation';
  readonly title: string;
  readonly level: string;
  readonly status: string | null;
  readonly author: string | null;
  readonly logsource: Record<string, string>;
  readonly tags: string[];
  readonly enabled: boolean;
  readonly source: string;
  readonly imported_at: string;
  readonly updated_at: string;
}

export interface RuleDetail extends Rule {
  readonly yaml: string;
  readonly versions: Array<{ readonly version: number; readonly imported_at: string; readonly source: string }>;
}

export interface RuleImportReport {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly problems: Array<{ readonly where: string; readonly reason: string }>;
}

export interface StoredEvent {
  readonly id: string;
  readonly received_at: string;
  readonly event_time?: string;
  readonly source: { readonly transport: string; readonly peer: string; readonly listener: string };
  readonly format: string;
  readonly device: string | null;
  readonly error: string | null;
  readonly raw: string;
  readonly event: Record<string, unknown>;
}

export interface IngestHealth {
  readonly counters: {
    readonly received: number;
    readonly parsed: number;
    readonly failed: number;
    readonly detected: number;
    readonly alerts: number;
    readonly spool_damaged: number;
    readonly http_rejected: number;
  };
  readonly rates: { readonly received_per_s: number; readonly detected_per_s: number };
  /** Spool, listeners, rules…: shapes owned by the server, shown as they come. */
  readonly [more: string]: unknown;
}

/** GET /api/v1/vaults (src/vault/routes.ts). */
export interface VaultSummary {
  readonly id: string;
  readonly file: string;
  readonly data: { readonly k: number; readonly n: number };
  readonly sites: ReadonlyArray<{ readonly name: string; readonly url: string }>;
  readonly custodians: readonly string[];
  readonly quorum: number;
  /** Newest first. */
  readonly snapshots: ReadonlyArray<{ readonly id: string; readonly time: string; readonly host: string; readonly files: number; readonly bytes: number }>;
  readonly snapshots_error: string | null;
  readonly last_verify: VaultVerifyRecord | null;
  readonly last_drill: VaultDrillRecord | null;
  readonly problems: ReadonlyArray<{ readonly where: string; readonly reason: string }>;
}

export interface VaultVerifyRecord {
  readonly kind: 'vault.verify';
  readonly at: string;
  readonly level: string;
  readonly ok: boolean;
  readonly packs: number;
  readonly sites: ReadonlyArray<{ readonly site: string; readonly shardsOk: number; readonly shardsBad: number; readonly canLose: boolean }>;
  readonly problemCount: number;
  readonly problems: ReadonlyArray<{ readonly where: string; readonly reason: string }>;
}

export interface VaultDrillRecord {
  readonly kind: 'vault.restore-drill';
  readonly snapshotId: string;
  readonly snapshotTime: string;
  readonly startedAt: string;
  readonly ok: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly restoreSeconds: number;
  readonly dataAgeSeconds: number;
  readonly problems: readonly string[];
}

/** GET /api/v1/intel/overview (src/intel/routes.ts). */
export interface IntelOverview {
  readonly mode: 'hub' | 'member';
  /** A member's link to its hub; null at the hub, or at a member not linked to one. */
  readonly hub_link: IntelHubLink | null;
  readonly collections: number;
  readonly members: number;
  readonly objects: number;
  readonly indicators: number;
  readonly sightings: number;
  readonly sector_alerts: number;
}

export interface IntelHubLink {
  readonly url: string;
  /** The last sync that went through, or null before the first. */
  readonly last_sync: string | null;
  /** Why the last sync failed; null once one succeeds again. */
  readonly last_error: string | null;
}

/** GET /api/v1/intel/collections: a TAXII collection, its rights and how many objects it holds. */
export interface IntelCollection {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly alias: string | null;
  /** Member names, `group:NAME` or `*`. */
  readonly readers: string[];
  readonly writers: string[];
  /** Objects posted here reach other members without created_by_ref (the hub keeps who posted). */
  readonly anonymous: boolean;
  readonly objects: number;
  readonly created_at: string;
}

export interface IntelMember {
  readonly name: string;
  readonly identity_id: string;
  readonly groups: string[];
  readonly created_at: string;
}

/** GET /api/v1/intel/indicators: an indicator with its IOC-ageing score. */
export interface AgedIndicator {
  readonly id: string;
  readonly name: string;
  readonly pattern: string;
  /** 0–100: confidence halved every half-life since last confirmed, halved again per false positive. */
  readonly score: number;
  readonly half_life_days: number;
  readonly last_confirmed: string;
  readonly sightings: number;
  /** How many distinct members sighted it. */
  readonly sighted_by: number;
  readonly false_positives: number;
}

/** GET /api/v1/intel/correlate?value=type:path=value */
export interface Correlation {
  readonly value: string;
  /** The value sits on too many objects to link anything (MISP's over-correlation limit). */
  readonly capped: boolean;
  readonly members: string[];
  /** Reports and groupings that reference one of the objects. */
  readonly reports: ReadonlyArray<LinkedObject>;
  readonly objects: ReadonlyArray<LinkedObject & { readonly shared_by: string[]; readonly sighted_by: string[] }>;
}

/** A STIX object as a correlation names it (its latest version). */
export interface LinkedObject {
  readonly id: string;
  readonly type: string;
  readonly name: string | null;
  readonly pattern: string | null;
  readonly modified: string | null;
}

/** GET /api/v1/intel/sector-alerts: one indicator sighted by several members within the window. */
/** Where a disclosure is in its life: the server's DisclosureState (src/intel/disclosure/disclosures.ts). */
export type DisclosureState = 'received' | 'triaged' | 'routed' | 'fixing' | 'fixed' | 'published' | 'rejected' | 'duplicate';

/** One step of a disclosure's history: who did what, when (a recipient's acknowledgement names the member in `note`). */
export interface DisclosureEvent {
  readonly at: string;
  readonly actor: string;
  /** The state it moved to, or `acknowledged` / `patched`. */
  readonly kind: string;
  readonly note: string;
}

/** A vulnerability disclosure at the hub (GET /api/v1/intel/disclosures, GET …/disclosures/:id). */
export interface Disclosure {
  readonly id: string;
  readonly number: string;
  readonly title: string;
  readonly description: string;
  readonly reporter: string;
  readonly filed_by: string;
  readonly vendor: string;
  readonly product: string;
  readonly affected_versions: string;
  readonly cve: string | null;
  readonly cvss: number | null;
  readonly state: DisclosureState;
  readonly embargo_until: string | null;
  readonly vendor_contact: string | null;
  readonly recipients: { readonly member: string; readonly acked_at: string | null; readonly patched_at: string | null }[];
  readonly fixed_version: string | null;
  readonly stix_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly history: DisclosureEvent[];
}

export interface SectorAlert {
  readonly id: string;
  readonly indicator_id: string;
  readonly indicator_name: string;
  readonly members: string[];
  readonly sightings: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly status: string;
}

/** One member's standing in the contribution ledger. */
export interface CreditStanding {
  readonly member: string;
  readonly points: number;
  readonly rank: number;
  readonly shared: number;
  readonly corroborations: number;
  readonly first_reports: number;
  readonly false_positives: number;
  readonly with_attack_context: number;
  readonly confident: number;
  readonly sightings_sent: number;
  /** Shared indicators on the warning list: no credit either way. */
  readonly known_benign: number;
}

/** GET /api/v1/intel/credit: the points scheme (server's CREDIT_POINTS) and the standings, best first. */
export interface CreditLedger {
  readonly points: Readonly<Record<string, number>>;
  readonly members: number;
  readonly items: CreditStanding[];
}
