/**
 * `garlicgate dhcp print [LEASEFILE]` and `garlicgate dhcp enabled`: the appliance's DHCP unit
 * (systemd/garlicgate-dhcp.service) runs dnsmasq with the configuration printed here, from the same
 * options (command line and INI file) as the router, so DHCP always describes the LAN the firewall
 * and the router use. `enabled` is the unit's ExecCondition: exit 0 when `gateway.dhcp.enabled`,
 * 1 when not (the unit is then skipped, not failed).
 *
 * Exit codes: 0 done / enabled; 1 disabled; 2 bad command or config.
 */
import { join } from 'node:path';
import type { RouterConfig } from '../../config/options.js';
import { ConfigError } from '../../config/option-spec.js';
import type { CommandOutput } from '../firewall/command.js';
import { dnsmasqConfig } from './dnsmasq-config.js';
import { configWithRequestFile } from '../firewall/network-request.js';

export const DHCP_USAGE = [
  '  garlicgate dhcp print [LEASEFILE] [request=FILE]',
  '                                     print the dnsmasq configuration for LAN DHCP (leases: LEASEFILE, default',
  "                                     gateway.dhcp.leasefile or <datadir>/dnsmasq.leases; request=: the admin UI's pending network settings on top)",
  '  garlicgate dhcp enabled            exit 0 if gateway.dhcp.enabled, 1 if not',
  '',
].join('\n');

/** dnsmasq's lease file: gateway.dhcp.leasefile, else <datadir>/dnsmasq.leases. */
export function leaseFileOf(config: RouterConfig): string {
  return config['gateway.dhcp.leasefile'] ?? join(config.datadir, 'dnsmasq.leases');
}

export async function dhcpCommand(args: readonly string[], config: RouterConfig, out: CommandOutput): Promise<number> {
  const [sub, ...words] = args;
  if (sub === 'enabled' && args.length === 1) return config['gateway.dhcp.enabled'] ? 0 : 1;
  const requestWord = words.findIndex((w) => w.startsWith('request='));
  const requestFile = requestWord >= 0 ? words.splice(requestWord, 1)[0]!.slice('request='.length) : undefined;
  const [leaseFile, ...rest] = words;
  if (sub !== 'print' || rest.length > 0 || (requestFile !== undefined && !requestFile.startsWith('/'))) {
    out.stderr(`garlicgate dhcp: expected "print [LEASEFILE] [request=/absolute/file]" or "enabled", got "${args.join(' ')}"\n${DHCP_USAGE}`);
    return 2;
  }
  // As the firewall: the admin UI's pending network settings (LAN address) on top of the config; a
  // request that is not valid is ignored with a note (the config file alone is what was confirmed).
  const { config: effective, refused } = requestFile === undefined ? { config } : await configWithRequestFile(config, requestFile);
  if (refused !== undefined) out.stderr(`garlicgate dhcp: the network request is refused, using the config file alone: ${refused}\n`);
  try {
    out.stdout(dnsmasqConfig(effective, { leaseFile: leaseFile ?? leaseFileOf(config) }));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    out.stderr(`garlicgate dhcp: ${e.message}\n`);
    return 2;
  }
  if (!config['gateway.dhcp.enabled']) out.stderr('garlicgate dhcp: note: gateway.dhcp.enabled is false: the firewall does not accept DHCP from the LAN\n');
  return 0;
}
