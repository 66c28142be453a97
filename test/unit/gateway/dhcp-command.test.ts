import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/load.js';
import { dhcpCommand } from '../../../src/gateway/dhcp/command.js';

function runDhcp(argv: string[]): { code: number; stdout: string; stderr: string } {
  const loaded = loadConfig(['--datadir=/var/lib/garlicgate', ...argv], '/nonexistent-home');
  let stdout = '';
  let stderr = '';
  const code = dhcpCommand(loaded.positionals.slice(1), loaded.config, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('dhcp print: the dnsmasq configuration of the options, leases in the datadir or the given file', () => {
  const def = runDhcp(['dhcp', 'print']);
  assert.equal(def.code, 0);
  assert.match(def.stdout, /^interface=eth0$/m);
  assert.match(def.stdout, /^dhcp-leasefile=\/var\/lib\/garlicgate\/dnsmasq\.leases$/m);
  const own = runDhcp(['--gateway.lan.interface=end0', '--gateway.lan.address=10.42.0.1/24', 'dhcp', 'print', '/var/lib/garlicgate-dhcp/dnsmasq.leases']);
  assert.equal(own.code, 0);
  assert.match(own.stdout, /^interface=end0$/m);
  assert.match(own.stdout, /^dhcp-range=10\.42\.0\.50,10\.42\.0\.250,255\.255\.255\.0,12h$/m);
  assert.match(own.stdout, /^dhcp-leasefile=\/var\/lib\/garlicgate-dhcp\/dnsmasq\.leases$/m);
});

test('dhcp enabled: 0 when gateway.dhcp.enabled, 1 when not (the unit is skipped)', () => {
  assert.equal(runDhcp(['dhcp', 'enabled']).code, 0);
  assert.equal(runDhcp(['--gateway.dhcp.enabled=false', 'dhcp', 'enabled']).code, 1);
  const off = runDhcp(['--gateway.dhcp.enabled=false', 'dhcp', 'print']);
  assert.equal(off.code, 0);
  assert.match(off.stderr, /gateway\.dhcp\.enabled is false/);
});

test('dhcp: bad words, extra arguments and unusable lease files exit 2 with a reason', () => {
  for (const argv of [['dhcp'], ['dhcp', 'start'], ['dhcp', 'enabled', 'x'], ['dhcp', 'print', '/a', '/b']]) {
    const r = runDhcp(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /expected "print \[LEASEFILE\]" or "enabled"/);
  }
  for (const bad of ['relative/leases', '/var/lib/x\ndhcp-script=/bin/sh', '/var/lib/a b']) {
    const r = runDhcp(['dhcp', 'print', bad]);
    assert.equal(r.code, 2, JSON.stringify(bad));
    assert.match(r.stderr, /lease file/);
    assert.equal(r.stdout, '');
  }
  const range = runDhcp(['--gateway.dhcp.range=192.168.42.1-192.168.42.9', 'dhcp', 'print']);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /contains the box's own address/);
});
