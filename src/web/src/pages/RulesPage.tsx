import { useEffect, useState, type FormEvent } from 'react';
import type { Page, Rule, RuleDetail, RuleImportReport } from '../api/types.js';
import { LevelBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatTime } from '../format.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi, useCanWrite, useIsAdmin } from '../session.js';
import { usePoll } from '../usePoll.js';

/** The Sigma rules live detection runs: search, switch on/off, read, import. */
export function RulesPage({ ruleId }: { ruleId?: string }) {
  const api = useApi();
  const canWrite = useCanWrite();
  const isAdmin = useIsAdmin();
  const { search, href } = useLocation();
  const q = search.get('q') ?? '';
  const level = search.get('level') ?? '';
  const enabled = search.get('enabled') ?? '';
  const [box, setBox] = useState(q);
  const [more, setMore] = useState<{ items: Rule[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [showImport, setShowImport] = useState(false);
  const query = { q: q || undefined, level: level || undefined, enabled: enabled || undefined, limit: 200 };
  const key = JSON.stringify(query);
  const list = usePoll((signal) => api.get<Page<Rule>>('/api/v1/rules', query, signal), 0, key);
  useEffect(() => {
    setMore(null);
  }, [key]);
  useEffect(() => {
    const t = window.setTimeout(() => { if (box !== q) navigate(withSearch(href, { q: box }), { replace: true }); }, 300);
    return () => window.clearTimeout(t);
  }, [box, q, href]);

  const rows = [...(list.data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : (list.data?.next ?? null);
  const set = (k: string, v: string): void => navigate(withSearch(href, { [k]: v }), { replace: true });

  // The switch moves at once; the list reloads with the server's answer (or the switch goes back).
  const [pending, setPending] = useState<Readonly<Record<string, boolean>>>({});
  useEffect(() => {
    setPending({});
  }, [list.data]);
  const toggle = async (r: Rule): Promise<void> => {
    const enabled = !(pending[r.id] ?? r.enabled);
    setError(null);
    setPending((p) => ({ ...p, [r.id]: enabled }));
    try {
      await api.patch<Rule>(`/api/v1/rules/${encodeURIComponent(r.id)}`, { enabled });
      setMore(null);
    } catch (err) {
      setError(err);
    }
    list.refresh();
  };
  const loadMore = async (): Promise<void> => {
    if (!next) return;
    try {
      const page = await api.get<Page<Rule>>('/api/v1/rules', { ...query, cursor: next });
      setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], next: page.next }));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <main className="page rules">
      <header className="page-head">
        <h1>Rules 偵測規則</h1>
        <button
          type="button" onClick={() => setShowImport((s) => !s)} disabled={!isAdmin} aria-expanded={showImport}
          title={isAdmin ? 'Import Sigma rules' : 'Importing rules needs an admin token'}
        >
          Import YAML
        </button>
      </header>
      {showImport ? <RuleImport onImported={() => { setMore(null); list.refresh(); }} /> : null}
      <form className="filters" role="search" aria-label="Rule filters" onSubmit={(e) => e.preventDefault()}>
        <label>Search <input type="search" value={box} placeholder="title, id, tag…" onChange={(e) => setBox(e.target.value)} /></label>
        <label>
          Level
          <select value={level} onChange={(e) => set('level', e.target.value)}>
            <option value="">any</option>
            {['informational', 'low', 'medium', 'high', 'critical'].map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        <label>
          Enabled
          <select value={enabled} onChange={(e) => set('enabled', e.target.value)}>
            <option value="">any</option><option value="true">enabled</option><option value="false">disabled</option>
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} prefix="Could not load rules" />
      <ErrorNote error={error} />
      <div className="split">
        <div className="table-wrap">
          <table className="dense" aria-label="Rules">
            <thead>
              <tr><th scope="col">Enabled</th><th scope="col">Title</th><th scope="col">Level</th><th scope="col">Status</th><th scope="col">Kind</th><th scope="col" className="num">Version</th><th scope="col">Tags</th></tr>
            </thead>
            <tbody>
              {rows.length === 0 ? <tr><td colSpan={7} className="empty">{list.loading ? 'Loading…' : 'No rules match. Import some.'}</td></tr> : null}
              {rows.map((r) => (
                <tr key={r.id} className={`${r.id === ruleId ? 'cursor' : ''} ${r.enabled ? '' : 'disabled'}`}>
                  <td>
                    <label className="switch">
                      <input type="checkbox" role="switch" checked={pending[r.id] ?? r.enabled} disabled={!canWrite} aria-label={`Enable rule ${r.title}`} onChange={() => void toggle(r)} />
                    </label>
                  </td>
                  <td><Link href={withSearch(`/rules/${encodeURIComponent(r.id)}`, Object.fromEntries(search))}>{r.title}</Link></td>
                  <td><LevelBadge level={r.level} /></td>
                  <td>{r.status ?? '—'}</td>
                  <td>{r.kind}</td>
                  <td className="num">{r.version}</td>
                  <td className="tags">{r.tags.map((t) => <span key={t} className="chip">{t}</span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {next ? <button type="button" onClick={() => void loadMore()}>More rules</button> : null}
        </div>
        {ruleId ? <RuleView id={ruleId} onClose={() => navigate(withSearch('/rules', Object.fromEntries(search)))} /> : null}
      </div>
    </main>
  );
}

function RuleView({ id, onClose }: { id: string; onClose: () => void }) {
  const api = useApi();
  const path = `/api/v1/rules/${encodeURIComponent(id)}`;
  const rule = usePoll((signal) => api.get<RuleDetail>(path, undefined, signal), 0, path);
  const r = rule.data;
  return (
    <aside className="detail" aria-label="Rule details">
      <header>
        <h2>{r ? r.title : 'Rule'}</h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close rule details">×</button>
      </header>
      <ErrorNote error={rule.error} />
      {r ? (
        <>
          <dl className="kv">
            <div><dt>Id</dt><dd className="mono">{r.id}</dd></div>
            <div><dt>Level</dt><dd><LevelBadge level={r.level} /></dd></div>
            <div><dt>Author</dt><dd>{r.author ?? '—'}</dd></div>
            <div><dt>Logsource</dt><dd className="mono">{Object.entries(r.logsource).map(([k, v]) => `${k}: ${v}`).join(', ') || '—'}</dd></div>
            <div><dt>Source</dt><dd className="mono">{r.source}</dd></div>
          </dl>
          <h3>YAML (version {r.version})</h3>
          <pre className="yaml" aria-label="Rule YAML">{r.yaml}</pre>
          <h3>Versions</h3>
          <table className="dense" aria-label="Rule versions">
            <thead><tr><th scope="col">Version</th><th scope="col">Imported</th><th scope="col">From</th></tr></thead>
            <tbody>
              {[...r.versions].sort((a, b) => b.version - a.version).map((v) => (
                <tr key={v.version}><td className="num">{v.version}</td><td>{formatTime(v.imported_at)}</td><td className="mono">{v.source}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </aside>
  );
}

function RuleImport({ onImported }: { onImported: () => void }) {
  const api = useApi();
  const [yaml, setYaml] = useState('');
  const [name, setName] = useState('upload.yml');
  const [report, setReport] = useState<RuleImportReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const readFile = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    setYaml(await file.text());
    setName(file.name);
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api.post<RuleImportReport>('/api/v1/rules/import', { yaml, name }));
      onImported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="import" onSubmit={(e) => void submit(e)} aria-label="Import rules">
      <label htmlFor="rule-file">Rule file (.yml)</label>
      <input id="rule-file" type="file" accept=".yml,.yaml,text/yaml" onChange={(e) => void readFile(e.target.files?.[0])} />
      <label htmlFor="rule-yaml">Sigma YAML (one or more documents)</label>
      <textarea id="rule-yaml" rows={12} spellCheck={false} value={yaml} onChange={(e) => setYaml(e.target.value)} />
      <button type="submit" className="primary" disabled={busy || yaml.trim() === ''}>{busy ? 'Importing…' : 'Import'}</button>
      {report ? (
        <div role="status">
          <p>Added {report.added}, updated {report.updated}, unchanged {report.unchanged}.</p>
          {report.problems.length > 0 ? <ul className="problems">{report.problems.map((p, i) => <li key={i}><code>{p.where}</code>: {p.reason}</li>)}</ul> : null}
        </div>
      ) : null}
      <ErrorNote error={error} prefix="Import refused" />
    </form>
  );
}
