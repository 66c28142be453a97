/**
 * `npm run bench`: runs every capability's benchmark and prints one JSON report. Benchmarks are
 * never part of `npm test` (timings are not pass/fail criteria on a shared machine).
 */
import { benchCrypto } from './crypto.js';
import { benchNtcp2 } from './ntcp2.js';
import { benchReseed } from './reseed.js';
import { benchNetDb } from './netdb.js';
import { benchFloodfill } from './floodfill.js';
import { benchTunnelBuild } from './tunnel-build.js';
import { benchTunnelData } from './tunnel-data.js';
import { benchTransit } from './transit.js';
import { benchGatewayDns } from './gateway-dns.js';
import { benchFirewall } from './firewall.js';
import { benchSystemdNotify } from './systemd-notify.js';
import { benchAdminApi } from './admin-api.js';
import { benchWebui } from './webui.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns } from '../test/interop/netns.js';
import { findI2pd } from '../test/interop/testnet.js';

const BENCH_NETNS = 'ggh-bench';

/**
 * The comparison with i2pd runs in a network namespace of its own (i2pd 2.45.1 refuses peers on
 * loopback), so it needs root and the i2pd package; without them the report says why it is missing.
 */
function benchAgainstI2pd(scriptName: string, netns = BENCH_NETNS): Record<string, unknown> {
  if (process.getuid?.() !== 0) return { missing: 'needs root (network namespace); run `sudo npm run bench`' };
  try {
    findI2pd();
  } catch (e) {
    return { missing: (e as Error).message };
  }
  createNetns(netns);
  try {
    const script = fileURLToPath(new URL(`./${scriptName}`, import.meta.url));
    const r = spawnSync('ip', ['netns', 'exec', netns, process.execPath, script], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return { failed: (r.stderr || r.error?.message || `exit ${r.status}`).slice(-2000) };
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    deleteNetns(netns);
  }
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    node: process.version,
    arch: process.arch,
    date: new Date().toISOString(),
  };
  const stage = (name: string): void => void process.stderr.write(`bench: ${name}…\n`);
  stage('crypto');
  report.crypto = await benchCrypto();
  stage('ntcp2');
  report.ntcp2 = await benchNtcp2();
  stage('reseed');
  report.reseed = await benchReseed();
  stage('netdb');
  report.netdb = await benchNetDb();
  stage('floodfill');
  report.floodfill = await benchFloodfill();
  stage('tunnel build');
  report.tunnelBuild = await benchTunnelBuild();
  stage('tunnel data');
  report.tunnelData = await benchTunnelData();
  stage('transit');
  report.transit = await benchTransit();
  stage('gateway dns + proxy');
  report.gatewayDns = await benchGatewayDns();
  stage('firewall');
  report.firewall = await benchFirewall();
  stage('systemd notify');
  report.systemdNotify = await benchSystemdNotify();
  stage('admin api');
  report.adminApi = await benchAdminApi();
  stage('admin page');
  report.webui = await benchWebui();
  stage('ntcp2 vs i2pd');
  report.ntcp2VsI2pd = benchAgainstI2pd('ntcp2-i2pd.js');
  stage('transit vs i2pd');
  report.transitVsI2pd = benchAgainstI2pd('transit-i2pd.js');
  stage('sam backend vs direct sam (i2pd)');
  report.samVsDirect = benchAgainstI2pd('sam-i2pd.js', 'ggh-bench-sam');
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
