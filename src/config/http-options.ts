/**
 * Admin web UI options, with i2pd's names, defaults and meanings (`i2pd --help`, "HTTP webconsole
 * options": `http.enabled`, `http.address`, `http.port`, `http.hostname`), in the shape of OPTIONS in
 * ./options.ts, merged into it. The firewall needs to know where the UI listens, to let the LAN reach
 * it and nothing else on the box; src/admin serves it.
 */
import { ConfigError, parseBool, parseIpAddress, parsePortNumber, type OptionSpec, type Parser } from './option-spec.js';

export interface HttpConfig {
  /** Serve the admin web UI. i2pd default: true. */
  'http.enabled': boolean;
  /**
   * Listen address of the admin web UI (an IP literal). i2pd default: 127.0.0.1. `0.0.0.0` (or `::`)
   * means the LAN address and loopback — never every interface: the UI is never bound to the WAN.
   */
  'http.address': string;
  /** Listen port of the admin web UI. i2pd default: 7070. */
  'http.port': number;
  /**
   * Extra host names the UI answers to (the Host header check against DNS rebinding), besides
   * localhost, the box's hostname (also `.local`) and its addresses. i2pd: one name, default
   * `localhost`; a comma-separated list is accepted here.
   */
  'http.hostname': string[];
}

export function defaultHttpConfig(): HttpConfig {
  return {
    'http.enabled': true,
    'http.address': '127.0.0.1',
    'http.port': 7070,
    'http.hostname': ['localhost'],
  };
}

/** A DNS host name label sequence (RFC 1123), lower-cased; no IP literals (addresses are always accepted). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const parseHostNames: Parser<string[]> = (raw, name) => {
  const names = raw
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/\.$/, ''))
    .filter((s) => s !== '');
  for (const n of names) {
    if (!HOST_NAME.test(n)) throw new ConfigError(`option --${name}: "${n}" is not a host name (letters, digits, - and . ; labels of 1–63 characters)`);
  }
  if (names.length > 16) throw new ConfigError(`option --${name}: at most 16 names`);
  return names;
};

export const HTTP_OPTIONS: Record<keyof HttpConfig, OptionSpec> = {
  'http.enabled': { parse: parseBool, flag: true, help: 'serve the admin web UI (default true)' },
  'http.address': { parse: parseIpAddress, help: 'admin web UI listen address (default 127.0.0.1; 0.0.0.0 = the LAN address and loopback, never the WAN)' },
  'http.port': { parse: parsePortNumber, help: 'admin web UI listen port (default 7070)' },
  'http.hostname': { parse: parseHostNames, help: 'extra host names the admin web UI answers to, comma-separated (default localhost)' },
};
