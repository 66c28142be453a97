/**
 * The netDb shell: the IO around the sans-IO netDb cores. It owns the timers (search
 * timeouts, publishing, exploration, store expiry), turns the cores' decisions into I2NP
 * messages on the transport, and takes every incoming netDb message (i2np.rst DatabaseStore,
 * DatabaseLookup, DatabaseSearchReply, and the DeliveryStatus answering our stores).
 *
 * What a DatabaseStore does to the store:
 * - As a floodfill, the FloodfillHandler decides (store, acknowledge, flood).
 * - Otherwise it is stored when it answers one of our searches, or when it is a RouterInfo
 *   delivered directly by a peer (as i2pd: every RouterInfo a peer sends is a candidate; the
 *   store verifies the signature, netId, keys and age). Unsolicited LeaseSets are dropped: a
 *   non-floodfill has no use for them, and accepting them would let any peer fill or poison
 *   our LeaseSet cache (i2pd accepts them only when they arrive directly; Java I2P keeps them
 *   apart from the floodfill store). Non-floodfills do not acknowledge stores.
 * - A DatabaseStore of our own RouterInfo is never stored; it answers publish verification.
 *
 * DatabaseLookups are answered only as a floodfill (non-floodfills ignore them, as i2pd drops
 * explicit LeaseSet and exploratory lookups to non-floodfills). Every decode error is counted
 * and dropped: handle() never throws.
 *
 * Lookups, publish stores and their verification go out through one of our exploratory outbound
 * tunnels once we have tunnels (NetDbTunnels), garlic-wrapped to the floodfill so our outbound
 * endpoint cannot read them; replies come to one of our inbound tunnels — lookup replies as an
 * ECIES one-time-key garlic (i2np.rst DatabaseLookup "Reply Encryption"), opened by
 * handleReplyGarlic. Before the first tunnels exist (and for floodfills we cannot encrypt to)
 * they go direct with direct, unencrypted replies, which travel inside the NTCP2 session. A
 * floodfill publishes its own RouterInfo directly, as i2pd does.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from '../crypto/index.js';
import { i2pBase64Encode } from '../data/base64.js';
import { CryptoType } from '../data/certificate.js';
import { localMessages, OneTimeReplyKeys } from '../garlic/one-time-reply.js';
import { sealGarlicForRouter } from '../garlic/router-garlic.js';
import { RouterInfo } from '../data/router-info.js';
import { decodeDatabaseLookup, encodeDatabaseLookup } from '../i2np/database-lookup.js';
import { decodeDatabaseSearchReply } from '../i2np/database-search-reply.js';
import { decodeDatabaseStore, DatabaseStoreType, encodeDatabaseStore, type DatabaseStore } from '../i2np/database-store.js';
import { decodeDeliveryStatus } from '../i2np/delivery-status.js';
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import { ProtocolError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { explorationPlan, type ExplorationPolicy } from './exploration.js';
import type { FloodfillHandler, OutboundI2NP } from './floodfill.js';
import { LookupManager, type LookupOutput } from './lookup-manager.js';
import type { NetDbStore, StoredLeaseSet } from './netdb-store.js';
import { Publisher, type PublishAction, type PublishResult } from './publisher.js';
import { randomExplorationKey, type SearchLimits, type SearchResult, type SendLookup } from './search.js';

export interface NetDbTransport {
  /** Sends on an established session; false if none. */
  send(peer: Buffer, msgs: I2NPMessage[]): boolean;
  /** Dials the router if needed, then sends; resolves false if it cannot. */
  sendTo(ri: RouterInfo, msgs: I2NPMessage[]): Promise<boolean>;
}

/**
 * Our exploratory tunnels as the netDb uses them (the TunnelManager provides them). Without
 * tunnels — at start, or when every build fails — lookups and stores go direct.
 */
export interface NetDbTunnels {
  /** One of our inbound tunnels for replies (its gateway and the tunnel id there), or undefined. */
  replyTunnel(): { gateway: Buffer; tunnelId: number } | undefined;
  /** Sends `m` through one of our outbound tunnels to router `to`; false if there is none. */
  sendToRouter(to: Buffer, m: I2NPMessage): boolean;
}

interface TunnelRoute {
  to: Buffer;
  reply: { gateway: Buffer; tunnelId: number };
  /** The floodfill's X25519 key, for the garlic around what we send it. */
  key: Buffer;
}

/** A one-time reply key waits this long: a search gives up on a floodfill long before. */
const TUNNEL_REPLY_LIFETIME_MS = 60_000;

