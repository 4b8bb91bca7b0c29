import type { CreditLedger, CreditStanding } from '../api/types.js';
import { ErrorNote } from '../components/feedback.js';
import { saveBlob } from '../download.js';
import { formatCount } from '../format.js';
import { barGeometry, LEDGER_FACTORS, ledgerCsv, schemeOf, signed } from '../intel/ledger.js';
import { useApi } from '../session.js';
import { usePoll } from '../usePoll.js';

/** The hub's reward scheme at work: who earned what, for which contribution, and the scheme itself to argue with. */
export function IntelLedger({ mode }: { mode: 'hub' | 'member' | undefined }) {
  const api = useApi();
  const polled = usePoll((signal) => api.get<CreditLedger>('/api/v1/intel/credit', undefined, signal), 30_000, 'intel-credit');
  const l = polled.data;
  const exportCsv = (): void => {
    if (!l) return;
    saveBlob(new Blob([ledgerCsv(l.items)], { type: 'text/csv;charset=utf-8' }), `lianfang-contribution-ledger-${new Date().toISOString().slice(0, 10)}.csv`);
  };
  return (
    <section aria-label="Contribution ledger">
      <ErrorNote error={polled.error} prefix="Could not load the contribution ledger" />
      {l ? <Scheme points={l.points} /> : null}
      <div className="toolbar">
        <span className="muted">{l ? `${formatCount(l.items.length)} of ${formatCount(l.members)} members` : polled.loading ? 'Loading…' : ''}</span>
        <button type="button" disabled={!l || l.items.length === 0} onClick={exportCsv}>Export CSV</button>
      </div>
      <div className="table-wrap">
        <table className="dense" aria-label="Contribution ledger">
          <thead>
            <tr>
              <th scope="col" className="num">Rank</th><th scope="col">Member</th><th scope="col" className="num">Points</th>
              {LEDGER_FACTORS.map((f) => <th key={f.key} scope="col" className="num" title={f.explains}>{f.label}</th>)}
            </tr>
          </thead>
          <tbody>
            {l && l.items.length === 0 ? <tr><td colSpan={3 + LEDGER_FACTORS.length} className="empty wrap"><EmptyLedger mode={mode} /></td></tr> : null}
            {l?.items.map((s) => <StandingRow key={s.member} s={s} points={l.points} />)}
          </tbody>
        </table>
      </div>
      {l && l.items.length > 0 ? <PointsChart items={l.items} /> : null}
    </section>
  );
}

function Scheme({ points }: { points: CreditLedger['points'] }) {
  return (
    <section aria-labelledby="scheme-h">
      <h2 id="scheme-h">Points scheme</h2>
      <ul className="scheme" aria-label="Points scheme">
        {schemeOf(points).map((p) => (
          <li key={p.key} data-points={p.key}>
            <strong className={p.points < 0 ? 'negative' : 'positive'}>{signed(p.points)}</strong> {p.label}
            {p.explains ? <span className="muted">: {p.explains}</span> : null}
          </li>
        ))}
        <li className="muted">Indicators whose every value is on the warning list (private addresses, public resolvers, big cloud domains, empty-file hashes) earn nothing.</li>
      </ul>
    </section>
  );
}

function StandingRow({ s, points }: { s: CreditStanding; points: CreditLedger['points'] }) {
  return (
    <tr data-member={s.member}>
      <td className="num" data-col="rank">{s.rank}</td>
      <td data-col="member">{s.member}</td>
      <td className="num" data-col="points"><strong>{s.points}</strong></td>
      {LEDGER_FACTORS.map((f) => {
        const per = f.pointsKey === null ? undefined : points[f.pointsKey];
        const n = s[f.key];
        return (
          <td key={f.key} className="num" data-col={f.key} title={per === undefined ? f.explains : `${n} × ${signed(per)} = ${signed(n * per)} points`}>
            {n}{per !== undefined && n !== 0 ? <span className="muted"> ({signed(n * per)})</span> : null}
          </td>
        );
      })}
    </tr>
  );
}

function PointsChart({ items }: { items: readonly CreditStanding[] }) {
  const { zero, bars } = barGeometry(items.map((s) => s.points));
  return (
    <figure className="barchart">
      <figcaption><h2>Points by member</h2></figcaption>
      <ul aria-label="Points by member">
        {items.map((s, i) => (
          <li key={s.member} aria-label={`${s.member}: ${s.points} points`}>
            <span className="label">{s.member}</span>
            <span className="track" aria-hidden="true">
              <span className="zero" style={{ left: `${zero}%` }} />
              <span className={`bar${s.points < 0 ? ' neg' : ''}`} style={{ left: `${bars[i]!.left}%`, width: `${bars[i]!.width}%` }} />
            </span>
            <span className="num">{s.points}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

function EmptyLedger({ mode }: { mode: 'hub' | 'member' | undefined }) {
  if (mode === 'member') return <>The contribution ledger is kept at the hub; this server is a member, so it has no standings of its own.</>;
  return (
    <>
      No members yet: add one with <code>lianfang hub member add NAME --password …</code>. Points come as members share indicators and sight each other’s.
    </>
  );
}
