#!/usr/bin/env node
/**
 * `garlicgate` command: with no command word, runs the router (and, with gateway.enabled, the LAN
 * gateway's DNS server and transparent proxy; with http.enabled, the admin UI); `garlicgate firewall print|apply|check`
 * manages the LAN gateway's firewall (src/gateway/firewall/command.ts) with the same options. Bad
 * options → a clear message on stderr and exit code 2, with nothing created or written (config
 * loading only reads).
 */
import { homedir } from 'node:os';
import { ConfigError } from './config/options.js';
import { loadConfig, usage } from './config/load.js';
import { GARLICGATE_VERSION } from './version.js';
import { FIREWALL_USAGE, firewallCommand } from './gateway/firewall/command.js';
import { DHCP_USAGE, dhcpCommand } from './gateway/dhcp/command.js';

const write = {
  stdout: (text: string): void => void process.stdout.write(text),
  stderr: (text: string): void => void process.stderr.write(text),
};

async function main(argv: string[]): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(argv, homedir());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`garlicgate: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (loaded.help) {
    process.stdout.write(`${usage()}\n${FIREWALL_USAGE}${DHCP_USAGE}`);
    return 0;
  }
  if (loaded.version) {
    process.stdout.write(`garlicgate ${GARLICGATE_VERSION}\n`);
    return 0;
  }
  if (loaded.positionals[0] === 'firewall') return firewallCommand(loaded.positionals.slice(1), loaded.config, write);
  if (loaded.positionals[0] === 'dhcp') return dhcpCommand(loaded.positionals.slice(1), loaded.config, write);
  if (loaded.positionals.length > 0) {
    process.stderr.write(`garlicgate: unknown command "${loaded.positionals.join(' ')}" (see --help)\n`);
    return 2;
  }
  // The daemon's modules (router, gateway, admin UI) are loaded only to run it: the firewall and
  // DHCP commands, which root's units start every minute on a Pi, stay light (0.13 s instead of 0.31 s here).
  const { runDaemon } = await import('./daemon.js');
  return runDaemon(loaded);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`garlicgate: fatal: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
