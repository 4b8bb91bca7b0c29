import type { Kysely } from 'kysely';
import { NotFoundError, newId } from '../../core/index.js';
import type { Database } from '../../store/index.js';
import { intelDb, type IntelPrincipal } from '../hub/members.js';
import type { AddOutcome, StatusDetail } from '../stix/store.js';

/** A TAXII 2.1 status resource. POSTs complete before we answer, so none stays pending. */
export interface TaxiiStatus {
  readonly id: string;
  readonly status: 'complete' | 'pending';
  readonly request_timestamp: string;
  readonly total_count: number;
  readonly success_count: number;
  readonly successes: StatusDetail[];
  readonly failure_count: number;
  readonly failures: StatusDetail[];
  readonly pending_count: number;
  readonly pendings: StatusDetail[];
}

export async function saveStatus(db: Kysely<Database>, tenant: string, collectionId: string, requestedBy: string, requestTimestamp: string, outcome: AddOutcome): Promise<TaxiiStatus> {
  const status: TaxiiStatus = {
    id: newId(), status: 'complete', request_timestamp: requestTimestamp,
    total_count: outcome.successes.length + outcome.failures.length,
    success_count: outcome.successes.length, successes: outcome.successes,
    failure_count: outcome.failures.length, failures: outcome.failures,
    pending_count: 0, pendings: [],
  };
  await intelDb(db).insertInto('taxii_status').values({
    id: status.id, tenant, collection_id: collectionId, requested_by: requestedBy, status: status.status, request_timestamp: requestTimestamp,
    total_count: status.total_count, successes: JSON.stringify(status.successes), failures: JSON.stringify(status.failures), pendings: '[]',
  }).execute();
  return status;
}

/** A status resource, for the principal that made the request (or hub staff). */
export async function getStatus(db: Kysely<Database>, tenant: string, who: IntelPrincipal, id: string): Promise<TaxiiStatus> {
  const r = await intelDb(db).selectFrom('taxii_status').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  if (!r || !(who.staff || r.requested_by === (who.member ?? ''))) throw new NotFoundError('STATUS_NOT_FOUND', `no status ${id} of yours here`);
  const successes = JSON.parse(r.successes) as StatusDetail[];
  const failures = JSON.parse(r.failures) as StatusDetail[];
  const pendings = JSON.parse(r.pendings) as StatusDetail[];
  return {
    id: r.id, status: r.status === 'pending' ? 'pending' : 'complete', request_timestamp: r.request_timestamp, total_count: r.total_count,
    success_count: successes.length, successes, failure_count: failures.length, failures, pending_count: pendings.length, pendings,
  };
}
