/**
 * The transparent TCP proxy (issue 5, item 2). The firewall TPROXYs LAN TCP for the virtual range
 * to our listener (IP_TRANSPARENT, passed by systemd): an accepted socket's local address and port
 * ARE the original destination. The address is mapped back to its name (./virtual-address-map.ts),
 * an I2P stream is opened to name:port through the backend, and bytes are piped both ways with
 * back-pressure and half-close.
 *
 * Outproxy mode (off by default): connections to a virtual address whose name is a clearnet name,
 * and connections to any other address, on ports 80/443 only, go through the configured I2P
 * outproxy with HTTP CONNECT — by name when the DNS server handed out the address, by IP otherwise.
 *
 * Anything else — an address outside the range, an address no name maps to, a failed connect — is
 * reset (RST), so the client fails fast instead of waiting for a timeout.
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeBothWays } from './pipe.js';
import { connectAuthority } from '../util/http-connect.js';
import type { Logger } from '../util/log.js';
import { withDeadline } from './deadline.js';
import { httpConnect } from './http-connect.js';
import { I2PBackendError, type I2PBackendErrorKind, type I2PStreamBackend } from './i2p-backend.js';
import { classifyName } from './i2p-names.js';
import { describeListen, listenTcp, type ListenSpec } from './socket-activation.js';
import type { VirtualAddressMap } from './virtual-address-map.js';

/** Ports the outproxy carries: web traffic only (issue 5: "other TCP (ports 80/443)"). */
export const OUTPROXY_PORTS: ReadonlySet<number> = new Set([80, 443]);
/** Concurrent proxied connections; each holds an I2P stream, and a Pi has little memory. */
export const DEFAULT_MAX_PROXY_CONNECTIONS = 256;
/** An I2P stream may need a LeaseSet lookup and a tunnel round trip or two before it opens. */
export const DEFAULT_PROXY_CONNECT_TIMEOUT_MS = 45_000;

export interface OutproxyTarget {
  /** An `.i2p` name. */
  host: string;
  port: number;
}

export interface TransparentProxyOptions {
  backend: I2PStreamBackend;
  map: VirtualAddressMap;
  log: Logger;
  listen: ListenSpec;
  /** Set in outproxy mode. */
  outproxy?: OutproxyTarget;
  /** Ports that go to the outproxy (default {@link OUTPROXY_PORTS}). */
  outproxyPorts?: ReadonlySet<number>;
  connectTimeoutMs?: number;
  maxConnections?: number;
  now?: () => number;
  /** Told the address of every LAN client that connects (the dashboard's LAN clients). */
  onClient?: (address: string) => void;
}

export type ProxyRejectReason = 'limit' | 'not-virtual' | 'unknown-address' | 'port';

export interface ProxyCounters {
  accepted: number;
  /** Streams opened and piped. */
  connected: number;
  viaOutproxy: number;
  rejected: Record<ProxyRejectReason, number>;
  failed: Record<I2PBackendErrorKind, number>;
  /** The LAN client went away while the stream was being opened. */
  clientGone: number;
  bytesFromLan: number;
  bytesToLan: number;
}

interface Route {
  /** What backend.connect is asked for. */
  target: string;
  port: number;
  /** Set when the stream goes to the outproxy: the CONNECT authority. */
  connectAuthority?: string;
  /** The virtual address pinned in the map for the connection's lifetime. */
  retained?: string;
}

export class TransparentProxy {
  readonly counters: ProxyCounters = {
    accepted: 0,
    connected: 0,
    viaOutproxy: 0,
    rejected: { limit: 0, 'not-virtual': 0, 'unknown-address': 0, port: 0 },
    failed: { 'unknown-name': 0, unreachable: 0, timeout: 0, refused: 0, 'backend-down': 0, protocol: 0 },
    clientGone: 0,
    bytesFromLan: 0,
    bytesToLan: 0,
  };
  private server: net.Server | undefined;
  private readonly open = new Set<net.Socket>();
  private readonly streams = new Set<Duplex>();
  private readonly connectTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly now: () => number;
  private readonly outproxyPorts: ReadonlySet<number>;

  constructor(private readonly options: TransparentProxyOptions) {
    this.outproxyPorts = options.outproxyPorts ?? OUTPROXY_PORTS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_PROXY_CONNECT_TIMEOUT_MS;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_PROXY_CONNECTIONS;
    this.now = options.now ?? Date.now;
  }

  /** Connections open now (being set up or piping). */
  get active(): number {
    return this.open.size;
  }

  address(): net.AddressInfo | undefined {
    return (this.server?.address() as net.AddressInfo | null) ?? undefined;
  }

