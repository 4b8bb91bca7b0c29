import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CaseDetail, ObservableType, TaskState } from '../api/types.js';
import { base64OfBytes, OBSERVABLE_TYPES } from '../cases/lifecycle.js';
import { LevelBadge, StatusBadge, Techniques } from '../components/badges.js';
import { CopyButton, ErrorNote } from '../components/feedback.js';
import { saveBlob } from '../download.js';
import { formatBytes, formatCount, formatTime, humanize } from '../format.js';
import { useApi, useCanWrite } from '../session.js';

interface SectionProps {
  readonly c: CaseDetail;
  readonly path: string;
  readonly onChanged: () => void;
}

/** Runs one write, keeps its error for display, and reloads the case after it either way. */
function useWrite(onChanged: () => void): { busy: boolean; error: unknown; write: (fn: () => Promise<unknown>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const write = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
      onChanged();
    }
  };
  return { busy, error, write };
}

export function CaseTimeline({ c }: { c: CaseDetail }) {
  const entries = [...c.timeline].reverse(); // newest first on screen; the API sends oldest first
  return (
    <ol className="timeline" aria-label="Case timeline">
      {entries.map((e, i) => (
        <li key={`${e.at}-${i}`}>
          <time dateTime={e.at}>{formatTime(e.at)}</time> <span className="actor">{e.actor}</span> <span className={`kind kind-${e.kind}`}>{humanize(e.kind)}</span>{' '}
          <span>{e.summary}</span>
        </li>
      ))}
    </ol>
  );
}

