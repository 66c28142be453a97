/**
 * The dashboard's data (issue 6, item 3), aggregated on the server so the page stays light on a Pi:
 * once per tick the router's cumulative counters are sampled, turned into rates and a short history
 * for the bandwidth graphs, combined with the gateway's protection state, tunnel build success and
 * the (cached) system health into one snapshot, serialized once and pushed to every subscriber
 * (the SSE stream, ./sse.ts). Between ticks nothing is computed, however many pages are open.
 *
 * DashboardAggregator is the pure part (samples in, rates and history out); DashboardFeed is the
 * shell with the timer and the subscribers.
 */
import type { AdminRouterView, AdminTunnelCounts } from './router-view.js';
import { evaluateProtection, type GatewayStatus, type LanClient, type Protection } from './gateway-status.js';
import { maybe, notAvailable, type Maybe } from './not-available.js';
import type { SystemHealth, SystemHealthSource } from './system-health.js';

/** `[time ms, in B/s, out B/s, transit B/s]`: compact, as the page draws hundreds of them. */
export type BandwidthPoint = [number, number, number, number];

export interface CounterSample {
  at: number;
  bytesIn: number;
  bytesOut: number;
  transitBytes: number;
  buildsStarted: number;
  buildsSucceeded: number;
}

export interface BuildSuccess {
  windowMs: number;
  started: number;
  succeeded: number;
  /** succeeded / started over the window, integer percent; not available when nothing was built. */
  percent: Maybe<number>;
}

export interface DashboardAggregatorOptions {
  /** Bandwidth points kept for the graphs (default 150: five minutes at one tick per 2 s). */
  historyPoints?: number;
  /** Window of the tunnel build success rate (default 10 minutes). */
  buildWindowMs?: number;
}

export class DashboardAggregator {
  private readonly points: BandwidthPoint[] = [];
  private readonly samples: CounterSample[] = [];
  private last: CounterSample | undefined;
  readonly historyPoints: number;
  readonly buildWindowMs: number;

  constructor(opts: DashboardAggregatorOptions = {}) {
    this.historyPoints = opts.historyPoints ?? 150;
    this.buildWindowMs = opts.buildWindowMs ?? 10 * 60_000;
  }

  /**
   * Adds a sample of the cumulative counters; returns the bandwidth point it makes with the previous
   * sample (undefined for the first, or a sample not later than the previous). A counter that went
   * down (a restarted subsystem) gives rate 0 for that step rather than a negative rate.
   */
  add(s: CounterSample): BandwidthPoint | undefined {
    const prev = this.last;
    if (prev !== undefined && s.at <= prev.at) return undefined;
    this.last = s;
    this.samples.push(s);
    // Keep one sample at or before the start of the window so the window is covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= s.at - this.buildWindowMs) this.samples.shift();
    if (prev === undefined) return undefined;
    const point = rates(prev, s);
    this.points.push(point);
    if (this.points.length > this.historyPoints) this.points.splice(0, this.points.length - this.historyPoints);
    return point;
  }

  history(): BandwidthPoint[] {
    return this.points.slice();
  }

  /** Rates from the last sample to `s` without recording `s` (a snapshot between ticks). */
  peek(s: CounterSample): BandwidthPoint | undefined {
    return this.last !== undefined && s.at > this.last.at ? rates(this.last, s) : this.points[this.points.length - 1];
  }

  buildSuccess(): BuildSuccess {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const started = first && last ? Math.max(0, last.buildsStarted - first.buildsStarted) : 0;
    const succeeded = first && last ? Math.max(0, last.buildsSucceeded - first.buildsSucceeded) : 0;
    return {
      windowMs: this.buildWindowMs,
      started,
      succeeded,
      percent: started > 0 ? Math.min(100, Math.round((succeeded / started) * 100)) : notAvailable('no tunnel builds in the window'),
    };
  }
}

function rates(a: CounterSample, b: CounterSample): BandwidthPoint {
  const dt = (b.at - a.at) / 1000;
  const r = (x: number, y: number): number => (y >= x ? Math.round((y - x) / dt) : 0);
  return [b.at, r(a.bytesIn, b.bytesIn), r(a.bytesOut, b.bytesOut), r(a.transitBytes, b.transitBytes)];
}

export interface DashboardSnapshot {
  at: number;
  protection: Protection;
  router: {
    version: string;
    routerHash: string;
    netId: number;
    uptimeMs: number;
    caps: string;
    floodfill: boolean;
    /** What our RouterInfo says: 'reachable' (caps R) or 'firewalled' (caps U). */
    published: 'reachable' | 'firewalled';
    /** Reachability as tested by peers. */
    reachability: Maybe<'ok' | 'firewalled' | 'testing'>;
    clockSkewMs: Maybe<number>;
    reseeding: boolean;
  };
  /** Rates over the last tick (not available until two samples exist) and totals since start. */
  bandwidth: { inBps: Maybe<number>; outBps: Maybe<number>; transitBps: Maybe<number>; totalInBytes: number; totalOutBytes: number; totalTransitBytes: number };
  counts: { peers: number; knownRouters: number; floodfills: number; leaseSets: number; tunnels: AdminTunnelCounts };
  tunnelBuildSuccess: BuildSuccess;
  lanClients: Maybe<{ count: number; clients: LanClient[] }>;
  system: Maybe<SystemHealth>;
}

