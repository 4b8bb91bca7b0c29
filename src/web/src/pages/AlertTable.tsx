import { useEffect, useRef } from 'react';
import type { Alert } from '../api/types.js';
import { LevelBadge, StatusBadge, Tactics, Techniques } from '../components/badges.js';
import { formatAgo, formatCount, formatTime } from '../format.js';

interface Props {
  readonly alerts: readonly Alert[];
  readonly selected: ReadonlySet<string>;
  readonly cursor: string | null;
  readonly now: number;
  readonly loading: boolean;
  readonly onToggle: (id: string) => void;
  readonly onToggleAll: (on: boolean) => void;
  readonly onOpen: (id: string) => void;
  readonly onRule: (ruleId: string) => void;
}

export function alertLabel(a: Alert): string {
  return `${a.rule_title}${a.host ? ` on ${a.host}` : ''}`;
}

/** Dense alert rows; the keyboard cursor row is scrolled into view as it moves. */
export function AlertTable({ alerts, selected, cursor, now, loading, onToggle, onToggleAll, onOpen, onRule }: Props) {
  const cursorRow = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    cursorRow.current?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);
  const allOn = alerts.length > 0 && alerts.every((a) => selected.has(a.id));
  return (
    <div className="table-wrap">
      <table className="dense alerts" aria-label="Alerts">
        <thead>
          <tr>
            <th scope="col" className="check">
              <input type="checkbox" aria-label="Select all alerts shown" checked={allOn} onChange={(e) => onToggleAll(e.target.checked)} />
            </th>
            <th scope="col">Level</th>
            <th scope="col">Rule 規則</th>
            <th scope="col">Host</th>
            <th scope="col">User</th>
            <th scope="col" className="num">Count</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Status</th>
            <th scope="col">ATT&amp;CK</th>
          </tr>
        </thead>
        <tbody>
          {alerts.length === 0 ? (
            <tr><td colSpan={10} className="empty">{loading ? 'Loading alerts…' : 'No alerts match. 目前沒有告警。'}</td></tr>
          ) : null}
          {alerts.map((a) => (
            <tr
              key={a.id} ref={a.id === cursor ? cursorRow : undefined}
              className={`${selected.has(a.id) ? 'selected' : ''} ${a.id === cursor ? 'cursor' : ''} lvl-${a.level}`}
              aria-selected={selected.has(a.id)} data-alert-id={a.id}
              onClick={(e) => { if (!(e.target as HTMLElement).closest('input,button,a')) onOpen(a.id); }}
            >
              <td className="check"><input type="checkbox" aria-label={`Select alert ${alertLabel(a)}`} checked={selected.has(a.id)} onChange={() => onToggle(a.id)} /></td>
              <td><LevelBadge level={a.level} /></td>
              <td className="title">
                <button type="button" className="link" onClick={() => onOpen(a.id)} title={a.rule_id}>{a.rule_title}</button>
                <button type="button" className="link filter-by" aria-label={`Only alerts of rule ${a.rule_title}`} title="Only this rule" onClick={() => onRule(a.rule_id)}>⊕</button>
              </td>
              <td className="mono">{a.host ?? <span className="muted">—</span>}</td>
              <td className="mono">{a.user ?? <span className="muted">—</span>}</td>
              <td className="num">{formatCount(a.event_count)}</td>
              <td title={a.first_seen}>{formatTime(a.first_seen)}</td>
              <td title={a.last_seen}>{formatAgo(a.last_seen, now)}</td>
              <td><StatusBadge status={a.status} /></td>
              <td><Techniques ids={a.techniques} /> <Tactics names={a.tactics} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
