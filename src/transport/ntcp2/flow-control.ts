/**
 * Flow control of the NTCP2 send backlogs. Pure: backlog sizes and times in, decisions out; the
 * transport shell pauses and resumes the sockets.
 *
 * A session's backlog is what we owe its peer: I2NP messages queued plus encrypted bytes handed to
 * the socket and not yet taken by the kernel. A relay reads messages from some sessions and writes
 * them to others; when a peer reads slower than the others send to us, its backlog grows.
 *
 * 1. Hard bounds: a message is queued only if its session's backlog stays within maxSessionBytes
 *    and the sum of all backlogs within maxTotalBytes; otherwise it is dropped and counted (I2NP is
 *    unreliable, the end-to-end protocols retransmit). Memory stays bounded whatever peers do.
 * 2. Back-pressure: a session whose backlog reaches highWaterBytes is congested until it falls to
 *    lowWaterBytes. While any session is congested the transport stops reading from every other
 *    session, so the traffic that would feed it waits in the senders' TCP buffers (TCP's own flow
 *    control carries the pressure upstream) instead of being dropped here. Congested sessions
 *    themselves keep being read: two routers congested towards each other would otherwise each
 *    wait for the other to read first.
 * 3. Bounded pause: reads never stay paused more than maxPauseMs in a row. When they have, every
 *    congested session is declared slow: it no longer pauses anything (its backlog fills to the
 *    hard bound, then drops) until slowCooldownMs have passed and its backlog is back at low water.
 *    This breaks wait cycles through three or more routers (A waits for B to read, B for C, C for
 *    A) and keeps one slow peer from throttling the whole router to its pace.
 * 4. A session whose backlog has not moved for stallTimeoutMs is closed (checked by the session):
 *    its peer does not read at all.
 */

export interface FlowControlOptions {
  /** A session's backlog at which reads from the other sessions pause (256 KiB). */
  highWaterBytes: number;
  /** Backlog at which a congested session stops pausing them (64 KiB). */
  lowWaterBytes: number;
  /** Hard bound of one session's backlog; beyond it messages are dropped (4 MiB). */
  maxSessionBytes: number;
  /** Hard bound of all sessions' backlogs together (32 MiB). */
  maxTotalBytes: number;
  /** Longest continuous read pause (1 s). */
  maxPauseMs: number;
  /** How long a session declared slow cannot pause reads again (10 s). */
  slowCooldownMs: number;
  /** Close a session whose backlog made no progress for this long (60 s). */
  stallTimeoutMs: number;
}

export const DEFAULT_FLOW_CONTROL: FlowControlOptions = {
  highWaterBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  maxSessionBytes: 4 * 1024 * 1024,
  maxTotalBytes: 32 * 1024 * 1024,
  maxPauseMs: 1_000,
  slowCooldownMs: 10_000,
  stallTimeoutMs: 60_000,
};

/** Where the flow control counts its actions (a subset of NTCP2Counters). */
export interface FlowControlStats {
  /** Times some session became congested while none was (reads of the others paused). */
  congestions: number;
  /** Total time at least one session was congested, ms. */
  congestedMs: number;
  /** Congested sessions declared slow because the pause lasted maxPauseMs. */
  slowPeers: number;
}

/** Checks the options: refuses bounds that contradict each other. */
export function flowControlOptions(o: Partial<FlowControlOptions> = {}): FlowControlOptions {
  const r = { ...DEFAULT_FLOW_CONTROL, ...o };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`NTCP2 flow control: ${k} must be a positive integer, got ${v}`);
  }
  if (!(r.lowWaterBytes < r.highWaterBytes && r.highWaterBytes <= r.maxSessionBytes && r.maxSessionBytes <= r.maxTotalBytes)) {
    throw new RangeError('NTCP2 flow control: need lowWaterBytes < highWaterBytes <= maxSessionBytes <= maxTotalBytes');
  }
  return r;
}

export class FlowControl {
  readonly opts: FlowControlOptions;
  /** Sum of all backlogs. */
  totalBytes = 0;
  private readonly backlogs = new Map<number, number>();
  private readonly congested = new Set<number>();
  /** Sessions declared slow -> end of their cooldown. */
  private readonly slowUntil = new Map<number, number>();
  private pausedSince: number | undefined;

  constructor(
    opts: Partial<FlowControlOptions>,
    private readonly stats: FlowControlStats,
  ) {
    this.opts = flowControlOptions(opts);
  }

  /** Whether `extra` more bytes may join session `id`'s backlog. */
  admits(id: number, extra: number): boolean {
    return (this.backlogs.get(id) ?? 0) + extra <= this.opts.maxSessionBytes && this.totalBytes + extra <= this.opts.maxTotalBytes;
  }

  /** True while reads are paused (some session is congested). */
  get paused(): boolean {
    return this.congested.size > 0;
  }

  /** When the current pause must end at the latest (see expire()). */
  get pauseDeadline(): number | undefined {
    return this.pausedSince === undefined ? undefined : this.pausedSince + this.opts.maxPauseMs;
  }

  /** Whether the transport should read from session `id` now. */
  shouldRead(id: number): boolean {
    return this.congested.size === 0 || this.congested.has(id);
  }

  isSlow(id: number): boolean {
    return this.slowUntil.has(id);
  }

  /**
   * Records session `id`'s backlog. Returns true when the read decision changed for some session
   * (the shell then re-applies shouldRead() to all of them).
   */
  update(id: number, backlog: number, now: number): boolean {
    this.totalBytes += backlog - (this.backlogs.get(id) ?? 0);
    this.backlogs.set(id, backlog);
    const slow = this.slowUntil.get(id);
    if (slow !== undefined) {
      if (now < slow || backlog > this.opts.lowWaterBytes) return false;
      this.slowUntil.delete(id);
    }
    if (this.congested.has(id)) {
      if (backlog > this.opts.lowWaterBytes) return false;
      this.congested.delete(id);
    } else {
      if (backlog < this.opts.highWaterBytes) return false;
      this.congested.add(id);
    }
    this.refresh(now);
    return true;
  }

  /** Forgets a closed session. Returns true when the read decision changed. */
  remove(id: number, now: number): boolean {
    this.totalBytes -= this.backlogs.get(id) ?? 0;
    this.backlogs.delete(id);
    this.slowUntil.delete(id);
    if (!this.congested.delete(id)) return false;
    this.refresh(now);
    return true;
  }

  /**
   * Ends a pause that reached maxPauseMs: the congested sessions are declared slow. Returns true
   * when it did (the shell then resumes reading).
   */
  expire(now: number): boolean {
    const deadline = this.pauseDeadline;
    if (deadline === undefined || now < deadline) return false;
    for (const id of this.congested) {
      this.slowUntil.set(id, now + this.opts.slowCooldownMs);
      this.stats.slowPeers++;
    }
    this.congested.clear();
    this.refresh(now);
    return true;
  }

  private refresh(now: number): void {
    if (this.congested.size > 0 && this.pausedSince === undefined) {
      this.pausedSince = now;
      this.stats.congestions++;
    } else if (this.congested.size === 0 && this.pausedSince !== undefined) {
      this.stats.congestedMs += now - this.pausedSince;
      this.pausedSince = undefined;
    }
  }
}
