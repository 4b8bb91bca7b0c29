import { useState } from 'react';
import { ApiError } from '../api/client.js';

/** An error as the server gave it: code, message and where. */
export function ErrorNote({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  const e = error instanceof Error ? error : new Error(String(error));
  const code = e instanceof ApiError ? e.code : undefined;
  const where = e instanceof ApiError ? e.where : undefined;
  return (
    <p className="error" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {code && code !== 'HTTP_0' ? <code>{code}</code> : null} {e.message}
      {where ? <span className="muted"> (at {where})</span> : null}
    </p>
  );
}

/** Copies a value; the label changes for a moment so the analyst knows it worked. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [done, setDone] = useState<'ok' | 'failed' | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setDone('ok');
    } catch {
      setDone('failed'); // clipboard needs a secure context; the value stays selectable
    }
    window.setTimeout(() => setDone(null), 1500);
  };
  return (
    <button type="button" className="small" aria-label={label} title={label} onClick={() => void copy()}>
      {done === 'ok' ? 'Copied' : done === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `connectionsOpen` / `last_seq` → `connections open` / `last seq` */
export function keyLabel(key: string): string {
  return key.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, (_m, a: string, b: string) => `${a} ${b.toLowerCase()}`);
}

function scalar(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
  return v === null || v === undefined ? '—' : String(v);
}

/**
 * A state object whose keys the server owns (spool, listeners, rules), shown as it comes:
 * an object of objects (one per listener) as one table with a column each, anything else as
 * a definition list.
 */
export function KeyValues({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="muted">No {label} reported.</p>;
  if (!isPlainObject(value) && !Array.isArray(value)) return <p>{scalar(value)}</p>;
  const entries: Array<readonly [string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v] as const) : Object.entries(value);
  if (entries.length === 0) return <p className="muted">No {label} reported.</p>;
  if (entries.every(([, v]) => isPlainObject(v))) {
    const columns = entries.map(([k]) => k);
    const rows = [...new Set(entries.flatMap(([, v]) => Object.keys(v as Record<string, unknown>)))];
    return (
      <table className="dense" aria-label={label}>
        <thead><tr><th scope="col"><span className="sr-only">measure</span></th>{columns.map((c) => <th key={c} scope="col" className="num">{c}</th>)}</tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r}>
              <th scope="row">{keyLabel(r)}</th>
              {entries.map(([c, v]) => {
                const cell = (v as Record<string, unknown>)[r];
                return <td key={c} className="num">{isPlainObject(cell) || Array.isArray(cell) ? JSON.stringify(cell) : scalar(cell)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <dl className="kv" aria-label={label}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{keyLabel(k)}</dt>
          <dd>{isPlainObject(v) || Array.isArray(v) ? <KeyValues value={v} label={`${label} ${k}`} /> : scalar(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
