import type { IntelCollection } from '../api/types.js';
import { MemberChips } from '../components/badges.js';
import { CopyButton, ErrorNote } from '../components/feedback.js';
import { formatCount, formatTime } from '../format.js';
import { taxiiObjectsUrl } from '../intel/endpoints.js';
import { useApi } from '../session.js';
import { usePoll } from '../usePoll.js';

/** The TAXII collections: who may read and write each, and how much it holds. */
export function IntelCollections() {
  const api = useApi();
  const polled = usePoll((signal) => api.get<{ items: IntelCollection[] }>('/api/v1/intel/collections', undefined, signal), 30_000, 'intel-collections');
  const items = polled.data?.items ?? [];
  return (
    <section aria-label="Collections">
      <ErrorNote error={polled.error} prefix="Could not load the collections" />
      <div className="table-wrap">
        <table className="dense" aria-label="Collections">
          <thead>
            <tr>
              <th scope="col">Collection</th><th scope="col">Readers</th><th scope="col">Writers</th>
              <th scope="col" title="Objects posted here reach other members without created_by_ref (the hub keeps who posted)">Anonymous</th>
              <th scope="col" className="num">Objects</th><th scope="col">Created</th><th scope="col">TAXII objects URL</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 ? (
              <tr>
                <td colSpan={7} className="empty wrap">
                  {polled.data ? (
                    <>No collections: create one with <code>lianfang intel collection create TITLE --read MEMBER… --write MEMBER…</code>; members then read and post through TAXII.</>
                  ) : polled.loading ? 'Loading…' : '—'}
                </td>
              </tr>
            ) : null}
            {items.map((c) => (
              <tr key={c.id} data-collection={c.id}>
                <td className="text">
                  <strong>{c.title}</strong>{c.alias ? <span className="muted"> ({c.alias})</span> : null}
                  {c.description ? <div className="muted">{c.description}</div> : null}
                </td>
                <td className="text"><MemberChips names={c.readers} label={`Readers of ${c.title}`} /></td>
                <td className="text"><MemberChips names={c.writers} label={`Writers of ${c.title}`} /></td>
                <td>{c.anonymous ? 'yes' : 'no'}</td>
                <td className="num">{formatCount(c.objects)}</td>
                <td title={c.created_at}>{formatTime(c.created_at)}</td>
                <td><code title={c.id}>…/collections/{c.id.slice(0, 8)}…/objects/</code> <CopyButton value={taxiiObjectsUrl(window.location.origin, c.id)} label={`Copy the objects URL of ${c.title}`} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
