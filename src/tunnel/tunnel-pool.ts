/**
 * A pool of our own tunnels — the exploratory pool, or a client destination's — as a pure state
 * machine (tunnel-routing and peer-selection docs; tunnels-implementation.html "Tunnel Pooling"):
 *
 *   - keep `inbound.quantity` inbound and `outbound.quantity` outbound tunnels of
 *     `*.length` (± `*.lengthVariance`) hops; a tunnel lives 10 minutes, so a replacement is built
 *     `replaceBeforeMs` (90 s) before one expires, and an expiring one is no longer handed out
 *     for new traffic in its last `expiringMs` (60 s);
 *   - choose hops with the PeerSelector and record every hop's answer (accept, reject, no answer
 *     within `buildTimeoutMs`) in the PeerProfiles;
 *   - test tunnels: each new tunnel at once, then every `testIntervalMs`, an outbound tunnel and an
 *     inbound tunnel together (a DeliveryStatus out of one and back in through the other, or
 *     through a zero-hop side when the pool has none of that direction); a test that does not
 *     come back within `testTimeoutMs` counts against both tunnels and their hops, and after
 *     `maxTestFailures` failures in a row a tunnel is failed: not used, and replaced.
 *
 * Option names and defaults are i2pd's: exploratory pools 2 hops × 3 tunnels each way
 * (`exploratory.inbound.length` ...), client pools 3 hops × 5 tunnels (`inbound.length`,
 * `inbound.quantity`, `inbound.lengthVariance`, ... as I2CP options).
 *
 * Time comes in; actions come out: the shell (TunnelManager) builds, sends and tests, and
 * reports back with buildReplied / buildFailed / testReplied.
 */
import type { RouterInfo } from '../data/router-info.js';
import type { TunnelDirection } from './build/build-creator.js';
import type { PeerProfiles } from './peer-profile.js';
import { cryptoRandom, type PeerSelector } from './peer-selector.js';

export type PoolKind = 'exploratory' | 'client';

export interface TunnelPoolConfig {
  inboundLength: number;
  outboundLength: number;
  inboundQuantity: number;
  outboundQuantity: number;
  /** i2pd semantics: a positive v adds 0..v hops, a negative v removes 0..|v| (at least 1 hop stays). */
  inboundLengthVariance: number;
  outboundLengthVariance: number;
}

/** i2pd's `exploratory.*` defaults (Config.cpp "Exploratory Options"). */
export const EXPLORATORY_POOL_DEFAULTS: Readonly<TunnelPoolConfig> = Object.freeze({
  inboundLength: 2,
  outboundLength: 2,
  inboundQuantity: 3,
  outboundQuantity: 3,
  inboundLengthVariance: 0,
  outboundLengthVariance: 0,
});

/** i2pd's I2CP defaults for destinations (DEFAULT_INBOUND_TUNNEL_LENGTH ...). */
export const CLIENT_POOL_DEFAULTS: Readonly<TunnelPoolConfig> = Object.freeze({
  inboundLength: 3,
  outboundLength: 3,
  inboundQuantity: 5,
  outboundQuantity: 5,
  inboundLengthVariance: 0,
  outboundLengthVariance: 0,
});

/**
 * Tunnels of at most 7 hops: an inbound build carries one record per hop plus ours, and a
 * build message holds at most 8 records (i2np.rst).
 */
export const MAX_TUNNEL_LENGTH = 7;
/** i2pd TUNNEL_POOL_MAX_*_TUNNELS_QUANTITY. */
export const MAX_TUNNEL_QUANTITY = 16;
const MAX_LENGTH_VARIANCE = 3;

const OPTION_FIELDS: ReadonlyArray<[string, keyof TunnelPoolConfig, number, number]> = [
  ['inbound.length', 'inboundLength', 1, MAX_TUNNEL_LENGTH],
  ['outbound.length', 'outboundLength', 1, MAX_TUNNEL_LENGTH],
  ['inbound.quantity', 'inboundQuantity', 1, MAX_TUNNEL_QUANTITY],
  ['outbound.quantity', 'outboundQuantity', 1, MAX_TUNNEL_QUANTITY],
  ['inbound.lengthVariance', 'inboundLengthVariance', -MAX_LENGTH_VARIANCE, MAX_LENGTH_VARIANCE],
  ['outbound.lengthVariance', 'outboundLengthVariance', -MAX_LENGTH_VARIANCE, MAX_LENGTH_VARIANCE],
];

