/**
 * The NetworkApplier the router process uses to put network settings into effect (issue 6). Two
 * ways, by `gateway.firewall.control`:
 *   - direct: the same steps as `garlicgate firewall apply` in this process (src/gateway/firewall:
 *     generate from the config, dry-run, load atomically, check back, roll back on failure). Needs
 *     CAP_NET_ADMIN (tests, a router run as root).
 *   - service: the appliance, where this process holds no capability. It writes a network request
 *     (src/gateway/firewall/network-request.ts); root's path unit applies the config file with the
 *     request on top and reports (firewall-report.ts, apply.json), which this side waits for.
 * When applying fails, the settings transaction restores the old values and the owner is told why.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RouterConfig } from '../../config/options.js';
import { applyFirewall } from '../../gateway/firewall/apply.js';
import type { CommandRunner } from '../../gateway/firewall/command-runner.js';
import { planFromConfig } from '../../gateway/firewall/command.js';
import { APPLY_FILE, FirewallReportError, readFirewallReport, type FirewallReport } from '../../gateway/firewall/firewall-report.js';
import { encodeNetworkRequest, networkRequestFor } from '../../gateway/firewall/network-request.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { NetworkApplier } from './settings-service.js';

export function firewallNetworkApplier(runner: CommandRunner): NetworkApplier {
  return {
    apply: async (config: RouterConfig) => {
      const plan = await planFromConfig(config, { stdout: () => undefined, stderr: () => undefined });
      await applyFirewall(plan, runner);
    },
  };
}

export interface ServiceNetworkApplierOptions {
  /** gateway.firewall.request: the file root's path unit watches. */
  requestFile: string;
  /** gateway.firewall.status: where root's reports are. */
  statusDir: string;
  /** How long to wait for root's report (default 60 s: starting node on a Pi takes seconds). */
  timeoutMs?: number;
  pollMs?: number;
  /**
   * Writes the request again when no report came within this long (default 10 s). A systemd path
   * unit does not watch while the unit it started runs: a request written then would be missed.
   * Root's apply is idempotent, so a second write of the same request is harmless.
   */
  rewriteMs?: number;
  now?: () => number;
}

export const SERVICE_TIMEOUT_MS = 60_000;

/** The request file and root's reports (gateway.firewall.control = service). */
export function serviceNetworkApplier(opts: ServiceNetworkApplierOptions): NetworkApplier {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? SERVICE_TIMEOUT_MS;
  const pollMs = opts.pollMs ?? 200;
  const rewriteMs = opts.rewriteMs ?? 10_000;
  return {
    apply: async (config: RouterConfig) => {
      const id = randomBytes(8).toString('hex');
      const text = encodeNetworkRequest(networkRequestFor(config, id));
      const writtenAt = now();
      await writeFileAtomic(opts.requestFile, text, 0o644);
      let lastWrite = writtenAt;
      const deadline = writtenAt + timeoutMs;
      for (;;) {
        let report: FirewallReport | undefined;
        try {
          report = await readFirewallReport(join(opts.statusDir, APPLY_FILE));
        } catch (e) {
          if (!(e instanceof FirewallReportError)) throw e;
          throw new Error(`the firewall service's report is unreadable: ${e.message}`);
        }
        if (report?.requestId === id) {
          if (report.result === 'ok') return;
          throw new Error(`the firewall service could not apply it: ${report.detail}`);
        }
        // A request this side wrote is valid; a refusal newer than it is about it (or a later one).
        if (report?.requestRefused !== undefined && report.at >= writtenAt) throw new Error(`the firewall service refused the request: ${report.requestRefused}`);
        if (now() >= deadline) {
          throw new Error(`the firewall service did not answer within ${Math.round(timeoutMs / 1000)} s (is garlicgate-reconfigure.path active?)`);
        }
        if (now() - lastWrite >= rewriteMs) {
          lastWrite = now();
          await writeFileAtomic(opts.requestFile, text, 0o644);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    // The config file describes the network again (confirmed: it was written; rolled back: the old
    // values are the file's): the request goes, and root applies the file alone.
    settled: () => rm(opts.requestFile, { force: true }),
  };
}
