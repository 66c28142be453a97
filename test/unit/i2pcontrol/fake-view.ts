/**
 * A programmable implementation of our own I2PControlRouterView interface (not a stand-in for a
 * peer): fixed counters, and a record of the actions the service asked for.
 */
import { NetStatus, type I2PControlRouterView, type NetworkSettingsSnapshot } from '../../../src/i2pcontrol/router-view.js';

export interface FakeView extends I2PControlRouterView {
  actions: string[];
  values: {
    uptimeMs: number;
    ready: boolean;
    netStatus: NetStatus;
    knownPeers: number;
    activePeers: number;
    floodfills: number;
    participating: number;
    reseeding: boolean;
    bandwidth: { in1s: number; in15s: number; out1s: number; out15s: number };
  };
  bandwidthCalls: number;
}

export function fakeView(extra: Partial<I2PControlRouterView> = {}): FakeView {
  const view: FakeView = {
    actions: [],
    bandwidthCalls: 0,
    values: {
      uptimeMs: 123_456.7,
      ready: true,
      netStatus: NetStatus.FIREWALLED,
      knownPeers: 42,
      activePeers: 7,
      floodfills: 5,
      participating: 3,
      reseeding: false,
      bandwidth: { in1s: 1234.567, in15s: 1000, out1s: 2048.004, out15s: 0 },
    },
    version: '0.1.0',
    uptimeMs: () => view.values.uptimeMs,
    isReady: () => view.values.ready,
    netStatus: () => view.values.netStatus,
    knownPeers: () => view.values.knownPeers,
    activePeers: () => view.values.activePeers,
    floodfills: () => view.values.floodfills,
    bandwidth: () => {
      view.bandwidthCalls++;
      return view.values.bandwidth;
    },
    participatingTunnels: () => view.values.participating,
    isReseeding: () => view.values.reseeding,
    shutdown: (graceful) => void view.actions.push(graceful ? 'shutdown-graceful' : 'shutdown'),
    reseed: () => void view.actions.push('reseed'),
    ...extra,
  };
  return view;
}

export const FULL_NETWORK_SETTINGS: NetworkSettingsSnapshot = {
  ntcpPort: 12345,
  ntcpHostname: '198.18.0.7',
  ntcpAutoIp: false,
  upnp: false,
  bandwidthSharePercent: 80,
  bandwidthInKBps: 48,
  bandwidthOutKBps: 48,
};
