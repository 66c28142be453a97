/**
 * The Router as I2PControl sees it (src/i2pcontrol/router-view.ts): counts from the netDb store
 * and the transports, bandwidth from a meter sampled once a second by the Router.
 */
import { NetStatus, type I2PControlRouterView } from '../i2pcontrol/router-view.js';
import type { BandwidthMeter } from '../i2pcontrol/bandwidth-meter.js';
import type { Router } from './router.js';
import { bandwidthLimitKBps } from './bandwidth.js';

export function i2pControlView(router: Router, meter: BandwidthMeter, version: string): I2PControlRouterView {
  const activePeers = (): number => (router.ntcp2 ? [...router.ntcp2.sessions()].length : 0);
  return {
    version,
    uptimeMs: () => router.uptimeMs,
    isReady: () => activePeers() > 0,
    // Reachability testing (SSU2 peer tests) does not exist yet: say so rather than guess.
    netStatus: () => NetStatus.TESTING,
    knownPeers: () => router.store.size,
    activePeers,
    floodfills: () => router.store.counts.floodfills,
    bandwidth: () => meter.rates(),
    participatingTunnels: () => router.transit?.size ?? 0,
    isReseeding: () => router.reseeder?.inProgress ?? false,
    totalBytes: () => ({ received: router.ntcp2?.counters.bytesIn ?? 0, sent: router.ntcp2?.counters.bytesOut ?? 0 }),
    networkSettings: () => {
      const limit = bandwidthLimitKBps(router.config.bandwidth);
      return {
        ntcpPort: router.routerInfo.ntcp2()?.port ?? router.config.port ?? 0,
        ntcpHostname: router.config.host ?? '',
        bandwidthInKBps: limit,
        bandwidthOutKBps: limit,
      };
    },
    shutdown: (graceful) => router.requestShutdown(graceful),
    reseed: () => {
      void router.reseeder?.reseedNow(router.store);
    },
  };
}
