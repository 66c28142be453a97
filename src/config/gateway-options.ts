/**
 * LAN gateway options (issue 5): the `.i2p` DNS server, the transparent proxy into I2P streams and
 * the fail-closed firewall. i2pd has no gateway, so these names are ours, grouped under `gateway.*`
 * in i2pd's dotted style (`[gateway]` in the INI file). In the shape of OPTIONS in ./options.ts, to
 * be merged into it.
 */
import { isIP } from 'node:net';
import { ConfigError, parseBool, parseIpAddress, parsePortNumber, type OptionSpec, type Parser } from './option-spec.js';

export type GatewayMode = 'i2p' | 'outproxy';
export type GatewayBackend = 'sam';
export type FirewallControl = 'direct' | 'service';

export interface GatewayConfig {
  /** Run the LAN DNS server and transparent proxy. Off by default (the appliance turns it on). */
  'gateway.enabled': boolean;
  /** The LAN-facing interface and the box's address on it, with prefix (`192.168.42.1/24`). */
  'gateway.lan.interface': string;
  'gateway.lan.address': string;
  /** Accept SSH (TCP 22) from the LAN to the box's LAN address. Off by default: the box is managed from its web page. */
  'gateway.lan.ssh': boolean;
  /** The uplink interface: only the router's transport ports are open on it. */
  'gateway.wan.interface': string;
  /**
   * The uplink's static IPv4 address with prefix; unset = DHCP. With the gateway and route below,
   * written into the box's systemd-networkd file for the WAN (src/gateway/networkd.ts).
   */
  'gateway.wan.address': string | undefined;
  'gateway.wan.gateway': string | undefined;
  /** DNS servers for the box itself on the uplink (the LAN's DNS is ours). */
  'gateway.wan.dns': string[];
  /** IPv4 range the DNS server hands out for `.i2p` names (Tor's VirtualAddrNetwork). */
  'gateway.virtualrange': string;
  /** `i2p`: only `.i2p` names resolve (default). `outproxy`: other names go to `gateway.outproxy`. */
  'gateway.mode': GatewayMode;
  /** I2P outproxy (`host.i2p:port`, HTTP CONNECT) for outproxy mode. */
  'gateway.outproxy': string | undefined;
  /** Where the DNS server listens (LAN port 53 is redirected here by the firewall). */
  'gateway.dns.address': string;
  'gateway.dns.port': number;
  /** TTL of answers for `.i2p` names, seconds: short, so a freed virtual address is not cached long. */
  'gateway.dns.ttl': number;
  /** The transparent proxy's port (TPROXY target of LAN TCP to the virtual range). */
  'gateway.proxy.port': number;
  /** How streams into I2P are opened: `sam` (a SAM v3 bridge, e.g. i2pd's). */
  'gateway.backend': GatewayBackend;
  'gateway.sam.address': string;
  'gateway.sam.port': number;
  /** Hops of the tunnels of the owner's I2P sites (hidden services), as i2pd's per-tunnel options. */
  'gateway.services.inbound.length': number;
  'gateway.services.outbound.length': number;
  /** Serve DHCP on the LAN (dnsmasq, DHCP only, DNS = us). */
  'gateway.dhcp.enabled': boolean;
  /** `first-last` IPv4 pool; empty = .50–.250 of the LAN prefix. */
  'gateway.dhcp.range': string | undefined;
  /** dnsmasq's lease file: `dhcp print` writes it into dnsmasq's config; the dashboard reads client names from it. Empty = `<datadir>/dnsmasq.leases`. */
  'gateway.dhcp.leasefile': string | undefined;
  /**
   * Who loads and checks the firewall for the admin UI. `direct`: the router process itself (it
   * needs CAP_NET_ADMIN). `service`: root's systemd units (the appliance, where the router holds no
   * capability): the router writes a network request file and reads their reports
   * (src/gateway/firewall/network-request.ts, firewall-report.ts).
   */
  'gateway.firewall.control': FirewallControl;
  /** With `service`: the network request the router writes, and the directory of root's reports. */
  'gateway.firewall.request': string;
  'gateway.firewall.status': string;
}

export function defaultGatewayConfig(): GatewayConfig {
  return {
    'gateway.enabled': false,
    'gateway.lan.interface': 'eth0',
    'gateway.lan.address': '192.168.42.1/24',
    'gateway.lan.ssh': false,
    'gateway.wan.interface': 'wlan0',
    'gateway.wan.address': undefined,
    'gateway.wan.gateway': undefined,
    'gateway.wan.dns': [],
    'gateway.virtualrange': '10.191.0.0/16',
    'gateway.mode': 'i2p',
    'gateway.outproxy': undefined,
    'gateway.dns.address': '0.0.0.0',
    // Not 5353 (mDNS, taken by avahi on Raspberry Pi OS); unprivileged, so no CAP_NET_BIND_SERVICE.
    'gateway.dns.port': 7053,
    'gateway.dns.ttl': 30,
    'gateway.proxy.port': 7040,
    'gateway.backend': 'sam',
    'gateway.sam.address': '127.0.0.1',
    'gateway.sam.port': 7656,
    'gateway.services.inbound.length': 3,
    'gateway.services.outbound.length': 3,
    'gateway.dhcp.enabled': true,
    'gateway.dhcp.range': undefined,
    'gateway.dhcp.leasefile': undefined,
    'gateway.firewall.control': 'direct',
    'gateway.firewall.request': '/run/garlicgate/network-request.json',
    'gateway.firewall.status': '/run/garlicgate-firewall',
  };
}

