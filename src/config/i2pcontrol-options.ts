/**
 * I2PControl options, with i2pd's names, defaults and meanings (`i2pd --help`, "I2PControl
 * options"), in the shape of OPTIONS in ./options.ts, to be merged into it. `i2pcontrol.https` is
 * ours: i2pd always serves HTTPS.
 */
import { ConfigError, parseBool, parseIpAddress, parsePortNumber, type OptionSpec } from './option-spec.js';

export interface I2PControlConfig {
  /** Serve I2PControl. i2pd default: false. */
  'i2pcontrol.enabled': boolean;
  /** Listen address (an IP literal, as i2pd requires). Default 127.0.0.1. */
  'i2pcontrol.address': string;
  'i2pcontrol.port': number;
  /** Default "itoopie", as in i2pd and Java I2P: change it if the service is reachable by others. */
  'i2pcontrol.password': string;
  /** Certificate and key files (PEM); relative paths are inside the data directory. */
  'i2pcontrol.cert': string;
  'i2pcontrol.key': string;
  /** Ours. true (default): HTTPS like i2pd; false: plain HTTP, for clients that cannot do TLS. */
  'i2pcontrol.https': boolean;
}

export function defaultI2PControlConfig(): I2PControlConfig {
  return {
    'i2pcontrol.enabled': false,
    'i2pcontrol.address': '127.0.0.1',
    'i2pcontrol.port': 7650,
    'i2pcontrol.password': 'itoopie',
    'i2pcontrol.cert': 'i2pcontrol.crt.pem',
    'i2pcontrol.key': 'i2pcontrol.key.pem',
    'i2pcontrol.https': true,
  };
}

const parsePassword = (raw: string, name: string): string => {
  if (raw === '') throw new ConfigError(`option --${name}: the password must not be empty`);
  return raw;
};

const parseFile = (raw: string, name: string): string => {
  const v = raw.trim();
  if (v === '') throw new ConfigError(`option --${name}: expected a file name`);
  return v;
};

export const I2PCONTROL_OPTIONS: Record<keyof I2PControlConfig, OptionSpec> = {
  'i2pcontrol.enabled': { parse: parseBool, flag: true, help: 'serve I2PControl (JSON-RPC remote control, as i2pd; default false)' },
  'i2pcontrol.address': { parse: parseIpAddress, help: 'I2PControl listen address (default 127.0.0.1)' },
  'i2pcontrol.port': { parse: parsePortNumber, help: 'I2PControl listen port (default 7650)' },
  'i2pcontrol.password': { parse: parsePassword, help: 'I2PControl password (default itoopie)' },
  'i2pcontrol.cert': { parse: parseFile, help: 'I2PControl HTTPS certificate, PEM, created if missing (default <datadir>/i2pcontrol.crt.pem)' },
  'i2pcontrol.key': { parse: parseFile, help: 'I2PControl HTTPS key, PEM, created if missing (default <datadir>/i2pcontrol.key.pem)' },
  'i2pcontrol.https': { parse: parseBool, flag: true, help: 'serve I2PControl over HTTPS as i2pd does (default true); false = plain HTTP' },
};
