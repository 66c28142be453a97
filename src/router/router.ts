/**
 * The router process core: owns the keys, our signed RouterInfo, the RouterInfo store and the
 * transports, and dispatches I2NP messages. Thin glue — protocol logic lives in the subsystems.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Logger } from '../util/log.js';
import type { RouterConfig } from '../config/options.js';
import { ensureDir, writeFileAtomic } from '../util/atomic-file.js';
import { loadOrCreateRouterKeys, type RouterKeys } from './router-keys.js';
import { loadOrCreateRouterState } from './router-state.js';
import { buildRouterInfo, congestionCap, routerInfoContentKey, type RouterInfoSettings } from './router-info-builder.js';
import { RouterInfo } from '../data/router-info.js';
import { i2pBase64Encode } from '../data/base64.js';
import { NetDbStore } from '../netdb/netdb-store.js';
import { NetDb } from '../netdb/netdb.js';
import { FloodfillHandler } from '../netdb/floodfill.js';
import { Reseeder } from '../netdb/reseed/reseeder.js';
import { TrustStore, defaultCertificatesDir } from '../netdb/reseed/trust-store.js';
import { NTCP2Transport } from '../transport/ntcp2/transport.js';
import type { NTCP2Session } from '../transport/ntcp2/session.js';
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import { encodeDatabaseStore, DatabaseStoreType } from '../i2np/database-store.js';
import { decodeDeliveryStatus } from '../i2np/delivery-status.js';
import { ProtocolError } from '../util/errors.js';
import { I2PControlServer } from '../i2pcontrol/server.js';
import { BandwidthMeter } from '../i2pcontrol/bandwidth-meter.js';
import { i2pControlView } from './i2pcontrol-view.js';
import { transitBudgetBytesPerSecond } from './bandwidth.js';
import { GARLICGATE_VERSION } from '../version.js';
import { RouterGarlicReceiver } from '../garlic/router-garlic.js';
import { TransitManager } from '../tunnel/transit-manager.js';
import { TunnelManager } from '../tunnel/tunnel-manager.js';
import { poolConfigFromOptions } from '../tunnel/tunnel-pool.js';
import { TunnelBuildHop } from '../tunnel/build/build-request.js';

/** I2NP messages we send expire this long after creation (i2np.rst: short expirations). */
const I2NP_EXPIRATION_MS = 60_000;
/** On start, connect out to this many known routers at most. */
const BOOTSTRAP_CONNECTIONS = 8;

export interface RouterCounters {
  i2npIn: Record<string, number>;
  i2npOut: Record<string, number>;
  i2npDropped: Record<string, number>;
  routerInfosReceived: number;
}

export class Router extends EventEmitter {
  readonly log: Logger;
  readonly config: RouterConfig;
  keys!: RouterKeys;
  store!: NetDbStore;
  netdb!: NetDb;
  transit!: TransitManager;
  tunnels!: TunnelManager;
  ntcp2: NTCP2Transport | undefined;
  reseeder: Reseeder | undefined;
  i2pcontrol: I2PControlServer | undefined;
  private startedAt = 0;
  private bandwidthTimer: NodeJS.Timeout | undefined;
  /** Transit bytes relayed, sampled every second: the bandwidth-share check reads its 15-s rate. */
  private readonly transitMeter = new BandwidthMeter();
  /** All traffic, sampled every second, for I2PControl's bandwidth figures. */
  private readonly trafficMeter = new BandwidthMeter();
  private congestionTimer: NodeJS.Timeout | undefined;
  /** Opens Garlic messages addressed to our router (ecies-routers.rst): i2pd wraps tunnelled lookups and stores in them. */
  private garlic!: RouterGarlicReceiver;
  readonly counters: RouterCounters = { i2npIn: {}, i2npOut: {}, i2npDropped: {}, routerInfosReceived: 0 };
  private current!: RouterInfo;
  private contentKey = '';
  private settings!: RouterInfoSettings;
  private readonly now: () => number;
  private readonly statusWaiters = new Map<number, (ok: boolean) => void>();
  private started = false;

