import { useState, type FormEvent, type ReactNode } from 'react';
import { suggestedCaseTitle } from '../alerts/actions.js';
import type { Alert, Case, CaseDetail, CaseSeverity, Page } from '../api/types.js';
import { CASE_SEVERITIES, isOpenState } from '../cases/lifecycle.js';
import { ErrorNote } from '../components/feedback.js';
import { levelRank } from '../format.js';
import { useApi } from '../session.js';
import { usePoll } from '../usePoll.js';

interface DialogProps {
  readonly alerts: readonly Alert[];
  readonly onClose: () => void;
  /** Told the case number to open. */
  readonly onDone: (ref: string) => void;
}

function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  return (
    <div className="dialog-backdrop" onClick={onClose} onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title} onClick={(e) => e.stopPropagation()}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** The highest alert level as a case severity (nothing opens below low). */
function severityOf(alerts: readonly Alert[]): CaseSeverity {
  const top = alerts.reduce((m, a) => Math.max(m, levelRank(a.level)), 1);
  return CASE_SEVERITIES[Math.max(0, top - 1)] ?? 'medium';
}

export function CreateCaseDialog({ alerts, onClose, onDone }: DialogProps) {
  const api = useApi();
  const [title, setTitle] = useState(() => suggestedCaseTitle(alerts));
  const [severity, setSeverity] = useState<CaseSeverity>(() => severityOf(alerts));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<CaseDetail>('/api/v1/cases', { title: title.trim(), severity, alert_ids: alerts.map((a) => a.id) });
      onDone(String(created.number));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create case 建立案件" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <p className="muted">{alerts.length} alert{alerts.length === 1 ? '' : 's'} will move into the new case.</p>
        <label htmlFor="case-title">Case title</label>
        <input id="case-title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus required maxLength={300} />
        <label htmlFor="case-severity">Severity</label>
        <select id="case-severity" value={severity} onChange={(e) => setSeverity(e.target.value as CaseSeverity)}>
          {CASE_SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <div className="buttons">
          <button type="submit" className="primary" disabled={busy || title.trim() === ''}>{busy ? 'Creating…' : 'Create'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
        <ErrorNote error={error} prefix="Could not create the case" />
      </form>
    </Dialog>
  );
}

export function AddToCaseDialog({ alerts, onClose, onDone }: DialogProps) {
  const api = useApi();
  const cases = usePoll((signal) => api.get<Page<Case>>('/api/v1/cases', { limit: 100 }, signal), 0, 'open-cases');
  const open = (cases.data?.items ?? []).filter((c) => isOpenState(c.state) && c.merged_into === null);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const target = choice || (open[0] ? String(open[0].number) : '');
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!target) return;
    setBusy(true);
    setError(null);
    try {
      await api.post<CaseDetail>(`/api/v1/cases/${encodeURIComponent(target)}/alerts`, { alert_ids: alerts.map((a) => a.id) });
      onDone(target);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Add to case 併入案件" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <p className="muted">{alerts.length} alert{alerts.length === 1 ? '' : 's'} will move into the case.</p>
        <label htmlFor="target-case">Case</label>
        <select id="target-case" value={target} onChange={(e) => setChoice(e.target.value)} disabled={open.length === 0}>
          {open.map((c) => <option key={c.id} value={String(c.number)}>#{c.number} {c.title} ({c.state.replace('_', ' ')})</option>)}
        </select>
        {cases.data && open.length === 0 ? <p className="muted">No open case. Create one instead.</p> : null}
        <div className="buttons">
          <button type="submit" className="primary" disabled={busy || !target}>{busy ? 'Adding…' : 'Add'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
        <ErrorNote error={cases.error} prefix="Could not list cases" />
        <ErrorNote error={error} prefix="Could not add the alerts" />
      </form>
    </Dialog>
  );
}