  async start(): Promise<void> {
    // allowHalfOpen: a client's FIN is passed on as the end of the I2P stream's outbound side
    // while the answer still flows back (HTTP/1.0 clients, `nc -N`, TLS close_notify).
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => void this.onConnection(s));
    this.server = server;
    const spec = this.options.listen;
    await listenTcp(server, spec);
    server.on('error', (e) => this.options.log.warn({ err: e.message }, 'proxy: server error'));
    this.options.log.info({ listen: describeListen(spec), address: server.address(), outproxy: this.options.outproxy }, 'proxy: listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.open) s.destroy();
    for (const s of this.streams) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Where a connection to `address:port` (its original destination) goes, or why it does not. */
  private route(address: string, port: number): Route | ProxyRejectReason {
    const { map, outproxy } = this.options;
    const name = map.nameOf(address);
    if (name !== undefined) {
      const kind = classifyName(name).kind;
      if (kind === 'b32' || kind === 'address-book') return { target: name, port, retained: address };
      // A clearnet name got a virtual address from the DNS server in outproxy mode.
      if (outproxy === undefined) return 'unknown-address';
      if (!this.outproxyPorts.has(port)) return 'port';
      return { target: outproxy.host, port: outproxy.port, connectAuthority: connectAuthority(name, port), retained: address };
    }
    if (map.range.parseHost(address) !== undefined) return 'unknown-address';
    if (outproxy === undefined) return 'not-virtual';
    if (!this.outproxyPorts.has(port)) return 'port';
    const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
    return { target: outproxy.host, port: outproxy.port, connectAuthority: connectAuthority(v4, port) };
  }

  private async onConnection(socket: net.Socket): Promise<void> {
    const c = this.counters;
    c.accepted++;
    socket.on('error', () => {
      // Handled where it matters (pipeline, close); a reset LAN client must not throw.
    });
    const local = socket.localAddress ?? '';
    const port = socket.localPort ?? 0;
    const client = `${socket.remoteAddress}:${socket.remotePort}`;
    if (socket.remoteAddress !== undefined) this.options.onClient?.(socket.remoteAddress);
    if (this.open.size >= this.maxConnections) return this.reject(socket, 'limit', local, port, client);
    const route = this.route(local, port);
    if (typeof route === 'string') return this.reject(socket, route, local, port, client);

    this.open.add(socket);
    if (route.retained !== undefined) this.options.map.retain(route.retained, this.now());
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.open.delete(socket);
      if (route.retained !== undefined) this.options.map.release(route.retained, this.now());
      c.bytesFromLan += socket.bytesRead;
      c.bytesToLan += socket.bytesWritten;
    };
    socket.once('close', release);
    socket.setKeepAlive(true, 60_000);
    socket.setNoDelay(true);

    // The client leaving (RST) while the stream is being opened aborts the open. A paused socket
    // is not read, so a reset would go unnoticed: read(0) reads into the socket's own buffer (up to
    // its high-water mark, nothing consumed) so errors surface. A FIN is not "gone": it may be a
    // half-close after the request, which the pipe passes on once the stream is open.
    const clientGone = new AbortController();
    const onEarlyClose = (): void => clientGone.abort(new Error('LAN client closed'));
    socket.once('close', onEarlyClose);
    socket.read(0);
    const log = this.options.log.child({ client, dst: `${local}:${port}`, target: route.connectAuthority ?? `${route.target}:${route.port}` });
    let stream: Duplex;
    try {
      stream = await withDeadline(
        async (signal) => {
          const s = await this.options.backend.connect(route.target, route.port, signal);
          if (route.connectAuthority !== undefined) {
            try {
              await httpConnect(s, route.connectAuthority, signal);
            } catch (e) {
              s.destroy();
              throw e;
            }
          }
          return s;
        },
        this.connectTimeoutMs,
        `connect to ${route.connectAuthority ?? route.target}:${route.port}`,
        { signal: clientGone.signal, onLate: (s) => s.destroy() },
      );
    } catch (e) {
      socket.off('close', onEarlyClose);
      if (clientGone.signal.aborted) {
        c.clientGone++;
        log.debug('proxy: client left before the stream opened');
      } else {
        const kind: I2PBackendErrorKind = e instanceof I2PBackendError ? e.kind : 'protocol';
        c.failed[kind]++;
        log.info({ kind, err: (e as Error).message }, 'proxy: stream open failed, resetting the LAN connection');
      }
      if (!socket.destroyed) socket.resetAndDestroy();
      release();
      return;
    }
    socket.off('close', onEarlyClose);
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    c.connected++;
    if (route.connectAuthority !== undefined) c.viaOutproxy++;
    log.debug('proxy: stream open');
    this.pipe(socket, stream);
  }

  private reject(socket: net.Socket, reason: ProxyRejectReason, local: string, port: number, client: string): void {
    this.counters.rejected[reason]++;
    this.options.log.debug({ reason, dst: `${local}:${port}`, client }, 'proxy: connection refused');
    socket.resetAndDestroy();
  }

  /** Both directions, with back-pressure and half-close (./pipe.ts). */
  private pipe(socket: net.Socket, stream: Duplex): void {
    this.streams.add(stream);
    pipeBothWays(socket, stream, () => this.streams.delete(stream));
  }
}
