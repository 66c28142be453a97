import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as http from 'node:http';
import { Resolver } from 'node:dns/promises';
import * as dnsPacket from 'dns-packet';
import { frameDnsMessage } from '../../../src/gateway/dns-tcp-framer.js';
import type { AddressInfo } from 'node:net';
import { defaultGatewayConfig } from '../../../src/config/gateway-options.js';
import { ConfigError } from '../../../src/config/option-spec.js';
import { Gateway, type GatewaySettings } from '../../../src/gateway/gateway.js';
import { silentLogger } from '../../../src/util/log.js';
import { LocalTcpTestBackend } from '../../helpers/local-tcp-test-backend.js';
import { startGatewayProcess } from '../../helpers/gateway-process.js';
import { listenerPortProblem } from '../../../src/gateway/service.js';
import { TEST_PAGE } from '../../helpers/gateway-test-main.js';

/** Loopback stands in for the LAN: every 127.78.x.y is local, so the range is reachable untransparently. */
function settings(over: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    ...defaultGatewayConfig(),
    'gateway.virtualrange': '127.78.0.0/16',
    'gateway.dns.address': '127.0.0.1',
    'gateway.dns.port': 0,
    'gateway.proxy.port': 0,
    ...over,
  };
}

function get(host: string, port: number, hostHeader: string): Promise<{ body: string; seenHost: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', headers: { host: hostHeader }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ body, seenHost: String(res.headers['x-seen-host']) }));
      })
      .on('error', reject);
  });
}

test('Gateway: a name resolved by its DNS server is reachable through its proxy', async () => {
  const web = http.createServer((req, res) => res.end(`page for ${req.headers.host}`));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const backend = new LocalTcpTestBackend(() => ({ host: '127.0.0.1', port: (web.address() as AddressInfo).port }));
  backend.knownNames.add('site.i2p');
  const gw = new Gateway({ config: settings(), backend, log: silentLogger(), activated: [], proxyHost: '0.0.0.0' });
  await gw.start();
  try {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${gw.dns.addresses().udp!.port}`]);
    const [addr] = await r.resolve4('site.i2p');
    assert.match(addr!, /^127\.78\./);
    const page = await get(addr!, gw.proxy.address()!.port, 'site.i2p');
    assert.equal(page.body, 'page for site.i2p');
    // Both the DNS query and the proxied connection came from 127.0.0.1: one LAN client.
    assert.deepEqual(gw.lanClients.list(Date.now()).map((c) => c.address), ['127.0.0.1']);
    assert.deepEqual(backend.connects, [{ target: 'site.i2p', port: gw.proxy.address()!.port }]);
    const s = gw.stats();
    assert.equal(s.virtualAddresses, 1);
    assert.equal(s.dns.answers, 1);
    assert.equal(s.names.known, 1);
    assert.equal(s.proxy.connected, 1);
  } finally {
    await gw.stop();
    web.close();
  }
});

test('Gateway: outproxy mode without an outproxy is a configuration error', () => {
  const backend = new LocalTcpTestBackend(() => undefined);
  assert.throws(() => new Gateway({ config: settings({ 'gateway.mode': 'outproxy' }), backend, log: silentLogger(), activated: [] }), ConfigError);
});

test('Gateway: a port already taken makes start fail and leaves nothing listening', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  const gw = new Gateway({ config: settings({ 'gateway.proxy.port': port }), backend: new LocalTcpTestBackend(() => undefined), log: silentLogger(), activated: [], proxyHost: '127.0.0.1' });
  try {
    await assert.rejects(gw.start(), { code: 'EADDRINUSE' });
    assert.equal(gw.dns.addresses().udp, undefined, 'the DNS server was stopped again');
  } finally {
    blocker.close();
  }
});

test('Gateway: adopts sockets passed the systemd way (LISTEN_FDS, names proxy / dns-udp / dns-tcp)', async () => {
  const gw = await startGatewayProcess({
    listen: ['proxy=tcp:0.0.0.0:0', 'dns-udp=udp:127.0.0.1:0', 'dns-tcp=tcp:127.0.0.1:0'],
    // The configured ports are taken by nothing and must not be used: the passed sockets win.
    config: settings({ 'gateway.dns.port': 1, 'gateway.proxy.port': 1 }),
    knownNames: ['site.i2p'],
  });
  try {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${gw.bound['dns-udp']!.port}`]);
    const [addr] = await r.resolve4('site.i2p');
    const proxyPort = gw.bound.proxy!.port;
    const page = await get(addr!, proxyPort, 'site.i2p');
    assert.equal(page.body, TEST_PAGE);
    // DNS over the passed TCP socket.
    const tcp = net.connect(gw.bound['dns-tcp']!.port, '127.0.0.1');
    tcp.end(frameDnsMessage(dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'site.i2p' }] })));
    const chunks: Buffer[] = [];
    for await (const c of tcp) chunks.push(c as Buffer);
    const answer = dnsPacket.decode(Buffer.concat(chunks).subarray(2));
    assert.equal((answer.answers![0] as dnsPacket.StringAnswer).data, addr);
    assert.equal(((gw.ready.dns as { tcp: AddressInfo }).tcp).port, gw.bound['dns-tcp']!.port);
    assert.equal(((gw.ready.proxy as AddressInfo)).port, proxyPort);
    assert.deepEqual(gw.events.filter((e) => e.event === 'connect').map((e) => [e.target, e.port]), [['site.i2p', proxyPort]]);
  } finally {
    const stats = await gw.stop();
    assert.ok(stats, 'the process stopped cleanly and reported its counters');
  }
});

test('a listener passed by a socket unit on another port than the config says is reported, with the fix', () => {
  assert.equal(listenerPortProblem('transparent proxy', 7040, 7040, 'gateway.proxy.port', 'garlicgate-proxy.socket'), undefined);
  assert.equal(listenerPortProblem('transparent proxy', undefined, 7040, 'gateway.proxy.port', 'garlicgate-proxy.socket'), undefined);
  assert.equal(listenerPortProblem('DNS server', 40000, 0, 'gateway.dns.port', 'garlicgate-dns-udp.socket'), undefined, 'port 0: any');
  assert.equal(
    listenerPortProblem('transparent proxy', 7040, 7041, 'gateway.proxy.port', 'garlicgate-proxy.socket'),
    'the transparent proxy listens on port 7040 (passed by garlicgate-proxy.socket) but the firewall sends the LAN to gateway.proxy.port = 7041: set the same port in both',
  );
});
