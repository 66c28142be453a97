/**
 * The floodfill role (docs/discussions-netdb "floodfill", i2np.rst DatabaseLookup /
 * DatabaseStore / DatabaseSearchReply): answering lookups from our netDb, storing what others
 * publish, acknowledging it and flooding it on. Pure and sans-IO: messages in, the messages to
 * send out (with the router to hand each one to), counters; time comes from `now()`.
 *
 * Lookups (i2np.rst DatabaseLookup flags bits 3-2):
 * - RouterInfo (10): a DatabaseStore with it if we have it (our own RouterInfo for our hash),
 *   else a DatabaseSearchReply with the closest floodfills we know, minus the excluded peers.
 * - LeaseSet (01): a DatabaseStore with the LeaseSet (any LeaseSet2-family type) if we hold it
 *   and it has not expired, else the search reply.
 * - Any (00, deprecated): RouterInfo first, then LeaseSet, then the search reply (as i2pd does).
 * - Exploration (11), or any lookup whose excluded list holds the all-zero hash (the older way
 *   to say "non-floodfill routers only"): a search reply listing the non-floodfill routers
 *   closest to the key. Never a DatabaseStore: the spec leaves that open (Java looks the key up,
 *   i2pd does not) and recommends not exploring known hashes, so we do as i2pd does.
 * Search replies carry up to 3 hashes, as Java I2P and i2pd send.
 *
 * Reply path: to the tunnel `replyTunnelId` at gateway `from` as a TunnelGateway message handed
 * to `from`, or directly to `from`. Reply encryption (flag bits 4,1): ECIES one-time key/tag
 * (proposal 154) -> Garlic Existing Session message; AES session tag (ElGamal requesters) ->
 * ElGamal/AES existing-session garlic. Refused as bogus (counted, no reply): an all-zero key or
 * reply router, a reply to ourselves, the tunnel flag with tunnel id 0 (spec: "nonzero"), and a
 * direct reply to a router other than the one that handed us the lookup (which would let anyone
 * aim our replies at a third party).
 *
 * Rate limit: at most `maxLookupsPerPeerPerMinute` lookups per delivering router per minute
 * (sliding one-minute windows, bounded table); the rest are dropped and counted.
 *
 * Stores: a RouterInfo or LeaseSet (types 1, 3, 5, 7) goes through the NetDbStore's checks.
 * A store with a reply token is acknowledged with a DeliveryStatus (msgId = token) when we now
 * hold that entry or a newer one ("older" included: the entry is stored, which is what the ack
 * promises), directly to the reply gateway or through its tunnel; an invalid one is not, so the
 * publisher tries another floodfill. If it was new and carried a reply token, it is flooded
 * (DatabaseStore with token 0) to the `floodCount` floodfills closest to its routing key,
 * also those of the next day's key near midnight (kademlia.ts advance windows), never to us,
 * the sender, or the router the entry describes. Stores with token 0 came from flooding and
 * are not flooded again (i2np.rst: floods are expected "if the token is greater than zero").
 * A store that arrived down one of our tunnels has its reply fields ignored (i2np.rst
 * DatabaseStore notes) and is not flooded.
 */
