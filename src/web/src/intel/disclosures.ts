import type { Disclosure, DisclosureState, Me } from '../api/types.js';
import { formatAgo, formatDuration } from '../format.js';

/**
 * Where a disclosure may go from each state: the same table as the server's
 * (DISCLOSURE_TRANSITIONS in src/intel/disclosure/disclosures.ts). Copied because the console
 * imports only types from the server; the server refuses any other move, so a stale copy
 * shows a wrong button, never a wrong state.
 */
export const DISCLOSURE_TRANSITIONS: Readonly<Record<DisclosureState, readonly DisclosureState[]>> = {
  received: ['triaged', 'rejected', 'duplicate'],
  triaged: ['routed', 'rejected', 'duplicate'],
  routed: ['fixing', 'fixed'],
  fixing: ['fixed'],
  fixed: ['published'],
  published: [],
  rejected: [],
  duplicate: [],
};

/**
 * The moves hub staff can make by hand from `state`, in the table's order. Publication is
 * left out: the embargo clock publishes, and the server refuses it by hand.
 */
export function movesFrom(state: DisclosureState): DisclosureState[] {
  return (DISCLOSURE_TRANSITIONS[state] ?? []).filter((s) => s !== 'published');
}

/** The verb on the button that makes each move. */
export const MOVE_VERBS: Readonly<Record<DisclosureState, string>> = {
  received: 'Receive', triaged: 'Triage', routed: 'Route', fixing: 'Start fixing', fixed: 'Mark fixed',
  published: 'Publish', rejected: 'Reject', duplicate: 'Mark duplicate',
};

/** No move leads out of these. */
export function isClosed(state: DisclosureState): boolean {
  return DISCLOSURE_TRANSITIONS[state]?.length === 0;
}

/** Days from routing to the embargo's end the route form proposes: the usual coordinated-disclosure deadline. */
export const DEFAULT_EMBARGO_DAYS = 90;

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A time as a `datetime-local` input holds it: `2026-11-21T08:03`, in the browser's time zone. */
export function localInputOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** What a `datetime-local` input holds (local time) as ISO 8601 UTC; null when it holds no time. */
export function isoOfLocal(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim())) return null;
  const t = new Date(value.trim()).getTime(); // no offset in the text: the spec reads it as local time
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** What the move form holds; each move sends only the fields it takes. */
export interface MoveForm {
  readonly note: string;
  readonly recipients: readonly string[];
  readonly vendorContact: string;
  /** `datetime-local` text, local time. */
  readonly embargo: string;
  readonly fixedVersion: string;
}

export const EMPTY_MOVE: MoveForm = { note: '', recipients: [], vendorContact: '', embargo: '', fixedVersion: '' };

/**
 * The body of POST /api/v1/intel/disclosures/:id/transition. Nothing is checked here: a
 * route with no one to route to, or no embargo, goes to the server, whose refusal (with its
 * code) is what the analyst sees.
 */
export function transitionBody(to: DisclosureState, form: MoveForm): Record<string, unknown> {
  const body: Record<string, unknown> = { to };
  const note = form.note.trim();
  if (note !== '') body['note'] = note;
  if (to === 'routed') {
    const recipients = [...new Set(form.recipients.map((r) => r.trim()).filter((r) => r !== ''))];
    if (recipients.length > 0) body['recipients'] = recipients;
    const contact = form.vendorContact.trim();
    if (contact !== '') body['vendor_contact'] = contact;
    const embargo = form.embargo.trim();
    if (embargo !== '') body['embargo_until'] = isoOfLocal(embargo) ?? embargo;
  }
  if (to === 'fixed') {
    const fixed = form.fixedVersion.trim();
    if (fixed !== '') body['fixed_version'] = fixed;
  }
  return body;
}

/** What the filing form holds, as typed. */
export interface FileForm {
  readonly title: string;
  readonly description: string;
  readonly reporter: string;
  readonly vendor: string;
  readonly product: string;
  readonly affectedVersions: string;
  readonly cve: string;
  readonly cvss: string;
}

export const EMPTY_FILING: FileForm = { title: '', description: '', reporter: '', vendor: '', product: '', affectedVersions: '', cve: '', cvss: '' };

/** The body of POST /api/v1/intel/disclosures: text trimmed, empty optional fields left out, the score as a number. */
export function fileBody(form: FileForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    title: form.title.trim(), description: form.description.trim(), reporter: form.reporter.trim(), vendor: form.vendor.trim(), product: form.product.trim(),
  };
  if (form.affectedVersions.trim() !== '') body['affected_versions'] = form.affectedVersions.trim();
  if (form.cve.trim() !== '') body['cve'] = form.cve.trim().toUpperCase();
  const cvss = form.cvss.trim();
  if (cvss !== '') body['cvss'] = Number.isFinite(Number(cvss)) ? Number(cvss) : cvss;
  return body;
}

/** Hub staff move disclosures along (the server's principalOf: admin or analyst). */
export function isStaff(me: Me): boolean {
  return me.roles.includes('admin') || me.roles.includes('analyst');
}

/** Staff file for a researcher, members file their own; auditors and supervisors only read. */
export function canFile(me: Me): boolean {
  return isStaff(me) || me.roles.includes('member-connector');
}

/** The hub member a member-connector token stands for (`token:bank-b` → `bank-b`), as the server reads it; null for staff. */
export function memberOf(me: Me): string | null {
  if (isStaff(me) || !me.roles.includes('member-connector')) return null;
  return me.actor.replace(/^(token|member):/, '');
}

export type RecipientStatus = 'waiting' | 'acknowledged' | 'patched';

export function recipientStatus(r: Disclosure['recipients'][number]): RecipientStatus {
  return r.patched_at ? 'patched' : r.acked_at ? 'acknowledged' : 'waiting';
}

/** This member's line among the recipients, when the disclosure was routed to it. */
export function recipientEntry(d: Disclosure, member: string | null): Disclosure['recipients'][number] | undefined {
  return member === null ? undefined : d.recipients.find((r) => r.member === member);
}

/** An embargo end is usually ahead: "in 9d 04h", or "3h 05m ago" once passed. */
export function embargoFrom(iso: string, now: number): string {
  const t = Date.parse(iso);
  return t > now ? `in ${formatDuration(t - now)}` : formatAgo(iso, now);
}
