import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  /** The latest answer; kept while a refresh is in flight or after a failed one. */
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** When `data` last arrived (ms since epoch). */
  readonly updatedAt: number | undefined;
  /** Loads again now (after an action), without waiting for the next tick. */
  readonly refresh: () => void;
}

/**
 * Loads, then loads again every `intervalMs` (0: once) until the component goes away or `key`
 * changes. One request at a time: the next starts only after the previous answered, so a slow
 * server is not piled on. Data is replaced in place, so React keeps rows, scroll and
 * selection.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [updatedAt, setUpdatedAt] = useState<number | undefined>(undefined);
  const [kick, setKick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastKey = useRef(key);

  useEffect(() => {
    if (lastKey.current !== key) {
      lastKey.current = key;
      setData(undefined);
    }
    const abort = new AbortController();
    let timer: number | undefined;
    const run = async (): Promise<void> => {
      setLoading(true);
      try {
        const value = await loadRef.current(abort.signal);
        if (abort.signal.aborted) return;
        setData(value);
        setError(undefined);
        setUpdatedAt(Date.now());
      } catch (err) {
        if (abort.signal.aborted) return;
        setError(err instanceof Error ? err : new Error(String(err)));
      } finally {
        if (!abort.signal.aborted) {
          setLoading(false);
          if (intervalMs > 0) timer = window.setTimeout(() => void run(), intervalMs);
        }
      }
    };
    void run();
    return () => {
      abort.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [key, intervalMs, kick]);

  const refresh = useCallback(() => setKick((k) => k + 1), []);
  return { data, error, loading, updatedAt, refresh };
}

/** A clock that ticks every `ms`, for running timers and "x ago" labels. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
