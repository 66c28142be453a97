/**
 * End to end, as root: a LAN client in one network namespace, the gateway box in another, a veth
 * between them. The proxy's transparent socket and the DNS sockets are created and passed the
 * systemd way by test/helpers/socket-activate.py. The client resolves names through our DNS server
 * with an ordinary stub resolver and connects with plain TCP to the addresses it got; the proxy must
 * recover name and port. Twice: with only the TPROXY rule and its policy route (what the proxy
 * itself needs), and with the appliance's own generated fail-closed firewall (src/gateway/firewall),
 * whose DNS REDIRECT makes any address's port 53 ours.
 *
 * The stream backend is LocalTcpTestBackend (a local HTTP server in the box): what is tested here is
 * the LAN side, not I2P.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { base32Encode } from '../../src/data/base32.js';
import { defaultGatewayConfig } from '../../src/config/gateway-options.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { TEST_PAGE } from '../helpers/gateway-test-main.js';
import { Lab, run } from './lab.js';
import { applyFirewall } from '../../src/gateway/firewall/apply.js';
import { systemRunner } from '../../src/gateway/firewall/command-runner.js';
import { validateFirewallConfig } from '../../src/gateway/firewall/firewall-config.js';
import { generateFirewall } from '../../src/gateway/firewall/ruleset.js';

const LAN_NS = 'ggh-tp-lan';
const GW_NS = 'ggh-tp-gw';
const LAN_IF = 'ggh-tp-l0';
const GW_IF = 'ggh-tp-g0';
const GW_ADDR = '192.168.77.1';
const CLIENT_ADDR = '192.168.77.2';
const VIRTUAL_RANGE = '10.191.0.0/16';
const PROXY_PORT = 7040;
const DNS_PORT = 7053;

function buildNetwork(lab: Lab): void {
  lab.namespace(LAN_NS);
  lab.namespace(GW_NS);
  lab.link({ ns: LAN_NS, ifname: LAN_IF, address: `${CLIENT_ADDR}/24` }, { ns: GW_NS, ifname: GW_IF, address: `${GW_ADDR}/24` });
  run('ip', ['-n', LAN_NS, 'route', 'add', 'default', 'via', GW_ADDR]);
}

/** Only what the proxy needs: the TPROXY rule and its policy route. */
function tproxyOnly(lab: Lab): void {
  // TPROXY marks the packet; the mark selects a table where every address is local, so the packet
  // is delivered to our transparent socket instead of being forwarded.
  run('ip', ['-n', GW_NS, 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100']);
  run('ip', ['-n', GW_NS, 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100']);
  lab.exec(GW_NS, 'iptables-restore', [], ['*mangle', `-A PREROUTING -i ${GW_IF} -d ${VIRTUAL_RANGE} -p tcp -j TPROXY --on-port ${PROXY_PORT} --tproxy-mark 0x1/0x1`, 'COMMIT', ''].join('\n'));
}

/** The appliance's own fail-closed ruleset (src/gateway/firewall), applied inside the gateway namespace. */
async function realFirewall(): Promise<void> {
  const plan = generateFirewall(
    validateFirewallConfig({
      lan: { interface: GW_IF, address: GW_ADDR, bits: 24 },
      wan: { interface: 'ggh-tp-w0' },
      virtualRange: { address: '10.191.0.0', bits: 16 },
      mode: 'i2p',
      dnsPort: DNS_PORT,
      proxyPort: PROXY_PORT,
      dhcp: false,
      adminPort: undefined,
      transport: { tcp: [24680], udp: [] },
    }),
  );
  await applyFirewall(plan, { run: (command, args, input) => systemRunner.run('ip', ['netns', 'exec', GW_NS, command, ...args], input) });
}

/**
 * Runs a Node script in the LAN namespace; it prints one JSON line. Asynchronous: the gateway
 * process's events must be read while the client runs.
 */
async function inLan(script: string): Promise<Record<string, unknown>> {
  const child = spawn('ip', ['netns', 'exec', LAN_NS, process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`LAN client failed (${code}): ${err}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const CLIENT = `
import { Resolver } from 'node:dns/promises';
import * as http from 'node:http';
import * as net from 'node:net';
const r = new Resolver({ timeout: 2000, tries: 2 });
r.setServers([DNS_SERVER]);
const get = (host, port, name) => new Promise((resolve, reject) => {
  http.get({ host, port, path: '/', headers: { host: name }, agent: false }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => resolve({ status: res.statusCode, body, seenHost: res.headers['x-seen-host'] }));
  }).on('error', reject);
});
const outcome = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: e.code ?? e.message }));
const tcpOutcome = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port });
  s.on('error', (e) => resolve(e.code));
  s.on('close', () => resolve('closed'));
  s.setTimeout(5000, () => { s.destroy(); resolve('timeout'); });
});
const [site] = await r.resolve4('site.i2p');
const [b32] = await r.resolve4(NAMES.b32);
const out = {
  site,
  b32,
  page: await get(site, 80, 'site.i2p'),
  pageB32: await get(b32, 8080, NAMES.b32),
  unknown: await outcome(r.resolve4('unknown.i2p')),
  clearnet: await outcome(r.resolve4('example.com')),
  canary: await outcome(r.resolve4('use-application-dns.net')),
  aaaa: await outcome(r.resolve6('site.i2p')),
  ptr: await outcome(r.reverse(site)),
  unmapped: await tcpOutcome('10.191.250.250', 80),
};
console.log(JSON.stringify(out));
`;

/**
 * Builds the namespaces, applies `firewall`, starts the gateway with sockets passed the systemd way,
 * runs the LAN client against `dnsServer`, and checks what it saw and what the proxy asked for.
 */
async function scenario(firewall: (lab: Lab) => void | Promise<void>, dnsServer: string): Promise<void> {
  assert.equal(process.getuid?.(), 0, 'e2e tests run as root (network namespaces, iptables): use `sudo npm test`');
  const b32 = `${base32Encode(randomBytes(32))}.b32.i2p`;
  const lab = new Lab();
  let gw: GatewayProcess | undefined;
  try {
    buildNetwork(lab);
    await firewall(lab);
    gw = await startGatewayProcess({
      prefix: ['ip', 'netns', 'exec', GW_NS],
      listen: [`proxy=tcp:0.0.0.0:${PROXY_PORT}:transparent`, `dns-udp=udp:${GW_ADDR}:${DNS_PORT}`, `dns-tcp=tcp:${GW_ADDR}:${DNS_PORT}`],
      config: { ...defaultGatewayConfig(), 'gateway.virtualrange': VIRTUAL_RANGE },
      knownNames: ['site.i2p'],
    });
    const out = await inLan(CLIENT.replaceAll('NAMES.b32', JSON.stringify(b32)).replace('DNS_SERVER', JSON.stringify(dnsServer)));

    assert.match(String(out.site), /^10\.191\.\d+\.\d+$/);
    assert.match(String(out.b32), /^10\.191\.\d+\.\d+$/);
    assert.deepEqual(out.page, { status: 200, body: TEST_PAGE, seenHost: 'site.i2p' });
    assert.deepEqual(out.pageB32, { status: 200, body: TEST_PAGE, seenHost: b32 });
    // The proxy recovered name AND port from the TPROXYed connections.
    const connects = gw.events.filter((e) => e.event === 'connect').map((e) => ({ target: e.target, port: e.port }));
    assert.deepEqual(connects, [
      { target: 'site.i2p', port: 80 },
      { target: b32, port: 8080 },
    ]);
    assert.deepEqual(out.unknown, { err: 'ENOTFOUND' });
    assert.deepEqual(out.clearnet, { err: 'ENOTFOUND' }, 'I2P-only mode: no clearnet names');
    assert.deepEqual(out.canary, { err: 'ENOTFOUND' });
    assert.deepEqual(out.aaaa, { err: 'ENODATA' });
    assert.deepEqual(out.ptr, { ok: ['site.i2p'] });
    assert.equal(out.unmapped, 'ECONNRESET', 'a virtual address no name maps to is reset at once');

    const stats = (await gw.stop()) as { stats: { proxy: { connected: number; rejected: Record<string, number> } } } | undefined;
    gw = undefined;
    assert.ok(stats, 'the gateway stopped cleanly');
    assert.equal(stats.stats.proxy.connected, 2);
    assert.equal(stats.stats.proxy.rejected['unknown-address'], 1);
  } finally {
    if (gw) await gw.stop();
    await lab.cleanup();
  }
}

test('a LAN client resolves an .i2p name through our DNS and reaches it with plain TCP through TPROXY', { timeout: 90_000 }, async () => {
  await scenario(tproxyOnly, `${GW_ADDR}:${DNS_PORT}`);
});

test('the same behind the appliance firewall: DNS to port 53 of any address is ours, TPROXY and policy routing are the generated ones', { timeout: 90_000 }, async () => {
  // 9.9.9.9:53 — the firewall REDIRECTs LAN DNS to any address to our server; nothing leaves.
  await scenario(() => realFirewall(), '9.9.9.9:53');
});
