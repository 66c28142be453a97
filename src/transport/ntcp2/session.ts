/**
 * One established NTCP2 session (data phase) over a TCP socket: the I/O half around the pure
 * NTCP2DataPhase. Owns the send queue (packed into frames once per event-loop tick, handed to the
 * socket a chunk at a time as the kernel takes it), reports its backlog to the transport's flow
 * control (which bounds it and may pause our reads), dispatches received blocks, and terminates on
 * any error.
 */
import type { Socket } from 'node:net';
import type { I2NPMessage } from '../../i2np/message.js';
import type { RouterInfo } from '../../data/router-info.js';
import type { Logger } from '../../util/log.js';
import { ProtocolError } from '../../util/errors.js';
import { BlockType, TerminationReason, terminationReasonName, type Block } from './blocks.js';
import type { NTCP2DataPhase } from './data-phase.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, checkPeerRouterInfo, unixSeconds, withinSkew } from './handshake-common.js';
import type { NTCP2Counters } from './counters.js';
import { bump } from './counters.js';
import type { FlowControl } from './flow-control.js';
import { SendQueue, wireSize } from './send-queue.js';

/** What a session needs from its transport. */
export interface SessionHost {
  readonly log: Logger;
  readonly counters: NTCP2Counters;
  readonly netId: number;
  now(): number;
  maxClockSkewMs?: number;
  /** Bounds the backlog (admits()); the session reports every change through backlogChanged(). */
  readonly flow: FlowControl;
  maxFramePayload: number;
  /** Probing-resistance delay before answering a data-phase AEAD failure. */
  aeadFailureDelayMs(): number;
  onMessage(msg: I2NPMessage, s: NTCP2Session): void;
  onRouterInfo(ri: RouterInfo, s: NTCP2Session, flood: boolean): void;
  onClosed(s: NTCP2Session, reason: string): void;
  /** The session's backlog changed (flow.update() and acting on its decision). */
  backlogChanged(s: NTCP2Session): void;
}

/** How long to wait for the peer to close after we sent a Termination, before destroying. */
const LINGER_MS = 2_000;

/**
 * Most bytes handed to the socket at once. The rest stays queued (and countable, droppable) until
 * the kernel took this chunk: Node's socket buffer would otherwise hold everything, unbounded.
 */
const WRITE_CHUNK_BYTES = 64 * 1024;

let nextId = 1;

export class NTCP2Session {
  readonly id = nextId++;
  /** The peer's router hash (SHA-256 of its RouterIdentity). */
  readonly remoteHash: Buffer;
  /** Hex of remoteHash, the key of the transport's session map. */
  readonly key: string;
  /** The peer's RouterInfo (from message 3, from connect(), or a later RouterInfo block). */
  remoteRouterInfo: RouterInfo;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedAt: number;
  lastActivity: number;
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  closed = false;
  closeReason: string | undefined;

  private readonly queue = new SendQueue();
  /** Bytes written to the socket whose write callback has not run yet (not taken by the kernel). */
  private inSocket = 0;
  /** Last time the backlog moved (or became non-empty): the stall timeout counts from here. */
  private sendProgressAt: number;
  private readPaused = false;
  private readPausedAt = 0;
  private flushScheduled = false;
  private waitingDrain = false;
  private terminating = false;
  /** When the partial frame now being received started arriving. */
  private frameStartedAt: number | undefined;

  constructor(
    private readonly host: SessionHost,
    private readonly socket: Socket,
    readonly dataPhase: NTCP2DataPhase,
    remoteRouterInfo: RouterInfo,
    /** True if the peer connected to us (we are Bob). */
    readonly inbound: boolean,
  ) {
    this.remoteRouterInfo = remoteRouterInfo;
    this.remoteHash = remoteRouterInfo.hash;
    this.key = this.remoteHash.toString('hex');
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.establishedAt = host.now();
    this.lastActivity = this.establishedAt;
    this.sendProgressAt = this.establishedAt;
  }

