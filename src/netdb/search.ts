/**
 * One iterative netDb search, sans-IO (i2np.rst DatabaseLookup / DatabaseSearchReply,
 * docs/discussions-netdb "who a regular peer searches from"). Bytes never appear here: the
 * search decides which floodfill to ask next and when to give up; the caller sends the
 * DatabaseLookups it returns and feeds back what arrives, with the current time.
 *
 * Shape of a search for a RouterInfo or LeaseSet:
 * - Candidates are floodfills ordered by XOR distance between today's routing key of the
 *   target (kademlia.ts) and their router hash. Up to `parallelism` are asked at once, each
 *   with `perPeerTimeoutMs`; at most `maxPeers` are ever asked; the whole search ends after
 *   `totalTimeoutMs`.
 * - A DatabaseStore for the key ends the search (found).
 * - A DatabaseSearchReply names floodfills the replier thinks are closer (i2np.rst: "not
 *   necessarily closer"). Hinted floodfills we know join the candidates; for hinted routers we
 *   do not know we first need their RouterInfo: we ask the replier itself for it (a "fetch"),
 *   since it just told us about them and so holds their RouterInfo, and a usable floodfill
 *   that comes back joins the candidates. (i2pd 2.45 looks unknown hints up with a fresh
 *   lookup at the floodfill closest to each hint; the oldest i2pd asked the replier, as here,
 *   which costs one message instead of a search per hint.) Fetches are bounded per search.
 * - Lookups carry the peers already asked as excluded peers, so a DSRM does not send us back
 *   to them (i2np.rst "excludedPeers").
 *
 * An exploration (lookup type 3) asks floodfills for non-floodfill routers close to a random
 * key: the reply's hashes we do not know are fetched from the replier and so grow the store.
 * It stops after the first reply; there is nothing to find.
 *
 * Lookups built here ask for direct, unencrypted replies (delivery flag 0, reply to our router
 * hash); the netDb shell (netdb.ts) rewrites them to reply to one of our inbound tunnels, with
 * reply encryption, when it sends them through a tunnel. i2pd only encrypts lookup replies that
 * go to a tunnel.
 */
import { randomBytes } from '../crypto/index.js';
import type { RouterInfo } from '../data/router-info.js';
import { LookupType, MAX_EXCLUDED_PEERS, type DatabaseLookup } from '../i2np/database-lookup.js';
import { closest, compareDistance, routingKey } from './kademlia.js';
import { isUsableFloodfill, type StoredLeaseSet } from './netdb-store.js';

export type SearchKind = 'routerInfo' | 'leaseSet' | 'exploration';

/** What a search reads from the netDb (NetDbStore provides it). */
export interface SearchContext {
  closestFloodfills(key: Uint8Array, n: number, exclude?: ReadonlySet<string>, now?: number): RouterInfo[];
  getRouterInfo(hash: Uint8Array): RouterInfo | undefined;
  routerInfos(): Iterable<RouterInfo>;
}

export interface SearchLimits {
  /**
   * Lookups outstanding at once. i2pd asks one floodfill at a time and moves on after 5 s of
   * silence; asking several at once finds an entry sooner when floodfills are slow or gone, at
   * the price of more lookups (bench/netdb-lookup.ts: ~3.4 per search with a warm netDb).
   */
  parallelism: number;
  /** A floodfill silent for this long counts as failed (its late reply is still used). */
  perPeerTimeoutMs: number;
  totalTimeoutMs: number;
  /** Floodfills asked at most (i2pd stops after 7). */
  maxPeers: number;
  /** Hashes used from one DatabaseSearchReply (i2np.rst: recommended maximum 16). */
  maxHintsPerReply: number;
  /** RouterInfo fetches of unknown hinted routers per search. */
  maxFetches: number;
  /** Exploration: known non-floodfills closest to the random key put in the excluded list, so the reply names routers we do not know. */
  exploreExcludeKnown: number;
}

export const DEFAULT_SEARCH_LIMITS: Readonly<SearchLimits> = {
  parallelism: 3,
  perPeerTimeoutMs: 5_000,
  totalTimeoutMs: 20_000,
  maxPeers: 8,
  maxHintsPerReply: 16,
  maxFetches: 8,
  exploreExcludeKnown: 16,
};

/** Exploration asks one floodfill at a time and a second only if the first stays silent. */
export const DEFAULT_EXPLORATION_LIMITS: Readonly<Partial<SearchLimits>> = { parallelism: 1, maxPeers: 2, maxFetches: 16 };

