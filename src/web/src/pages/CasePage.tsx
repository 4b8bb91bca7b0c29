import { useState, type FormEvent } from 'react';
import type { CaseDetail, CaseSeverity, CaseState, Tlp } from '../api/types.js';
import { CASE_SEVERITIES, nextStates, TLPS } from '../cases/lifecycle.js';
import { StatusBadge, TlpBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { clockValue, formatDuration, formatTime, humanize } from '../format.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi, useCanWrite, useSession } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';
import { CaseAlerts, CaseComments, CaseEvidence, CaseObservables, CaseTasks, CaseTimeline } from './CaseSections.js';

const TABS = ['timeline', 'alerts', 'observables', 'tasks', 'comments', 'evidence'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABELS: Record<Tab, string> = { timeline: 'Timeline', alerts: 'Alerts', observables: 'Observables', tasks: 'Tasks', comments: 'Comments', evidence: 'Evidence' };

function countOf(c: CaseDetail, tab: Tab): string | number | null {
  switch (tab) {
    case 'timeline':
      return null;
    case 'alerts':
      return c.alerts.length;
    case 'observables':
      return c.observables.length;
    case 'tasks':
      return c.tasks.length === 0 ? 0 : `${c.tasks.filter((t) => t.state !== 'done').length} open / ${c.tasks.length}`;
    case 'comments':
      return c.comments.length;
    case 'evidence':
      return c.evidence.length;
  }
}

/** One case: who, what state, how long, and the work in it. */
export function CasePage({ caseRef }: { caseRef: string }) {
  const api = useApi();
  const { search, href } = useLocation();
  const tab: Tab = (TABS as readonly string[]).includes(search.get('tab') ?? '') ? (search.get('tab') as Tab) : 'timeline';
  const path = `/api/v1/cases/${encodeURIComponent(caseRef)}`;
  const polled = usePoll((signal) => api.get<CaseDetail>(path, undefined, signal), 5000, path);
  const c = polled.data;

  if (!c) {
    return (
      <main className="page">
        <p><Link href="/cases">← Cases</Link></p>
        {polled.error ? <ErrorNote error={polled.error} prefix={`Could not load case ${caseRef}`} /> : <p className="muted">Loading case…</p>}
      </main>
    );
  }
  return (
    <main className="page case">
      <p className="crumbs"><Link href="/cases">← Cases</Link></p>
      <CaseHeader c={c} path={path} onChanged={polled.refresh} />
      <ErrorNote error={polled.error} prefix="Refresh failed (showing the last copy)" />
      <div role="tablist" aria-label="Case sections" className="tabs">
        {TABS.map((t) => {
          const n = countOf(c, t);
          return (
            <button
              key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`}
              onClick={() => navigate(withSearch(href, { tab: t === 'timeline' ? undefined : t }), { replace: true })}
            >
              {TAB_LABELS[t]}{n === null ? '' : ` (${n})`}
            </button>
          );
        })}
      </div>
      <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === 'timeline' ? <CaseTimeline c={c} /> : null}
        {tab === 'alerts' ? <CaseAlerts c={c} /> : null}
        {tab === 'observables' ? <CaseObservables c={c} path={path} onChanged={polled.refresh} /> : null}
        {tab === 'tasks' ? <CaseTasks c={c} path={path} onChanged={polled.refresh} /> : null}
        {tab === 'comments' ? <CaseComments c={c} path={path} onChanged={polled.refresh} /> : null}
        {tab === 'evidence' ? <CaseEvidence c={c} path={path} onChanged={polled.refresh} /> : null}
      </section>
    </main>
  );
}

interface Changes {
  title?: string;
  state?: CaseState;
  severity?: CaseSeverity;
  assignee?: string | null;
  tlp?: Tlp;
}

function CaseHeader({ c, path, onChanged }: { c: CaseDetail; path: string; onChanged: () => void }) {
  const api = useApi();
  const canWrite = useCanWrite() && c.merged_into === null;
  const me = useSession().session?.me.actor ?? '';
  const now = useNow(1000);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [editingTitle, setEditingTitle] = useState<string | null>(null);
  const [assignee, setAssignee] = useState<string | null>(null);

  // The revision makes the server refuse a change based on a copy someone else has since changed.
  const update = async (changes: Changes): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.patch<CaseDetail>(path, { ...changes, revision: c.revision });
      setEditingTitle(null);
      setAssignee(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      onChanged();
    }
  };
  const tta = clockValue(c.clocks.time_to_acknowledge_ms, c.created_at, now);
  const ttr = clockValue(c.clocks.time_to_resolve_ms, c.created_at, now);
  const moves = nextStates(c.state);

  const saveTitle = (e: FormEvent): void => {
    e.preventDefault();
    if (editingTitle !== null && editingTitle.trim() !== '' && editingTitle !== c.title) void update({ title: editingTitle.trim() });
    else setEditingTitle(null);
  };
  const saveAssignee = (e: FormEvent): void => {
    e.preventDefault();
    if (assignee !== null) void update({ assignee: assignee.trim() === '' ? null : assignee.trim() });
  };

  return (
    <header className="case-head">
      {editingTitle === null ? (
        <h1>
          <span className="case-number">#{c.number}</span> {c.title}{' '}
          {canWrite ? <button type="button" className="small" onClick={() => setEditingTitle(c.title)}>Rename</button> : null}
        </h1>
      ) : (
        <form onSubmit={saveTitle} className="inline-form">
          <label htmlFor="title-edit" className="sr-only">Case title</label>
          <input id="title-edit" value={editingTitle} onChange={(e) => setEditingTitle(e.target.value)} autoFocus maxLength={300} />
          <button type="submit" disabled={busy}>Save</button>
          <button type="button" onClick={() => setEditingTitle(null)}>Cancel</button>
        </form>
      )}
      {c.merged_into ? <p className="warn">Merged into <Link href={`/cases/${c.merged_into}`}>another case</Link>; read-only.</p> : null}
      <div className="case-fields">
        <div className="field">
          <span className="field-label">State 狀態</span>
          <StatusBadge status={c.state} />
          {canWrite && moves.length > 0 ? (
            <span className="moves" role="group" aria-label="Move case to">
              {moves.map((s) => (
                <button key={s} type="button" className="small" disabled={busy} onClick={() => void update({ state: s })}>→ {humanize(s)}</button>
              ))}
            </span>
          ) : null}
        </div>
        <label className="field">
          <span className="field-label">Severity</span>
          <select value={c.severity} disabled={!canWrite || busy} onChange={(e) => void update({ severity: e.target.value as CaseSeverity })}>
            {CASE_SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <form className="field" onSubmit={saveAssignee}>
          <label htmlFor="assignee" className="field-label">Assignee</label>
          <input id="assignee" value={assignee ?? c.assignee ?? ''} placeholder="unassigned" disabled={!canWrite} onChange={(e) => setAssignee(e.target.value)} />
          {assignee !== null ? <button type="submit" className="small" disabled={busy}>Save</button> : null}
          {canWrite && c.assignee !== me ? <button type="button" className="small" disabled={busy} onClick={() => void update({ assignee: me })}>Take</button> : null}
        </form>
        <label className="field">
          <span className="field-label">TLP</span>
          <select value={c.tlp} disabled={!canWrite || busy} onChange={(e) => void update({ tlp: e.target.value as Tlp })}>
            {TLPS.map((t) => <option key={t} value={t}>{t.toUpperCase()}</option>)}
          </select>
          <TlpBadge tlp={c.tlp} />
        </label>
        <div className="field clocks" aria-label="Reporting clocks">
          <span title="Time to acknowledge: created → first move out of new, or first assignment">
            TTA <strong>{formatDuration(tta.ms)}</strong>{tta.running ? <span className="muted"> running</span> : null}
          </span>
          <span title="Time to resolve: created → resolved, closed or false positive">
            TTR <strong>{formatDuration(ttr.ms)}</strong>{ttr.running ? <span className="muted"> running</span> : null}
          </span>
        </div>
      </div>
      <p className="muted small-print">
        Opened {formatTime(c.created_at)} by {c.created_by} · updated {formatTime(c.updated_at)} · revision {c.revision}
        {c.tags.length > 0 ? ` · tags: ${c.tags.join(', ')}` : ''}
      </p>
      {c.description ? <p className="description">{c.description}</p> : null}
      {c.related.length > 0 ? (
        <p className="related">
          <span className="field-label">Related cases (shared observables)</span>{' '}
          {c.related.map((r) => (
            <Link key={r.id} href={`/cases/${r.number}`} className="chip" title={`${r.state.replace('_', ' ')}, ${r.severity}`}>
              {r.ref} {r.title} · {r.shared}
            </Link>
          ))}
        </p>
      ) : null}
      <ErrorNote error={error} prefix="Change refused" />
    </header>
  );
}