  constructor(config: RouterConfig, log: Logger, now: () => number = Date.now) {
    super();
    this.config = config;
    this.log = log;
    this.now = now;
  }

  get hash(): Buffer {
    return this.keys.identity.hash;
  }

  get routerInfo(): RouterInfo {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('router already started');
    this.started = true;
    this.startedAt = this.now();
    const { config, log } = this;
    await ensureDir(config.datadir);
    const { keys, created } = await loadOrCreateRouterKeys(config.datadir);
    this.keys = keys;
    this.garlic = new RouterGarlicReceiver({ key: keys.encryption });
    const state = await loadOrCreateRouterState(config.datadir);
    const port = config.port ?? state.ntcp2Port;
    log.info({ ident: i2pBase64Encode(keys.identity.hash), created, port, netId: config.netid }, created ? 'created a new router identity' : 'loaded router identity');
    this.settings = {
      netId: config.netid,
      host: config.host,
      port,
      ntcp2Enabled: config['ntcp2.enabled'],
      ntcp2Published: config['ntcp2.published'],
      floodfill: config.floodfill,
      bandwidth: config.bandwidth,
      congestion: config['limits.transittunnels'] === 0 ? 'G' : undefined,
    };
    await this.republish(true);
    // netDb folder in i2pd's layout: an i2pd netDb can be copied in, and what we learn survives restarts.
    this.store = new NetDbStore({ netId: config.netid, ourHash: keys.identity.hash, dir: join(config.datadir, 'netDb'), log: log.child({ sub: 'netdb' }), now: this.now });
    await this.store.load(); // logs what it loaded and refused
    const trustStore = await TrustStore.load(config.certsdir ?? defaultCertificatesDir(), log.child({ sub: 'reseed' }));
    this.reseeder = new Reseeder({
      urls: config['reseed.urls'],
      file: config['reseed.file'],
      zipfile: config['reseed.zipfile'],
      threshold: config['reseed.threshold'],
      proxy: config['reseed.proxy'],
      trustStore,
      log: log.child({ sub: 'reseed' }),
      netId: config.netid,
      now: this.now,
    });
    // A local reseed file is read before the transports start, so the bootstrap below has peers to
    // dial. Downloads are not awaited: a Pi often boots before its uplink is up, and the router
    // (NTCP2, I2PControl) must come up anyway; the reseeder retries with backoff, and the netDb
    // and tunnel pools use the routers as they arrive.
    const reseedFile = config['reseed.file'];
    if (config['reseed.zipfile'] !== undefined || (reseedFile !== undefined && !/^https:/i.test(reseedFile))) {
      await this.reseeder.reseedIfNeeded(this.store);
    }
    this.reseeder.start(this.store);

    const newMessage = (type: I2NPType, payload: Buffer): I2NPMessage => this.newMessage(type, payload);
    const netdbLog = log.child({ sub: 'netdb' });
    this.netdb = new NetDb({
      store: this.store,
      transport: { send: (peer, msgs) => this.send(peer, msgs), sendTo: (ri, msgs) => this.sendTo(ri, msgs) },
      ourHash: keys.identity.hash,
      ourRouterInfo: () => this.current,
      refreshRouterInfo: () => this.republish(true),
      floodfill: config.floodfill
        ? new FloodfillHandler({ store: this.store, ourHash: keys.identity.hash, now: this.now, newMessage, log: netdbLog.child({ role: 'floodfill' }), ourRouterInfo: () => this.current })
        : undefined,
      // Lookups and publishing go through our exploratory tunnels once we have some.
      tunnels: {
        replyTunnel: () => this.tunnels.replyTunnel(),
        sendToRouter: (to, m) => this.tunnels.sendThroughTunnel(m, { kind: 'router', hash: to }),
      },
      now: this.now,
      log: netdbLog,
      newMessage,
    });

    this.transit = new TransitManager({
      hop: new TunnelBuildHop({ identHash: keys.identity.hash, encryptionKey: keys.encryption }),
      ourHash: keys.identity.hash,
      maxTransitTunnels: config['limits.transittunnels'],
      deliver: (to, m) => this.deliver(to, m),
      newMessageId: () => randomInt(1, 0xffffffff),
      now: this.now,
      log: log.child({ sub: 'transit' }),
      overBandwidth: () => this.transitMeter.rates().out15s > transitBudgetBytesPerSecond(config.bandwidth, config.share),
    });

    this.tunnels = new TunnelManager({
      store: this.store,
      ourHash: keys.identity.hash,
      deliver: (to, m) => this.deliver(to, m),
      deliverLocal: (m) => this.onTunnelDelivered(m),
      now: this.now,
      log: log.child({ sub: 'tunnels' }),
      options: {
        exploratory: poolConfigFromOptions('exploratory', {
          'exploratory.inbound.length': config['exploratory.inbound.length'],
          'exploratory.outbound.length': config['exploratory.outbound.length'],
          'exploratory.inbound.quantity': config['exploratory.inbound.quantity'],
          'exploratory.outbound.quantity': config['exploratory.outbound.quantity'],
        }),
        // Test networks put every router in one /16 (198.18.0.x); the real network must not.
        sameSubnetAllowed: config.netid !== 2,
      },
    });

    if (config['ntcp2.enabled']) {
      const ntcp2 = new NTCP2Transport({
        staticKey: keys.ntcp2Static,
        iv: keys.ntcp2Iv,
        routerInfo: () => this.current,
        netId: config.netid,
        host: config.host ?? '0.0.0.0',
        port,
        log: log.child({ sub: 'ntcp2' }),
        maxSessions: config['limits.ntcp2sessions'],
      });
      this.ntcp2 = ntcp2;
      ntcp2.on('established', (s: NTCP2Session, ri: RouterInfo, inbound: boolean) => this.onEstablished(s, ri, inbound));
      ntcp2.on('routerInfo', (ri: RouterInfo) => this.onRouterInfo(ri));
      ntcp2.on('message', (m: I2NPMessage, s: NTCP2Session) => this.onMessage(m, s.remoteHash));
      ntcp2.on('closed', (s: NTCP2Session, reason: unknown) => this.emit('sessionClosed', s, reason));
      await ntcp2.listen();
      log.info({ host: config.host ?? '0.0.0.0', port }, 'NTCP2 listening');
      this.bootstrapConnections();
      // Publishing, lookups and exploration need a transport; so does relaying.
      this.netdb.start();
      this.transit.start();
      this.tunnels.start();
      this.startMeters();
      // Re-evaluated once a minute; a change re-signs and republishes our RouterInfo.
      this.congestionTimer = setInterval(() => void this.updateCongestion(), 60_000);
      this.congestionTimer.unref();
    }
    if (config['i2pcontrol.enabled']) await this.startI2PControl();
  }

