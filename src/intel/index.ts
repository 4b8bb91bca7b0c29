/**
 * The sector intel hub (capability C3): STIX 2.1 patterning and indicator matching on the
 * live stream so far; the STIX store, TAXII 2.1, TLP and the rest follow (see issue 5).
 */
export { parsePattern, IndicatorMatcher, observationOf, compileComparison } from './pattern/index.js';
export type { PatternIndicator, MatchedEvent, Pattern, Observation, Comparison, Literal, ObjectPath, Observed } from './pattern/index.js';
export { matchPattern, observationsFromStix, MAX_MATCH_WORK } from './pattern/index.js';
export type { TimedObservation } from './pattern/index.js';
export { intelMigrations, type IntelTables } from './schema.js';
export { addMember, listMembers, principalOf, MemberPasswords, type HubMember, type IntelPrincipal } from './hub/members.js';
export { createCollection, listCollections, getCollection, canRead, canWrite, type IntelCollection, type NewCollection } from './hub/collections.js';
export { addObjects, queryObjects, deleteObject, type AddedVersion, type AddOutcome, type ObjectQuery, type ObjectPage, type StoredVersion, type StatusDetail } from './stix/store.js';
export { tlpOf, audienceOf, TLP_MARKINGS, TLP2_MARKING_ID, type TlpLevel } from './stix/tlp.js';
export { registerTaxiiRoutes, acceptsTaxii, TAXII_MEDIA_TYPE, STIX_MEDIA_TYPE, API_ROOT, type TaxiiDeps } from './taxii/server.js';
export { findCollection } from './hub/collections.js';
export { LiveIndicators, patternIndicatorOf, countOf, MAX_PROBLEMS_SHOWN } from './live.js';
export type { IndicatorSink, IndicatorCount } from './live.js';
export { HubConnector, sightingOf, OUTBOX_ALIAS, type HubConnection, type SyncReport } from './hub/connector.js';
export { TaxiiClient, TaxiiClientError, type TaxiiAuth, type RemoteCollection, type ObjectsPage } from './taxii/client.js';
export { recordIntel, valuesOfPattern, isKnownBenign, correlate, listSectorAlerts, setSectorAlertStatus, MAX_CORRELATIONS_PER_VALUE, type SectorAlert, type Correlation, type LedgerOptions } from './hub/ledger.js';
export { agedIndicators, decayScore, creditLedger, CREDIT_POINTS, HALF_LIFE_DAYS, type AgedIndicator, type CreditStanding } from './hub/credit.js';
export { registerIntelRoutes, type IntelRoutesDeps } from './routes.js';
export {
  fileDisclosure, listDisclosures, getDisclosure, changeDisclosure, acknowledgeDisclosure, publishDue, DISCLOSURE_TRANSITIONS, VULNERABILITY_COLLECTION_ALIAS,
  type Disclosure, type DisclosureState, type NewDisclosure, type DisclosureChange, type Recipient,
} from './disclosure/disclosures.js';
export { mispEventToStix, mispEventsIn, readMispFeed, type MispOptions, type MispConversion, type MispFeedEntry } from './imports/misp.js';
export { readStixBundle, type BundleRead, type ImportProblem } from './imports/bundle.js';
