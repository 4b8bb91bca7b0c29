import { useEffect, useState, type RefObject } from 'react';
import { STATUS_CHOICES, WINDOWS, type AlertFilters } from '../alerts/filters.js';

/**
 * The queue's filters. Typing in the text boxes applies after a short pause, so the address
 * (and the server) are not hit on every key.
 */
export function AlertFilterBar({ filters, onChange, textRef }: { filters: AlertFilters; onChange: (f: AlertFilters) => void; textRef: RefObject<HTMLInputElement | null> }) {
  const [text, setText] = useState(filters.text);
  const [host, setHost] = useState(filters.host);
  useEffect(() => {
    setText(filters.text);
  }, [filters.text]);
  useEffect(() => {
    setHost(filters.host);
  }, [filters.host]);
  useEffect(() => {
    if (text === filters.text && host === filters.host) return undefined;
    const t = window.setTimeout(() => onChange({ ...filters, text, host }), 300);
    return () => window.clearTimeout(t);
  }, [text, host, filters, onChange]);

  return (
    <form className="filters" role="search" aria-label="Alert filters" onSubmit={(e) => { e.preventDefault(); onChange({ ...filters, text, host }); }}>
      <label>
        Status
        <select value={filters.status} onChange={(e) => onChange({ ...filters, status: e.target.value as AlertFilters['status'] })}>
          {STATUS_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
        </select>
      </label>
      <label>
        Level ≥
        <select value={filters.minLevel} onChange={(e) => onChange({ ...filters, minLevel: e.target.value })}>
          <option value="">any</option>
          <option value="low">low</option>
          <option value="medium">medium</option>
          <option value="high">high</option>
          <option value="critical">critical</option>
        </select>
      </label>
      <label>
        Last seen
        <select value={filters.window} onChange={(e) => onChange({ ...filters, window: e.target.value })}>
          <option value="">any time</option>
          {Object.keys(WINDOWS).map((w) => <option key={w} value={w}>last {w}</option>)}
        </select>
      </label>
      <label>
        Host
        <input type="search" value={host} placeholder="exact host name" onChange={(e) => setHost(e.target.value)} />
      </label>
      <label>
        Search
        <input ref={textRef} type="search" value={text} placeholder="rule, user, IP, technique…  ( / )" onChange={(e) => setText(e.target.value)} />
      </label>
      {filters.ruleId ? (
        <span className="chip">
          Rule {filters.ruleId.slice(0, 8)}…
          <button type="button" className="link" aria-label="Clear rule filter" onClick={() => onChange({ ...filters, ruleId: '' })}>×</button>
        </span>
      ) : null}
    </form>
  );
}
