/**
 * Choosing the hops of our own tunnels from the RouterInfos we know (docs/how/peer-selection,
 * tunnel-creation-ecies.rst, i2np.rst ShortTunnelBuild).
 *
 * A router can be a hop when:
 *   - its identity is ECIES-X25519 (crypto type 4) with Ed25519 signatures (type 7): we only build
 *     ECIES records, and "ElGamal routers are stored, never used" by current routers either;
 *   - its `router.version` is at least 0.9.51, so every hop understands ShortTunnelBuild (proposal 157);
 *   - we can reach it: a published NTCP2 address (host, port and `i`) — the only transport we
 *     speak — and no `U` (unreachable) cap; not congested to the point of refusing tunnels
 *     (proposal 162: `E` "high congestion", `G` "rejecting all tunnels"; `D` only lowers its weight);
 *   - it is not us, and its profile is not bad (peer-profile.ts).
 * Within one tunnel no two hops share an IPv4 /16 (IPv6 /32): one operator or one ISP should not
 * see both ends of a hop pair. A private test network puts every router in one /16, so the rule
 * can be switched off (`sameSubnetAllowed`); it is on by default.
 *
 * Among the eligible routers the choice is random, weighted by profile score and advertised
 * bandwidth class, without replacement. Pure: the random source is injected (tests make it
 * deterministic).
 */
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import type { RouterInfo } from '../data/router-info.js';
import { CryptoType, SigType } from '../data/certificate.js';
import type { PeerProfiles } from './peer-profile.js';

/** i2pd NETDB_MIN_SHORT_TUNNEL_BUILD_VERSION: the first release with ShortTunnelBuild. */
export const MIN_SHORT_BUILD_VERSION = '0.9.51';

/** Why a router cannot be a hop. */
export type HopIneligibility = 'us' | 'crypto-type' | 'sig-type' | 'version' | 'unreachable' | 'congested' | 'bad-profile' | 'excluded';

/** Bandwidth class letters (common-structures RouterInfo "caps"), weighted for selection. */
const BANDWIDTH_WEIGHTS: Readonly<Record<string, number>> = { K: 0.25, L: 1, M: 1.5, N: 2, O: 3, P: 3.5, X: 4 };
/** A router that publishes no bandwidth letter. */
const DEFAULT_BANDWIDTH_WEIGHT = 1;
/** Proposal 162 `D`: "medium congestion" — still usable, less often. */
const MEDIUM_CONGESTION_FACTOR = 0.5;

export interface PeerSelectorOptions {
  ourHash: Buffer;
  profiles?: PeerProfiles;
  /** Allow two hops of one tunnel in the same IPv4 /16 (IPv6 /32); default false. */
  sameSubnetAllowed?: boolean;
  /** Uniform in [0, 1); default node:crypto. */
  random?: () => number;
  /** Default MIN_SHORT_BUILD_VERSION. */
  minVersion?: string;
}

export interface SelectOptions {
  /** Hex router hashes not to use (e.g. hops of a tunnel being replaced). */
  exclude?: ReadonlySet<string>;
}

/** randomInt's range must stay below 2^48. */
const RANDOM_RANGE = 2 ** 48 - 1;

/** Uniform [0, 1) from the CSPRNG (48 bits). */
export function cryptoRandom(): number {
  return randomInt(0, RANDOM_RANGE) / RANDOM_RANGE;
}

/** Parses "a.b.c[.d]" into numbers; undefined if it is not such a version. */
function parseVersion(v: string | undefined): number[] | undefined {
  if (v === undefined || !/^\d{1,6}(\.\d{1,6}){0,3}$/.test(v)) return undefined;
  return v.split('.').map(Number);
}

/** Whether version `v` is at least `min` (missing parts count as 0); false for malformed versions. */
export function versionAtLeast(v: string | undefined, min: string): boolean {
  const a = parseVersion(v);
  const b = parseVersion(min);
  if (!a || !b) return false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The hosts of the router's published NTCP2 addresses (host, port and IV present). */
function publishedNtcp2Hosts(ri: RouterInfo): string[] {
  return ri
    .ntcp2Addresses()
    .filter((a) => a.host !== undefined && a.port !== undefined && a.iv !== undefined)
    .map((a) => a.host!);
}

/** The first two 16-bit groups of an IPv6 address, "::" expanded. */
function ipv6Prefix32(host: string): string {
  const [head = '', tail] = host.toLowerCase().split('::');
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined && groups.length < 2) {
    const rest = tail === '' ? [] : tail.split(':');
    const zeros = 8 - groups.length - rest.length;
    for (let i = 0; i < zeros; i++) groups.push('0');
    groups.push(...rest);
  }
  return groups
    .slice(0, 2)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':');
}

/**
 * The networks the router's published NTCP2 addresses are in: "4:a.b" for an IPv4 /16, "6:x:y"
 * for an IPv6 /32. Host names (not literal addresses) give no key.
 */
