/**
 * What the LAN DNS server answers (issue 5, item 1). Transport-free: a query message in, a response
 * message (or nothing) out; the socket shell is ./dns-server.ts.
 *
 * - `*.b32.i2p`: a virtual address, always (the LeaseSet is looked up when a connection comes).
 * - other `*.i2p`: a virtual address if the backend finds the name, else NXDOMAIN; SERVFAIL when
 *   the backend is down or slow, so clients retry instead of caching a wrong "no such name".
 * - AAAA and other types for a name that resolves: NOERROR with no records (IPv4 only: the proxy
 *   and the firewall work on the IPv4 virtual range).
 * - other names: NXDOMAIN in `i2p` mode; in `outproxy` mode a virtual address too, so the proxy
 *   can give the outproxy a host name instead of an address it does not have.
 * - `use-application-dns.net` (Firefox's DoH canary) and special-use names: NXDOMAIN.
 * - PTR of a virtual address: its name.
 * Nothing is ever forwarded to a clearnet resolver: names leave the box only through I2P.
 */
import type { Answer } from 'dns-packet';
import type { GatewayMode } from '../config/gateway-options.js';
import { RCODE, checkQuery, encodeResponse, type DnsQuery, type Rcode } from './dns-message.js';
import { classifyName, type ClassifiedName } from './i2p-names.js';
import type { NameChecker } from './name-checker.js';
import type { VirtualAddressMap } from './virtual-address-map.js';

export interface DnsResponderOptions {
  map: VirtualAddressMap;
  checker: NameChecker;
  mode: GatewayMode;
  /** TTL of positive answers (and the negative TTL of the `i2p` zone), seconds. */
  ttl: number;
  now?: () => number;
}

export interface DnsCounters {
  queries: number;
  answers: number;
  nxdomain: number;
  nodata: number;
  servfail: number;
  formerr: number;
  refused: number;
  notimp: number;
  dropped: number;
  truncated: number;
  /** Virtual range exhausted: every address in use. */
  exhausted: number;
}

export type Transport = 'udp' | 'tcp';

interface Outcome {
  rcode: Rcode;
  answers?: Answer[];
  /** The zone whose SOA goes in the authority section of a negative answer (RFC 2308). */
  soaZone?: string;
  authoritative?: boolean;
}

const NXDOMAIN: Outcome = { rcode: RCODE.NXDOMAIN };

export class DnsResponder {
  readonly counters: DnsCounters = { queries: 0, answers: 0, nxdomain: 0, nodata: 0, servfail: 0, formerr: 0, refused: 0, notimp: 0, dropped: 0, truncated: 0, exhausted: 0 };
  private readonly map: VirtualAddressMap;
  private readonly checker: NameChecker;
  private readonly mode: GatewayMode;
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(options: DnsResponderOptions) {
    this.map = options.map;
    this.checker = options.checker;
    this.mode = options.mode;
    this.ttl = options.ttl;
    this.now = options.now ?? Date.now;
  }

  /** The response to one query message, or undefined to drop it. Never rejects. */
  async respond(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    this.counters.queries++;
    const check = checkQuery(msg);
    if (!check.ok) {
      if (check.drop) {
        this.counters.dropped++;
        return undefined;
      }
      this.count(check.rcode);
      return encodeResponse({ id: check.id, queryFlags: check.flags, rcode: check.rcode, question: check.question, edns: check.edns }, transport);
    }
    const q = check.query;
    let outcome: Outcome;
    try {
      outcome = await this.decide(q);
    } catch {
      outcome = { rcode: RCODE.SERVFAIL };
    }
    this.count(outcome.rcode, outcome.answers?.length ?? 0);
    const response = encodeResponse(
      {
        id: q.id,
        queryFlags: q.flags,
        rcode: outcome.rcode,
        question: q.question,
        edns: q.edns,
        authoritative: outcome.authoritative ?? false,
        answers: outcome.answers ?? [],
        authorities: outcome.soaZone !== undefined && outcome.rcode !== RCODE.SERVFAIL ? [this.soa(outcome.soaZone)] : [],
      },
      transport,
    );
    if (response.readUInt16BE(2) & (1 << 9)) this.counters.truncated++;
    return response;
  }

  private count(rcode: Rcode, answers = 0): void {
    const c = this.counters;
    if (rcode === RCODE.NOERROR) {
      if (answers > 0) c.answers++;
      else c.nodata++;
    } else if (rcode === RCODE.NXDOMAIN) c.nxdomain++;
    else if (rcode === RCODE.SERVFAIL) c.servfail++;
    else if (rcode === RCODE.FORMERR || rcode === RCODE.BADVERS) c.formerr++;
    else if (rcode === RCODE.NOTIMP) c.notimp++;
    else c.refused++;
  }

  private async decide(q: DnsQuery): Promise<Outcome> {
    const { name: raw, type } = q.question;
    if (type === 'PTR') {
      const ptr = this.reverse(raw);
      if (ptr !== undefined) return ptr;
    }
    const n = classifyName(raw);
    const zone = n.kind === 'b32' || n.kind === 'address-book' || n.kind === 'invalid-i2p' ? 'i2p' : undefined;
    const exists = await this.exists(n);
    if (exists !== true) return exists === false ? { ...NXDOMAIN, soaZone: zone, authoritative: zone !== undefined } : exists;
    // RFC 8482: ANY gets a minimal answer — the A record.
    if (type !== 'A' && type !== 'ANY') return { rcode: RCODE.NOERROR, soaZone: zone, authoritative: zone !== undefined };
    const address = this.map.assign(n.name, this.now());
    if (address === undefined) {
      this.counters.exhausted++;
      return { rcode: RCODE.SERVFAIL };
    }
    return { rcode: RCODE.NOERROR, authoritative: zone !== undefined, answers: [{ type: 'A', name: raw, ttl: this.ttl, data: address }] };
  }

  /** true: answer; false: NXDOMAIN; an Outcome: answer that (SERVFAIL). */
  private async exists(n: ClassifiedName): Promise<boolean | Outcome> {
    switch (n.kind) {
      case 'b32':
        return true;
      case 'address-book': {
        const r = await this.checker.check(n.name);
        if (r.status === 'error') return { rcode: RCODE.SERVFAIL };
        return r.status === 'known';
      }
      case 'clearnet':
        return this.mode === 'outproxy';
      case 'doh-canary':
      case 'special':
      case 'invalid':
      case 'invalid-i2p':
        return false;
    }
  }

  /** PTR for `d.c.b.a.in-addr.arpa` of a virtual address; undefined if not in the virtual range. */
  private reverse(raw: string): Outcome | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(raw);
    if (!m) return undefined;
    const octets = [m[4], m[3], m[2], m[1]].map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    const address = octets.join('.');
    if (this.map.range.parseHost(address) === undefined) return undefined;
    const name = this.map.nameOf(address);
    if (name === undefined) return { ...NXDOMAIN, authoritative: true };
    return { rcode: RCODE.NOERROR, authoritative: true, answers: [{ type: 'PTR', name: raw, ttl: this.ttl, data: name }] };
  }

  /** A synthetic SOA for negative caching (RFC 2308 §3): MINIMUM = our TTL. */
  private soa(zone: string): Answer {
    return {
      type: 'SOA',
      name: zone,
      ttl: this.ttl,
      data: { mname: zone, rname: 'nobody.invalid', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: this.ttl },
    };
  }
}

/** Used by tests and the PTR path: the reverse name of an IPv4 address. */
export function reverseName(address: string): string {
  return address.split('.').reverse().join('.') + '.in-addr.arpa';
}
