/**
 * The fail-closed firewall, for real (issue 5, item 4), in three network namespaces of our own:
 *
 *   ggh-fw-lan (client 10.77.1.2, fd77:1::2) ── ggh-fw-gw (GarlicGate: LAN 10.77.1.1, WAN 192.168.77.1)
 *                                                     └── ggh-fw-wan (a host on the "internet": 192.168.77.2, fd77:2::2)
 *
 * Without the firewall (forwarding on) the client reaches the WAN host: the leak tests are meaningful.
 * Then: rollback leaves the previous rules (from nothing, and from our own ruleset), the compiled CLI
 * applies and checks the ruleset inside ggh-fw-gw, and with no daemon running every kind of LAN
 * traffic — TCP, UDP, ICMP, DNS to a WAN address, DoT, IPv6, TCP to the virtual range — is refused or
 * dropped while a capture on the WAN host's interface sees not one packet from the LAN. The same holds
 * with forwarding switched back on behind the firewall's back.
 *
 * Runs as root in the root namespace (scripts/run-tests.mjs, e2e phase); touches nothing outside its
 * namespaces and its own temporary directory, and removes them at the end, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteNetns } from '../interop/netns.js';
import { systemRunner, type CommandRunner } from '../../src/gateway/firewall/command-runner.js';
import { applyFirewall, checkFirewall, FirewallApplyError } from '../../src/gateway/firewall/apply.js';
import { generateFirewall, type FirewallPlan } from '../../src/gateway/firewall/ruleset.js';
import { parseRulesetDocument, isNeutralTable } from '../../src/gateway/firewall/ruleset-document.js';
import { sampleConfig } from '../unit/gateway/firewall/fixtures.js';
import type { Probe, ProbeResult } from './netns-probe.js';

const LAN = 'ggh-fw-lan';
const GW = 'ggh-fw-gw';
const WAN = 'ggh-fw-wan';
const IF = { lan: 'ggfl0', gwLan: 'ggfg-lan', gwWan: 'ggfg-wan', wan: 'ggfw0' };
const ADDR = {
  lan: '10.77.1.2',
  gwLan: '10.77.1.1',
  gwWan: '192.168.77.1',
  wan: '192.168.77.2',
  lan6: 'fd77:1::2',
  gwLan6: 'fd77:1::1',
  gwWan6: 'fd77:2::1',
  wan6: 'fd77:2::2',
};
const TRANSPORT_PORT = 24680;
const VIRTUAL = '10.191.0.5';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const probeScript = fileURLToPath(new URL('./netns-probe.js', import.meta.url));

let work: string;
const children: ChildProcess[] = [];

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(ns: string, cmd: string, args: string[], timeout = 30_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

/** Commands of the firewall module run inside ggh-fw-gw. */
const gwRunner: CommandRunner = {
  run: (command, args, input) => systemRunner.run('ip', ['netns', 'exec', GW, command, ...args], input),
};

const gatewayArgs = (datadir: string): string[] => [
  `--datadir=${datadir}`,
  `--port=${TRANSPORT_PORT}`,
  `--gateway.lan.interface=${IF.gwLan}`,
  `--gateway.lan.address=${ADDR.gwLan}/24`,
  `--gateway.wan.interface=${IF.gwWan}`,
  `--http.address=${ADDR.gwLan}`,
];

function runCli(sub: string): { code: number; stdout: string; stderr: string } {
  return inNs(GW, process.execPath, [cli, 'firewall', sub, ...gatewayArgs(work)]);
}

/** What the CLI generates from gatewayArgs (the other values are the defaults). */
function plan(): FirewallPlan {
  return generateFirewall(
    sampleConfig({ lan: { interface: IF.gwLan, address: ADDR.gwLan, bits: 24 }, wan: { interface: IF.gwWan }, transport: { tcp: [TRANSPORT_PORT], udp: [] } }),
  );
}

