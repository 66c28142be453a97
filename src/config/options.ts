/**
 * Router options. Names and meanings follow i2pd's (docs: i2pd "configuration" page), so an
 * i2pd user can carry their habits over: `--datadir`, `--conf`, `--netid`, `--host`, `--port`,
 * `--ntcp2.enabled`, `--ntcp2.published`, `--floodfill`, `--reseed.zipfile`, `--loglevel`.
 *
 * Each option has a parser that either returns a typed value or throws ConfigError with a
 * reason; nothing is written anywhere until every option has been validated.
 */
import { isIP } from 'node:net';
import { isLogLevel } from '../util/log.js';
import { ConfigError, parseBool, type OptionSpec, type Parser } from './option-spec.js';
import { GATEWAY_OPTIONS, defaultGatewayConfig, type GatewayConfig } from './gateway-options.js';
import { HTTP_OPTIONS, defaultHttpConfig, type HttpConfig } from './http-options.js';
import { I2PCONTROL_OPTIONS, defaultI2PControlConfig, type I2PControlConfig } from './i2pcontrol-options.js';
import { RESEED_OPTIONS, defaultReseedConfig, type ReseedConfig } from './reseed-options.js';

export { ConfigError, type OptionSpec } from './option-spec.js';

export interface RouterConfig extends ReseedConfig, I2PControlConfig, GatewayConfig, HttpConfig {
  /** Data directory for keys, router.info, netDb. i2pd: `--datadir`. */
  datadir: string;
  /** Path to an INI config file (i2pd syntax). */
  conf: string | undefined;
  /** I2P network id; 2 is the real network. */
  netid: number;
  /** Address we publish and bind NTCP2 to; undefined = listen on all, publish no host (firewalled). */
  host: string | undefined;
  /** NTCP2 port; undefined = pick at random in 9000–31000 on first run and persist it. */
  port: number | undefined;
  'ntcp2.enabled': boolean;
  'ntcp2.published': boolean;
  floodfill: boolean;
  /** Bandwidth class letter (K L M N O P X) as in i2pd's `--bandwidth`. */
  bandwidth: string;
  'reseed.zipfile': string | undefined;
  loglevel: string;
  /** Upper bound on NTCP2 sessions (ours). */
  'limits.ntcp2sessions': number;
  /** Percent of the bandwidth class transit traffic may use (i2pd's `--share`). */
  share: number;
  /** Exploratory tunnel pool (i2pd's `--exploratory.*`). */
  'exploratory.inbound.length': number;
  'exploratory.outbound.length': number;
  'exploratory.inbound.quantity': number;
  'exploratory.outbound.quantity': number;
  /** Transit tunnels we carry at most (i2pd's `--limits.transittunnels`). */
  'limits.transittunnels': number;
}

const intIn = (min: number, max: number): Parser<number> => (raw, name) => {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`option --${name}: expected an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`option --${name}: ${n} is outside ${min}–${max}`);
  return n;
};

const nonEmptyPath: Parser<string> = (raw, name) => {
  if (raw.trim() === '') throw new ConfigError(`option --${name}: expected a path`);
  return raw;
};

const optionalPath: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : raw);

const parseHost: Parser<string | undefined> = (raw, name) => {
  const v = raw.trim();
  if (v === '') return undefined;
  if (isIP(v) === 0) throw new ConfigError(`option --${name}: "${raw}" is not an IPv4 or IPv6 address`);
  return v;
};

const parsePort: Parser<number | undefined> = (raw, name) => {
  if (raw.trim() === '' || raw.trim() === '0') return undefined;
  return intIn(1, 65535)(raw, name);
};

const parseLogLevel: Parser<string> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (!isLogLevel(v)) throw new ConfigError(`option --${name}: unknown log level "${raw}" (debug, info, warn, error, critical, none)`);
  return v;
};

const parseBandwidth: Parser<string> = (raw, name) => {
  const v = raw.trim().toUpperCase();
  if (!/^[KLMNOPX]$/.test(v)) throw new ConfigError(`option --${name}: expected one of K L M N O P X, got "${raw}"`);
  return v;
};


export const OPTIONS: Record<keyof RouterConfig, OptionSpec> = {
  datadir: { parse: nonEmptyPath, help: 'data directory (keys, router.info, netDb)' },
  conf: { parse: optionalPath, help: 'config file in i2pd INI syntax (default: <datadir>/garlicgate.conf if present)' },
  netid: { parse: intIn(1, 255), help: 'I2P network id (2 = the real network)' },
  host: { parse: parseHost, help: 'our public IP address (published and bound); empty = firewalled' },
  port: { parse: parsePort, help: 'NTCP2 port (default: random 9000–31000, persisted)' },
  'ntcp2.enabled': { parse: parseBool, flag: true, help: 'enable NTCP2' },
  'ntcp2.published': { parse: parseBool, flag: true, help: 'publish our NTCP2 address' },
  floodfill: { parse: parseBool, flag: true, help: 'act as a floodfill' },
  bandwidth: { parse: parseBandwidth, help: 'bandwidth class letter K L M N O P X' },
  'reseed.zipfile': { parse: optionalPath, help: 'a .zip of routerInfo-*.dat files to bootstrap from' },
  loglevel: { parse: parseLogLevel, help: 'debug, info, warn, error, critical, none' },
  'limits.ntcp2sessions': { parse: intIn(1, 100000), help: 'maximum NTCP2 sessions' },
  'exploratory.inbound.length': { parse: intIn(1, 8), help: 'hops of exploratory inbound tunnels (default 2)' },
  'exploratory.outbound.length': { parse: intIn(1, 8), help: 'hops of exploratory outbound tunnels (default 2)' },
  'exploratory.inbound.quantity': { parse: intIn(1, 16), help: 'exploratory inbound tunnels kept (default 3)' },
  'exploratory.outbound.quantity': { parse: intIn(1, 16), help: 'exploratory outbound tunnels kept (default 3)' },
  share: { parse: intIn(0, 100), help: 'percent of the bandwidth class that transit traffic may use (default 100)' },
  'limits.transittunnels': { parse: intIn(0, 65535), help: 'maximum transit tunnels (0 = carry none)' },
  ...RESEED_OPTIONS,
  ...I2PCONTROL_OPTIONS,
  ...GATEWAY_OPTIONS,
  ...HTTP_OPTIONS,
};

export function defaultConfig(home: string): RouterConfig {
  return {
    datadir: `${home}/.garlicgate`,
    conf: undefined,
    netid: 2,
    host: undefined,
    port: undefined,
    'ntcp2.enabled': true,
    'ntcp2.published': true,
    floodfill: false,
    bandwidth: 'L',
    'reseed.zipfile': undefined,
    loglevel: 'info',
    'limits.ntcp2sessions': 500,
    // Below i2pd's 5000: a Pi has little memory; the benchmark measures RSS at 2,000.
    'limits.transittunnels': 2500,
    share: 100,
    // i2pd's defaults.
    'exploratory.inbound.length': 2,
    'exploratory.outbound.length': 2,
    'exploratory.inbound.quantity': 3,
    'exploratory.outbound.quantity': 3,
    ...defaultReseedConfig(),
    ...defaultI2PControlConfig(),
    ...defaultGatewayConfig(),
    ...defaultHttpConfig(),
  };
}

export function isOptionName(name: string): name is keyof RouterConfig {
  return Object.prototype.hasOwnProperty.call(OPTIONS, name);
}
