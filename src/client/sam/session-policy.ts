/**
 * When the SAM session is (re)created and what a stream request does meanwhile. Pure: the backend
 * reports what happened, this says what state that leaves and when to try again.
 *
 * A SAM session lives and dies with its control socket (api-samv3 "SAM Sessions"): when the bridge
 * restarts, the socket closes and the session is gone. It is then recreated with exponential backoff
 * (with jitter, so many gateways restarting with one router do not hit it in step). While a session
 * is being opened, stream requests wait for it; while the bridge is known to be unreachable they fail
 * at once with backend-down rather than hang.
 */
export type SessionState = 'stopped' | 'opening' | 'ready' | 'backoff' | 'closed';

export interface BackoffOptions {
  /** First retry delay after a failure, ms. */
  initialMs: number;
  /** Upper bound of the delay, ms. */
  maxMs: number;
  /** Fraction of the delay drawn at random (0 = none, 0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, jitter: 0.2 };

export type Admission = 'go' | 'wait' | 'fail';

export class SessionPolicy {
  private stateValue: SessionState = 'stopped';
  private failures = 0;
  private retryAtValue: number | undefined;
  private lastFailureValue: string | undefined;

  constructor(
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(backoff.initialMs > 0) || !(backoff.maxMs >= backoff.initialMs) || !(backoff.jitter >= 0 && backoff.jitter < 1)) {
      throw new RangeError(`bad backoff ${JSON.stringify(backoff)}`);
    }
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** When the next attempt is due (state backoff). */
  get retryAt(): number | undefined {
    return this.retryAtValue;
  }

  /** Why the last attempt or session failed. */
  get lastFailure(): string | undefined {
    return this.lastFailureValue;
  }

  /** Consecutive failed attempts since the last ready session. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** An attempt starts (first start, or a retry that is due). */
  opening(): void {
    if (this.stateValue === 'closed') throw new Error('session policy: opening() after close()');
    this.stateValue = 'opening';
    this.retryAtValue = undefined;
  }

  /** The bridge answered SESSION STATUS RESULT=OK. */
  ready(): void {
    if (this.stateValue !== 'opening') return;
    this.stateValue = 'ready';
    this.failures = 0;
    this.lastFailureValue = undefined;
  }

  /**
   * The attempt failed or the session was lost; returns the delay before the next attempt. The
   * first retry after a session that was ready comes after `initialMs`.
   */
  failed(now: number, reason: string): number {
    if (this.stateValue === 'closed') return Infinity;
    const exp = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures, 30));
    const delay = Math.round(exp * (1 - this.backoff.jitter + 2 * this.backoff.jitter * this.random()));
    this.failures++;
    this.stateValue = 'backoff';
    this.retryAtValue = now + delay;
    this.lastFailureValue = reason;
    return delay;
  }

  close(): void {
    this.stateValue = 'closed';
    this.retryAtValue = undefined;
  }

  /** What a stream request does now: use the session, wait for the attempt under way, or fail. */
  admit(): Admission {
    switch (this.stateValue) {
      case 'ready':
        return 'go';
      case 'opening':
        return 'wait';
      default:
        return 'fail';
    }
  }
}
