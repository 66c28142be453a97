/**
 * What the I2PControl service needs from the router: a read-only snapshot of counters and a few
 * commands. The Router implements this interface; the service never reaches into router internals,
 * so it can be tested (and reasoned about) on its own.
 *
 * Every getter is called synchronously while one JSON-RPC request is being answered: keep them
 * cheap (counters, sizes of maps), never I/O.
 */

/**
 * `i2p.router.net.status` codes, as listed in the I2PControl API spec (docs/api-i2pcontrol.html,
 * RouterInfo). Java I2P uses exactly these. i2pd 2.45.1 reports its own internal enum instead, whose
 * first three values coincide with these (0 OK, 1 Testing, 2 Firewalled) and which diverges from 3 on
 * (3 = "Unknown" there); we only ever report the spec's meaning.
 */
export enum NetStatus {
  OK = 0,
  TESTING = 1,
  FIREWALLED = 2,
  HIDDEN = 3,
  WARN_FIREWALLED_AND_FAST = 4,
  WARN_FIREWALLED_AND_FLOODFILL = 5,
  WARN_FIREWALLED_WITH_INBOUND_TCP = 6,
  WARN_FIREWALLED_WITH_UDP_DISABLED = 7,
  ERROR_I2CP = 8,
  ERROR_CLOCK_SKEW = 9,
  ERROR_PRIVATE_TCP_ADDRESS = 10,
  ERROR_SYMMETRIC_NAT = 11,
  ERROR_UDP_PORT_IN_USE = 12,
  ERROR_NO_ACTIVE_PEERS_CHECK_CONNECTION_AND_FIREWALL = 13,
  ERROR_UDP_DISABLED_AND_TCP_UNSET = 14,
}

/** Average transfer rates in bytes per second (the spec's `Bps`). */
export interface BandwidthRates {
  in1s: number;
  in15s: number;
  out1s: number;
  out15s: number;
}

/**
 * Current network settings, for the read-only `NetworkSetting` method. A field left undefined is
 * omitted from answers (as i2pd omits what it does not have).
 */
export interface NetworkSettingsSnapshot {
  /** NTCP2 port we listen on (`i2p.router.net.ntcp.port`). */
  ntcpPort?: number;
  /** Address we publish for NTCP2; '' when firewalled (`i2p.router.net.ntcp.hostname`). */
  ntcpHostname?: string;
  /** Whether the NTCP2 address is detected automatically (`i2p.router.net.ntcp.autoip`). */
  ntcpAutoIp?: boolean;
  /** Whether UPnP is used (`i2p.router.net.upnp`). */
  upnp?: boolean;
  /** Share of the bandwidth usable for participating tunnels, percent (`i2p.router.net.bw.share`). */
  bandwidthSharePercent?: number;
  /** Bandwidth limits in KBytes/s (`i2p.router.net.bw.in` / `.out`; i2pd answers its single limit for both). */
  bandwidthInKBps?: number;
  bandwidthOutKBps?: number;
}

export interface I2PControlRouterView {
  /** Our version string (`i2p.router.version`). */
  readonly version: string;
  /** Milliseconds since the router started (`i2p.router.uptime`). */
  uptimeMs(): number;
  /**
   * Whether the router can carry client traffic now (`i2p.router.status`, answered as "1"/"0"
   * exactly as i2pd does, because monitoring tools written for i2pd parse that string as a number).
   */
  isReady(): boolean;
  /** A {@link NetStatus} code (`i2p.router.net.status`). */
  netStatus(): NetStatus;
  /** RouterInfos in our netDb (`i2p.router.netdb.knownpeers`). */
  knownPeers(): number;
  /** Peers we have a transport session with (`i2p.router.netdb.activepeers`, as in i2pd). */
  activePeers(): number;
  /** Floodfills among the known RouterInfos (`i2p.router.netdb.floodfills`, an i2pd extension). */
  floodfills(): number;
  /** `i2p.router.net.bw.{inbound,outbound}.{1s,15s}`. */
  bandwidth(): BandwidthRates;
  /** Transit tunnels through us (`i2p.router.net.tunnels.participating`). */
  participatingTunnels(): number;
  /** `i2p.router.netdb.isreseeding`. */
  isReseeding(): boolean;
  /** Start a shutdown; graceful = let participating tunnels expire first. Called after the answer is sent. */
  shutdown(graceful: boolean): void;
  /** Start a reseed (asynchronous; failures are the router's to log). Called after the answer is sent. */
  reseed(): void;

  // Optional: a key whose getter is missing is left out of RouterInfo answers, as i2pd leaves out
  // what it does not track (fastpeers, highcapacitypeers in 2.45.1).
  /** LeaseSets in our netDb (`i2p.router.netdb.leasesets`, an i2pd extension). */
  leaseSets?(): number;
  /** `i2p.router.netdb.fastpeers`. */
  fastPeers?(): number;
  /** `i2p.router.netdb.highcapacitypeers`. */
  highCapacityPeers?(): number;
  /** Tunnel build success rate, integer percent (`i2p.router.net.tunnels.successrate`, i2pd). */
  tunnelSuccessRate?(): number;
  /** Bytes received/sent since start (`i2p.router.net.total.{received,sent}.bytes`, i2pd). */
  totalBytes?(): { received: number; sent: number };
  /** Settings for `NetworkSetting`; without it every key of that method is omitted. */
  networkSettings?(): NetworkSettingsSnapshot;
  /**
   * Restart the router. Without it, `RouterManager` Restart/RestartGraceful are refused: a process
   * cannot restart itself without a supervisor that starts it again.
   */
  restart?(graceful: boolean): void;
}
