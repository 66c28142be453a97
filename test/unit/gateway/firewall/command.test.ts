import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firewallCommand, routerTransportPorts } from '../../../../src/gateway/firewall/command.js';
import { loadConfig } from '../../../../src/config/load.js';
import { FakeKernel } from './fixtures.js';
import { encodeNetworkRequest, networkRequestFor } from '../../../../src/gateway/firewall/network-request.js';
import { readFirewallReport } from '../../../../src/gateway/firewall/firewall-report.js';
import { symlinkSync } from 'node:fs';

const cli = fileURLToPath(new URL('../../../../src/cli.js', import.meta.url));

function capture(): { out: { stdout: (t: string) => void; stderr: (t: string) => void }; stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  return { out: { stdout: (t) => void (o += t), stderr: (t) => void (e += t) }, stdout: () => o, stderr: () => e };
}

async function withDatadir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ggh-fw-unit-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const config = (args: string[] = []) => loadConfig(['--datadir=/nonexistent-garlicgate', '--port=24680', ...args], '/nonexistent-home').config;

test('firewall command: print writes both documents for the config', async () => {
  const c = capture();
  assert.equal(await firewallCommand(['print'], config(['--gateway.lan.interface=end0']), c.out), 0);
  assert.match(c.stdout(), /IPv4 firewall[\s\S]*\*mangle[\s\S]*\*filter[\s\S]*IPv6 firewall[\s\S]*\*filter/);
  assert.match(c.stdout(), /-A INPUT -i wlan0 -p tcp -m tcp --dport 24680 -j ACCEPT/);
  assert.match(c.stdout(), /-A INPUT -i end0 -j REJECT --reject-with icmp6-adm-prohibited/);
  assert.equal(c.stderr(), '');
});

test('firewall command: unknown or missing subcommand, bad config → exit 2 with the reason', async () => {
  for (const args of [[], ['flush']]) {
    const c = capture();
    assert.equal(await firewallCommand(args, config(), c.out), 2);
    assert.match(c.stderr(), /expected one of print, apply, check/);
  }
  for (const args of [['print', 'extra'], ['apply', 'request=relative'], ['check', 'status=/a', 'status=/b'], ['apply', '--request=/x']]) {
    const c = capture();
    assert.equal(await firewallCommand(args, config(), c.out), 2, args.join(' '));
    assert.match(c.stderr(), /request=|status=|given twice/);
  }
  const c = capture();
  assert.equal(await firewallCommand(['print'], config(['--gateway.wan.interface=eth0']), c.out), 2);
  assert.match(c.stderr(), /LAN and the WAN must be different interfaces/);
});

test('firewall command: the transport port comes from --port, else router.state.json, else none (WAN closed, with a note)', async () => {
  await withDatadir(async (dir) => {
    const base = ['--datadir', dir];
    assert.deepEqual((await routerTransportPorts(loadConfig([...base, '--port=9999'], '/h').config)).ports, { tcp: [9999], udp: [] });
    const none = await routerTransportPorts(loadConfig(base, '/h').config);
    assert.deepEqual(none.ports, { tcp: [], udp: [] });
    assert.match(none.note!, /not known yet/);
    writeFileSync(join(dir, 'router.state.json'), JSON.stringify({ ntcp2Port: 23456 }));
    assert.deepEqual((await routerTransportPorts(loadConfig(base, '/h').config)).ports, { tcp: [23456], udp: [] });
    assert.deepEqual((await routerTransportPorts(loadConfig([...base, '--ntcp2.enabled=false'], '/h').config)).ports, { tcp: [], udp: [] });
    writeFileSync(join(dir, 'router.state.json'), '{');
    const c = capture();
    assert.equal(await firewallCommand(['print'], loadConfig(base, '/h').config, c.out), 2);
    assert.match(c.stderr(), /not valid JSON/);
  });
});

test('firewall command: apply and check through the runner, with exit codes 0 / 1 / 3', async () => {
  const k = new FakeKernel();
  const c = capture();
  assert.equal(await firewallCommand(['check'], config(), c.out, k), 1, 'nothing loaded yet');
  assert.match(c.stdout(), /do NOT match/);
  assert.equal(await firewallCommand(['apply'], config(), c.out, k), 0, c.stderr());
  assert.match(c.stdout(), /applied and checked/);
  assert.equal(await firewallCommand(['check'], config(), c.out, k), 0);
  assert.match(c.stdout(), /match the config/);

  const failing = new FakeKernel();
  failing.fail = (line, input) => (line === 'ip6tables-restore' && input?.includes('garlicgate') ? { code: 1, stdout: '', stderr: 'boom' } : undefined);
  const f = capture();
  assert.equal(await firewallCommand(['apply'], config(), f.out, failing), 1);
  assert.match(f.stderr(), /apply failed: .*boom.*rolled back/);

  const broken = new FakeKernel();
  // The load fails, and so does reading the rules back after the rollback.
  broken.fail = (line) =>
    line === 'ip6tables-restore' ? { code: 1, stdout: '', stderr: 'boom' } : line === 'iptables-save' && broken.calls.length > 3 ? { code: 1, stdout: '', stderr: 'gone' } : undefined;
  const b = capture();
  assert.equal(await firewallCommand(['apply'], config(), b.out, broken), 3);
  assert.match(b.stderr(), /ROLLBACK INCOMPLETE/);
});

