/**
 * The LAN gateway as the admin UI sees it: is the LAN protected (firewall loaded as configured, DNS
 * server and transparent proxy up), which LAN clients were seen, and the I2P backend the diagnostics
 * use. Each part is provided by the component that knows it; a part nobody provides yet is reported
 * as "not available yet", never guessed.
 *
 * The firewall part is here (FirewallMonitor): it runs `garlicgate firewall check`'s comparison
 * (src/gateway/firewall/apply.ts) in the background and caches the outcome, since the check runs
 * several commands (iptables-save, ip rule, sysctl) — too slow for a dashboard tick.
 */
import type { RouterConfig } from '../config/options.js';
import type { I2PStreamBackend } from '../gateway/i2p-backend.js';
import { checkFirewall, describeFirewallDiffs } from '../gateway/firewall/apply.js';
import type { CommandRunner } from '../gateway/firewall/command-runner.js';
import { planFromConfig } from '../gateway/firewall/command.js';
import { readFirewallReport, STATUS_FILE, type FirewallReport } from '../gateway/firewall/firewall-report.js';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import { NOT_AVAILABLE_YET } from './not-available.js';

/**
 * ok: checked and working. failed: checked and not working. unknown: could not be checked (e.g. no
 * permission). disabled: switched off in the config. not-available: nothing provides it yet.
 */
export type ComponentState = 'ok' | 'failed' | 'unknown' | 'disabled' | 'not-available';

export interface ComponentStatus {
  state: ComponentState;
  detail: string;
  /** When it was last checked (ms since epoch); missing when never. */
  checkedAt?: number;
}

export interface LanClient {
  address: string;
  lastSeenAt: number;
  /** Host name the client gave (DHCP), when known. */
  name?: string;
}

export interface GatewayStatus {
  /** Whether the loaded firewall matches the config. */
  firewall?(): ComponentStatus;
  /** Whether the LAN DNS server is serving. */
  dns?(): ComponentStatus;
  /** Whether the transparent proxy is accepting. */
  proxy?(): ComponentStatus;
  /** LAN clients seen recently (DNS queries, proxied connections, DHCP leases). */
  lanClients?(): LanClient[];
  /** The I2P backend the gateway uses (name lookups, streams): the diagnostics use it. */
  backend?(): I2PStreamBackend | undefined;
}

export interface Protection {
  state: 'protected' | 'not-protected';
  /** Why not protected (empty when protected). */
  reasons: string[];
  firewall: ComponentStatus;
  dns: ComponentStatus;
  proxy: ComponentStatus;
}

const missing = (): ComponentStatus => ({ state: 'not-available', detail: NOT_AVAILABLE_YET });

/** Protected only when the firewall, DNS and proxy all answered "ok"; otherwise the reasons, one per part. */
export function evaluateProtection(g: GatewayStatus): Protection {
  const firewall = g.firewall?.() ?? missing();
  const dns = g.dns?.() ?? missing();
  const proxy = g.proxy?.() ?? missing();
  const reasons: string[] = [];
  for (const [name, c] of [['firewall', firewall], ['DNS server', dns], ['transparent proxy', proxy]] as const) {
    if (c.state !== 'ok') reasons.push(`${name}: ${c.state === 'not-available' ? NOT_AVAILABLE_YET : c.detail}`);
  }
  return { state: reasons.length === 0 ? 'protected' : 'not-protected', reasons, firewall, dns, proxy };
}

export interface FirewallMonitorOptions {
  /** The config as it is now (it changes when the owner applies network settings). */
  config: () => RouterConfig;
  /**
   * How to check: `runner` runs the check here (needs CAP_NET_ADMIN to read the rules); `reports`
   * reads what root's check timer and applies found (gateway.firewall.control = service: the
   * appliance), valid only for the config in effect and only while fresh.
   */
  runner: CommandRunner;
  reports?: { statusDir: string; staleMs?: number };
  log: Logger;
  now?: () => number;
  /** How often to check, ms (default 30 s). */
  intervalMs?: number;
}

/**
 * Checks the loaded firewall against the config in the background. With the gateway disabled the
 * box does not manage a firewall: 'disabled'. A check that cannot run (no permission to read the
 * rules) is 'unknown' with the reason, never 'ok'.
 */
export class FirewallMonitor {
  private status: ComponentStatus = { state: 'unknown', detail: 'not checked yet' };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: FirewallMonitorOptions) {
    this.now = opts.now ?? Date.now;
  }

  current(): ComponentStatus {
    if (!this.opts.config()['gateway.enabled']) return { state: 'disabled', detail: 'the LAN gateway is disabled (gateway.enabled = false)' };
    return this.status;
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs one check now (one at a time) and returns the new status. */
  async check(): Promise<ComponentStatus> {
    this.running ??= this.runCheck().finally(() => (this.running = undefined));
    await this.running;
    return this.current();
  }

  private async runCheck(): Promise<void> {
    const config = this.opts.config();
    if (!config['gateway.enabled']) return;
    const notes: string[] = [];
    try {
      const plan = await planFromConfig(config, { stdout: () => undefined, stderr: (t) => void notes.push(t.trim()) });
      if (this.opts.reports) {
        this.status = await this.fromReport(plan.hash, this.opts.reports);
      } else {
        const diffs = await checkFirewall(plan, this.opts.runner);
        this.status =
          diffs.length === 0
            ? { state: 'ok', detail: `the loaded rules match the config (${plan.hash})`, checkedAt: this.now() }
            : { state: 'failed', detail: describeFirewallDiffs(diffs), checkedAt: this.now() };
      }
    } catch (e) {
      this.status = { state: 'unknown', detail: `could not check the firewall: ${(e as Error).message}`, checkedAt: this.now() };
    }
    if (this.status.state !== 'ok') this.opts.log.debug({ status: this.status, notes }, 'firewall check');
  }

  /** Root's newest report, if it is about the config in effect (same plan hash) and fresh. */
  private async fromReport(hash: string, source: { statusDir: string; staleMs?: number }): Promise<ComponentStatus> {
    const staleMs = source.staleMs ?? DEFAULT_REPORT_STALE_MS;
    const at = this.now();
    let report: FirewallReport | undefined;
    try {
      report = await readFirewallReport(join(source.statusDir, STATUS_FILE));
    } catch (e) {
      return { state: 'unknown', detail: `the firewall service's report is unreadable: ${(e as Error).message}`, checkedAt: at };
    }
    if (!report) return { state: 'unknown', detail: `no report from the firewall service yet (${join(source.statusDir, STATUS_FILE)}; garlicgate-firewall-check.timer runs the check)`, checkedAt: at };
    if (report.planHash !== hash) {
      return { state: 'unknown', detail: `the firewall service's last ${report.kind} was for other settings (${report.planHash ?? 'a refused config'}, in effect: ${hash}); waiting for its next check`, checkedAt: report.at };
    }
    if (at - report.at > staleMs) {
      return { state: 'unknown', detail: `the firewall service's last check is ${Math.round((at - report.at) / 1000)} s old (garlicgate-firewall-check.timer is not running?)`, checkedAt: report.at };
    }
    return { state: report.result === 'ok' ? 'ok' : 'failed', detail: report.detail, checkedAt: report.at };
  }
}

/** Root's check timer runs every minute: three missed checks make its report stale. */
export const DEFAULT_REPORT_STALE_MS = 200_000;
