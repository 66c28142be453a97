import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/options.js';

const home = '/nonexistent-home';

test('gateway defaults: off, 10.191.0.0/16, I2P-only, SAM backend', () => {
  const { config } = loadConfig([], home);
  assert.equal(config['gateway.enabled'], false);
  assert.equal(config['gateway.virtualrange'], '10.191.0.0/16');
  assert.equal(config['gateway.mode'], 'i2p');
  assert.equal(config['gateway.backend'], 'sam');
  assert.equal(config['gateway.dns.port'], 7053);
});

test('gateway options parse', () => {
  const { config } = loadConfig(
    ['--gateway.enabled', '--gateway.lan.interface=veth-lan', '--gateway.lan.address=10.42.0.1/24', '--gateway.virtualrange=10.200.0.0/20',
      '--gateway.mode=outproxy', '--gateway.outproxy=Exit.Example.i2p:80', '--gateway.dhcp.range=10.42.0.10-10.42.0.20'],
    home,
  );
  assert.equal(config['gateway.enabled'], true);
  assert.equal(config['gateway.lan.interface'], 'veth-lan');
  assert.equal(config['gateway.lan.address'], '10.42.0.1/24');
  assert.equal(config['gateway.virtualrange'], '10.200.0.0/20');
  assert.equal(config['gateway.outproxy'], 'exit.example.i2p:80');
  assert.equal(config['gateway.dhcp.range'], '10.42.0.10-10.42.0.20');
});

test('bad gateway settings are refused with a reason', () => {
  const bad: [string, RegExp][] = [
    ['--gateway.lan.interface=eth0;rm', /network interface name/],
    ['--gateway.lan.address=192.168.1.0/24', /network or broadcast/],
    ['--gateway.lan.address=192.168.1.1', /prefix length/],
    ['--gateway.virtualrange=10.191.0.1/16', /host bits set.*10\.191\.0\.0\/16/],
    ['--gateway.virtualrange=10.0.0.0/28', /\/8–\/24/],
    ['--gateway.mode=tor', /i2p or outproxy/],
    ['--gateway.outproxy=example.com:80', /name\.i2p:port/],
    ['--gateway.dns.port=70000', /port/],
    ['--gateway.dns.ttl=0', /seconds/],
    ['--gateway.backend=router', /not available yet/],
    ['--gateway.dhcp.range=10.0.0.9-10.0.0.1', /first ≤ last/],
    ['--gateway.services.inbound.length=9', /0–7 hops/],
  ];
  for (const [arg, reason] of bad) {
    assert.throws(() => loadConfig([arg], home), (e: unknown) => e instanceof ConfigError && reason.test(e.message), arg);
  }
});