  /** Messages waiting to be sent. */
  get queueLength(): number {
    return this.queue.length;
  }

  /** What we owe the peer: queued message bytes plus bytes in the socket's buffer. */
  get backlogBytes(): number {
    return this.queue.bytes + this.inSocket;
  }

  /** Whether the transport paused reading from this session (flow control). */
  get readingPaused(): boolean {
    return this.readPaused;
  }

  /**
   * Pauses or resumes reading from the socket (flow control); TCP then pushes back on the peer.
   * Time spent paused does not count against the peer's intra-frame read timeout.
   */
  setReadPaused(paused: boolean): void {
    if (paused === this.readPaused || this.closed) return;
    this.readPaused = paused;
    const now = this.host.now();
    if (paused) {
      this.readPausedAt = now;
      this.host.counters.readPauses++;
      this.socket.pause();
    } else {
      if (this.frameStartedAt !== undefined) this.frameStartedAt += now - this.readPausedAt;
      this.socket.resume();
    }
  }

  /** Starts reading: `extra` holds data-phase bytes that arrived with the last handshake message. */
  start(extra: Buffer): void {
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('drain', () => {
      this.waitingDrain = false;
      this.scheduleFlush();
    });
    if (extra.length > 0) this.onData(extra);
  }

  /** Writes a first frame made of `blocks` plus any queued messages, immediately. */
  writeFrame(blocks: Block[], prefix?: Buffer): void {
    const frame = this.dataPhase.encodeFrame(blocks);
    this.host.counters.framesOut++;
    this.write(prefix ? Buffer.concat([prefix, frame]) : frame);
  }

  /**
   * Queues messages for sending; they are packed into frames on the next tick. Messages that
   * would take the backlog past the flow control's hard bounds are dropped and counted
   * ('backpressure'). Returns true if every message was queued.
   */
  enqueue(msgs: readonly I2NPMessage[]): boolean {
    if (this.closed || this.terminating) return false;
    if (this.backlogBytes === 0) this.sendProgressAt = this.host.now();
    let added = 0;
    let dropped = 0;
    for (const m of msgs) {
      const size = wireSize(m);
      if (!this.host.flow.admits(this.id, added + size)) {
        dropped++;
        continue;
      }
      this.queue.push(m);
      added += size;
    }
    if (dropped > 0) {
      this.host.counters.messagesDropped += dropped;
      bump(this.host.counters.dropReasons, 'backpressure', dropped);
    }
    if (added > 0) {
      this.host.backlogChanged(this);
      this.scheduleFlush();
    }
    return dropped === 0;
  }

  /** Moves the queued messages to another session (duplicate-session replacement). */
  takeQueue(): I2NPMessage[] {
    const q = this.queue.clear();
    this.host.backlogChanged(this);
    return q;
  }

