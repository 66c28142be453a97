/**
 * The I2PControl methods that only read the router or ask it to act: Echo, RouterInfo,
 * RouterManager, NetworkSetting (docs/api-i2pcontrol.html, "Implemented methods"). Authenticate
 * and I2PControl touch the service's own password and tokens and live in ./handler.ts.
 *
 * Answer shapes follow what i2pd 2.45.1 sends (checked against a running one), because monitoring
 * tools are written against i2pd: requested keys we do not know are left out rather than refused,
 * `i2p.router.status` is "1"/"0", bandwidth limits are numbers. Where i2pd has nothing, the spec
 * decides (types of NetworkSetting values, `i2p.router.net.status` codes).
 */
import { JsonRpcErrorCode, RpcError, param, type NamedParams } from './json-rpc.js';
import type { I2PControlRouterView } from './router-view.js';

/** Something the shell must do once the answer has been sent (so that a shutdown cannot eat it). */
export type I2PControlEffect = { kind: 'shutdown'; graceful: boolean } | { kind: 'restart'; graceful: boolean } | { kind: 'reseed' };

/** The parameter carrying the token; never a setting or a RouterInfo key. */
export const TOKEN_PARAM = 'Token';

function invalidParams(why: string): RpcError {
  return new RpcError(JsonRpcErrorCode.InvalidParams, `Invalid parameters: ${why}`);
}

/** Requested keys, in request order, without the token. */
function requestedKeys(params: NamedParams): string[] {
  return Object.keys(params).filter((k) => k !== TOKEN_PARAM);
}

/** A getter returned something JSON cannot carry faithfully: that is a router bug, reported as -32603. */
function finite(n: number, key: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`router view returned ${String(n)} for ${key}`);
  return n;
}

function count(n: number, key: string): number {
  return Math.max(0, Math.floor(finite(n, key)));
}

/** i2pd prints rates with two decimals; JSON numbers carry the same value. */
function twoDecimals(n: number, key: string): number {
  return Math.round(finite(n, key) * 100) / 100;
}

// ---------------------------------------------------------------------------------------------------
// Echo

/** `Echo`: returns `{ Result: <Echo> }`. i2pd turns a number into a string; so do we. */
export function echo(params: NamedParams): { Result: string } {
  const v = param(params, 'Echo');
  if (typeof v === 'string') return { Result: v };
  if (typeof v === 'number' || typeof v === 'boolean') return { Result: String(v) };
  throw invalidParams('"Echo" must be a string');
}

// ---------------------------------------------------------------------------------------------------
// RouterInfo

type RouterInfoGetter = (view: I2PControlRouterView, bw: () => ReturnType<I2PControlRouterView['bandwidth']>) => unknown;

/**
 * Supported RouterInfo keys. A getter returning undefined leaves the key out (the view does not
 * track it). A Map, not an object literal: request keys such as "__proto__" must not find anything.
 */
const ROUTER_INFO: ReadonlyMap<string, RouterInfoGetter> = new Map<string, RouterInfoGetter>([
  ['i2p.router.uptime', (v) => count(v.uptimeMs(), 'uptime')],
  ['i2p.router.version', (v) => v.version],
  ['i2p.router.status', (v) => (v.isReady() ? '1' : '0')],
  ['i2p.router.net.status', (v) => count(v.netStatus(), 'net.status')],
  ['i2p.router.net.bw.inbound.1s', (_v, bw) => twoDecimals(bw().in1s, 'bw.inbound.1s')],
  ['i2p.router.net.bw.inbound.15s', (_v, bw) => twoDecimals(bw().in15s, 'bw.inbound.15s')],
  ['i2p.router.net.bw.outbound.1s', (_v, bw) => twoDecimals(bw().out1s, 'bw.outbound.1s')],
  ['i2p.router.net.bw.outbound.15s', (_v, bw) => twoDecimals(bw().out15s, 'bw.outbound.15s')],
  ['i2p.router.net.tunnels.participating', (v) => count(v.participatingTunnels(), 'tunnels.participating')],
  ['i2p.router.net.tunnels.successrate', (v) => (v.tunnelSuccessRate ? count(v.tunnelSuccessRate(), 'tunnels.successrate') : undefined)],
  ['i2p.router.net.total.received.bytes', (v) => (v.totalBytes ? count(v.totalBytes().received, 'total.received.bytes') : undefined)],
  ['i2p.router.net.total.sent.bytes', (v) => (v.totalBytes ? count(v.totalBytes().sent, 'total.sent.bytes') : undefined)],
  ['i2p.router.netdb.knownpeers', (v) => count(v.knownPeers(), 'netdb.knownpeers')],
  ['i2p.router.netdb.activepeers', (v) => count(v.activePeers(), 'netdb.activepeers')],
  ['i2p.router.netdb.floodfills', (v) => count(v.floodfills(), 'netdb.floodfills')],
  ['i2p.router.netdb.leasesets', (v) => (v.leaseSets ? count(v.leaseSets(), 'netdb.leasesets') : undefined)],
  ['i2p.router.netdb.fastpeers', (v) => (v.fastPeers ? count(v.fastPeers(), 'netdb.fastpeers') : undefined)],
  ['i2p.router.netdb.highcapacitypeers', (v) => (v.highCapacityPeers ? count(v.highCapacityPeers(), 'netdb.highcapacitypeers') : undefined)],
  ['i2p.router.netdb.isreseeding', (v) => v.isReseeding() === true],
]);

