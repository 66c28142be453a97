/**
 * One hidden service over a SAM v3 bridge: a STREAM session with the service's own persistent
 * destination (its private keys), and STREAM FORWARD to a listener of ours that reads the peer line
 * (forward-header.ts) and joins each incoming I2P stream to the LAN service (host:port).
 *
 * Why FORWARD and not STREAM ACCEPT: i2pd 2.45.1 speaks SAM 3.1 and allows only one pending ACCEPT
 * per session (concurrent ACCEPTs came in i2pd 2.50.0), so an ACCEPT loop would serialise incoming
 * streams behind a HELLO + ACCEPT round trip each; a FORWARD is one command, after which the bridge
 * connects to us once per stream, in parallel. Why our own listener and not FORWARD straight to the
 * LAN host: the bridge wants an IP address and writes the peer line first (SILENT=false), which a LAN
 * service would not understand; going through us also lets us count, bound and log streams, check
 * that the connection comes from the bridge, and keeps the bridge talking to loopback only.
 *
 * The session lives and dies with its control socket, the forwarding with its own socket (api-samv3).
 * When either closes (the bridge restarted, say), both are dropped and the session is created again
 * with backoff (session-policy.ts); the destination, hence the .b32.i2p address, stays the same.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { GatewayConfig } from '../../config/gateway-options.js';
import { pipeBothWays } from '../../gateway/pipe.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { ForwardHeaderDecoder } from './forward-header.js';
import { DEFAULT_SAM_TIMEOUTS, DEFAULT_SESSION_OPTIONS, type SamTimeouts } from './sam-backend.js';
import { destGenerateCommand, destReplyOutcome, sessionCreateCommand, sessionStatusOutcome, streamForwardCommand, streamStatusOutcome, type GeneratedDestination, type SamFailure } from './sam-commands.js';
import { asBackendError, SamSocket } from './sam-socket.js';
import { DEFAULT_BACKOFF, SessionPolicy, type BackoffOptions } from './session-policy.js';
import { I2PBackendError } from '../../gateway/i2p-backend.js';

export interface SamBridgeAddress {
  host: string;
  port: number;
}

export function samBridgeOf(config: Pick<GatewayConfig, 'gateway.sam.address' | 'gateway.sam.port'>): SamBridgeAddress {
  return { host: config['gateway.sam.address'], port: config['gateway.sam.port'] };
}

function describe(f: SamFailure): string {
  return `${f.result}${f.message ? ` (${f.message})` : ''}`;
}

/** DEST GENERATE SIGNATURE_TYPE=7 on a fresh socket: a new Ed25519 destination and its private keys. */
export async function generateDestination(bridge: SamBridgeAddress, opts: { timeouts?: Partial<SamTimeouts>; signal?: AbortSignal; log?: Logger } = {}): Promise<GeneratedDestination> {
  const t = { ...DEFAULT_SAM_TIMEOUTS, ...opts.timeouts };
  const sock = await SamSocket.open({ host: bridge.host, port: bridge.port, connectTimeoutMs: t.connectMs, helloTimeoutMs: t.helloMs, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}) });
  try {
    const outcome = destReplyOutcome(await sock.command(destGenerateCommand(7), t.helloMs, opts.signal));
    if (!outcome.ok) throw new I2PBackendError('backend-down', `DEST GENERATE refused: ${describe(outcome)}`);
    return outcome.value;
  } catch (e) {
    throw asBackendError(e);
  } finally {
    sock.destroy();
  }
}

export type ServerSessionState = 'starting' | 'published' | 'error' | 'stopped';

export interface ServerSessionStatus {
  state: ServerSessionState;
  /** Why not published (state error or starting after a failure). */
  reason?: string;
  /** When the state last changed, ms since epoch. */
  since: number;
}

export interface ServerSessionCounters {
  sessionsCreated: number;
  sessionsLost: number;
  sessionAttemptsFailed: number;
  /** Streams joined to the LAN service. */
  streams: number;
  /** Connections to our listener dropped: not from the bridge, bad peer line, over the limit. */
  refused: number;
  /** Streams reset because the LAN service could not be reached. */
  lanUnreachable: number;
  streamsOpen: number;
}

export interface SamServerSessionOptions {
  bridge: SamBridgeAddress;
  /** I2P base64 of the PrivateKeyFile (private-keys.ts). */
  privateKeys: string;
  /** The LAN service. */
  target: { host: string; port: number };
  /** I2CP options for SESSION CREATE; merged over DEFAULT_SESSION_OPTIONS. Checked by the caller. */
  sessionOptions?: Readonly<Record<string, string>>;
  leaseSetEncType?: string;
  timeouts?: Partial<SamTimeouts>;
  backoff?: BackoffOptions;
  /** Streams open at once (default 64); further ones are reset. */
  maxStreams?: number;
  /** Peer line and LAN connect, each (default 10 s). */
  setupTimeoutMs?: number;
  log?: Logger;
  onStatus?: (s: ServerSessionStatus) => void;
}

