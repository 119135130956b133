import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Query } from './api.ts';

/** GET a path and keep its answer, error and loading state; `reload()` fetches again. */
export function useApi<T>(path: string | null, query?: Query, refreshKey = 0) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query ?? {});
  const queryRef = useRef(query);
  queryRef.current = query;

  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the query; tick and refreshKey force a reload
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setLoading(true);
    api
      .get<T>(path, queryRef.current, controller.signal)
      .then((value) => {
        setData(value);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [path, key, tick, refreshKey]);

  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, error, loading, reload };
}

/**
 * A form's submission: `submit(work)` marks it busy, clears the last failure, runs the work and keeps
 * what it threw to show (ErrorAlert) — the try / catch / finally every dialog would otherwise repeat.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const submit = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    try {
      await work();
    } catch (caught) {
      setFailure(caught);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, failure, submit };
}
