/**
 * What our router remembers about other routers as tunnel hops (tunnel-selection in
 * docs/how/peer-selection: "peer profiling" — capacity and speed from what a peer actually did
 * for us): build requests it accepted, rejected or never answered, and the tests of tunnels it
 * was part of. Counts decay exponentially (half-life `halfLifeMs`), so a peer that was
 * overloaded an hour ago is not punished forever and a good record has to be kept up.
 *
 * Pure: the time comes in with every call. Bounded: at most `maxPeers` profiles, the least
 * recently updated one is forgotten first (a Map keeps insertion order; updates re-insert).
 */

export type BuildOutcome = 'accepted' | 'rejected' | 'timeout';

export interface PeerProfileOptions {
  /** Most profiles kept; default 2000. */
  maxPeers?: number;
  /** Half-life of the decaying counts; default 30 minutes. */
  halfLifeMs?: number;
  /** A rejection makes the peer "bad" for this long (it said it is overloaded); default 150 s. */
  declinedRecentlyMs?: number;
}

/** Decayed counts as of `updated`. */
interface Counts {
  accepted: number;
  rejected: number;
  timedOut: number;
  testsOk: number;
  testsFailed: number;
}

/** What a caller can read about one peer, decayed to the time asked for. */
export interface PeerProfileSnapshot extends Counts {
  /** Smoothed build reply time per hop (ms), undefined before the first answer. */
  replyMs: number | undefined;
  lastRejectedAt: number | undefined;
  /** 0..1: how much of what we asked of the peer worked (0.5 when we know nothing). */
  reliability: number;
  /** 0..1, higher is better: reliability weighted by speed. */
  score: number;
  bad: boolean;
}

class Profile implements Counts {
  accepted = 0;
  rejected = 0;
  timedOut = 0;
  testsOk = 0;
  testsFailed = 0;
  replyMs: number | undefined;
  lastRejectedAt: number | undefined;
  constructor(public updated: number) {}
}

const COUNT_KEYS = ['accepted', 'rejected', 'timedOut', 'testsOk', 'testsFailed'] as const;
/** Weight of a new reply time in the moving average. */
const REPLY_EWMA_WEIGHT = 0.3;
/** A reply time at which the speed factor is one half. */
const REFERENCE_REPLY_MS = 1_000;
/** A peer we never heard from counts as this slow. */
const UNKNOWN_REPLY_MS = 500;
/** Below this much (decayed) evidence a ratio says nothing; above it a bad ratio makes a peer bad. */
const MIN_EVIDENCE = 4;

export class PeerProfiles {
  private readonly peers = new Map<string, Profile>();
  private readonly maxPeers: number;
  private readonly halfLifeMs: number;
  private readonly declinedRecentlyMs: number;
  /** Profiles forgotten to stay within maxPeers. */
  evicted = 0;

  constructor(opts: PeerProfileOptions = {}) {
    this.maxPeers = opts.maxPeers ?? 2000;
    this.halfLifeMs = opts.halfLifeMs ?? 30 * 60_000;
    this.declinedRecentlyMs = opts.declinedRecentlyMs ?? 150_000;
    if (!Number.isInteger(this.maxPeers) || this.maxPeers < 1) throw new RangeError('maxPeers must be at least 1');
    if (!(this.halfLifeMs > 0)) throw new RangeError('halfLifeMs must be positive');
  }

  get size(): number {
    return this.peers.size;
  }

  /** One hop's answer to a build request; `replyMs` (accept or reject) is the time per hop the reply took. */
  recordBuild(hash: Uint8Array, outcome: BuildOutcome, now: number, replyMs?: number): void {
    const p = this.update(hash, now);
    if (outcome === 'accepted') p.accepted++;
    else if (outcome === 'rejected') {
      p.rejected++;
      p.lastRejectedAt = now;
    } else p.timedOut++;
    if (replyMs !== undefined && outcome !== 'timeout' && Number.isFinite(replyMs) && replyMs >= 0) {
      p.replyMs = p.replyMs === undefined ? replyMs : p.replyMs + REPLY_EWMA_WEIGHT * (replyMs - p.replyMs);
    }
  }

  /** The test of a tunnel the peer is a hop of. */
  recordTest(hash: Uint8Array, ok: boolean, now: number): void {
    const p = this.update(hash, now);
    if (ok) p.testsOk++;
    else p.testsFailed++;
  }

  get(hash: Uint8Array, now: number): PeerProfileSnapshot | undefined {
    const p = this.peers.get(key(hash));
    if (!p) return undefined;
    return this.snapshot(p, now);
  }

  /** Selection weight factor: 0..1, 0.5 × speed for an unknown peer. */
  score(hash: Uint8Array, now: number): number {
    const p = this.peers.get(key(hash));
    return p ? this.snapshot(p, now).score : reliabilityScore(0, 0) * speedFactor(undefined);
  }

  /**
   * Whether to leave the peer out of new tunnels: it rejected a request recently (it is
   * overloaded or does not want us), or what we asked of it mostly failed — rejections, builds
   * it never answered, tests of its tunnels that did not come back.
   */
  isBad(hash: Uint8Array, now: number): boolean {
    const p = this.peers.get(key(hash));
    return p !== undefined && this.snapshot(p, now).bad;
  }

  private snapshot(p: Profile, now: number): PeerProfileSnapshot {
    const f = this.decayFactor(p.updated, now);
    const c: Counts = { accepted: p.accepted * f, rejected: p.rejected * f, timedOut: p.timedOut * f, testsOk: p.testsOk * f, testsFailed: p.testsFailed * f };
    const good = c.accepted + c.testsOk;
    const failures = c.rejected + c.timedOut + c.testsFailed;
    const reliability = reliabilityScore(good, failures);
    const declinedRecently = p.lastRejectedAt !== undefined && now - p.lastRejectedAt < this.declinedRecentlyMs;
    const mostlyFailing = good + failures >= MIN_EVIDENCE && failures > 3 * (good + 1);
    return { ...c, replyMs: p.replyMs, lastRejectedAt: p.lastRejectedAt, reliability, score: reliability * speedFactor(p.replyMs), bad: declinedRecently || mostlyFailing };
  }

  private decayFactor(from: number, now: number): number {
    return now > from ? Math.pow(0.5, (now - from) / this.halfLifeMs) : 1;
  }

  /** The profile decayed to `now` and moved to the young end of the eviction order. */
  private update(hash: Uint8Array, now: number): Profile {
    const k = key(hash);
    let p = this.peers.get(k);
    if (p) {
      const f = this.decayFactor(p.updated, now);
      for (const c of COUNT_KEYS) p[c] *= f;
      p.updated = Math.max(p.updated, now);
      this.peers.delete(k);
    } else {
      p = new Profile(now);
      while (this.peers.size >= this.maxPeers) {
        this.peers.delete(this.peers.keys().next().value!);
        this.evicted++;
      }
    }
    this.peers.set(k, p);
    return p;
  }
}

/** Laplace-smoothed share of successes: 0.5 with no evidence. */
function reliabilityScore(good: number, failures: number): number {
  return (good + 1) / (good + failures + 2);
}

/** 1 for an instant answer, 0.5 at REFERENCE_REPLY_MS, falling towards 0 for slow peers. */
function speedFactor(replyMs: number | undefined): number {
  return REFERENCE_REPLY_MS / (REFERENCE_REPLY_MS + (replyMs ?? UNKNOWN_REPLY_MS));
}

function key(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
