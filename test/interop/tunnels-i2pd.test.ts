/**
 * Tunnels with i2pd 2.45.1 (issue 4, item 6 (b)): i2pd routers build their tunnels through our
 * router; we accept the ECIES (short) build requests, answer them, and relay the tunnels' traffic.
 * Address plan: i2pd 198.18.0.51–53 (ports 20500+, webconsoles 17500+), ours 198.18.0.150:19150.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { reseedZipOf } from '../helpers/zip.js';
import { RouterInfo } from '../../src/data/router-info.js';
import { I2NPType } from '../../src/i2np/message.js';
import { encodeDatabaseStore, DatabaseStoreType } from '../../src/i2np/database-store.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { I2pdNetwork, waitFor } from './testnet.js';
import { Router } from '../../src/router/router.js';
import { defaultConfig } from '../../src/config/options.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { i2pBase64Encode } from '../../src/data/base64.js';

const log = process.env.GG_TEST_LOG ? createLogger('debug') : silentLogger();
const net = new I2pdNetwork({ count: 3, floodfills: 1, firstAddress: 51, basePort: 20500, httpBasePort: 17500 });
let router: Router;

let zipPath: string;

before(async () => {
  await net.init();
  zipPath = join(mkdtempSync(join(tmpdir(), 'gg-tseed-')), 'seed.zip');
  writeFileSync(zipPath, await reseedZipOf(net.routers.map((r) => r.routerInfoBytes())));
  const config = {
      ...defaultConfig('/nonexistent'),
      datadir: mkdtempSync(join(tmpdir(), 'gg-transit-')),
      netid: 99,
      host: '198.18.0.150',
      port: 19150,
      bandwidth: 'X',
      'reseed.urls': [],
      'reseed.zipfile': zipPath,
      // Our own exploratory tunnels: 3 hops in, 2 out (issue 4: "length 2–3").
      'exploratory.inbound.length': 3,
      'exploratory.outbound.length': 2,
  };
  // A first start makes our identity and RouterInfo, which the i2pd routers get in their netDb;
  // the router then runs (same identity) once they are up, so its first tunnel builds find them.
  const first = new Router(config, log.child({ r: 'first' }));
  await first.start();
  const ourInfo = first.routerInfo.raw;
  await first.stop();
  for (const i2pd of net.routers) i2pd.addRouterInfo(ourInfo);
  await net.start();
  router = new Router(config, log.child({ r: 'ours' }));
  await router.start();
});

after(async () => {
  await router?.stop();
  await net.stop();
});

test('(b) i2pd builds tunnels through our router; we accept, answer and relay', { timeout: 180_000 }, async () => {
  const transit = (): typeof router.transit.counters => router.transit.counters;
  await waitFor(() => transit().accepted >= 1, 120_000, 'a transit tunnel build request from i2pd', { context: () => JSON.stringify(transit()) });
  // i2pd completed the build with our reply in it: it logs the tunnel as created, through us.
  const ours = i2pBase64Encode(router.hash);
  const logs = (): string => net.routers.map((r) => r.logText()).join('\n');
  await waitFor(() => /I2NP: (Inbound|Outbound) tunnel \d+ has been created/.test(logs()), 60_000, 'i2pd to log a created tunnel');
  // Traffic through the tunnels: i2pd tests every tunnel with a message round trip.
  await waitFor(() => transit().messagesRelayed > 0, 90_000, 'transit traffic relayed', { context: () => JSON.stringify(transit()) });
  assert.ok(transit().bytesRelayed > 0);
  const page = (await Promise.all(net.routers.map((r) => r.webconsole('?page=tunnels')))).join('\n');
  assert.ok(page.includes(ours.slice(0, 4)), `an i2pd tunnels page lists our router (${ours.slice(0, 4)})`);
  assert.deepEqual(transit().rejected, {}, 'nothing refused');
});

test('(a) we build exploratory tunnels (3 hops in, 2 out) through i2pd routers and test them', { timeout: 180_000 }, async () => {
  const tunnels = (): typeof router.tunnels.counters => router.tunnels.counters;
  await waitFor(() => tunnels().tunnels.inbound >= 1 && tunnels().tunnels.outbound >= 1, 120_000, 'an inbound and an outbound tunnel of ours', { context: () => JSON.stringify(tunnels()) });
  await waitFor(() => tunnels().tests.succeeded >= 1, 60_000, 'a successful tunnel test', { context: () => JSON.stringify(tunnels()) });
  const i2pdHashes = new Set(net.routers.map((r) => r.identHashBase64()));
  const { inbound, outbound } = router.tunnels.exploratoryTunnels();
  for (const t of [...inbound, ...outbound]) {
    assert.equal(t.hops.length, t.direction === 'inbound' ? 3 : 2, `${t.direction} tunnel length`);
    for (const h of t.hops) assert.ok(i2pdHashes.has(i2pBase64Encode(h)), 'every hop is an i2pd router');
  }
});

test("(c) a DatabaseStore out through our tunnel to an i2pd floodfill; its DeliveryStatus comes back through i2pd's tunnel and ours", { timeout: 120_000 }, async () => {
  const floodfill = RouterInfo.parse(net.routers[0]!.routerInfoBytes());
  // i2pd answers through an outbound tunnel of its own, which it may lack for a while after start
  // ("NetDb: No outbound tunnels for DatabaseStore reply found"): a few attempts, 20 s each.
  let acked = false;
  for (let attempt = 1; attempt <= 4 && !acked; attempt++) {
    const token = 0x5eed0 + attempt;
    const reply = router.tunnels.replyTunnel();
    assert.ok(reply, 'an inbound tunnel of ours to reply to');
    const got = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const listener = (ds: { msgId: number }): void => {
        if (ds.msgId !== token) return;
        clearTimeout(timer);
        router.off('deliveryStatus', listener);
        resolve(true);
      };
      router.on('deliveryStatus', listener);
    });
    const store = router.newMessage(
      I2NPType.DatabaseStore,
      encodeDatabaseStore({ key: router.hash, type: DatabaseStoreType.RouterInfo, replyToken: token, replyTunnelId: reply.tunnelId, replyGateway: reply.gateway, routerInfo: router.routerInfo.raw }),
    );
    assert.equal(router.tunnels.sendThroughTunnel(store, { kind: 'router', hash: floodfill.hash }), true, 'sent into our outbound tunnel');
    acked = await got;
  }
  assert.equal(acked, true, 'the DeliveryStatus came back through our inbound tunnel');
});
