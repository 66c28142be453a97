/**
 * Does an address-book name exist? Asks the backend (`I2PStreamBackend.lookup`) with a deadline so
 * the DNS server answers within ~2 s whatever the backend does, coalesces concurrent questions for
 * one name (a browser asks A and AAAA at once), bounds the lookups in flight, and keeps a small
 * positive and negative cache.
 */
import { withDeadline } from './deadline.js';
import { I2PBackendError, type I2PBackendErrorKind, type I2PStreamBackend } from './i2p-backend.js';

export type NameCheck = { status: 'known' } | { status: 'unknown' } | { status: 'error'; reason: I2PBackendErrorKind };

export interface NameCheckerOptions {
  /** Deadline of one backend lookup; keep below the ~2 s a stub resolver waits before retrying. */
  timeoutMs?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  maxEntries?: number;
  maxInFlight?: number;
  now?: () => number;
}

interface CacheEntry {
  known: boolean;
  expiresAt: number;
}

export class NameChecker {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<NameCheck>>();
  private readonly timeoutMs: number;
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;
  readonly counters = { lookups: 0, cacheHits: 0, known: 0, unknown: 0, errors: 0, overloaded: 0 };

  constructor(
    private readonly backend: I2PStreamBackend,
    options: NameCheckerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1800;
    this.positiveTtlMs = options.positiveTtlMs ?? 5 * 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 4096;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.now = options.now ?? Date.now;
  }

  /** Never rejects. `name` is lower case. */
  check(name: string): Promise<NameCheck> {
    const cached = this.cache.get(name);
    if (cached !== undefined) {
      if (cached.expiresAt > this.now()) {
        this.counters.cacheHits++;
        return Promise.resolve(cached.known ? { status: 'known' } : { status: 'unknown' });
      }
      this.cache.delete(name);
    }
    const pending = this.inFlight.get(name);
    if (pending !== undefined) return pending;
    if (this.inFlight.size >= this.maxInFlight) {
      this.counters.overloaded++;
      return Promise.resolve({ status: 'error', reason: 'backend-down' });
    }
    const p = this.lookup(name).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  private async lookup(name: string): Promise<NameCheck> {
    this.counters.lookups++;
    try {
      const dest = await withDeadline((signal) => this.backend.lookup(name, signal), this.timeoutMs, `lookup of ${name}`);
      const known = dest !== undefined;
      this.remember(name, known);
      if (known) this.counters.known++;
      else this.counters.unknown++;
      return known ? { status: 'known' } : { status: 'unknown' };
    } catch (e) {
      if (e instanceof I2PBackendError && e.kind === 'unknown-name') {
        this.remember(name, false);
        this.counters.unknown++;
        return { status: 'unknown' };
      }
      this.counters.errors++;
      return { status: 'error', reason: e instanceof I2PBackendError ? e.kind : 'protocol' };
    }
  }

  private remember(name: string, known: boolean): void {
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(name, { known, expiresAt: this.now() + (known ? this.positiveTtlMs : this.negativeTtlMs) });
  }
}
