/**
 * The thin socket shell around SamExchange: one TCP connection to the SAM bridge, HELLO done on
 * open, then one command at a time with a deadline and an optional AbortSignal. It either stays a
 * command socket (the session's control socket, naming lookups) or, after STREAM STATUS RESULT=OK,
 * is handed out as the stream itself (takeStream()).
 *
 * Failures are I2PBackendError: the bridge not accepting or dropping the socket is backend-down, a
 * reply we cannot parse or did not expect is protocol, a missed deadline is timeout. An aborted call
 * rejects with the signal's reason, as Node's own APIs do.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { I2PBackendError } from '../../gateway/i2p-backend.js';
import type { Logger } from '../../util/log.js';
import { helloCommand, helloOutcome, SAM_VERSIONS, type SamCommand, type SamVersionRange } from './sam-commands.js';
import { SamExchange, type SamExchangeEvent } from './sam-exchange.js';
import { SamProtocolError, type SamReply } from './sam-line.js';

export interface SamSocketOptions {
  host: string;
  port: number;
  /** TCP connect to the bridge, ms. */
  connectTimeoutMs: number;
  /** HELLO answered, ms. */
  helloTimeoutMs: number;
  versions?: SamVersionRange;
  signal?: AbortSignal;
  log?: Logger;
  /** Clock for deadlines (ms); default Date.now. */
  now?: () => number;
}

interface InFlight {
  resolve(reply: SamReply): void;
  reject(e: unknown): void;
}

export class SamSocket {
  private readonly exchange = new SamExchange();
  private readonly now: () => number;
  private inFlight: InFlight | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private lostHandler: ((reason: string) => void) | undefined;
  private versionValue = '';
  private readonly onReadable = (): void => this.pump();
  private readonly onEnd = (): void => this.fail(new I2PBackendError('backend-down', 'the SAM bridge closed the socket'));
  private readonly onError = (e: Error): void => this.fail(new I2PBackendError('backend-down', `SAM bridge socket: ${e.message}`));