/**
 * A pool configuration from i2pd-named options: `exploratory.inbound.length` ... for the
 * exploratory pool, `inbound.length` ... (I2CP) for client pools; the kind's defaults for the
 * rest. Throws RangeError on a value that is not an integer in range (length 1..7, quantity 1..16,
 * variance -3..3). Zero-hop pools are not supported.
 */
export function poolConfigFromOptions(kind: PoolKind, options: ReadonlyMap<string, string | number> | Readonly<Record<string, string | number | undefined>> = {}): TunnelPoolConfig {
  const config: TunnelPoolConfig = { ...(kind === 'exploratory' ? EXPLORATORY_POOL_DEFAULTS : CLIENT_POOL_DEFAULTS) };
  const prefix = kind === 'exploratory' ? 'exploratory.' : '';
  const get = (k: string): string | number | undefined => (options instanceof Map ? options.get(k) : (options as Record<string, string | number | undefined>)[k]);
  for (const [name, field, min, max] of OPTION_FIELDS) {
    const raw = get(prefix + name);
    if (raw === undefined) continue;
    const v = typeof raw === 'number' ? raw : /^-?\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${prefix}${name} must be an integer in ${min}..${max}, got ${String(raw)}`);
    config[field] = v;
  }
  return config;
}

export interface TunnelPoolTiming {
  /** A build not answered by then failed (i2pd TUNNEL_CREATION_TIMEOUT); default 30 s. */
  buildTimeoutMs: number;
  /** Build a replacement this long before a tunnel expires (i2pd TUNNEL_RECREATION_THRESHOLD); default 90 s. */
  replaceBeforeMs: number;
  /** Stop handing a tunnel out for new traffic this long before it expires; default 60 s. */
  expiringMs: number;
  testIntervalMs: number;
  testTimeoutMs: number;
  /** Failed tests in a row after which a tunnel is failed; default 2. */
  maxTestFailures: number;
  /** After a failed build, the next one in that direction waits this long, doubling per failure up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Wait before trying again when there are not enough eligible peers. */
  noPeersRetryMs: number;
}

export const DEFAULT_POOL_TIMING: Readonly<TunnelPoolTiming> = Object.freeze({
  buildTimeoutMs: 30_000,
  replaceBeforeMs: 90_000,
  expiringMs: 60_000,
  testIntervalMs: 30_000,
  testTimeoutMs: 15_000,
  maxTestFailures: 2,
  retryMinMs: 1_000,
  retryMaxMs: 30_000,
  noPeersRetryMs: 5_000,
});

export type PoolTunnelState = 'ready' | 'failed';

/** One of the pool's tunnels, as the pool sees it. */
export interface PoolTunnel {
  /** Pool-assigned, unique in the pool: the id of the build that made it. */
  readonly id: number;
  readonly direction: TunnelDirection;
  /** Router hashes in message order (outbound: after us; inbound: the gateway first). */
  readonly hops: readonly Buffer[];
  readonly createdAt: number;
  readonly expiresAt: number;
  state: PoolTunnelState;
  /** Failed tests since the last success. */
  testFailures: number;
  lastTestAt: number | undefined;
  /** Round trip of the last successful test that went through it (ms). */
  latencyMs: number | undefined;
  testing: boolean;
}

export type PoolAction =
  /** Build a tunnel through `hops`; `via` is the pool tunnel to route the build through (outbound builds: the inbound tunnel the reply comes back by; inbound builds: the outbound tunnel the request goes out by) or undefined for zero-hop / direct. */
  | { kind: 'build'; buildId: number; direction: TunnelDirection; hops: RouterInfo[]; via: number | undefined }
  /** The build got no answer in time: forget its state. */
  | { kind: 'buildTimedOut'; buildId: number }
  /** Send a DeliveryStatus out through `outbound` to `inbound` (undefined: a zero-hop side). */
  | { kind: 'test'; testId: number; outbound: number | undefined; inbound: number | undefined }
  | { kind: 'testTimedOut'; testId: number }
  /** The tunnel is past its expiry: remove its ends. */
  | { kind: 'expired'; tunnelId: number };

export interface HopReply {
  identHash: Buffer;
  /** 0 = accepted. */
  code: number;
}

export interface TunnelPoolCounters {
  buildsStarted: number;
  buildsSucceeded: number;
  /** Builds a hop refused. */
  buildsRejected: number;
  buildsTimedOut: number;
  /** Builds whose reply could not be read (tampered, malformed) or that could not be sent. */
  buildsFailed: number;
  /** Times a build was wanted but not enough eligible peers were known. */
  noPeers: number;
  testsStarted: number;
  testsSucceeded: number;
  testsFailed: number;
  tunnelsFailed: number;
  tunnelsExpired: number;
}

export interface TunnelPoolOptions {
  kind: PoolKind;
  config: TunnelPoolConfig;
  selector: PeerSelector;
  profiles: PeerProfiles;
  timing?: Partial<TunnelPoolTiming>;
  /** Uniform [0, 1) for length variance and tunnel choice; default node:crypto. */
  random?: () => number;
  /**
   * Ids of tunnels, builds and tests. Pools of one TunnelManager share one allocator so an id
   * names one thing across all of them; default a counter of the pool's own.
   */
  nextId?: () => number;
}

interface Build {
  id: number;
  direction: TunnelDirection;
  hops: Buffer[];
  startedAt: number;
  deadline: number;
}

interface Test {
  id: number;
  outbound: PoolTunnel | undefined;
  inbound: PoolTunnel | undefined;
  startedAt: number;
  deadline: number;
}

const DIRECTIONS: readonly TunnelDirection[] = ['inbound', 'outbound'];

export class TunnelPool {
  readonly kind: PoolKind;
  readonly config: Readonly<TunnelPoolConfig>;
  readonly timing: Readonly<TunnelPoolTiming>;
  readonly counters: TunnelPoolCounters = {
    buildsStarted: 0,
    buildsSucceeded: 0,
    buildsRejected: 0,
    buildsTimedOut: 0,
    buildsFailed: 0,
    noPeers: 0,
    testsStarted: 0,
    testsSucceeded: 0,
    testsFailed: 0,
    tunnelsFailed: 0,
    tunnelsExpired: 0,
  };
  private readonly selector: PeerSelector;
  private readonly profiles: PeerProfiles;
  private readonly random: () => number;
  private readonly tunnels = new Map<number, PoolTunnel>();
  private readonly builds = new Map<number, Build>();
  private readonly tests = new Map<number, Test>();
  private readonly nextBuildAt: Record<TunnelDirection, number> = { inbound: 0, outbound: 0 };
  private readonly failuresInRow: Record<TunnelDirection, number> = { inbound: 0, outbound: 0 };
  private readonly nextId: () => number;

  constructor(opts: TunnelPoolOptions) {
    this.kind = opts.kind;
    let id = 1;
    this.nextId = opts.nextId ?? ((): number => id++);
    this.config = Object.freeze({ ...opts.config });
    for (const [name, field, min, max] of OPTION_FIELDS) {
      const v = this.config[field];
      if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`pool ${name} must be an integer in ${min}..${max}, got ${v}`);
    }
    this.timing = Object.freeze({ ...DEFAULT_POOL_TIMING, ...opts.timing });
    this.selector = opts.selector;
    this.profiles = opts.profiles;
    this.random = opts.random ?? cryptoRandom;
  }

  get pendingBuilds(): number {
    return this.builds.size;
  }

  get pendingTests(): number {
    return this.tests.size;
  }

  tunnel(id: number): PoolTunnel | undefined {
    return this.tunnels.get(id);
  }

  /** Every tunnel the pool holds (ready or failed, not yet expired). */
  all(): PoolTunnel[] {
    return [...this.tunnels.values()];
  }

  /**
   * Tunnels to use for new traffic in `direction`: ready and not in their last `expiringMs`;
   * if there is none, any ready tunnel that has not expired (better late than nothing).
   */
  usable(direction: TunnelDirection, now: number): PoolTunnel[] {
    const ready = [...this.tunnels.values()].filter((t) => t.direction === direction && t.state === 'ready' && t.expiresAt > now);
    const fresh = ready.filter((t) => t.expiresAt - now > this.timing.expiringMs);
    return fresh.length > 0 ? fresh : ready;
  }

  /** A random usable tunnel of `direction`, or undefined. */
  pick(direction: TunnelDirection, now: number): PoolTunnel | undefined {
    const u = this.usable(direction, now);
    return u.length === 0 ? undefined : u[Math.min(u.length - 1, Math.floor(this.random() * u.length))];
  }

  /**
   * Advances the pool to `now`: expires builds, tests and tunnels, starts the builds and tests
   * that are due. `routerInfos` is read only when a build is due.
   */
  tick(now: number, routerInfos: () => Iterable<RouterInfo>): PoolAction[] {
    const out: PoolAction[] = [];
    this.expireBuilds(now, out);
    this.expireTests(now, out);
    this.expireTunnels(now, out);
    this.startBuilds(now, routerInfos, out);
    this.startTests(now, out);
    return out;
  }

  /**
   * The hops' answers to build `buildId` arrived (in hop order). Records them in the profiles;
   * returns the new tunnel if every hop accepted. Unknown (e.g. timed-out) builds are ignored.
   * `expiresAt` is the tunnel's expiry as the build set it.
   */
  buildReplied(buildId: number, replies: readonly HopReply[], now: number, expiresAt: number): PoolTunnel | undefined {
    const b = this.builds.get(buildId);
    if (!b) return undefined;
    this.builds.delete(buildId);
    const perHopMs = (now - b.startedAt) / Math.max(1, b.hops.length);
    let accepted = replies.length === b.hops.length;
    for (const r of replies) {
      this.profiles.recordBuild(r.identHash, r.code === 0 ? 'accepted' : 'rejected', now, perHopMs);
      if (r.code !== 0) accepted = false;
    }
    if (!accepted) {
      this.counters.buildsRejected++;
      this.failed(b.direction, now);
      return undefined;
    }
    this.counters.buildsSucceeded++;
    this.failuresInRow[b.direction] = 0;
    this.nextBuildAt[b.direction] = 0;
    const t: PoolTunnel = { id: b.id, direction: b.direction, hops: b.hops, createdAt: now, expiresAt, state: 'ready', testFailures: 0, lastTestAt: undefined, latencyMs: undefined, testing: false };
    this.tunnels.set(t.id, t);
    return t;
  }

  /**
   * Build `buildId` failed without a usable answer: its reply was unreadable or it could not be
   * sent. Nobody can be singled out, so every hop gets a no-answer in its profile.
   */
  buildFailed(buildId: number, now: number): void {
    const b = this.builds.get(buildId);
    if (!b) return;
    this.counters.buildsFailed++;
    this.lose(b, now);
  }

  /** A build that got no usable answer: every hop is charged with a no-answer. */
  private lose(b: Build, now: number): void {
    this.builds.delete(b.id);
    for (const h of b.hops) this.profiles.recordBuild(h, 'timeout', now);
    this.failed(b.direction, now);
  }

  /** The DeliveryStatus of test `testId` came back; returns the round trip (ms), undefined for unknown tests. */
  testReplied(testId: number, now: number): number | undefined {
    const t = this.tests.get(testId);
    if (!t) return undefined;
    this.tests.delete(testId);
    const rtt = now - t.startedAt;
    this.counters.testsSucceeded++;
    for (const tunnel of [t.outbound, t.inbound]) {
      if (!tunnel) continue;
      tunnel.testing = false;
      tunnel.testFailures = 0;
      tunnel.latencyMs = rtt;
      // A test that came back makes a failed tunnel (a lost message or two) good again.
      if (tunnel.state === 'failed' && this.tunnels.has(tunnel.id)) tunnel.state = 'ready';
      for (const h of tunnel.hops) this.profiles.recordTest(h, true, now);
    }
    return rtt;
  }

  /** Removes a tunnel at once (its ends are gone); nothing is emitted for it. */
  remove(tunnelId: number): boolean {
    return this.tunnels.delete(tunnelId);
  }

  private failed(direction: TunnelDirection, now: number): void {
    const n = ++this.failuresInRow[direction];
    this.nextBuildAt[direction] = now + Math.min(this.timing.retryMaxMs, this.timing.retryMinMs * 2 ** Math.min(n - 1, 20));
  }

  private expireBuilds(now: number, out: PoolAction[]): void {
    for (const b of this.builds.values()) {
      if (b.deadline > now) continue;
      this.counters.buildsTimedOut++;
      this.lose(b, now);
      out.push({ kind: 'buildTimedOut', buildId: b.id });
    }
  }

  private expireTests(now: number, out: PoolAction[]): void {
    for (const t of this.tests.values()) {
      if (t.deadline > now) continue;
      this.tests.delete(t.id);
      this.counters.testsFailed++;
      for (const tunnel of [t.outbound, t.inbound]) {
        if (!tunnel) continue;
        tunnel.testing = false;
        tunnel.testFailures++;
        for (const h of tunnel.hops) this.profiles.recordTest(h, false, now);
        if (tunnel.state === 'ready' && tunnel.testFailures >= this.timing.maxTestFailures) {
          tunnel.state = 'failed';
          this.counters.tunnelsFailed++;
        }
      }
      out.push({ kind: 'testTimedOut', testId: t.id });
    }
  }

  private expireTunnels(now: number, out: PoolAction[]): void {
    for (const t of this.tunnels.values()) {
      if (t.expiresAt > now) continue;
      this.tunnels.delete(t.id);
      this.counters.tunnelsExpired++;
      out.push({ kind: 'expired', tunnelId: t.id });
    }
  }

  /** Tunnels that will still serve after the replacement threshold, plus builds under way. */
  private covered(direction: TunnelDirection, now: number): number {
    let n = 0;
    for (const t of this.tunnels.values()) {
      if (t.direction === direction && t.state === 'ready' && t.expiresAt - now > this.timing.replaceBeforeMs) n++;
    }
    for (const b of this.builds.values()) if (b.direction === direction) n++;
    return n;
  }

  private length(direction: TunnelDirection): number {
    const base = direction === 'inbound' ? this.config.inboundLength : this.config.outboundLength;
    const v = direction === 'inbound' ? this.config.inboundLengthVariance : this.config.outboundLengthVariance;
    if (v === 0) return base;
    const offset = Math.min(Math.abs(v), Math.floor(this.random() * (Math.abs(v) + 1)));
    return Math.max(1, Math.min(MAX_TUNNEL_LENGTH, base + (v > 0 ? offset : -offset)));
  }

  private startBuilds(now: number, routerInfos: () => Iterable<RouterInfo>, out: PoolAction[]): void {
    let peers: RouterInfo[] | undefined;
    for (const direction of DIRECTIONS) {
      const quantity = direction === 'inbound' ? this.config.inboundQuantity : this.config.outboundQuantity;
      let need = quantity - this.covered(direction, now);
      while (need > 0 && now >= this.nextBuildAt[direction]) {
        peers ??= [...routerInfos()];
        const hops = this.selector.select(peers, this.length(direction), now);
        if (!hops) {
          this.counters.noPeers++;
          this.nextBuildAt[direction] = now + this.timing.noPeersRetryMs;
          break;
        }
        const id = this.nextId();
        this.builds.set(id, { id, direction, hops: hops.map((h) => h.hash), startedAt: now, deadline: now + this.timing.buildTimeoutMs });
        this.counters.buildsStarted++;
        // Outbound builds need an inbound tunnel for the reply, inbound builds an outbound one to go out by.
        const via = this.pick(direction === 'outbound' ? 'inbound' : 'outbound', now)?.id;
        out.push({ kind: 'build', buildId: id, direction, hops, via });
        need--;
      }
    }
  }

  private due(t: PoolTunnel, now: number): boolean {
    return t.state === 'ready' && !t.testing && t.expiresAt > now && (t.lastTestAt === undefined || now - t.lastTestAt >= this.timing.testIntervalMs);
  }

  /** A tunnel of `direction` free to be a test partner (ready, not under test), or undefined. */
  private partner(direction: TunnelDirection, now: number): PoolTunnel | undefined {
    const free = this.usable(direction, now).filter((t) => !t.testing);
    return free.length === 0 ? undefined : free[Math.min(free.length - 1, Math.floor(this.random() * free.length))];
  }

  private shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(this.random() * (i + 1)));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  private startTests(now: number, out: PoolAction[]): void {
    const dueOut = [...this.tunnels.values()].filter((t) => t.direction === 'outbound' && this.due(t, now));
    // Shuffled, so pairs change from round to round and a bad tunnel does not keep failing the same partner.
    const dueIn = this.shuffle([...this.tunnels.values()].filter((t) => t.direction === 'inbound' && this.due(t, now)));
    for (let i = 0; i < Math.max(dueOut.length, dueIn.length); i++) {
      const o = dueOut[i] ?? this.partner('outbound', now);
      if (o) o.testing = true; // before choosing the partner, so it is not picked for both sides
      const inb = dueIn[i] ?? this.partner('inbound', now);
      if (!o && !inb) continue;
      if (inb) inb.testing = true;
      const id = this.nextId();
      for (const t of [o, inb]) if (t) t.lastTestAt = now;
      this.tests.set(id, { id, outbound: o, inbound: inb, startedAt: now, deadline: now + this.timing.testTimeoutMs });
      this.counters.testsStarted++;
      out.push({ kind: 'test', testId: id, outbound: o?.id, inbound: inb?.id });
    }
  }
}
