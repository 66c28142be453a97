/**
 * The LAN DNS server's sockets (UDP and TCP, RFC 7766) around {@link DnsResponder}. Thin: framing,
 * per-client rate limits, bounds on connections, idle time, messages per connection and work in
 * flight. Nothing a client sends can stop it: bad messages are answered FORMERR or dropped by the
 * responder, bad TCP framing closes that one connection.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { Logger } from '../util/log.js';
import { ProtocolError } from '../util/errors.js';
import { MAX_DNS_QUERY } from './dns-message.js';
import type { DnsResponder } from './dns-responder.js';
import { DnsTcpFramer, frameDnsMessage } from './dns-tcp-framer.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
import { bindUdp, describeListen, listenTcp, type ListenSpec } from './socket-activation.js';

export interface DnsServerLimits {
  /** Per client (IP address); `false` = none (benchmarks). */
  rate: RateLimiterOptions | false;
  tcpMaxConnections: number;
  /** RFC 7766 §6.2.3: close idle connections; seconds, not minutes, on a small box. */
  tcpIdleMs: number;
  tcpMaxQueriesPerConnection: number;
  /** Queries of one TCP connection being answered at once; reading pauses above it. */
  tcpMaxInFlight: number;
  /** UDP queries being answered at once (waiting for a name lookup); more are dropped. */
  udpMaxInFlight: number;
}

export const DEFAULT_DNS_LIMITS: DnsServerLimits = {
  rate: { ratePerSecond: 100, burst: 200, maxClients: 1024 },
  tcpMaxConnections: 64,
  tcpIdleMs: 10_000,
  tcpMaxQueriesPerConnection: 100,
  tcpMaxInFlight: 8,
  udpMaxInFlight: 1024,
};

export interface DnsServerOptions {
  responder: DnsResponder;
  log: Logger;
  udp?: ListenSpec;
  tcp?: ListenSpec;
  limits?: Partial<DnsServerLimits>;
  now?: () => number;
  /** Told the address of every client that sends a query (the dashboard's LAN clients). */
  onClient?: (address: string) => void;
}

export interface DnsServerCounters {
  udpReceived: number;
  tcpConnections: number;
  tcpRejected: number;
  tcpFramingErrors: number;
  tcpIdleClosed: number;
  rateLimited: number;
  overloaded: number;
}

export class DnsServer {
  readonly counters: DnsServerCounters = { udpReceived: 0, tcpConnections: 0, tcpRejected: 0, tcpFramingErrors: 0, tcpIdleClosed: 0, rateLimited: 0, overloaded: 0 };
  private readonly limits: DnsServerLimits;
  private readonly rate: RateLimiter | undefined;
  private readonly now: () => number;
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly tcpSockets = new Set<net.Socket>();
  private udpInFlight = 0;

  constructor(private readonly options: DnsServerOptions) {
    this.limits = { ...DEFAULT_DNS_LIMITS, ...options.limits };
    this.rate = this.limits.rate === false ? undefined : new RateLimiter(this.limits.rate);
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    try {
      if (this.options.udp) await this.startUdp(this.options.udp);
      if (this.options.tcp) await this.startTcp(this.options.tcp);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Bound UDP and TCP addresses (for tests: port 0 picks one). */
  addresses(): { udp?: net.AddressInfo; tcp?: net.AddressInfo } {
    return { udp: this.udp?.address(), tcp: (this.tcp?.address() as net.AddressInfo | null) ?? undefined };
  }

  get tcpOpen(): number {
    return this.tcpSockets.size;
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    for (const s of this.tcpSockets) s.destroy();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private allowed(client: string | undefined): boolean {
    if (this.rate === undefined) return true;
    if (this.rate.allow(client ?? '', this.now())) return true;
    this.counters.rateLimited++;
    return false;
  }

  private async startUdp(spec: ListenSpec): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 256 * 1024 });
    this.udp = sock;
    await bindUdp(sock, spec);
    // After binding, a socket error (ICMP unreachable echoes on some systems) must not kill us.
    sock.on('error', (e) => this.options.log.warn({ err: e.message }, 'dns: UDP socket error'));
    sock.on('message', (msg, rinfo) => this.onUdp(sock, msg, rinfo));
    this.options.log.info({ listen: describeListen(spec), address: sock.address() }, 'dns: listening on UDP');
  }

  private onUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.udpReceived++;
    if (!this.allowed(rinfo.address)) return;
    this.options.onClient?.(rinfo.address);
    if (this.udpInFlight >= this.limits.udpMaxInFlight) {
      this.counters.overloaded++;
      return;
    }
    this.udpInFlight++;
    void this.options.responder.respond(msg, 'udp').then((response) => {
      this.udpInFlight--;
      if (response === undefined || this.udp !== sock) return;
      sock.send(response, rinfo.port, rinfo.address, (err) => {
        if (err) this.options.log.debug({ err: err.message, client: rinfo.address }, 'dns: UDP send failed');
      });
    });
  }

  private async startTcp(spec: ListenSpec): Promise<void> {
    // allowHalfOpen: a client that shuts its sending side still gets the answers in flight.
    const server = net.createServer({ allowHalfOpen: true }, (s) => this.onTcp(s));
    this.tcp = server;
    await listenTcp(server, spec);
    server.on('error', (e) => this.options.log.warn({ err: e.message }, 'dns: TCP server error'));
    this.options.log.info({ listen: describeListen(spec), address: server.address() }, 'dns: listening on TCP');
  }

  private onTcp(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.tcpSockets.size >= this.limits.tcpMaxConnections) {
      this.counters.tcpRejected++;
      socket.destroy();
      return;
    }
    this.counters.tcpConnections++;
    this.tcpSockets.add(socket);
    socket.once('close', () => this.tcpSockets.delete(socket));
    socket.setTimeout(this.limits.tcpIdleMs, () => {
      this.counters.tcpIdleClosed++;
      socket.destroy();
    });
    const framer = new DnsTcpFramer(MAX_DNS_QUERY);
    const client = socket.remoteAddress;
    if (client !== undefined) this.options.onClient?.(client);
    let queries = 0;
    let inFlight = 0;
    let readingDone = false;
    const maybeEnd = (): void => {
      if (readingDone && inFlight === 0 && !socket.destroyed) socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      if (readingDone) return;
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.counters.tcpFramingErrors++;
        socket.destroy();
        return;
      }
      for (const msg of messages) {
        if (++queries > this.limits.tcpMaxQueriesPerConnection) {
          // RFC 7766 §6.2.3: the server may close; answer what we have, then FIN.
          readingDone = true;
          socket.pause();
          break;
        }
        if (!this.allowed(client)) continue;
        inFlight++;
        if (inFlight >= this.limits.tcpMaxInFlight) socket.pause();
        void this.options.responder.respond(msg, 'tcp').then((response) => {
          inFlight--;
          if (socket.destroyed) return;
          if (response !== undefined) socket.write(frameDnsMessage(response));
          if (!readingDone && inFlight < this.limits.tcpMaxInFlight) socket.resume();
          maybeEnd();
        });
      }
      maybeEnd();
    });
    socket.on('end', () => {
      readingDone = true;
      maybeEnd();
    });
  }
}
