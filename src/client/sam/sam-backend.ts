/**
 * I2PStreamBackend over a SAM v3 bridge (issue 5, item 3): the gateway's way into I2P until our own
 * router carries streams, and the way that layer is tested on its own.
 *
 * - One STREAM session (transient Ed25519 destination, LeaseSet with ECIES-X25519 + ElGamal), held on
 *   its own control socket. The bridge ends the session when that socket closes (a restart, say);
 *   it is then recreated with backoff (SessionPolicy). While it is being created, connect() waits;
 *   while the bridge cannot be reached, connect() fails at once with backend-down.
 * - lookup(): NAMING LOOKUP on a fresh socket. It needs no session (api-samv3 "Naming"), so names
 *   resolve while the session is still being built; lookups run in parallel.
 * - connect(): a fresh socket, HELLO, STREAM CONNECT; after RESULT=OK the socket is the stream.
 *
 * i2pd 2.45.1 specifics this copes with (measured against it, see test/interop/sam-i2pd.test.ts):
 * it negotiates SAM 3.1 at most; it answers SESSION CREATE only at its 20-second readiness poll;
 * it answers NAMING LOOKUP of an unknown name, and of a b32 whose LeaseSet it cannot find, with
 * RESULT=INVALID_KEY; it sends STREAM STATUS RESULT=OK once it has the peer's LeaseSet, before the
 * peer acknowledged the stream (a peer that never answers shows as a stream that closes).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GatewayConfig } from '../../config/gateway-options.js';
import { I2PBackendError, type I2PBackendErrorKind, type I2PStreamBackend } from '../../gateway/i2p-backend.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { isDestinationBase64, parseI2PName } from './i2p-name.js';
import {
  namingLookupCommand,
  namingOutcome,
  sessionCreateCommand,
  sessionStatusOutcome,
  streamConnectCommand,
  streamStatusOutcome,
  type SamFailure,
} from './sam-commands.js';
import { asBackendError, SamSocket } from './sam-socket.js';
import { DEFAULT_BACKOFF, SessionPolicy, type BackoffOptions } from './session-policy.js';

export interface SamTimeouts {
  /** TCP connect to the bridge. */
  connectMs: number;
  /** HELLO answered. */
  helloMs: number;
  /**
   * SESSION STATUS answered. api-samv3: tunnels are built first, "a minute or more" at router start;
   * "do not set a short timeout". i2pd answers at its 20-s readiness poll.
   */
  sessionCreateMs: number;
  /** How long connect() waits for a session that is being created. */
  sessionWaitMs: number;
  /** NAMING REPLY answered (a b32 needs a LeaseSet lookup in the netDb). */
  lookupMs: number;
  /** STREAM STATUS answered. api-samv3: the router's own connect timeout is about a minute. */
  streamConnectMs: number;
}

export const DEFAULT_SAM_TIMEOUTS: SamTimeouts = {
  connectMs: 5000,
  helloMs: 10_000,
  sessionCreateMs: 180_000,
  sessionWaitMs: 90_000,
  lookupMs: 60_000,
  streamConnectMs: 90_000,
};

/**
 * Tunnel shape of our session. api-samv3 asks clients to set quantities (i2pd defaults to 5, Java
 * to 2; 2–3 suits low and medium traffic); 3 hops is both routers' default length.
 */
export const DEFAULT_SESSION_OPTIONS: Readonly<Record<string, string>> = {
  'inbound.length': '3',
  'outbound.length': '3',
  'inbound.quantity': '3',
  'outbound.quantity': '3',
};

/** I2CP / streaming options that may be passed through to SESSION CREATE. */
const PASS_THROUGH_KEY = /^(?:(?:inbound|outbound)\.[A-Za-z]{1,32}|i2cp\.[A-Za-z]{1,40}|i2p\.streaming\.[A-Za-z.]{1,40})$/;
const PASS_THROUGH_VALUE = /^[A-Za-z0-9.,_-]{1,64}$/;
/** Set by the backend itself. */
const RESERVED_KEYS = new Set(['i2cp.leaseSetEncType']);

