/**
 * What the firewall generator needs to know, taken from the router's config (gateway.*, http.*, the
 * transport ports) and validated a second time here: the values end up verbatim in documents that
 * run as root (`iptables-restore`), so the generator trusts no caller — not even the option parsers
 * that already checked them. Anything that is not exactly an interface name, a canonical IPv4
 * address, a prefix or a port is refused with a reason.
 */
import { createHash } from 'node:crypto';
import type { RouterConfig } from '../../config/options.js';
import { intToIpv4, ipv4ToInt, type GatewayMode } from '../../config/gateway-options.js';

export class FirewallConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirewallConfigError';
  }
}

export interface Ipv4Net {
  address: string;
  bits: number;
}

/** The router's transport ports, opened on the WAN: NTCP2 is TCP; SSU2 (later) is UDP. */
export interface TransportPorts {
  tcp: number[];
  udp: number[];
}

export interface FirewallConfig {
  /** The LAN interface and the box's address on it (`address/bits`). */
  lan: { interface: string; address: string; bits: number };
  wan: { interface: string };
  /** Where `.i2p` names resolve to: LAN TCP to it is TPROXY'd to the transparent proxy. */
  virtualRange: Ipv4Net;
  /** `outproxy`: LAN TCP 80/443 to other addresses is TPROXY'd too; `i2p`: it is refused. */
  mode: GatewayMode;
  /** LAN UDP/TCP 53 (to any address) is REDIRECTed here. */
  dnsPort: number;
  /** The transparent proxy's (transparent, socket-activated) listener. */
  proxyPort: number;
  /** Serve DHCP on the LAN: UDP 67 from the LAN is accepted. */
  dhcp: boolean;
  /** The admin web UI port, reachable from the LAN on the LAN address; undefined = not reachable. */
  adminPort: number | undefined;
  /** SSH from the LAN to the LAN address (TCP 22, gateway.lan.ssh); absent or false = refused like any other port. */
  ssh?: boolean;
  transport: TransportPorts;
}

/** SSH's port: sshd is Debian's, on its default port. */
export const SSH_PORT = 22;

/**
 * Stricter than the option parser: no `+` (an iptables wildcard), no `@`, no `!`, no spaces, and never
 * `lo`. 15 characters is the kernel's IFNAMSIZ - 1.
 */
const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

function checkInterface(name: unknown, what: string): string {
  if (typeof name !== 'string' || !INTERFACE_NAME.test(name)) {
    throw new FirewallConfigError(`${what}: ${JSON.stringify(name)} is not a safe interface name (1–15 letters, digits, . _ -)`);
  }
  if (name === 'lo') throw new FirewallConfigError(`${what}: the loopback interface cannot be the LAN or the WAN`);
  return name;
}

/** Only the canonical dotted quad (no leading zeros, no spaces, four parts 0–255). */
function checkIpv4(a: unknown, what: string): string {
  if (typeof a !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(a) || a.split('.').some((p) => Number(p) > 255 || String(Number(p)) !== p)) {
    throw new FirewallConfigError(`${what}: ${JSON.stringify(a)} is not an IPv4 address`);
  }
  return a;
}

function checkBits(bits: unknown, min: number, max: number, what: string): number {
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < min || bits > max) {
    throw new FirewallConfigError(`${what}: prefix length ${String(bits)} is outside /${min}–/${max}`);
  }
  return bits;
}

function checkPort(port: unknown, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FirewallConfigError(`${what}: ${String(port)} is not a port 1–65535`);
  }
  return port;
}

function checkPorts(ports: unknown, what: string): number[] {
  if (!Array.isArray(ports) || ports.length > 8) throw new FirewallConfigError(`${what}: expected a list of at most 8 ports`);
  const out = ports.map((p, i) => checkPort(p, `${what}[${i}]`));
  return [...new Set(out)].sort((a, b) => a - b);
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((ipv4ToInt(a.address) ^ ipv4ToInt(b.address)) & maskOf(bits)) === 0;
}

