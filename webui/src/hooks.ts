/** Small hooks the pages share: loading an API answer, running an action, a ticking clock. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** GETs `path` (again whenever it changes); `reload` fetches it again. A failure keeps the last data. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(path !== undefined);
  const latest = useRef(path);
  latest.current = path;
  const reload = useCallback(async () => {
    if (path === undefined) return;
    setLoading(true);
    try {
      const d = await get<T>(path);
      if (latest.current !== path) return;
      setData(d);
      setError(undefined);
    } catch (e) {
      if (latest.current === path) setError(e);
    } finally {
      if (latest.current === path) setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

export interface Action<T> {
  busy: boolean;
  error: unknown;
  result: T | undefined;
  run: (fn: () => Promise<T>) => Promise<T | undefined>;
  reset: () => void;
}

/** A button's action: busy while it runs, then its result or its error. */
export function useAction<T>(): Action<T> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [result, setResult] = useState<T | undefined>(undefined);
  const run = useCallback(async (fn: () => Promise<T>) => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const r = await fn();
      setResult(r);
      return r;
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setError(undefined);
    setResult(undefined);
  }, []);
  return { busy, error, result, run, reset };
}

/** The current time, updated every `ms` while `active`. */
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}