export interface NetDbOptions {
  store: NetDbStore;
  transport: NetDbTransport;
  ourHash: Buffer;
  ourRouterInfo: () => RouterInfo;
  /**
   * Re-signs our RouterInfo with a fresh `published` date (the Router's republish). Called
   * before a scheduled publish round when our RouterInfo is older than refreshAfterMs:
   * floodfills expire RouterInfos about an hour after `published`.
   */
  refreshRouterInfo?: () => Promise<unknown> | unknown;
  floodfill: FloodfillHandler | undefined;
  /**
   * Lookups, publishing and verification go out through these and their replies come back to one
   * of our inbound tunnels, as real routers do (a floodfill then cannot tell who asked). A
   * floodfill publishes its own RouterInfo directly, as i2pd does.
   */
  tunnels?: NetDbTunnels;
  now?: () => number;
  log: Logger;
  newMessage: (type: I2NPType, payload: Buffer) => I2NPMessage;
  /** Per-search limits (parallelism 3, 5 s per peer, 20 s total, 8 peers by default). */
  searchLimits?: Partial<SearchLimits>;
  /** Searches running at once (16) and waiting (64). */
  maxConcurrentLookups?: number;
  maxQueuedLookups?: number;
  /** Publish rounds; default 40 min (see publisher.ts). 0 disables publishing. */
  publishIntervalMs?: number;
  publishFirstDelayMs?: number;
  publishVerifyDelayMs?: number;
  /** Refresh our RouterInfo before a scheduled publish when it is older than this; default 10 min. */
  refreshAfterMs?: number;
  /** false disables exploration; default policy in exploration.ts. */
  exploration?: false | Partial<ExplorationPolicy>;
  /** First exploration this long after start(); default 5 s. */
  exploreFirstDelayMs?: number;
  /** How often the store drops expired entries; default 60 s. */
  expireIntervalMs?: number;
  /** Timer granularity for search and publish timeouts; default 1 s. */
  tickMs?: number;
}

type Counters = Record<string, number | Record<string, number>>;

export class NetDb extends EventEmitter {
  private readonly store: NetDbStore;
  private readonly transport: NetDbTransport;
  private readonly ourHash: Buffer;
  private readonly log: Logger;
  private readonly now: () => number;
  readonly lookups: LookupManager;
  readonly publisher: Publisher;
  private readonly received: Record<string, number> = {};
  private readonly dropped: Record<string, number> = {};
  private readonly stats = {
    routerInfosStored: 0,
    leaseSetsStored: 0,
    explorationsStarted: 0,
    routersExplored: 0,
    sendFailures: 0,
    publishRounds: 0,
    lookupsThroughTunnels: 0,
    lookupsDirect: 0,
    storesThroughTunnels: 0,
    storesDirect: 0,
  };
  /** Keys of the encrypted replies our tunnelled lookups asked for; the context is the floodfill asked. */
  private readonly replyKeys = new OneTimeReplyKeys<Buffer>({ maxEntries: 1024 });
  private readonly publishWaiters: ((r: PublishResult) => void)[] = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private expireTimer: NodeJS.Timeout | undefined;
  private nextExploreAt = Infinity;
  private refreshing = false;
  private running = false;
  private stopped = false;

  constructor(private readonly opts: NetDbOptions) {
    super();
    this.store = opts.store;
    this.transport = opts.transport;
    this.ourHash = opts.ourHash;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.lookups = new LookupManager({
      ourHash: opts.ourHash,
      context: opts.store,
      ...(opts.searchLimits ? { limits: opts.searchLimits } : {}),
      ...(opts.maxConcurrentLookups !== undefined ? { maxConcurrent: opts.maxConcurrentLookups } : {}),
      ...(opts.maxQueuedLookups !== undefined ? { maxQueued: opts.maxQueuedLookups } : {}),
    });
    this.publisher = new Publisher({
      ourHash: opts.ourHash,
      context: opts.store,
      ...(opts.publishIntervalMs ? { intervalMs: opts.publishIntervalMs } : {}),
      ...(opts.publishFirstDelayMs !== undefined ? { firstDelayMs: opts.publishFirstDelayMs } : {}),
      ...(opts.publishVerifyDelayMs !== undefined ? { verifyDelayMs: opts.publishVerifyDelayMs } : {}),
    });
  }

