import type { SectorAlert } from '../api/types.js';
import { MemberChips, StatusBadge } from '../components/badges.js';
import { ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { newestFirst } from '../intel/lists.js';
import { useApi } from '../session.js';
import { useNow, usePoll } from '../usePoll.js';

/** One indicator sighted by several members within the window: the sector is being hit. */
export function IntelSectorAlerts({ mode }: { mode: 'hub' | 'member' | undefined }) {
  const api = useApi();
  const polled = usePoll((signal) => api.get<{ items: SectorAlert[] }>('/api/v1/intel/sector-alerts', undefined, signal), 10_000, 'sector-alerts');
  const now = useNow(10_000);
  const rows = newestFirst(polled.data?.items ?? []);
  return (
    <section aria-label="Sector alerts">
      <ErrorNote error={polled.error} prefix="Could not load the sector alerts" />
      <div className="table-wrap">
        <table className="dense" aria-label="Sector alerts">
          <thead>
            <tr>
              <th scope="col">Last seen</th><th scope="col">Indicator</th><th scope="col">Members</th><th scope="col" className="num">Sightings</th>
              <th scope="col">First seen</th><th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr><td colSpan={6} className="empty wrap">{polled.data ? <EmptySectorAlerts mode={mode} /> : polled.loading ? 'Loading…' : '—'}</td></tr>
            ) : null}
            {rows.map((a) => (
              <tr key={a.id} data-sector-alert={a.id}>
                <td title={a.last_seen}>{formatTime(a.last_seen)} <span className="muted">{formatAgo(a.last_seen, now)}</span></td>
                <td className="text">
                  <Link href={`/intel/indicators?q=${encodeURIComponent(a.indicator_id)}`} title={`${a.indicator_id}: show it among the indicators`}>{a.indicator_name}</Link>
                </td>
                <td className="text"><MemberChips names={a.members} label={`Members who sighted ${a.indicator_name}`} /></td>
                <td className="num">{formatCount(a.sightings)}</td>
                <td title={a.first_seen}>{formatTime(a.first_seen)}</td>
                <td><StatusBadge status={a.status} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function EmptySectorAlerts({ mode }: { mode: 'hub' | 'member' | undefined }) {
  if (mode === 'member') return <>No sector alerts here: this server is a member, and sector alerts are raised at the hub, where every member’s sightings meet.</>;
  return <>No sector alerts: they appear when 2 or more members sight the same indicator within 24 h (members send sightings by TAXII, or their connector does it for them).</>;
}
