/**
 * An IPv4 prefix as numbers (pure): the virtual range the DNS server hands out and the proxy
 * recognises. Addresses are 32-bit unsigned integers; text only at the edges.
 */
import { isIPv4 } from 'node:net';
import { intToIpv4, ipv4ToInt, parseIpv4Prefix } from '../config/gateway-options.js';

export class Ipv4Range {
  /** First address (the network address). */
  readonly base: number;
  /** Number of addresses, network and broadcast included. */
  readonly size: number;

  constructor(
    readonly cidr: string,
    optionName = 'gateway.virtualrange',
  ) {
    const p = parseIpv4Prefix(cidr, optionName);
    const mask = p.bits === 0 ? 0 : (0xffffffff << (32 - p.bits)) >>> 0;
    this.base = (ipv4ToInt(p.address) & mask) >>> 0;
    this.size = 2 ** (32 - p.bits);
  }

  /** Usable host addresses: all but the network and broadcast addresses. */
  get hostCount(): number {
    return Math.max(0, this.size - 2);
  }

  /** The i-th host address (0-based, skipping the network address), as an integer. */
  host(i: number): number {
    return (this.base + 1 + i) >>> 0;
  }

  /** Index of a host address, or -1 if `addr` is outside the range or is its network/broadcast. */
  hostIndex(addr: number): number {
    const off = addr - this.base;
    return off >= 1 && off <= this.size - 2 ? off - 1 : -1;
  }

  /**
   * The integer address of a socket address string when it is a host of this range, else undefined.
   * Accepts the `::ffff:a.b.c.d` form a dual-stack listener reports.
   */
  parseHost(address: string | undefined): number | undefined {
    if (address === undefined) return undefined;
    const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
    if (!isIPv4(v4)) return undefined;
    const n = ipv4ToInt(v4);
    return this.hostIndex(n) >= 0 ? n : undefined;
  }

  static toString(addr: number): string {
    return intToIpv4(addr);
  }
}