  /**
   * Sends a Termination block and ends the socket (ntcp2.rst "Termination"). Idempotent.
   * `label` is the reason reported in the 'closed' event and counters.
   */
  terminate(reason: TerminationReason, label = terminationReasonName(reason)): void {
    if (this.closed || this.terminating) return;
    this.terminating = true;
    this.queue.clear();
    try {
      const frame = this.dataPhase.terminationFrame(reason);
      this.host.counters.framesOut++;
      bump(this.host.counters.terminationsSent, terminationReasonName(reason));
      this.write(frame);
    } catch (e) {
      this.host.log.debug({ err: e, peer: this.shortHash }, 'could not send Termination');
    }
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), LINGER_MS);
    t.unref();
    this.markClosed(label);
  }

  /** Closes without a Termination block (peer terminated, socket error, or abort). */
  destroy(label: string, reset = false): void {
    if (reset) this.socket.resetAndDestroy();
    else this.socket.destroy();
    this.markClosed(label);
  }

  /** Called by the transport when the socket closed. */
  socketClosed(): void {
    this.markClosed('socket-closed');
  }

  get shortHash(): string {
    return this.key.slice(0, 12);
  }

  private markClosed(label: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = label;
    this.queue.clear();
    // Bytes still in the socket buffer die with it; write callbacks after this are ignored.
    this.inSocket = 0;
    this.host.onClosed(this, label);
  }

  private write(buf: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const len = buf.length;
    this.bytesOut += len;
    this.host.counters.bytesOut += len;
    this.lastActivity = this.host.now();
    this.inSocket += len;
    if (!this.socket.write(buf, () => this.written(len))) this.waitingDrain = true;
  }

  /** Write callback: the kernel took `len` bytes (or the socket died, then closed is set). */
  private written(len: number): void {
    if (this.closed) return;
    this.inSocket -= len;
    this.sendProgressAt = this.host.now();
    this.host.backlogChanged(this);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingDrain || this.queue.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Packs what is queued into frames (several I2NP blocks per frame) and writes them, a chunk at
   * a time, until the socket's buffer is full; the 'drain' event brings us back.
   */
  private flush(): void {
    const now = this.host.now();
    const frameBudget = this.host.maxFramePayload;
    while (!this.closed && !this.terminating && !this.waitingDrain && this.queue.length > 0) {
      // Whole frames' worth at a time (take() packs as greedily as packMessages), so that the
      // chunk boundary does not leave a half-empty frame behind.
      const taken: I2NPMessage[] = [];
      const start = this.queue.bytes;
      while (start - this.queue.bytes < WRITE_CHUNK_BYTES && this.queue.length > 0) {
        for (const m of this.queue.take(frameBudget)) taken.push(m);
      }
      const msgs = taken.filter((m) => m.expiration > now);
      const expired = taken.length - msgs.length;
      if (expired > 0) {
        this.host.counters.messagesDropped += expired;
        bump(this.host.counters.dropReasons, 'expired', expired);
      }
      if (msgs.length === 0) continue;
      let packed;
      try {
        packed = this.dataPhase.packMessages(msgs, { maxFramePayload: this.host.maxFramePayload });
      } catch (e) {
        this.host.log.warn({ err: e, peer: this.shortHash }, 'cannot encode frame');
        this.terminate(TerminationReason.Normal, 'send-error');
        return;
      }
      if (packed.oversize.length > 0) {
        this.host.counters.messagesDropped += packed.oversize.length;
        bump(this.host.counters.dropReasons, 'oversize', packed.oversize.length);
      }
      this.messagesOut += packed.messages;
      this.host.counters.messagesOut += packed.messages;
      this.host.counters.framesOut += packed.frames;
      if (packed.messages > 0) this.write(packed.data);
    }
    if (!this.closed) this.host.backlogChanged(this);
  }

  private onData(d: Buffer): void {
    if (this.closed || this.terminating) return;
    const now = this.host.now();
    this.bytesIn += d.length;
    this.host.counters.bytesIn += d.length;
    this.lastActivity = now;
    try {
      const { frames, error } = this.dataPhase.receive(d);
      for (const blocks of frames) {
        this.host.counters.framesIn++;
        for (const b of blocks) {
          if (this.closed || this.terminating) return;
          this.onBlock(b);
        }
      }
      if (error && !this.closed && !this.terminating) this.onReceiveError(error);
    } catch (e) {
      // Not a protocol error: a bug. Still only this session pays for it.
      this.host.log.error({ err: e, peer: this.shortHash }, 'NTCP2 receive failed');
      this.terminate(TerminationReason.PayloadFormatError, 'internal');
      return;
    }
    // Slowloris guard: remember when the current partial frame started.
    if (!this.dataPhase.decoder.midFrame) this.frameStartedAt = undefined;
    else if (this.frameStartedAt === undefined) this.frameStartedAt = now;
  }

  /**
   * Periodic check by the transport: idle timeout, a frame that has been arriving for too long
   * (ntcp2.rst termination reason 14, "intra-frame read timeout"), and a peer that has not read
   * anything we sent for `stallTimeoutMs` (closed without a Termination: it would not read one).
   */
  checkTimeouts(now: number, idleTimeoutMs: number, frameTimeoutMs: number, stallTimeoutMs: number): void {
    if (this.closed || this.terminating) return;
    if (this.backlogBytes > 0 && now - this.sendProgressAt >= stallTimeoutMs) {
      this.host.log.info({ peer: this.shortHash, backlog: this.backlogBytes }, 'NTCP2 peer does not read, closing');
      this.destroy('send-stall');
    } else if (this.readPaused) {
      // We are not reading: neither the frame nor the idle timer is the peer's fault now.
    } else if (this.frameStartedAt !== undefined && now - this.frameStartedAt >= frameTimeoutMs) {
      this.terminate(TerminationReason.IntraFrameReadTimeout, 'frame-timeout');
    } else if (now - this.lastActivity >= idleTimeoutMs) {
      this.terminate(TerminationReason.IdleTimeout, 'idle-timeout');
    }
  }

  private onReceiveError(err: ProtocolError): void {
    bump(this.host.counters.dataPhaseErrors, err.code);
    this.host.log.info({ peer: this.shortHash, code: err.code, msg: err.message }, 'NTCP2 data phase error, terminating');
    if (err.code === 'aead' || err.code === 'frame-length') {
      // ntcp2.rst "AEAD Error Handling": avoid a decryption oracle — wait a random time (while
      // discarding input) before answering with a Termination and closing.
      const reason = err.code === 'aead' ? TerminationReason.DataPhaseAEADFailure : TerminationReason.AEADFramingError;
      this.terminating = true;
      const t = setTimeout(() => {
        this.terminating = false;
        this.terminate(reason, err.code);
      }, this.host.aeadFailureDelayMs());
      t.unref();
      return;
    }
    this.terminate(TerminationReason.PayloadFormatError, err.code);
  }

  private onBlock(b: Block): void {
    const host = this.host;
    switch (b.type) {
      case BlockType.I2NP:
        this.messagesIn++;
        host.counters.messagesIn++;
        host.onMessage(b.message, this);
        break;
      case BlockType.DateTime:
        if (!withinSkew(b.timestamp, host.now(), host.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)) {
          host.log.info({ peer: this.shortHash, skewS: b.timestamp - unixSeconds(host.now()) }, 'peer clock skew in data phase');
          this.terminate(TerminationReason.ClockSkew, 'clock-skew');
        }
        break;
      case BlockType.RouterInfo:
        this.onRouterInfoBlock(b.routerInfo, b.flood);
        break;
      case BlockType.Termination: {
        const name = terminationReasonName(b.reason);
        bump(host.counters.terminationsReceived, name);
        host.log.debug({ peer: this.shortHash, reason: name, framesReceived: b.framesReceived.toString() }, 'peer terminated session');
        this.socket.end();
        const t = setTimeout(() => this.socket.destroy(), LINGER_MS);
        t.unref();
        this.markClosed(`peer-terminated:${name}`);
        break;
      }
      default:
        // Options (negotiation is TBD in the spec), Padding, and unknown blocks are ignored.
        break;
    }
  }

  private onRouterInfoBlock(raw: Buffer, flood: boolean): void {
    try {
      const ri = checkPeerRouterInfo(raw, { netId: this.host.netId, nowMs: this.host.now() });
      if (ri.hash.equals(this.remoteHash)) {
        // ntcp2.rst: when used in the data phase the RouterInfo should be the peer's own.
        const key = ri.ntcp2()?.staticKey;
        const old = this.remoteRouterInfo.ntcp2()?.staticKey;
        if (!key || !old || key.equals(old)) this.remoteRouterInfo = ri;
      }
      this.host.onRouterInfo(ri, this, flood);
    } catch (e) {
      bump(this.host.counters.dataPhaseErrors, e instanceof ProtocolError ? e.code : 'ri-invalid');
      this.host.log.debug({ peer: this.shortHash, err: (e as Error).message }, 'ignored invalid RouterInfo block');
    }
  }
}
