import { useEffect, useState, type FormEvent } from 'react';
import type { AgedIndicator, Correlation } from '../api/types.js';
import { MemberChips } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { filterIndicators, scoreBand } from '../intel/lists.js';
import { keyOfInput, splitKey, valuesOfPattern } from '../intel/values.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { useApi } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';

const LIMIT = 500;

/** IOC ageing: every indicator with its decay score, a filter, and what one value links across the sector. */
export function IntelIndicators() {
  const api = useApi();
  const { search, href } = useLocation();
  const text = search.get('q') ?? '';
  const value = search.get('value') ?? '';
  const [textBox, setTextBox] = useState(text);
  useEffect(() => {
    const t = window.setTimeout(() => { if (textBox !== text) navigate(withSearch(href, { q: textBox }), { replace: true }); }, 250);
    return () => window.clearTimeout(t);
  }, [textBox, text, href]);
  const polled = usePoll((signal) => api.get<{ items: AgedIndicator[] }>('/api/v1/intel/indicators', { limit: LIMIT }, signal), 30_000, 'intel-indicators');
  const all = polled.data?.items ?? [];
  const rows = filterIndicators(all, text);
  const lookUp = (key: string): void => navigate(withSearch(href, { value: key }));

  return (
    <>
      <div className="filters">
        <form role="search" aria-label="Indicator filter" onSubmit={(e) => e.preventDefault()}>
          <label>Filter <input type="search" value={textBox} placeholder="name, value or id" onChange={(e) => setTextBox(e.target.value)} /></label>
        </form>
        <ValueLookup value={value} onLookUp={lookUp} />
      </div>
      <ErrorNote error={polled.error} prefix="Could not load the indicators" />
      <p className="muted small-print">
        Score: confidence (50 when the indicator states none) halved every half-life since it was last confirmed by a sighting or an update, halved again per
        false-positive report; revoked and expired indicators score 0.{all.length >= LIMIT ? ` Showing the ${LIMIT} highest.` : ''}
      </p>
      <div className="split">
        <IndicatorTable rows={rows} loaded={polled.data !== undefined} loading={polled.loading} filtered={text !== ''} current={value} onLookUp={lookUp} />
        {value ? <CorrelationPanel value={value} indicators={all} onClose={() => navigate(withSearch(href, { value: undefined }))} /> : null}
      </div>
    </>
  );
}

function ValueLookup({ value, onLookUp }: { value: string; onLookUp: (key: string) => void }) {
  const [box, setBox] = useState(value);
  useEffect(() => setBox(value), [value]);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const key = keyOfInput(box);
    if (key) onLookUp(key);
  };
  return (
    <form role="search" aria-label="Correlation lookup" onSubmit={submit}>
      <label>
        Correlate a value
        <input type="search" className="wide" value={box} placeholder="203.0.113.7 or domain-name:value=x.example" onChange={(e) => setBox(e.target.value)} />
      </label>
      <button type="submit" disabled={box.trim() === ''}>Look up</button>
    </form>
  );
}

interface TableProps {
  rows: readonly AgedIndicator[];
  loaded: boolean;
  loading: boolean;
  filtered: boolean;
  current: string;
  onLookUp: (key: string) => void;
}

