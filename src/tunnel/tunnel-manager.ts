/**
 * Our own tunnels: the shell around the pure pools (tunnel-pool.ts) — the exploratory pool and one
 * ClientTunnelPool per client destination — the creator side of tunnel building
 * (build/build-creator.ts) and our tunnel ends (tunnel-ends.ts). Mirrors TransitManager: the
 * Router offers it every I2NP message first (`handle`), it sends through `deliver`. All pools
 * share the peer selector and profiles; what comes out of a client pool's inbound tunnels goes to
 * that pool's owner, what comes out of exploratory ones to the router (`deliverLocal`).
 *
 * Building (tunnel-creation.rst "Tunnel Build Message Preparation", tunnel-creation-ecies.rst):
 *   outbound  the ShortTunnelBuild goes straight to hop 0 (we are the gateway). The outbound
 *             endpoint sends the OutboundTunnelBuildReply, garlic-wrapped with the one-time
 *             key/tag of its record, in a TunnelGateway to the gateway of one of our inbound
 *             tunnels — or, while we have none, to a zero-hop "tunnel": replyGateway = us and a
 *             tunnel id we listen on, so the TunnelGateway itself arrives here.
 *   inbound   the build goes out through one of our outbound tunnels (ROUTER delivery to hop 0,
 *             garlic-encrypted to hop 0 so the outbound endpoint cannot tell it is a build,
 *             proposal 157) — or, while we have none, straight to hop 0. The last hop, whose
 *             next hop is us, sends the build message itself back to us: that is the reply.
 * Our ends: an outbound gateway pre-encrypts with every hop's layer and sends TunnelData to hop 0;
 * an inbound endpoint takes TunnelData on our receive id, removes every layer, reassembles, and
 * hands what comes out to us (build replies, test messages) or to the router (`deliverLocal`).
 *
 * Tunnel tests: a DeliveryStatus wrapped in a one-time-key garlic (so no hop can tell it is a
 * test) goes out through an outbound tunnel with TUNNEL delivery to an inbound tunnel's gateway
 * and comes back to us; the round trip is measured.
 */
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { randomBytes } from '../crypto/index.js';
import type { RouterInfo } from '../data/router-info.js';
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import { DELIVERY_STATUS_LENGTH, decodeDeliveryStatus, encodeDeliveryStatus } from '../i2np/delivery-status.js';
import { decodeTunnelGateway, encodeTunnelGateway } from '../i2np/tunnel-gateway.js';
import { isTunnelBuildType } from '../i2np/tunnel-build.js';
import { localMessages, OneTimeReplyKeys, sealOneTimeReply } from '../garlic/one-time-reply.js';
import { sealGarlicForRouter } from '../garlic/router-garlic.js';
import { ProtocolError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { BuildRecordFormat } from './build/build-record.js';
import { createTunnelBuild, type PendingTunnelBuild, type TunnelDirection } from './build/build-creator.js';
import { ReassemblyBudget } from './endpoint-reassembler.js';
import { gatewayMessage } from './gateway-fragmenter.js';
import { PeerProfiles } from './peer-profile.js';
import { PeerSelector, cryptoRandom } from './peer-selector.js';
import type { SendAction } from './send-action.js';
import { InboundTunnelEndpoint, OutboundTunnelGateway } from './tunnel-ends.js';
import type { TunnelDeliveryInstructions } from './tunnel-message.js';
import { EXPLORATORY_POOL_DEFAULTS, TunnelPool, type PoolAction, type PoolTunnel, type TunnelPoolConfig, type TunnelPoolTiming } from './tunnel-pool.js';

/** Build requests and tests we send expire this long after creation. */
const MESSAGE_LIFETIME_MS = 60_000;
/** Late build replies remembered (to count them rather than pass them on as strangers). */
const MAX_LATE_REPLIES = 64;
/** Bytes all our inbound endpoints may hold in partial messages together. */
const OWN_REASSEMBLY_BUDGET = 2 * 1024 * 1024;

export interface TunnelStore {
  routerInfos(): Iterable<RouterInfo>;
}

export interface TunnelManagerSettings {
  exploratory: TunnelPoolConfig;
  timing: Partial<TunnelPoolTiming>;
  /** Allow hops of one tunnel in the same /16; only for private test networks. Default false. */
  sameSubnetAllowed: boolean;
  /** Build record format; default 'short' (every hop we pick is ≥ 0.9.51). */
  format: BuildRecordFormat;
  /** Garlic-encrypt inbound short builds sent through an outbound tunnel to hop 0 (proposal 157); default true. */
  garlicWrapInboundBuilds: boolean;
  /** How often the shell advances the pool; default 1 s. */
  tickIntervalMs: number;
}

export interface TunnelManagerOptions {
  store: TunnelStore;
  ourHash: Buffer;
  /** Sends an I2NP message to a router (dialling or looking it up as needed). */
  deliver: (to: Buffer, m: I2NPMessage) => void;
  /** Messages that came out of our tunnels and are not ours to handle (netDb replies, router garlic, ...). */
  deliverLocal?: (m: I2NPMessage) => void;
  now: () => number;
  log: Logger;
  options?: Partial<TunnelManagerSettings>;
  /** Shared by every pool; a new one if not given. */
  profiles?: PeerProfiles;
  /** Uniform [0, 1) for peer and tunnel choice (tests); node:crypto otherwise. */
  random?: () => number;
}

/** One of our tunnels as callers see it. */
export interface OwnTunnelInfo {
  id: number;
  direction: TunnelDirection;
  /** Router hashes in message order. */
  hops: Buffer[];
  /** Inbound: where others send to reach us (TunnelGateway to gatewayTunnelId at gateway). Outbound: hop 0. */
  gateway: Buffer;
  gatewayTunnelId: number;
  /** Inbound only: the tunnel id the last hop sends to us with. */
  receiveTunnelId?: number;
  createdAt: number;
  expiresAt: number;
  state: PoolTunnel['state'];
  latencyMs: number | undefined;
}

export interface TunnelTestEvent {
  testId: number;
  outbound: number | undefined;
  inbound: number | undefined;
  ok: boolean;
  rttMs?: number;
}

/** builds, tests and tunnels count the exploratory pool; clients sums the client pools. */
export interface TunnelManagerCounters {
  builds: { started: number; succeeded: number; rejected: number; timedOut: number; failed: number; noPeers: number; late: number };
  tests: { started: number; succeeded: number; failed: number };
  tunnels: { inbound: number; outbound: number; failed: number; expired: number };
  clients: { pools: number; inbound: number; outbound: number; buildsStarted: number; buildsSucceeded: number; testsSucceeded: number; testsFailed: number };
  /** I2NP messages sent into our outbound tunnels / received out of our inbound tunnels / passed to deliverLocal / to client pools. */
  messages: { sent: number; received: number; deliveredLocal: number; deliveredClient: number };
  dropped: Record<string, number>;
}

/**
 * A client destination's tunnels (i2pd's per-destination `inbound.length`, `outbound.quantity`, ...):
 * built, replaced and tested like the exploratory pool's, through peers of the same selector.
 * What arrives through its inbound tunnels (other than its tests) goes to its onMessage, not to
 * the router.
 */
export class ClientTunnelPool {
  constructor(
    private readonly manager: TunnelManager,
    readonly pool: TunnelPool,
    /** Messages out of this pool's inbound tunnels; receiveTunnelId names the tunnel. */
    readonly onMessage: (m: I2NPMessage, receiveTunnelId: number) => void,
  ) {}

  /** Tunnels that can carry new traffic: the inbound ones are what a LeaseSet lists. */
  tunnels(): { inbound: OwnTunnelInfo[]; outbound: OwnTunnelInfo[] } {
    return this.manager.tunnelsOf(this.pool);
  }

  /** Sends through one of this pool's outbound tunnels; false if none or too large. */
  send(message: I2NPMessage, delivery: TunnelDeliveryInstructions): boolean {
    return this.manager.sendThroughTunnel(message, delivery, this.pool);
  }

  /** Stops building and drops the pool's tunnels (the destination is gone). */
  close(): void {
    this.manager.closeClientPool(this);
  }
}

interface OwnTunnel {
  pool: TunnelPool;
  client?: ClientTunnelPool;
  poolTunnel: PoolTunnel;
  gateway: Buffer;
  gatewayTunnelId: number;
  outbound?: OutboundTunnelGateway;
  inbound?: InboundTunnelEndpoint;
}

interface BuildInFlight {
  pool: TunnelPool;
  buildId: number;
  pending: PendingTunnelBuild;
  zeroHopId: number | undefined;
}

interface TestInFlight {
  pool: TunnelPool;
  testId: number;
  outbound: number | undefined;
  inbound: number | undefined;
  /** The DeliveryStatus message id. */
  msgId: number;
}

export class TunnelManager extends EventEmitter {
  readonly profiles: PeerProfiles;
  readonly selector: PeerSelector;
  readonly exploratory: TunnelPool;
  private readonly clients = new Map<TunnelPool, ClientTunnelPool>();
  private nextPoolId = 1;
  private readonly settings: TunnelManagerSettings;
  private readonly own = new Map<number, OwnTunnel>();
  private readonly inboundByReceiveId = new Map<number, OwnTunnel>();
  private readonly builds = new Map<number, BuildInFlight>();
  private readonly buildsByReplyId = new Map<number, BuildInFlight>();
  private readonly zeroHopIds = new Map<number, BuildInFlight>();
  private readonly lateReplyIds = new Set<number>();
  private readonly tests = new Map<number, TestInFlight>();
  private readonly testsByMsgId = new Map<number, TestInFlight>();
  private readonly replyKeys = new OneTimeReplyKeys({ maxEntries: 256 });
  private readonly budget = new ReassemblyBudget(OWN_REASSEMBLY_BUDGET);
  private readonly random: () => number;
  private readonly stats = { sent: 0, received: 0, deliveredLocal: 0, deliveredClient: 0, late: 0 };
  private readonly dropped: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TunnelManagerOptions) {
    super();
    if (opts.ourHash.length !== 32) throw new RangeError('our router hash must be 32 bytes');
    this.settings = {
      exploratory: EXPLORATORY_POOL_DEFAULTS,
      timing: {},
      sameSubnetAllowed: false,
      format: 'short',
      garlicWrapInboundBuilds: true,
      tickIntervalMs: 1000,
      ...opts.options,
    };
    this.random = opts.random ?? cryptoRandom;
    this.profiles = opts.profiles ?? new PeerProfiles();
    this.selector = new PeerSelector({ ourHash: opts.ourHash, profiles: this.profiles, sameSubnetAllowed: this.settings.sameSubnetAllowed, random: this.random });
    this.exploratory = this.newPool('exploratory', this.settings.exploratory);
  }

  private newPool(kind: 'exploratory' | 'client', config: TunnelPoolConfig): TunnelPool {
    return new TunnelPool({
      kind,
      config,
      selector: this.selector,
      profiles: this.profiles,
      timing: this.settings.timing,
      random: this.random,
      nextId: () => this.nextPoolId++,
    });
  }

  /**
   * A pool for a client destination (poolConfigFromOptions('client', its I2CP options)); it starts
   * building at the next tick. `onMessage` gets what arrives through its inbound tunnels.
   */
  createClientPool(config: TunnelPoolConfig, onMessage: (m: I2NPMessage, receiveTunnelId: number) => void): ClientTunnelPool {
    const pool = new ClientTunnelPool(this, this.newPool('client', config), onMessage);
    this.clients.set(pool.pool, pool);
    return pool;
  }

  /** Drops a client pool, its builds, tests and tunnels. */
  closeClientPool(client: ClientTunnelPool): void {
    if (!this.clients.delete(client.pool)) return;
    for (const [id, t] of this.own) if (t.pool === client.pool) this.forgetTunnel(id, t);
    for (const [id, b] of this.builds) if (b.pool === client.pool) this.forgetBuild(id, false);
    for (const t of [...this.tests.values()]) if (t.pool === client.pool) this.forgetTest(t);
  }

  get counters(): TunnelManagerCounters {
    const c = this.exploratory.counters;
    const now = this.opts.now();
    const clients = { pools: this.clients.size, inbound: 0, outbound: 0, buildsStarted: 0, buildsSucceeded: 0, testsSucceeded: 0, testsFailed: 0 };
    for (const p of this.clients.keys()) {
      clients.inbound += p.usable('inbound', now).length;
      clients.outbound += p.usable('outbound', now).length;
      clients.buildsStarted += p.counters.buildsStarted;
      clients.buildsSucceeded += p.counters.buildsSucceeded;
      clients.testsSucceeded += p.counters.testsSucceeded;
      clients.testsFailed += p.counters.testsFailed;
    }
    return {
      clients,
      builds: { started: c.buildsStarted, succeeded: c.buildsSucceeded, rejected: c.buildsRejected, timedOut: c.buildsTimedOut, failed: c.buildsFailed, noPeers: c.noPeers, late: this.stats.late },
      tests: { started: c.testsStarted, succeeded: c.testsSucceeded, failed: c.testsFailed },
      tunnels: {
        inbound: this.exploratory.usable('inbound', now).length,
        outbound: this.exploratory.usable('outbound', now).length,
        failed: c.tunnelsFailed,
        expired: c.tunnelsExpired,
      },
      messages: { sent: this.stats.sent, received: this.stats.received, deliveredLocal: this.stats.deliveredLocal, deliveredClient: this.stats.deliveredClient },
      dropped: { ...this.dropped },
    };
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.settings.tickIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.builds.clear();
    this.buildsByReplyId.clear();
    this.zeroHopIds.clear();
    this.tests.clear();
    this.testsByMsgId.clear();
    for (const [id, t] of this.own) this.forgetTunnel(id, t);
    this.own.clear();
    this.inboundByReceiveId.clear();
  }

  /** Removes one of our tunnels from its pool and from the receive-id table. */
  private forgetTunnel(id: number, t: OwnTunnel): void {
    this.own.delete(id);
    t.pool.remove(id);
    if (t.inbound) {
      t.inbound.expire(Number.POSITIVE_INFINITY);
      this.inboundByReceiveId.delete(t.inbound.tunnelId);
    }
  }

  /** Advances the pools to now and carries out what they decide (the timer calls it; tests may too). */
  tick(): void {
    const now = this.opts.now();
    const routerInfos = (): Iterable<RouterInfo> => this.opts.store.routerInfos();
    for (const pool of [this.exploratory, ...this.clients.keys()]) for (const a of pool.tick(now, routerInfos)) this.act(pool, a, now);
    this.replyKeys.expire(now);
    for (const t of this.inboundByReceiveId.values()) t.inbound!.expire(now);
  }

  /** Our exploratory tunnels that can carry new traffic. */
  exploratoryTunnels(): { inbound: OwnTunnelInfo[]; outbound: OwnTunnelInfo[] } {
    return this.tunnelsOf(this.exploratory);
  }

  /** A pool's tunnels that can carry new traffic. */
  tunnelsOf(pool: TunnelPool): { inbound: OwnTunnelInfo[]; outbound: OwnTunnelInfo[] } {
    const now = this.opts.now();
    const info = (d: TunnelDirection): OwnTunnelInfo[] =>
      pool
        .usable(d, now)
        .map((p) => this.own.get(p.id))
        .filter((t): t is OwnTunnel => t !== undefined)
        .map((t) => this.info(t));
    return { inbound: info('inbound'), outbound: info('outbound') };
  }

  /**
   * Sends `message` out through one of the pool's (default: exploratory) outbound tunnels; its
   * outbound endpoint delivers it as `delivery` says (ROUTER: to a router; TUNNEL: into another
   * tunnel at its gateway). False if there is no outbound tunnel or the message is too large.
   */
  sendThroughTunnel(message: I2NPMessage, delivery: TunnelDeliveryInstructions, pool: TunnelPool = this.exploratory): boolean {
    const now = this.opts.now();
    const p = pool.pick('outbound', now);
    const t = p && this.own.get(p.id);
    if (!t?.outbound) return false;
    return this.sendOut(t, [gatewayMessage(delivery, message)], now);
  }

  /** An inbound tunnel for replies to reach us (e.g. a lookup's reply tunnel), or undefined. */
  replyTunnel(): { gateway: Buffer; tunnelId: number } | undefined {
    const p = this.exploratory.pick('inbound', this.opts.now());
    const t = p && this.own.get(p.id);
    return t ? { gateway: t.gateway, tunnelId: t.gatewayTunnelId } : undefined;
  }

  /**
   * Offers an I2NP message that reached our router; true if it was ours: TunnelData for one of
   * our inbound tunnels, a TunnelGateway to a zero-hop reply id of ours, a build reply we wait
   * for, a DeliveryStatus of one of our tunnel tests, or a Garlic message under one of our
   * one-time tags. Everything else is left to the caller (false). Never throws on bad input.
   */
  handle(m: I2NPMessage): boolean {
    try {
      switch (m.type) {
        case I2NPType.TunnelData:
          return this.onTunnelData(m);
        case I2NPType.TunnelGateway:
          return this.onTunnelGateway(m);
        case I2NPType.DeliveryStatus:
        case I2NPType.Garlic:
          return this.ours(m, false);
        default:
          return isTunnelBuildType(m.type) ? this.onBuildReply(m) : false;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.drop(`${I2NPType[m.type] ?? m.type}:${e.code}`);
      return true;
    }
  }

  private info(t: OwnTunnel): OwnTunnelInfo {
    const p = t.poolTunnel;
    const info: OwnTunnelInfo = {
      id: p.id,
      direction: p.direction,
      hops: [...p.hops],
      gateway: t.gateway,
      gatewayTunnelId: t.gatewayTunnelId,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
      state: p.state,
      latencyMs: p.latencyMs,
    };
    if (t.inbound) info.receiveTunnelId = t.inbound.tunnelId;
    return info;
  }

  private act(pool: TunnelPool, a: PoolAction, now: number): void {
    switch (a.kind) {
      case 'build':
        return this.build(pool, a.buildId, a.direction, a.hops, a.via, now);
      case 'buildTimedOut':
        return this.forgetBuild(a.buildId, true);
      case 'test':
        return this.test(pool, a.testId, a.outbound, a.inbound, now);
      case 'testTimedOut': {
        const t = this.tests.get(a.testId);
        if (t) this.forgetTest(t);
        this.emit('tunnelTested', { testId: a.testId, outbound: t?.outbound, inbound: t?.inbound, ok: false } satisfies TunnelTestEvent);
        return;
      }
      case 'expired': {
        const t = this.own.get(a.tunnelId);
        if (t) this.forgetTunnel(a.tunnelId, t);
        this.emit('tunnelExpired', a.tunnelId);
        return;
      }
    }
  }

  /** A 32-bit tunnel id no tunnel or zero-hop reply of ours receives on. */
  private freshReceiveId(): number {
    for (;;) {
      const id = randomInt(1, 0x1_0000_0000);
      if (!this.inboundByReceiveId.has(id) && !this.zeroHopIds.has(id)) return id;
    }
  }

  private build(pool: TunnelPool, buildId: number, direction: TunnelDirection, hops: RouterInfo[], via: number | undefined, now: number): void {
    const targets = hops.map((ri) => ({ identHash: ri.hash, encryptionKey: ri.identity.encryptionPublicKey }));
    const viaTunnel = via === undefined ? undefined : this.own.get(via);
    let zeroHopId: number | undefined;
    let req: ReturnType<typeof createTunnelBuild>;
    if (direction === 'outbound') {
      // The reply comes back into one of our inbound tunnels, or to a zero-hop id of ours.
      let replyGateway = viaTunnel?.gateway;
      let replyTunnelId = viaTunnel?.gatewayTunnelId;
      if (!replyGateway || replyTunnelId === undefined) {
        replyTunnelId = zeroHopId = this.freshReceiveId();
        replyGateway = this.opts.ourHash;
      }
      req = createTunnelBuild({ format: this.settings.format, direction, hops: targets, ourIdentHash: this.opts.ourHash, replyTunnelId, replyGateway, now });
    } else {
      req = createTunnelBuild({ format: this.settings.format, direction, hops: targets, ourIdentHash: this.opts.ourHash, replyTunnelId: this.freshReceiveId(), now });
    }
    const flight: BuildInFlight = { pool, buildId, pending: req.pending, zeroHopId };
    this.builds.set(buildId, flight);
    this.buildsByReplyId.set(req.pending.replyMessageId, flight);
    if (zeroHopId !== undefined) this.zeroHopIds.set(zeroHopId, flight);
    const expires = now + pool.timing.buildTimeoutMs;
    if (req.pending.garlicReplyKey && req.pending.garlicReplyTag) this.replyKeys.expect(req.pending.garlicReplyTag, req.pending.garlicReplyKey, expires, now);
    this.opts.log.debug({ buildId, direction, hops: hops.length, via: viaTunnel ? via : 'zero-hop' }, 'building a tunnel');

    let msg: I2NPMessage = { type: req.type, msgId: req.msgId, expiration: now + MESSAGE_LIFETIME_MS, payload: req.payload };
    if (direction === 'outbound' || !viaTunnel?.outbound) {
      this.opts.deliver(req.firstHop, msg);
      return;
    }
    // Inbound through an outbound tunnel: hide the build from its endpoint unless the endpoint is hop 0 itself.
    const endpoint = viaTunnel.poolTunnel.hops.at(-1)!;
    if (req.pending.format === 'short' && this.settings.garlicWrapInboundBuilds && !endpoint.equals(req.firstHop)) {
      msg = { type: I2NPType.Garlic, msgId: randomInt(0, 0x1_0000_0000), expiration: msg.expiration, payload: sealGarlicForRouter(targets[0]!.encryptionKey, [{ message: msg }], now) };
    }
    if (!this.sendOut(viaTunnel, [gatewayMessage({ kind: 'router', hash: req.firstHop }, msg)], now)) {
      this.forgetBuild(buildId, false);
      pool.buildFailed(buildId, now);
    }
  }

  /** Drops a build's state; `late` remembers its reply id so a late reply is recognised. */
  private forgetBuild(buildId: number, late: boolean): void {
    const b = this.builds.get(buildId);
    if (!b) return;
    this.builds.delete(buildId);
    this.buildsByReplyId.delete(b.pending.replyMessageId);
    if (b.zeroHopId !== undefined) this.zeroHopIds.delete(b.zeroHopId);
    if (!late) return;
    if (this.lateReplyIds.size >= MAX_LATE_REPLIES) this.lateReplyIds.delete(this.lateReplyIds.values().next().value!);
    this.lateReplyIds.add(b.pending.replyMessageId);
  }

  /** A build message or build reply: ours if its message id is the reply id of a build of ours. */
  private onBuildReply(m: I2NPMessage): boolean {
    const b = this.buildsByReplyId.get(m.msgId);
    if (!b) {
      if (!this.lateReplyIds.delete(m.msgId)) return false;
      this.stats.late++;
      return true;
    }
    if (m.type !== b.pending.replyType) return false; // an unrelated build request that happens to share the id
    const now = this.opts.now();
    this.forgetBuild(b.buildId, false);
    let result: ReturnType<PendingTunnelBuild['handleReply']>;
    try {
      result = b.pending.handleReply(m.type, m.payload);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.drop(`build-reply:${e.code}`);
      b.pool.buildFailed(b.buildId, now);
      return true;
    }
    const tunnel = b.pool.buildReplied(b.buildId, result.hops, now, b.pending.tunnelExpiration);
    this.opts.log.debug({ buildId: b.buildId, direction: b.pending.direction, codes: result.hops.map((h) => h.code) }, tunnel ? 'tunnel built' : 'tunnel build refused');
    if (!tunnel) return true;
    const hops = b.pending.hops;
    const own: OwnTunnel = { pool: b.pool, poolTunnel: tunnel, gateway: hops[0]!.identHash, gatewayTunnelId: hops[0]!.receiveTunnelId };
    const client = this.clients.get(b.pool);
    if (client) own.client = client;
    if (tunnel.direction === 'outbound') {
      own.outbound = new OutboundTunnelGateway({ firstHop: hops[0]!.identHash, firstTunnelId: hops[0]!.receiveTunnelId, hops });
    } else {
      own.inbound = new InboundTunnelEndpoint({ tunnelId: b.pending.replyTunnelId, hops, reassembly: { budget: this.budget } });
      this.inboundByReceiveId.set(b.pending.replyTunnelId, own);
    }
    this.own.set(tunnel.id, own);
    this.emit('tunnelBuilt', this.info(own));
    return true;
  }

  private onTunnelData(m: I2NPMessage): boolean {
    if (m.payload.length < 4) return false;
    const t = this.inboundByReceiveId.get(m.payload.readUInt32BE(0));
    if (!t) return false;
    const now = this.opts.now();
    for (const d of t.inbound!.receive(m.payload, now)) {
      // The inbound gateway only ever sends LOCAL (it is not ours to forward from here).
      if (d.delivery.kind !== 'local') {
        this.drop(`inbound:${d.delivery.kind}-delivery`);
        continue;
      }
      this.stats.received++;
      this.fromTunnel(d.message, t);
    }
    return true;
  }

  /** A TunnelGateway to one of our zero-hop reply ids: we are that "tunnel"'s gateway and endpoint. */
  private onTunnelGateway(m: I2NPMessage): boolean {
    if (m.payload.length < 4 || !this.zeroHopIds.has(m.payload.readUInt32BE(0))) return false;
    this.stats.received++;
    this.fromTunnel(decodeTunnelGateway(m.payload).message);
    return true;
  }

  /** A message that came out of one of our tunnels (`t`; undefined: a zero-hop reply id). */
  private fromTunnel(m: I2NPMessage, t?: OwnTunnel): void {
    if (this.ours(m, false) || (isTunnelBuildType(m.type) && this.onBuildReply(m))) return;
    if (t?.client) {
      this.stats.deliveredClient++;
      t.client.onMessage(m, t.inbound!.tunnelId);
    } else if (this.opts.deliverLocal) {
      this.stats.deliveredLocal++;
      this.opts.deliverLocal(m);
    } else this.drop(`local:${I2NPType[m.type] ?? m.type}`);
  }

  /**
   * Garlic under one of our one-time tags (build replies, tests), or a DeliveryStatus of one of
   * our tests. `inGarlic`: cloves are not opened a second time.
   */
  private ours(m: I2NPMessage, inGarlic: boolean): boolean {
    if (m.type === I2NPType.DeliveryStatus) {
      if (m.payload.length !== DELIVERY_STATUS_LENGTH) return false;
      const t = this.testsByMsgId.get(decodeDeliveryStatus(m.payload).msgId);
      if (!t) return false;
      this.testReplied(t);
      return true;
    }
    if (m.type !== I2NPType.Garlic || inGarlic || !this.replyKeys.has(m.payload)) return false;
    const blocks = this.replyKeys.open(m.payload, this.opts.now());
    for (const c of localMessages(blocks ?? [])) {
      if (!this.ours(c, true) && !(isTunnelBuildType(c.type) && this.onBuildReply(c))) this.drop(`garlic:${I2NPType[c.type] ?? c.type}`);
    }
    return true;
  }

  private test(pool: TunnelPool, testId: number, outboundId: number | undefined, inboundId: number | undefined, now: number): void {
    const out = outboundId === undefined ? undefined : this.own.get(outboundId);
    const inb = inboundId === undefined ? undefined : this.own.get(inboundId);
    const msgId = randomInt(1, 0x1_0000_0000);
    const t: TestInFlight = { pool, testId, outbound: outboundId, inbound: inboundId, msgId };
    this.tests.set(testId, t);
    this.testsByMsgId.set(msgId, t);
    const status: I2NPMessage = { type: I2NPType.DeliveryStatus, msgId, expiration: now + MESSAGE_LIFETIME_MS, payload: encodeDeliveryStatus({ msgId, timestamp: now }) };
    const key = randomBytes(32);
    const tag = randomBytes(8);
    this.replyKeys.expect(tag, key, now + pool.timing.testTimeoutMs, now);
    const garlic: I2NPMessage = { type: I2NPType.Garlic, msgId: randomInt(0, 0x1_0000_0000), expiration: status.expiration, payload: sealOneTimeReply(key, tag, status) };
    // Where the outbound endpoint (or we, with no outbound tunnel) sends it: our inbound tunnel's gateway, or us.
    const delivery: TunnelDeliveryInstructions = inb ? { kind: 'tunnel', tunnelId: inb.gatewayTunnelId, gateway: inb.gateway } : { kind: 'router', hash: this.opts.ourHash };
    if (out?.outbound) {
      this.sendOut(out, [gatewayMessage(delivery, garlic)], now);
    } else if (inb) {
      this.opts.deliver(inb.gateway, { type: I2NPType.TunnelGateway, msgId: randomInt(0, 0x1_0000_0000), expiration: garlic.expiration, payload: encodeTunnelGateway({ tunnelId: inb.gatewayTunnelId, message: garlic }) });
    }
    // Neither end exists any more (expired between decision and send): the test times out.
  }

  private testReplied(t: TestInFlight): void {
    this.forgetTest(t);
    const rtt = t.pool.testReplied(t.testId, this.opts.now());
    if (rtt === undefined) return;
    this.emit('tunnelTested', { testId: t.testId, outbound: t.outbound, inbound: t.inbound, ok: true, rttMs: rtt } satisfies TunnelTestEvent);
  }

  private forgetTest(t: TestInFlight): void {
    this.tests.delete(t.testId);
    this.testsByMsgId.delete(t.msgId);
  }

  private sendOut(t: OwnTunnel, messages: Parameters<OutboundTunnelGateway['send']>[0], now: number): boolean {
    const { actions, refused } = t.outbound!.send(messages, now);
    for (let i = 0; i < refused.length; i++) this.drop('outbound:too-large');
    this.stats.sent += messages.length - refused.length;
    for (const a of actions as SendAction[]) this.opts.deliver(a.sendTo, a.message);
    return refused.length === 0;
  }

  private drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}
