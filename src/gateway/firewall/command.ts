/**
 * `garlicgate firewall print|apply|check` (issue 5, item 4). The config is the router's own (same
 * command line and INI file), so the firewall always describes the router that runs.
 *
 * Exit codes: 0 done / rules match; 1 apply failed (rolled back) or rules do not match; 2 bad
 * command or config; 3 apply failed and the rollback did not complete (the message says what is left).
 */
import type { RouterConfig } from '../../config/options.js';
import { readRouterState, RouterStateError } from '../../router/router-state.js';
import { applyFirewall, checkFirewall, describeFirewallDiffs, FirewallApplyError } from './apply.js';
import { systemRunner, type CommandRunner } from './command-runner.js';
import { FirewallConfigError, firewallConfigFrom, type TransportPorts } from './firewall-config.js';
import { generateFirewall, type FirewallPlan } from './ruleset.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { networkdFiles, writeNetworkdFiles } from '../networkd.js';
import { writeFirewallReport, type FirewallReport } from './firewall-report.js';
import { configWithRequestFile } from './network-request.js';

export const FIREWALL_SUBCOMMANDS = ['print', 'apply', 'check'] as const;

export const FIREWALL_USAGE = [
  'Commands:',
  '  garlicgate                      run the router (default)',
  '  garlicgate firewall print       print the IPv4 and IPv6 rulesets the config produces',
  '  garlicgate firewall apply       load them atomically, check them back, roll back on failure (root)',
  '  garlicgate firewall check       exit 0 if the loaded rules match the config, 1 if not (root)',
  '    after print|apply|check:  request=FILE  the unprivileged router\'s network request on top of',
  '                                             the config (refused if not valid; absent = none)',
  '                              status=DIR    write the result there (status.json, apply.json)',
  '    after apply:               networkd=DIR  also write the LAN/WAN systemd-networkd files there',
  '                                             and reload networkd when they changed',
  '',
].join('\n');

/** What follows the subcommand word: `request=FILE`, `status=DIR` (words, not options: the config file cannot set them). */
export interface FirewallCommandArgs {
  sub: (typeof FIREWALL_SUBCOMMANDS)[number];
  requestFile?: string;
  statusDir?: string;
  networkdDir?: string;
}

export function parseFirewallArgs(args: readonly string[]): FirewallCommandArgs | string {
  const sub = args[0];
  if (!FIREWALL_SUBCOMMANDS.includes(sub as (typeof FIREWALL_SUBCOMMANDS)[number])) return `expected one of ${FIREWALL_SUBCOMMANDS.join(', ')}, got "${args.join(' ')}"`;
  const out: FirewallCommandArgs = { sub: sub as FirewallCommandArgs['sub'] };
  for (const word of args.slice(1)) {
    const m = /^(request|status|networkd)=(\/.+)$/.exec(word);
    if (!m || (m[1] === 'networkd' && sub !== 'apply')) return `expected request=/absolute/file, status=/absolute/dir${sub === 'apply' ? ' or networkd=/absolute/dir' : ''} after "${sub}", got "${word}"`;
    const key = m[1] === 'request' ? 'requestFile' : m[1] === 'status' ? 'statusDir' : 'networkdDir';
    if (out[key] !== undefined) return `${m[1]}= given twice`;
    out[key] = m[2]!;
  }
  return out;
}

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

/** Where an administrator's own networkd files live: one of ours by the same name there wins. */
const ETC_NETWORKD = '/etc/systemd/network';

/**
 * Writes the LAN/WAN networkd files (../networkd.ts) and, when one changed and networkd runs, has
 * it reload them (it reconfigures the interfaces whose file changed). At boot networkd is not
 * running yet and reads them when it starts. Returns a note for the report.
 */
async function applyNetworkd(dir: string, config: RouterConfig, runner: CommandRunner, out: CommandOutput): Promise<string> {
  const files = networkdFiles(config);
  for (const f of files) {
    if (existsSync(join(ETC_NETWORKD, f.name))) out.stderr(`garlicgate firewall: note: ${join(ETC_NETWORKD, f.name)} takes precedence over ${join(dir, f.name)}; remove it to let the config decide\n`);
  }
  const written = await writeNetworkdFiles(dir, files);
  if (written.length === 0) return '';
  const active = await runner.run('systemctl', ['is-active', '--quiet', 'systemd-networkd.service']);
  if (active.code !== 0) return `; wrote ${written.join(', ')}`;
  const reload = await runner.run('networkctl', ['reload']);
  if (reload.code !== 0) throw new Error(`networkctl reload failed (${reload.code}): ${reload.stderr.trim()}`);
  return `; wrote ${written.join(', ')} and reloaded networkd`;
}

