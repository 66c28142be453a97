/**
 * Publishing our RouterInfo to the floodfills, sans-IO scheduling (i2np.rst DatabaseStore
 * "reply token"; docs/discussions-netdb: "send the data to a peer in the floodfill netDb, wait
 * 10 seconds, pick a random peer in the netDb and ask them for the entry ... If the
 * verification peer doesn't reply, or they don't have the entry, the sender repeats").
 *
 * A round:
 * 1. Store (DatabaseStore with a reply token, direct reply to us) at the floodfill closest to
 *    our hash by today's routing key; in the last 45 minutes before UTC midnight also at the
 *    closest one by tomorrow's key (kademlia.ts NEXT_ROUTING_KEY_RI_ADVANCE_MS), so lookups
 *    right after the rollover find us.
 * 2. The DeliveryStatus carrying the token means that floodfill stored it (and, being a
 *    floodfill, flooded it on to its closest floodfills). No status within ackTimeoutMs: try
 *    the next closest floodfill.
 * 3. verifyDelayMs later, look our RouterInfo up at a DIFFERENT floodfill (the closest one we
 *    did not store to, which the flood should have reached) and check the returned
 *    `published` is at least that of the RouterInfo we stored. Failure: store at the next
 *    floodfill and verify again, up to maxAttempts stores per round.
 *
 * Rounds repeat every intervalMs: i2pd republishes every 40 minutes (NETDB_PUBLISH_INTERVAL),
 * Java I2P every 52 minutes (PublishLocalRouterInfoJob); floodfills drop RouterInfos of
 * non-floodfills about an hour after their `published` date (i2pd
 * NETDB_FLOODFILL_EXPIRATION_TIMEOUT), so each round must carry a freshly signed RouterInfo.
 * We use i2pd's 40 minutes. A failed round is retried after retryDelayMs.
 */
import { randomInt } from 'node:crypto';
import type { RouterInfo } from '../data/router-info.js';
import { msUntilMidnightUtc, NEXT_ROUTING_KEY_RI_ADVANCE_MS } from './kademlia.js';

export interface PublisherContext {
  closestFloodfills(key: Uint8Array, n: number, exclude?: ReadonlySet<string>, now?: number): RouterInfo[];
}

export interface PublisherOptions {
  ourHash: Buffer;
  context: PublisherContext;
  /** Between successful rounds; default 40 min (i2pd). */
  intervalMs?: number;
  /** First round this long after start(); default 2 s (i2pd publishes as soon as it is online). */
  firstDelayMs?: number;
  /** Waiting for a store's DeliveryStatus; default 10 s. */
  ackTimeoutMs?: number;
  /** From the acknowledgement to the verifying lookup; default 15 s (flooding takes a moment). */
  verifyDelayMs?: number;
  /** Safety bound on the verifying lookup (its own search timeouts normally end it first); default 30 s. */
  verifyTimeoutMs?: number;
  /** Stores per round; default 5. */
  maxAttempts?: number;
  /** After a failed round; default 2 min. */
  retryDelayMs?: number;
  /** Reply tokens (non-zero u32); default crypto randomInt. */
  randomToken?: () => number;
}

export type PublishFailure = 'no-floodfills' | 'no-ack' | 'verify-failed' | 'no-verifier' | 'cancelled';

export interface PublishResult {
  /** Floodfills that acknowledged the store. */
  storedAt: Buffer[];
  verified: boolean;
  /** Stores sent in this round (not counting the next-day extra). */
  attempts: number;
  /** Why not verified. 'no-verifier': acknowledged, but no other floodfill exists to verify at. */
  reason?: PublishFailure;
  published: number;
}

export type PublishAction =
  | { store: { to: Buffer; token: number } }
  /** Look our RouterInfo up at `to` (one peer) and report with onVerifyResult. */
  | { verify: { to: Buffer } }
  | { done: PublishResult };

export interface PublisherCounters {
  rounds: number;
  stores: number;
  acks: number;
  ackTimeouts: number;
  verifications: number;
  verified: number;
  verifyFailures: number;
  roundsFailed: number;
}

interface PendingStore {
  to: Buffer;
  deadline: number;
  /** The next-day store: its acknowledgement counts, its silence does not fail the round. */
  extra: boolean;
}

