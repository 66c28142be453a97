/**
 * The NetworkApplier the router process uses: the same steps as `garlicgate firewall apply`
 * (src/gateway/firewall: generate from the config, dry-run, load atomically, check back, roll back
 * on failure). Loading rules needs CAP_NET_ADMIN; without it the apply fails, the settings transaction
 * restores the old values and the owner is told why.
 */
import type { RouterConfig } from '../../config/options.js';
import { applyFirewall } from '../../gateway/firewall/apply.js';
import type { CommandRunner } from '../../gateway/firewall/command-runner.js';
import { planFromConfig } from '../../gateway/firewall/command.js';
import type { NetworkApplier } from './settings-service.js';

export function firewallNetworkApplier(runner: CommandRunner): NetworkApplier {
  return {
    apply: async (config: RouterConfig) => {
      const plan = await planFromConfig(config, { stdout: () => undefined, stderr: () => undefined });
      await applyFirewall(plan, runner);
    },
  };
}
