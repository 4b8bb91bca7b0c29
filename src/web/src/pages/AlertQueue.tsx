import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { applicable, actionForKey, moveCursor, QUEUE_ACTIONS, QUEUE_KEYS, toggled, type QueueAction } from '../alerts/actions.js';
import { alertQuery, filtersFromSearch, matchesText, searchOfFilters, type AlertFilters } from '../alerts/filters.js';
import type { Alert, Page } from '../api/types.js';
import { ErrorNote } from '../components/feedback.js';
import { AlertDetail } from './AlertDetail.js';
import { AlertFilterBar } from './AlertFilterBar.js';
import { AlertTable } from './AlertTable.js';
import { AddToCaseDialog, CreateCaseDialog } from './CaseDialogs.js';
import { formatAgo } from '../format.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi, useCanWrite } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';

const POLL_MS = 3000;

const NOT_TYPING = new Set(['checkbox', 'radio', 'button', 'submit', 'reset']);

/** Keys typed into a text box are text, not shortcuts; a ticked checkbox keeps the shortcuts working. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === 'INPUT') return !NOT_TYPING.has((el as HTMLInputElement).type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

/** The home page: the alerts waiting for an analyst, refreshed every few seconds. */
export function AlertQueue() {
  const api = useApi();
  const canWrite = useCanWrite();
  const { search, href } = useLocation();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const [live, setLive] = useState(true);
  const [older, setOlder] = useState<{ items: Alert[]; next: string | null } | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'create_case' | 'add_to_case' | 'help' | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const textRef = useRef<HTMLInputElement>(null);
  const now = useNow(5000);

  const serverKey = JSON.stringify({ ...filters, text: '' });
  const polled = usePoll((signal) => api.get<Page<Alert>>('/api/v1/alerts', alertQuery(filters, Date.now()), signal), live ? POLL_MS : 0, serverKey);
  const refresh = polled.refresh;
  useEffect(() => {
    setOlder(null);
  }, [serverKey]);

  const all = useMemo(() => {
    const first = polled.data?.items ?? [];
    const seen = new Set(first.map((a) => a.id));
    return [...first, ...(older?.items ?? []).filter((a) => !seen.has(a.id))];
  }, [polled.data, older]);
  const rows = useMemo(() => all.filter((a) => matchesText(a, filters.text)), [all, filters.text]);
  const ids = useMemo(() => rows.map((a) => a.id), [rows]);
  const selectedAlerts = useMemo(() => rows.filter((a) => selected.has(a.id)), [rows, selected]);
  const current = rows.find((a) => a.id === cursor) ?? null;
  const nextCursor = older ? older.next : (polled.data?.next ?? null);

  const setFilters = (f: AlertFilters): void => navigate(withSearch(href, searchOfFilters(f)), { replace: true });

  const loadOlder = async (): Promise<void> => {
    if (!nextCursor) return;
    try {
      const page = await api.get<Page<Alert>>('/api/v1/alerts', { ...alertQuery(filters, Date.now()), cursor: nextCursor });
      setOlder((o) => ({ items: [...(o?.items ?? []), ...page.items], next: page.next }));
    } catch (err) {
      setActionError(err);
    }
  };

  const setStatus = useCallback(async (action: QueueAction, targets: readonly Alert[]): Promise<void> => {
    setBusy(true);
    setActionError(null);
    try {
      const body = { status: action.sets, ...(note.trim() ? { note: note.trim() } : {}) };
      for (const a of targets) await api.patch<Alert>(`/api/v1/alerts/${encodeURIComponent(a.id)}`, body);
      setSelected(new Set());
      setNote('');
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
      refresh();
    }
  }, [api, refresh, note]);

  const run = useCallback((action: QueueAction): void => {
    const targets = applicable(action, selectedAlerts.length > 0 ? selectedAlerts : current ? [current] : []);
    if (targets.length === 0 || !canWrite) return;
    if (action.sets) void setStatus(action, targets);
    else setDialog(action.id === 'create_case' ? 'create_case' : 'add_to_case');
  }, [selectedAlerts, current, canWrite, setStatus]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (dialog) {
        if (e.key === 'Escape') setDialog(null);
        return;
      }
      if (isTyping(e.target) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'k') setCursor((c) => moveCursor(ids, c, e.key === 'j' ? 1 : -1));
      else if (e.key === 'x' && cursor) setSelected((s) => toggled(s, cursor));
      else if (e.key === '/') textRef.current?.focus();
      else if (e.key === 'r') refresh();
      else if (e.key === '?') setDialog('help');
      else {
        const action = actionForKey(e.key);
        if (!action) return;
        run(action);
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog, ids, cursor, refresh, run]);

  const targetsFor = (action: QueueAction): Alert[] => applicable(action, selectedAlerts.length > 0 ? selectedAlerts : current ? [current] : []);
  const dialogAlerts = selectedAlerts.length > 0 ? selectedAlerts : current ? [current] : [];

  return (
    <main className="page queue">
      <header className="page-head">
        <h1>Alert queue 告警佇列</h1>
        <p className="muted">
          <span aria-live="polite">{rows.length} shown{all.length !== rows.length ? ` of ${all.length}` : ''}</span>
          {polled.updatedAt ? ` · updated ${formatAgo(new Date(polled.updatedAt).toISOString(), now)}` : ''}
        </p>
        <label className="inline">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live (every {POLL_MS / 1000}s)
        </label>
        <button type="button" onClick={refresh}>Refresh</button>
        <button type="button" className="small" onClick={() => setDialog('help')} aria-label="Keyboard shortcuts">?</button>
      </header>
      <AlertFilterBar filters={filters} onChange={setFilters} textRef={textRef} />
      <div className="toolbar" role="toolbar" aria-label="Alert actions">
        <span className="muted">{selected.size > 0 ? `${selectedAlerts.length} selected` : current ? 'current alert' : 'select alerts'}</span>
        {QUEUE_ACTIONS.map((action) => (
          <button key={action.id} type="button" disabled={busy || !canWrite || targetsFor(action).length === 0} onClick={() => run(action)} title={`${action.label} (${action.key})`}>
            {action.label}
          </button>
        ))}
        <label className="inline note">
          Reason
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="for acknowledge / dismiss (optional)" maxLength={500} />
        </label>
        {selected.size > 0 ? <button type="button" className="link" onClick={() => setSelected(new Set())}>Clear selection</button> : null}
      </div>
      <ErrorNote error={actionError} />
      <ErrorNote error={polled.error} prefix="Could not load alerts" />
      <div className="split">
        <AlertTable
          alerts={rows} selected={selected} cursor={cursor} now={now}
          onToggle={(id) => setSelected((s) => toggled(s, id))}
          onToggleAll={(on) => setSelected(on ? new Set(ids) : new Set())}
          onOpen={(id) => setCursor(id)}
          onRule={(ruleId) => setFilters({ ...filters, ruleId })}
          loading={polled.loading && polled.data === undefined}
        />
        {current ? <AlertDetail alert={current} onClose={() => setCursor(null)} /> : null}
      </div>
      {nextCursor ? <button type="button" onClick={() => void loadOlder()}>Load older alerts</button> : null}
      {dialog === 'create_case' ? (
        <CreateCaseDialog alerts={dialogAlerts.filter((a) => a.status !== 'in_case')} onClose={() => setDialog(null)} onDone={(ref) => { setSelected(new Set()); navigate(`/cases/${ref}`); }} />
      ) : null}
      {dialog === 'add_to_case' ? (
        <AddToCaseDialog alerts={dialogAlerts.filter((a) => a.status !== 'in_case')} onClose={() => setDialog(null)} onDone={(ref) => { setSelected(new Set()); navigate(`/cases/${ref}`); }} />
      ) : null}
      {dialog === 'help' ? <ShortcutHelp onClose={() => setDialog(null)} /> : null}
    </main>
  );
}

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">Keyboard shortcuts</h2>
        <table className="dense">
          <tbody>
            {QUEUE_KEYS.map(([k, what]) => <tr key={k}><th scope="row"><kbd>{k}</kbd></th><td>{what}</td></tr>)}
            {QUEUE_ACTIONS.map((a) => <tr key={a.id}><th scope="row"><kbd>{a.key}</kbd></th><td>{a.label} (selected alerts, or the current one)</td></tr>)}
          </tbody>
        </table>
        <button type="button" onClick={onClose} autoFocus>Close</button>
      </div>
    </div>
  );
}
