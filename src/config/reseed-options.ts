/**
 * Reseed options, with i2pd's names and meanings (i2pd docs "configuration", section
 * [reseed]); entries in the shape of OPTIONS in ./options.ts, to be merged into it.
 * `reseed.zipfile` is already in OPTIONS and is not repeated here.
 */
import { parseHttpsUrl } from '../netdb/reseed/https-fetch.js';
import { parseProxyUrl } from '../netdb/reseed/proxy-tunnel.js';
import { ReseedFailure } from '../netdb/reseed/reseed-failure.js';
import { ConfigError, type OptionSpec } from './option-spec.js';

/** i2pd 2.45.1's built-in `reseed.urls` (all HTTPS), as compiled into Debian's /usr/bin/i2pd. */
export const DEFAULT_RESEED_URLS: readonly string[] = [
  'https://reseed2.i2p.net/',
  'https://reseed.diva.exchange/',
  'https://reseed-fr.i2pd.xyz/',
  'https://reseed.memcpy.io/',
  'https://reseed.onion.im/',
  'https://i2pseed.creativecowpat.net:8443/',
  'https://reseed.i2pgit.org/',
  'https://i2p.novg.net/',
  'https://banana.incognet.io/',
  'https://reseed-pl.i2pd.xyz/',
  'https://www2.mk16.de/',
];

export const DEFAULT_RESEED_THRESHOLD = 25;

export interface ReseedConfig {
  /** Reseed servers; `<url>/i2pseeds.su3?netid=N` is fetched from them. */
  'reseed.urls': string[];
  /** A local .su3 file or an https URL of one; when set, the servers are not used. */
  'reseed.file': string | undefined;
  /** Reseed when fewer routers are known. */
  'reseed.threshold': number;
  /** http://host:port (CONNECT) or socks://host:port (SOCKS5) for reseed downloads. */
  'reseed.proxy': string | undefined;
  /** Accepted for i2pd config compatibility; must be true (SU3 signatures are always verified). */
  'reseed.verify': boolean;
  /** Folder with `reseed/*.crt` signer certificates (and optional `ssl/*.crt`); default: the shipped `certificates/`. */
  certsdir: string | undefined;
}

function asConfigError(name: string, e: unknown): never {
  if (e instanceof ReseedFailure) throw new ConfigError(`option --${name}: ${e.message}`);
  throw e;
}

const parseUrlList = (raw: string, name: string): string[] => {
  // i2pd splits on commas and drops empty items.
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.map((item) => {
    try {
      return parseHttpsUrl(item).toString();
    } catch (e) {
      return asConfigError(name, e);
    }
  });
};

const parseFileOrUrl = (raw: string, name: string): string | undefined => {
  const v = raw.trim();
  if (v === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    try {
      return parseHttpsUrl(v).toString();
    } catch (e) {
      return asConfigError(name, e);
    }
  }
  return v;
};

const parseThreshold = (raw: string, name: string): number => {
  const v = raw.trim();
  if (!/^\d{1,6}$/.test(v)) throw new ConfigError(`option --${name}: expected a number of routers (0–100000), got "${raw}"`);
  const n = Number(v);
  if (n > 100_000) throw new ConfigError(`option --${name}: ${n} is more than 100000`);
  return n;
};

const parseProxy = (raw: string, name: string): string | undefined => {
  const v = raw.trim();
  if (v === '') return undefined;
  try {
    parseProxyUrl(v);
  } catch (e) {
    asConfigError(name, e);
  }
  return v;
};

const parseVerify = (raw: string, name: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', ''].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) {
    throw new ConfigError(`option --${name}: GarlicGate always verifies reseed signatures; "${raw}" (no verification) is not supported`);
  }
  throw new ConfigError(`option --${name}: expected true, got "${raw}"`);
};

const parseDir = (raw: string): string | undefined => (raw.trim() === '' ? undefined : raw);

export const RESEED_OPTIONS: Record<keyof ReseedConfig, OptionSpec> = {
  'reseed.urls': { parse: parseUrlList, help: 'comma-separated https reseed server URLs (default: i2pd\'s list)' },
  'reseed.file': { parse: parseFileOrUrl, help: 'a local .su3 reseed file or an https URL of one (then no servers are used)' },
  'reseed.threshold': { parse: parseThreshold, help: 'reseed when fewer routers are known (default 25)' },
  'reseed.proxy': { parse: parseProxy, help: 'proxy for reseeding: http://host:port or socks://host:port' },
  'reseed.verify': { parse: parseVerify, flag: true, help: 'accepted for i2pd compatibility; reseed signatures are always verified' },
  certsdir: { parse: parseDir, help: 'folder with reseed/*.crt signer certificates (default: the shipped certificates/)' },
};

export function defaultReseedConfig(): ReseedConfig {
  return {
    'reseed.urls': [...DEFAULT_RESEED_URLS],
    'reseed.file': undefined,
    'reseed.threshold': DEFAULT_RESEED_THRESHOLD,
    'reseed.proxy': undefined,
    'reseed.verify': true,
    certsdir: undefined,
  };
}