  /** Publishes the congestion cap that the current transit load calls for (proposal 162). */
  async updateCongestion(): Promise<boolean> {
    const cap = congestionCap(this.transit.size, this.config['limits.transittunnels']);
    if (cap === this.settings.congestion) return false;
    return this.updateSettings({ congestion: cap });
  }

  get uptimeMs(): number {
    return this.started ? this.now() - this.startedAt : 0;
  }

  /**
   * Asks the owner of the process (the CLI) to stop the router, as SIGTERM would: used by
   * I2PControl's RouterManager. Without a listener the router stops itself.
   */
  requestShutdown(graceful: boolean): void {
    this.log.info({ graceful }, 'shutdown requested');
    if (!this.emit('shutdownRequested', graceful)) void this.stop();
  }

  private startMeters(): void {
    const sample = (): void => {
      const now = this.now();
      this.trafficMeter.sample(now, this.ntcp2?.counters.bytesIn ?? 0, this.ntcp2?.counters.bytesOut ?? 0);
      const relayed = this.transit.counters.bytesRelayed;
      this.transitMeter.sample(now, relayed, relayed);
    };
    sample();
    this.bandwidthTimer = setInterval(sample, 1000);
    this.bandwidthTimer.unref();
  }

  private async startI2PControl(): Promise<void> {
    this.i2pcontrol = await I2PControlServer.fromConfig(this.config, {
      datadir: this.config.datadir,
      view: i2pControlView(this, this.trafficMeter, GARLICGATE_VERSION),
      log: this.log.child({ sub: 'i2pcontrol' }),
    });
    await this.i2pcontrol.start();
  }

