import { humanize, levelLabel } from '../format.js';

/** Level with its colour; the word is always there, so colour is never the only signal. */
export function LevelBadge({ level }: { level: string }) {
  return <span className={`badge level-${level}`}>{levelLabel(level)}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{humanize(status)}</span>;
}

export function TlpBadge({ tlp }: { tlp: string }) {
  return <span className={`badge tlp-${tlp.replace('+', '-')}`}>TLP:{tlp.toUpperCase()}</span>;
}

/** ATT&CK ids as links to the public matrix. */
export function Techniques({ ids }: { ids: readonly string[] }) {
  if (ids.length === 0) return <span className="muted">—</span>;
  return (
    <span className="techniques">
      {ids.map((t) => (
        <a key={t} className="chip" href={`https://attack.mitre.org/techniques/${t.replace('.', '/')}/`} target="_blank" rel="noreferrer noopener">
          {t}
        </a>
      ))}
    </span>
  );
}

export function Tactics({ names }: { names: readonly string[] }) {
  if (names.length === 0) return null;
  return <span className="tactics muted">{names.map(humanize).join(', ')}</span>;
}

/** Member names (or `group:NAME`, `*`) as chips; `*` reads "every member". */
export function MemberChips({ names, label }: { names: readonly string[]; label: string }) {
  if (names.length === 0) return <span className="muted">—</span>;
  return (
    <span className="members" role="list" aria-label={label}>
      {names.map((n) => (
        <span key={n} role="listitem" className={`chip${n === '*' || n.startsWith('group:') ? ' group' : ''}`}>
          {n === '*' ? 'every member' : n.startsWith('group:') ? `group ${n.slice(6)}` : n}
        </span>
      ))}
    </span>
  );
}