export interface SamBackendOptions {
  /** The bridge (gateway.sam.address / gateway.sam.port). */
  host: string;
  port: number;
  /** I2CP options for SESSION CREATE (tunnel lengths, quantities...); merged over DEFAULT_SESSION_OPTIONS. */
  sessionOptions?: Readonly<Record<string, string>>;
  /** SIGNATURE_TYPE of the transient destination; default 7 (Ed25519). */
  signatureType?: number;
  /** i2cp.leaseSetEncType; default `4,0` (ECIES-X25519, then ElGamal for old peers). */
  leaseSetEncType?: string;
  timeouts?: Partial<SamTimeouts>;
  backoff?: BackoffOptions;
  log?: Logger;
}

/** The backend options that come from the gateway configuration. */
export function samBackendOptions(config: Pick<GatewayConfig, 'gateway.sam.address' | 'gateway.sam.port'>, log?: Logger): SamBackendOptions {
  return { host: config['gateway.sam.address'], port: config['gateway.sam.port'], ...(log ? { log } : {}) };
}

export interface SamBackendCounters {
  sessionsCreated: number;
  /** Sessions that were ready and then went away (bridge restart, socket closed). */
  sessionsLost: number;
  /** Attempts to create a session that failed. */
  sessionAttemptsFailed: number;
  lookups: number;
  connects: number;
  /** Failed lookups and connects by kind. */
  failures: Partial<Record<I2PBackendErrorKind, number>>;
  streamsOpen: number;
}

/** What a RESULT code of STREAM STATUS / NAMING REPLY means for the caller (api-samv3 "RESULT Values"). */
export function failureKind(f: SamFailure): I2PBackendErrorKind {
  switch (f.result) {
    case 'CANT_REACH_PEER':
    case 'PEER_NOT_FOUND':
    case 'LEASESET_NOT_FOUND':
    case 'I2P_ERROR': // "a generic I2P error"; for a stream it means it could not be opened
      return 'unreachable';
    case 'TIMEOUT':
      return 'timeout';
    case 'INVALID_KEY': // the destination or name could not be used
    case 'KEY_NOT_FOUND':
      return 'unknown-name';
    case 'INVALID_ID': // our session is not known to the bridge (any more)
      return 'backend-down';
    default:
      return 'protocol';
  }
}

function describe(f: SamFailure): string {
  return `${f.result}${f.message ? ` (${f.message})` : ''}`;
}

interface SessionWaiter {
  resolve(): void;
  reject(e: unknown): void;
  /** Waiters of whenReady() survive failed attempts; connect()'s do not. */
  persistent: boolean;
}

export class SamStreamBackend implements I2PStreamBackend {
  readonly counters: SamBackendCounters = {
    sessionsCreated: 0,
    sessionsLost: 0,
    sessionAttemptsFailed: 0,
    lookups: 0,
    connects: 0,
    failures: {},
    streamsOpen: 0,
  };
  private readonly timeouts: SamTimeouts;
  private readonly sessionOptions: [string, string][];
  private readonly log: Logger;
  private readonly policy: SessionPolicy;
  /** Sockets with a command under way (session creation, lookups, stream set-ups): close() ends them. */
  private readonly busy = new Set<SamSocket>();
  private control: SamSocket | undefined;
  private sessionIdValue: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<SessionWaiter>();
  private readonly streams = new Set<Socket>();
  private versionValue: string | undefined;

  constructor(private readonly opts: SamBackendOptions) {
    this.timeouts = { ...DEFAULT_SAM_TIMEOUTS, ...opts.timeouts };
    this.log = (opts.log ?? silentLogger()).child({ sam: `${opts.host}:${opts.port}` });
    this.policy = new SessionPolicy(opts.backoff ?? DEFAULT_BACKOFF);
    const merged = { ...DEFAULT_SESSION_OPTIONS, ...opts.sessionOptions };
    for (const [k, v] of Object.entries(merged)) {
      if (!PASS_THROUGH_KEY.test(k) || RESERVED_KEYS.has(k)) throw new RangeError(`SAM session option ${JSON.stringify(k)} cannot be passed through`);
      if (!PASS_THROUGH_VALUE.test(v)) throw new RangeError(`SAM session option ${k}: bad value ${JSON.stringify(v)}`);
    }
    this.sessionOptions = Object.entries(merged);
    const sig = opts.signatureType ?? 7;
    if (!Number.isInteger(sig) || sig < 0 || sig > 65535) throw new RangeError(`bad signature type ${sig}`);
    if (opts.leaseSetEncType !== undefined && !/^\d{1,5}(,\d{1,5}){0,3}$/.test(opts.leaseSetEncType)) throw new RangeError(`bad leaseSetEncType ${opts.leaseSetEncType}`);
  }

