/**
 * The LAN gateway end to end (issue 5, item 5): a LAN client with no proxy settings, its DNS pointed
 * at the box as DHCP would, fetches `http://<name>.i2p/` with plain curl; the page is served by an
 * HTTP server behind an i2pd server tunnel in a private i2pd network. Then leak tests from the LAN
 * with the daemon running, killed (-9) and restarting, each with a capture on the WAN link that must
 * show no packet from the LAN.
 *
 * Where things run: this namespace (gg-interop in CI) is the box — the i2pd network on `lo` (SAM on
 * a non-floodfill i2pd, the server tunnels on another, test/interop/sam-testnet.ts), our fail-closed
 * firewall (`garlicgate firewall apply`), and the `garlicgate` daemon with gateway.enabled, its
 * transparent proxy and DNS sockets passed the systemd way (test/helpers/socket-activate.py).
 * Namespaces ggh-gwe-lan (the client) and ggh-gwe-wan (a host "on the internet") hang off it by veth.
 * The firewall rules are removed again at the end: later interop tests share this namespace.
 * Address plan: i2pd 198.18.0.91–95 (ports 21900+, webconsoles 17900+, SAM 17950+).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../e2e/lab.js';
import type { Probe, ProbeResult } from '../e2e/netns-probe.js';
import { NAMED_HOST, patternBytes, SamTestNet } from './sam-testnet.js';
import { waitFor } from './testnet.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = resolve(here, '../../src/cli.js');
const PROBE = resolve(here, '../e2e/netns-probe.js');
const LAUNCHER = resolve(here, '../../../test/helpers/socket-activate.py');
const PYTHON = '/usr/bin/python3';

const LAN = 'ggh-gwe-lan';
const WAN = 'ggh-gwe-wan';
const IF = { gwLan: 'gge-lan0', lan: 'gge-eth0', gwWan: 'gge-wan0', wan: 'gge-weth0' };
const ADDR = { gwLan: '192.168.77.1', lan: '192.168.77.10', gwWan: '10.77.0.1', wan: '10.77.0.2', gwLan6: 'fd77::1', lan6: 'fd77::10', wan6: 'fd78::2' };
const FROM_LAN = 'src net 192.168.77.0/24 or src net fd77::/64';
const PAGE = 64 * 1024;

const lab = new Lab();
let tn: SamTestNet;
let work: string;
let daemon: ChildProcess | undefined;
let daemonLog = '';
let firewallApplied = false;

function gatewayOptions(): string[] {
  return [
    `--datadir=${join(work, 'datadir')}`,
    '--netid=99',
    '--gateway.enabled',
    `--gateway.lan.interface=${IF.gwLan}`,
    `--gateway.lan.address=${ADDR.gwLan}/24`,
    `--gateway.wan.interface=${IF.gwWan}`,
    `--gateway.sam.port=${tn.samPort}`,
    '--gateway.dhcp.enabled=false',
    // The router's own transports are not what this test is about; the WAN gets its port anyway.
    '--ntcp2.enabled=false',
    '--port=19590',
    '--http.enabled=false',
    '--reseed.urls=',
  ];
}

function cli(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The daemon, with its listeners created by the launcher as systemd's socket units would. */
async function startDaemon(): Promise<void> {
  daemonLog = '';
  const child = spawn(
    PYTHON,
    [LAUNCHER, '--listen', 'proxy=tcp:0.0.0.0:7040:transparent', '--listen', 'dns-udp=udp:0.0.0.0:7053', '--listen', 'dns-tcp=tcp:0.0.0.0:7053', '--', process.execPath, CLI, ...gatewayOptions(), '--loglevel=info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (daemonLog += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (daemonLog += d.toString()));
  daemon = child;
  await waitFor(() => daemonLog.includes('LAN gateway started') || child.exitCode !== null, 30_000, 'the daemon to start its LAN gateway');
  assert.equal(child.exitCode, null, `the daemon runs: ${daemonLog.slice(-2000)}`);
}

async function killDaemon(): Promise<void> {
  const child = daemon;
  daemon = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL'); // the launcher exec'd node: this pid is the daemon itself
  await exited;
}

/**
 * curl in the LAN namespace: its resolver reads /etc/netns/<LAN>/resolv.conf (the box), no proxy.
 * Asynchronous: the page is served by this process (sam-testnet's HTTP server), whose event loop
 * must keep running while curl waits.
 */
function curl(url: string, timeoutS = 60): Promise<{ code: number; body: Buffer; err: string }> {
  return new Promise((resolveCurl) => {
    const child = spawn('ip', ['netns', 'exec', LAN, 'curl', '-sS', '--noproxy', '*', '-m', String(timeoutS), '-o', '-', url], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('close', (code) => resolveCurl({ code: code ?? -1, body: Buffer.concat(out), err }));
  });
}

/** curl until the page comes (the server's LeaseSet and the SAM session take a while); returns tries. */
async function fetchPage(host: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const errors: string[] = [];
  for (let tries = 1; ; tries++) {
    const r = await curl(`http://${host}/bytes/${PAGE}`);
    if (r.code === 0 && r.body.equals(patternBytes(PAGE))) return tries;
    errors.push(`curl ${r.code}: ${r.err.trim()} (${r.body.length} bytes)`);
    if (Date.now() > deadline) assert.fail(`no page from ${host} after ${tries} tries: ${errors.slice(-4).join(' | ')}\ndaemon: ${daemonLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

function probe(list: Probe[]): ProbeResult[] {
  const r = spawnSync('ip', ['netns', 'exec', LAN, process.execPath, PROBE, 'probe', JSON.stringify(list)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ProbeResult[];
}

async function startInNs(ns: string, argv: string[], stream: 'stdout' | 'stderr', ready: string): Promise<ChildProcess> {
  const child = lab.spawn(ns, argv[0]!, argv.slice(1));
  let text = '';
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} in ${ns} not ready: ${text}`)), 10_000);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes(ready)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => reject(new Error(`${argv[0]} in ${ns} exited (${code}): ${text}`)));
  });
  return child;
}

