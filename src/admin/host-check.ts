/**
 * The Host header check against DNS rebinding (issue 6, item 2): a page on evil.example whose name
 * is made to resolve to the box's address still sends `Host: evil.example`, so any request whose Host
 * is not one of the box's own names or addresses is refused before anything else runs.
 *
 * Accepted: `localhost`, the box's hostname (and `<hostname>.local`, mDNS), the names in
 * `http.hostname`, every address currently configured on the box's interfaces (re-read every few
 * seconds: a DHCP lease may change them), and the configured LAN address. Any port.
 */
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

export interface HostCheckOptions {
  /** Extra names (http.hostname). */
  names: readonly string[];
  /** Extra addresses that are always accepted (the configured LAN address, the listen addresses). */
  addresses: readonly string[];
  /** The box's hostname (default os.hostname()). */
  hostname?: string;
  /** The interfaces' addresses (default: os.networkInterfaces()). */
  interfaceAddresses?: () => string[];
  /** How long the interface addresses are cached, ms (default 5 s). */
  cacheMs?: number;
  now?: () => number;
}

export function systemInterfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

/**
 * The host part of a Host header, lower-cased, without port or trailing dot; undefined when the
 * header is not a plausible host (empty, spaces, userinfo, a bad IPv6 literal).
 */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  if (h === '' || h.length > 300 || /[\s@/\\]/.test(h)) return undefined;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    const v6 = h.slice(1, end);
    return isIP(v6) === 6 ? v6 : undefined;
  }
  const colon = h.indexOf(':');
  let host = h;
  if (colon >= 0) {
    if (h.indexOf(':', colon + 1) >= 0 || !/^\d{1,5}$/.test(h.slice(colon + 1))) return undefined; // bare IPv6 or garbage
    host = h.slice(0, colon);
  }
  host = host.replace(/\.$/, '');
  return host === '' ? undefined : host;
}

/** Normalises an address for comparison (IPv4-mapped IPv6 → IPv4, zone id dropped). */
function normalizeAddress(a: string): string {
  const lower = a.toLowerCase().replace(/%.*$/, '');
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export class HostCheck {
  private readonly names: Set<string>;
  private readonly fixed: Set<string>;
  private cached: Set<string> = new Set();
  private cachedAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: HostCheckOptions) {
    const host = (opts.hostname ?? osHostname()).toLowerCase();
    this.names = new Set(['localhost', host, `${host}.local`, ...opts.names.map((n) => n.toLowerCase())]);
    this.fixed = new Set(opts.addresses.map(normalizeAddress));
    this.now = opts.now ?? Date.now;
  }

  /** Whether a request with this Host header may be answered. */
  allows(header: string | undefined): boolean {
    const host = hostOf(header);
    if (host === undefined) return false;
    if (isIP(host) === 0) return this.names.has(host);
    const a = normalizeAddress(host);
    if (this.fixed.has(a)) return true;
    if (this.now() - this.cachedAt > (this.opts.cacheMs ?? 5000)) {
      this.cached = new Set((this.opts.interfaceAddresses ?? systemInterfaceAddresses)().map(normalizeAddress));
      this.cachedAt = this.now();
    }
    return this.cached.has(a);
  }
}
