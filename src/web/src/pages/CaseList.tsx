import { useEffect, useState, type FormEvent } from 'react';
import type { Case, CaseDetail, CaseStats, Page } from '../api/types.js';
import { CASE_SEVERITIES, CASE_STATES } from '../cases/lifecycle.js';
import { LevelBadge, StatusBadge, TlpBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatAgo, formatDuration, formatTime, humanize } from '../format.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi, useCanWrite } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';

/** All cases, newest first, with the filters TheHive users reach for. */
export function CaseList() {
  const api = useApi();
  const canWrite = useCanWrite();
  const { search, href } = useLocation();
  const state = search.get('state') ?? '';
  const severity = search.get('severity') ?? '';
  const assignee = search.get('assignee') ?? '';
  const text = search.get('q') ?? '';
  const [textBox, setTextBox] = useState(text);
  const [older, setOlder] = useState<Case[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const now = useNow(10_000);
  const query = { state: state || undefined, severity: severity || undefined, assignee: assignee || undefined, text: text || undefined, limit: 100 };
  const key = JSON.stringify(query);
  const polled = usePoll((signal) => api.get<Page<Case>>('/api/v1/cases', query, signal), 10_000, key);
  useEffect(() => {
    setOlder([]);
    setNext(undefined);
  }, [key]);
  useEffect(() => {
    const t = window.setTimeout(() => { if (textBox !== text) navigate(withSearch(href, { q: textBox }), { replace: true }); }, 300);
    return () => window.clearTimeout(t);
  }, [textBox, text, href]);

  const set = (k: string, v: string): void => navigate(withSearch(href, { [k]: v }), { replace: true });
  const cursor = next === undefined ? (polled.data?.next ?? null) : next;
  const rows = [...(polled.data?.items ?? []), ...older.filter((c) => !(polled.data?.items ?? []).some((p) => p.id === c.id))];

  const loadOlder = async (): Promise<void> => {
    if (!cursor) return;
    try {
      const page = await api.get<Page<Case>>('/api/v1/cases', { ...query, cursor });
      setOlder((o) => [...o, ...page.items]);
      setNext(page.next);
    } catch (err) {
      setError(err);
    }
  };

  const createEmpty = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      const created = await api.post<CaseDetail>('/api/v1/cases', { title: 'New case', alert_ids: [] });
      navigate(`/cases/${created.number}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <main className="page">
      <header className="page-head">
        <h1>Cases 案件</h1>
        <form onSubmit={(e) => void createEmpty(e)}>
          <button type="submit" disabled={!canWrite}>New case</button>
        </form>
      </header>
      <form className="filters" role="search" aria-label="Case filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select value={state} onChange={(e) => set('state', e.target.value)}>
            <option value="">any</option>
            {CASE_STATES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
        </label>
        <label>
          Severity
          <select value={severity} onChange={(e) => set('severity', e.target.value)}>
            <option value="">any</option>
            {CASE_SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Assignee
          <input type="search" defaultValue={assignee} placeholder="actor id" onBlur={(e) => set('assignee', e.target.value.trim())} />
        </label>
        <label>
          Search
          <input type="search" value={textBox} placeholder="words or #42" onChange={(e) => setTextBox(e.target.value)} />
        </label>
      </form>
      <CaseFigures />
      <ErrorNote error={polled.error} prefix="Could not load cases" />
      <ErrorNote error={error} />
      <div className="table-wrap">
        <table className="dense" aria-label="Cases">
          <thead>
            <tr>
              <th scope="col" className="num">#</th><th scope="col">Title</th><th scope="col">Severity</th><th scope="col">State</th>
              <th scope="col">Assignee</th><th scope="col">TLP</th><th scope="col" className="num">Alerts</th><th scope="col">Created</th><th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? <tr><td colSpan={9} className="empty">{polled.loading ? 'Loading…' : 'No cases match.'}</td></tr> : null}
            {rows.map((c) => (
              <tr key={c.id}>
                <td className="num">#{c.number}</td>
                <td><Link href={`/cases/${c.number}`}>{c.title}</Link></td>
                <td><LevelBadge level={c.severity} /></td>
                <td><StatusBadge status={c.state} /></td>
                <td>{c.assignee ?? <span className="muted">unassigned</span>}</td>
                <td><TlpBadge tlp={c.tlp} /></td>
                <td className="num">{c.alert_count}</td>
                <td title={c.created_at}>{formatTime(c.created_at)}</td>
                <td title={c.updated_at}>{formatAgo(c.updated_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor ? <button type="button" onClick={() => void loadOlder()}>Load older cases</button> : null}
    </main>
  );
}

/** The SLA figures a SOC manager asks for: last 30 days (the API's default period). */
function CaseFigures() {
  const api = useApi();
  const stats = usePoll((signal) => api.get<CaseStats>('/api/v1/cases/stats', undefined, signal), 60_000, 'stats');
  const s = stats.data;
  if (!s) return null;
  const open = s.by_state.new + s.by_state.triage + s.by_state.in_progress + s.by_state.contained;
  return (
    <dl className="figures" aria-label="Case figures, last 30 days">
      <div><dt>Open now</dt><dd>{open}</dd></div>
      <div><dt>Opened (30 d)</dt><dd>{s.created}</dd></div>
      <div title={`${s.time_to_acknowledge.count} cases acknowledged in the period`}>
        <dt>TTA median / p90</dt><dd>{formatDuration(s.time_to_acknowledge.median_ms)} / {formatDuration(s.time_to_acknowledge.p90_ms)}</dd>
      </div>
      <div title={`${s.time_to_resolve.count} cases resolved in the period`}>
        <dt>TTR median / p90</dt><dd>{formatDuration(s.time_to_resolve.median_ms)} / {formatDuration(s.time_to_resolve.p90_ms)}</dd>
      </div>
    </dl>
  );
}
