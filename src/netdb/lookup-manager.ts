/**
 * All netDb searches of this router, sans-IO: bounds how many run, merges concurrent lookups
 * of the same key, routes incoming DatabaseStore / DatabaseSearchReply messages to the search
 * they answer, runs the RouterInfo fetches searches ask for, retries a failed search once
 * without the peers it already asked, and counts. Methods take `now` and return the lookups to
 * send; results are delivered to the requests' onDone callbacks (synchronously, from inside
 * the call that completed them) and also listed in the returned `done`.
 *
 * Fetches (RouterInfo lookups of hinted routers at the replying floodfill) have their own
 * bound and never queue behind ordinary searches: a search waiting for its fetches holds its
 * slot, so fetches queued behind such searches could wait forever.
 */
import type { RouterInfo } from '../data/router-info.js';
import type { DatabaseSearchReply } from '../i2np/database-search-reply.js';
import type { StoredLeaseSet } from './netdb-store.js';
import { Search, type SearchAction, type SearchContext, type SearchKind, type SearchLimits, type SearchResult, type SendLookup } from './search.js';

export interface LookupManagerOptions {
  ourHash: Buffer;
  context: SearchContext;
  limits?: Partial<SearchLimits>;
  /** Ordinary searches running at once; default 16. */
  maxConcurrent?: number;
  /** Waiting beyond maxConcurrent; more are refused at once. Default 64. */
  maxQueued?: number;
  /** Fetches running at once; more are refused (the asking search goes on without). Default 32. */
  maxFetches?: number;
}

export interface LookupRequest {
  key: Buffer;
  kind: SearchKind;
  /** Ask exactly these peers and follow no hints. */
  onlyPeers?: Buffer[];
  /** Retry once, without the peers asked, when the first attempt finds nothing. Default true for RouterInfo/LeaseSet searches. */
  retry?: boolean;
  limits?: Partial<SearchLimits>;
  onDone?: (r: SearchResult) => void;
}

export interface LookupOutput {
  send: SendLookup[];
  done: SearchResult[];
}

/** found / notFound / timeouts / noFloodfills count ordinary searches (after their retry); fetches have their own. */
export interface LookupCounters {
  started: number;
  merged: number;
  queued: number;
  refused: number;
  retried: number;
  found: number;
  notFound: number;
  timeouts: number;
  noFloodfills: number;
  explorations: number;
  fetches: number;
  fetchesFound: number;
  fetchesRefused: number;
  lookupsSent: number;
  storesMatched: number;
  badStores: number;
  searchRepliesMatched: number;
  searchRepliesUnmatched: number;
  sendFailures: number;
}

interface Entry {
  id: string;
  req: LookupRequest;
  search: Search | undefined;
  waiters: ((r: SearchResult) => void)[];
  /** Searches waiting for this one as a fetch of a router they were told about. */
  parents: { entry: Entry; hash: Buffer }[];
  retry: boolean;
  attempt: number;
  isFetch: boolean;
}

export class LookupManager {
  readonly counters: LookupCounters = {
    started: 0,
    merged: 0,
    queued: 0,
    refused: 0,
    retried: 0,
    found: 0,
    notFound: 0,
    timeouts: 0,
    noFloodfills: 0,
    explorations: 0,
    fetches: 0,
    fetchesFound: 0,
    fetchesRefused: 0,
    lookupsSent: 0,
    storesMatched: 0,
    badStores: 0,
    searchRepliesMatched: 0,
    searchRepliesUnmatched: 0,
    sendFailures: 0,
  };
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly maxFetches: number;
  private running = 0;
  private runningFetches = 0;

  constructor(private readonly opts: LookupManagerOptions) {
    this.maxConcurrent = opts.maxConcurrent ?? 16;
    this.maxQueued = opts.maxQueued ?? 64;
    this.maxFetches = opts.maxFetches ?? 32;
  }

  /** Searches running (ordinary, fetches) and waiting. */
  get sizes(): { running: number; fetches: number; queued: number } {
    return { running: this.running, fetches: this.runningFetches, queued: this.queue.length };
  }

  /** True when a RouterInfo or LeaseSet search for `key` is running or queued (a DatabaseStore for it is solicited). */
  isSearching(key: Uint8Array, kind: 'routerInfo' | 'leaseSet'): boolean {
    return this.entries.has(entryId(kind, key));
  }