/**
 * Every way out a LAN client might try — TCP, DoT, UDP, DNS to an outside resolver, IPv6, ICMP —
 * with a capture on the WAN host's link; returns the probe outcomes and the packets from the LAN.
 */
async function leakCheck(name: string): Promise<{ results: ProbeResult[]; fromLan: number; total: number; ping: number }> {
  const file = join(work, `${name}.pcap`);
  const dump = await startInNs(WAN, ['tcpdump', '-i', IF.wan, '-n', '--immediate-mode', '-U', '-Z', 'root', '-w', file], 'stderr', 'listening on');
  const tcp = (host: string, port: number): Probe => ({ kind: 'tcp', host, port, timeoutMs: 1500 });
  const udp = (host: string, port: number): Probe => ({ kind: 'udp', host, port, timeoutMs: 1000 });
  const results = probe([tcp(ADDR.wan, 80), tcp(ADDR.wan, 443), tcp(ADDR.wan, 853), udp(ADDR.wan, 53), tcp(ADDR.wan, 53), udp(ADDR.wan, 9999), tcp(ADDR.wan6, 80), udp(ADDR.wan6, 53)]);
  const ping = spawnSync('ip', ['netns', 'exec', LAN, 'ping', '-c', '1', '-W', '1', ADDR.wan]).status ?? -1;
  // The capture works: the box itself may talk to the WAN host.
  spawnSync('ping', ['-c', '1', '-W', '1', ADDR.wan], );
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise((r) => dump.once('exit', r));
  dump.kill('SIGINT');
  await exited;
  const count = (filter: string): number => {
    const r = spawnSync('tcpdump', ['-r', file, '-n', filter], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  };
  return { results, fromLan: count(FROM_LAN), total: count(`src host ${ADDR.gwWan}`), ping };
}

function assertNoLeak(state: string, r: Awaited<ReturnType<typeof leakCheck>>): void {
  assert.ok(r.total >= 1, `${state}: the capture saw the box's own ping (it works): ${JSON.stringify(r)}`);
  assert.equal(r.fromLan, 0, `${state}: packets from the LAN reached the WAN link`);
  assert.notEqual(r.ping, 0, `${state}: a ping from the LAN got an answer`);
  for (const p of r.results) {
    // DNS to any address on port 53 is redirected to the box's DNS server: an answer from it is ours.
    if (p.port === 53 && p.host === ADDR.wan) continue;
    assert.ok(p.outcome !== 'connected' && p.outcome !== 'answered', `${state}: ${p.kind} ${p.host}:${p.port} reached the WAN (${p.outcome})`);
  }
}

/** Our firewall out of this namespace again (policies ACCEPT, our policy routing gone). */
function removeFirewall(): void {
  for (const [restore, tables] of [
    ['iptables-restore', ['filter', 'nat', 'mangle']],
    ['ip6tables-restore', ['filter']],
  ] as const) {
    const doc = tables.map((t) => `*${t}\n${t === 'filter' ? ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' : t === 'nat' ? ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n' : ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n'}COMMIT\n`).join('');
    spawnSync(restore, [], { input: doc });
  }
  for (const fam of ['-4', '-6']) {
    for (const prio of ['9100', '9101']) while (spawnSync('ip', [fam, 'rule', 'del', 'priority', prio]).status === 0);
    spawnSync('ip', [fam, 'route', 'flush', 'table', '100']);
  }
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the gateway e2e test needs root');
  work = mkdtempSync(join(tmpdir(), 'gg-gwe2e-'));
  tn = await SamTestNet.create({ firstAddress: 91, basePort: 21900, httpBasePort: 17900, samBasePort: 17950 });
  const lan = lab.namespace(LAN);
  const wan = lab.namespace(WAN);
  lab.link({ ifname: IF.gwLan, address: [`${ADDR.gwLan}/24`, `${ADDR.gwLan6}/64`] }, { ns: lan, ifname: IF.lan, address: [`${ADDR.lan}/24`, `${ADDR.lan6}/64`] });
  lab.link({ ifname: IF.gwWan, address: [`${ADDR.gwWan}/24`, 'fd78::1/64'] }, { ns: wan, ifname: IF.wan, address: [`${ADDR.wan}/24`, `${ADDR.wan6}/64`] });
  // The LAN client as DHCP (our dnsmasq config) would leave it: the box is router and DNS server.
  lab.exec(lan, 'ip', ['route', 'add', 'default', 'via', ADDR.gwLan]);
  lab.exec(lan, 'ip', ['-6', 'route', 'add', 'default', 'via', ADDR.gwLan6]);
  mkdirSync(`/etc/netns/${LAN}`, { recursive: true });
  writeFileSync(`/etc/netns/${LAN}/resolv.conf`, `nameserver ${ADDR.gwLan}\n`);
  // The WAN host answers on every port we probe: any connection from the LAN would succeed.
  await startInNs(wan, [process.execPath, PROBE, 'serve', '80,443,853,53,9999'], 'stdout', 'ready');
  const applied = cli(['firewall', 'apply', ...gatewayOptions()]);
  firewallApplied = true;
  assert.equal(applied.code, 0, `firewall apply: ${applied.out}`);
  await startDaemon();
});

