/**
 * End to end, as root: a LAN client in one network namespace, the gateway box in another, a veth
 * between them. Inside the box only: a TPROXY rule sends LAN TCP for the virtual range to the
 * proxy's transparent socket (created and passed the systemd way by test/helpers/socket-activate.py),
 * with the policy route that makes TPROXYed packets local. The client resolves a name through our
 * DNS server with an ordinary stub resolver and connects with plain TCP to the address it got; the
 * proxy must recover the name and the port. The stream backend is LocalTcpTestBackend (a local
 * HTTP server in the box): what is tested here is the LAN side, not I2P.
 *
 * The full firewall (fail-closed filter rules) is another module's; only the TPROXY lines are here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { base32Encode } from '../../src/data/base32.js';
import { defaultGatewayConfig } from '../../src/config/gateway-options.js';
import { deleteNetns } from '../interop/netns.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { TEST_PAGE } from '../helpers/gateway-test-main.js';

const LAN_NS = 'ggh-tp-lan';
const GW_NS = 'ggh-tp-gw';
const LAN_IF = 'ggh-tp-l0';
const GW_IF = 'ggh-tp-g0';
const GW_ADDR = '192.168.77.1';
const CLIENT_ADDR = '192.168.77.2';
const VIRTUAL_RANGE = '10.191.0.0/16';
const PROXY_PORT = 7040;
const DNS_PORT = 7053;

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function ipIn(ns: string, args: string[]): void {
  sh('ip', ['-n', ns, ...args]);
}

function buildNetwork(): void {
  for (const ns of [LAN_NS, GW_NS]) {
    deleteNetns(ns);
    sh('ip', ['netns', 'add', ns]);
    ipIn(ns, ['link', 'set', 'lo', 'up']);
  }
  // Both ends are created directly inside the namespaces: nothing touches the host's links.
  sh('ip', ['link', 'add', 'name', LAN_IF, 'netns', LAN_NS, 'type', 'veth', 'peer', 'name', GW_IF, 'netns', GW_NS]);
  ipIn(LAN_NS, ['addr', 'add', `${CLIENT_ADDR}/24`, 'dev', LAN_IF]);
  ipIn(LAN_NS, ['link', 'set', LAN_IF, 'up']);
  ipIn(LAN_NS, ['route', 'add', 'default', 'via', GW_ADDR]);
  ipIn(GW_NS, ['addr', 'add', `${GW_ADDR}/24`, 'dev', GW_IF]);
  ipIn(GW_NS, ['link', 'set', GW_IF, 'up']);
  // TPROXY marks the packet; the mark selects a table where every address is local, so the packet
  // is delivered to our transparent socket instead of being forwarded.
  ipIn(GW_NS, ['rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100']);
  ipIn(GW_NS, ['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100']);
  sh('ip', ['netns', 'exec', GW_NS, 'iptables-restore'], ['*mangle', `-A PREROUTING -i ${GW_IF} -d ${VIRTUAL_RANGE} -p tcp -j TPROXY --on-port ${PROXY_PORT} --tproxy-mark 0x1/0x1`, 'COMMIT', ''].join('\n'));
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
r.setServers(['${GW_ADDR}:${DNS_PORT}']);
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

test('a LAN client resolves an .i2p name through our DNS and reaches it with plain TCP through TPROXY', { timeout: 90_000 }, async () => {
  assert.equal(process.getuid?.(), 0, 'e2e tests run as root (network namespaces, iptables): use `sudo npm test`');
  const b32 = `${base32Encode(randomBytes(32))}.b32.i2p`;
  let gw: GatewayProcess | undefined;
  try {
    buildNetwork();
    gw = await startGatewayProcess({
      prefix: ['ip', 'netns', 'exec', GW_NS],
      listen: [`proxy=tcp:0.0.0.0:${PROXY_PORT}:transparent`, `dns-udp=udp:${GW_ADDR}:${DNS_PORT}`, `dns-tcp=tcp:${GW_ADDR}:${DNS_PORT}`],
      config: { ...defaultGatewayConfig(), 'gateway.virtualrange': VIRTUAL_RANGE },
      knownNames: ['site.i2p'],
    });
    const out = await inLan(CLIENT.replaceAll('NAMES.b32', JSON.stringify(b32)));

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
    deleteNetns(LAN_NS);
    deleteNetns(GW_NS);
  }
});