function IndicatorTable({ rows, loaded, loading, filtered, current, onLookUp }: TableProps) {
  const now = useNow(60_000);
  return (
    <div className="table-wrap">
      <table className="dense" aria-label="Indicators">
        <thead>
          <tr>
            <th scope="col">Score</th><th scope="col">Indicator</th><th scope="col">Values</th><th scope="col" className="num">Half-life</th>
            <th scope="col">Last confirmed</th><th scope="col" className="num">Sightings</th><th scope="col" className="num">Sighted by</th><th scope="col" className="num">False pos.</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr><td colSpan={8} className="empty wrap">{!loaded ? (loading ? 'Loading…' : '—') : filtered ? 'No indicator matches the filter: clear it, or search a part of the name, value or id.' : <NoIndicators />}</td></tr>
          ) : null}
          {rows.map((i) => (
            <tr key={i.id} data-indicator={i.id}>
              <td><ScoreBar score={i.score} /></td>
              <td className="text"><span title={i.id}>{i.name || <code>{i.id}</code>}</span></td>
              <td className="text"><Values pattern={i.pattern} current={current} onLookUp={onLookUp} /></td>
              <td className="num">{i.half_life_days} d</td>
              <td title={i.last_confirmed}>{formatTime(i.last_confirmed)} <span className="muted">{formatAgo(i.last_confirmed, now)}</span></td>
              <td className="num">{formatCount(i.sightings)}</td>
              <td className="num">{formatCount(i.sighted_by)}</td>
              <td className="num">{i.false_positives > 0 ? <span className="warn">{i.false_positives}</span> : 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoIndicators() {
  return <>No indicators yet: members share them by TAXII (POST to a collection’s objects/ URL, shown on the Collections tab), and a member’s server pulls them from its hub.</>;
}

function ScoreBar({ score }: { score: number }) {
  const pct = Math.max(0, Math.min(100, score));
  return (
    <span className="score" data-score={score}>
      <span className={`scorebar ${scoreBand(score)}`} aria-hidden="true"><span style={{ width: `${pct}%` }} /></span>
      <span className="num">{score.toFixed(1)}</span>
    </span>
  );
}

/** Each exact value of the pattern, clickable to correlate; the pattern itself when it names none (LIKE, ranges…). */
function Values({ pattern, current, onLookUp }: { pattern: string; current: string; onLookUp: (key: string) => void }) {
  const keys = valuesOfPattern(pattern);
  if (keys.length === 0) return <code className="pattern" title="This pattern names no exact value to correlate">{pattern}</code>;
  return (
    <span className="values" title={pattern}>
      {keys.map((k) => {
        const { path, value } = splitKey(k);
        return (
          <button key={k} type="button" className={`link value${k === current ? ' current' : ''}`} aria-label={`Correlate ${value}`} onClick={() => onLookUp(k)}>
            <span className="muted">{path.replace(/:value$/, '')}</span> <code>{value}</code>
          </button>
        );
      })}
    </span>
  );
}

interface PanelProps {
  value: string;
  indicators: readonly AgedIndicator[];
  onClose: () => void;
}

function CorrelationPanel({ value, indicators, onClose }: PanelProps) {
  const api = useApi();
  const polled = usePoll((signal) => api.get<Correlation>('/api/v1/intel/correlate', { value }, signal), 0, value);
  const c = polled.data;
  const nameOf = (o: { id: string; name: string | null }): string => o.name || indicators.find((i) => i.id === o.id)?.name || o.id;
  return (
    <aside className="detail" aria-label="Correlation">
      <header>
        <h2>Correlation <code>{value}</code></h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close correlation">×</button>
      </header>
      <ErrorNote error={polled.error} prefix="Could not correlate" />
      {!c ? (polled.loading ? <p className="muted">Looking up…</p> : null) : c.capped ? (
        <p className="warn">This value sits on too many objects to link anything (the hub caps correlation per value, as MISP does): it is too common to tell a story.</p>
      ) : c.objects.length === 0 ? (
        <p className="muted">Nothing at the hub carries this value: no member has shared or sighted it. Check the type (an address, a domain, a URL, a hash) or look up a full key like <code>ipv4-addr:value=203.0.113.7</code>.</p>
      ) : (
        <>
          <dl className="kv">
            <div><dt>Members</dt><dd><MemberChips names={c.members} label="Members linked to this value" /></dd></div>
            <div><dt>Reports</dt><dd>{c.reports.length === 0 ? <span className="muted">none</span> : c.reports.map((r) => <span key={r.id} className="chip" title={r.id}>{r.name ?? r.id}</span>)}</dd></div>
          </dl>
          <table className="dense" aria-label="Linked indicators">
            <thead><tr><th scope="col">Indicator</th><th scope="col">Shared by</th><th scope="col">Sighted by</th></tr></thead>
            <tbody>
              {c.objects.map((o) => (
                <tr key={o.id}>
                  <td className="text" title={o.pattern ? `${o.id}\n${o.pattern}` : o.id}>{nameOf(o)}</td>
                  <td className="text"><MemberChips names={o.shared_by} label={`Shared ${nameOf(o)}`} /></td>
                  <td className="text"><MemberChips names={o.sighted_by} label={`Sighted ${nameOf(o)}`} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </aside>
  );
}