export function subnetKeys(ri: RouterInfo): string[] {
  const keys = new Set<string>();
  for (const host of publishedNtcp2Hosts(ri)) {
    const kind = isIP(host);
    if (kind === 4) keys.add(`4:${host.split('.').slice(0, 2).join('.')}`);
    else if (kind === 6) keys.add(`6:${ipv6Prefix32(host)}`);
  }
  return [...keys];
}

/** Why `ri` cannot be a hop of our tunnels, or undefined if it can (profile not considered). */
export function hopIneligibility(ri: RouterInfo, ourHash: Buffer, minVersion = MIN_SHORT_BUILD_VERSION): HopIneligibility | undefined {
  if (ri.hash.equals(ourHash)) return 'us';
  if (ri.identity.cryptoType !== CryptoType.ECIES_X25519) return 'crypto-type';
  if (ri.identity.sigType !== SigType.EdDSA_SHA512_Ed25519) return 'sig-type';
  if (!versionAtLeast(ri.version, minVersion)) return 'version';
  const caps = ri.caps;
  if (caps.includes('U') || publishedNtcp2Hosts(ri).length === 0) return 'unreachable';
  if (caps.includes('E') || caps.includes('G')) return 'congested';
  return undefined;
}

/** The selection weight of an eligible router from its caps: the best bandwidth letter it shows. */
export function capsWeight(caps: string): number {
  let w = 0;
  for (const c of caps) w = Math.max(w, BANDWIDTH_WEIGHTS[c] ?? 0);
  if (w === 0) w = DEFAULT_BANDWIDTH_WEIGHT;
  return caps.includes('D') ? w * MEDIUM_CONGESTION_FACTOR : w;
}

interface Candidate {
  ri: RouterInfo;
  weight: number;
  subnets: string[];
}

export class PeerSelector {
  readonly sameSubnetAllowed: boolean;
  private readonly ourHash: Buffer;
  private readonly profiles: PeerProfiles | undefined;
  private readonly random: () => number;
  private readonly minVersion: string;

  constructor(opts: PeerSelectorOptions) {
    if (opts.ourHash.length !== 32) throw new RangeError('our router hash must be 32 bytes');
    this.ourHash = Buffer.from(opts.ourHash);
    this.profiles = opts.profiles;
    this.sameSubnetAllowed = opts.sameSubnetAllowed ?? false;
    this.random = opts.random ?? cryptoRandom;
    this.minVersion = opts.minVersion ?? MIN_SHORT_BUILD_VERSION;
  }

  /** Why `ri` would not be picked now, or undefined if it could be. */
  ineligibility(ri: RouterInfo, now: number, opts: SelectOptions = {}): HopIneligibility | undefined {
    const r = hopIneligibility(ri, this.ourHash, this.minVersion);
    if (r) return r;
    if (opts.exclude?.has(ri.hash.toString('hex'))) return 'excluded';
    if (this.profiles?.isBad(ri.hash, now)) return 'bad-profile';
    return undefined;
  }

  /**
   * `count` distinct hops from `routerInfos`, or undefined when there are not enough eligible
   * routers in distinct subnets. The order is the order they were drawn in (itself random).
   */
  select(routerInfos: Iterable<RouterInfo>, count: number, now: number, opts: SelectOptions = {}): RouterInfo[] | undefined {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`cannot select ${count} hops`);
    const pool: Candidate[] = [];
    for (const ri of routerInfos) {
      if (this.ineligibility(ri, now, opts) !== undefined) continue;
      const score = this.profiles ? this.profiles.score(ri.hash, now) : 1;
      pool.push({ ri, weight: score * capsWeight(ri.caps), subnets: this.sameSubnetAllowed ? [] : subnetKeys(ri) });
    }
    const chosen: RouterInfo[] = [];
    const usedSubnets = new Set<string>();
    while (chosen.length < count) {
      const i = this.draw(pool);
      if (i < 0) return undefined;
      const c = pool[i]!;
      // Swap-remove: the pool's order carries no meaning.
      pool[i] = pool[pool.length - 1]!;
      pool.pop();
      if (c.subnets.some((s) => usedSubnets.has(s))) continue;
      chosen.push(c.ri);
      for (const s of c.subnets) usedSubnets.add(s);
    }
    return chosen;
  }

  /** An index drawn with probability proportional to weight; -1 if the pool is empty. */
  private draw(pool: readonly Candidate[]): number {
    if (pool.length === 0) return -1;
    let total = 0;
    for (const c of pool) total += c.weight;
    if (!(total > 0)) return Math.min(pool.length - 1, Math.floor(this.random() * pool.length));
    let x = this.random() * total;
    for (let i = 0; i < pool.length; i++) {
      x -= pool[i]!.weight;
      if (x < 0) return i;
    }
    return pool.length - 1;
  }
}
