import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/load.js';
import { dhcpCommand } from '../../../src/gateway/dhcp/command.js';
import { encodeNetworkRequest, networkRequestFor } from '../../../src/gateway/firewall/network-request.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function runDhcp(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const loaded = loadConfig(['--datadir=/var/lib/garlicgate', ...argv], '/nonexistent-home');
  let stdout = '';
  let stderr = '';
  const code = await dhcpCommand(loaded.positionals.slice(1), loaded.config, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('dhcp print: the dnsmasq configuration of the options, leases in the datadir or the given file', async () => {
  const def = await runDhcp(['dhcp', 'print']);
  assert.equal(def.code, 0);
  assert.match(def.stdout, /^interface=eth0$/m);
  assert.match(def.stdout, /^dhcp-leasefile=\/var\/lib\/garlicgate\/dnsmasq\.leases$/m);
  const own = await runDhcp(['--gateway.lan.interface=end0', '--gateway.lan.address=10.42.0.1/24', 'dhcp', 'print', '/var/lib/garlicgate-dhcp/dnsmasq.leases']);
  assert.equal(own.code, 0);
  assert.match(own.stdout, /^interface=end0$/m);
  assert.match(own.stdout, /^dhcp-range=10\.42\.0\.50,10\.42\.0\.250,255\.255\.255\.0,12h$/m);
  assert.match(own.stdout, /^dhcp-leasefile=\/var\/lib\/garlicgate-dhcp\/dnsmasq\.leases$/m);
});

test('dhcp enabled: 0 when gateway.dhcp.enabled, 1 when not (the unit is skipped)', async () => {
  assert.equal((await runDhcp(['dhcp', 'enabled'])).code, 0);
  assert.equal((await runDhcp(['--gateway.dhcp.enabled=false', 'dhcp', 'enabled'])).code, 1);
  const off = await runDhcp(['--gateway.dhcp.enabled=false', 'dhcp', 'print']);
  assert.equal(off.code, 0);
  assert.match(off.stderr, /gateway\.dhcp\.enabled is false/);
});

test('dhcp: bad words, extra arguments and unusable lease files exit 2 with a reason', async () => {
  for (const argv of [['dhcp'], ['dhcp', 'start'], ['dhcp', 'enabled', 'x'], ['dhcp', 'print', '/a', '/b']]) {
    const r = await runDhcp(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /expected "print \[LEASEFILE\] \[request=\/absolute\/file\]" or "enabled"/);
  }
  for (const bad of ['relative/leases', '/var/lib/x\ndhcp-script=/bin/sh', '/var/lib/a b']) {
    const r = await runDhcp(['dhcp', 'print', bad]);
    assert.equal(r.code, 2, JSON.stringify(bad));
    assert.match(r.stderr, /lease file/);
    assert.equal(r.stdout, '');
  }
  const range = await runDhcp(['--gateway.dhcp.range=192.168.42.1-192.168.42.9', 'dhcp', 'print']);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /contains the box's own address/);
});

test('dhcp print with request=: the pending LAN address of the admin UI; a bad request is ignored with a note', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ggh-dhcp-'));
  try {
    const requestFile = join(dir, 'network-request.json');
    const none = await runDhcp(['dhcp', 'print', `request=${requestFile}`]);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /^dhcp-range=192\.168\.42\.50,/m);
    const pending = loadConfig(['--gateway.lan.address=10.20.30.1/24'], '/h').config;
    writeFileSync(requestFile, encodeNetworkRequest(networkRequestFor(pending, '00000000000000aa')));
    const own = await runDhcp(['dhcp', 'print', '/leases', `request=${requestFile}`]);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^dhcp-range=10\.20\.30\.50,10\.20\.30\.250,/m);
    assert.match(own.stdout, /^dhcp-leasefile=\/leases$/m);
    writeFileSync(requestFile, 'garbage');
    const bad = await runDhcp(['dhcp', 'print', `request=${requestFile}`]);
    assert.equal(bad.code, 0);
    assert.match(bad.stderr, /network request is refused/);
    assert.match(bad.stdout, /^dhcp-range=192\.168\.42\.50,/m);
    assert.equal((await runDhcp(['dhcp', 'print', 'request=relative'])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