  /** Starts (or joins, or queues) a search. */
  lookup(req: LookupRequest, now: number): LookupOutput {
    const out: LookupOutput = { send: [], done: [] };
    this.request(req, now, out, undefined);
    return out;
  }

  /**
   * A DatabaseStore for `key` arrived from `from` (the delivering peer) and the caller
   * verified and stored it: `entry` holds what the store now has. Undefined `entry` means the
   * store did not verify: the sender failed as a replier. Returns whether a search wanted it.
   */
  onDatabaseStore(key: Uint8Array, kind: 'routerInfo' | 'leaseSet', entry: { routerInfo?: RouterInfo; leaseSet?: StoredLeaseSet } | undefined, from: Uint8Array | undefined, now: number): LookupOutput & { matched: boolean } {
    const out: LookupOutput = { send: [], done: [] };
    const e = this.entries.get(entryId(kind, key));
    if (!e?.search) return { ...out, matched: false };
    if (entry) {
      this.counters.storesMatched++;
      this.process(e, e.search.onFound(entry, from, now), now, out);
    } else {
      this.counters.badStores++;
      if (from) this.process(e, e.search.onBadReply(from, now), now, out);
    }
    return { ...out, matched: true };
  }

  /** A DatabaseSearchReply delivered by `from` (the session's peer; the message's own `from` field is unauthenticated). */
  onSearchReply(m: DatabaseSearchReply, from: Uint8Array, now: number): LookupOutput & { matched: boolean } {
    const out: LookupOutput = { send: [], done: [] };
    let matched = false;
    for (const kind of ['routerInfo', 'leaseSet', 'exploration'] as const) {
      const e = this.entries.get(entryId(kind, m.key));
      const actions = e?.search?.onSearchReply(from, m.peers, now);
      if (!e || !actions) continue;
      matched = true;
      this.process(e, actions, now, out);
    }
    if (matched) this.counters.searchRepliesMatched++;
    else this.counters.searchRepliesUnmatched++;
    return { ...out, matched };
  }

  /** The lookup for `key` to `to` could not be sent. */
  onSendFailed(to: Uint8Array, lookup: SendLookup['lookup'], now: number): LookupOutput {
    const out: LookupOutput = { send: [], done: [] };
    this.counters.sendFailures++;
    for (const kind of ['routerInfo', 'leaseSet', 'exploration'] as const) {
      const e = this.entries.get(entryId(kind, lookup.key));
      if (e?.search) this.process(e, e.search.onSendFailed(to, now), now, out);
    }
    return out;
  }

  /** Timeouts of every running search. */
  tick(now: number): LookupOutput {
    const out: LookupOutput = { send: [], done: [] };
    for (const e of [...this.entries.values()]) if (e.search) this.process(e, e.search.tick(now), now, out);
    return out;
  }

  /** Earliest time tick() has something to do (Infinity when idle). */
  get nextDeadline(): number {
    let t = Infinity;
    for (const e of this.entries.values()) if (e.search) t = Math.min(t, e.search.nextDeadline);
    return t;
  }

  /** Ends everything with 'cancelled' (router stopping). */
  cancelAll(now: number): SearchResult[] {
    const done: SearchResult[] = [];
    this.queue.length = 0;
    for (const e of [...this.entries.values()]) {
      this.entries.delete(e.id);
      const r = e.search?.cancel(now) ?? refusedResult(e.req, now, 'cancelled');
      done.push(r);
      for (const w of e.waiters) w(r);
    }
    this.running = 0;
    this.runningFetches = 0;
    return done;
  }

  // -------------------------------------------------------------------------------------------