export function CaseAlerts({ c }: { c: CaseDetail }) {
  if (c.alerts.length === 0) return <p className="muted">No alerts in this case yet. Add some from the alert queue.</p>;
  return (
    <table className="dense" aria-label="Case alerts">
      <thead>
        <tr><th scope="col">Level</th><th scope="col">Rule</th><th scope="col">Host</th><th scope="col">User</th><th scope="col" className="num">Events</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">ATT&amp;CK</th></tr>
      </thead>
      <tbody>
        {c.alerts.map((a) => (
          <tr key={a.id}>
            <td><LevelBadge level={a.level} /></td>
            <td className="title" title={a.rule_id}>{a.rule_title}</td>
            <td className="mono">{a.host ?? '—'}</td>
            <td className="mono">{a.user ?? '—'}</td>
            <td className="num">{formatCount(a.event_count)}</td>
            <td>{formatTime(a.first_seen)}</td>
            <td>{formatTime(a.last_seen)}</td>
            <td><Techniques ids={a.techniques} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CaseObservables({ c, path, onChanged }: SectionProps) {
  const api = useApi();
  const canWrite = useCanWrite() && c.merged_into === null;
  const { busy, error, write } = useWrite(onChanged);
  const [type, setType] = useState<ObservableType>('ip');
  const [value, setValue] = useState('');
  const [ioc, setIoc] = useState(false);
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await write(() => api.post(`${path}/observables`, { type, value: value.trim(), ioc }))) setValue('');
  };
  return (
    <>
      {c.observables.length === 0 ? <p className="muted">No observables yet.</p> : (
        <table className="dense" aria-label="Observables">
          <thead>
            <tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col">IOC</th><th scope="col">Source</th><th scope="col">Added</th><th scope="col"><span className="sr-only">Copy</span></th></tr>
          </thead>
          <tbody>
            {c.observables.map((o) => (
              <tr key={o.id}>
                <td>{o.type}{o.algorithm ? ` (${o.algorithm})` : ''}</td>
                <td className="mono wrap">{o.value}</td>
                <td>{o.ioc ? <span className="badge level-high">IOC</span> : ''}</td>
                <td className="text">{o.source}{o.note ? ` — ${o.note}` : ''}</td>
                <td title={o.added_at}>{formatTime(o.added_at)} {o.added_by}</td>
                <td><CopyButton value={o.value} label={`Copy ${o.type} ${o.value}`} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite ? (
        <form className="add-form" onSubmit={(e) => void add(e)} aria-label="Add observable">
          <label>Type <select value={type} onChange={(e) => setType(e.target.value as ObservableType)}>{OBSERVABLE_TYPES.map((t) => <option key={t}>{t}</option>)}</select></label>
          <label>Value <input value={value} onChange={(e) => setValue(e.target.value)} required /></label>
          <label className="inline"><input type="checkbox" checked={ioc} onChange={(e) => setIoc(e.target.checked)} /> IOC</label>
          <button type="submit" disabled={busy || value.trim() === ''}>Add observable</button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}

export function CaseTasks({ c, path, onChanged }: SectionProps) {
  const api = useApi();
  const canWrite = useCanWrite() && c.merged_into === null;
  const { busy, error, write } = useWrite(onChanged);
  const [title, setTitle] = useState('');
  // The box ticks at once; the server's copy replaces it when the case reloads (or the change is refused).
  const [pending, setPending] = useState<Readonly<Record<string, TaskState>>>({});
  useEffect(() => {
    setPending((p) => Object.fromEntries(Object.entries(p).filter(([id, state]) => c.tasks.some((t) => t.id === id && t.state !== state))));
  }, [c.tasks]);
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await write(() => api.post(`${path}/tasks`, { title: title.trim() }))) setTitle('');
  };
  const setTaskState = async (id: string, state: TaskState): Promise<void> => {
    setPending((p) => ({ ...p, [id]: state }));
    const ok = await write(() => api.patch(`${path}/tasks/${encodeURIComponent(id)}`, { state }));
    if (!ok) setPending(({ [id]: _dropped, ...rest }) => rest);
  };
  return (
    <>
      {c.tasks.length === 0 ? <p className="muted">No tasks yet.</p> : (
        <table className="dense" aria-label="Tasks">
          <thead><tr><th scope="col">Done</th><th scope="col">Task</th><th scope="col">State</th><th scope="col">Assignee</th><th scope="col">Created</th><th scope="col">Done at</th></tr></thead>
          <tbody>
            {c.tasks.map((t) => (
              <tr key={t.id} className={t.state === 'done' ? 'done' : ''}>
                <td>
                  <input
                    type="checkbox" aria-label={`Mark task ${t.title} done`} checked={(pending[t.id] ?? t.state) === 'done'} disabled={!canWrite}
                    onChange={(e) => void setTaskState(t.id, e.target.checked ? 'done' : 'todo')}
                  />
                </td>
                <td className="text">{t.title}{t.description ? <div className="muted">{t.description}</div> : null}</td>
                <td><StatusBadge status={t.state} /></td>
                <td>{t.assignee ?? '—'}</td>
                <td>{formatTime(t.created_at)}</td>
                <td>{formatTime(t.done_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite ? (
        <form className="add-form" onSubmit={(e) => void add(e)} aria-label="Add task">
          <label>New task <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="e.g. Isolate the host" required maxLength={300} /></label>
          <button type="submit" disabled={busy || title.trim() === ''}>Add task</button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}

export function CaseComments({ c, path, onChanged }: SectionProps) {
  const api = useApi();
  const canWrite = useCanWrite() && c.merged_into === null;
  const { busy, error, write } = useWrite(onChanged);
  const [text, setText] = useState('');
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (await write(() => api.post(`${path}/comments`, { text }))) setText('');
  };
  return (
    <>
      <ol className="comments" aria-label="Comments">
        {c.comments.map((m) => (
          <li key={m.id}>
            <p className="muted"><strong>{m.author}</strong> · <time dateTime={m.created_at}>{formatTime(m.created_at)}</time></p>
            <p className="comment-text">{m.text}</p>
          </li>
        ))}
      </ol>
      {c.comments.length === 0 ? <p className="muted">No comments yet.</p> : null}
      {canWrite ? (
        <form className="comment-form" onSubmit={(e) => void add(e)}>
          <label htmlFor="comment">Comment 備註</label>
          <textarea id="comment" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" disabled={busy || text.trim() === ''}>Add comment</button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}

export function CaseEvidence({ c, path, onChanged }: SectionProps) {
  const api = useApi();
  const canWrite = useCanWrite() && c.merged_into === null;
  const { busy, error, write } = useWrite(onChanged);
  const fileRef = useRef<HTMLInputElement>(null);
  const upload = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const file = fileRef.current?.files?.[0];
    if (!file) return;
    const ok = await write(async () => {
      const content = base64OfBytes(new Uint8Array(await file.arrayBuffer()));
      await api.post(`${path}/evidence`, { name: file.name, media_type: file.type || 'application/octet-stream', content_base64: content });
    });
    if (ok && fileRef.current) fileRef.current.value = '';
  };
  return (
    <>
      {c.evidence.length === 0 ? <p className="muted">No evidence yet.</p> : (
        <table className="dense" aria-label="Evidence">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col" className="num">Size</th><th scope="col">SHA-256</th><th scope="col">Added</th><th scope="col"><span className="sr-only">Download</span></th></tr></thead>
          <tbody>
            {c.evidence.map((ev) => (
              <tr key={ev.id}>
                <td>{ev.name}</td>
                <td>{ev.media_type}</td>
                <td className="num">{formatBytes(ev.size)}</td>
                <td className="mono hash">{ev.sha256} <CopyButton value={ev.sha256} label={`Copy SHA-256 of ${ev.name}`} /></td>
                <td>{formatTime(ev.added_at)} {ev.added_by}</td>
                <td>
                  <button type="button" className="small" onClick={() => void write(async () => saveBlob(await api.blob(`${path}/evidence/${encodeURIComponent(ev.id)}`), ev.name))}>
                    Download
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite ? (
        <form className="add-form" onSubmit={(e) => void upload(e)} aria-label="Upload evidence">
          <label>Evidence file <input type="file" ref={fileRef} required /></label>
          <button type="submit" disabled={busy}>{busy ? 'Uploading…' : 'Upload'}</button>
          <span className="muted">Up to 10 MiB; the server records its SHA-256.</span>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}