  async stop(): Promise<void> {
    if (this.bandwidthTimer) clearInterval(this.bandwidthTimer);
    if (this.congestionTimer) clearInterval(this.congestionTimer);
    await this.i2pcontrol?.stop();
    this.i2pcontrol = undefined;
    this.reseeder?.stop();
    for (const w of this.statusWaiters.values()) w(false);
    this.statusWaiters.clear();
    this.tunnels?.stop();
    this.transit?.stop();
    await this.netdb?.stop();
    await this.ntcp2?.stop();
    this.ntcp2 = undefined;
    await this.store?.close();
  }

  /**
   * Rebuilds and re-signs our RouterInfo when what it says changed (or `force`), writes it
   * to `<datadir>/router.info` and sends it to connected peers (a DatabaseStore, as routers do
   * when their RouterInfo changes).
   */
  async republish(force = false): Promise<boolean> {
    const key = routerInfoContentKey(this.settings);
    if (!force && key === this.contentKey) return false;
    const published = Math.max(this.now(), (this.current?.published ?? 0) + 1);
    this.current = buildRouterInfo(this.keys, this.settings, published);
    this.contentKey = key;
    await writeFileAtomic(join(this.config.datadir, 'router.info'), this.current.raw);
    this.log.info({ caps: this.current.caps, published }, 'published RouterInfo');
    if (this.ntcp2) for (const s of this.ntcp2.sessions()) this.sendRouterInfoTo(s.remoteHash);
    this.emit('routerInfoChanged', this.current);
    return true;
  }

  /** Applies a change of published settings (host, port, caps) and republishes if needed. */
  async updateSettings(change: Partial<RouterInfoSettings>): Promise<boolean> {
    this.settings = { ...this.settings, ...change };
    const changed = await this.republish();
    // Peers find the new address/caps through the floodfills, not only through our sessions.
    if (changed && this.ntcp2) {
      this.netdb.publishRouterInfo().catch((e: Error) => this.log.debug({ err: e.message }, 'publish after a change failed'));
    }
    return changed;
  }

  /**
   * Bandwidth class, share and transit limit changed while running (the admin UI's settings): the
   * transit checks read them at once, and the RouterInfo is re-signed when the caps change (bandwidth
   * letter, congestion cap G for a zero transit limit).
   */
  async applyLimits(change: { bandwidth: string; share: number; transitTunnels: number }): Promise<void> {
    this.config.bandwidth = change.bandwidth;
    this.config.share = change.share;
    this.config['limits.transittunnels'] = change.transitTunnels;
    this.transit?.setMaxTransitTunnels(change.transitTunnels);
    if (!this.settings) return; // not started: start() reads the config
    await this.updateSettings({ bandwidth: change.bandwidth, congestion: congestionCap(this.transit?.size ?? 0, change.transitTunnels) });
  }

  /** Opens (or reuses) an NTCP2 session to a router. */
  async connect(ri: RouterInfo): Promise<NTCP2Session> {
    if (!this.ntcp2) throw new Error('NTCP2 is disabled');
    return this.ntcp2.connect(ri);
  }