test('firewall command: the garlicgate CLI dispatches `firewall print` with options from the INI file and the command line', async () => {
  await withDatadir((dir) => {
    writeFileSync(join(dir, 'garlicgate.conf'), '[gateway]\nlan.interface = end0\nvirtualrange = 10.200.0.0/16\n');
    const r = spawnSync(process.execPath, [cli, 'firewall', 'print', `--datadir=${dir}`, '--port=24680', '--gateway.dns.port=5300'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /-A PREROUTING -d 10\.200\.0\.0\/16 -i end0 -p tcp/);
    assert.match(r.stdout, /--to-ports 5300/);
    const bad = spawnSync(process.execPath, [cli, 'firewall', 'print', `--datadir=${dir}`, '--gateway.lan.interface=eth0;reboot'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a network interface name/);
    const unknown = spawnSync(process.execPath, [cli, 'frobnicate', `--datadir=${dir}`], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /garlicgate firewall apply/);
  });
});

test('firewall command: with request= the pending network settings go on top of the config; status= gets the report', async () => {
  await withDatadir(async (dir) => {
    const requestFile = join(dir, 'network-request.json');
    const status = join(dir, 'status');
    mkdirSync(status);
    const k = new FakeKernel();
    const words = [`request=${requestFile}`, `status=${status}`];

    // No request: the config file alone.
    const a = capture();
    assert.equal(await firewallCommand(['apply', ...words], config(), a.out, k), 0, a.stderr());
    const first = await readFirewallReport(join(status, 'apply.json'));
    assert.equal(first?.result, 'ok');
    assert.equal(first?.requestId, undefined);
    assert.ok(k.tables[4].get('mangle')?.rules.some((r) => r.includes('10.191.0.0/16')));

    // A request: its virtual range is loaded, and the report names the request.
    const pending = config(['--gateway.virtualrange=10.66.0.0/16']);
    writeFileSync(requestFile, encodeNetworkRequest(networkRequestFor(pending, 'aaaabbbbccccdddd')));
    const b = capture();
    assert.equal(await firewallCommand(['apply', ...words], config(), b.out, k), 0, b.stderr());
    assert.match(b.stdout(), /with network request aaaabbbbccccdddd/);
    const applied = await readFirewallReport(join(status, 'apply.json'));
    assert.equal(applied?.requestId, 'aaaabbbbccccdddd');
    assert.equal(applied?.result, 'ok');
    assert.ok(k.tables[4].get('mangle')?.rules.some((r) => r.includes('10.66.0.0/16')));
    assert.ok(!k.tables[4].get('mangle')?.rules.some((r) => r.includes('10.191.0.0/16')));

    // check compares with the same composition; the config file alone differs.
    const c = capture();
    assert.equal(await firewallCommand(['check', ...words], config(), c.out, k), 0, c.stdout());
    const checked = await readFirewallReport(join(status, 'status.json'));
    assert.equal(checked?.kind, 'check');
    assert.equal(checked?.planHash, applied?.planHash);
    assert.equal((await readFirewallReport(join(status, 'apply.json')))?.kind, 'apply', 'a check leaves apply.json');
    const d = capture();
    assert.equal(await firewallCommand(['check', `status=${status}`], config(), d.out, k), 1);
    assert.equal((await readFirewallReport(join(status, 'status.json')))?.result, 'failed');

    // A refused request: the config file alone is loaded, the report says why, exit 1.
    writeFileSync(requestFile, '{"version":1,"id":"0000000000000001","settings":{"datadir":"/etc"}}');
    const e = capture();
    assert.equal(await firewallCommand(['apply', ...words], config(), e.out, k), 1);
    assert.match(e.stderr(), /network request is refused.*not a network setting/);
    const refused = await readFirewallReport(join(status, 'apply.json'));
    assert.equal(refused?.result, 'failed');
    assert.match(refused?.requestRefused ?? '', /not a network setting/);
    assert.equal(refused?.requestId, undefined);
    assert.ok(k.tables[4].get('mangle')?.rules.some((r) => r.includes('10.191.0.0/16')), 'back to the config file');

    // A symlinked request is refused the same way (root never follows the unprivileged side's links).
    rmSync(requestFile);
    symlinkSync('/etc/hostname', requestFile);
    const f = capture();
    assert.equal(await firewallCommand(['apply', ...words], config(), f.out, k), 1);
    assert.match(f.stderr(), /symbolic link/);

    // A request the firewall cannot use (LAN = WAN): nothing loaded, a failed report, exit 2.
    rmSync(requestFile);
    writeFileSync(requestFile, encodeNetworkRequest(networkRequestFor(config(['--gateway.lan.interface=wlan0']), 'aaaabbbbccccdddd')));
    const g = capture();
    assert.equal(await firewallCommand(['apply', ...words], config(), g.out, k), 2);
    const bad = await readFirewallReport(join(status, 'apply.json'));
    assert.equal(bad?.result, 'failed');
    assert.equal(bad?.requestId, 'aaaabbbbccccdddd');
    assert.match(bad?.detail ?? '', /different interfaces/);

    // A status directory that cannot be written: the apply itself happened, the exit code says 1.
    rmSync(requestFile);
    const h = capture();
    assert.equal(await firewallCommand(['apply', `status=${join(dir, 'missing-dir')}`], config(), h.out, k), 1);
    assert.match(h.stderr(), /cannot write the report/);
  });
});

test('firewall command: apply networkd=DIR writes the LAN/WAN networkd files of the settings in effect, reloading networkd only when they changed and it runs', async () => {
  await withDatadir(async (dir) => {
    const net = join(dir, 'network');
    mkdirSync(net);
    const k = new FakeKernel();
    let networkdActive = false;
    k.fail = (line) => {
      if (line === 'systemctl is-active --quiet systemd-networkd.service') return { code: networkdActive ? 0 : 3, stdout: '', stderr: '' };
      if (line === 'networkctl reload') return { code: 0, stdout: '', stderr: '' };
      return undefined;
    };
    const c1 = capture();
    // At boot: networkd is not running yet, the files are written for it to read.
    assert.equal(await firewallCommand(['apply', `networkd=${net}`], config(['--gateway.wan.address=192.0.2.10/24', '--gateway.wan.gateway=192.0.2.1', '--gateway.wan.dns=192.0.2.1,192.0.2.2']), c1.out, k), 0, c1.stderr());
    const lan = readFileSync(join(net, '10-garlicgate-lan.network'), 'utf8');
    assert.match(lan, /^\[Match\]\nName=eth0$/m);
    assert.match(lan, /^Address=192\.168\.42\.1\/24$/m);
    assert.match(lan, /^ConfigureWithoutCarrier=yes$/m);
    const wan = readFileSync(join(net, '20-garlicgate-wan.network'), 'utf8');
    assert.match(wan, /^Name=wlan0$/m);
    assert.match(wan, /^Address=192\.0\.2\.10\/24\nGateway=192\.0\.2\.1\nDNS=192\.0\.2\.1\nDNS=192\.0\.2\.2$/m);
    assert.ok(!k.calls.includes('networkctl reload'));

    // Later, networkd running: a pending LAN address (request) → file changed → reload.
    networkdActive = true;
    const requestFile = join(dir, 'req.json');
    writeFileSync(requestFile, encodeNetworkRequest(networkRequestFor(config(['--gateway.lan.address=10.20.30.1/24']), '00000000000000bb')));
    const c2 = capture();
    assert.equal(await firewallCommand(['apply', `request=${requestFile}`, `networkd=${net}`], config(), c2.out, k), 0, c2.stderr());
    assert.match(readFileSync(join(net, '10-garlicgate-lan.network'), 'utf8'), /^Address=10\.20\.30\.1\/24$/m);
    assert.match(readFileSync(join(net, '20-garlicgate-wan.network'), 'utf8'), /^DHCP=yes$/m);
    assert.equal(k.calls.filter((l) => l === 'networkctl reload').length, 1);
    // Nothing changed: no reload.
    const c3 = capture();
    assert.equal(await firewallCommand(['apply', `request=${requestFile}`, `networkd=${net}`], config(), c3.out, k), 0);
    assert.equal(k.calls.filter((l) => l === 'networkctl reload').length, 1);
    // networkd refuses: the report says so and the exit code is 1.
    rmSync(requestFile);
    k.fail = (line) => (line.startsWith('systemctl') ? { code: 0, stdout: '', stderr: '' } : line === 'networkctl reload' ? { code: 1, stdout: '', stderr: 'Failed to reload network settings: Access denied' } : undefined);
    const status = join(dir, 'st');
    mkdirSync(status);
    const c4 = capture();
    assert.equal(await firewallCommand(['apply', `networkd=${net}`, `status=${status}`], config(), c4.out, k), 1);
    assert.match((await readFirewallReport(join(status, 'apply.json')))?.detail ?? '', /configuring the interfaces failed: networkctl reload failed \(1\): .*Access denied/);
    // networkd= is for apply only.
    assert.equal(await firewallCommand(['check', `networkd=${net}`], config(), capture().out, k), 2);
  });
});
