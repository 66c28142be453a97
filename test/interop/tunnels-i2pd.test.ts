/**
 * Tunnels with i2pd 2.45.1 (issue 4, items 5 and 6): (b) i2pd routers build their tunnels through our
 * router; we accept the ECIES (short) build requests, answer them, and relay the tunnels' traffic;
 * (a) we build our own through them and test them; (c) messages go out through our tunnels into
 * i2pd's, and answers come back through i2pd's tunnels and ours; (d) our netDb lookups and publishing
 * go through our tunnels, the i2pd floodfill answering to our inbound tunnel.
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
import { randomBytes } from '../../src/crypto/index.js';
import type { TunnelDeliveryInstructions } from '../../src/tunnel/tunnel-message.js';
import { poolConfigFromOptions } from '../../src/tunnel/tunnel-pool.js';
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

/**
 * Sends a DatabaseStore of our RouterInfo with reply token `token` into our outbound tunnel, to be
 * delivered as `delivery` says; its DeliveryStatus is to come back to one of our inbound tunnels.
 * Resolves whether it came back within `timeoutMs`.
 */
function storeRoundTrip(token: number, delivery: TunnelDeliveryInstructions, timeoutMs: number): Promise<boolean> {
  const reply = router.tunnels.replyTunnel();
  assert.ok(reply, 'an inbound tunnel of ours to reply to');
  const got = new Promise<boolean>((resolve) => {
    const listener = (ds: { msgId: number }): void => {
      if (ds.msgId !== token) return;
      clearTimeout(timer);
      router.off('deliveryStatus', listener);
      resolve(true);
    };
    const timer = setTimeout(() => {
      router.off('deliveryStatus', listener);
      resolve(false);
    }, timeoutMs);
    router.on('deliveryStatus', listener);
  });
  const store = router.newMessage(
    I2NPType.DatabaseStore,
    encodeDatabaseStore({ key: router.hash, type: DatabaseStoreType.RouterInfo, replyToken: token, replyTunnelId: reply.tunnelId, replyGateway: reply.gateway, routerInfo: router.routerInfo.raw }),
  );
  assert.equal(router.tunnels.sendThroughTunnel(store, delivery), true, 'sent into our outbound tunnel');
  return got;
}

test("(c) a DatabaseStore out through our tunnel to an i2pd floodfill; its DeliveryStatus comes back through i2pd's tunnel and ours", { timeout: 120_000 }, async () => {
  const floodfill = RouterInfo.parse(net.routers[0]!.routerInfoBytes());
  // i2pd answers through an outbound tunnel of its own, which it may lack for a while after start
  // ("NetDb: No outbound tunnels for DatabaseStore reply found"): a few attempts, 20 s each.
  let acked = false;
  for (let attempt = 1; attempt <= 4 && !acked; attempt++) acked = await storeRoundTrip(0x5eed0 + attempt, { kind: 'router', hash: floodfill.hash }, 20_000);
  assert.equal(acked, true, 'the DeliveryStatus came back through our inbound tunnel');
});

test("(c) a message from our outbound tunnel travels an i2pd-built inbound tunnel to the i2pd router that built it, whose answer returns through its outbound tunnel and our inbound tunnel", { timeout: 150_000 }, async () => {
  // An i2pd inbound tunnel we can address: one whose gateway we are (i2pd chose us as its first
  // hop). Its other hops and its endpoint — the i2pd router that built it — are i2pd's. The path:
  // our outbound gateway -> i2pd hop(s) -> i2pd outbound endpoint -> (TunnelGateway) us as that
  // tunnel's gateway -> i2pd hop(s) -> the i2pd owner, which takes the DatabaseStore from its
  // exploratory tunnel into its netDb and sends the DeliveryStatus for the reply token out through
  // one of its outbound tunnels to our inbound tunnel. (Its client tunnels would ignore the token,
  // so every such tunnel is tried.)
  const gateways = (): ReturnType<typeof router.transit.list> => router.transit.list().filter((t) => t.role === 'inboundGateway' && t.expiresAt - Date.now() > 60_000);
  await waitFor(() => gateways().length > 0, 90_000, 'an i2pd inbound tunnel with us as its gateway', { context: () => JSON.stringify(router.transit.list().map((t) => t.role)) });
  let acked = false;
  let tried = 0;
  for (let round = 0; round < 3 && !acked; round++) {
    const tries = gateways().map((t, i) => storeRoundTrip(0x7e570000 + round * 256 + i, { kind: 'tunnel', gateway: router.hash, tunnelId: t.receiveTunnelId }, 25_000));
    tried += tries.length;
    acked = (await Promise.all(tries)).some(Boolean);
  }
  assert.equal(acked, true, `a DeliveryStatus came back from an i2pd tunnel's owner (${tried} tried)`);
  assert.ok(router.transit.counters.messagesRelayed > 0);
});

