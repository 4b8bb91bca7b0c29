import type { VaultSummary } from '../api/types.js';
import { ErrorNote } from '../components/feedback.js';
import { formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { useApi } from '../session.js';
import { usePoll } from '../usePoll.js';
import { newestAgeMs, siteStatuses } from '../vault/status.js';

// Each read opens the sites (SSH for SFTP) and checks the signature chain: not a per-second view.
const POLL_MS = 30_000;

/** The core-data vault: where the shards are, what can be restored, and the evidence that it can. */
export function VaultPage() {
  const api = useApi();
  const vaults = usePoll((signal) => api.get<{ items: VaultSummary[] }>('/api/v1/vaults', undefined, signal), POLL_MS, 'vaults');
  const items = vaults.data?.items;
  return (
    <main className="page vault">
      <header className="page-head"><h1>Vault 資料保全</h1></header>
      <ErrorNote error={vaults.error} prefix="Could not read the vaults" />
      {items && items.length === 0 ? (
        <p className="muted">No vault is shown here: start the server with <code>lianfang serve --vault core.json</code>.</p>
      ) : null}
      {items?.map((v) => <VaultCard key={v.id} vault={v} />)}
    </main>
  );
}

function VaultCard({ vault: v }: { vault: VaultSummary }) {
  const age = newestAgeMs(v, Date.now());
  const drill = v.last_drill;
  const verify = v.last_verify;
  return (
    <section className="vault-card" aria-label={`Vault ${v.id}`}>
      <h2>{v.file.split('/').pop()} <span className="muted">{v.data.k}-of-{v.data.n} sites · key {v.quorum}-of-{v.custodians.length} custodians ({v.custodians.join(', ')}) · vault <code>{v.id}</code></span></h2>
      <dl className="counters">
        <div><dt>Snapshots</dt><dd data-vault="snapshots">{formatCount(v.snapshots.length)}</dd></div>
        <div><dt>Newest snapshot age (RPO)</dt><dd>{formatDuration(age)}</dd></div>
        <div className={verify && !verify.ok ? 'bad' : ''}><dt>Last verify</dt><dd data-vault="verify">{verify ? `${verify.ok ? 'ok' : 'PROBLEMS'} · ${verify.level}` : 'never'}</dd></div>
        <div className={drill && !drill.ok ? 'bad' : ''}><dt>Last restore drill</dt><dd data-vault="drill">{drill ? (drill.ok ? 'passed' : 'FAILED') : 'never'}</dd></div>
      </dl>
      {v.snapshots_error ? <p className="error" role="alert">Snapshots cannot be trusted: {v.snapshots_error}</p> : null}
      {v.problems.map((p) => <p key={p.where} className="error">{p.where}: {p.reason}</p>)}

      <h3>Sites</h3>
      <div className="table-wrap">
        <table className="dense" aria-label="Sites">
          <thead><tr><th>Site</th><th>Where</th><th>State</th><th>Shards ok</th><th>Missing or bad</th><th>Can be lost?</th></tr></thead>
          <tbody>
            {siteStatuses(v).map((s) => (
              <tr key={s.name} className={s.state === 'behind' ? 'parse-error' : ''}>
                <td>{s.name}</td><td><code>{s.url}</code></td><td>{s.state}</td>
                <td>{s.shardsOk ?? '—'}</td><td>{s.shardsBad ?? '—'}</td>
                <td>{s.canLose === null ? '—' : s.canLose ? 'yes' : 'NO'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {verify ? <p className="muted">Verified {formatTime(verify.at)} ({verify.level}, {verify.packs} packs, {verify.problemCount} problems).</p> : null}

      <h3>Restore drills</h3>
      {drill ? (
        <p data-vault="drill-detail">
          {formatTime(drill.startedAt)}: snapshot <code>{drill.snapshotId.slice(0, 12)}</code> restored {formatCount(drill.files)} files,{' '}
          {formatBytes(drill.bytes)} in {drill.restoreSeconds.toFixed(2)} s; data age {formatDuration(drill.dataAgeSeconds * 1000)}
          {drill.problems.length > 0 ? <span className="error-text">{drill.problems.join('; ')}</span> : null}
        </p>
      ) : <p className="muted">No drill recorded: <code>lianfang vault drill --vault {v.file} --to DIR --identity … --identity …</code></p>}

      <h3>Snapshots</h3>
      <div className="table-wrap">
        <table className="dense" aria-label="Snapshots">
          <thead><tr><th>Time</th><th>Id</th><th>Host</th><th>Files</th><th>Size</th></tr></thead>
          <tbody>
            {v.snapshots.map((s) => (
              <tr key={s.id}><td>{formatTime(s.time)}</td><td><code title={s.id}>{s.id.slice(0, 12)}</code></td><td>{s.host}</td><td>{formatCount(s.files)}</td><td>{formatBytes(s.bytes)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
