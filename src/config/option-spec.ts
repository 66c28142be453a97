/**
 * What every option module shares: the error type for refused settings, the shape of an
 * option's specification (parser + help text) and the parsers several groups use.
 */
import { isIP } from 'node:net';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Parser<T> = (raw: string, name: string) => T;

export interface OptionSpec {
  parse: Parser<unknown>;
  help: string;
  /** A flag that may be given without a value on the command line (`--floodfill`). */
  flag?: boolean;
}

/** i2pd's booleans: true/false (also 1/0, yes/no); a bare `--flag` is true. */
export const parseBool: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === '') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`option --${name}: expected true or false, got "${raw}"`);
};

/** An IP literal (IPv4 or IPv6), as i2pd requires for listen addresses. */
export const parseIpAddress: Parser<string> = (raw, name) => {
  const v = raw.trim();
  if (isIP(v) === 0) throw new ConfigError(`option --${name}: "${raw}" is not an IPv4 or IPv6 address`);
  return v;
};

/** A TCP/UDP port 1–65535. */
export const parsePortNumber: Parser<number> = (raw, name) => {
  const v = raw.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new ConfigError(`option --${name}: expected a port 1–65535, got "${raw}"`);
  return Number(v);
};