const INTERFACE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/;

const parseInterface: Parser<string> = (raw, name) => {
  const v = raw.trim();
  if (!INTERFACE.test(v)) throw new ConfigError(`option --${name}: "${raw}" is not a network interface name (1–15 letters, digits, . _ - @)`);
  return v;
};

/** Dotted-quad IPv4 → 32-bit unsigned. Assumes isIP(v) === 4. */
export function ipv4ToInt(v: string): number {
  return v.split('.').reduce((acc, part) => (acc * 256 + Number(part)) >>> 0, 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Ipv4Prefix {
  address: string;
  bits: number;
}

export function parseIpv4Prefix(raw: string, name: string): Ipv4Prefix {
  const v = raw.trim();
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(v);
  if (!m || isIP(m[1]!) !== 4 || Number(m[2]) > 32) {
    throw new ConfigError(`option --${name}: expected an IPv4 address with prefix length (a.b.c.d/n), got "${raw}"`);
  }
  return { address: m[1]!, bits: Number(m[2]) };
}

const parseLanAddress: Parser<string> = (raw, name) => {
  const p = parseIpv4Prefix(raw, name);
  if (p.bits < 8 || p.bits > 30) throw new ConfigError(`option --${name}: a LAN prefix must be /8–/30, got /${p.bits}`);
  const mask = p.bits === 0 ? 0 : (0xffffffff << (32 - p.bits)) >>> 0;
  const host = ipv4ToInt(p.address) & ~mask;
  if (host === 0 || host === (~mask >>> 0)) throw new ConfigError(`option --${name}: ${p.address} is the network or broadcast address of /${p.bits}`);
  return `${p.address}/${p.bits}`;
};

const parseVirtualRange: Parser<string> = (raw, name) => {
  const p = parseIpv4Prefix(raw, name);
  if (p.bits < 8 || p.bits > 24) throw new ConfigError(`option --${name}: the virtual range must be /8–/24 (enough addresses for the names in use), got /${p.bits}`);
  const mask = (0xffffffff << (32 - p.bits)) >>> 0;
  if ((ipv4ToInt(p.address) & ~mask) !== 0) throw new ConfigError(`option --${name}: ${p.address}/${p.bits} has host bits set (did you mean ${intToIpv4(ipv4ToInt(p.address) & mask)}/${p.bits}?)`);
  return `${p.address}/${p.bits}`;
};

const parseMode: Parser<GatewayMode> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v !== 'i2p' && v !== 'outproxy') throw new ConfigError(`option --${name}: expected i2p or outproxy, got "${raw}"`);
  return v;
};

const parseOutproxy: Parser<string | undefined> = (raw, name) => {
  const v = raw.trim();
  if (v === '') return undefined;
  const m = /^([a-z0-9.-]+\.i2p):(\d{1,5})$/i.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(`option --${name}: expected an I2P host and port (name.i2p:port), got "${raw}"`);
  return v.toLowerCase();
};

const parseTtl: Parser<number> = (raw, name) => {
  const v = raw.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 3600) throw new ConfigError(`option --${name}: expected 1–3600 seconds, got "${raw}"`);
  return Number(v);
};

const parseBackend: Parser<GatewayBackend> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v !== 'sam') throw new ConfigError(`option --${name}: expected sam (the in-process router backend is not available yet), got "${raw}"`);
  return v;
};

const parseWanAddress: Parser<string | undefined> = (raw, name) => {
  const v = raw.trim();
  if (v === '') return undefined;
  const p = parseIpv4Prefix(v, name);
  if (p.bits < 1 || p.bits > 32) throw new ConfigError(`option --${name}: expected an IPv4 address with prefix /1–/32, got "${raw}"`);
  return `${p.address}/${p.bits}`;
};

const parseOptionalIpv4: Parser<string | undefined> = (raw, name) => {
  const v = raw.trim();
  if (v === '') return undefined;
  if (isIP(v) !== 4) throw new ConfigError(`option --${name}: expected an IPv4 address, got "${raw}"`);
  return v;
};

const parseIpv4List: Parser<string[]> = (raw, name) => {
  const items = raw.split(/[\s,]+/).filter((x) => x !== '');
  if (items.length > 8) throw new ConfigError(`option --${name}: at most 8 addresses`);
  for (const x of items) if (isIP(x) !== 4) throw new ConfigError(`option --${name}: "${x}" is not an IPv4 address`);
  return items;
};

const parseFirewallControl: Parser<FirewallControl> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v !== 'direct' && v !== 'service') throw new ConfigError(`option --${name}: expected direct or service, got "${raw}"`);
  return v;
};

