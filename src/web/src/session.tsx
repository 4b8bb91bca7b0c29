import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from './api/client.js';
import type { Me } from './api/types.js';

const STORAGE_KEY = 'lianfang.session';

export interface Session {
  readonly token: string;
  readonly me: Me;
}

/**
 * Kept in sessionStorage, not localStorage: the token goes away with the tab, which is what
 * a shared SOC workstation wants.
 */
function loadSession(): Session | null {
  try {
    const text = window.sessionStorage.getItem(STORAGE_KEY);
    if (!text) return null;
    const s = JSON.parse(text) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.me?.actor !== 'string') return null;
    return s as Session;
  } catch {
    return null;
  }
}

interface SessionState {
  readonly session: Session | null;
  readonly signIn: (session: Session) => void;
  readonly signOut: (reason?: string) => void;
  /** Why the last session ended when it was not the analyst's choice (token refused). */
  readonly endedBecause: string | null;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);
  const signIn = useCallback((s: Session) => {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    setEndedBecause(null);
    setSession(s);
  }, []);
  const signOut = useCallback((reason?: string) => {
    window.sessionStorage.removeItem(STORAGE_KEY);
    setEndedBecause(reason ?? null);
    setSession(null);
  }, []);
  const value = useMemo(() => ({ session, signIn, signOut, endedBecause }), [session, signIn, signOut, endedBecause]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The API as the signed-in analyst; a refused token signs the console out. */
export function useApi(): ApiClient {
  const { session, signOut } = useSession();
  const token = session?.token ?? '';
  return useMemo(() => createApiClient(token, () => signOut('The server refused the token (expired or revoked). Sign in again.')), [token, signOut]);
}

/** Analysts and admins change things; auditors and supervisors only read. */
export function useCanWrite(): boolean {
  const roles = useSession().session?.me.roles ?? [];
  return roles.includes('analyst') || roles.includes('admin');
}

/** Admin-only work (importing rules) is offered to admins only; the server refuses anyone else anyway. */
export function useIsAdmin(): boolean {
  return (useSession().session?.me.roles ?? []).includes('admin');
}