import { RouterInfo } from '../data/router-info.js';
import { DataFormatError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import type { DatabaseLookup } from '../i2np/database-lookup.js';
import { DatabaseStoreType, encodeDatabaseStore, type DatabaseStore } from '../i2np/database-store.js';
import { encodeDatabaseSearchReply } from '../i2np/database-search-reply.js';
import { encodeDeliveryStatus } from '../i2np/delivery-status.js';
import { encodeTunnelGateway } from '../i2np/tunnel-gateway.js';
import { sealOneTimeReply } from '../garlic/one-time-reply.js';
import { sealSessionTagReply } from '../garlic/session-tag-reply.js';
import { NEXT_ROUTING_KEY_LS_ADVANCE_MS, NEXT_ROUTING_KEY_RI_ADVANCE_MS, closest, msUntilMidnightUtc, routingKey } from './kademlia.js';
import type { NetDbStore, StoredLeaseSet } from './netdb-store.js';

export interface OutboundI2NP {
  /** Router hash to hand the message to. */
  to: Buffer;
  /** A reply to a tunnel is already wrapped in TunnelGateway (I2NP 19) addressed to the tunnel's gateway router. */
  message: I2NPMessage;
}

export interface FloodfillOptions {
  store: NetDbStore;
  ourHash: Buffer;
  now: () => number;
  newMessage: (type: I2NPType, payload: Buffer) => I2NPMessage;
  log: Logger;
  /** Default 60. */
  maxLookupsPerPeerPerMinute?: number;
  /** Floodfills a new entry is flooded to; default 3 (Java I2P and i2pd flood to the 3 closest). */
  floodCount?: number;
  /** Our own RouterInfo, served to lookups of our hash (the store never holds it). */
  ourRouterInfo?: () => RouterInfo;
  /** Hashes in a DatabaseSearchReply; default 3. */
  searchReplyPeers?: number;
  /** Delivering routers the rate limiter tracks at most; default 10,000. */
  maxTrackedPeers?: number;
}

export interface StoreOptions {
  /** The store came down one of our own tunnels: reply fields ignored, never flooded. */
  viaTunnel?: boolean;
}

const ZERO_HASH = Buffer.alloc(32);
const MINUTE = 60_000;
const LOOKUP_KINDS = ['any', 'leaseSet', 'routerInfo', 'exploration'] as const;

/** One delivering router's lookups in the current and the previous one-minute window. */
interface Window {
  start: number;
  count: number;
  previous: number;
}

export class FloodfillHandler {
  readonly counters: Record<string, number> = {};
  private readonly store: NetDbStore;
  private readonly ourHash: Buffer;
  private readonly ourHex: string;
  private readonly now: () => number;
  private readonly newMessage: (type: I2NPType, payload: Buffer) => I2NPMessage;
  private readonly log: Logger;
  private readonly maxLookups: number;
  private readonly floodCount: number;
  private readonly searchReplyPeers: number;
  private readonly maxTrackedPeers: number;
  private readonly ourRouterInfo: (() => RouterInfo) | undefined;
  private readonly windows = new Map<string, Window>();
  /** DatabaseStore payloads (gzip'd RouterInfo) per RouterInfo object: gzip is the costly part of a reply or a flood. */
  private readonly riStorePayloads = new WeakMap<RouterInfo, Buffer>();
  private nonFloodfillCache: { builtAt: number; size: number; list: { hash: Buffer }[] } | undefined;

  constructor(opts: FloodfillOptions) {
    this.store = opts.store;
    this.ourHash = opts.ourHash;
    this.ourHex = opts.ourHash.toString('hex');
    this.now = opts.now;
    this.newMessage = opts.newMessage;
    this.log = opts.log;
    this.maxLookups = opts.maxLookupsPerPeerPerMinute ?? 60;
    this.floodCount = opts.floodCount ?? 3;
    this.searchReplyPeers = opts.searchReplyPeers ?? 3;
    this.maxTrackedPeers = opts.maxTrackedPeers ?? 10_000;
    this.ourRouterInfo = opts.ourRouterInfo;
    this.store.on('routerInfo', () => (this.nonFloodfillCache = undefined));
  }

  // -------------------------------------------------------------------------------------------
  // Lookups

  onDatabaseLookup(lookup: DatabaseLookup, deliveredBy: Buffer | undefined): OutboundI2NP[] {
    this.bump('lookup.received');
    const bogus = this.bogusReplyPath(lookup, deliveredBy);
    if (bogus) {
      this.bump(`lookup.bogus.${bogus}`);
      this.log.debug({ reason: bogus, key: lookup.key.toString('hex') }, 'floodfill: lookup with a bogus reply path dropped');
      return [];
    }
    if (!this.allowLookup(deliveredBy ?? lookup.from)) {
      this.bump('lookup.rateLimited');
      return [];
    }
    const now = this.now();
    const exclude = new Set<string>();
    let zeroExcluded = false;
    for (const p of lookup.excludedPeers) {
      if (p.equals(ZERO_HASH)) zeroExcluded = true;
      else exclude.add(p.toString('hex'));
    }
    const kind = zeroExcluded ? 'exploration' : (LOOKUP_KINDS[lookup.lookupType] ?? 'any');
    const reply = this.answer(lookup.key, kind, exclude, now);
    this.bump(`lookup.${kind}.${reply.outcome}`);

    let message = this.newMessage(reply.type, reply.payload);
    const enc = lookup.replyEncryption;
    if (enc?.kind === 'ecies') {
      message = this.newMessage(I2NPType.Garlic, sealOneTimeReply(enc.key, enc.tags[0]!, message));
      this.bump('reply.encrypted.ecies');
    } else if (enc?.kind === 'aes') {
      message = this.newMessage(I2NPType.Garlic, sealSessionTagReply(enc.key, enc.tags[0]!, message));
      this.bump('reply.encrypted.aes');
    }
    if (lookup.replyTunnelId !== undefined) {
      message = this.newMessage(I2NPType.TunnelGateway, encodeTunnelGateway({ tunnelId: lookup.replyTunnelId, message }));
      this.bump('reply.tunnel');
    } else this.bump('reply.direct');
    return [{ to: lookup.from, message }];
  }

  /** Why a lookup's reply path is unacceptable, or undefined. */
  private bogusReplyPath(l: DatabaseLookup, deliveredBy: Buffer | undefined): string | undefined {
    if (l.key.equals(ZERO_HASH)) return 'zeroKey';
    if (l.from.equals(ZERO_HASH)) return 'zeroFrom';
    if (l.from.equals(this.ourHash)) return 'fromUs';
    if (l.replyTunnelId === 0) return 'tunnelZero';
    if (l.replyTunnelId === undefined && deliveredBy !== undefined && !deliveredBy.equals(l.from)) return 'directToThirdParty';
    return undefined;
  }

  /**
   * Sliding-window limiter: this minute's count plus the previous minute's weighted by how much
   * of it still overlaps the last 60 s. When the table is full, windows idle for over two
   * minutes are swept first, then the oldest entries go (a flood of fresh peers cannot grow it).
   */
  private allowLookup(peer: Buffer): boolean {
    const now = this.now();
    const id = peer.toString('hex');
    let w = this.windows.get(id);
    if (!w) {
      if (this.windows.size >= this.maxTrackedPeers) this.evictWindows(now);
      w = { start: now, count: 0, previous: 0 };
      this.windows.set(id, w);
    } else if (now - w.start >= MINUTE) {
      w.previous = now - w.start >= 2 * MINUTE ? 0 : w.count;
      w.start += Math.floor((now - w.start) / MINUTE) * MINUTE;
      w.count = 0;
    }
    const overlap = Math.max(0, 1 - (now - w.start) / MINUTE);
    if (w.count + w.previous * overlap >= this.maxLookups) return false;
    w.count++;
    return true;
  }

  private evictWindows(now: number): void {
    for (const [id, w] of this.windows) if (now - w.start >= 2 * MINUTE) this.windows.delete(id);
    while (this.windows.size >= this.maxTrackedPeers) {
      this.windows.delete(this.windows.keys().next().value!);
      this.bump('lookup.rateTableEvicted');
    }
  }

  private answer(key: Buffer, kind: (typeof LOOKUP_KINDS)[number], exclude: ReadonlySet<string>, now: number): { type: I2NPType; payload: Buffer; outcome: string } {
    if (kind === 'exploration') {
      return { type: I2NPType.DatabaseSearchReply, payload: this.searchReply(key, this.closestNonFloodfills(key, exclude, now)), outcome: 'searchReply' };
    }
    if (kind === 'routerInfo' || kind === 'any') {
      const ours = key.equals(this.ourHash) ? this.ourRouterInfo?.() : undefined;
      const ri = ours ?? this.store.getRouterInfo(key);
      if (ri) return { type: I2NPType.DatabaseStore, payload: this.routerInfoStorePayload(ri), outcome: ours ? 'ours' : 'found' };
    }
    if (kind === 'leaseSet' || kind === 'any') {
      const ls = this.store.getLeaseSet(key);
      if (ls && ls.expires > now) return { type: I2NPType.DatabaseStore, payload: leaseSetStorePayload(ls), outcome: 'found' };
    }
    const peers = this.store.closestFloodfills(key, this.searchReplyPeers, exclude, now).map((ri) => ri.hash);
    return { type: I2NPType.DatabaseSearchReply, payload: this.searchReply(key, peers), outcome: 'searchReply' };
  }

  private searchReply(key: Buffer, peers: Buffer[]): Buffer {
    return encodeDatabaseSearchReply({ key, peers, from: this.ourHash });
  }

  /** Non-floodfill routers closest to the key's routing key (i2pd GetClosestNonFloodfill; Java likewise). */
  private closestNonFloodfills(key: Buffer, exclude: ReadonlySet<string>, now: number): Buffer[] {
    return closest(routingKey(key, now), this.nonFloodfills(now), this.searchReplyPeers, exclude).map((e) => e.hash);
  }

  /**
   * The non-floodfill routers as { hash } records, rebuilt when the store reports a new or
   * updated RouterInfo, when its size changed, or after a minute (covers removals of the same
   * number as additions). A stale entry costs at most a hint to a router that just expired.
   */
  private nonFloodfills(now: number): readonly { hash: Buffer }[] {
    const c = this.nonFloodfillCache;
    if (c && c.size === this.store.size && now - c.builtAt < MINUTE) return c.list;
    const list: { hash: Buffer }[] = [];
    for (const ri of this.store.routerInfos()) if (!ri.floodfill) list.push({ hash: ri.hash });
    this.nonFloodfillCache = { builtAt: now, size: this.store.size, list };
    return list;
  }

  private routerInfoStorePayload(ri: RouterInfo): Buffer {
    let p = this.riStorePayloads.get(ri);
    if (!p) {
      p = encodeDatabaseStore({ key: ri.hash, type: DatabaseStoreType.RouterInfo, replyToken: 0, routerInfo: ri.raw });
      this.riStorePayloads.set(ri, p);
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------
  // Stores

  onDatabaseStore(ds: DatabaseStore, deliveredBy: Buffer | undefined, opts: StoreOptions = {}): { result: true | string; out: OutboundI2NP[] } {
    const now = this.now();
    const isRouterInfo = ds.type === DatabaseStoreType.RouterInfo;
    const what = isRouterInfo ? 'routerInfo' : 'leaseSet';
    let stored: RouterInfo | StoredLeaseSet | undefined;
    let result: true | string;
    if (ds.key.equals(ZERO_HASH)) result = 'zero-key';
    else if (isRouterInfo) {
      const parsed = parseRouterInfo(ds);
      result = typeof parsed === 'string' ? parsed : this.store.addRouterInfo(parsed, { now });
      if (result === true) stored = this.store.getRouterInfo(ds.key);
    } else {
      result = ds.leaseSet ? this.store.addLeaseSet(ds.type, ds.key, ds.leaseSet, now) : 'malformed';
      if (result === true) stored = this.store.getLeaseSet(ds.key);
    }
    this.bump(result === true ? `store.${what}.accepted` : `store.${what}.rejected.${result}`);

    const out: OutboundI2NP[] = [];
    if (ds.replyToken === 0) return { result, out };
    if (opts.viaTunnel) {
      this.bump('store.viaTunnelReplyIgnored');
      return { result, out };
    }
    if (result === true || result === 'older') {
      const ack = this.ack(ds);
      if (ack) out.push(ack);
    }
    if (result === true && stored) out.push(...this.flood(ds, stored, deliveredBy, now));
    return { result, out };
  }

  /** DeliveryStatus(msgId = reply token), directly or through the reply tunnel. */
  private ack(ds: DatabaseStore): OutboundI2NP | undefined {
    const gateway = ds.replyGateway;
    if (!gateway || gateway.equals(ZERO_HASH) || (ds.replyTunnelId === 0 && gateway.equals(this.ourHash))) {
      this.bump('store.ack.bogus');
      return undefined;
    }
    let message = this.newMessage(I2NPType.DeliveryStatus, encodeDeliveryStatus({ msgId: ds.replyToken, timestamp: this.now() }));
    if (ds.replyTunnelId) message = this.newMessage(I2NPType.TunnelGateway, encodeTunnelGateway({ tunnelId: ds.replyTunnelId, message }));
    this.bump(ds.replyTunnelId ? 'store.ack.tunnel' : 'store.ack.direct');
    return { to: gateway, message };
  }

  private flood(ds: DatabaseStore, stored: RouterInfo | StoredLeaseSet, deliveredBy: Buffer | undefined, now: number): OutboundI2NP[] {
    const isRouterInfo = stored instanceof RouterInfo;
    const payload = isRouterInfo ? this.routerInfoStorePayload(stored) : leaseSetStorePayload(stored);
    const exclude = new Set([this.ourHex, ds.key.toString('hex')]);
    if (deliveredBy) exclude.add(deliveredBy.toString('hex'));
    const targets: RouterInfo[] = [];
    // Today's routing key, and near midnight also tomorrow's (the floodfills lookups will ask then).
    const untilMidnight = msUntilMidnightUtc(now);
    const times = untilMidnight < (isRouterInfo ? NEXT_ROUTING_KEY_RI_ADVANCE_MS : NEXT_ROUTING_KEY_LS_ADVANCE_MS) ? [now, now + untilMidnight] : [now];
    for (const t of times) {
      for (const ff of this.store.closestFloodfills(ds.key, this.floodCount, exclude, t)) {
        exclude.add(ff.hash.toString('hex'));
        targets.push(ff);
      }
    }
    if (targets.length > 0) this.bump('flood.entries');
    this.bump('flood.sent', targets.length);
    return targets.map((ff) => ({ to: ff.hash, message: this.newMessage(I2NPType.DatabaseStore, payload) }));
  }

  private bump(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }
}

function leaseSetStorePayload(ls: StoredLeaseSet): Buffer {
  return encodeDatabaseStore({ key: ls.key, type: ls.storeType, replyToken: 0, leaseSet: ls.raw });
}

function parseRouterInfo(ds: DatabaseStore): RouterInfo | string {
  if (!ds.routerInfo) return 'malformed';
  let ri: RouterInfo;
  try {
    ri = RouterInfo.parse(ds.routerInfo);
  } catch (e) {
    if (e instanceof DataFormatError) return 'malformed';
    throw e;
  }
  return ri.hash.equals(ds.key) ? ri : 'key-mismatch';
}
