/**
 * Our clock's offset from the network's, estimated from the timestamps peers put in NTCP2
 * handshakes (ntcp2.rst: tsA in SessionRequest, tsB in SessionCreated). Each established
 * handshake gives one sample (peer's clock minus ours, 1 s resolution, plus transit time); the
 * estimate is the median of the newest samples, so a few peers with wrong clocks do not move it.
 * Bounded: a fixed ring of samples.
 */
export const CLOCK_SKEW_SAMPLES = 31;
/** Fewer samples than this: no estimate yet. */
export const MIN_CLOCK_SKEW_SAMPLES = 5;

export class ClockSkewEstimate {
  private readonly samples: number[] = [];
  private next = 0;

  add(peerMinusOursMs: number): void {
    if (!Number.isFinite(peerMinusOursMs)) return;
    if (this.samples.length < CLOCK_SKEW_SAMPLES) this.samples.push(peerMinusOursMs);
    else this.samples[this.next] = peerMinusOursMs;
    this.next = (this.next + 1) % CLOCK_SKEW_SAMPLES;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The samples kept (peer's clock minus ours, ms), oldest first once the ring has wrapped. */
  samplesMs(): number[] {
    return [...this.samples.slice(this.next), ...this.samples.slice(0, this.next)];
  }

  /**
   * Our clock minus the network's (positive: ours is ahead), ms, rounded to the second the
   * timestamps have; undefined with fewer than MIN_CLOCK_SKEW_SAMPLES samples.
   */
  estimateMs(): number | undefined {
    if (this.samples.length < MIN_CLOCK_SKEW_SAMPLES) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return -Math.round(median / 1000) * 1000 || 0;
  }
}
