/**
 * Per-client token buckets (pure; time comes in as `now`): a LAN client may send `ratePerSecond`
 * DNS queries a second with bursts of `burst`. The table is bounded: when full, the client seen
 * least recently is forgotten (it starts again with a full bucket, which only errs towards answering).
 */
export interface RateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  maxClients: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimiterOptions) {}

  get clients(): number {
    return this.buckets.size;
  }

  /** Takes one token for `client`; false when its bucket is empty. */
  allow(client: string, now: number): boolean {
    const { ratePerSecond, burst, maxClients } = this.options;
    let b = this.buckets.get(client);
    if (b === undefined) {
      if (this.buckets.size >= maxClients) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: burst, at: now };
    } else {
      this.buckets.delete(client);
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * ratePerSecond) / 1000);
      b.at = now;
    }
    this.buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