  private request(req: LookupRequest, now: number, out: LookupOutput, parent: { entry: Entry; hash: Buffer } | undefined): void {
    const isFetch = parent !== undefined;
    const id = entryId(req.kind, req.key);
    const existing = this.entries.get(id);
    if (existing) {
      this.counters.merged++;
      if (req.onDone) existing.waiters.push(req.onDone);
      if (parent) existing.parents.push(parent);
      if (req.retry ?? req.kind !== 'exploration') existing.retry ||= !isFetch;
      // A fetch names the peer that has the entry: ask it next.
      if (isFetch && existing.search && req.onlyPeers?.[0]) this.process(existing, existing.search.addPeer(req.onlyPeers[0], now), now, out);
      return;
    }
    const e: Entry = {
      id,
      req,
      search: undefined,
      waiters: req.onDone ? [req.onDone] : [],
      parents: parent ? [parent] : [],
      retry: !isFetch && (req.retry ?? req.kind !== 'exploration'),
      attempt: 1,
      isFetch,
    };
    if (isFetch) {
      if (this.runningFetches >= this.maxFetches) {
        this.counters.fetchesRefused++;
        this.complete(e, refusedResult(req, now, 'refused'), now, out);
        return;
      }
      this.counters.fetches++;
      this.entries.set(id, e);
      this.runningFetches++;
      this.startSearch(e, now, undefined, out);
      return;
    }
    if (this.running >= this.maxConcurrent) {
      if (this.queue.length >= this.maxQueued) {
        this.counters.refused++;
        this.complete(e, refusedResult(req, now, 'refused'), now, out);
        return;
      }
      this.counters.queued++;
      this.entries.set(id, e);
      this.queue.push(e);
      return;
    }
    this.entries.set(id, e);
    this.running++;
    this.startSearch(e, now, undefined, out);
  }

  private startSearch(e: Entry, now: number, exclude: Buffer[] | undefined, out: LookupOutput): void {
    this.counters.started++;
    if (e.req.kind === 'exploration') this.counters.explorations++;
    e.search = new Search(this.opts.context, {
      key: e.req.key,
      kind: e.req.kind,
      ourHash: this.opts.ourHash,
      now,
      limits: { ...this.opts.limits, ...e.req.limits },
      ...(exclude ? { exclude } : {}),
      ...(e.req.onlyPeers && e.attempt === 1 ? { onlyPeers: e.req.onlyPeers } : {}),
    });
    this.process(e, e.search.start(now), now, out);
  }

  /** Carries out a search's actions. */
  private process(e: Entry, actions: SearchAction[], now: number, out: LookupOutput): void {
    for (const a of actions) {
      if ('send' in a) {
        this.counters.lookupsSent++;
        out.send.push(a.send);
      } else if ('fetch' in a) {
        const { hash, from } = a.fetch;
        this.request({ key: hash, kind: 'routerInfo', onlyPeers: [from], retry: false }, now, out, { entry: e, hash });
      } else {
        this.complete(e, a.done, now, out);
      }
    }
  }

  private complete(e: Entry, r: SearchResult, now: number, out: LookupOutput): void {
    if (this.entries.get(e.id) === e) {
      // A failed first attempt is retried once, without the peers it asked.
      if (e.retry && e.attempt === 1 && (r.outcome === 'not-found' || r.outcome === 'timeout') && e.search) {
        this.counters.retried++;
        e.attempt = 2;
        this.startSearch(e, now, r.queried, out);
        return;
      }
      this.entries.delete(e.id);
      if (e.isFetch) this.runningFetches--;
      else this.running--;
    }
    if (e.isFetch) {
      if (r.outcome === 'found') this.counters.fetchesFound++;
    } else this.count(r);
    out.done.push(r);
    for (const w of e.waiters) w(r);
    for (const p of e.parents) {
      const s = p.entry.search;
      if (s && !s.done) this.process(p.entry, s.onFetchResult(p.hash, r.routerInfo, now), now, out);
    }
    if (!e.isFetch) this.startQueued(now, out);
  }

  private startQueued(now: number, out: LookupOutput): void {
    while (this.running < this.maxConcurrent && this.queue.length) {
      const e = this.queue.shift()!;
      this.running++;
      this.startSearch(e, now, undefined, out);
    }
  }

  private count(r: SearchResult): void {
    switch (r.outcome) {
      case 'found':
        this.counters.found++;
        break;
      case 'not-found':
        this.counters.notFound++;
        break;
      case 'timeout':
        this.counters.timeouts++;
        break;
      case 'no-floodfills':
        this.counters.noFloodfills++;
        break;
      default:
        break;
    }
  }
}

function entryId(kind: SearchKind, key: Uint8Array): string {
  return `${kind}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')}`;
}

function refusedResult(req: LookupRequest, now: number, outcome: 'refused' | 'cancelled'): SearchResult {
  return { key: req.key, kind: req.kind, outcome, queried: [], replies: 0, learnt: [], elapsedMs: 0 };
}
