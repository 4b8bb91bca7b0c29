import { useEffect, useRef, useState } from 'react';
import type { IngestHealth as Health, Page, StoredEvent } from '../api/types.js';
import { ErrorNote, KeyValues } from '../components/feedback.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatBytes, formatCount, formatRate, formatTime } from '../format.js';
import { useApi } from '../session.js';
import { pushSample } from '../sparkline.js';
import { fieldFilterOf } from '../eventFilters.js';
import { usePoll } from '../usePoll.js';

const HEALTH_MS = 1500;
const SAMPLES = 80; // two minutes at 1.5 s
const FORMATS = ['rfc5424', 'rfc3164', 'cef', 'leef', 'json', 'winxml', 'snare', 'unknown'];
const COUNTERS: ReadonlyArray<readonly [keyof Health['counters'], string]> = [
  ['received', 'Received 接收'], ['parsed', 'Parsed 解析'], ['failed', 'Parse failed 解析失敗'], ['detected', 'Through detection'],
  ['alerts', 'Detections'], ['spool_damaged', 'Spool damaged'], ['http_rejected', 'HTTP rejected'],
];

/** Is the pipe flowing? Counters, rates and a trend, the spool and listeners, and the newest events. */
export function IngestHealth() {
  const api = useApi();
  const health = usePoll((signal) => api.get<Health>('/api/v1/ingest/health', undefined, signal), HEALTH_MS, 'health');
  const [received, setReceived] = useState<number[]>([]);
  const [detected, setDetected] = useState<number[]>([]);
  const lastSample = useRef<number | undefined>(undefined);
  useEffect(() => {
    const h = health.data;
    if (!h || health.updatedAt === lastSample.current) return;
    lastSample.current = health.updatedAt;
    setReceived((s) => pushSample(s, h.rates.received_per_s, SAMPLES));
    setDetected((s) => pushSample(s, h.rates.detected_per_s, SAMPLES));
  }, [health.data, health.updatedAt]);
  const h = health.data;
  const { counters: _c, rates: _r, ...rest } = h ?? { counters: undefined, rates: undefined };

  return (
    <main className="page ingest">
      <header className="page-head"><h1>Ingest health 收集狀態</h1></header>
      <ErrorNote error={health.error} prefix="Could not read ingest health" />
      <section aria-labelledby="counters-h">
        <h2 id="counters-h">Counters</h2>
        <dl className="counters" aria-live="polite" aria-label="Ingest counters">
          {COUNTERS.map(([key, label]) => (
            <div key={key} className={key === 'failed' || key === 'spool_damaged' || key === 'http_rejected' ? ((h?.counters[key] ?? 0) > 0 ? 'bad' : '') : ''}>
              <dt>{label}</dt>
              <dd data-counter={key}>{formatCount(h?.counters[key])}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="rates-h" className="rates">
        <h2 id="rates-h">Rates</h2>
        <div className="rate">
          <span>Received <strong aria-live="polite">{formatRate(h?.rates.received_per_s)}</strong> events/s</span>
          <Sparkline values={received} label="Received events per second" />
        </div>
        <div className="rate">
          <span>Detected <strong>{formatRate(h?.rates.detected_per_s)}</strong> events/s</span>
          <Sparkline values={detected} label="Events through detection per second" />
        </div>
      </section>
      <div className="columns">
        {Object.entries(rest).map(([k, v]) => (
          <section key={k} aria-label={k}>
            <h2>{k.replace(/_/g, ' ')}</h2>
            {k === 'spool' ? <SpoolBacklog spool={v} /> : null}
            <KeyValues value={v} label={k} />
          </section>
        ))}
      </div>
      <LatestEvents />
    </main>
  );
}

/** What detection has still to read: bytes on disk and records behind the newest. */
function SpoolBacklog({ spool }: { spool: unknown }) {
  const s = (typeof spool === 'object' && spool !== null ? spool : {}) as Record<string, unknown>;
  const bytes = typeof s.backlog_bytes === 'number' ? s.backlog_bytes : null;
  const behind = typeof s.last_seq === 'number' && typeof s.processed_seq === 'number' ? s.last_seq - s.processed_seq : null;
  if (bytes === null && behind === null) return null;
  return (
    <p className={`backlog ${behind !== null && behind > 0 ? 'behind' : ''}`} aria-live="polite">
      Backlog <strong>{bytes === null ? '—' : formatBytes(bytes)}</strong>
      {behind === null ? null : <>, <strong>{formatCount(behind)}</strong> records waiting for detection</>}
    </p>
  );
}

function LatestEvents() {
  const api = useApi();
  const [host, setHost] = useState('');
  const [format, setFormat] = useState('');
  const [failed, setFailed] = useState(false);
  const [field, setField] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const ff = fieldFilterOf(field);
  const query = { host: host.trim() || undefined, format: format || undefined, failed: failed ? true : undefined, limit: 50, ...(ff ? { [ff[0]]: ff[1] } : {}) };
  const key = JSON.stringify(query);
  const events = usePoll((signal) => api.get<Page<StoredEvent>>('/api/v1/events', query, signal), 3000, key);
  return (
    <section aria-labelledby="events-h">
      <h2 id="events-h">Latest events 最新事件</h2>
      <form className="filters" role="search" aria-label="Event filters" onSubmit={(e) => e.preventDefault()}>
        <label>Host <input type="search" value={host} onChange={(e) => setHost(e.target.value)} /></label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="">any</option>
            {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <label className="inline"><input type="checkbox" checked={failed} onChange={(e) => setFailed(e.target.checked)} /> Parse failures only</label>
        <label>ECS field <input type="search" value={field} placeholder="source.ip=10.0.0.1" onChange={(e) => setField(e.target.value)} /></label>
      </form>
      <ErrorNote error={events.error} prefix="Could not load events" />
      <div className="table-wrap">
        <table className="dense events" aria-label="Latest events">
          <thead>
            <tr><th scope="col">Received</th><th scope="col">Format</th><th scope="col">From</th><th scope="col">Raw</th></tr>
          </thead>
          <tbody>
            {(events.data?.items ?? []).length === 0 ? <tr><td colSpan={4} className="empty">{events.loading ? 'Loading…' : 'No events match.'}</td></tr> : null}
            {(events.data?.items ?? []).map((e) => (
              <tr key={e.id} className={e.error ? 'parse-error' : ''} onClick={() => setOpen((o) => (o === e.id ? null : e.id))}>
                <td title={e.received_at}>{formatTime(e.received_at)}</td>
                <td>{e.format}{e.device ? `/${e.device}` : ''}</td>
                <td className="mono">{e.source.transport} {e.source.peer}</td>
                <td className="raw">
                  {e.error ? <span className="error-text">Parse error: {e.error}</span> : null}
                  <code>{e.raw}</code>
                  {open === e.id ? <pre className="event-json">{JSON.stringify(e.event, null, 2)}</pre> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
