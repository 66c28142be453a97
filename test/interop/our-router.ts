// Interop helper (not a test file): the config of one of our routers in the private test network.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type RouterConfig } from '../../src/config/options.js';

/** netId 99, a fresh datadir, bandwidth class X (i2pd prefers such peers), and never the public reseed servers. */
export function ourRouterConfig(name: string, host: string, port: number, extra: Partial<RouterConfig> = {}): RouterConfig {
  return {
    ...defaultConfig('/nonexistent'),
    datadir: mkdtempSync(join(tmpdir(), `gg-${name}-`)),
    netid: 99,
    host,
    port,
    bandwidth: 'X',
    // Never the public reseed servers: this network is private.
    'reseed.urls': [],
    ...extra,
  };
}
