/**
 * NTCP2 transport shell: TCP listener and dialer around the sans-IO handshake cores and the
 * data-phase sessions. Owns sockets, timers, the replay cache, the session table and counters.
 * Peer input never throws out of here: every protocol error closes that one connection.
 *
 * Duplicate-session policy (one session per peer hash): when a second session to a peer
 * completes while one exists, and the existing one is younger than `duplicateGraceMs`, the two
 * came from a simultaneous-connect race: the session initiated by the router with the lower hash
 * wins, a rule both ends evaluate identically. Otherwise the new session wins: the peer
 * evidently lost the old one (restart, dead TCP path). Queued messages move to the survivor.
 *
 * Flow control (flow-control.ts): send backlogs are bounded in bytes, per session and in total;
 * while a session's backlog is above high water we stop reading from the other sessions, for at
 * most `maxPauseMs` in a row.
 */
import { ClockSkewEstimate } from '../../router/clock-skew.js';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { X25519KeyPair } from '../../crypto/index.js';
import { ntcp2InitialState, type SymmetricState } from '../../crypto/noise.js';
import type { RouterInfo } from '../../data/router-info.js';
import type { I2NPMessage } from '../../i2np/message.js';
import type { Logger } from '../../util/log.js';
import { BlockType, TerminationReason, type Block } from './blocks.js';
import { DEFAULT_MAX_FRAME_PAYLOAD } from './data-phase.js';
import { bump, newCounters, type NTCP2Counters } from './counters.js';
import {
  DEFAULT_PROBING,
  randomBelow,
  unixSeconds,
  type EstablishedEvent,
  type FailAction,
  type HandshakeEvent,
  type ProbingResistance,
} from './handshake-common.js';
import { NTCP2Initiator } from './handshake-initiator.js';
import { NTCP2Responder } from './handshake-responder.js';
import { ReplayCache } from './replay-cache.js';
import { FlowControl, type FlowControlOptions } from './flow-control.js';
import { NTCP2Session, type SessionHost } from './session.js';

export interface NTCP2TransportOptions {
  staticKey: X25519KeyPair;
  /** Our published 16-byte IV `i`. */
  iv: Buffer;
  /** Our current signed RouterInfo (sent in message 3 and to inbound peers). */
  routerInfo: () => RouterInfo;
  netId: number;
  /** Listen address, and source address of outgoing connections. */
  host: string;
  port: number;
  log: Logger;
  /** Established + in-handshake sessions; new inbound connections beyond it are refused. */
  maxSessions?: number;
  /** Close a session with Termination "idle timeout" after this long without traffic (5 min). */
  idleTimeoutMs?: number;
  /** A data-phase frame must arrive completely within this time once it started (30 s). */
  frameTimeoutMs?: number;
  /** Whole-handshake deadline (15 s). */
  handshakeTimeoutMs?: number;
  /** Send backlog bounds and read-pause thresholds (DEFAULT_FLOW_CONTROL for what is not given). */
  flowControl?: Partial<FlowControlOptions>;
  /** Frame payload budget when packing messages (16 KiB). */
  maxFramePayload?: number;
  /** See the duplicate-session policy above (30 s). */
  duplicateGraceMs?: number;
  maxClockSkewMs?: number;
  probing?: ProbingResistance;
  replayCache?: ReplayCache;
  /** Clock (ms); injectable for tests. */
  now?: () => number;
}

interface PendingHandshake {
  socket: net.Socket;
  inbound: boolean;
  timer: NodeJS.Timeout;
  done: boolean;
  /** Rejects connect()'s promise (outbound). */
  onFail: (reason: string) => void;
}

interface PendingConnect {
  promise: Promise<NTCP2Session>;
}

