import { useState } from 'react';
import type { Disclosure } from '../api/types.js';
import { StatusBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatTime } from '../format.js';
import { canFile, embargoFrom, isStaff, recipientStatus } from '../intel/disclosures.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi, useSession } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';
import { DisclosureDetail } from './DisclosureDetail.js';
import { FileDisclosureForm } from './DisclosureForms.js';

const RECIPIENT_MARK = { waiting: '· waiting', acknowledged: '· acknowledged', patched: '✔ patched' } as const;

/**
 * Vulnerability disclosures: each report from intake to publication, with the embargo clock
 * and which routed members have acknowledged and patched — the part a coordinator chases.
 * Staff file, triage, route and close them here; a routed member acknowledges. The open
 * disclosure is in the address (`?open=ID`), so a link to it can be passed on.
 */
export function IntelDisclosures() {
  const api = useApi();
  const me = useSession().session?.me;
  const { search, href } = useLocation();
  const open = search.get('open') ?? '';
  const polled = usePoll((signal) => api.get<{ items: Disclosure[] }>('/api/v1/intel/disclosures', undefined, signal), 15_000, 'disclosures');
  const [filing, setFiling] = useState(false);
  const [filed, setFiled] = useState<string | null>(null);
  const show = (id: string | undefined): void => navigate(withSearch(href, { open: id }));
  const onFiled = (d: Disclosure): void => {
    setFiling(false);
    setFiled(d.number);
    polled.refresh();
    show(d.id);
  };
  return (
    <section aria-label="Vulnerability disclosures">
      {me && canFile(me) ? (
        <div className="toolbar">
          <button type="button" aria-expanded={filing} onClick={() => { setFiling(!filing); setFiled(null); }}>File a disclosure</button>
          {filed ? <span role="status">Filed {filed}.</span> : null}
        </div>
      ) : null}
      {filing && me ? <FileDisclosureForm staff={isStaff(me)} onFiled={onFiled} onCancel={() => setFiling(false)} /> : null}
      <ErrorNote error={polled.error} prefix="Could not load the disclosures" />
      <div className="split">
        <DisclosureTable rows={polled.data?.items ?? []} loaded={polled.data !== undefined} loading={polled.loading} open={open} href={href} />
        {open ? <DisclosureDetail key={open} id={open} onChanged={polled.refresh} onClose={() => show(undefined)} /> : null}
      </div>
    </section>
  );
}

interface TableProps {
  readonly rows: readonly Disclosure[];
  readonly loaded: boolean;
  readonly loading: boolean;
  readonly open: string;
  readonly href: string;
}

function DisclosureTable({ rows, loaded, loading, open, href }: TableProps) {
  const now = useNow(30_000);
  return (
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
            <tr><td colSpan={7} className="empty wrap">{loaded ? <NoDisclosures /> : loading ? 'Loading…' : '—'}</td></tr>
          ) : null}
          {rows.map((d) => (
            <tr key={d.id} data-disclosure={d.number} className={d.id === open ? 'selected' : undefined}>
              <td title={`filed ${d.created_at} by ${d.filed_by}; reported by ${d.reporter}`}>
                <Link href={withSearch(href, { open: d.id })} aria-current={d.id === open ? 'true' : undefined}>{d.number}</Link>
                {d.cve ? <div className="muted">{d.cve}</div> : null}
              </td>
              <td className="text">{d.title}{d.cvss !== null ? <span className="muted"> · CVSS {d.cvss.toFixed(1)}</span> : null}</td>
              <td className="text">{d.vendor} {d.product} <span className="muted">{d.affected_versions}</span>{d.fixed_version ? <div className="muted">fixed in {d.fixed_version}</div> : null}</td>
              <td><StatusBadge status={d.state} /></td>
              <td title={d.embargo_until ?? ''}>{d.embargo_until ? <>{formatTime(d.embargo_until)} <span className="muted">{embargoFrom(d.embargo_until, now)}</span></> : <span className="muted">—</span>}</td>
              <td className="text" data-recipients>
                {d.recipients.length === 0 ? <span className="muted">—</span> : d.recipients.map((r) => (
                  <span key={r.member} className="chip" title={`acknowledged ${r.acked_at ?? 'not yet'}; patched ${r.patched_at ?? 'not yet'}`}>
                    {r.member} {RECIPIENT_MARK[recipientStatus(r)]}
                  </span>
                ))}
              </td>
              <td className="text mono">{d.stix_id ?? <span className="muted">not yet</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoDisclosures() {
  return (
    <>
      No disclosures yet: a member (or hub staff, for a researcher) files one with <strong>File a disclosure</strong> or{' '}
      <code>POST /api/v1/intel/disclosures</code>; it is triaged, routed with an embargo, and published as a STIX vulnerability when the embargo ends.
    </>
  );
}