export interface SearchParams {
  key: Buffer;
  kind: SearchKind;
  ourHash: Buffer;
  now: number;
  limits?: Partial<SearchLimits>;
  /** Peers never to ask (a retry excludes those the first attempt asked). */
  exclude?: Iterable<Buffer>;
  /** Ask exactly these peers, in this order, and follow no hints (fetches and publish verification). */
  onlyPeers?: Buffer[];
}

/**
 * 'explored': an exploration got an answer (what it found is in `learnt`). 'timeout': nobody
 * asked answered. 'not-found': floodfills answered but none had the entry. 'refused': the
 * LookupManager was full.
 */
export type SearchOutcome = 'found' | 'explored' | 'not-found' | 'timeout' | 'no-floodfills' | 'refused' | 'cancelled';

export interface SearchResult {
  key: Buffer;
  kind: SearchKind;
  outcome: SearchOutcome;
  routerInfo?: RouterInfo;
  leaseSet?: StoredLeaseSet;
  /** Peers asked, in order. */
  queried: Buffer[];
  /** Replies received (DatabaseStore or DatabaseSearchReply) from asked peers. */
  replies: number;
  /** Routers whose RouterInfo was fetched because a reply named them (exploration: what it found). */
  learnt: Buffer[];
  elapsedMs: number;
}

export interface SendLookup {
  to: Buffer;
  lookup: DatabaseLookup;
}

export type SearchAction =
  | { send: SendLookup }
  /** Fetch the RouterInfo of `hash` from `from` (a RouterInfo lookup at that one peer); report with onFetchResult. */
  | { fetch: { hash: Buffer; from: Buffer } }
  | { done: SearchResult };

type PeerState = 'inflight' | 'timedout' | 'replied' | 'failed';

interface Asked {
  hash: Buffer;
  sentAt: number;
  state: PeerState;
}

const ZERO_HASH = Buffer.alloc(32);

export class Search {
  readonly key: Buffer;
  readonly kind: SearchKind;
  readonly startedAt: number;
  private readonly ourHash: Buffer;
  private readonly limits: SearchLimits;
  private readonly rkey: Buffer;
  private readonly onlyPeers: boolean;
  private readonly excluded = new Set<string>();
  /** `exclude` from the params, also sent as excluded peers so replies do not point back at them. */
  private readonly excludedList: Buffer[] = [];
  private readonly candidates = new Map<string, Buffer>();
  /** Peers added with addPeer(): asked before any candidate. */
  private readonly preferred: Buffer[] = [];
  private readonly asked = new Map<string, Asked>();
  private readonly askedOrder: Buffer[] = [];
  private readonly pendingFetches = new Map<string, Buffer>();
  private readonly fetchTried = new Set<string>();
  private readonly learnt: Buffer[] = [];
  private replies = 0;
  private exploreAnswered = false;
  private result: SearchResult | undefined;