const DEFAULTS = {
  maxSessions: 512,
  idleTimeoutMs: 5 * 60_000,
  handshakeTimeoutMs: 15_000,
  frameTimeoutMs: 30_000,
  duplicateGraceMs: 30_000,
};

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class NTCP2Transport extends EventEmitter {
  /** Our clock against the peers' handshake timestamps (the admin UI's clock skew). */
  readonly clockSkew = new ClockSkewEstimate();
  readonly counters: NTCP2Counters = newCounters();
  readonly log: Logger;
  private readonly opts: NTCP2TransportOptions;
  private readonly replayCache: ReplayCache;
  private readonly established = new Map<string, NTCP2Session>();
  private readonly pending = new Set<PendingHandshake>();
  /** Sockets of failed handshakes still being drained for probing resistance. */
  private readonly lingering = new Set<net.Socket>();
  private readonly connecting = new Map<string, PendingConnect>();
  private server: net.Server | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private responderState: SymmetricState;
  private stopped = false;
  private readonly host: SessionHost;
  private readonly flow: FlowControl;
  private pauseTimer: NodeJS.Timeout | undefined;

  constructor(opts: NTCP2TransportOptions) {
    super();
    if (opts.iv.length !== 16) throw new Error('NTCP2 IV must be 16 bytes');
    this.opts = opts;
    this.log = opts.log;
    this.replayCache = opts.replayCache ?? new ReplayCache();
    // "up until here, can all be precalculated by Bob for all incoming connections".
    this.responderState = ntcp2InitialState(opts.staticKey.publicKey);
    const probing = opts.probing ?? DEFAULT_PROBING;
    const self = this;
    this.flow = new FlowControl(opts.flowControl ?? {}, this.counters);
    this.host = {
      log: this.log,
      counters: this.counters,
      netId: opts.netId,
      now: () => this.now(),
      ...(opts.maxClockSkewMs !== undefined ? { maxClockSkewMs: opts.maxClockSkewMs } : {}),
      flow: this.flow,
      maxFramePayload: opts.maxFramePayload ?? DEFAULT_MAX_FRAME_PAYLOAD,
      aeadFailureDelayMs: () => probing.minDelayMs + randomBelow(Math.max(0, probing.maxDelayMs - probing.minDelayMs) + 1),
      onMessage(msg, s) {
        self.safeEmit('message', msg, s);
      },
      onRouterInfo(ri, s, flood) {
        self.safeEmit('routerInfo', ri, s, flood);
      },
      onClosed(s, reason) {
        self.sessionClosed(s, reason);
      },
      backlogChanged(s) {
        if (self.flow.update(s.id, s.backlogBytes, self.now())) self.applyFlowControl();
      },
    };
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private get maxSessions(): number {
    return this.opts.maxSessions ?? DEFAULTS.maxSessions;
  }

  /** Established sessions. */
  sessions(): Iterable<NTCP2Session> {
    return this.established.values();
  }

  /** The established session with a peer, if any. */
  session(peerHash: Buffer): NTCP2Session | undefined {
    return this.established.get(peerHash.toString('hex'));
  }

  /** Bytes owed to peers over all sessions (queued messages + socket buffers). */
  get sendBacklogBytes(): number {
    return this.flow.totalBytes;
  }

  /** Number of handshakes in progress. */
  get pendingHandshakes(): number {
    return this.pending.size;
  }

  /** The bound port (useful with port 0). */
  get boundPort(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.opts.port;
  }

  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = net.createServer({ noDelay: true }, (socket) => this.onInbound(socket));
    this.server = server;
    server.on('error', (e) => this.log.error({ err: e }, 'NTCP2 listener error'));
    this.startSweep();
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      server.once('error', onError);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
  }

  /** Opens (or reuses) a session to a router with a published NTCP2 address. */
  connect(ri: RouterInfo): Promise<NTCP2Session> {
    if (this.stopped) return Promise.reject(new Error('NTCP2 transport stopped'));
    const key = ri.hash.toString('hex');
    const existing = this.established.get(key);
    if (existing) return Promise.resolve(existing);
    const inFlight = this.connecting.get(key);
    if (inFlight) return inFlight.promise;
    const promise = this.dial(ri).finally(() => this.connecting.delete(key));
    this.connecting.set(key, { promise });
    return promise;
  }

  /** Queues messages to a connected peer; false if there is no established session. */
  send(peerHash: Buffer, msgs: I2NPMessage[]): boolean {
    const s = this.established.get(peerHash.toString('hex'));
    if (!s) {
      this.counters.messagesDropped += msgs.length;
      bump(this.counters.dropReasons, 'no-session', msgs.length);
      return false;
    }
    return s.enqueue(msgs);
  }

  /** Gracefully closes the session with a peer (Termination block, then FIN). */
  close(peerHash: Buffer, reason: TerminationReason = TerminationReason.Normal): void {
    this.established.get(peerHash.toString('hex'))?.terminate(reason);
  }

  /** Terminates every session ("router shutdown") and closes the listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    for (const s of [...this.established.values()]) s.terminate(TerminationReason.RouterShutdown);
    for (const p of [...this.pending]) this.handshakeFailed(p, 'shutdown', 'transport stopped');
    for (const socket of this.lingering) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- outbound

  private dial(ri: RouterInfo): Promise<NTCP2Session> {
    const addr = ri.ntcp2();
    if (!addr || addr.host === undefined || addr.port === undefined || !addr.iv) {
      return Promise.reject(new Error('peer has no published NTCP2 address (host, port, s, i)'));
    }
    if (ri.netId !== this.opts.netId) return Promise.reject(new Error(`peer netId ${ri.netId} is not ours (${this.opts.netId})`));
    if (this.established.size + this.pending.size >= this.maxSessions) return Promise.reject(new Error('NTCP2 session limit reached'));
    const ours = this.opts.routerInfo();
    if (ri.hash.equals(ours.hash)) return Promise.reject(new Error('refusing to connect to ourselves'));
    const core = new NTCP2Initiator({
      staticKey: this.opts.staticKey,
      routerInfo: ours.raw,
      remote: { routerHash: ri.hash, staticKey: addr.staticKey, iv: addr.iv },
      netId: this.opts.netId,
      ...(this.opts.maxClockSkewMs !== undefined ? { maxClockSkewMs: this.opts.maxClockSkewMs } : {}),
    });
    const bindable = this.opts.host !== '0.0.0.0' && this.opts.host !== '::';
    this.startSweep();
    return new Promise<NTCP2Session>((resolve, reject) => {
      let pendingSend: Buffer | undefined;
      const socket = net.connect({
        host: addr.host!,
        port: addr.port!,
        noDelay: true,
        ...(bindable ? { localAddress: this.opts.host } : {}),
      });
      const p = this.trackHandshake(socket, false, (reason) => reject(new Error(`NTCP2 handshake with ${ri.hash.toString('hex').slice(0, 12)} failed: ${reason}`)));
      socket.once('connect', () => {
        if (p.done) return;
        try {
          socket.write(core.start(this.now()));
        } catch (e) {
          this.handshakeFailed(p, 'internal', errMessage(e));
        }
      });
      this.driveCore(p, core, (data) => {
        // Held back: message 3 goes out together with our first data frame.
        pendingSend = data;
      }, (ev) => {
        const s = this.onEstablished(p, ev, ri, pendingSend);
        if (s) resolve(s);
        else reject(new Error('session replaced by an existing one'));
      });
    }).then(
      (s) => this.established.get(s.key) ?? s,
      (e: unknown) => {
        // A lost duplicate race still leaves us connected.
        const s = this.established.get(ri.hash.toString('hex'));
        if (s) return s;
        throw e;
      },
    );
  }

  // ---------------------------------------------------------------- inbound

  private onInbound(socket: net.Socket): void {
    if (this.stopped || this.established.size + this.pending.size >= this.maxSessions) {
      this.counters.inboundRefused++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const core = new NTCP2Responder({
      staticKey: this.opts.staticKey,
      routerHash: this.opts.routerInfo().hash,
      iv: this.opts.iv,
      netId: this.opts.netId,
      replayCache: this.replayCache,
      initialState: this.responderState,
      ...(this.opts.probing ? { probing: this.opts.probing } : {}),
      ...(this.opts.maxClockSkewMs !== undefined ? { maxClockSkewMs: this.opts.maxClockSkewMs } : {}),
    });
    const p = this.trackHandshake(socket, true, () => {});
    this.driveCore(p, core, (data) => socket.write(data), (ev) => this.onEstablished(p, ev, ev.routerInfo!, undefined));
  }

  // ---------------------------------------------------------------- handshake plumbing

  /** Feeds socket data to a handshake core and dispatches its events; core bugs fail only this handshake. */
  private driveCore(
    p: PendingHandshake,
    core: { receive(data: Buffer, nowMs: number): HandshakeEvent[] },
    onSend: (data: Buffer) => void,
    onEstablished: (ev: EstablishedEvent) => void,
  ): void {
    p.socket.on('data', (d: Buffer) => {
      if (p.done) return;
      let events: HandshakeEvent[];
      try {
        events = core.receive(d, this.now());
      } catch (e) {
        this.handshakeFailed(p, 'internal', errMessage(e));
        return;
      }
      for (const ev of events) {
        if (ev.type === 'send') onSend(ev.data);
        else if (ev.type === 'fail') {
          if (ev.peerClockSkewMs !== undefined) {
            // Our clock (or the peer's) is off: tell the router, which may correct its clock.
            this.log.warn({ remote: p.socket.remoteAddress, skewMs: ev.peerClockSkewMs }, 'NTCP2 peer reports a clock skew');
            this.safeEmit('clockSkew', ev.peerClockSkewMs, p.socket.remoteAddress);
          }
          this.handshakeFailed(p, ev.reason, ev.message, ev.action);
        } else onEstablished(ev);
      }
    });
  }

  private trackHandshake(socket: net.Socket, inbound: boolean, onFail: (reason: string) => void): PendingHandshake {
    const p: PendingHandshake = {
      socket,
      inbound,
      done: false,
      onFail,
      timer: setTimeout(() => this.handshakeFailed(p, 'timeout', 'handshake timed out'), this.opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs),
    };
    p.timer.unref();
    this.pending.add(p);
    socket.on('error', (e) => {
      if (!p.done) this.handshakeFailed(p, 'socket-error', e.message);
    });
    socket.on('close', () => {
      if (!p.done) this.handshakeFailed(p, 'peer-closed', 'connection closed during handshake');
    });
    return p;
  }

  private handshakeFailed(p: PendingHandshake, reason: string, message: string, action?: FailAction): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    this.pending.delete(p);
    if (p.inbound) this.counters.handshakesInFailed++;
    else this.counters.handshakesOutFailed++;
    bump(this.counters.handshakeFailures, reason);
    this.log.debug({ reason, msg: message, inbound: p.inbound, remote: p.socket.remoteAddress }, 'NTCP2 handshake failed');
    p.onFail(reason);
    this.applyFailAction(p.socket, action ?? { close: 'reset', readMore: 0, delayMs: 0 });
  }

  /**
   * Carries out a failure decision of a core: optional last write, then probing resistance
   * (keep reading and discarding up to `readMore` bytes, close after `delayMs` at the latest),
   * then an abnormal (RST) or normal close.
   */
  private applyFailAction(socket: net.Socket, action: FailAction): void {
    socket.removeAllListeners('data');
    socket.on('error', () => {});
    if (action.send && socket.writable) socket.write(action.send);
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.lingering.delete(socket);
      if (timer) clearTimeout(timer);
      if (socket.destroyed) return;
      if (action.close === 'reset') socket.resetAndDestroy();
      else {
        socket.end();
        setTimeout(() => socket.destroy(), 2_000).unref();
      }
    };
    if (socket.destroyed || (action.readMore <= 0 && action.delayMs <= 0)) {
      finish();
      return;
    }
    this.lingering.add(socket);
    let remaining = action.readMore;
    timer = setTimeout(finish, action.delayMs > 0 ? action.delayMs : this.opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs);
    timer.unref();
    socket.on('data', (d: Buffer) => {
      if (action.readMore <= 0) return;
      remaining -= d.length;
      if (remaining <= 0) finish();
    });
    socket.once('close', finish);
  }

  private onEstablished(p: PendingHandshake, ev: EstablishedEvent, remoteRi: RouterInfo, handshakeTail: Buffer | undefined): NTCP2Session | undefined {
    if (p.done) return undefined;
    p.done = true;
    clearTimeout(p.timer);
    this.pending.delete(p);
    const socket = p.socket;
    socket.removeAllListeners('data');
    if (p.inbound) this.counters.handshakesInOk++;
    else this.counters.handshakesOutOk++;
    this.clockSkew.add(ev.peerClockSkewMs);
    const s = new NTCP2Session(this.host, socket, ev.dataPhase, remoteRi, p.inbound);
    socket.on('close', () => s.socketClosed());
    socket.on('error', (e) => this.log.debug({ peer: s.shortHash, err: e.message }, 'NTCP2 socket error'));

    // First data-phase frame. Alice: DateTime right behind message 3 (the spec recommends
    // appending a frame to message 3). Bob: DateTime + our RouterInfo, as i2pd does.
    const first: Block[] = [{ type: BlockType.DateTime, timestamp: unixSeconds(this.now()) }];
    if (p.inbound) first.push({ type: BlockType.RouterInfo, flood: false, routerInfo: this.opts.routerInfo().raw });
    s.writeFrame(first, handshakeTail);
    // Register and announce the session before reading the data that came with the handshake:
    // a message in that data (a DatabaseStore with a reply token, say) may need a reply through
    // this very session, and listeners must see 'established' before the session's messages.
    if (!this.register(s)) return undefined;
    this.log.info({ peer: s.shortHash, inbound: p.inbound, remote: `${s.remoteAddress}:${s.remotePort}` }, 'NTCP2 session established');
    this.safeEmit('established', s, remoteRi, p.inbound);
    if (!this.flow.shouldRead(s.id)) s.setReadPaused(true);
    s.start(ev.extra);
    return s.closed ? undefined : s;
  }

  /** Applies the duplicate-session policy; returns false if `s` lost and was closed. */
  private register(s: NTCP2Session): boolean {
    const existing = this.established.get(s.key);
    if (!existing || existing.closed) {
      this.established.set(s.key, s);
      return true;
    }
    let keepNew = true;
    if (s.establishedAt - existing.establishedAt < (this.opts.duplicateGraceMs ?? DEFAULTS.duplicateGraceMs)) {
      const ourHash = this.opts.routerInfo().hash;
      const initiator = (x: NTCP2Session): Buffer => (x.inbound ? x.remoteHash : ourHash);
      const a = initiator(s);
      const b = initiator(existing);
      if (!a.equals(b)) keepNew = Buffer.compare(a, b) < 0;
    }
    this.counters.duplicateSessions++;
    const [winner, loser] = keepNew ? [s, existing] : [existing, s];
    this.log.info({ peer: s.shortHash, kept: winner.inbound ? 'inbound' : 'outbound' }, 'duplicate NTCP2 session');
    this.established.set(s.key, winner);
    const moved = loser.takeQueue();
    loser.terminate(TerminationReason.Normal, 'duplicate');
    if (moved.length) winner.enqueue(moved);
    return keepNew;
  }

  private sessionClosed(s: NTCP2Session, reason: string): void {
    bump(this.counters.sessionsClosed, reason);
    if (this.established.get(s.key) === s) this.established.delete(s.key);
    if (this.flow.remove(s.id, this.now())) this.applyFlowControl();
    this.log.debug({ peer: s.shortHash, reason }, 'NTCP2 session closed');
    this.safeEmit('closed', s, reason);
  }

  /**
   * Makes every session's reading follow the flow control's decision, and arms the timer that
   * ends a pause at its deadline.
   */
  private applyFlowControl(): void {
    for (const s of this.established.values()) s.setReadPaused(!this.flow.shouldRead(s.id));
    if (this.pauseTimer) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = undefined;
    }
    const deadline = this.flow.pauseDeadline;
    if (deadline === undefined) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      if (this.flow.expire(this.now())) {
        this.log.info({ slowPeers: this.counters.slowPeers }, 'NTCP2 read pause reached its limit, congested peers declared slow');
      }
      this.applyFlowControl();
    }, Math.max(0, deadline - this.now()));
    this.pauseTimer.unref();
  }

  private startSweep(): void {
    if (this.sweepTimer) return;
    const idle = this.opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    const frame = this.opts.frameTimeoutMs ?? DEFAULTS.frameTimeoutMs;
    const stall = this.flow.opts.stallTimeoutMs;
    const every = Math.max(50, Math.min(10_000, Math.floor(Math.min(idle, frame, stall) / 4)));
    this.sweepTimer = setInterval(() => {
      const now = this.now();
      for (const s of [...this.established.values()]) s.checkTimeouts(now, idle, frame, stall);
    }, every);
    this.sweepTimer.unref();
  }

  /** Listener exceptions must not unwind into socket handlers (they would crash the process). */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (e) {
      this.log.error({ err: e, event }, 'NTCP2 event listener threw');
    }
  }
}