  /** close() was called (a getter, so checks after an await are not narrowed away). */
  private get closed(): boolean {
    return this.policy.state === 'closed';
  }

  /** The current session's ID, while it is ready. */
  get sessionId(): string | undefined {
    return this.sessionIdValue;
  }

  get sessionState(): SessionPolicy['state'] {
    return this.policy.state;
  }

  /** The SAM version the bridge chose for the session socket. */
  get samVersion(): string | undefined {
    return this.versionValue;
  }

  /** Starts creating the session (returns at once; see whenReady()). */
  start(): void {
    if (this.policy.state !== 'stopped') return;
    void this.openSession();
  }

  /** Resolves when a session is ready, however many attempts that takes, or rejects when `signal` aborts. */
  whenReady(signal?: AbortSignal): Promise<void> {
    return this.waitForSession(true, signal);
  }

  async lookup(name: string, signal?: AbortSignal): Promise<string | undefined> {
    const parsed = parseI2PName(name);
    if (!parsed) return undefined;
    this.counters.lookups++;
    try {
      const sock = await this.openSocket(signal);
      try {
        const outcome = namingOutcome(await sock.command(namingLookupCommand(parsed.name), this.timeouts.lookupMs, signal));
        if (outcome.ok) return outcome.value;
        const kind = failureKind(outcome);
        // A name is unknown; a well-formed b32 always names a destination, which is then not
        // reachable now (i2pd says INVALID_KEY when it finds no LeaseSet for it).
        if (kind === 'unknown-name' && parsed.kind === 'hostname') return undefined;
        throw new I2PBackendError(kind === 'unknown-name' ? 'unreachable' : kind, `NAMING LOOKUP ${parsed.name}: ${describe(outcome)}`);
      } finally {
        this.release(sock);
      }
    } catch (e) {
      throw this.countFailure(e);
    }
  }

