/**
 * Bounded cache of recently seen handshake ephemeral keys (ntcp2.rst "1) SessionRequest" notes:
 * "Bob must maintain a local cache of previously-used handshake values and reject duplicates
 * ... Values in the cache must have a lifetime of at least 2*D", D = max clock skew).
 *
 * Pure: time is passed in. Entries are kept in insertion order (a Map), so expiry and eviction
 * only ever look at the oldest entries. When full, the oldest entry is evicted early; an attacker
 * would need to push `maxEntries` valid handshakes (each costing Bob a DH) to make that matter.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(
    /** Lifetime of an entry; default 3 minutes (> 2 * 60 s skew). */
    readonly ttlMs = 180_000,
    readonly maxEntries = 100_000,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /** True if `key` was recorded and has not expired. */
  has(key: Uint8Array, nowMs: number): boolean {
    this.expire(nowMs);
    return this.seen.has(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1'));
  }

  /** Records `key`; returns false (a replay) if it is already present and unexpired. */
  add(key: Uint8Array, nowMs: number): boolean {
    this.expire(nowMs);
    const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    if (this.seen.has(k)) return false;
    this.seen.set(k, nowMs + this.ttlMs);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  private expire(nowMs: number): void {
    for (const [k, exp] of this.seen) {
      if (exp > nowMs) break;
      this.seen.delete(k);
    }
  }
}
