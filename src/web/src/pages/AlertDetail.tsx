import { useEffect, useState } from 'react';
import type { Alert, StoredEvent } from '../api/types.js';
import { LevelBadge, StatusBadge, Tactics, Techniques } from '../components/badges.js';
import { CopyButton, ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatCount, formatTime } from '../format.js';
import { useApi } from '../session.js';

const SHOWN_EVENTS = 5;

/** The alert under the cursor: why it fired, what to pivot on, and its raw events on demand. */
export function AlertDetail({ alert, onClose }: { alert: Alert; onClose: () => void }) {
  const api = useApi();
  const [events, setEvents] = useState<StoredEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setEvents(null);
    setError(null);
  }, [alert.id]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const loadEvents = async (): Promise<void> => {
    try {
      const ids = alert.event_ids.slice(0, SHOWN_EVENTS);
      setEvents(await Promise.all(ids.map((id) => api.get<StoredEvent>(`/api/v1/events/${encodeURIComponent(id)}`))));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <aside className="detail" aria-label="Alert details">
      <header>
        <h2><LevelBadge level={alert.level} /> {alert.rule_title}</h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close alert details">×</button>
      </header>
      <dl className="kv">
        <div><dt>Status</dt><dd><StatusBadge status={alert.status} />{alert.status_note ? ` — ${alert.status_note}` : ''}</dd></div>
        {alert.case_id ? <div><dt>Case</dt><dd><Link href={`/cases/${encodeURIComponent(alert.case_id)}`}>open the case</Link></dd></div> : null}
        <div><dt>Rule</dt><dd><Link href={`/rules/${encodeURIComponent(alert.rule_id)}`} className="mono">{alert.rule_id}</Link> v{alert.rule_version}</dd></div>
        <div><dt>Author</dt><dd>{alert.author ?? '—'}</dd></div>
        <div><dt>ATT&amp;CK</dt><dd><Techniques ids={alert.techniques} /> <Tactics names={alert.tactics} /></dd></div>
        <div><dt>Events</dt><dd>{formatCount(alert.event_count)} events, {formatCount(alert.detection_count)} detections</dd></div>
        <div><dt>Seen</dt><dd>{formatTime(alert.first_seen)} → {formatTime(alert.last_seen)}</dd></div>
        <div><dt>Matched</dt><dd className="mono">{alert.matched_fields.join(', ') || '—'}</dd></div>
      </dl>
      <h3>Observables</h3>
      {alert.observables.length === 0 ? <p className="muted">None extracted.</p> : (
        <table className="dense" aria-label="Alert observables">
          <thead><tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col"><span className="sr-only">Copy</span></th></tr></thead>
          <tbody>
            {alert.observables.map((o) => (
              <tr key={`${o.type}:${o.value}`}>
                <td>{o.type}{o.algorithm ? ` (${o.algorithm})` : ''}</td>
                <td className="mono wrap">{o.value}</td>
                <td><CopyButton value={o.value} label={`Copy ${o.type} ${o.value}`} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Raw events</h3>
      {events === null ? (
        <button type="button" onClick={() => void loadEvents()} disabled={alert.event_ids.length === 0}>
          Show the first {Math.min(SHOWN_EVENTS, alert.event_ids.length)} events
        </button>
      ) : (
        events.map((e) => (
          <figure key={e.id} className="raw-event">
            <figcaption className="muted">{formatTime(e.event_time ?? e.received_at)} · {e.format}{e.device ? `/${e.device}` : ''} · {e.source.peer}</figcaption>
            <pre>{e.raw}</pre>
          </figure>
        ))
      )}
      <ErrorNote error={error} />
    </aside>
  );
}
