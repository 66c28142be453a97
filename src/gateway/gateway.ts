/**
 * The LAN gateway service: the `.i2p` DNS server and the transparent proxy, sharing one virtual
 * address map, started from the `gateway.*` options with a given I2P backend. Listeners come from
 * systemd socket activation when present (`FileDescriptorName=` proxy / dns-udp / dns-tcp, see
 * ./socket-activation.ts), else the servers bind the configured addresses themselves.
 */
import { LanClients } from './lan-clients.js';
import { ConfigError } from '../config/option-spec.js';
import type { GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../util/log.js';
import { DnsResponder, type DnsCounters } from './dns-responder.js';
import { DnsServer, type DnsServerCounters, type DnsServerLimits } from './dns-server.js';
import type { I2PStreamBackend } from './i2p-backend.js';
import { Ipv4Range } from './ipv4-range.js';
import { NameChecker } from './name-checker.js';
import { activatedSockets, FD_NAMES, type ActivatedSocket, type ListenSpec } from './socket-activation.js';
import { TransparentProxy, type OutproxyTarget, type ProxyCounters } from './transparent-proxy.js';
import { VirtualAddressMap } from './virtual-address-map.js';

/**
 * How long a virtual address stays reserved after the last answer or connection, beyond the TTL:
 * some clients (browsers, JVMs) keep answers a little longer than the TTL says.
 */
export const VIRTUAL_ADDRESS_GRACE_S = 60;

export type GatewaySettings = Pick<
  GatewayConfig,
  'gateway.virtualrange' | 'gateway.mode' | 'gateway.outproxy' | 'gateway.dns.address' | 'gateway.dns.port' | 'gateway.dns.ttl' | 'gateway.proxy.port'
>;

export interface GatewayOptions {
  config: GatewaySettings;
  backend: I2PStreamBackend;
  log: Logger;
  /** Sockets passed by systemd; default: read from the environment (LISTEN_FDS). */
  activated?: ActivatedSocket[];
  /** Address the proxy binds when not socket-activated (default 0.0.0.0). */
  proxyHost?: string;
  dnsLimits?: Partial<DnsServerLimits>;
  proxyConnectTimeoutMs?: number;
  maxProxyConnections?: number;
}

export interface GatewayStats {
  virtualAddresses: number;
  virtualAddressesReused: number;
  dns: DnsCounters & DnsServerCounters;
  names: NameChecker['counters'];
  proxy: ProxyCounters & { active: number };
}

/** `name.i2p:port` → host and port. The option's parser has checked the shape. */
export function parseOutproxy(value: string): OutproxyTarget {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
}

export class Gateway {
  readonly map: VirtualAddressMap;
  readonly checker: NameChecker;
  readonly responder: DnsResponder;
  readonly dns: DnsServer;
  readonly proxy: TransparentProxy;
  /** Who on the LAN used the gateway (DNS queries, proxied connections). */
  readonly lanClients = new LanClients();

  constructor(options: GatewayOptions) {
    const cfg = options.config;
    const mode = cfg['gateway.mode'];
    const outproxy = cfg['gateway.outproxy'];
    if (mode === 'outproxy' && outproxy === undefined) {
      throw new ConfigError('option --gateway.mode=outproxy needs --gateway.outproxy (name.i2p:port)');
    }
    const ttl = cfg['gateway.dns.ttl'];
    this.map = new VirtualAddressMap(new Ipv4Range(cfg['gateway.virtualrange']), { holdMs: (ttl + VIRTUAL_ADDRESS_GRACE_S) * 1000 });
    this.checker = new NameChecker(options.backend);
    this.responder = new DnsResponder({ map: this.map, checker: this.checker, mode, ttl });

    const activated = options.activated ?? activatedSockets();
    const fd = (name: string): ListenSpec | undefined => {
      const s = activated.find((a) => a.name === name);
      return s === undefined ? undefined : { fd: s.fd };
    };
    for (const a of activated) {
      if (!Object.values(FD_NAMES).includes(a.name as never)) options.log.warn({ fd: a.fd, name: a.name }, 'gateway: ignoring a passed socket with an unknown FileDescriptorName');
    }
    const dnsBind: ListenSpec = { host: cfg['gateway.dns.address'], port: cfg['gateway.dns.port'] };
    const dnsUdp = fd(FD_NAMES.dnsUdp);
    const dnsTcp = fd(FD_NAMES.dnsTcp);
    // If systemd passes the DNS sockets it owns the address; otherwise we bind both ourselves.
    const dnsActivated = dnsUdp !== undefined || dnsTcp !== undefined;
    this.dns = new DnsServer({
      responder: this.responder,
      log: options.log.child({ part: 'dns' }),
      udp: dnsActivated ? dnsUdp : dnsBind,
      tcp: dnsActivated ? dnsTcp : dnsBind,
      limits: options.dnsLimits,
      onClient: (a) => this.lanClients.seen(a, Date.now()),
    });
    this.proxy = new TransparentProxy({
      backend: options.backend,
      map: this.map,
      log: options.log.child({ part: 'proxy' }),
      listen: fd(FD_NAMES.proxy) ?? { host: options.proxyHost ?? '0.0.0.0', port: cfg['gateway.proxy.port'] },
      outproxy: mode === 'outproxy' ? parseOutproxy(outproxy!) : undefined,
      connectTimeoutMs: options.proxyConnectTimeoutMs,
      maxConnections: options.maxProxyConnections,
      onClient: (a) => this.lanClients.seen(a, Date.now()),
    });
  }

  async start(): Promise<void> {
    await this.dns.start();
    try {
      await this.proxy.start();
    } catch (e) {
      await this.dns.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.dns.stop(), this.proxy.stop()]);
  }

  stats(): GatewayStats {
    return {
      virtualAddresses: this.map.size,
      virtualAddressesReused: this.map.reused,
      dns: { ...this.responder.counters, ...this.dns.counters },
      names: { ...this.checker.counters },
      proxy: { ...this.proxy.counters, active: this.proxy.active },
    };
  }
}