export class SamServerSession {
  readonly counters: ServerSessionCounters = { sessionsCreated: 0, sessionsLost: 0, sessionAttemptsFailed: 0, streams: 0, refused: 0, lanUnreachable: 0, streamsOpen: 0 };
  private readonly timeouts: SamTimeouts;
  private readonly policy: SessionPolicy;
  private readonly log: Logger;
  private statusValue: ServerSessionStatus = { state: 'stopped', since: Date.now() };
  private control: SamSocket | undefined;
  private forward: SamSocket | undefined;
  private listener: net.Server | undefined;
  private bridgeAddress: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sessionIdValue: string | undefined;
  private readonly connections = new Set<net.Socket>();
  private readonly busy = new Set<SamSocket>();

  constructor(private readonly opts: SamServerSessionOptions) {
    this.timeouts = { ...DEFAULT_SAM_TIMEOUTS, ...opts.timeouts };
    this.policy = new SessionPolicy(opts.backoff ?? DEFAULT_BACKOFF);
    this.log = opts.log ?? silentLogger();
  }

  get status(): ServerSessionStatus {
    return this.statusValue;
  }

  get sessionId(): string | undefined {
    return this.sessionIdValue;
  }

  /** Starts publishing (returns at once; status() tells how far it got). */
  start(): void {
    if (this.policy.state !== 'stopped') return;
    this.setStatus('starting');
    void this.openSession();
  }

  async close(): Promise<void> {
    if (this.policy.state === 'closed') return;
    this.policy.close();
    clearTimeout(this.retryTimer);
    for (const s of this.busy) s.abort(new I2PBackendError('backend-down', 'hidden service stopped'));
    this.busy.clear();
    this.dropSockets();
    for (const c of this.connections) c.destroy();
    const l = this.listener;
    this.listener = undefined;
    if (l) await new Promise<void>((resolve) => l.close(() => resolve()));
    this.setStatus('stopped');
  }

  private get closed(): boolean {
    return this.policy.state === 'closed';
  }

  private setStatus(state: ServerSessionState, reason?: string): void {
    this.statusValue = { state, ...(reason !== undefined ? { reason } : {}), since: Date.now() };
    this.opts.onStatus?.(this.statusValue);
  }

  private async open(): Promise<SamSocket> {
    const sock = await SamSocket.open({ host: this.opts.bridge.host, port: this.opts.bridge.port, connectTimeoutMs: this.timeouts.connectMs, helloTimeoutMs: this.timeouts.helloMs, log: this.log });
    if (this.closed) {
      sock.destroy();
      throw new I2PBackendError('backend-down', 'hidden service stopped');
    }
    this.busy.add(sock);
    return sock;
  }

  private async openSession(): Promise<void> {
    if (this.closed) return;
    this.policy.opening();
    const id = `garlicgate-hs-${randomBytes(6).toString('hex')}`;
    const t0 = Date.now();
    let control: SamSocket | undefined;
    let forward: SamSocket | undefined;
    try {
      control = await this.open();
      const options = Object.entries({ ...DEFAULT_SESSION_OPTIONS, ...this.opts.sessionOptions });
      const created = sessionStatusOutcome(await control.command(sessionCreateCommand(id, options, 7, this.opts.leaseSetEncType ?? '4,0', this.opts.privateKeys), this.timeouts.sessionCreateMs));
      if (!created.ok) throw new I2PBackendError('backend-down', `SESSION CREATE refused: ${describe(created)}`);
      // Our listener on the address the bridge sees us at (loopback when it runs on this box).
      const local = control.socket.localAddress ?? '127.0.0.1';
      const port = await this.listen(local.startsWith('::ffff:') ? local.slice(7) : local);
      this.bridgeAddress = control.socket.remoteAddress;
      forward = await this.open();
      const fwd = streamStatusOutcome(await forward.command(streamForwardCommand(id, port, local.startsWith('::ffff:') ? local.slice(7) : local), this.timeouts.helloMs));
      if (!fwd.ok) throw new I2PBackendError('backend-down', `STREAM FORWARD refused: ${describe(fwd)}`);
    } catch (e) {
      for (const s of [control, forward]) if (s) {
        this.busy.delete(s);
        s.destroy();
      }
      if (this.closed) return;
      this.counters.sessionAttemptsFailed++;
      const reason = (asBackendError(e) as Error).message ?? String(e);
      const delay = this.policy.failed(Date.now(), reason);
      this.log.warn({ id, reason, retryInMs: delay }, 'hidden service: SAM session could not be created');
      this.setStatus('error', reason);
      this.scheduleRetry(delay);
      return;
    }
    this.busy.delete(control);
    this.busy.delete(forward);
    if (this.closed) {
      control.destroy();
      forward.destroy();
      return;
    }
    this.control = control;
    this.forward = forward;
    this.sessionIdValue = id;
    this.policy.ready();
    this.counters.sessionsCreated++;
    this.log.info({ id, ms: Date.now() - t0 }, 'hidden service published');
    this.setStatus('published');
    control.onLost((reason) => this.sessionLost(id, `session socket: ${reason}`));
    forward.onLost((reason) => this.sessionLost(id, `forwarding socket: ${reason}`));
  }

