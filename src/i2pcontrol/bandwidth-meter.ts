/**
 * Transfer rates over the last second and the last 15 seconds, from cumulative byte counters
 * (e.g. NTCP2Transport.counters.bytesIn/bytesOut), for I2PControl's
 * `i2p.router.net.bw.{inbound,outbound}.{1s,15s}` (bytes per second; i2pd keeps the same two
 * windows). Sans-IO: the owner calls sample() about once a second with the time and the totals.
 */
import type { BandwidthRates } from './router-view.js';

interface Sample {
  at: number;
  totalIn: number;
  totalOut: number;
}

export class BandwidthMeter {
  private readonly samples: Sample[] = [];
  private readonly longWindowMs: number;
  private readonly maxSamples: number;

  /** `longWindowMs` (default 15 s) is the longer window; samples beyond it are dropped. */
  constructor(opts: { longWindowMs?: number; maxSamples?: number } = {}) {
    this.longWindowMs = opts.longWindowMs ?? 15_000;
    // A sample per second covers the window with 16; a faster caller just gets a shorter window.
    this.maxSamples = opts.maxSamples ?? 64;
  }

  /**
   * Record cumulative totals at `now`. A sample not later than the previous one is ignored; a total
   * that went down (a counter reset) restarts the history.
   */
  sample(now: number, totalIn: number, totalOut: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined) {
      if (now <= last.at) return;
      if (totalIn < last.totalIn || totalOut < last.totalOut) this.samples.length = 0;
    }
    this.samples.push({ at: now, totalIn, totalOut });
    // Keep one sample at or before the start of the long window, so that window is fully covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= now - this.longWindowMs) this.samples.shift();
    while (this.samples.length > this.maxSamples) this.samples.shift();
  }

  /** Bytes per second: `1s` between the last two samples, `15s` across the long window (0 until two samples exist). */
  rates(): BandwidthRates {
    const n = this.samples.length;
    if (n < 2) return { in1s: 0, in15s: 0, out1s: 0, out15s: 0 };
    const newest = this.samples[n - 1]!;
    const prev = this.samples[n - 2]!;
    const oldest = this.samples[0]!;
    const rate = (a: Sample, b: Sample, key: 'totalIn' | 'totalOut') => ((b[key] - a[key]) * 1000) / (b.at - a.at);
    return {
      in1s: rate(prev, newest, 'totalIn'),
      out1s: rate(prev, newest, 'totalOut'),
      in15s: rate(oldest, newest, 'totalIn'),
      out15s: rate(oldest, newest, 'totalOut'),
    };
  }
}
