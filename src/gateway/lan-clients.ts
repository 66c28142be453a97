/**
 * The LAN clients the gateway has seen (issue 6, item 3: "LAN clients seen" on the dashboard): every
 * address that asked the DNS server or opened a connection through the transparent proxy, with when
 * it was last seen, and its name where DHCP knows one (./dhcp/dnsmasq-leases.ts). Pure and bounded:
 * at most `maxClients` addresses are kept (the least recently seen goes first), so a LAN full of
 * spoofed sources costs a fixed amount of memory.
 */
import { isIP } from 'node:net';

export interface SeenClient {
  address: string;
  lastSeenAt: number;
  name?: string;
}

export const DEFAULT_MAX_LAN_CLIENTS = 1024;
/** Clients not seen for a day drop off the list. */
export const DEFAULT_LAN_CLIENT_WINDOW_MS = 24 * 3600_000;

/** `::ffff:192.168.42.20` (a dual-stack socket's view of an IPv4 client) → `192.168.42.20`. */
export function normalizeClientAddress(address: string): string | undefined {
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(a) === 0 ? undefined : a;
}

export class LanClients {
  /** Insertion order = last-seen order (re-inserted on every sighting). */
  private readonly seenAt = new Map<string, number>();
  private names: ReadonlyMap<string, string> = new Map();

  constructor(private readonly opts: { maxClients?: number; windowMs?: number } = {}) {}

  seen(address: string | undefined, now: number): void {
    if (address === undefined) return;
    const a = normalizeClientAddress(address);
    if (a === undefined) return;
    this.seenAt.delete(a);
    this.seenAt.set(a, now);
    const max = this.opts.maxClients ?? DEFAULT_MAX_LAN_CLIENTS;
    while (this.seenAt.size > max) this.seenAt.delete(this.seenAt.keys().next().value as string);
  }

  /** Names by address (DHCP leases); replaces the previous set. */
  setNames(names: ReadonlyMap<string, string>): void {
    this.names = names;
  }

  /** Clients seen within the window, most recent first. */
  list(now: number): SeenClient[] {
    const since = now - (this.opts.windowMs ?? DEFAULT_LAN_CLIENT_WINDOW_MS);
    const out: SeenClient[] = [];
    for (const [address, at] of this.seenAt) {
      if (at < since) continue;
      const name = this.names.get(address);
      out.push({ address, lastSeenAt: at, ...(name !== undefined ? { name } : {}) });
    }
    return out.reverse();
  }
}
