/**
 * DHCP for the LAN (issue 5, item 6), end to end: dnsmasq with the configuration we generate serves
 * a client in another namespace, which is told to use the box as router and DNS server. Runs as
 * root; namespaces ggh-dhcp-gw and ggh-dhcp-lan with a veth between them.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGatewayConfig } from '../../src/config/gateway-options.js';
import { dnsmasqConfig } from '../../src/gateway/dhcp/dnsmasq-config.js';
import { Lab } from './lab.js';

const lab = new Lab();
after(() => lab.cleanup());

test('a LAN client gets an address from the pool and the box as router and DNS server; dnsmasq serves no DNS', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-e2e-dhcp-'));
  const gw = lab.namespace('ggh-dhcp-gw');
  const lan = lab.namespace('ggh-dhcp-lan');
  lab.link({ ns: gw, ifname: 'gg-lan0', address: '192.168.42.1/24' }, { ns: lan, ifname: 'gg-eth0' });
  const conf = join(dir, 'dnsmasq.conf');
  writeFileSync(conf, dnsmasqConfig({ ...defaultGatewayConfig(), 'gateway.lan.interface': 'gg-lan0', 'gateway.dhcp.range': '192.168.42.100-192.168.42.110' }, { leaseFile: join(dir, 'leases') }));
  // --user=root only here (no dnsmasq user without the dnsmasq package); -k: stay in the foreground.
  const dnsmasq = lab.spawn(gw, 'dnsmasq', ['-k', `--conf-file=${conf}`, '--user=root', `--pid-file=${join(dir, 'pid')}`, '--log-facility=-']);
  let log = '';
  dnsmasq.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  dnsmasq.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(dnsmasq.exitCode, null, `dnsmasq runs (${log})`);

  // udhcpc runs the script with the lease in its environment; the script writes it down.
  const script = join(dir, 'lease.sh');
  const out = join(dir, 'lease.env');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
  chmodSync(script, 0o755);
  lab.exec(lan, 'busybox', ['udhcpc', '-i', 'gg-eth0', '-n', '-q', '-f', '-t', '5', '-T', '1', '-s', script]);
  assert.ok(existsSync(out), `a lease was bound (dnsmasq: ${log})`);
  const env = Object.fromEntries(readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const last = Number(env.ip!.split('.')[3]);
  assert.ok(env.ip!.startsWith('192.168.42.') && last >= 100 && last <= 110, `address from the pool: ${env.ip}`);
  assert.equal(env.router, '192.168.42.1', 'the box is the router');
  assert.equal(env.dns, '192.168.42.1', 'the box is the DNS server');
  assert.equal(env.subnet, '255.255.255.0');
  assert.ok(readFileSync(join(dir, 'leases'), 'utf8').includes(` ${env.ip} `), 'dnsmasq recorded the lease in our lease file');
  assert.match(log, /DNS disabled/, 'dnsmasq serves no DNS');
});