after(async () => {
  await killDaemon();
  if (firewallApplied) removeFirewall();
  await lab.cleanup();
  rmSync(`/etc/netns/${LAN}`, { recursive: true, force: true });
  await tn?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a LAN client with no proxy settings fetches http://<name>.i2p/ and http://<b32>.i2p/ with plain curl', { timeout: 300_000 }, async () => {
  assert.equal(cli(['firewall', 'check', ...gatewayOptions()]).code, 0, 'the loaded firewall matches the config');
  const tries = await fetchPage(NAMED_HOST, 240_000);
  await fetchPage(tn.anon.b32, 120_000);
  // A clearnet name does not resolve (I2P-only mode), an unknown .i2p name neither.
  const clear = await curl('http://example.com/', 10);
  assert.equal(clear.code, 6, `clearnet name: curl says it could not resolve (${clear.err})`);
  const unknown = await curl('http://no-such-name.i2p/', 10);
  assert.equal(unknown.code, 6, `unknown .i2p name (${unknown.err})`);
  assert.ok(tries >= 1);
});

test('no leak with the daemon running: every way out is refused or dropped; nothing from the LAN on the WAN link', { timeout: 120_000 }, async () => {
  const r = await leakCheck('running');
  assertNoLeak('daemon running', r);
  // The LAN's DNS to an outside resolver is answered by the box (redirected), not by the WAN host.
  const dns = r.results.find((p) => p.kind === 'udp' && p.port === 53 && p.host === ADDR.wan)!;
  assert.notEqual(dns.outcome, 'error:unknown');
});

test('no leak with the daemon killed (-9), none while it restarts, and .i2p works again after', { timeout: 300_000 }, async () => {
  await killDaemon();
  const dead = await leakCheck('killed');
  assertNoLeak('daemon killed', dead);
  const page = await curl(`http://${NAMED_HOST}/bytes/${PAGE}`, 5);
  assert.notEqual(page.code, 0, 'no page without the daemon');
  // Restarting: probes while the daemon comes up (its SAM session takes 20–40 s to be ready).
  const starting = startDaemon();
  const during = await leakCheck('restarting');
  await starting;
  assertNoLeak('daemon restarting', during);
  await fetchPage(NAMED_HOST, 180_000);
});
