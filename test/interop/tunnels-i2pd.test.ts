/**
 * Tunnels with i2pd 2.45.1 (issue 4, item 6 (b)): i2pd routers build their tunnels through our
 * router; we accept the ECIES (short) build requests, answer them, and relay the tunnels' traffic.
 * Address plan: i2pd 198.18.0.51–53 (ports 20500+, webconsoles 17500+), ours 198.18.0.150:19150.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync } from 'node:fs';
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

before(async () => {
  await net.init();
  router = new Router(
    { ...defaultConfig('/nonexistent'), datadir: mkdtempSync(join(tmpdir(), 'gg-transit-')), netid: 99, host: '198.18.0.150', port: 19150, bandwidth: 'X', 'reseed.urls': [] },
    log.child({ r: 'transit' }),
  );
  await router.start();
  for (const i2pd of net.routers) i2pd.addRouterInfo(router.routerInfo.raw);
  await net.start();
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
