import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeKernel } from '../gateway/firewall/fixtures.js';
import { FirewallMonitor } from '../../../src/admin/gateway-status.js';
import { firewallNetworkApplier } from '../../../src/admin/settings/network-applier.js';
import { defaultConfig, type RouterConfig } from '../../../src/config/options.js';
import { silentLogger } from '../../../src/util/log.js';

const config = (over: Partial<RouterConfig> = {}): RouterConfig => ({ ...defaultConfig('/nonexistent'), datadir: '/nonexistent', port: 24680, 'gateway.enabled': true, ...over });

test('firewall monitor: ok when the loaded rules match the config, failed when they drift, unknown when it cannot look', async () => {
  const kernel = new FakeKernel();
  let cfg = config();
  const monitor = new FirewallMonitor({ config: () => cfg, runner: kernel, log: silentLogger(), now: () => 42 });
  assert.equal(monitor.current().state, 'unknown', 'not checked yet');
  assert.equal((await monitor.check()).state, 'failed', 'nothing loaded yet: the rules differ');

  // What the settings page uses to put a network change into effect: the same apply as the CLI.
  await firewallNetworkApplier(kernel).apply(cfg);
  const ok = await monitor.check();
  assert.equal(ok.state, 'ok');
  assert.equal(ok.checkedAt, 42);

  kernel.sysctls['net.ipv4.ip_forward'] = '1';
  const drift = await monitor.check();
  assert.equal(drift.state, 'failed');
  assert.match(drift.detail, /ip_forward is 1, expected 0/);

  kernel.fail = (line) => (line.startsWith('iptables-save') ? { code: 4, stdout: '', stderr: 'Permission denied (you must be root)' } : undefined);
  const blind = await monitor.check();
  assert.equal(blind.state, 'unknown');
  assert.match(blind.detail, /Permission denied/);

  cfg = config({ 'gateway.enabled': false });
  assert.equal(monitor.current().state, 'disabled');
  const calls = kernel.calls.length;
  await monitor.check();
  assert.equal(kernel.calls.length, calls, 'with the gateway disabled no command runs');
});