export const ROUTER_INFO_KEYS: readonly string[] = [...ROUTER_INFO.keys()];

/**
 * `RouterInfo`: the value of each requested key we know, in request order. The request values are
 * ignored (the spec sends null; some i2pd clients send "" because old i2pd builds choked on null).
 */
export function routerInfo(view: I2PControlRouterView, params: NamedParams): Record<string, unknown> {
  let rates: ReturnType<I2PControlRouterView['bandwidth']> | undefined;
  const bw = () => (rates ??= view.bandwidth());
  const result: Record<string, unknown> = {};
  for (const key of requestedKeys(params)) {
    const getter = ROUTER_INFO.get(key);
    if (getter === undefined) continue;
    const value = getter(view, bw);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// RouterManager

const MANAGER_ACTIONS = ['Shutdown', 'ShutdownGraceful', 'Reseed', 'Restart', 'RestartGraceful', 'FindUpdates', 'Update'] as const;

/**
 * `RouterManager`: every requested action is checked before any is started, so a request that
 * asks for one unsupported action starts none. Answers `{ <Action>: null }` per action, as the
 * spec and i2pd do; the actions themselves run after the answer is sent.
 */
export function routerManager(view: I2PControlRouterView, params: NamedParams): { result: Record<string, null>; effects: I2PControlEffect[] } {
  const result: Record<string, null> = {};
  const effects: I2PControlEffect[] = [];
  for (const key of requestedKeys(params)) {
    switch (key as (typeof MANAGER_ACTIONS)[number]) {
      case 'Shutdown':
      case 'ShutdownGraceful':
        effects.push({ kind: 'shutdown', graceful: key === 'ShutdownGraceful' });
        break;
      case 'Reseed':
        effects.push({ kind: 'reseed' });
        break;
      case 'Restart':
      case 'RestartGraceful':
        if (!view.restart) throw invalidParams(`${key} is not supported: GarlicGate cannot restart itself; restart it with its service manager`);
        effects.push({ kind: 'restart', graceful: key === 'RestartGraceful' });
        break;
      case 'FindUpdates':
      case 'Update':
        throw invalidParams(`${key} is not supported: GarlicGate is updated with the system's package manager`);
      default:
        continue; // unknown keys are ignored, as i2pd does
    }
    result[key] = null;
  }
  return { result, effects };
}

// ---------------------------------------------------------------------------------------------------
// NetworkSetting

type SettingGetter = (s: ReturnType<NonNullable<I2PControlRouterView['networkSettings']>>) => string | number | undefined;

const str = (v: string | number | boolean | undefined): string | undefined => (v === undefined ? undefined : String(v));

/**
 * Readable settings. The spec types them all as strings; i2pd 2.45.1 answers bw.in/bw.out as
 * numbers (its only two keys) and the spec tells clients to accept both, so those two stay numbers.
 */
const NETWORK_SETTINGS: ReadonlyMap<string, SettingGetter> = new Map<string, SettingGetter>([
  ['i2p.router.net.ntcp.port', (s) => str(s.ntcpPort)],
  ['i2p.router.net.ntcp.hostname', (s) => str(s.ntcpHostname)],
  ['i2p.router.net.ntcp.autoip', (s) => str(s.ntcpAutoIp)],
  ['i2p.router.net.upnp', (s) => str(s.upnp)],
  ['i2p.router.net.bw.share', (s) => str(s.bandwidthSharePercent)],
  ['i2p.router.net.bw.in', (s) => s.bandwidthInKBps],
  ['i2p.router.net.bw.out', (s) => s.bandwidthOutKBps],
]);

/** A request value that means "tell me the current setting": null per the spec; "" accepted too. */
function isRead(v: unknown): boolean {
  return v === null || v === '';
}

/**
 * `NetworkSetting`, read-only: null asks for the current value. Any other value is a change we
 * cannot apply at run time, and the whole request is refused (-32602) rather than half-applied or
 * silently ignored (i2pd would apply bw.in/bw.out; we keep them in the config file).
 */
export function networkSetting(view: I2PControlRouterView, params: NamedParams): Record<string, unknown> {
  const keys = requestedKeys(params);
  for (const key of keys) {
    if (!isRead(params[key])) throw invalidParams(`${key}: network settings are read-only here; change them in the config file and restart`);
  }
  const settings = view.networkSettings?.() ?? {};
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const value = NETWORK_SETTINGS.get(key)?.(settings);
    if (typeof value === 'number') result[key] = finite(value, key);
    else if (value !== undefined) result[key] = value;
  }
  result.SettingsSaved = false;
  result.RestartNeeded = false;
  return result;
}
