/**
 * NTCP2 against i2pd in the same run (issue 2, item 10: "the ratio to i2pd"). The same client —
 * our router — does the same work against two responders on one machine: an i2pd 2.45.1 router
 * and one of ours. What differs is only the responder, so the ratio says how our side of NTCP2
 * compares with i2pd's:
 *  - handshakes/s: fresh client identities dial, complete SessionRequest/Created/Confirmed, close;
 *  - data phase: N I2NP messages of 1 KiB, then a DatabaseStore with a reply token; the clock
 *    stops when the responder's DeliveryStatus comes back, i.e. after it has read every frame.
 * Must run inside a network namespace with 198.18.0.0/16 on lo (bench/run.ts sets one up), since
 * i2pd 2.45.1 refuses peers on loopback and private ranges.
 */
import { performance } from 'node:perf_hooks';
import { I2pdNetwork, waitFor } from '../test/interop/testnet.js';
import { Router } from '../src/router/router.js';
import type { RouterConfig } from '../src/config/options.js';
import { ourRouterConfig } from '../test/interop/our-router.js';
import { silentLogger } from '../src/util/log.js';
import { RouterInfo } from '../src/data/router-info.js';
import { I2NPType } from '../src/i2np/message.js';
import { randomBytes } from '../src/crypto/index.js';
import { runIfMain } from './run-if-main.js';

const HANDSHAKES = 60;
const MESSAGES = 20_000;
const MESSAGE_BYTES = 1024;

function config(host: string, port: number, extra: Partial<RouterConfig> = {}): RouterConfig {
  return ourRouterConfig('bench', host, port, { loglevel: 'error', ...extra });
}

async function handshakesPerSecond(target: RouterInfo, firstHost: number): Promise<number> {
  // One client router per handshake, each from its own address: i2pd refuses a second pending
  // handshake from one IP, and a fresh identity means no session reuse.
  const clients: Router[] = [];
  for (let i = 0; i < HANDSHAKES; i++) {
    const r = new Router(config(`198.18.2.${firstHost + i}`, 21000 + firstHost + i, { 'ntcp2.published': false }), silentLogger());
    await r.start();
    clients.push(r);
  }
  const t0 = performance.now();
  for (const c of clients) {
    await c.connect(target);
  }
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.stop()));
  return HANDSHAKES / secs;
}

async function dataPhase(client: Router, target: RouterInfo): Promise<{ msgsPerSec: number; mbPerSec: number }> {
  await client.connect(target);
  const payload = randomBytes(MESSAGE_BYTES);
  // Warm up the session, then measure.
  assert(await client.sendRouterInfoTo(target.hash, 30_000), 'warm-up DatabaseStore acknowledged');
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i += 100) {
    const batch = [];
    for (let j = 0; j < 100; j++) batch.push(client.newMessage(I2NPType.Data, payload));
    client.send(target.hash, batch);
    // Yield so the transport can pack and flush what is queued.
    await new Promise((r) => setImmediate(r));
  }
  assert(await client.sendRouterInfoTo(target.hash, 120_000), 'final DatabaseStore acknowledged');
  const secs = (performance.now() - t0) / 1000;
  return { msgsPerSec: MESSAGES / secs, mbPerSec: (MESSAGES * MESSAGE_BYTES) / secs / 1e6 };
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark step failed: ${what}`);
}

export async function benchNtcp2VsI2pd(): Promise<Record<string, number | string>> {
  const net = new I2pdNetwork({ count: 1, floodfills: 1, firstAddress: 60, basePort: 20600, httpBasePort: 17660, ssu2: false, extraOptions: { loglevel: process.env.GG_BENCH_I2PD_LOGLEVEL ?? 'error' } });
  const ours = new Router(config('198.18.1.1', 20700, { floodfill: true }), silentLogger());
  const client = new Router(config('198.18.1.2', 20701), silentLogger());
  try {
    await net.init();
    await net.start();
    await ours.start();
    await client.start();
    const i2pdInfo = RouterInfo.parse(net.routers[0]!.routerInfoBytes());
    await waitFor(async () => (await net.routers[0]!.status()).routers >= 1, 20_000, 'i2pd to be up');
    const hsI2pd = await handshakesPerSecond(i2pdInfo, 1);
    const hsOurs = await handshakesPerSecond(ours.routerInfo, 101);
    const dI2pd = await dataPhase(client, i2pdInfo);
    const dOurs = await dataPhase(client, ours.routerInfo);
    const r = (x: number): number => Math.round(x * 100) / 100;
    return {
      'handshakes/s, responder i2pd': r(hsI2pd),
      'handshakes/s, responder ours': r(hsOurs),
      'handshakes ratio ours/i2pd': r(hsOurs / hsI2pd),
      'data 1KiB msgs/s, receiver i2pd': r(dI2pd.msgsPerSec),
      'data 1KiB msgs/s, receiver ours': r(dOurs.msgsPerSec),
      'data MB/s, receiver i2pd': r(dI2pd.mbPerSec),
      'data MB/s, receiver ours': r(dOurs.mbPerSec),
      'data ratio ours/i2pd': r(dOurs.msgsPerSec / dI2pd.msgsPerSec),
    };
  } finally {
    await client.stop();
    await ours.stop();
    await net.stop();
  }
}

runIfMain(import.meta.url, benchNtcp2VsI2pd);
