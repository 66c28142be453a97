/**
 * Name ↔ virtual IPv4 address (pure; time comes in as `now`), the idea of Tor's
 * VirtualAddrNetwork: the DNS server answers a name with an address from the virtual range, the
 * transparent proxy turns a connection to that address back into the name.
 *
 * - Stable while in use: an address is kept for its name while connections to it are open
 *   (`retain`/`release`) and for `holdMs` after the last DNS answer or connection close, so a
 *   client's cached answer (TTL) never points at somebody else's name.
 * - Stable across restarts where possible: a name's first choice is derived from a hash of the
 *   name, so after a daemon restart most clients' cached answers still lead to the same name.
 * - Bounded: at most `maxEntries` names; when the range or the bound is exhausted, the least
 *   recently used idle mapping is reused; when every mapping is in use, nothing is handed out.
 * - The range's network and broadcast addresses are never handed out.
 */
import { createHash } from 'node:crypto';
import { Ipv4Range } from './ipv4-range.js';

/** Default bound on names kept (≈200 bytes each): far above a home LAN's working set. */
export const DEFAULT_MAX_VIRTUAL_ENTRIES = 16_384;
/** Slots tried after the hashed first choice before falling back to a sequential scan. */
const PROBES = 16;

interface Entry {
  readonly name: string;
  readonly address: number;
  /** Not reusable before this time (ms). */
  expiresAt: number;
  /** Open connections to the address. */
  refs: number;
}

export interface VirtualAddressMapOptions {
  /** How long an address stays reserved after its last answer or connection (ms). */
  holdMs: number;
  maxEntries?: number;
}

export class VirtualAddressMap {
  /** By name, in least-recently-used-first order (Map iteration order; a touch re-inserts). */
  private readonly byName = new Map<string, Entry>();
  private readonly byAddress = new Map<number, Entry>();
  private readonly capacity: number;
  private readonly holdMs: number;
  /** Where the sequential fallback scan for a free address resumes. */
  private cursor = 0;
  /** Mappings dropped to make room for new names. */
  reused = 0;

  constructor(
    readonly range: Ipv4Range,
    options: VirtualAddressMapOptions,
  ) {
    if (range.hostCount < 1) throw new RangeError(`virtual range ${range.cidr} has no host addresses`);
    this.holdMs = options.holdMs;
    this.capacity = Math.min(range.hostCount, options.maxEntries ?? DEFAULT_MAX_VIRTUAL_ENTRIES);
  }

  get size(): number {
    return this.byName.size;
  }

  /**
   * The address for `name` (lower case), allocating one if needed, and reserved for `holdMs` from
   * `now`. Undefined when every address is in use.
   */
  assign(name: string, now: number): string | undefined {
    let e = this.byName.get(name);
    if (e === undefined) {
      const address = this.freeAddress(name, now);
      if (address === undefined) return undefined;
      e = { name, address, expiresAt: 0, refs: 0 };
      this.byAddress.set(address, e);
    } else {
      this.byName.delete(name);
    }
    this.byName.set(name, e);
    e.expiresAt = Math.max(e.expiresAt, now + this.holdMs);
    return Ipv4Range.toString(e.address);
  }

  /** The name mapped to a socket address string, without touching it. */
  nameOf(address: string): string | undefined {
    const n = this.range.parseHost(address);
    return n === undefined ? undefined : this.byAddress.get(n)?.name;
  }

  /** The current address of `name`, without touching it. */
  addressOf(name: string): string | undefined {
    const e = this.byName.get(name);
    return e === undefined ? undefined : Ipv4Range.toString(e.address);
  }

  /** A connection to `address` opened: its mapping is pinned until `release`. Returns the name. */
  retain(address: string, now: number): string | undefined {
    const n = this.range.parseHost(address);
    const e = n === undefined ? undefined : this.byAddress.get(n);
    if (e === undefined) return undefined;
    e.refs++;
    this.byName.delete(e.name);
    this.byName.set(e.name, e);
    e.expiresAt = Math.max(e.expiresAt, now + this.holdMs);
    return e.name;
  }

  /** The connection opened by `retain` closed; the mapping stays reserved `holdMs` longer. */
  release(address: string, now: number): void {
    const n = this.range.parseHost(address);
    const e = n === undefined ? undefined : this.byAddress.get(n);
    if (e === undefined || e.refs === 0) return;
    e.refs--;
    e.expiresAt = Math.max(e.expiresAt, now + this.holdMs);
  }

  private inUse(e: Entry, now: number): boolean {
    return e.refs > 0 || e.expiresAt > now;
  }

  private freeAddress(name: string, now: number): number | undefined {
    const hosts = this.range.hostCount;
    if (this.byAddress.size < this.capacity) {
      // First choice from the name's hash, then a few neighbours (open addressing).
      const h = createHash('sha256').update(name).digest().readUInt32BE(0);
      for (let i = 0; i < PROBES && i < hosts; i++) {
        const a = this.range.host((h + i) % hosts);
        if (!this.byAddress.has(a)) return a;
      }
      // A crowded neighbourhood: scan on from where the last scan stopped. A free host exists
      // because size < capacity ≤ hosts, and the cursor makes the scans amortised O(1).
      for (let i = 0; i < hosts; i++) {
        const a = this.range.host(this.cursor);
        this.cursor = (this.cursor + 1) % hosts;
        if (!this.byAddress.has(a)) return a;
      }
    }
    // Full: reuse the least recently used idle mapping.
    for (const e of this.byName.values()) {
      if (this.inUse(e, now)) continue;
      this.byName.delete(e.name);
      this.byAddress.delete(e.address);
      this.reused++;
      return e.address;
    }
    return undefined;
  }
}
