import type { Disclosure } from '../api/types.js';
import { StatusBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { formatAgo, formatDuration, formatTime } from '../format.js';
import { useApi } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';

/**
 * Vulnerability disclosures: each report from intake to publication, with the embargo clock
 * and which routed members have acknowledged and patched — the part a coordinator chases.
 */
export function IntelDisclosures() {
  const api = useApi();
  const polled = usePoll((signal) => api.get<{ items: Disclosure[] }>('/api/v1/intel/disclosures', undefined, signal), 15_000, 'disclosures');
  const now = useNow(30_000);
  const rows = polled.data?.items ?? [];
  return (
    <section aria-label="Vulnerability disclosures">
      <ErrorNote error={polled.error} prefix="Could not load the disclosures" />
      <div className="table-wrap">
        <table className="dense" aria-label="Vulnerability disclosures">
          <thead>
            <tr>
              <th scope="col">Number</th><th scope="col">Title</th><th scope="col">Product</th><th scope="col">State</th>
              <th scope="col">Embargo until</th><th scope="col">Routed to</th><th scope="col">Published as</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr><td colSpan={7} className="empty wrap">{polled.data ? <>No disclosures yet: a member (or hub staff, for a researcher) files one with <code>POST /api/v1/intel/disclosures</code>; it is triaged, routed with an embargo, and published as a STIX vulnerability when the embargo ends.</> : polled.loading ? 'Loading…' : '—'}</td></tr>
            ) : null}
            {rows.map((d) => (
              <tr key={d.id} data-disclosure={d.number}>
                <td title={`filed ${d.created_at} by ${d.filed_by}; reported by ${d.reporter}`}>{d.number}{d.cve ? <div className="muted">{d.cve}</div> : null}</td>
                <td className="text">{d.title}{d.cvss !== null ? <span className="muted"> · CVSS {d.cvss.toFixed(1)}</span> : null}</td>
                <td className="text">{d.vendor} {d.product} <span className="muted">{d.affected_versions}</span>{d.fixed_version ? <div className="muted">fixed in {d.fixed_version}</div> : null}</td>
                <td><StatusBadge status={d.state} /></td>
                <td title={d.embargo_until ?? ''}>{d.embargo_until ? <>{formatTime(d.embargo_until)} <span className="muted">{whenFrom(d.embargo_until, now)}</span></> : <span className="muted">—</span>}</td>
                <td className="text" data-recipients>
                  {d.recipients.length === 0 ? <span className="muted">—</span> : d.recipients.map((r) => (
                    <span key={r.member} className="chip" title={`acknowledged ${r.acked_at ?? 'not yet'}; patched ${r.patched_at ?? 'not yet'}`}>
                      {r.member} {r.patched_at ? '✔ patched' : r.acked_at ? '· acknowledged' : '· waiting'}
                    </span>
                  ))}
                </td>
                <td className="text mono">{d.stix_id ?? <span className="muted">not yet</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** An embargo end is usually ahead: "in 9d 04h", or "3h 05m ago" once passed. */
function whenFrom(iso: string, now: number): string {
  const t = Date.parse(iso);
  return t > now ? `in ${formatDuration(t - now)}` : formatAgo(iso, now);
}
