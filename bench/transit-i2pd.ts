/**
 * Transit relaying against i2pd in the same run (issue 4, item 8). A client router of ours knows
 * exactly one other router, the hop under test, so its exploratory pool builds 1-hop tunnels
 * through it. The client then pushes 1 KiB I2NP messages into its outbound tunnel, addressed back
 * to itself: the hop decrypts its layer, reassembles as outbound endpoint and delivers each message
 * over NTCP2. Same client, same work; only the hop differs (i2pd 2.45.1 or our router), so the
 * ratio compares transit processing through real sessions on loopback.
 * Runs inside a network namespace with 198.18.0.0/16 on lo (bench/run.ts sets one up).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { I2pdNetwork, waitFor } from '../test/interop/testnet.js';
import { reseedZipOf } from '../test/helpers/zip.js';
import { Router } from '../src/router/router.js';
import type { RouterConfig } from '../src/config/options.js';
import { ourRouterConfig } from '../test/interop/our-router.js';
import { silentLogger } from '../src/util/log.js';
import { I2NPType } from '../src/i2np/message.js';
import { randomBytes } from '../src/crypto/index.js';
import { runIfMain } from './run-if-main.js';

const MESSAGES = 20_000;
const BATCH = 50;

/** One hop each way: the tunnels go through the hop under test and nothing else. */
function config(name: string, host: string, port: number, extra: Partial<RouterConfig> = {}): RouterConfig {
  return ourRouterConfig(`bench-${name}`, host, port, {
    loglevel: 'error',
    'exploratory.inbound.length': 1,
    'exploratory.outbound.length': 1,
    'exploratory.inbound.quantity': 1,
    'exploratory.outbound.quantity': 1,
    ...extra,
  });
}

/** The client waits while its NTCP2 send backlog toward the hop is above this. */
const CLIENT_BACKLOG_LIMIT = 1 << 20;

/**
 * Messages/s the hop relays for a client whose only known router is `hopInfo`. `clientDrops`: the
 * messages the client's own NTCP2 transport dropped (the client sends faster than a slow hop reads,
 * and nothing upstream of its send backlog can be paused), to tell them from losses in the hop.
 */
async function throughHop(hopInfo: Buffer, host: string, port: number): Promise<{ msgsPerSec: number; delivered: number; clientDrops: number }> {
  const zip = join(mkdtempSync(join(tmpdir(), 'gg-bench-seed-')), 'seed.zip');
  writeFileSync(zip, await reseedZipOf([hopInfo]));
  const client = new Router(config('client', host, port, { 'reseed.zipfile': zip }), silentLogger());
  await client.start();
  try {
    await waitFor(() => client.tunnels.counters.tunnels.outbound >= 1, 60_000, 'a 1-hop outbound tunnel through the hop');
    const payload = randomBytes(1024);
    const received = (): number => client.counters.i2npIn.Data ?? 0;
    const t0 = performance.now();
    for (let sent = 0; sent < MESSAGES; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) client.tunnels.sendThroughTunnel(client.newMessage(I2NPType.Data, payload), { kind: 'router', hash: client.hash });
      // Let the sockets drain; the hop is the bottleneck we measure. The client paces itself by its
      // NTCP2 send backlog (as a real source would: nothing upstream of it can be paused), so that
      // what is measured is the hop, not the client's buffer.
      await new Promise((r) => setImmediate(r));
      while ((client.ntcp2?.sendBacklogBytes ?? 0) > CLIENT_BACKLOG_LIMIT) await new Promise((r) => setTimeout(r, 1));
    }
    let last = -1;
    let lastChange = performance.now();
    // Done when everything arrived, or nothing more arrived for a second (relays may drop).
    await waitFor(() => {
      const n = received();
      if (n !== last) {
        last = n;
        lastChange = performance.now();
      }
      return n >= MESSAGES || performance.now() - lastChange > 1000;
    }, 120_000, 'the relayed messages', { intervalMs: 20 });
    const secs = (lastChange - t0) / 1000;
    return { msgsPerSec: received() / secs, delivered: received(), clientDrops: client.ntcp2?.counters.messagesDropped ?? 0 };
  } finally {
    await client.stop();
  }
}

export async function benchTransitVsI2pd(): Promise<Record<string, number | string>> {
  const net = new I2pdNetwork({ count: 1, floodfills: 0, firstAddress: 70, basePort: 20800, httpBasePort: 17870, ssu2: false, extraOptions: { loglevel: 'error' } });
  // Our hop runs as its own process (the `garlicgate` command), as i2pd does: the client's work
  // must not share the hop's event loop.
  const hopDir = mkdtempSync(join(tmpdir(), 'gg-bench-hop-'));
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const hop = spawn(process.execPath, [cli, `--datadir=${hopDir}`, '--netid=99', '--host=198.18.3.1', '--port=20900', '--bandwidth=X', '--reseed.urls=', '--loglevel=error'], { stdio: 'ignore' });
  try {
    await net.init();
    await net.start();
    let hopInfo: Buffer | undefined;
    await waitFor(() => {
      try {
        hopInfo = readFileSync(join(hopDir, 'router.info'));
        return true;
      } catch {
        return false;
      }
    }, 20_000, "our hop's router.info");
    const viaI2pd = await throughHop(net.routers[0]!.routerInfoBytes(), '198.18.3.2', 20901);
    const viaOurs = await throughHop(hopInfo!, '198.18.3.3', 20902);
    const r = (x: number): number => Math.round(x);
    return {
      'relayed 1KiB msgs/s, hop i2pd': r(viaI2pd.msgsPerSec),
      'relayed 1KiB msgs/s, hop ours': r(viaOurs.msgsPerSec),
      'delivered of sent, hop i2pd': `${viaI2pd.delivered}/${MESSAGES}`,
      'delivered of sent, hop ours': `${viaOurs.delivered}/${MESSAGES}`,
      'tunnel messages dropped by the client itself, hop i2pd': viaI2pd.clientDrops,
      'tunnel messages dropped by the client itself, hop ours': viaOurs.clientDrops,
      'relay ratio ours/i2pd': Math.round((viaOurs.msgsPerSec / viaI2pd.msgsPerSec) * 100) / 100,
      note: '1-hop tunnel, the hop is its outbound endpoint (layer decrypt + reassembly + delivery over NTCP2); each hop in its own process, the client (ours) shared',
    };
  } finally {
    hop.kill('SIGTERM');
    await net.stop();
  }
}

runIfMain(import.meta.url, benchTransitVsI2pd);