interface Round {
  published: number;
  attempts: number;
  tried: Set<string>;
  storedAt: Buffer[];
  pending: Map<number, PendingStore>;
  phase: 'storing' | 'awaiting-verify' | 'verifying';
  verifyAt: number;
  verifyDeadline: number;
  verifiersTried: Set<string>;
  verifier: Buffer | undefined;
}

export class Publisher {
  readonly counters: PublisherCounters = { rounds: 0, stores: 0, acks: 0, ackTimeouts: 0, verifications: 0, verified: 0, verifyFailures: 0, roundsFailed: 0 };
  private round: Round | undefined;
  private nextRoundAt: number | undefined;
  private lastResult: PublishResult | undefined;
  private readonly intervalMs: number;
  private readonly ackTimeoutMs: number;
  private readonly verifyDelayMs: number;
  private readonly verifyTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly randomToken: () => number;

  constructor(private readonly opts: PublisherOptions) {
    this.intervalMs = opts.intervalMs ?? 40 * 60_000;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    this.verifyDelayMs = opts.verifyDelayMs ?? 15_000;
    this.verifyTimeoutMs = opts.verifyTimeoutMs ?? 30_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryDelayMs = opts.retryDelayMs ?? 2 * 60_000;
    this.randomToken = opts.randomToken ?? (() => randomInt(1, 0xffffffff));
  }

  /** Schedules the first round. */
  start(now: number): void {
    this.nextRoundAt = now + (this.opts.firstDelayMs ?? 2_000);
  }

  /** Stops scheduling; a running round ends as 'cancelled'. */
  stop(): PublishAction[] {
    this.nextRoundAt = undefined;
    return this.round ? [{ done: this.finish(false, 0, 'cancelled') }] : [];
  }

  get running(): boolean {
    return this.round !== undefined;
  }

  /** When a round is due (undefined: none scheduled or one is running). */
  get nextRoundDue(): number | undefined {
    return this.round ? undefined : this.nextRoundAt;
  }

  get last(): PublishResult | undefined {
    return this.lastResult;
  }

  /** True when the next scheduled round is due: the shell refreshes our RouterInfo, then calls publishNow. */
  due(now: number): boolean {
    return !this.round && this.nextRoundAt !== undefined && now >= this.nextRoundAt;
  }

  /** Starts a round for a RouterInfo published at `published` (nothing if one is running). */
  publishNow(now: number, published: number): PublishAction[] {
    if (this.round) return [];
    this.counters.rounds++;
    this.round = {
      published,
      attempts: 0,
      tried: new Set(),
      storedAt: [],
      pending: new Map(),
      phase: 'storing',
      verifyAt: 0,
      verifyDeadline: 0,
      verifiersTried: new Set(),
      verifier: undefined,
    };
    const out = this.storeNext(now);
    const r = this.round;
    if (r && msUntilMidnightUtc(now) < NEXT_ROUTING_KEY_RI_ADVANCE_MS) {
      const tomorrow = this.opts.context.closestFloodfills(this.opts.ourHash, 1, r.tried, now + msUntilMidnightUtc(now))[0];
      if (tomorrow) out.push(this.store(tomorrow.hash, now, true));
    }
    return out;
  }

  /** A DeliveryStatus arrived; returns whether it acknowledged one of our stores. */
  onDeliveryStatus(token: number, now: number): { matched: boolean; actions: PublishAction[] } {
    const r = this.round;
    const p = r?.pending.get(token);
    if (!r || !p) return { matched: false, actions: [] };
    r.pending.delete(token);
    this.counters.acks++;
    r.storedAt.push(p.to);
    if (!p.extra && r.phase === 'storing') {
      r.phase = 'awaiting-verify';
      r.verifyAt = now + this.verifyDelayMs;
    }
    return { matched: true, actions: [] };
  }

  /** The store with `token` could not even be sent: no point waiting for its acknowledgement. */
  onSendFailed(token: number, now: number): PublishAction[] {
    const p = this.round?.pending.get(token);
    if (!p) return [];
    p.deadline = now;
    return this.tick(now);
  }

