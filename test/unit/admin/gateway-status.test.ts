import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeKernel } from '../gateway/firewall/fixtures.js';
import { FirewallMonitor } from '../../../src/admin/gateway-status.js';
import { firewallNetworkApplier, serviceNetworkApplier } from '../../../src/admin/settings/network-applier.js';
import { SettingsService } from '../../../src/admin/settings/settings-service.js';
import { SettingsTransaction } from '../../../src/admin/settings/transaction.js';
import { firewallCommand } from '../../../src/gateway/firewall/command.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * The root side as the appliance runs it (garlicgate-reconfigure.path → `firewall apply request=…
 * status=…`), in this process: the real command with a FakeKernel, started whenever the request
 * file changes (polled here; inotify there).
 */
class SimulatedRootSide {
  readonly kernel = new FakeKernel();
  runs = 0;
  private last = '';
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  constructor(
    readonly requestFile: string,
    readonly statusDir: string,
    readonly fileConfig: () => RouterConfig,
  ) {}
  start(): void {
    this.timer = setInterval(() => void this.poll(), 10);
  }
  /** The request as it is now was seen (and missed): only a new write starts an apply. */
  ignoreCurrent(): void {
    this.last = existsSync(this.requestFile) ? `${statSync(this.requestFile).ino}:${statSync(this.requestFile).mtimeMs}` : '(none)';
  }
  stop(): void {
    clearInterval(this.timer);
  }
  async run(sub: 'apply' | 'check'): Promise<number> {
    const quiet = { stdout: () => undefined, stderr: () => undefined };
    return firewallCommand([sub, `request=${this.requestFile}`, `status=${this.statusDir}`], this.fileConfig(), quiet, this.kernel);
  }
  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      // The file's inode: every write is a new file (written aside, renamed), as inotify sees it.
      const now = existsSync(this.requestFile) ? `${statSync(this.requestFile).ino}:${statSync(this.requestFile).mtimeMs}` : '(none)';
      if (now !== this.last) {
        this.last = now;
        this.runs++;
        await this.run('apply');
      }
    } finally {
      this.busy = false;
    }
  }
}

function withRun(fn: (run: string, status: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ggh-fwsvc-'));
  mkdirSync(join(dir, 'status'));
  return fn(join(dir, 'network-request.json'), join(dir, 'status')).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('firewall monitor (service): reads root\'s report — ok only for the settings in effect and while fresh', async () => {
  await withRun(async (requestFile, status) => {
    let cfg = config();
    let now = 1_000_000;
    const root = new SimulatedRootSide(requestFile, status, () => config());
    const monitor = new FirewallMonitor({ config: () => cfg, runner: new FakeKernel(), reports: { statusDir: status, staleMs: 200_000 }, log: silentLogger(), now: () => now });
    const none = await monitor.check();
    assert.equal(none.state, 'unknown');
    assert.match(none.detail, /no report from the firewall service yet/);

    assert.equal(await root.run('check'), 1, 'nothing loaded yet');
    assert.equal((await monitor.check()).state, 'failed');
    assert.equal(await root.run('apply'), 0);
    const ok = await monitor.check();
    assert.equal(ok.state, 'ok', ok.detail);
    assert.match(ok.detail, /loaded and checked back/);

    // Root's clock is Date.now(); the monitor's is `now`: a report 3+ minutes old is stale.
    now = Date.now() + 250_000;
    const stale = await monitor.check();
    assert.equal(stale.state, 'unknown');
    assert.match(stale.detail, /s old/);
    now = Date.now();

    // The settings in effect changed (a pending change), and root has not reported on them yet.
    cfg = config({ 'gateway.virtualrange': '10.55.0.0/16' });
    const other = await monitor.check();
    assert.equal(other.state, 'unknown');
    assert.match(other.detail, /was for other settings/);
    cfg = config();

    root.kernel.sysctls['net.ipv4.ip_forward'] = '1';
    assert.equal(await root.run('check'), 1);
    const drift = await monitor.check();
    assert.equal(drift.state, 'failed');
    assert.match(drift.detail, /ip_forward/);

    writeFileSync(join(status, 'status.json'), '{"version":1,"kind":"check"');
    const garbage = await monitor.check();
    assert.equal(garbage.state, 'unknown');
    assert.match(garbage.detail, /unreadable/);
  });
});

test('service network applier: the request is applied by root and awaited; settled() hands back to the config file', async () => {
  await withRun(async (requestFile, status) => {
    const root = new SimulatedRootSide(requestFile, status, () => config());
    root.start();
    try {
      const applier = serviceNetworkApplier({ requestFile, statusDir: status, timeoutMs: 10_000, pollMs: 10 });
      await applier.apply(config({ 'gateway.virtualrange': '10.66.0.0/16' }));
      assert.ok(root.kernel.tables[4].get('mangle')?.rules.some((r) => r.includes('10.66.0.0/16')), 'the pending range is loaded');
      await applier.settled!();
      assert.equal(existsSync(requestFile), false);
      for (let i = 0; i < 200 && !root.kernel.tables[4].get('mangle')?.rules.some((r) => r.includes('10.191.0.0/16')); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(root.kernel.tables[4].get('mangle')?.rules.some((r) => r.includes('10.191.0.0/16')), "root went back to the config file's range");

      // Root cannot load it: the error says why (the settings transaction then restores the old values).
      root.kernel.fail = (line) => (line.startsWith('iptables-restore') && !line.includes('--test') ? { code: 1, stdout: '', stderr: 'iptables-restore: line 3 failed' } : undefined);
      await assert.rejects(applier.apply(config({ 'gateway.virtualrange': '10.67.0.0/16' })), /could not apply it: applying failed.*line 3 failed/);
      root.kernel.fail = () => undefined;
    } finally {
      root.stop();
    }
    // Root misses the first write (its path unit was not watching): the request is written again.
    {
      const deaf = new SimulatedRootSide(requestFile, status, () => config());
      const applier = serviceNetworkApplier({ requestFile, statusDir: status, timeoutMs: 10_000, pollMs: 10, rewriteMs: 100 });
      const done = applier.apply(config({ 'gateway.virtualrange': '10.68.0.0/16' }));
      await new Promise((r) => setTimeout(r, 30));
      deaf.ignoreCurrent();
      deaf.start();
      try {
        await done;
      } finally {
        deaf.stop();
      }
      assert.ok(deaf.kernel.tables[4].get('mangle')?.rules.some((r) => r.includes('10.68.0.0/16')));
    }
    // Nobody answers (the path unit is not running): a timeout with the unit to look at.
    const lonely = serviceNetworkApplier({ requestFile, statusDir: status, timeoutMs: 100, pollMs: 10 });
    await assert.rejects(lonely.apply(config()), /did not answer within 0 s \(is garlicgate-reconfigure\.path active\?\)/);
  });
});

test('service network applier: through the settings transaction — applied, rolled back at the deadline, request gone', async () => {
  await withRun(async (requestFile, status) => {
    const root = new SimulatedRootSide(requestFile, status, () => config());
    root.start();
    const datadir = mkdtempSync(join(tmpdir(), 'ggh-fwsvc-cfg-'));
    try {
      const settings = new SettingsService({
        config: config({ datadir }),
        configFile: join(datadir, 'garlicgate.conf'),
        commandLine: new Set(),
        runtime: { applyRuntimeSettings: async () => undefined },
        network: serviceNetworkApplier({ requestFile, statusDir: status, timeoutMs: 10_000, pollMs: 10 }),
        transaction: new SettingsTransaction({ log: silentLogger() }),
        log: silentLogger(),
      });
      const r = await settings.apply({ 'gateway.virtualrange': '10.70.0.0/16' }, 10);
      assert.deepEqual(r.effects, [{ key: 'gateway.virtualrange', effect: 'firewall-reloaded' }]);
      assert.ok(root.kernel.tables[4].get('mangle')?.rules.some((x) => x.includes('10.70.0.0/16')));
      const back = await settings.rollback(r.pending.id);
      assert.equal(back.result, 'rolled-back');
      assert.ok(root.kernel.tables[4].get('mangle')?.rules.some((x) => x.includes('10.191.0.0/16')));
      assert.equal(existsSync(requestFile), false, 'no request left: the config file describes the network');
      assert.equal(existsSync(join(datadir, 'garlicgate.conf')), false, 'nothing written');
    } finally {
      root.stop();
      rmSync(datadir, { recursive: true, force: true });
    }
  });
});