/** Validates every field and returns a normalised copy (transport ports sorted and unique). */
export function validateFirewallConfig(c: FirewallConfig): FirewallConfig {
  const lanInterface = checkInterface(c.lan?.interface, 'LAN interface');
  const wanInterface = checkInterface(c.wan?.interface, 'WAN interface');
  if (lanInterface === wanInterface) throw new FirewallConfigError(`the LAN and the WAN must be different interfaces (both are ${lanInterface})`);
  const lanAddress = checkIpv4(c.lan.address, 'LAN address');
  const lanBits = checkBits(c.lan.bits, 8, 30, 'LAN address');
  const hostPart = ipv4ToInt(lanAddress) & ~maskOf(lanBits);
  if (hostPart === 0 || hostPart === (~maskOf(lanBits) >>> 0)) throw new FirewallConfigError(`LAN address: ${lanAddress} is the network or broadcast address of /${lanBits}`);
  const vAddress = checkIpv4(c.virtualRange?.address, 'virtual range');
  const vBits = checkBits(c.virtualRange.bits, 8, 24, 'virtual range');
  if ((ipv4ToInt(vAddress) & ~maskOf(vBits)) !== 0) throw new FirewallConfigError(`virtual range: ${vAddress}/${vBits} has host bits set`);
  const lanNet = { address: intToIpv4(ipv4ToInt(lanAddress) & maskOf(lanBits)), bits: lanBits };
  // A virtual address inside the LAN would be answered by LAN hosts (or nobody), not by the proxy.
  if (overlaps(lanNet, { address: vAddress, bits: vBits })) {
    throw new FirewallConfigError(`the virtual range ${vAddress}/${vBits} overlaps the LAN ${lanNet.address}/${lanNet.bits}`);
  }
  if (c.mode !== 'i2p' && c.mode !== 'outproxy') throw new FirewallConfigError(`mode: ${JSON.stringify(c.mode)} is not i2p or outproxy`);
  const dnsPort = checkPort(c.dnsPort, 'DNS port');
  const proxyPort = checkPort(c.proxyPort, 'transparent proxy port');
  if (dnsPort === proxyPort) throw new FirewallConfigError(`the DNS port and the transparent proxy port are both ${dnsPort} (DNS over TCP is redirected to the DNS port)`);
  if (typeof c.dhcp !== 'boolean') throw new FirewallConfigError('dhcp: expected true or false');
  const adminPort = c.adminPort === undefined ? undefined : checkPort(c.adminPort, 'admin UI port');
  if (adminPort !== undefined && (adminPort === dnsPort || adminPort === proxyPort)) {
    throw new FirewallConfigError(`the admin UI port ${adminPort} is also the DNS or transparent proxy port`);
  }
  if (c.ssh !== undefined && typeof c.ssh !== 'boolean') throw new FirewallConfigError('ssh: expected true or false');
  const ssh = c.ssh === true;
  if (ssh && (SSH_PORT === dnsPort || SSH_PORT === proxyPort || SSH_PORT === adminPort)) throw new FirewallConfigError(`SSH's port ${SSH_PORT} is also the DNS, transparent proxy or admin UI port`);
  const tcp = checkPorts(c.transport?.tcp, 'transport TCP ports');
  const udp = checkPorts(c.transport?.udp, 'transport UDP ports');
  // The WAN must never reach the LAN-only listeners.
  for (const p of [...tcp, ...udp]) {
    if (p === dnsPort || p === proxyPort || p === adminPort || (ssh && p === SSH_PORT)) throw new FirewallConfigError(`transport port ${p} is also a LAN service port (DNS, proxy, admin UI or SSH); the WAN would reach it`);
  }
  return {
    lan: { interface: lanInterface, address: lanAddress, bits: lanBits },
    wan: { interface: wanInterface },
    virtualRange: { address: vAddress, bits: vBits },
    mode: c.mode,
    dnsPort,
    proxyPort,
    dhcp: c.dhcp,
    adminPort,
    ssh,
    transport: { tcp, udp },
  };
}

/** Short fingerprint of the (validated) config, written into the documents' header. */
export function firewallConfigHash(c: FirewallConfig): string {
  const v = validateFirewallConfig(c);
  // SSH joins only when on, so the fingerprint of every config without it stays what it was.
  const canonical = JSON.stringify([v.lan, v.wan, v.virtualRange, v.mode, v.dnsPort, v.proxyPort, v.dhcp, v.adminPort ?? null, v.transport, ...(v.ssh ? ['ssh'] : [])]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function splitPrefix(v: string, what: string): { address: string; bits: number } {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(v);
  if (!m) throw new FirewallConfigError(`${what}: ${JSON.stringify(v)} is not address/prefix`);
  return { address: m[1]!, bits: Number(m[2]) };
}

/**
 * The firewall's view of the router config. `transport` comes from the caller: the NTCP2 port may
 * live in router.state.json rather than in the config (see ./transport-ports.ts).
 */
export function firewallConfigFrom(config: RouterConfig, transport: TransportPorts): FirewallConfig {
  const lan = splitPrefix(config['gateway.lan.address'], 'gateway.lan.address');
  const httpAddress = config['http.address'];
  // The LAN reaches the admin UI only where it can: listening on all addresses or on the LAN address.
  const adminReachable = config['http.enabled'] && (httpAddress === '0.0.0.0' || httpAddress === '::' || httpAddress === lan.address);
  return validateFirewallConfig({
    lan: { interface: config['gateway.lan.interface'], address: lan.address, bits: lan.bits },
    wan: { interface: config['gateway.wan.interface'] },
    virtualRange: splitPrefix(config['gateway.virtualrange'], 'gateway.virtualrange'),
    mode: config['gateway.mode'],
    dnsPort: config['gateway.dns.port'],
    proxyPort: config['gateway.proxy.port'],
    dhcp: config['gateway.dhcp.enabled'],
    adminPort: adminReachable ? config['http.port'] : undefined,
    ssh: config['gateway.lan.ssh'],
    transport,
  });
}