  private constructor(
    readonly socket: Socket,
    private readonly opts: SamSocketOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The SAM version the bridge chose. */
  get version(): string {
    return this.versionValue;
  }

  /** Connects to the bridge and completes HELLO. */
  static async open(opts: SamSocketOptions): Promise<SamSocket> {
    opts.signal?.throwIfAborted();
    const socket = tcpConnect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const s = new SamSocket(socket, opts);
    await s.connected(opts.signal);
    socket.on('readable', s.onReadable);
    socket.on('end', s.onEnd);
    const range = opts.versions ?? SAM_VERSIONS;
    let outcome: ReturnType<typeof helloOutcome>;
    try {
      outcome = helloOutcome(await s.command(helloCommand(range), opts.helloTimeoutMs, opts.signal), range);
    } catch (e) {
      s.destroy();
      throw asBackendError(e);
    }
    if (!outcome.ok) {
      s.destroy();
      // NOVERSION: the bridge speaks no SAM we can use; I2P_ERROR: e.g. authentication required.
      throw new I2PBackendError(outcome.result === 'NOVERSION' ? 'protocol' : 'backend-down', `SAM HELLO refused: ${outcome.result}${outcome.message ? ` (${outcome.message})` : ''}`);
    }
    s.versionValue = outcome.value;
    return s;
  }

  /**
   * Sends one command and resolves with its reply. Rejects with I2PBackendError (protocol for a
   * malformed or unexpected reply, timeout, backend-down if the bridge goes away) or the signal's
   * reason; the socket is destroyed in every one of those cases.
   */
  command(command: SamCommand, timeoutMs: number, signal?: AbortSignal): Promise<SamReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (signal?.aborted) {
      this.destroy();
      return Promise.reject(signal.reason);
    }
    const now = this.now();
    const bytes = this.exchange.send(command, now, timeoutMs);
    return new Promise<SamReply>((resolve, reject) => {
      const onAbort = (): void => this.fail(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(this.timer);
        this.timer = undefined;
      };
      this.inFlight = {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      this.armDeadline();
      this.socket.write(bytes);
      // Bytes may already be buffered (a reply that arrived with the previous one).
      this.pump();
    });
  }

  /**
   * After STREAM STATUS RESULT=OK: the socket, now carrying the stream, with any stream bytes that
   * arrived behind the reply line put back in front. Our listeners are gone, so the socket behaves
   * like a fresh one (flowing once someone reads or pipes).
   */
  takeStream(): Socket {
    const rest = this.exchange.takeStream();
    this.detach();
    if (rest.length > 0) this.socket.unshift(rest);
    return this.socket;
  }

  /**
   * For the session's control socket: `handler` runs once when the bridge closes it, errors, or
   * says anything unasked (e.g. SESSION STATUS RESULT=I2P_ERROR) — the session is gone then.
   */
  onLost(handler: (reason: string) => void): void {
    this.lostHandler = handler;
    if (this.failure !== undefined) this.fireLost(String((this.failure as Error).message ?? this.failure));
  }

  /** Ends what is under way: the command in flight rejects with `reason`, the socket is dropped. */
  abort(reason: unknown): void {
    this.fail(reason);
  }

  destroy(): void {
    this.exchange.close();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.detach();
    this.socket.on('error', () => {}); // errors racing the destroy are of no interest
    this.socket.destroy();
  }

  private connected(signal: AbortSignal | undefined): Promise<void> {
    const { socket, opts } = this;
    return new Promise<void>((resolve, reject) => {
      const finish = (e?: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('connect', onConnect);
        socket.removeListener('error', onConnectError);
        if (e === undefined) {
          socket.on('error', this.onError);
          resolve();
        } else {
          this.destroy();
          reject(e);
        }
      };
      const onConnect = (): void => finish();
      const onAbort = (): void => finish(signal!.reason);
      const onConnectError = (e: Error): void => finish(new I2PBackendError('backend-down', `SAM bridge ${opts.host}:${opts.port}: ${e.message}`));
      const timer = setTimeout(
        () => finish(new I2PBackendError('backend-down', `SAM bridge ${opts.host}:${opts.port} did not accept a connection within ${opts.connectTimeoutMs} ms`)),
        opts.connectTimeoutMs,
      );
      socket.once('connect', onConnect);
      socket.once('error', onConnectError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A timer at the exchange's deadline; the exchange decides whether it has passed. */
  private armDeadline(): void {
    const deadline = this.exchange.nextDeadline();
    if (deadline === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const events = this.exchange.tick(this.now());
      if (events.length > 0) this.handle(events);
      else this.armDeadline();
    }, Math.max(1, deadline - this.now()));
  }

  private pump(): void {
    if (this.failure !== undefined) return;
    let chunk: Buffer | null;
    // Stop at once when the exchange turned into a stream: what follows is the stream's.
    while (this.exchange.state !== 'stream' && (chunk = this.socket.read() as Buffer | null) !== null) {
      let events: SamExchangeEvent[];
      try {
        events = this.exchange.receive(chunk, this.now());
      } catch (e) {
        this.fail(asBackendError(e));
        return;
      }
      this.handle(events);
      if (this.failure !== undefined) return;
    }
  }

  private handle(events: SamExchangeEvent[]): void {
    for (const ev of events) {
      switch (ev.type) {
        case 'reply': {
          const f = this.inFlight;
          this.inFlight = undefined;
          f?.resolve(ev.reply);
          break;
        }
        case 'write':
          this.socket.write(ev.bytes);
          break;
        case 'unsolicited': {
          const text = `${ev.reply.command} ${ev.reply.subcommand ?? ''} ${[...ev.reply.options].map(([k, v]) => `${k}=${v}`).join(' ')}`;
          this.opts.log?.warn({ line: text.slice(0, 200) }, 'SAM bridge spoke unasked; dropping the socket');
          this.fail(new I2PBackendError('backend-down', `SAM bridge said unasked: ${text.slice(0, 120)}`));
          return;
        }
        case 'timeout':
          this.fail(new I2PBackendError('timeout', `SAM ${ev.command}: no answer in time`));
          return;
      }
    }
  }

  private fail(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    const f = this.inFlight;
    this.inFlight = undefined;
    this.destroy();
    f?.reject(e);
    this.fireLost(e instanceof Error ? e.message : String(e));
  }

  private fireLost(reason: string): void {
    const h = this.lostHandler;
    this.lostHandler = undefined;
    h?.(reason);
  }

  private detach(): void {
    this.socket.removeListener('readable', this.onReadable);
    this.socket.removeListener('end', this.onEnd);
    this.socket.removeListener('error', this.onError);
  }
}

/** SamProtocolError (a reply we cannot use) as the backend's `protocol` error; others unchanged. */
export function asBackendError(e: unknown): unknown {
  return e instanceof SamProtocolError ? new I2PBackendError('protocol', `SAM bridge: ${e.message}`) : e;
}