const parseAbsolutePath: Parser<string> = (raw, name) => {
  const v = raw.trim();
  if (!v.startsWith('/') || /[\0\r\n]/.test(v)) throw new ConfigError(`option --${name}: expected an absolute path, got "${raw}"`);
  return v;
};

const parseOptionalAbsolutePath: Parser<string | undefined> = (raw, name) => (raw.trim() === '' ? undefined : parseAbsolutePath(raw, name));

const parseHops: Parser<number> = (raw, name) => {
  const v = raw.trim();
  if (!/^\d$/.test(v) || Number(v) > 7) throw new ConfigError(`option --${name}: expected 0–7 hops, got "${raw}"`);
  return Number(v);
};

const parseDhcpRange: Parser<string | undefined> = (raw, name) => {
  const v = raw.trim();
  if (v === '') return undefined;
  const m = /^([0-9.]+)-([0-9.]+)$/.exec(v);
  if (!m || isIP(m[1]!) !== 4 || isIP(m[2]!) !== 4 || ipv4ToInt(m[1]!) > ipv4ToInt(m[2]!)) {
    throw new ConfigError(`option --${name}: expected first-last IPv4 addresses with first ≤ last, got "${raw}"`);
  }
  return v;
};

export const GATEWAY_OPTIONS: Record<keyof GatewayConfig, OptionSpec> = {
  'gateway.enabled': { parse: parseBool, flag: true, help: 'run the LAN gateway: .i2p DNS and transparent proxy (default false)' },
  'gateway.lan.interface': { parse: parseInterface, help: 'LAN interface (default eth0)' },
  'gateway.lan.address': { parse: parseLanAddress, help: "the box's LAN address with prefix (default 192.168.42.1/24)" },
  'gateway.wan.interface': { parse: parseInterface, help: 'uplink interface; only the router transport ports are open on it (default wlan0)' },
  'gateway.lan.ssh': { parse: parseBool, flag: true, help: "accept SSH (TCP 22) from the LAN to the box's LAN address (default false)" },
  'gateway.wan.address': { parse: parseWanAddress, help: "the uplink's static IPv4 address with prefix (default none: DHCP)" },
  'gateway.wan.gateway': { parse: parseOptionalIpv4, help: 'the default gateway with a static wan.address' },
  'gateway.wan.dns': { parse: parseIpv4List, help: 'DNS servers for the box itself on the uplink, comma-separated (default: from DHCP)' },
  'gateway.virtualrange': { parse: parseVirtualRange, help: 'IPv4 range handed out for .i2p names (default 10.191.0.0/16)' },
  'gateway.mode': { parse: parseMode, help: 'i2p: only .i2p names work (default); outproxy: other web traffic goes to gateway.outproxy' },
  'gateway.outproxy': { parse: parseOutproxy, help: 'I2P outproxy for outproxy mode, name.i2p:port (HTTP CONNECT)' },
  'gateway.dns.address': { parse: parseIpAddress, help: 'address the DNS server binds (default 0.0.0.0; LAN port 53 is redirected to it)' },
  'gateway.dns.port': { parse: parsePortNumber, help: 'port the DNS server binds (default 7053)' },
  'gateway.dns.ttl': { parse: parseTtl, help: 'TTL in seconds of answers for .i2p names (default 30)' },
  'gateway.proxy.port': { parse: parsePortNumber, help: 'transparent proxy port (default 7040)' },
  'gateway.backend': { parse: parseBackend, help: 'how streams into I2P are opened: sam (default)' },
  'gateway.sam.address': { parse: parseIpAddress, help: 'SAM v3 bridge address for the sam backend (default 127.0.0.1)' },
  'gateway.sam.port': { parse: parsePortNumber, help: 'SAM v3 bridge port (default 7656)' },
  'gateway.services.inbound.length': { parse: parseHops, help: 'hops of the inbound tunnels of published I2P sites (default 3)' },
  'gateway.services.outbound.length': { parse: parseHops, help: 'hops of the outbound tunnels of published I2P sites (default 3)' },
  'gateway.dhcp.enabled': { parse: parseBool, flag: true, help: 'serve DHCP on the LAN with dnsmasq, DNS pointing at us (default true)' },
  'gateway.dhcp.range': { parse: parseDhcpRange, help: 'DHCP pool first-last (default .50–.250 of the LAN prefix)' },
  'gateway.dhcp.leasefile': { parse: parseOptionalAbsolutePath, help: "dnsmasq's DHCP lease file (default <datadir>/dnsmasq.leases); the dashboard shows LAN clients' names from it" },
  'gateway.firewall.control': { parse: parseFirewallControl, help: 'who loads and checks the firewall for the admin UI: direct (this process, needs CAP_NET_ADMIN; default) or service (root systemd units, through gateway.firewall.request/status)' },
  'gateway.firewall.request': { parse: parseAbsolutePath, help: 'with control=service: the network request file the admin UI writes (default /run/garlicgate/network-request.json)' },
  'gateway.firewall.status': { parse: parseAbsolutePath, help: "with control=service: the directory of the root side's reports (default /run/garlicgate-firewall)" },
};