function cleanup(): void {
  for (const c of children) {
    if (c.exitCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of [LAN, GW, WAN]) {
    try {
      deleteNetns(ns);
    } catch (e) {
      process.stderr.write(`firewall e2e: cannot delete ${ns}: ${(e as Error).message}\n`);
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
}

function setupNamespaces(): void {
  for (const ns of [LAN, GW, WAN]) {
    deleteNetns(ns); // a leftover of a crashed run
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // Both ends of each veth pair are created inside our namespaces: nothing appears in the root one.
  ip(['-n', LAN, 'link', 'add', IF.lan, 'type', 'veth', 'peer', 'name', IF.gwLan, 'netns', GW]);
  ip(['-n', WAN, 'link', 'add', IF.wan, 'type', 'veth', 'peer', 'name', IF.gwWan, 'netns', GW]);
  const addr = (ns: string, dev: string, v4: string, v6: string): void => {
    ip(['-n', ns, 'addr', 'add', v4, 'dev', dev]);
    ip(['-n', ns, '-6', 'addr', 'add', v6, 'dev', dev, 'nodad']);
    ip(['-n', ns, 'link', 'set', dev, 'up']);
  };
  addr(LAN, IF.lan, `${ADDR.lan}/24`, `${ADDR.lan6}/64`);
  addr(GW, IF.gwLan, `${ADDR.gwLan}/24`, `${ADDR.gwLan6}/64`);
  addr(GW, IF.gwWan, `${ADDR.gwWan}/24`, `${ADDR.gwWan6}/64`);
  addr(WAN, IF.wan, `${ADDR.wan}/24`, `${ADDR.wan6}/64`);
  ip(['-n', LAN, 'route', 'add', 'default', 'via', ADDR.gwLan]);
  ip(['-n', LAN, '-6', 'route', 'add', 'default', 'via', ADDR.gwLan6]);
  // The WAN host routes the LAN back through the box, so anything forwarded would be answered.
  ip(['-n', WAN, 'route', 'add', '10.77.1.0/24', 'via', ADDR.gwWan]);
  ip(['-n', WAN, '-6', 'route', 'add', 'fd77:1::/64', 'via', ADDR.gwWan6]);
  // The firewall refuses all IPv6 from the LAN, neighbour discovery included; a fixed neighbour entry
  // makes sure the client's IPv6 packets really reach the box, so the box is what stops them.
  const gwMac = (JSON.parse(ip(['-n', GW, '-j', 'link', 'show', IF.gwLan])) as { address: string }[])[0]!.address;
  ip(['-n', LAN, '-6', 'neigh', 'replace', ADDR.gwLan6, 'lladdr', gwMac, 'dev', IF.lan, 'nud', 'permanent']);
}

function setForwarding(on: boolean): void {
  const v = on ? '1' : '0';
  for (const key of ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']) {
    const r = inNs(GW, 'sysctl', ['-w', `${key}=${v}`]);
    assert.equal(r.code, 0, r.stderr);
  }
}

/** Starts `argv` inside `ns` (killed at the end, whatever happens); resolves once it prints `ready`. */
async function startInNs(ns: string, argv: string[], stream: 'stdout' | 'stderr', ready: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child[stream]!.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${argv[0]} in ${ns} exited (${code}): ${text}`)));
    setTimeout(() => reject(new Error(`${argv[0]} in ${ns} did not start: ${text}`)), 10_000).unref();
  });
  return child;
}

/** The probe program's TCP/UDP servers on `ports` inside `ns`; resolves once they listen. */
async function startServer(ns: string, ports: number[]): Promise<ChildProcess> {
  return startInNs(ns, [process.execPath, probeScript, 'serve', ports.join(',')], 'stdout', 'ready');
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL'); // `ip netns exec` execs node: this pid is the server itself
  await exited;
}

function probe(list: Probe[]): ProbeResult[] {
  const r = inNs(LAN, process.execPath, [probeScript, 'probe', JSON.stringify(list)], 60_000);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ProbeResult[];
}

const tcp = (host: string, port: number, timeoutMs = 1500): Probe => ({ kind: 'tcp', host, port, timeoutMs });
const udp = (host: string, port: number, timeoutMs = 1000): Probe => ({ kind: 'udp', host, port, timeoutMs });

/** tcpdump on the WAN host's interface, writing to a file; stop() ends it and returns the file. */
async function capture(name: string): Promise<{ stop: () => Promise<string> }> {
  const file = join(work, `${name}.pcap`);
  // -Z root: keep writing into our root-only temporary directory; -U: each packet written at once;
  // --immediate-mode: packets reach tcpdump at once, not in blocks a SIGINT may drop.
  const child = await startInNs(WAN, ['tcpdump', '-i', IF.wan, '-n', '--immediate-mode', '-U', '-Z', 'root', '-w', file], 'stderr', 'listening on');
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300)); // late packets (retransmissions) still count
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      return file;
    },
  };
}

function countPackets(file: string, filter: string): number {
  const r = spawnSync('tcpdump', ['-r', file, '-n', filter], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

const FROM_LAN = 'src net 10.77.1.0/24 or src net fd77:1::/64';

/** Every way out a LAN client might try, with no daemon listening anywhere on the box. */
function leakProbes(): ProbeResult[] {
  return probe([
    tcp(ADDR.wan, 80), // plain TCP to a WAN host
    tcp(ADDR.wan, 853), // DNS over TLS
    tcp(ADDR.wan, 53), // DNS over TCP to a WAN resolver: redirected to the box's DNS port (no daemon)
    udp(ADDR.wan, 53), // DNS over UDP, same
    udp(ADDR.wan, 9999), // other UDP
    udp(ADDR.gwLan, 9999), // UDP to the box itself, not a service
    tcp(VIRTUAL, 80), // the virtual range with no transparent proxy listening
    tcp(ADDR.wan6, 80), // IPv6
    udp(ADDR.wan6, 53),
  ]);
}

function assertNoLeak(results: ProbeResult[]): void {
  for (const r of results) {
    assert.ok(r.outcome !== 'connected' && r.outcome !== 'answered', `${r.kind} ${r.host}:${r.port} reached the WAN: ${r.outcome}`);
  }
  const outcome = (host: string, port: number, kind = 'tcp'): string => results.find((r) => r.host === host && r.port === port && r.kind === kind)!.outcome;
  // TCP: refusals, not timeouts, so the client learns at once. DNS is the box's (nothing listens).
  assert.equal(outcome(ADDR.wan, 80), 'refused');
  assert.equal(outcome(ADDR.wan, 853), 'refused');
  assert.equal(outcome(ADDR.wan, 53), 'refused');
  assert.equal(outcome(ADDR.wan, 53, 'udp'), 'refused');
  assert.equal(outcome(ADDR.wan6, 80), 'refused');
  // IPv6: administratively prohibited.
  assert.equal(outcome(ADDR.wan6, 53, 'udp'), 'prohibited');
  // IPv4 UDP to the box: icmp-admin-prohibited; to the outside: dropped (no ICMP from a foreign source).
  assert.equal(outcome(ADDR.gwLan, 9999, 'udp'), 'unreachable');
  assert.equal(outcome(ADDR.wan, 9999, 'udp'), 'no answer');
  // The virtual range with no transparent proxy: TPROXY finds no socket and drops.
  assert.equal(outcome(VIRTUAL, 80), 'timeout');
}

function pingFromLan(): { v4: number; v6: number; text: string } {
  const v4 = inNs(LAN, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', ADDR.wan]);
  const v6 = inNs(LAN, 'ping', ['-6', '-c', '1', '-W', '1', ADDR.wan6]);
  return { v4: v4.code, v6: v6.code, text: v4.stdout + v6.stdout };
}

function assertPingRefused(ping: { v4: number; v6: number; text: string }): void {
  assert.notEqual(ping.v4, 0, `IPv4 ping from the LAN got through: ${ping.text}`);
  assert.notEqual(ping.v6, 0, `IPv6 ping from the LAN got through: ${ping.text}`);
  assert.match(ping.text, /Administratively prohibited/, 'IPv6 ping should be refused by the box');
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'the firewall e2e test needs root (network namespaces, iptables)');
  work = mkdtempSync(join(tmpdir(), 'ggh-fw-e2e-'));
  setupNamespaces();
});

after(cleanup);

test('firewall e2e: without the firewall, the LAN reaches the WAN host (so the leak tests mean something)', async () => {
  await startServer(WAN, [80, 853, 53, 9999]);
  setForwarding(true);
  // Generous timeouts: the first IPv6 packets wait for neighbour discovery on the fresh links.
  const r = probe([tcp(ADDR.wan, 80, 5000), tcp(ADDR.wan6, 80, 5000)]);
  assert.deepEqual(r.map((x) => x.outcome), ['connected', 'connected']);
});

test('firewall e2e: a load that fails its check is rolled back to the previous rules, from none and routing included', async () => {
  const good = plan();
  // Semantically fine, but not what iptables-save prints back: the check after loading fails.
  const mismatching: FirewallPlan = { ...good, ipv4: good.ipv4.replace('--ctstate RELATED,ESTABLISHED', '--ctstate ESTABLISHED,RELATED') };
  await assert.rejects(applyFirewall(mismatching, gwRunner), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === true && /check after loading/.test(e.message));
  for (const [save, tables] of [['iptables-save', ['mangle', 'nat', 'filter']], ['ip6tables-save', ['filter']]] as const) {
    const state = parseRulesetDocument(inNs(GW, save, []).stdout);
    for (const t of tables) assert.ok(!state.has(t) || isNeutralTable(t, state.get(t)!), `${save}: *${t} is not back to empty`);
  }
  assert.doesNotMatch(ip(['-n', GW, 'rule', 'show']), /lookup 100/, 'policy-routing rules were not undone');
  assert.equal(ip(['-n', GW, '-6', 'rule', 'show']).includes('lookup 100'), false);
  assert.equal(inNs(GW, 'ip', ['route', 'show', 'table', '100']).stdout.trim(), '');
});

test('firewall e2e: a document iptables-restore --test refuses changes nothing', async () => {
  const good = plan();
  const broken: FirewallPlan = { ...good, ipv4: good.ipv4.replace('-A INPUT -i lo -j ACCEPT', '-A INPUT -i lo --no-such-option -j ACCEPT') };
  await assert.rejects(applyFirewall(broken, gwRunner), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === undefined && /not changed/.test(e.message));
  const v4 = parseRulesetDocument(inNs(GW, 'iptables-save', []).stdout);
  assert.ok([...v4].every(([name, t]) => isNeutralTable(name, t)), 'the IPv4 rules changed');
});

test('firewall e2e: an IPv6 document that fails only when loaded rolls the loaded IPv4 one back', async () => {
  const good = plan();
  // The nf_tables backend's --test does not notice a jump to a missing chain; the real load does.
  const broken: FirewallPlan = { ...good, ipv6: good.ipv6.replace('-A INPUT -i lo -j ACCEPT', '-A INPUT -i lo -j NO-SUCH-CHAIN') };
  await assert.rejects(applyFirewall(broken, gwRunner), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === true && /NO-SUCH-CHAIN/.test(e.message));
  const v4 = parseRulesetDocument(inNs(GW, 'iptables-save', []).stdout);
  assert.ok([...v4].every(([name, t]) => isNeutralTable(name, t)), 'the IPv4 rules were not rolled back');
});

test('firewall e2e: the CLI applies the ruleset inside the gateway namespace and check says it matches', () => {
  const applied = runCli('apply');
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /applied and checked/);
  const checked = runCli('check');
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /match the config/);
  assert.match(ip(['-n', GW, 'rule', 'show']), new RegExp(`iif ${IF.gwLan} lookup 100`));
  assert.equal(inNs(GW, 'sysctl', ['-n', 'net.ipv4.ip_forward']).stdout.trim(), '0');
});

test('firewall e2e: with daemons listening, LAN DNS to any address reaches the box, the admin UI only on the LAN address, nothing the WAN', async () => {
  const services = await startServer(GW, [7053, 7070]);
  const cap = await capture('services');
  let results: ProbeResult[];
  try {
    results = probe([udp(ADDR.wan, 53), tcp(ADDR.wan, 53), udp('10.99.0.1', 53), tcp(ADDR.gwLan, 7070), tcp(ADDR.wan, 7070), tcp(ADDR.gwLan, 7053), udp(ADDR.gwLan, 7053)]);
  } finally {
    await stopServer(services);
  }
  const file = await cap.stop();
  assert.deepEqual(
    results.map((r) => `${r.kind} ${r.host}:${r.port} ${r.outcome}`),
    [
      `udp ${ADDR.wan}:53 answered`, // redirected to the box's DNS port
      `tcp ${ADDR.wan}:53 connected`,
      'udp 10.99.0.1:53 answered',
      `tcp ${ADDR.gwLan}:7070 connected`, // the admin UI
      `tcp ${ADDR.wan}:7070 refused`, // not the admin UI: an outside address
      `tcp ${ADDR.gwLan}:7053 refused`, // the DNS port itself is reachable only through the redirect
      `udp ${ADDR.gwLan}:7053 unreachable`,
    ],
  );
  assert.equal(countPackets(file, FROM_LAN), 0, 'packets from the LAN reached the WAN link');
});

test('firewall e2e: a failed apply over our ruleset leaves it in place (check still matches)', async () => {
  const good = plan();
  const mismatching: FirewallPlan = { ...good, ipv6: good.ipv6.replace('--ctstate RELATED,ESTABLISHED', '--ctstate ESTABLISHED,RELATED') };
  await assert.rejects(applyFirewall(mismatching, gwRunner), (e: unknown) => e instanceof FirewallApplyError && e.rolledBack === true);
  assert.deepEqual(await checkFirewall(good, gwRunner), []);
  const checked = runCli('check');
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
});

test('firewall e2e: the WAN reaches only the transport port', () => {
  // No router runs: the transport port answers with the kernel's RST (let through), any other port is dropped.
  const r = inNs(WAN, process.execPath, [probeScript, 'probe', JSON.stringify([tcp(ADDR.gwWan, TRANSPORT_PORT), tcp(ADDR.gwWan, TRANSPORT_PORT + 1, 1000), tcp(ADDR.gwWan, 7040, 1000), tcp(ADDR.gwWan, 7070, 1000)])]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as ProbeResult[]).map((x) => x.outcome), ['refused', 'timeout', 'timeout', 'timeout']);
});

for (const forwardingOn of [false, true]) {
  test(`firewall e2e: no daemon, ${forwardingOn ? 'forwarding switched back ON' : 'as applied'}: LAN TCP, UDP, ICMP, DNS, DoT, IPv6, virtual range — refused or dropped, 0 packets on the WAN`, async () => {
    if (forwardingOn) setForwarding(true);
    const cap = await capture(forwardingOn ? 'forwarding-on' : 'as-applied');
    const results = leakProbes();
    const ping = pingFromLan();
    // The box's own traffic still goes out (the router needs the internet): also proves the capture works.
    const own = inNs(GW, 'ping', ['-c', '1', '-W', '1', ADDR.wan]);
    const file = await cap.stop();
    assertNoLeak(results);
    assertPingRefused(ping);
    assert.equal(own.code, 0, `the box itself cannot reach the WAN: ${own.stdout}${own.stderr}`);
    assert.equal(countPackets(file, FROM_LAN), 0, 'packets from the LAN reached the WAN link');
    assert.ok(countPackets(file, `icmp and src host ${ADDR.gwWan}`) > 0, 'the capture saw nothing at all: it proves nothing');
    if (forwardingOn) {
      const checked = runCli('check');
      assert.equal(checked.code, 1, 'check must notice forwarding switched on');
      assert.match(checked.stdout, /net\.ipv4\.ip_forward is 1/);
    }
  });
}