export interface DashboardHistory {
  intervalMs: number;
  points: BandwidthPoint[];
}

/** A subscriber: gets each tick's serialized snapshot event; returns false when it is gone. */
export type DashboardSink = (snapshotJson: string) => boolean;

export interface DashboardFeedOptions extends DashboardAggregatorOptions {
  router: AdminRouterView;
  gateway: GatewayStatus;
  system: SystemHealthSource;
  /** Tick interval, ms (default 2000). */
  intervalMs?: number;
  now?: () => number;
}

/** LAN clients shown at most (the count is always complete). */
const MAX_LAN_CLIENTS = 50;

export class DashboardFeed {
  readonly aggregator: DashboardAggregator;
  readonly intervalMs: number;
  private readonly sinks = new Set<DashboardSink>();
  private timer: NodeJS.Timeout | undefined;
  private system: Maybe<SystemHealth> = notAvailable('not sampled yet');
  private readonly now: () => number;

  constructor(private readonly opts: DashboardFeedOptions) {
    this.aggregator = new DashboardAggregator(opts);
    this.intervalMs = opts.intervalMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  get subscribers(): number {
    return this.sinks.size;
  }

  start(): void {
    if (this.timer) return;
    this.aggregator.add(this.sample());
    // systeminformation's first CPU load reading takes half a second: take it now, not on the first page load.
    this.refreshSystem();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sinks.clear();
  }

  subscribe(sink: DashboardSink): () => void {
    this.sinks.add(sink);
    this.refreshSystem();
    return () => void this.sinks.delete(sink);
  }

  /** One tick: sample, aggregate, serialize once, push to every subscriber. */
  tick(): void {
    const s = this.sample();
    const point = this.aggregator.add(s);
    if (this.sinks.size === 0) return;
    this.refreshSystem();
    const json = JSON.stringify({ snapshot: this.build(s, point), point: point ?? null });
    for (const sink of [...this.sinks]) if (!sink(json)) this.sinks.delete(sink);
  }

  /** The current snapshot and the graph history (the first paint, and the SSE stream's first event). */
  async current(): Promise<{ snapshot: DashboardSnapshot; history: DashboardHistory }> {
    this.system = await this.opts.system.sample();
    const s = this.sample();
    return { snapshot: this.build(s, this.aggregator.peek(s)), history: { intervalMs: this.intervalMs, points: this.aggregator.history() } };
  }

  private refreshSystem(): void {
    void this.opts.system.sample().then((h) => (this.system = h));
  }

  private sample(): CounterSample {
    const r = this.opts.router;
    const t = r.traffic();
    const b = r.tunnelBuilds();
    return { at: this.now(), bytesIn: t.bytesIn, bytesOut: t.bytesOut, transitBytes: t.transitBytes, buildsStarted: b.started, buildsSucceeded: b.succeeded };
  }

  private build(s: CounterSample, point: BandwidthPoint | undefined): DashboardSnapshot {
    const r = this.opts.router;
    const g = this.opts.gateway;
    const caps = r.caps();
    const clients = g.lanClients?.();
    return {
      at: s.at,
      protection: evaluateProtection(g),
      router: {
        version: r.version,
        routerHash: r.routerHash(),
        netId: r.netId(),
        uptimeMs: r.uptimeMs(),
        caps,
        floodfill: caps.includes('f'),
        published: caps.includes('R') ? 'reachable' : 'firewalled',
        reachability: maybe(r.reachability?.bind(r)),
        clockSkewMs: maybe(r.clockSkewMs?.bind(r)),
        reseeding: r.isReseeding(),
      },
      bandwidth: {
        inBps: point ? point[1] : notAvailable('measuring'),
        outBps: point ? point[2] : notAvailable('measuring'),
        transitBps: point ? point[3] : notAvailable('measuring'),
        totalInBytes: s.bytesIn,
        totalOutBytes: s.bytesOut,
        totalTransitBytes: s.transitBytes,
      },
      counts: { ...r.counts(), tunnels: r.tunnelCounts() },
      tunnelBuildSuccess: this.aggregator.buildSuccess(),
      lanClients: clients === undefined ? notAvailable() : { count: clients.length, clients: clients.slice(0, MAX_LAN_CLIENTS) },
      system: this.system,
    };
  }
}
