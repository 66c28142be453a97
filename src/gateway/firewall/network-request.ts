/**
 * The network request: how the unprivileged router asks the root side to load the firewall for
 * network settings that are not in the config file yet (issue 6: the admin UI applies a network
 * setting, then the owner confirms it or it is rolled back; nothing is written to the config file
 * before the confirmation).
 *
 * On the appliance the router holds no capability (systemd/garlicgate.service), so it cannot load
 * rules. It writes this request (JSON) to /run/garlicgate/network-request.json; a path unit starts
 * `garlicgate firewall apply request=… status=…` as root (systemd/garlicgate-reconfigure.*), which
 * loads the firewall for the config file with the request's values on top and reports the result
 * (./firewall-report.ts). When the request file is absent, the config file alone is in effect.
 *
 * The root side reads a file the unprivileged user wrote: it is hostile input. Only the network
 * settings can be requested, each value goes through its option's own parser, the file is opened
 * without following symbolic links, must be a regular file and is read up to a small bound.
 */
import { OPTIONS, type RouterConfig } from '../../config/options.js';
import { ConfigError } from '../../config/option-spec.js';
import { BoundedFileError, readBoundedFile } from '../../util/bounded-file.js';

/** The settings a request may carry: those the firewall (and the LAN's addressing) is made from. */
export const NETWORK_SETTING_KEYS = [
  'gateway.lan.interface',
  'gateway.lan.address',
  'gateway.lan.ssh',
  'gateway.wan.interface',
  'gateway.virtualrange',
  'gateway.mode',
  'gateway.outproxy',
] as const satisfies readonly (keyof RouterConfig)[];

export type NetworkSettingKey = (typeof NETWORK_SETTING_KEYS)[number];

export interface NetworkRequest {
  /** 16 hex digits; the report of the apply carries it back. */
  id: string;
  /** Each network setting as written in the config file (`''` = unset). */
  settings: Record<NetworkSettingKey, string>;
}

export class NetworkRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkRequestError';
  }
}

/** Far more than a request takes (~300 bytes); a bigger file is refused unread. */
export const MAX_REQUEST_BYTES = 4096;
const MAX_VALUE_CHARS = 256;
const ID = /^[0-9a-f]{16}$/;

export function isNetworkSettingKey(k: string): k is NetworkSettingKey {
  return (NETWORK_SETTING_KEYS as readonly string[]).includes(k);
}

function valueText(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

/** The request that puts `config`'s network settings into effect. */
export function networkRequestFor(config: RouterConfig, id: string): NetworkRequest {
  if (!ID.test(id)) throw new NetworkRequestError('a request id is 16 hex digits');
  const settings = Object.fromEntries(NETWORK_SETTING_KEYS.map((k) => [k, valueText(config[k])])) as Record<NetworkSettingKey, string>;
  return { id, settings };
}

export function encodeNetworkRequest(r: NetworkRequest): string {
  return `${JSON.stringify({ version: 1, id: r.id, settings: r.settings })}\n`;
}

/** Parses and validates a request (every setting present, each accepted by its option's parser). Throws NetworkRequestError. */
export function decodeNetworkRequest(text: string): NetworkRequest {
  if (text.length > MAX_REQUEST_BYTES) throw new NetworkRequestError(`request larger than ${MAX_REQUEST_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NetworkRequestError('request is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new NetworkRequestError('request is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw new NetworkRequestError('request version is not 1');
  if (typeof o.id !== 'string' || !ID.test(o.id)) throw new NetworkRequestError('request id is not 16 hex digits');
  const s = o.settings;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new NetworkRequestError('request settings are not an object');
  const given = s as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    if (!isNetworkSettingKey(k)) throw new NetworkRequestError(`request names "${k.slice(0, 64)}", which is not a network setting`);
  }
  const settings = {} as Record<NetworkSettingKey, string>;
  for (const k of NETWORK_SETTING_KEYS) {
    const v = given[k];
    if (typeof v !== 'string') throw new NetworkRequestError(`request has no ${k}`);
    if (v.length > MAX_VALUE_CHARS || /[\r\n\0]/.test(v)) throw new NetworkRequestError(`request's ${k} is not a config value`);
    settings[k] = v;
  }
  // Each value as the config file would give it: a value the option refuses is refused here.
  configWithRequest({} as RouterConfig, { id: o.id, settings });
  return { id: o.id, settings };
}

/** `config` with the request's network settings on top (each parsed by its option's parser). Throws NetworkRequestError. */
export function configWithRequest(config: RouterConfig, r: NetworkRequest): RouterConfig {
  const out: Record<string, unknown> = { ...config };
  for (const k of NETWORK_SETTING_KEYS) {
    try {
      out[k] = OPTIONS[k].parse(r.settings[k], k);
    } catch (e) {
      if (e instanceof ConfigError) throw new NetworkRequestError(`request: ${e.message}`);
      throw e;
    }
  }
  return out as unknown as RouterConfig;
}

/**
 * The request in `path`, or undefined when there is none. The unprivileged side wrote it and root
 * reads it: no symbolic link, a regular file, at most MAX_REQUEST_BYTES. Throws NetworkRequestError.
 */
export async function readNetworkRequest(path: string): Promise<NetworkRequest | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readBoundedFile(path, MAX_REQUEST_BYTES, { noFollow: true });
  } catch (e) {
    if (e instanceof BoundedFileError) throw new NetworkRequestError(e.message);
    throw e;
  }
  return bytes === undefined ? undefined : decodeNetworkRequest(bytes.toString('utf8'));
}

/**
 * `config` with the request in `requestFile` on top, as root's commands use it: a request that is
 * not valid is refused (`refused` says why) and the config file alone is what is in effect.
 */
export async function configWithRequestFile(config: RouterConfig, requestFile: string): Promise<{ config: RouterConfig; request?: NetworkRequest; refused?: string }> {
  try {
    const request = await readNetworkRequest(requestFile);
    return request ? { config: configWithRequest(config, request), request } : { config };
  } catch (e) {
    if (e instanceof NetworkRequestError) return { config, refused: e.message };
    throw e;
  }
}
