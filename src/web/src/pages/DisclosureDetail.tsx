import { useState } from 'react';
import type { Disclosure, DisclosureState } from '../api/types.js';
import { StatusBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { formatTime, humanize } from '../format.js';
import { embargoFrom, isClosed, isStaff, memberOf, movesFrom, recipientEntry, recipientStatus } from '../intel/disclosures.js';
import { useApi, useSession } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';
import { DisclosureMoveForm } from './DisclosureForms.js';

interface Props {
  readonly id: string;
  /** Told after a move or an acknowledgement, so the list shows it too. */
  readonly onChanged: () => void;
  readonly onClose: () => void;
}

/**
 * One disclosure (GET /api/v1/intel/disclosures/:id): its facts, the embargo's end, who was
 * routed and how far each has got, its history, and what the reader may do next — staff the
 * moves the lifecycle allows from here, a routed member its acknowledgement.
 */
export function DisclosureDetail({ id, onChanged, onClose }: Props) {
  const api = useApi();
  const me = useSession().session?.me;
  const path = `/api/v1/intel/disclosures/${encodeURIComponent(id)}`;
  const polled = usePoll((signal) => api.get<Disclosure>(path, undefined, signal), 15_000, path);
  const d = polled.data;
  const changed = (): void => {
    polled.refresh();
    onChanged();
  };
  const mine = d && me ? recipientEntry(d, memberOf(me)) : undefined;
  return (
    <aside className="detail disclosure" aria-label="Disclosure">
      <header>
        <h2>{d ? <><span className="muted mono">{d.number}</span> {d.title}</> : 'Disclosure'}</h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close the disclosure">×</button>
      </header>
      <ErrorNote error={polled.error} prefix={d ? 'Refresh failed (showing the last copy)' : 'Could not load the disclosure'} />
      {!d ? (polled.loading ? <p className="muted">Loading…</p> : null) : (
        <>
          <Facts d={d} />
          {me && isStaff(me) ? <Moves key={d.state} d={d} onChanged={changed} /> : null}
          {mine ? <Acknowledge d={d} entry={mine} path={path} onChanged={changed} /> : null}
          <History d={d} />
        </>
      )}
    </aside>
  );
}

function Facts({ d }: { d: Disclosure }) {
  const now = useNow(30_000);
  return (
    <>
      <dl className="kv" aria-label="Disclosure facts">
        <div><dt>State</dt><dd data-field="state"><StatusBadge status={d.state} /></dd></div>
        <div><dt>Product</dt><dd>{d.vendor} {d.product} <span className="muted">{d.affected_versions}</span></dd></div>
        <div><dt>CVE · CVSS</dt><dd>{d.cve ?? <span className="muted">no CVE</span>} · {d.cvss !== null ? d.cvss.toFixed(1) : <span className="muted">not scored</span>}</dd></div>
        <div><dt>Reported by</dt><dd>{d.reporter}</dd></div>
        <div><dt>Filed</dt><dd title={d.created_at}>{formatTime(d.created_at)} by <span className="mono">{d.filed_by}</span></dd></div>
        <div>
          <dt>Embargo until</dt>
          <dd data-field="embargo" data-embargo={d.embargo_until ?? ''} title={d.embargo_until ?? undefined}>
            {d.embargo_until ? <>{formatTime(d.embargo_until)} <span className="muted">{embargoFrom(d.embargo_until, now)}</span></> : <span className="muted">not set: it is set when the disclosure is routed</span>}
          </dd>
        </div>
        <div><dt>Vendor contact</dt><dd>{d.vendor_contact ?? <span className="muted">—</span>}</dd></div>
        <div><dt>Routed to</dt><dd><Recipients d={d} /></dd></div>
        {d.fixed_version ? <div><dt>Fixed in</dt><dd>{d.fixed_version}</dd></div> : null}
        {d.stix_id ? <div><dt>Published as</dt><dd className="mono">{d.stix_id}</dd></div> : null}
      </dl>
      <p className="comment-text small-print">{d.description}</p>
    </>
  );
}

function Recipients({ d }: { d: Disclosure }) {
  if (d.recipients.length === 0) return <span className="muted">no member yet</span>;
  return (
    <ul className="recipients" aria-label="Recipients">
      {d.recipients.map((r) => {
        const status = recipientStatus(r);
        return (
          <li key={r.member} data-recipient={r.member} data-status={status}>
            <span className="mono">{r.member}</span>{' '}
            {status === 'waiting' ? <span className="warn">has not acknowledged</span> : <span>acknowledged {formatTime(r.acked_at)}</span>}
            {r.patched_at ? <span className="ok">, patched {formatTime(r.patched_at)}</span> : null}
          </li>
        );
      })}
    </ul>
  );
}

/** Staff: the moves the lifecycle allows from here, each opening a form with the fields it needs. */
function Moves({ d, onChanged }: { d: Disclosure; onChanged: () => void }) {
  const [to, setTo] = useState<DisclosureState | null>(null);
  const moves = movesFrom(d.state);
  if (isClosed(d.state)) return <p className="muted small-print">Closed ({humanize(d.state)}): no further moves.</p>;
  if (moves.length === 0) {
    return <p className="muted small-print">Fixed. It is published to the members as a STIX vulnerability when the embargo ends; not before, and not by hand.</p>;
  }
  return (
    <section className="disclosure-moves" aria-label="Moves">
      <span className="moves" role="group" aria-label="Move disclosure to">
        {moves.map((s) => (
          <button key={s} type="button" className="small" aria-pressed={to === s} onClick={() => setTo(to === s ? null : s)}>→ {humanize(s)}</button>
        ))}
      </span>
      {to ? <DisclosureMoveForm key={to} d={d} to={to} onCancel={() => setTo(null)} onDone={() => { setTo(null); onChanged(); }} /> : null}
    </section>
  );
}

/** A routed member: acknowledge the report, then say it has patched. */
interface AckProps {
  readonly d: Disclosure;
  readonly entry: Disclosure['recipients'][number];
  readonly path: string;
  readonly onChanged: () => void;
}

function Acknowledge({ d, entry, path, onChanged }: AckProps) {
  const api = useApi();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const status = recipientStatus(entry);
  const send = async (patched: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.post<Disclosure>(`${path}/acknowledge`, { patched });
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="acknowledge" aria-label="Your acknowledgement">
      <p className="small-print">
        {d.number} was routed to <strong>{entry.member}</strong>:{' '}
        {status === 'waiting' ? 'acknowledge it so the hub knows you have it.' : status === 'acknowledged' ? 'acknowledged; say so when you have patched.' : 'acknowledged and patched. Thank you.'}
      </p>
      {status !== 'patched' ? (
        <div className="buttons">
          {status === 'waiting' ? <button type="button" className="primary" disabled={busy} onClick={() => void send(false)}>Acknowledge</button> : null}
          <button type="button" disabled={busy} onClick={() => void send(true)}>{status === 'waiting' ? 'Acknowledge and report patched' : 'Report patched'}</button>
        </div>
      ) : null}
      <ErrorNote error={error} prefix="Could not acknowledge" />
    </section>
  );
}

function History({ d }: { d: Disclosure }) {
  return (
    <>
      <h3>History</h3>
      <ol className="timeline" aria-label="History">
        {d.history.map((e, i) => (
          <li key={`${e.at}-${i}`} data-kind={e.kind}>
            <time dateTime={e.at} title={e.at}>{formatTime(e.at)}</time> <span className="actor">{e.actor}</span> <span className={`kind kind-${e.kind}`}>{humanize(e.kind)}</span>
            {e.note ? <> <span className="note">{e.note}</span></> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
