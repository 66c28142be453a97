/**
 * `garlicgate firewall print|apply|check` (issue 5, item 4). The config is the router's own (same
 * command line and INI file), so the firewall always describes the router that runs.
 *
 * Exit codes: 0 done / rules match; 1 apply failed (rolled back) or rules do not match; 2 bad
 * command or config; 3 apply failed and the rollback did not complete (the message says what is left).
 */
import type { RouterConfig } from '../../config/options.js';
import { readRouterState, RouterStateError } from '../../router/router-state.js';
import { applyFirewall, checkFirewall, FirewallApplyError } from './apply.js';
import { systemRunner, type CommandRunner } from './command-runner.js';
import { FirewallConfigError, firewallConfigFrom, type TransportPorts } from './firewall-config.js';
import { generateFirewall, type FirewallPlan } from './ruleset.js';

export const FIREWALL_SUBCOMMANDS = ['print', 'apply', 'check'] as const;

export const FIREWALL_USAGE = [
  'Commands:',
  '  garlicgate                      run the router (default)',
  '  garlicgate firewall print       print the IPv4 and IPv6 rulesets the config produces',
  '  garlicgate firewall apply       load them atomically, check them back, roll back on failure (root)',
  '  garlicgate firewall check       exit 0 if the loaded rules match the config, 1 if not (root)',
  '',
].join('\n');

export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * The router's transport ports: NTCP2 over TCP when enabled (SSU2 over UDP joins here when it
 * exists). The port is `--port`, or the one the router picked and saved in router.state.json; with
 * neither, none is opened (the WAN stays closed: fail closed) and a note says why.
 */
export async function routerTransportPorts(config: RouterConfig): Promise<{ ports: TransportPorts; note?: string }> {
  if (!config['ntcp2.enabled']) return { ports: { tcp: [], udp: [] } };
  const port = config.port ?? (await readRouterState(config.datadir))?.ntcp2Port;
  if (port === undefined) {
    return {
      ports: { tcp: [], udp: [] },
      note: `the NTCP2 port is not known yet (no --port, no ${config.datadir}/router.state.json): no transport port is opened on the WAN; set --port or apply again after the router's first start`,
    };
  }
  return { ports: { tcp: [port], udp: [] } };
}

export async function planFromConfig(config: RouterConfig, out: CommandOutput): Promise<FirewallPlan> {
  const { ports, note } = await routerTransportPorts(config);
  if (note) out.stderr(`garlicgate firewall: note: ${note}\n`);
  return generateFirewall(firewallConfigFrom(config, ports));
}

export async function firewallCommand(args: readonly string[], config: RouterConfig, out: CommandOutput, runner: CommandRunner = systemRunner): Promise<number> {
  const sub = args[0];
  if (args.length !== 1 || !FIREWALL_SUBCOMMANDS.includes(sub as (typeof FIREWALL_SUBCOMMANDS)[number])) {
    out.stderr(`garlicgate firewall: expected one of ${FIREWALL_SUBCOMMANDS.join(', ')}, got "${args.join(' ')}"\n${FIREWALL_USAGE}`);
    return 2;
  }
  let plan: FirewallPlan;
  try {
    plan = await planFromConfig(config, out);
  } catch (e) {
    if (e instanceof FirewallConfigError || e instanceof RouterStateError) {
      out.stderr(`garlicgate firewall: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (sub === 'print') {
    out.stdout(`${plan.ipv4}\n${plan.ipv6}`);
    return 0;
  }
  if (sub === 'apply') {
    try {
      await applyFirewall(plan, runner);
    } catch (e) {
      if (!(e instanceof FirewallApplyError)) throw e;
      out.stderr(`garlicgate firewall: apply failed: ${e.message}\n`);
      return e.rolledBack === false ? 3 : 1;
    }
    out.stdout(`garlicgate firewall: applied and checked (config ${plan.hash}; LAN ${plan.config.lan.interface}, WAN ${plan.config.wan.interface})\n`);
    return 0;
  }
  let diffs: string[];
  try {
    diffs = await checkFirewall(plan, runner);
  } catch (e) {
    out.stderr(`garlicgate firewall: check failed: ${(e as Error).message}\n`);
    return 1;
  }
  if (diffs.length === 0) {
    out.stdout(`garlicgate firewall: the loaded rules match the config (${plan.hash})\n`);
    return 0;
  }
  out.stdout(`garlicgate firewall: the loaded rules do NOT match the config (${plan.hash}):\n${diffs.map((d) => `  ${d}\n`).join('')}`);
  return 1;
}
