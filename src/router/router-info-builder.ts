/**
 * Builds and signs our own RouterInfo from keys and settings (common-structures "RouterInfo",
 * ntcp2.rst "Published Router Info" / "Unpublished NTCP2 Address").
 */
import { RouterAddress } from '../data/router-address.js';
import { RouterInfo } from '../data/router-info.js';
import { i2pBase64Encode } from '../data/base64.js';
import type { RouterKeys } from './router-keys.js';

/** The I2P API version we claim. i2pd needs >= 0.9.51 before it sends short tunnel builds. */
export const ROUTER_VERSION = '0.9.62';
/** i2pd's cost for a published NTCP2 address. */
const NTCP2_COST_PUBLISHED = 3;
const NTCP2_COST_UNPUBLISHED = 14;

export interface RouterInfoSettings {
  netId: number;
  /** Published host; undefined → firewalled, no reachable address. */
  host: string | undefined;
  port: number;
  ntcp2Enabled: boolean;
  ntcp2Published: boolean;
  floodfill: boolean;
  bandwidth: string;
  /** Congestion cap (proposal 162): D medium, E high / near a limit, G rejecting all tunnels. */
  congestion?: CongestionCap | undefined;
}

export type CongestionCap = 'D' | 'E' | 'G';

/**
 * The congestion cap for a transit load (proposal 162). `limit` 0 means we carry no transit at all
 * (G); near the limit we reject most requests (E); past 70 % we say we are getting busy (D).
 */
export function congestionCap(transitTunnels: number, limit: number): CongestionCap | undefined {
  if (limit <= 0) return 'G';
  const load = transitTunnels / limit;
  if (load >= 0.9) return 'E';
  if (load >= 0.7) return 'D';
  return undefined;
}

/**
 * Caps (common-structures / docs "RouterInfo options: caps"): bandwidth letter, `f` for
 * floodfill, `R` when we publish a reachable address, `U` otherwise.
 */
export function routerCaps(s: RouterInfoSettings): string {
  const reachable = s.ntcp2Enabled && s.ntcp2Published && s.host !== undefined;
  // "implementations should add any congestion cap at the end (after R or U)" (proposal 162).
  return `${s.bandwidth}${s.floodfill ? 'f' : ''}${reachable ? 'R' : 'U'}${s.congestion ?? ''}`;
}

export function buildNtcp2Address(keys: RouterKeys, s: RouterInfoSettings): RouterAddress | undefined {
  if (!s.ntcp2Enabled) return undefined;
  const options = new Map<string, string>();
  options.set('s', i2pBase64Encode(keys.ntcp2Static.publicKey));
  options.set('v', '2');
  if (s.ntcp2Published && s.host !== undefined) {
    options.set('host', s.host);
    options.set('port', String(s.port));
    options.set('i', i2pBase64Encode(keys.ntcp2Iv));
    return new RouterAddress(NTCP2_COST_PUBLISHED, 0, 'NTCP2', options);
  }
  // Unpublished: only `s` and `v`, so peers can still check our static key in message 3.
  return new RouterAddress(NTCP2_COST_UNPUBLISHED, 0, 'NTCP2', options);
}

/**
 * Signs a fresh RouterInfo. `published` must be later than any RouterInfo we published before
 * (peers keep the newest), so callers pass max(now, previous + 1).
 */
export function buildRouterInfo(keys: RouterKeys, s: RouterInfoSettings, published: number): RouterInfo {
  const addresses: RouterAddress[] = [];
  const ntcp2 = buildNtcp2Address(keys, s);
  if (ntcp2) addresses.push(ntcp2);
  const options = new Map<string, string>([
    ['caps', routerCaps(s)],
    ['netId', String(s.netId)],
    ['router.version', ROUTER_VERSION],
  ]);
  return RouterInfo.create({ identity: keys.identity, signer: keys.signer, published, addresses, options });
}

/** A stable key for "did anything we publish change?": everything but the date and signature. */
export function routerInfoContentKey(s: RouterInfoSettings): string {
  return JSON.stringify([s.netId, s.host ?? null, s.port, s.ntcp2Enabled, s.ntcp2Published, routerCaps(s)]);
}