test('(a) a client pool (2 hops each way) is built through i2pd routers and tested; a message into its inbound tunnel reaches the pool', { timeout: 150_000 }, async () => {
  const got: number[] = [];
  const client = router.tunnels.createClientPool(poolConfigFromOptions('client', { 'inbound.length': 2, 'outbound.length': 2, 'inbound.quantity': 2, 'outbound.quantity': 2 }), (m) => got.push(m.msgId));
  try {
    const c = (): typeof router.tunnels.counters.clients => router.tunnels.counters.clients;
    await waitFor(() => c().inbound >= 1 && c().outbound >= 1 && c().testsSucceeded >= 1, 120_000, 'client tunnels built and tested', { context: () => JSON.stringify(c()) });
    const i2pdHashes = new Set(net.routers.map((r) => r.identHashBase64()));
    const { inbound } = client.tunnels();
    for (const t of [...inbound, ...client.tunnels().outbound]) {
      assert.equal(t.hops.length, 2);
      for (const h of t.hops) assert.ok(i2pdHashes.has(i2pBase64Encode(h)), 'every hop is an i2pd router');
    }
    // From an exploratory outbound tunnel into the client's inbound tunnel (as a LeaseSet lease would be used).
    const msg = router.newMessage(I2NPType.Data, Buffer.from('hello client pool'));
    let arrived = false;
    for (let attempt = 0; attempt < 3 && !arrived; attempt++) {
      const lease = client.tunnels().inbound[0]!;
      assert.equal(router.tunnels.sendThroughTunnel(msg, { kind: 'tunnel', gateway: lease.gateway, tunnelId: lease.gatewayTunnelId }), true);
      await waitFor(() => got.includes(msg.msgId), 15_000, 'the message out of the client inbound tunnel').then(
        () => (arrived = true),
        () => undefined,
      );
    }
    assert.equal(arrived, true, 'the client pool received it');
  } finally {
    client.close();
  }
});

test('(d) netDb lookups and publishing go through our tunnels; the i2pd floodfill answers to our inbound tunnel', { timeout: 150_000 }, async () => {
  await waitFor(() => router.tunnels.exploratoryTunnels().inbound.length > 0 && router.tunnels.exploratoryTunnels().outbound.length > 0, 120_000, 'tunnels of ours');
  const before = { ...router.netdb.counters } as Record<string, number>;
  // A RouterInfo we forget and look up again: the i2pd floodfill's DatabaseStore comes back
  // ECIES-encrypted through its outbound tunnel and our inbound tunnel.
  const target = RouterInfo.parse(net.routers[2]!.routerInfoBytes());
  let found = false;
  for (let attempt = 1; attempt <= 3 && !found; attempt++) {
    router.store.removeRouterInfo(target.hash);
    found = (await router.netdb.lookupRouterInfo(target.hash)) !== undefined;
  }
  assert.equal(found, true, 'the RouterInfo was found');
  // A key nobody has: the floodfill's DatabaseSearchReply comes back the same way.
  const lookups = (): Record<string, number> => router.netdb.counters.lookups as Record<string, number>;
  const matched = lookups().searchRepliesMatched!;
  await router.netdb.lookupLeaseSet(randomBytes(32));
  assert.ok(lookups().searchRepliesMatched! > matched, "the floodfill's search reply reached the search");
  // Publishing: the DatabaseStore goes out by tunnel; the floodfill's DeliveryStatus comes back by tunnel.
  let stored = false;
  for (let attempt = 1; attempt <= 6 && !stored; attempt++) stored = (await router.netdb.publishRouterInfo()).storedAt.length > 0;
  assert.equal(stored, true, 'the floodfill acknowledged our RouterInfo');
  const c = router.netdb.counters as Record<string, number>;
  const replies = router.netdb.counters.tunnelReplies as Record<string, number>;
  assert.ok(c.lookupsThroughTunnels! > before.lookupsThroughTunnels!, 'lookups went through tunnels');
  assert.ok(c.storesThroughTunnels! > before.storesThroughTunnels!, 'the publish went through a tunnel');
  assert.equal(c.lookupsDirect, before.lookupsDirect, 'no lookup went direct');
  assert.ok(replies.opened! >= 2, `encrypted replies opened (${JSON.stringify(replies)})`);
});
