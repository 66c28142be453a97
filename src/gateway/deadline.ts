/**
 * A backend call with a deadline: the operation gets an AbortSignal, and the deadline also holds
 * when the backend ignores the signal (the promise is raced). A result that arrives after we gave
 * up (a stream connected too late) is handed to `onLate` so it can be closed instead of leaking.
 */
import { I2PBackendError } from './i2p-backend.js';

export interface DeadlineOptions<T> {
  /** Aborts early too (the LAN client went away); rejects with `signal.reason`. */
  signal?: AbortSignal;
  onLate?: (value: T) => void;
}

export function withDeadline<T>(op: (signal: AbortSignal) => Promise<T>, ms: number, what: string, options: DeadlineOptions<T> = {}): Promise<T> {
  const ac = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const giveUp = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      ac.abort(err);
      reject(err);
    };
    const timer = setTimeout(() => giveUp(new I2PBackendError('timeout', `${what} took longer than ${ms} ms`)), ms);
    const onAbort = (): void => giveUp(options.signal!.reason);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let started: Promise<T>;
    try {
      started = op(ac.signal);
    } catch (e) {
      return giveUp(e);
    }
    started.then(
      (value) => {
        if (settled) {
          options.onLate?.(value);
          return;
        }
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (e: unknown) => giveUp(e),
    );
  });
}
