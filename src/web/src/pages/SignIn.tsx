import { useState, type FormEvent } from 'react';
import { whoAmI } from '../api/client.js';
import { ErrorNote } from '../components/feedback.js';
import { useSession } from '../session.js';

/** Paste an API token (`lianfang token create --role analyst`); it is checked before it is kept. */
export function SignIn() {
  const { signIn, endedBecause } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const t = token.trim();
    if (t === '') {
      setError(new Error('Paste the token that `lianfang token create --role analyst` printed.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await whoAmI(t);
      signIn({ token: t, me });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <h1>Lianfang 聯防 <span className="muted">SOC console</span></h1>
      {endedBecause ? <p className="warn" role="status">{endedBecause}</p> : null}
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <label htmlFor="token">API token 存取權杖</label>
        <input
          id="token" type="password" autoComplete="off" spellCheck={false} autoFocus value={token}
          placeholder="lf_…" onChange={(e) => setToken(e.target.value)}
        />
        <p className="hint">
          Create one on the server with <code>lianfang token create --role analyst</code>. It is kept only in this tab (sessionStorage).
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <ErrorNote error={error} prefix="Sign-in failed" />
      </form>
    </main>
  );
}
