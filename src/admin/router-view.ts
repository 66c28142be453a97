/**
 * What the admin UI needs from the router: read-only figures and a few commands. The Router is
 * adapted to it in src/router/admin-view.ts (as I2PControl's view is in i2pcontrol-view.ts); the admin
 * server never reaches into router internals, so its API is tested with a plain object implementing
 * this interface.
 *
 * Getters are called while a request is answered or once per dashboard tick: keep them cheap
 * (counters, sizes of maps), never I/O. An optional getter that is missing is reported as
 * "not available yet" (./not-available.ts) — the router does not measure it yet.
 */
import type { Maybe } from './not-available.js';

/** One NTCP2 session (a peer we are connected to). */
export interface AdminPeer {
  /** Router hash, I2P base64 (44 characters). */
  hash: string;
  address: string;
  port: number;
  /** True when the peer connected to us. */
  inbound: boolean;
  establishedAt: number;
  bytesIn: number;
  bytesOut: number;
  /** The peer's published caps (bandwidth letter, f, R/U, congestion). */
  caps: string;
  /** The peer's `router.version`, or '' when it publishes none. */
  version: string;
}

/** One of our own tunnels. */
export interface AdminTunnel {
  id: number;
  direction: 'inbound' | 'outbound';
  /** Router hashes (I2P base64) in message order. */
  hops: string[];
  createdAt: number;
  expiresAt: number;
  state: string;
  /** Round-trip of the last successful test, ms; undefined when not tested yet. */
  latencyMs: number | undefined;
}

/** A transit tunnel we carry for someone else. */
export interface AdminTransitTunnel {
  role: string;
  receiveTunnelId: number;
  /** Next hop's router hash, I2P base64. */
  next: string;
  createdAt: number;
  expiresAt: number;
  messages: number;
  bytes: number;
}

export interface AdminTunnelCounts {
  exploratoryInbound: number;
  exploratoryOutbound: number;
  clientPools: number;
  clientInbound: number;
  clientOutbound: number;
  transit: number;
}

export interface AdminNetDbSummary {
  routerInfos: number;
  floodfills: number;
  leaseSets: number;
  /** Known routers by bandwidth class letter (K L M N O P X), floodfill and reachability caps. */
  caps: { bandwidth: Record<string, number>; floodfill: number; reachable: number; unreachable: number };
  /** Known routers by `router.version` (the 10 most common; the rest under "other"). */
  versions: Record<string, number>;
  /** The netDb's counters as it keeps them (lookups, publishing, floodfill role, ...). */
  counters: Record<string, number | Record<string, number>>;
}

/** Settings the router can change while it runs. */
export interface RuntimeSettings {
  bandwidth: string;
  share: number;
  'limits.transittunnels': number;
}

export interface AdminRouterView {
  /** Our software version. */
  readonly version: string;
  /** Our router hash, I2P base64. */
  routerHash(): string;
  netId(): number;
  uptimeMs(): number;
  /** The caps of our published RouterInfo (bandwidth letter, f, R/U, congestion cap). */
  caps(): string;
  isReseeding(): boolean;
  /** Cumulative bytes since start: all transports in and out, and transit bytes relayed. */
  traffic(): { bytesIn: number; bytesOut: number; transitBytes: number };
  counts(): { peers: number; knownRouters: number; floodfills: number; leaseSets: number };
  tunnelCounts(): AdminTunnelCounts;
  /** Tunnel builds since start (exploratory and client pools): started and succeeded. */
  tunnelBuilds(): { started: number; succeeded: number };
  peers(): AdminPeer[];
  exploratoryTunnels(): AdminTunnel[];
  transitTunnels(): AdminTransitTunnel[];
  netDbSummary(): AdminNetDbSummary;
  /** Applies bandwidth class, share and transit limit at once (the RouterInfo is re-signed if its caps change). */
  applyRuntimeSettings(s: RuntimeSettings): Promise<void>;

  // Not measured by the router yet; reported as "not available yet" while missing.
  /** Reachability as tested by peers (SSU2 peer tests): 'ok' | 'firewalled' | 'testing'. */
  reachability?(): 'ok' | 'firewalled' | 'testing';
  /** Our clock's offset from the network's, ms (from peers' handshake timestamps); why not, while too few. */
  clockSkewMs?(): Maybe<number>;
}

/** Stopping and restarting the process: the CLI's to do (it owns the process). */
export interface ProcessControl {
  /** Stops the router and the process (graceful: let transit tunnels expire first). */
  shutdown(graceful: boolean): void;
  /**
   * Stops the process so that its supervisor starts it again; missing when nothing would (not run
   * by systemd): a process cannot start itself again.
   */
  restart?(): void;
}