  private sessionLost(id: string, reason: string): void {
    if (this.sessionIdValue !== id || this.closed) return;
    this.dropSockets();
    this.counters.sessionsLost++;
    const delay = this.policy.failed(Date.now(), reason);
    this.log.warn({ id, reason, retryInMs: delay }, 'hidden service: SAM session lost');
    this.setStatus('starting', reason);
    this.scheduleRetry(delay);
  }

  private dropSockets(): void {
    this.sessionIdValue = undefined;
    this.control?.destroy();
    this.forward?.destroy();
    this.control = undefined;
    this.forward = undefined;
  }

  private scheduleRetry(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.openSession(), delayMs);
  }

  /** The listener the bridge forwards to (kept across sessions unless the local address changed). */
  private async listen(address: string): Promise<number> {
    const current = this.listener?.address() as net.AddressInfo | null | undefined;
    if (current && current.address === address) return current.port;
    if (this.listener) {
      const old = this.listener;
      this.listener = undefined;
      old.close();
    }
    const server = net.createServer({ allowHalfOpen: true }, (s) => this.onForwarded(s));
    server.on('error', (e) => this.log.warn({ err: e.message }, 'hidden service: listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listener = server;
    return (server.address() as net.AddressInfo).port;
  }

  /** A stream forwarded by the bridge: peer line, then the LAN service, then both ways. */
  private onForwarded(i2p: net.Socket): void {
    i2p.on('error', () => {
      // Handled where it matters (the pipe, close); a reset must not throw.
    });
    const c = this.counters;
    const max = this.opts.maxStreams ?? 64;
    if (i2p.remoteAddress !== this.bridgeAddress || this.connections.size >= max) {
      c.refused++;
      this.log.debug({ from: i2p.remoteAddress, open: this.connections.size }, 'hidden service: connection refused (not the bridge, or too many)');
      i2p.resetAndDestroy();
      return;
    }
    this.connections.add(i2p);
    c.streamsOpen = this.connections.size;
    i2p.once('close', () => {
      this.connections.delete(i2p);
      c.streamsOpen = this.connections.size;
    });
    const setupMs = this.opts.setupTimeoutMs ?? 10_000;
    const decoder = new ForwardHeaderDecoder();
    const timer = setTimeout(() => {
      c.refused++;
      i2p.resetAndDestroy();
    }, setupMs);
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = i2p.read() as Buffer | null) !== null) {
        let r: ReturnType<ForwardHeaderDecoder['push']>;
        try {
          r = decoder.push(chunk);
        } catch (e) {
          clearTimeout(timer);
          i2p.off('readable', onReadable);
          c.refused++;
          this.log.info({ err: (e as Error).message }, 'hidden service: bad peer line from the bridge; connection dropped');
          i2p.resetAndDestroy();
          return;
        }
        if (!r.done) continue;
        clearTimeout(timer);
        i2p.off('readable', onReadable);
        if (r.rest.length > 0) i2p.unshift(r.rest);
        this.joinLan(i2p, r.peer.b32, setupMs);
        return;
      }
    };
    i2p.on('readable', onReadable);
  }

  private joinLan(i2p: net.Socket, peer: string, setupMs: number): void {
    const { host, port } = this.opts.target;
    const lan = net.connect({ host, port, allowHalfOpen: true });
    lan.setNoDelay(true);
    const timer = setTimeout(() => lan.destroy(new Error(`no connection within ${setupMs} ms`)), setupMs);
    const onFail = (e: Error): void => {
      clearTimeout(timer);
      this.counters.lanUnreachable++;
      this.log.info({ target: `${host}:${port}`, err: e.message }, 'hidden service: LAN service not reachable; stream reset');
      i2p.resetAndDestroy();
    };
    lan.once('error', onFail);
    lan.once('connect', () => {
      clearTimeout(timer);
      lan.off('error', onFail);
      if (i2p.destroyed) {
        lan.destroy();
        return;
      }
      this.counters.streams++;
      this.log.debug({ peer, target: `${host}:${port}` }, 'hidden service: stream joined to the LAN service');
      pipeBothWays(lan, i2p);
    });
    i2p.once('close', () => {
      if (lan.connecting) lan.destroy();
    });
  }
}
