/**
 * The Router as the admin UI sees it (src/admin/router-view.ts), as i2pcontrol-view.ts does for
 * I2PControl: counts and lists read from the subsystems, the runtime settings applied through
 * Router.applyLimits. Reachability testing does not exist yet (SSU2 peer tests): that getter is left
 * out, and the admin API reports it as "not available yet". Clock skew is the median of peers'
 * NTCP2 handshake timestamps (src/router/clock-skew.ts).
 */
import { notAvailable } from '../admin/not-available.js';
import { MIN_CLOCK_SKEW_SAMPLES } from './clock-skew.js';
import { i2pBase64Encode } from '../data/base64.js';
import type { AdminNetDbSummary, AdminPeer, AdminRouterView, AdminTunnel } from '../admin/router-view.js';
import type { OwnTunnelInfo } from '../tunnel/tunnel-manager.js';
import type { Router } from './router.js';

const BANDWIDTH_LETTERS = 'KLMNOPX';
const TOP_VERSIONS = 10;

function tunnelInfo(t: OwnTunnelInfo): AdminTunnel {
  return {
    id: t.id,
    direction: t.direction,
    hops: t.hops.map((h) => i2pBase64Encode(h)),
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    state: t.state,
    latencyMs: t.latencyMs,
  };
}

/** A router's bandwidth class: the highest class letter in its caps (some publish two for compatibility). */
export function bandwidthClass(caps: string): string | undefined {
  let best = -1;
  for (const c of caps) best = Math.max(best, BANDWIDTH_LETTERS.indexOf(c));
  return best < 0 ? undefined : BANDWIDTH_LETTERS[best];
}

export function adminRouterView(router: Router, version: string): AdminRouterView {
  const sessions = () => (router.ntcp2 ? [...router.ntcp2.sessions()] : []);
  return {
    version,
    routerHash: () => i2pBase64Encode(router.hash),
    netId: () => router.config.netid,
    uptimeMs: () => router.uptimeMs,
    clockSkewMs: () => {
      const skew = router.ntcp2?.clockSkew;
      const ms = skew?.estimateMs();
      return ms !== undefined ? ms : notAvailable(`not measured yet: ${skew?.count ?? 0} of ${MIN_CLOCK_SKEW_SAMPLES} peer handshakes`);
    },
    caps: () => router.routerInfo?.caps ?? '',
    isReseeding: () => router.reseeder?.inProgress ?? false,
    traffic: () => ({
      bytesIn: router.ntcp2?.counters.bytesIn ?? 0,
      bytesOut: router.ntcp2?.counters.bytesOut ?? 0,
      transitBytes: router.transit?.counters.bytesRelayed ?? 0,
    }),
    counts: () => {
      const c = router.store?.counts;
      return { peers: sessions().length, knownRouters: c?.routerInfos ?? 0, floodfills: c?.floodfills ?? 0, leaseSets: c?.leaseSets ?? 0 };
    },
    tunnelCounts: () => {
      const c = router.tunnels?.counters;
      return {
        exploratoryInbound: c?.tunnels.inbound ?? 0,
        exploratoryOutbound: c?.tunnels.outbound ?? 0,
        clientPools: c?.clients.pools ?? 0,
        clientInbound: c?.clients.inbound ?? 0,
        clientOutbound: c?.clients.outbound ?? 0,
        transit: router.transit?.size ?? 0,
      };
    },
    tunnelBuilds: () => {
      const c = router.tunnels?.counters;
      return { started: (c?.builds.started ?? 0) + (c?.clients.buildsStarted ?? 0), succeeded: (c?.builds.succeeded ?? 0) + (c?.clients.buildsSucceeded ?? 0) };
    },
    peers: (): AdminPeer[] =>
      sessions().map((s) => ({
        hash: i2pBase64Encode(s.remoteHash),
        address: s.remoteAddress,
        port: s.remotePort,
        inbound: s.inbound,
        establishedAt: s.establishedAt,
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        caps: s.remoteRouterInfo.caps,
        version: s.remoteRouterInfo.version ?? '',
      })),
    exploratoryTunnels: () => {
      if (!router.tunnels) return [];
      const t = router.tunnels.exploratoryTunnels();
      return [...t.inbound, ...t.outbound].map(tunnelInfo);
    },
    transitTunnels: () =>
      (router.transit?.list() ?? []).map((t) => ({
        role: t.role,
        receiveTunnelId: t.receiveTunnelId,
        next: i2pBase64Encode(t.nextIdent),
        createdAt: t.createdAt,
        expiresAt: t.expiresAt,
        messages: t.messages,
        bytes: t.bytes,
      })),
    netDbSummary: (): AdminNetDbSummary => {
      const bandwidth: Record<string, number> = {};
      const versions = new Map<string, number>();
      let floodfill = 0;
      let reachable = 0;
      let unreachable = 0;
      for (const ri of router.store?.routerInfos() ?? []) {
        const caps = ri.caps;
        const cls = bandwidthClass(caps);
        if (cls) bandwidth[cls] = (bandwidth[cls] ?? 0) + 1;
        if (caps.includes('f')) floodfill++;
        if (caps.includes('R')) reachable++;
        if (caps.includes('U')) unreachable++;
        const v = ri.version ?? 'unknown';
        versions.set(v, (versions.get(v) ?? 0) + 1);
      }
      const sorted = [...versions.entries()].sort((a, b) => b[1] - a[1]);
      const top: Record<string, number> = Object.fromEntries(sorted.slice(0, TOP_VERSIONS));
      const rest = sorted.slice(TOP_VERSIONS).reduce((n, [, c]) => n + c, 0);
      if (rest > 0) top.other = rest;
      const c = router.store?.counts;
      return {
        routerInfos: c?.routerInfos ?? 0,
        floodfills: c?.floodfills ?? 0,
        leaseSets: c?.leaseSets ?? 0,
        caps: { bandwidth, floodfill, reachable, unreachable },
        versions: top,
        counters: router.netdb?.counters ?? {},
      };
    },
    applyRuntimeSettings: (s) => router.applyLimits({ bandwidth: s.bandwidth, share: s.share, transitTunnels: s['limits.transittunnels'] }),
  };
}