  send(peer: Buffer, msgs: I2NPMessage[]): boolean {
    if (!this.ntcp2) return false;
    const ok = this.ntcp2.send(peer, msgs);
    for (const m of msgs) bump(ok ? this.counters.i2npOut : this.counters.i2npDropped, typeName(m.type));
    return ok;
  }

  /** Sends to a router, dialling it first when there is no session; false if that fails. */
  async sendTo(ri: RouterInfo, msgs: I2NPMessage[]): Promise<boolean> {
    if (this.ntcp2?.session(ri.hash)) return this.send(ri.hash, msgs);
    try {
      await this.connect(ri);
    } catch (e) {
      this.log.debug({ peer: i2pBase64Encode(ri.hash), err: (e as Error).message }, 'could not reach router');
      for (const m of msgs) bump(this.counters.i2npDropped, typeName(m.type));
      return false;
    }
    return this.send(ri.hash, msgs);
  }

  /**
   * Hands a message to a router however it can be reached: an open session, a dial to a router
   * we know, or a netDb lookup first. Failures are counted as drops (I2NP is unreliable).
   */
  deliver(to: Buffer, m: I2NPMessage): void {
    if (to.equals(this.hash)) {
      // We are the next hop ourselves, e.g. the outbound endpoint of a tunnel whose reply tunnel's
      // gateway is also us: handle it as if it had arrived, on a later turn (no re-entrancy).
      bump(this.counters.i2npOut, `${typeName(m.type)}:to-self`);
      setImmediate(() => this.onMessage(m, this.hash));
      return;
    }
    if (this.ntcp2?.session(to)) {
      this.send(to, [m]);
      return;
    }
    const known = this.store.getRouterInfo(to);
    const ri = known ? Promise.resolve(known) : this.netdb.lookupRouterInfo(to);
    ri.then(
      (r) => (r ? this.sendTo(r, [m]) : (bump(this.counters.i2npDropped, `${typeName(m.type)}:unknown-router`), false)),
      () => bump(this.counters.i2npDropped, `${typeName(m.type)}:unknown-router`),
    );
  }

  newMessage(type: I2NPType, payload: Buffer): I2NPMessage {
    return { type, msgId: randomInt(1, 0xffffffff), expiration: this.now() + I2NP_EXPIRATION_MS, payload };
  }

  /**
   * Sends our RouterInfo to a peer in a DatabaseStore with a reply token and resolves true when
   * the peer's DeliveryStatus for that token comes back (i2np.rst "DatabaseStore": a floodfill
   * acknowledges a store that carries a reply token; tunnel id 0 means reply directly to the
   * gateway, which is us).
   */
  sendRouterInfoTo(peer: Buffer, timeoutMs = 30_000): Promise<boolean> {
    const token = randomInt(1, 0xffffffff);
    const payload = encodeDatabaseStore({
      key: this.hash,
      type: DatabaseStoreType.RouterInfo,
      replyToken: token,
      replyTunnelId: 0,
      replyGateway: this.hash,
      routerInfo: this.current.raw,
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statusWaiters.delete(token);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.statusWaiters.set(token, (ok) => {
        clearTimeout(timer);
        this.statusWaiters.delete(token);
        resolve(ok);
      });
      if (!this.send(peer, [this.newMessage(I2NPType.DatabaseStore, payload)])) this.statusWaiters.get(token)?.(false);
    });
  }

  private bootstrapConnections(): void {
    const candidates = [...this.store.routerInfos()].filter((ri) => {
      const n = ri.ntcp2();
      return n?.host !== undefined && n.port !== undefined && n.iv !== undefined;
    });
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = randomInt(0, i + 1);
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    for (const ri of candidates.slice(0, BOOTSTRAP_CONNECTIONS)) {
      this.connect(ri).catch((e: Error) => this.log.debug({ peer: i2pBase64Encode(ri.hash), err: e.message }, 'bootstrap connection failed'));
    }
  }

