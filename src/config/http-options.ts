/**
 * Admin web UI options, with i2pd's names, defaults and meanings (`i2pd --help`, "HTTP webconsole
 * options": `http.address`, `http.port`), in the shape of OPTIONS in ./options.ts, merged into it.
 * The web UI itself is issue 6; the firewall already needs to know where it listens, to let the LAN
 * reach it and nothing else on the box.
 */
import { parseIpAddress, parsePortNumber, type OptionSpec } from './option-spec.js';

export interface HttpConfig {
  /** Listen address of the admin web UI (an IP literal). i2pd default: 127.0.0.1. */
  'http.address': string;
  /** Listen port of the admin web UI. i2pd default: 7070. */
  'http.port': number;
}

export function defaultHttpConfig(): HttpConfig {
  return {
    'http.address': '127.0.0.1',
    'http.port': 7070,
  };
}

export const HTTP_OPTIONS: Record<keyof HttpConfig, OptionSpec> = {
  'http.address': { parse: parseIpAddress, help: 'admin web UI listen address (default 127.0.0.1; the LAN reaches it only on 0.0.0.0 or the LAN address)' },
  'http.port': { parse: parsePortNumber, help: 'admin web UI listen port (default 7070)' },
};
