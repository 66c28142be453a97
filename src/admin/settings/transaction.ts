/**
 * Apply, then confirm or roll back (LuCI's "apply with rollback"; issue 6, item 4): a change is
 * applied at once and stays pending until the owner confirms it from the page; if no confirmation
 * arrives before the deadline, the old values are put back — so a network setting that cuts the owner
 * off the admin UI undoes itself. Nothing is persisted before the confirmation: if the box restarts
 * while a change is pending, it comes back with the old config.
 *
 * Generic: a change is three actions (apply, revert, commit); the clock and timers are injected, so
 * the state machine is tested with a fake clock. One change at a time; every step runs in order
 * (confirm, rollback and the deadline never interleave).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../util/log.js';

export interface Change {
  /** Puts the new values into effect (the running state, not the config file). */
  apply(): Promise<void>;
  /** Puts the old values back into effect. */
  revert(): Promise<void>;
  /** Makes the new values permanent (writes the config file). */
  commit(): Promise<void>;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface PendingChange {
  id: string;
  description: string;
  appliedAt: number;
  deadline: number;
}

export type OutcomeResult = 'confirmed' | 'rolled-back' | 'apply-failed' | 'commit-failed' | 'rollback-failed';

export interface TransactionOutcome {
  id: string;
  description: string;
  result: OutcomeResult;
  reason: string;
  at: number;
}

/** What went wrong, and whether the old values are back in effect. */
export class TransactionError extends Error {
  constructor(
    readonly code: 'busy' | 'unknown-id' | 'apply-failed' | 'commit-failed',
    message: string,
    /** For apply/commit failures: true when the old values were restored, false when restoring failed too. */
    readonly restored?: boolean,
  ) {
    super(message);
    this.name = 'TransactionError';
  }
}

export class SettingsTransaction {
  private current: { pending: PendingChange; change: Change; timer: unknown } | undefined;
  private outcome: TransactionOutcome | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(private readonly opts: { log: Logger; now?: () => number; timers?: Timers }) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
  }

  get pending(): PendingChange | undefined {
    return this.current?.pending;
  }

  get lastOutcome(): TransactionOutcome | undefined {
    return this.outcome;
  }

  /**
   * Applies `change` and starts the deadline. Throws TransactionError: 'busy' while another change is
   * pending; 'apply-failed' when apply threw (the change was reverted at once).
   */
  begin(change: Change, timeoutMs: number, description: string): Promise<PendingChange> {
    return this.serial(async () => {
      if (this.current) throw new TransactionError('busy', `another change is waiting for confirmation (${this.current.pending.id}): confirm or roll it back first`);
      const id = randomBytes(8).toString('hex');
      try {
        await change.apply();
      } catch (e) {
        const why = (e as Error).message;
        const restored = await this.tryRevert(change, id, description);
        this.finish(id, description, restored ? 'apply-failed' : 'rollback-failed', `applying failed: ${why}`);
        throw new TransactionError('apply-failed', restored ? `applying failed, the old values are back: ${why}` : `applying failed and so did restoring the old values: ${why}`, restored);
      }
      const appliedAt = this.now();
      const pending: PendingChange = { id, description, appliedAt, deadline: appliedAt + timeoutMs };
      const timer = this.timers.setTimeout(() => void this.expire(id), timeoutMs);
      this.current = { pending, change, timer };
      this.opts.log.info({ id, description, timeoutMs }, 'settings applied; waiting for confirmation');
      return pending;
    });
  }

  /** Makes the pending change permanent. 'unknown-id' if it is not the pending one (e.g. already rolled back). */
  confirm(id: string): Promise<TransactionOutcome> {
    return this.serial(async () => {
      const cur = this.take(id);
      try {
        await cur.change.commit();
      } catch (e) {
        const why = (e as Error).message;
        const restored = await this.tryRevert(cur.change, id, cur.pending.description);
        this.finish(id, cur.pending.description, restored ? 'commit-failed' : 'rollback-failed', `saving failed: ${why}`);
        throw new TransactionError('commit-failed', restored ? `saving the config failed, the old values are back: ${why}` : `saving the config failed and so did restoring the old values: ${why}`, restored);
      }
      return this.finish(id, cur.pending.description, 'confirmed', 'confirmed by the owner');
    });
  }

  /** Puts the old values back now (the owner changed their mind). */
  rollback(id: string): Promise<TransactionOutcome> {
    return this.serial(async () => {
      const cur = this.take(id);
      const restored = await this.tryRevert(cur.change, id, cur.pending.description);
      return this.finish(id, cur.pending.description, restored ? 'rolled-back' : 'rollback-failed', restored ? 'rolled back by the owner' : 'rolling back failed (see the log)');
    });
  }

  /** The deadline passed without a confirmation. */
  private expire(id: string): Promise<void> {
    return this.serial(async () => {
      if (this.current?.pending.id !== id) return; // confirmed or rolled back meanwhile
      const cur = this.take(id);
      const restored = await this.tryRevert(cur.change, id, cur.pending.description);
      const seconds = Math.round((cur.pending.deadline - cur.pending.appliedAt) / 1000);
      this.finish(id, cur.pending.description, restored ? 'rolled-back' : 'rollback-failed', restored ? `not confirmed within ${seconds} s: rolled back` : `not confirmed within ${seconds} s, and rolling back failed (see the log)`);
      this.opts.log.warn({ id, restored }, 'settings not confirmed in time: rolled back');
    }) as Promise<void>;
  }

  private take(id: string): { pending: PendingChange; change: Change } {
    const cur = this.current;
    if (!cur || cur.pending.id !== id) throw new TransactionError('unknown-id', `no pending change with id ${id}`);
    this.timers.clearTimeout(cur.timer);
    this.current = undefined;
    return cur;
  }

  private async tryRevert(change: Change, id: string, description: string): Promise<boolean> {
    try {
      await change.revert();
      return true;
    } catch (e) {
      this.opts.log.error({ id, description, err: (e as Error).message }, 'restoring the old settings failed');
      return false;
    }
  }

  private finish(id: string, description: string, result: OutcomeResult, reason: string): TransactionOutcome {
    this.outcome = { id, description, result, reason, at: this.now() };
    return this.outcome;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