  private onEstablished(s: NTCP2Session, ri: RouterInfo, inbound: boolean): void {
    this.log.info({ peer: i2pBase64Encode(ri.hash), inbound }, 'NTCP2 session established');
    this.onRouterInfo(ri);
    this.emit('sessionEstablished', s, ri, inbound);
  }

  private onRouterInfo(ri: RouterInfo): void {
    this.counters.routerInfosReceived++;
    // The transport verified the signature before handing it over.
    const r = this.store.addRouterInfo(ri, { verified: true, now: this.now() });
    if (r !== true && r !== 'older') this.log.debug({ peer: i2pBase64Encode(ri.hash), reason: r }, 'RouterInfo not stored');
  }

  /**
   * Dispatches an I2NP message that `from` handed us (our own hash for messages we routed to
   * ourselves). `inGarlic`: it came out of a Garlic clove; cloves are not opened twice.
   */
  private onMessage(m: I2NPMessage, from: Buffer, inGarlic = false): void {
    bump(this.counters.i2npIn, typeName(m.type));
    try {
      // Our own tunnels first: their TunnelData, build replies, tests and one-time-key garlic.
      if (this.tunnels.handle(m)) return;
      // Encrypted answers to our tunnelled netDb lookups, then garlic addressed to our router.
      if (m.type === I2NPType.Garlic && !inGarlic && this.netdb.handleReplyGarlic(m)) return;
      if (m.type === I2NPType.Garlic && !inGarlic) return this.onGarlic(m, from);
      // DatabaseStore/Lookup/SearchReply, and DeliveryStatus the netDb waits for (publishing).
      if (this.netdb.handle(m, from)) return;
      // Tunnel build requests for us, and TunnelData/TunnelGateway of the transit tunnels we carry.
      if (this.transit.handle(m)) return;
      switch (m.type) {
        case I2NPType.DeliveryStatus: {
          const ds = decodeDeliveryStatus(m.payload);
          const w = this.statusWaiters.get(ds.msgId);
          if (w) w(true);
          this.emit('deliveryStatus', ds, from);
          return;
        }
        default:
          // Messages for tunnels of our own arrive with the tunnel pools; count and drop.
          bump(this.counters.i2npDropped, typeName(m.type));
          this.emit('i2np', m, from);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      bump(this.counters.i2npDropped, `${typeName(m.type)}:${e.code}`);
      this.log.debug({ peer: i2pBase64Encode(from), type: m.type, err: e.message }, 'malformed I2NP message dropped');
    }
  }

  /**
   * What comes out of our inbound tunnels and is not the tunnels' own: only netDb answers and
   * garlic go on (a tunnel build request arriving through our own tunnel could link us to it;
   * Java I2P filters the same way).
   */
  private onTunnelDelivered(m: I2NPMessage): void {
    switch (m.type) {
      case I2NPType.DatabaseStore:
      case I2NPType.DatabaseSearchReply:
      case I2NPType.DeliveryStatus:
      case I2NPType.Garlic:
        this.onMessage(m, this.hash);
        return;
      default:
        bump(this.counters.i2npDropped, `${typeName(m.type)}:from-own-tunnel`);
    }
  }

  /**
   * Garlic addressed to our router: decrypt, then handle each clove meant for us (LOCAL
   * delivery) as if it had arrived on the session. Cloves for other routers or tunnels need
   * the tunnel subsystem; they are counted and dropped.
   */
  private onGarlic(m: I2NPMessage, from: Buffer): void {
    const blocks = this.garlic.open(m.payload, this.now());
    for (const b of blocks) {
      if (b.type !== 'clove') continue;
      if (b.clove.delivery.kind === 'local') this.onMessage(b.clove.message, from, true);
      else bump(this.counters.i2npDropped, `GarlicClove:${b.clove.delivery.kind}`);
    }
  }
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

function typeName(t: number): string {
  return I2NPType[t] ?? `type${t}`;
}
