import type { IntelMember, IntelOverview as Overview } from '../api/types.js';
import { MemberChips } from '../components/badges.js';
import { CopyButton, ErrorNote } from '../components/feedback.js';
import { Link } from '../components/Link.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { taxiiDiscoveryUrl } from '../intel/endpoints.js';
import { hrefOf, INTEL_TABS, type IntelTab } from '../router.js';
import { useApi } from '../session.js';
import { useNow, usePoll, type Polled } from '../usePoll.js';
import { IntelCollections } from './IntelCollections.js';
import { IntelDisclosures } from './IntelDisclosures.js';
import { IntelIndicators } from './IntelIndicators.js';
import { IntelLedger } from './IntelLedger.js';
import { IntelSectorAlerts } from './IntelSectorAlerts.js';

const TAB_LABELS: Record<IntelTab, string> = {
  overview: 'Overview', 'sector-alerts': 'Sector alerts', indicators: 'Indicators', ledger: 'Contribution ledger', collections: 'Collections',
  disclosures: 'Disclosures 漏洞通報',
};
const COUNT_OF: Partial<Record<IntelTab, keyof Overview>> = { 'sector-alerts': 'sector_alerts', indicators: 'indicators', collections: 'collections' };

/** The sector intel section: the hub (or this member's link to it), what members share and sight, and who earns credit. */
export function IntelPage({ tab }: { tab: IntelTab }) {
  const api = useApi();
  const overview = usePoll((signal) => api.get<Overview>('/api/v1/intel/overview', undefined, signal), 15_000, 'intel-overview');
  const mode = overview.data?.mode;
  return (
    <main className="page intel">
      <header className="page-head"><h1>Intel 情資</h1>{mode ? <span className="muted" data-intel="mode">{mode === 'hub' ? 'sector hub' : 'member'}</span> : null}</header>
      <nav className="subnav" aria-label="Intel sections">
        {INTEL_TABS.map((t) => {
          const key = COUNT_OF[t];
          const n = key && overview.data ? overview.data[key] : undefined;
          return (
            <Link key={t} href={hrefOf({ page: 'intel', tab: t })} aria-current={t === tab ? 'page' : undefined}>
              {TAB_LABELS[t]}{typeof n === 'number' ? ` (${formatCount(n)})` : ''}
            </Link>
          );
        })}
      </nav>
      {tab === 'overview' ? <IntelOverview overview={overview} /> : null}
      {tab === 'sector-alerts' ? <IntelSectorAlerts mode={mode} /> : null}
      {tab === 'indicators' ? <IntelIndicators /> : null}
      {tab === 'ledger' ? <IntelLedger mode={mode} /> : null}
      {tab === 'collections' ? <IntelCollections /> : null}
      {tab === 'disclosures' ? <IntelDisclosures /> : null}
    </main>
  );
}

const COUNTERS: ReadonlyArray<readonly [Exclude<keyof Overview, 'mode' | 'hub_link'>, string]> = [
  ['collections', 'Collections'], ['members', 'Members'], ['objects', 'STIX objects'], ['indicators', 'Indicators'], ['sightings', 'Sightings'], ['sector_alerts', 'Sector alerts'],
];

function IntelOverview({ overview }: { overview: Polled<Overview> }) {
  const o = overview.data;
  return (
    <>
      <ErrorNote error={overview.error} prefix="Could not read the intel overview" />
      {o ? <ModeNote o={o} /> : overview.loading ? <p className="muted">Loading…</p> : null}
      <dl className="counters" aria-label="Intel counts">
        {COUNTERS.map(([key, label]) => (
          <div key={key}><dt>{label}</dt><dd data-intel={key}>{formatCount(o?.[key])}</dd></div>
        ))}
      </dl>
      <TaxiiEndpoint />
      <MemberList />
    </>
  );
}

function ModeNote({ o }: { o: Overview }) {
  if (o.mode === 'hub') {
    return (
      <p>
        This server is the <strong>sector hub</strong>: members post indicators and sightings to its collections by TAXII, and it raises sector
        alerts and keeps the contribution ledger.
      </p>
    );
  }
  return (
    <section aria-labelledby="hub-link-h">
      <p>This server is a <strong>member</strong>: it pulls the hub’s intel, matches it on its own events and sends sightings back.</p>
      <h2 id="hub-link-h">Link to the hub</h2>
      {o.hub_link ? <HubLink link={o.hub_link} /> : (
        <p className="muted">
          Not linked to a hub: start the server with <code>lianfang serve --hub-url https://HUB/taxii2/ --hub-token TOKEN</code> (the token that{' '}
          <code>lianfang hub member add</code> printed at the hub).
        </p>
      )}
    </section>
  );
}

function HubLink({ link }: { link: NonNullable<Overview['hub_link']> }) {
  const now = useNow(5000);
  return (
    <dl className="kv" aria-label="Hub link">
      <div><dt>Hub</dt><dd><a href={link.url} target="_blank" rel="noreferrer noopener"><code>{link.url}</code></a></dd></div>
      <div>
        <dt>Last sync</dt>
        <dd data-intel="last-sync" title={link.last_sync ?? undefined}>
          {link.last_sync ? `${formatTime(link.last_sync)} (${formatAgo(link.last_sync, now)})` : 'never: no sync has gone through yet'}
        </dd>
      </div>
      <div>
        <dt>Last error</dt>
        <dd data-intel="last-error">{link.last_error ? <span className="error-text" role="alert">{link.last_error}</span> : <span className="muted">none</span>}</dd>
      </div>
    </dl>
  );
}

function TaxiiEndpoint() {
  const discovery = taxiiDiscoveryUrl(window.location.origin);
  return (
    <section aria-labelledby="taxii-h">
      <h2 id="taxii-h">TAXII 2.1</h2>
      <dl className="kv" aria-label="TAXII endpoint">
        <div><dt>Discovery URL</dt><dd><code data-intel="taxii-url">{discovery}</code> <CopyButton value={discovery} label="Copy the TAXII discovery URL" /></dd></div>
        <div><dt>API root</dt><dd><code>{discovery}intel/</code></dd></div>
      </dl>
      <p className="muted small-print">
        Point OpenCTI’s TAXII2 connector, MISP’s TAXII client or a member’s <code>--hub-url</code> at the discovery URL. Members sign in with HTTP Basic
        (member name and password) or their connector token; each collection’s own URL is on the Collections tab.
      </p>
    </section>
  );
}

function MemberList() {
  const api = useApi();
  const members = usePoll((signal) => api.get<{ items: IntelMember[] }>('/api/v1/intel/members', undefined, signal), 30_000, 'intel-members');
  const items = members.data?.items;
  return (
    <section aria-labelledby="members-h">
      <h2 id="members-h">Members</h2>
      <ErrorNote error={members.error} prefix="Could not load the members" />
      {items && items.length === 0 ? (
        <p className="muted">No members yet: add one at the hub with <code>lianfang hub member add NAME --password …</code>; it prints the member’s connector token.</p>
      ) : null}
      {items && items.length > 0 ? (
        <div className="table-wrap">
          <table className="dense" aria-label="Members">
            <thead><tr><th scope="col">Member</th><th scope="col">Sharing groups</th><th scope="col">STIX identity</th><th scope="col">Since</th></tr></thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.name}>
                  <td>{m.name}</td><td><MemberChips names={m.groups} label={`Groups of ${m.name}`} /></td>
                  <td><code>{m.identity_id}</code></td><td title={m.created_at}>{formatTime(m.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