  get counters(): Counters {
    return {
      ...this.stats,
      received: { ...this.received },
      dropped: { ...this.dropped },
      lookups: { ...this.lookups.counters },
      tunnelReplies: { ...this.replyKeys.counters },
      publish: { ...this.publisher.counters },
      ...(this.opts.floodfill ? { floodfill: { ...this.opts.floodfill.counters } } : {}),
    };
  }

  /**
   * Starts publishing, exploration and store expiry, and the tick timer for timeouts (unref'd
   * timers: they never keep the process alive). Lookups work without start(); after stop()
   * they resolve undefined at once.
   */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const now = this.now();
    if (this.opts.publishIntervalMs !== 0) this.publisher.start(now);
    if (this.opts.exploration !== false) this.nextExploreAt = now + (this.opts.exploreFirstDelayMs ?? 5_000);
    this.ensureTicking();
    this.expireTimer = setInterval(() => this.store.expire(this.now()), this.opts.expireIntervalMs ?? 60_000);
    this.expireTimer.unref();
  }

  /** Stops the timers, ends searches and a running publish round, flushes the store. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.tickTimer = this.expireTimer = undefined;
    this.nextExploreAt = Infinity;
    this.lookups.cancelAll(this.now());
    this.applyPublish(this.publisher.stop());
    await this.store.flush();
  }

  /**
   * Offers an incoming I2NP message (`deliveredBy`: the peer whose session it came on, undefined
   * when it came another way). True if it was a netDb message: DatabaseStore, DatabaseLookup,
   * DatabaseSearchReply, or a DeliveryStatus acknowledging one of our stores.
   */
  handle(m: I2NPMessage, deliveredBy: Buffer | undefined): boolean {
    try {
      switch (m.type) {
        case I2NPType.DatabaseStore:
          this.bump(this.received, 'DatabaseStore');
          this.onDatabaseStore(decodeDatabaseStore(m.payload), deliveredBy);
          return true;
        case I2NPType.DatabaseSearchReply: {
          this.bump(this.received, 'DatabaseSearchReply');
          const dsrm = decodeDatabaseSearchReply(m.payload);
          const r = this.lookups.onSearchReply(dsrm, deliveredBy ?? dsrm.from, this.now());
          this.applyLookups(r);
          if (!r.matched) this.bump(this.dropped, 'DatabaseSearchReply:unsolicited');
          return true;
        }
        case I2NPType.DatabaseLookup:
          this.bump(this.received, 'DatabaseLookup');
          if (!this.opts.floodfill) {
            this.bump(this.dropped, 'DatabaseLookup:not-floodfill');
            return true;
          }
          this.sendOutbound(this.opts.floodfill.onDatabaseLookup(decodeDatabaseLookup(m.payload), deliveredBy));
          return true;
        case I2NPType.DeliveryStatus: {
          let token: number;
          try {
            token = decodeDeliveryStatus(m.payload).msgId;
          } catch {
            return false; // not ours to judge; the router counts it
          }
          const r = this.publisher.onDeliveryStatus(token, this.now());
          if (r.matched) this.bump(this.received, 'DeliveryStatus');
          this.applyPublish(r.actions);
          return r.matched;
        }
        default:
          return false;
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) {
        // A bug, not hostile input: still never thrown at the transport.
        this.log.error({ err: (e as Error).stack, type: m.type }, 'netDb: error handling message');
        this.bump(this.dropped, `${typeName(m.type)}:error`);
        return true;
      }
      this.bump(this.dropped, `${typeName(m.type)}:${e.code}`);
      this.log.debug({ peer: deliveredBy && i2pBase64Encode(deliveredBy), type: m.type, err: e.message }, 'netDb: malformed message dropped');
      return true;
    }
  }

  /**
   * A Garlic message that may be the encrypted reply to one of our tunnelled lookups (i2np.rst
   * DatabaseLookup "Reply Encryption", ECIES: a one-time key and tag we chose). True if the tag
   * was ours: its LOCAL cloves are then handled as delivered by the floodfill we asked — only it
   * was given the key, so the reply is as good as authenticated. Never throws on bad input.
   */
  handleReplyGarlic(m: I2NPMessage): boolean {
    if (m.type !== I2NPType.Garlic || !this.replyKeys.has(m.payload)) return false;
    let reply;
    try {
      reply = this.replyKeys.openReply(m.payload, this.now());
    } catch (e) {
      this.bump(this.dropped, `Garlic:reply-${e instanceof ProtocolError ? e.code : 'error'}`);
      return true;
    }
    if (!reply) return true; // expired: counted by the key store
    for (const inner of localMessages(reply.blocks)) {
      if (inner.type === I2NPType.DatabaseStore || inner.type === I2NPType.DatabaseSearchReply) this.handle(inner, reply.context);
      else this.bump(this.dropped, `Garlic:reply-${typeName(inner.type)}`);
    }
    return true;
  }

  /** Our RouterInfo or a stored one, else a search. Resolves undefined when not found. */
  lookupRouterInfo(hash: Buffer): Promise<RouterInfo | undefined> {
    if (hash.equals(this.ourHash)) return Promise.resolve(this.opts.ourRouterInfo());
    const known = this.store.getRouterInfo(hash);
    if (known) return Promise.resolve(known);
    return this.search(hash, 'routerInfo').then((r) => r.routerInfo);
  }

  /** A stored, unexpired LeaseSet, else a search. Resolves undefined when not found. */
  lookupLeaseSet(key: Buffer): Promise<StoredLeaseSet | undefined> {
    const known = this.store.getLeaseSet(key);
    if (known && known.expires > this.now()) return Promise.resolve(known);
    return this.search(key, 'leaseSet').then((r) => r.leaseSet);
  }

  /** Runs a publish round now (or joins the running one). storedAt: base64 router hashes. */
  publishRouterInfo(): Promise<{ storedAt: string[]; verified: boolean }> {
    if (this.stopped) return Promise.resolve({ storedAt: [], verified: false });
    this.ensureTicking();
    const p = new Promise<PublishResult>((resolve) => this.publishWaiters.push(resolve));
    if (!this.publisher.running) this.applyPublish(this.publisher.publishNow(this.now(), this.opts.ourRouterInfo().published));
    return p.then((r) => ({ storedAt: r.storedAt.map((h) => i2pBase64Encode(h)), verified: r.verified }));
  }

  /** Runs `count` explorations; resolves with the number of distinct routers they learnt. */
  explore(count = 1): Promise<number> {
    const runs: Promise<SearchResult>[] = [];
    for (let i = 0; i < count; i++) {
      this.stats.explorationsStarted++;
      runs.push(this.search(randomExplorationKey(), 'exploration'));
    }
    return Promise.all(runs).then((results) => {
      // Parallel explorations can be told of the same router; its fetch is shared.
      const learnt = new Set(results.flatMap((r) => r.learnt.map((h) => h.toString('hex'))));
      this.stats.routersExplored += learnt.size;
      return learnt.size;
    });
  }

  // -------------------------------------------------------------------------------------------

  private search(key: Buffer, kind: 'routerInfo' | 'leaseSet' | 'exploration'): Promise<SearchResult> {
    if (this.stopped) return Promise.resolve({ key, kind, outcome: 'cancelled', queried: [], replies: 0, learnt: [], elapsedMs: 0 });
    this.ensureTicking();
    return new Promise((resolve) => this.applyLookups(this.lookups.lookup({ key, kind, onDone: resolve }, this.now())));
  }

  /** Search and publish timeouts need the tick timer, also when start() was not called. */
  private ensureTicking(): void {
    if (this.tickTimer || this.stopped) return;
    this.tickTimer = setInterval(() => this.tick(), this.opts.tickMs ?? 1_000);
    this.tickTimer.unref();
  }

  /** Runs what is due at `now` (the timer calls this every tickMs; tests drive it directly). */
  tick(now = this.now()): void {
    this.applyLookups(this.lookups.tick(now));
    this.applyPublish(this.publisher.tick(now));
    if (this.publisher.due(now) && !this.refreshing) void this.scheduledPublish(now);
    if (now >= this.nextExploreAt && this.opts.exploration !== false) {
      const plan = explorationPlan(this.store.size, this.opts.exploration ?? {});
      this.nextExploreAt = now + plan.intervalMs;
      if (this.store.floodfills().length > 0) {
        this.explore(plan.count).then(
          (n) => n > 0 && this.log.debug({ learnt: n, known: this.store.size }, 'netDb: exploration'),
          () => undefined,
        );
      }
    }
  }

  /** A scheduled round: refresh our RouterInfo first when it is getting old. */
  private async scheduledPublish(now: number): Promise<void> {
    const ri = this.opts.ourRouterInfo();
    if (this.opts.refreshRouterInfo && now - ri.published > (this.opts.refreshAfterMs ?? 10 * 60_000)) {
      this.refreshing = true;
      try {
        await this.opts.refreshRouterInfo();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'netDb: refreshing our RouterInfo failed');
      } finally {
        this.refreshing = false;
      }
    }
    if (!this.running || !this.publisher.due(this.now())) return;
    this.applyPublish(this.publisher.publishNow(this.now(), this.opts.ourRouterInfo().published));
  }

  private onDatabaseStore(ds: DatabaseStore, deliveredBy: Buffer | undefined): void {
    const now = this.now();
    const kind = ds.type === DatabaseStoreType.RouterInfo ? 'routerInfo' : 'leaseSet';
    if (ds.key.equals(this.ourHash)) {
      this.onOwnRouterInfo(ds, deliveredBy, now);
      return;
    }
    const solicited = this.lookups.isSearching(ds.key, kind);
    let result: true | string;
    if (this.opts.floodfill) {
      const r = this.opts.floodfill.onDatabaseStore(ds, deliveredBy);
      this.sendOutbound(r.out);
      result = r.result;
    } else if (solicited || (kind === 'routerInfo' && deliveredBy)) {
      result = this.storeEntry(ds, now);
    } else {
      this.bump(this.dropped, 'DatabaseStore:unsolicited');
      return;
    }
    if (result === true) {
      if (kind === 'routerInfo') this.stats.routerInfosStored++;
      else this.stats.leaseSetsStored++;
    } else if (result !== 'older') {
      this.bump(this.dropped, `DatabaseStore:${result}`);
    }
    if (!solicited) return;
    // 'older': the store already holds this entry or a newer one, which answers the search.
    const ok = result === true || result === 'older';
    const entry = !ok ? undefined : kind === 'routerInfo' ? this.store.getRouterInfo(ds.key) : this.store.getLeaseSet(ds.key);
    const found = entry === undefined ? undefined : entry instanceof RouterInfo ? { routerInfo: entry } : { leaseSet: entry };
    this.applyLookups(this.lookups.onDatabaseStore(ds.key, kind, found, deliveredBy, now));
  }

  /** Our own RouterInfo coming back: the answer to a publish verification, never stored. */
  private onOwnRouterInfo(ds: DatabaseStore, deliveredBy: Buffer | undefined, now: number): void {
    if (ds.type !== DatabaseStoreType.RouterInfo || !this.lookups.isSearching(ds.key, 'routerInfo')) {
      this.bump(this.dropped, 'DatabaseStore:ourselves');
      return;
    }
    const ri = RouterInfo.parse(ds.routerInfo!);
    const valid = ri.hash.equals(ds.key) && ri.verify();
    if (!valid) this.bump(this.dropped, 'DatabaseStore:bad-own-routerinfo');
    this.applyLookups(this.lookups.onDatabaseStore(ds.key, 'routerInfo', valid ? { routerInfo: ri } : undefined, deliveredBy, now));
  }

  /** Non-floodfill storing. Returns true or the store's reason (NetDbRejection). */
  private storeEntry(ds: DatabaseStore, now: number): true | string {
    if (ds.type === DatabaseStoreType.RouterInfo) {
      const ri = RouterInfo.parse(ds.routerInfo!);
      if (!ri.hash.equals(ds.key)) return 'key-mismatch';
      return this.store.addRouterInfo(ri, { now });
    }
    return this.store.addLeaseSet(ds.type, ds.key, ds.leaseSet!, now);
  }

  private applyLookups(out: LookupOutput): void {
    for (const s of out.send) this.sendLookup(s);
  }

  private sendLookup(s: SendLookup): void {
    const route = this.tunnelRoute(s.to);
    if (route) {
      // The reply comes to our inbound tunnel, encrypted with a one-time key only this floodfill
      // learns (the lookup itself is garlic-wrapped to it, so our outbound endpoint cannot read it).
      const now = this.now();
      const key = randomBytes(32);
      const tag = randomBytes(8);
      const lookup = { ...s.lookup, from: route.reply.gateway, replyTunnelId: route.reply.tunnelId, replyEncryption: { kind: 'ecies' as const, key, tags: [tag] } };
      this.replyKeys.expect(tag, key, now + TUNNEL_REPLY_LIFETIME_MS, now, s.to);
      if (this.sendThroughTunnel(route, this.opts.newMessage(I2NPType.DatabaseLookup, encodeDatabaseLookup(lookup)))) {
        this.stats.lookupsThroughTunnels++;
        return;
      }
    }
    this.stats.lookupsDirect++;
    const msg = this.opts.newMessage(I2NPType.DatabaseLookup, encodeDatabaseLookup(s.lookup));
    this.deliver(s.to, [msg], () => {
      this.stats.sendFailures++;
      this.applyLookups(this.lookups.onSendFailed(s.to, s.lookup, this.now()));
    });
  }

  private applyPublish(actions: PublishAction[]): void {
    for (const a of actions) {
      if ('store' in a) {
        const ri = this.opts.ourRouterInfo();
        const store = (reply: { gateway: Buffer; tunnelId: number } | undefined): I2NPMessage =>
          this.opts.newMessage(
            I2NPType.DatabaseStore,
            encodeDatabaseStore({
              key: this.ourHash,
              type: DatabaseStoreType.RouterInfo,
              replyToken: a.store.token,
              // Tunnel 0: the floodfill sends the DeliveryStatus straight to us (i2np.rst DatabaseStore).
              replyTunnelId: reply?.tunnelId ?? 0,
              replyGateway: reply?.gateway ?? this.ourHash,
              routerInfo: ri.raw,
            }),
          );
        // A floodfill publishes directly (as i2pd does: it is known anyway); others through a
        // tunnel, the DeliveryStatus coming back to an inbound tunnel of ours.
        const route = this.opts.floodfill ? undefined : this.tunnelRoute(a.store.to);
        this.log.debug({ to: i2pBase64Encode(a.store.to), published: ri.published, throughTunnel: route !== undefined }, 'netDb: publishing our RouterInfo');
        if (route && this.sendThroughTunnel(route, store(route.reply))) {
          this.stats.storesThroughTunnels++;
          continue;
        }
        this.stats.storesDirect++;
        this.deliver(a.store.to, [store(undefined)], () => this.applyPublish(this.publisher.onSendFailed(a.store.token, this.now())));
      } else if ('verify' in a) {
        const onDone = (r: SearchResult): void => this.applyPublish(this.publisher.onVerifyResult(r.routerInfo, this.now()));
        this.applyLookups(this.lookups.lookup({ key: this.ourHash, kind: 'routerInfo', onlyPeers: [a.verify.to], retry: false, onDone }, this.now()));
      } else {
        const r = a.done;
        this.stats.publishRounds++;
        const info = { storedAt: r.storedAt.map((h) => i2pBase64Encode(h)), verified: r.verified, reason: r.reason, attempts: r.attempts };
        if (r.verified || r.reason === 'no-verifier') this.log.info(info, 'netDb: RouterInfo published');
        else if (r.reason !== 'cancelled') this.log.warn(info, 'netDb: publishing our RouterInfo failed');
        this.emit('published', r);
        for (const w of this.publishWaiters.splice(0)) w(r);
      }
    }
  }

  /**
   * How to reach floodfill `to` through our tunnels: an inbound tunnel for the reply and the
   * floodfill's ECIES key to garlic-wrap to. undefined → go direct (no tunnels yet, or a
   * floodfill we cannot encrypt to).
   */
  private tunnelRoute(to: Buffer): TunnelRoute | undefined {
    const tunnels = this.opts.tunnels;
    if (!tunnels) return undefined;
    const ri = this.store.getRouterInfo(to);
    if (!ri || ri.identity.cryptoType !== CryptoType.ECIES_X25519) return undefined;
    const reply = tunnels.replyTunnel();
    return reply ? { to, reply, key: ri.identity.encryptionPublicKey } : undefined;
  }

  /** Garlic-wraps `m` to the floodfill (ecies-routers.rst) and sends it out through a tunnel. */
  private sendThroughTunnel(route: TunnelRoute, m: I2NPMessage): boolean {
    const garlic = this.opts.newMessage(I2NPType.Garlic, sealGarlicForRouter(route.key, [{ message: m }], this.now()));
    return this.opts.tunnels!.sendToRouter(route.to, garlic);
  }

  private sendOutbound(out: OutboundI2NP[]): void {
    for (const o of out) this.deliver(o.to, [o.message]);
  }

  /** On the session if there is one, else dial the router if we know it. */
  private deliver(to: Buffer, msgs: I2NPMessage[], onFail?: () => void): void {
    if (this.transport.send(to, msgs)) return;
    const ri = this.store.getRouterInfo(to);
    if (!ri) {
      onFail?.();
      return;
    }
    this.transport.sendTo(ri, msgs).then(
      (ok) => {
        if (!ok) onFail?.();
      },
      () => onFail?.(),
    );
  }

  private bump(rec: Record<string, number>, key: string): void {
    rec[key] = (rec[key] ?? 0) + 1;
  }
}

function typeName(t: number): string {
  return I2NPType[t] ?? `type${t}`;
}