  async connect(target: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad port ${port}`);
    const parsed = parseI2PName(target);
    const destination = parsed?.name ?? (isDestinationBase64(target) ? target : undefined);
    this.counters.connects++;
    try {
      if (destination === undefined) throw new I2PBackendError('unknown-name', `not an .i2p name or a destination: ${JSON.stringify(target.slice(0, 80))}`);
      await this.waitForSession(false, signal);
      const id = this.sessionIdValue!;
      const sock = await this.openSocket(signal);
      let outcome: ReturnType<typeof streamStatusOutcome>;
      try {
        outcome = streamStatusOutcome(await sock.command(streamConnectCommand(id, destination, port), this.timeouts.streamConnectMs, signal));
      } catch (e) {
        this.release(sock);
        throw e;
      }
      if (!outcome.ok) {
        this.release(sock);
        const kind = failureKind(outcome);
        if (outcome.result === 'INVALID_ID' && this.sessionIdValue === id) {
          // The bridge forgot our session while its socket is still open: start over.
          this.log.warn({ id }, 'SAM bridge does not know our session; recreating it');
          this.control?.destroy();
          this.sessionLost(id, 'bridge answered INVALID_ID');
        }
        throw new I2PBackendError(kind, `STREAM CONNECT ${destination.length > 80 ? `${destination.slice(0, 16)}…` : destination}:${port}: ${describe(outcome)}`);
      }
      this.busy.delete(sock);
      return this.track(sock.takeStream());
    } catch (e) {
      throw this.countFailure(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.policy.close();
    clearTimeout(this.retryTimer);
    for (const s of this.busy) s.abort(new I2PBackendError('backend-down', 'SAM backend closed'));
    this.busy.clear();
    this.control?.destroy();
    this.control = undefined;
    this.sessionIdValue = undefined;
    this.settleWaiters(new I2PBackendError('backend-down', 'SAM backend closed'), true);
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    this.counters.streamsOpen = 0;
  }

  // --- session ------------------------------------------------------------------------------------------

  private async openSession(): Promise<void> {
    if (this.closed) return;
    this.policy.opening();
    const id = `garlicgate-${randomBytes(6).toString('hex')}`;
    const t0 = Date.now();
    let sock: SamSocket | undefined;
    try {
      sock = await this.openSocket(undefined);
      const command = sessionCreateCommand(id, this.sessionOptions, this.opts.signatureType ?? 7, this.opts.leaseSetEncType ?? '4,0');
      const outcome = sessionStatusOutcome(await sock.command(command, this.timeouts.sessionCreateMs));
      if (!outcome.ok) throw new I2PBackendError('backend-down', `SESSION CREATE refused: ${describe(outcome)}`);
    } catch (e) {
      if (sock) this.release(sock);
      if (this.closed) return;
      this.counters.sessionAttemptsFailed++;
      const reason = (asBackendError(e) as Error).message ?? String(e);
      const delay = this.policy.failed(Date.now(), reason);
      this.log.warn({ id, reason, retryInMs: delay }, 'SAM session could not be created');
      this.settleWaiters(new I2PBackendError('backend-down', `no SAM session: ${reason}`), false);
      this.scheduleRetry(delay);
      return;
    }
    this.busy.delete(sock);
    if (this.closed) {
      sock.destroy();
      return;
    }
    this.control = sock;
    this.sessionIdValue = id;
    this.versionValue = sock.version;
    this.policy.ready();
    this.counters.sessionsCreated++;
    this.log.info({ id, version: sock.version, ms: Date.now() - t0 }, 'SAM session ready');
    sock.onLost((reason) => this.sessionLost(id, reason));
    this.settleWaiters(undefined, true);
  }

  private sessionLost(id: string, reason: string): void {
    if (this.sessionIdValue !== id || this.closed) return;
    this.control = undefined;
    this.sessionIdValue = undefined;
    this.counters.sessionsLost++;
    const delay = this.policy.failed(Date.now(), reason);
    this.log.warn({ id, reason, retryInMs: delay }, 'SAM session lost');
    this.scheduleRetry(delay);
  }

  private scheduleRetry(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.openSession(), delayMs);
  }

  private waitForSession(persistent: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const admission = this.policy.admit();
    if (admission === 'go') return Promise.resolve();
    if (this.closed) return Promise.reject(new I2PBackendError('backend-down', 'SAM backend closed'));
    if (admission === 'fail' && !persistent) {
      const why = this.policy.state === 'stopped' ? 'not started' : (this.policy.lastFailure ?? 'unavailable');
      return Promise.reject(new I2PBackendError('backend-down', `no SAM session: ${why}`));
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(signal!.reason);
      const settle = (e?: unknown): void => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (e === undefined) resolve();
        else reject(e);
      };
      const waiter: SessionWaiter = { resolve: () => settle(), reject: settle, persistent };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!persistent) {
        timer = setTimeout(() => settle(new I2PBackendError('backend-down', `SAM session not ready within ${this.timeouts.sessionWaitMs} ms`)), this.timeouts.sessionWaitMs);
      }
    });
  }

  /** Ready (error undefined): everyone goes on. A failure: connect()'s waiters fail; whenReady()'s wait on unless `all`. */
  private settleWaiters(error: unknown, all: boolean): void {
    for (const w of [...this.waiters]) {
      if (error === undefined) w.resolve();
      else if (all || !w.persistent) w.reject(error);
    }
  }

  // --- sockets ------------------------------------------------------------------------------------------

  /** A socket after HELLO, registered as busy until release() or hand-off. */
  private async openSocket(signal: AbortSignal | undefined): Promise<SamSocket> {
    const sock = await SamSocket.open({
      host: this.opts.host,
      port: this.opts.port,
      connectTimeoutMs: this.timeouts.connectMs,
      helloTimeoutMs: this.timeouts.helloMs,
      ...(signal ? { signal } : {}),
      log: this.log,
    });
    if (this.closed) {
      sock.destroy();
      throw new I2PBackendError('backend-down', 'SAM backend closed');
    }
    this.busy.add(sock);
    return sock;
  }

  private release(sock: SamSocket): void {
    this.busy.delete(sock);
    sock.destroy();
  }

  private track(stream: Socket): Socket {
    this.streams.add(stream);
    this.counters.streamsOpen = this.streams.size;
    stream.once('close', () => {
      this.streams.delete(stream);
      this.counters.streamsOpen = this.streams.size;
    });
    return stream;
  }

  private countFailure(e: unknown): unknown {
    const err = asBackendError(e);
    if (err instanceof I2PBackendError) this.counters.failures[err.kind] = (this.counters.failures[err.kind] ?? 0) + 1;
    return err;
  }
}