  constructor(
    private readonly ctx: SearchContext,
    p: SearchParams,
  ) {
    if (p.key.length !== 32) throw new RangeError('search key must be 32 bytes');
    this.key = p.key;
    this.kind = p.kind;
    this.ourHash = p.ourHash;
    this.startedAt = p.now;
    const defaults = p.kind === 'exploration' ? { ...DEFAULT_SEARCH_LIMITS, ...DEFAULT_EXPLORATION_LIMITS } : DEFAULT_SEARCH_LIMITS;
    this.limits = { ...defaults, ...p.limits };
    this.rkey = routingKey(p.key, p.now);
    this.excluded.add(hex(p.ourHash));
    for (const h of p.exclude ?? []) {
      if (!this.excluded.has(hex(h))) this.excludedList.push(h);
      this.excluded.add(hex(h));
    }
    this.onlyPeers = p.onlyPeers !== undefined;
    if (p.onlyPeers) {
      for (const h of p.onlyPeers) if (!this.excluded.has(hex(h))) this.candidates.set(hex(h), h);
    } else {
      for (const ri of ctx.closestFloodfills(p.key, this.limits.maxPeers, this.excluded, p.now)) this.candidates.set(hex(ri.hash), ri.hash);
    }
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  get outcome(): SearchResult | undefined {
    return this.result;
  }

  /** Peers asked so far. */
  get queried(): readonly Buffer[] {
    return this.askedOrder;
  }

  /** True when `peer` was asked by this search (replies from anyone else are unsolicited). */
  asks(peer: Uint8Array): boolean {
    return this.asked.has(hex(peer));
  }

  /** First lookups. */
  start(now: number): SearchAction[] {
    return this.step(now);
  }

  /**
   * A DatabaseStore for our key arrived and its entry verified (the caller checked the
   * signature and stored it): the search is over, whoever delivered it.
   */
  onFound(entry: { routerInfo?: RouterInfo; leaseSet?: StoredLeaseSet }, from: Uint8Array | undefined, now: number): SearchAction[] {
    if (this.result || this.kind === 'exploration') return [];
    if (from) this.markReplied(from);
    return [{ done: this.finish('found', now, entry) }];
  }

  /** A DatabaseStore for our key from `from` that did not verify: that peer failed. */
  onBadReply(from: Uint8Array, now: number): SearchAction[] {
    const a = this.asked.get(hex(from));
    if (this.result || !a) return [];
    a.state = 'failed';
    return this.step(now);
  }

  /**
   * A DatabaseSearchReply for our key from `from` (the peer that delivered it, not the
   * unauthenticated `from` field). Replies from peers we did not ask are ignored: returns
   * undefined so the caller can count them.
   */
  onSearchReply(from: Uint8Array, peers: readonly Buffer[], now: number): SearchAction[] | undefined {
    if (!this.asked.has(hex(from))) return undefined;
    if (this.result) return [];
    this.markReplied(from);
    const replier = this.asked.get(hex(from))!.hash;
    const out: SearchAction[] = [];
    const hints = peers.slice(0, this.limits.maxHintsPerReply);
    if (this.kind === 'exploration') {
      this.exploreAnswered = true;
      for (const h of hints) {
        if (h.length !== 32 || h.equals(ZERO_HASH) || this.excluded.has(hex(h)) || this.ctx.getRouterInfo(h)) continue;
        this.requestFetch(h, replier, out);
      }
    } else if (!this.onlyPeers) {
      for (const h of hints) {
        const k = hex(h);
        if (h.length !== 32 || h.equals(this.key) || this.excluded.has(k) || this.asked.has(k) || this.candidates.has(k)) continue;
        const ri = this.ctx.getRouterInfo(h);
        if (ri) {
          if (isUsableFloodfill(ri)) this.candidates.set(k, ri.hash);
        } else {
          this.requestFetch(h, replier, out);
        }
      }
    }
    return out.concat(this.step(now));
  }

  /** The outcome of a fetch this search asked for. */
  onFetchResult(hash: Uint8Array, ri: RouterInfo | undefined, now: number): SearchAction[] {
    const k = hex(hash);
    if (!this.pendingFetches.delete(k) || this.result) return [];
    if (ri) {
      this.learnt.push(ri.hash);
      if (this.kind !== 'exploration' && !this.asked.has(k) && !this.excluded.has(k) && isUsableFloodfill(ri)) this.candidates.set(k, ri.hash);
    }
    return this.step(now);
  }

  /** The lookup to `to` could not be sent (no session and no way to dial): that peer failed now. */
  onSendFailed(to: Uint8Array, now: number): SearchAction[] {
    const a = this.asked.get(hex(to));
    if (this.result || !a || a.state !== 'inflight') return [];
    a.state = 'failed';
    return this.step(now);
  }

  /** Makes `peer` the next one asked (another part of the router knows it has the entry). */
  addPeer(peer: Buffer, now: number): SearchAction[] {
    const k = hex(peer);
    if (this.result || this.asked.has(k) || this.excluded.has(k)) return [];
    this.candidates.delete(k);
    this.preferred.push(peer);
    return this.step(now);
  }

  /** Timeouts. */
  tick(now: number): SearchAction[] {
    if (this.result) return [];
    if (now - this.startedAt >= this.limits.totalTimeoutMs) return [{ done: this.finish(this.answeredOutcome(), now) }];
    let changed = false;
    for (const a of this.asked.values()) {
      if (a.state === 'inflight' && now - a.sentAt >= this.limits.perPeerTimeoutMs) {
        a.state = 'timedout';
        changed = true;
      }
    }
    return changed ? this.step(now) : [];
  }

  /** Ends the search without a result (router stopping). */
  cancel(now: number): SearchResult | undefined {
    return this.result ? undefined : this.finish('cancelled', now);
  }

  /** Earliest time tick() has something to do. */
  get nextDeadline(): number {
    let t = this.startedAt + this.limits.totalTimeoutMs;
    for (const a of this.asked.values()) if (a.state === 'inflight') t = Math.min(t, a.sentAt + this.limits.perPeerTimeoutMs);
    return t;
  }

  // -------------------------------------------------------------------------------------------

  /** Sends what the limits allow, then ends the search when nothing is left to wait for. */
  private step(now: number): SearchAction[] {
    if (this.result) return [];
    const out: SearchAction[] = [];
    const exploring = this.kind === 'exploration';
    if (!(exploring && this.exploreAnswered)) {
      while (this.inflight() < this.limits.parallelism && this.asked.size < this.limits.maxPeers) {
        const next = this.nextCandidate();
        if (!next) break;
        out.push({ send: this.ask(next, now) });
      }
    }
    // Nothing in flight after the loop means nothing more can be sent: unless fetches may
    // still bring candidates, the search is over.
    if (this.inflight() === 0 && this.pendingFetches.size === 0) {
      out.push({ done: this.finish(this.asked.size === 0 ? 'no-floodfills' : this.answeredOutcome(), now) });
    }
    return out;
  }

  private answeredOutcome(): SearchOutcome {
    if (this.replies === 0) return 'timeout';
    return this.kind === 'exploration' ? 'explored' : 'not-found';
  }

  private inflight(): number {
    let n = 0;
    for (const a of this.asked.values()) if (a.state === 'inflight') n++;
    return n;
  }

  /** A preferred peer, else the closest candidate (onlyPeers: the first given). */
  private nextCandidate(): Buffer | undefined {
    while (this.preferred.length) {
      const p = this.preferred.shift()!;
      if (!this.asked.has(hex(p))) return p;
    }
    let best: Buffer | undefined;
    for (const h of this.candidates.values()) {
      if (this.onlyPeers) {
        best = h;
        break;
      }
      if (!best || compareDistance(this.rkey, h, best) < 0) best = h;
    }
    if (best) this.candidates.delete(hex(best));
    return best;
  }

  private ask(peer: Buffer, now: number): SendLookup {
    this.asked.set(hex(peer), { hash: peer, sentAt: now, state: 'inflight' });
    this.askedOrder.push(peer);
    return { to: peer, lookup: this.buildLookup() };
  }

  private buildLookup(): DatabaseLookup {
    const lookupType = this.kind === 'routerInfo' ? LookupType.RouterInfo : this.kind === 'leaseSet' ? LookupType.LeaseSet : LookupType.Exploration;
    const excludedPeers = [...this.excludedList, ...this.askedOrder].slice(0, MAX_EXCLUDED_PEERS - this.limits.exploreExcludeKnown - 2);
    if (this.kind === 'exploration') {
      // Type 3 already means "non-floodfills only"; the all-zero hash says the same to
      // routers older than 0.9.16 (i2np.rst). Known routers near the key are excluded so the
      // answer names routers we do not have.
      excludedPeers.push(ZERO_HASH, this.ourHash);
      const known = [...this.ctx.routerInfos()].filter((ri) => !ri.floodfill);
      for (const ri of closest(this.rkey, known, this.limits.exploreExcludeKnown)) excludedPeers.push(ri.hash);
    }
    return { key: this.key, from: this.ourHash, lookupType, excludedPeers };
  }

  private markReplied(from: Uint8Array): void {
    const a = this.asked.get(hex(from));
    if (a && a.state !== 'replied') {
      a.state = 'replied';
      this.replies++;
    }
  }

  private requestFetch(hash: Buffer, from: Buffer, out: SearchAction[]): void {
    const k = hex(hash);
    if (this.fetchTried.has(k) || this.fetchTried.size >= this.limits.maxFetches) return;
    this.fetchTried.add(k);
    this.pendingFetches.set(k, hash);
    out.push({ fetch: { hash, from } });
  }

  private finish(outcome: SearchOutcome, now: number, entry: { routerInfo?: RouterInfo; leaseSet?: StoredLeaseSet } = {}): SearchResult {
    this.result = {
      key: this.key,
      kind: this.kind,
      outcome,
      ...entry,
      queried: [...this.askedOrder],
      replies: this.replies,
      learnt: [...this.learnt],
      elapsedMs: now - this.startedAt,
    };
    this.candidates.clear();
    this.preferred.length = 0;
    this.pendingFetches.clear();
    return this.result;
  }
}

/** A random key for an exploration (i2np.rst: "usually generated randomly"). */
export function randomExplorationKey(): Buffer {
  return randomBytes(32);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