export async function firewallCommand(args: readonly string[], config: RouterConfig, out: CommandOutput, runner: CommandRunner = systemRunner): Promise<number> {
  const parsed = parseFirewallArgs(args);
  if (typeof parsed === 'string') {
    out.stderr(`garlicgate firewall: ${parsed}\n${FIREWALL_USAGE}`);
    return 2;
  }
  const { sub, requestFile, statusDir, networkdDir } = parsed;
  // The unprivileged router's pending network settings (admin UI), on top of the config file. A
  // request that is not valid is refused and the config file alone is used: the box stays in the
  // state its owner confirmed.
  const { config: effective, request, refused: requestRefused } = requestFile === undefined ? { config } : await configWithRequestFile(config, requestFile);
  if (requestRefused !== undefined) out.stderr(`garlicgate firewall: the network request is refused, using the config file alone: ${requestRefused}\n`);
  const kind = sub === 'apply' ? 'apply' : 'check';
  const report = async (r: Omit<FirewallReport, 'kind' | 'at' | 'requestId' | 'requestRefused'>): Promise<boolean> => {
    if (statusDir === undefined || sub === 'print') return true;
    try {
      await writeFirewallReport(statusDir, {
        kind,
        ...r,
        at: Date.now(),
        ...(request ? { requestId: request.id } : {}),
        ...(requestRefused !== undefined ? { requestRefused } : {}),
      });
      return true;
    } catch (e) {
      out.stderr(`garlicgate firewall: cannot write the report to ${statusDir}: ${(e as Error).message}\n`);
      return false;
    }
  };
  const refusedNote = requestRefused !== undefined ? ` (the network request was refused: ${requestRefused})` : '';
  let plan: FirewallPlan;
  try {
    plan = await planFromConfig(effective, out);
  } catch (e) {
    if (e instanceof FirewallConfigError || e instanceof RouterStateError) {
      out.stderr(`garlicgate firewall: ${e.message}\n`);
      await report({ result: 'failed', detail: `the config is refused: ${e.message}` });
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
      await report({ result: 'failed', planHash: plan.hash, detail: `applying failed: ${e.message}` });
      return e.rolledBack === false ? 3 : 1;
    }
    let interfaces = '';
    if (networkdDir !== undefined) {
      try {
        interfaces = await applyNetworkd(networkdDir, effective, runner, out);
      } catch (e) {
        out.stderr(`garlicgate firewall: the firewall is loaded, but configuring the interfaces failed: ${(e as Error).message}\n`);
        await report({ result: 'failed', planHash: plan.hash, detail: `the firewall is loaded, but configuring the interfaces failed: ${(e as Error).message}` });
        return 1;
      }
    }
    const written = await report({
      result: requestRefused === undefined ? 'ok' : 'failed',
      planHash: plan.hash,
      detail: `loaded and checked back (config ${plan.hash})${interfaces}${refusedNote}`,
    });
    out.stdout(`garlicgate firewall: applied and checked (config ${plan.hash}; LAN ${plan.config.lan.interface}, WAN ${plan.config.wan.interface})${request ? ` with network request ${request.id}` : ''}\n`);
    return written && requestRefused === undefined ? 0 : 1;
  }
  let diffs: string[];
  try {
    diffs = await checkFirewall(plan, runner);
  } catch (e) {
    out.stderr(`garlicgate firewall: check failed: ${(e as Error).message}\n`);
    await report({ result: 'failed', planHash: plan.hash, detail: `could not check: ${(e as Error).message}` });
    return 1;
  }
  if (diffs.length === 0) {
    const written = await report({ result: 'ok', planHash: plan.hash, detail: `the loaded rules match the config (${plan.hash})` });
    out.stdout(`garlicgate firewall: the loaded rules match the config (${plan.hash})\n`);
    return written ? 0 : 1;
  }
  await report({ result: 'failed', planHash: plan.hash, detail: describeFirewallDiffs(diffs) });
  out.stdout(`garlicgate firewall: the loaded rules do NOT match the config (${plan.hash}):\n${diffs.map((d) => `  ${d}\n`).join('')}`);
  return 1;
}