  /** The verifying lookup ended: `ri` is what the floodfill returned, if anything. */
  onVerifyResult(ri: RouterInfo | undefined, now: number): PublishAction[] {
    const r = this.round;
    if (!r || r.phase !== 'verifying') return [];
    if (ri && ri.hash.equals(this.opts.ourHash) && ri.published >= r.published) {
      this.counters.verified++;
      return [{ done: this.finish(true, now) }];
    }
    this.counters.verifyFailures++;
    r.phase = 'storing';
    return this.storeNext(now);
  }

  /** Timeouts and due steps. Scheduled rounds start through due()/publishNow(). */
  tick(now: number): PublishAction[] {
    const r = this.round;
    if (!r) return [];
    const out: PublishAction[] = [];
    let mainTimedOut = false;
    for (const [token, p] of r.pending) {
      if (now < p.deadline) continue;
      r.pending.delete(token);
      this.counters.ackTimeouts++;
      if (!p.extra) mainTimedOut = true;
    }
    if (mainTimedOut && r.phase === 'storing') out.push(...this.storeNext(now));
    else if (r.phase === 'awaiting-verify' && now >= r.verifyAt) out.push(...this.verifyNext(now));
    else if (r.phase === 'verifying' && now >= r.verifyDeadline) {
      // A verifier that never answered is probably down: not a store target either.
      if (r.verifier) r.tried.add(r.verifier.toString('hex'));
      out.push(...this.onVerifyResult(undefined, now));
    }
    return out;
  }

  /** Earliest time tick() has something to do (Infinity when idle). */
  get nextDeadline(): number {
    const r = this.round;
    if (!r) return this.nextRoundAt ?? Infinity;
    let t = r.phase === 'awaiting-verify' ? r.verifyAt : r.phase === 'verifying' ? r.verifyDeadline : Infinity;
    for (const p of r.pending.values()) t = Math.min(t, p.deadline);
    return t;
  }

  // -------------------------------------------------------------------------------------------

  private storeNext(now: number): PublishAction[] {
    const r = this.round!;
    if (r.attempts >= this.maxAttempts) return [{ done: this.finish(false, now, r.storedAt.length ? 'verify-failed' : 'no-ack') }];
    const target = this.opts.context.closestFloodfills(this.opts.ourHash, 1, r.tried, now)[0];
    if (!target) {
      const reason = r.attempts === 0 ? 'no-floodfills' : r.storedAt.length ? 'verify-failed' : 'no-ack';
      return [{ done: this.finish(false, now, reason) }];
    }
    r.attempts++;
    return [this.store(target.hash, now, false)];
  }

  private store(to: Buffer, now: number, extra: boolean): PublishAction {
    const r = this.round!;
    let token = this.randomToken();
    while (token === 0 || r.pending.has(token)) token = this.randomToken();
    r.tried.add(to.toString('hex'));
    r.pending.set(token, { to, deadline: now + this.ackTimeoutMs, extra });
    this.counters.stores++;
    return { store: { to, token } };
  }

  private verifyNext(now: number): PublishAction[] {
    const r = this.round!;
    // Not a floodfill we stored to (nor one that failed to take the store), nor a previous verifier.
    const exclude = new Set([...r.tried, ...r.verifiersTried]);
    const verifier = this.opts.context.closestFloodfills(this.opts.ourHash, 1, exclude, now)[0];
    // Stored and acknowledged, but alone: nobody else to ask. The store itself stands.
    if (!verifier) return [{ done: this.finish(false, now, 'no-verifier') }];
    r.verifiersTried.add(verifier.hash.toString('hex'));
    r.verifier = verifier.hash;
    r.phase = 'verifying';
    r.verifyDeadline = now + this.verifyTimeoutMs;
    this.counters.verifications++;
    return [{ verify: { to: verifier.hash } }];
  }

  private finish(verified: boolean, now: number, reason?: PublishFailure): PublishResult {
    const r = this.round!;
    this.round = undefined;
    const result: PublishResult = { storedAt: r.storedAt, verified, attempts: r.attempts, published: r.published, ...(reason ? { reason } : {}) };
    this.lastResult = result;
    if (reason === 'cancelled') return result;
    const ok = verified || reason === 'no-verifier';
    if (!ok) this.counters.roundsFailed++;
    this.nextRoundAt = now + (ok ? this.intervalMs : this.retryDelayMs);
    return result;
  }
}
