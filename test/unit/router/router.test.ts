import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../../../src/router/router.js';
import { defaultConfig, type RouterConfig } from '../../../src/config/options.js';
import { silentLogger } from '../../../src/util/log.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { reseedZipOf } from '../../helpers/zip.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import { I2NPType } from '../../../src/i2np/message.js';
import { encodeDatabaseStore, DatabaseStoreType } from '../../../src/i2np/database-store.js';
import { encodeDatabaseLookup } from '../../../src/i2np/database-lookup.js';
import { randomBytes } from '../../../src/crypto/index.js';
import { sealGarlicForRouter } from '../../../src/garlic/router-garlic.js';
import { createTunnelBuild } from '../../../src/tunnel/build/build-creator.js';
import { waitFor } from '../../interop/testnet.js';

function config(extra: Partial<RouterConfig> = {}): RouterConfig {
  return { ...defaultConfig('/nonexistent'), datadir: mkdtempSync(join(tmpdir(), 'gg-router-')), netid: 99, host: '127.0.0.1', port: 0, 'reseed.urls': [], ...extra };
}

/**
 * Runs `body` with two live routers on 127.0.0.1: `server` (with `serverConfig`, publishing the
 * port the OS gave it) and `client`, already connected to it; both are stopped afterwards.
 */
async function withServerAndClient(serverConfig: Partial<RouterConfig>, body: (server: Router, client: Router) => Promise<void>): Promise<void> {
  const server = new Router(config({ ...serverConfig, port: 0 }), silentLogger());
  await server.start();
  // Port 0: the OS picks one; publish what was bound.
  await server.updateSettings({ port: server.ntcp2!.boundPort });
  const client = new Router(config({ port: 0 }), silentLogger());
  await client.start();
  try {
    await client.connect(server.routerInfo);
    await body(server, client);
  } finally {
    await client.stop();
    await server.stop();
  }
}

test('first start creates identity and router.info; a restart keeps the identity', async () => {
  const cfg = config({ 'ntcp2.enabled': false });
  const a = new Router(cfg, silentLogger());
  await a.start();
  const onDisk = RouterInfo.parse(readFileSync(join(cfg.datadir, 'router.info')));
  assert.ok(onDisk.verify());
  assert.deepEqual(onDisk.hash, a.hash);
  await a.stop();
  const b = new Router(cfg, silentLogger());
  await b.start();
  assert.deepEqual(b.hash, a.hash);
  await b.stop();
});

test('RouterInfo is re-signed and rewritten only when what it says changes', async () => {
  let now = 1_764_000_000_000;
  const cfg = config({ 'ntcp2.enabled': false });
  const r = new Router(cfg, silentLogger(), () => now);
  await r.start();
  const first = r.routerInfo;
  assert.equal(await r.updateSettings({ bandwidth: 'L' }), false, 'no change, no new RouterInfo');
  assert.equal(r.routerInfo, first);
  now += 5;
  assert.equal(await r.updateSettings({ floodfill: true }), true);
  const second = RouterInfo.parse(readFileSync(join(cfg.datadir, 'router.info')));
  assert.match(second.caps, /f/);
  assert.ok(second.published > first.published);
  assert.ok(second.verify());
  // Even if the clock stepped back, the new RouterInfo is newer than the last one.
  now -= 60_000;
  assert.equal(await r.updateSettings({ host: '127.0.0.2' }), true);
  assert.ok(r.routerInfo.published > second.published);
  assert.equal(r.routerInfo.ntcp2()?.host, undefined, 'NTCP2 disabled: no NTCP2 address');
  await r.stop();
});

test('--reseed.zipfile fills the store with the verified RouterInfos of our network only', async () => {
  const good = [1, 2, 3].map(() => makeRouterInfo({ published: Date.now() - 1000, options: new Map([['netId', '99'], ['caps', 'XR']]) }));
  const wrongNet = makeRouterInfo({ published: Date.now() - 1000, options: new Map([['netId', '2']]) });
  const dir = mkdtempSync(join(tmpdir(), 'gg-zip-'));
  const zip = join(dir, 'seed.zip');
  writeFileSync(zip, await reseedZipOf([...good.map((g) => g.ri.raw), wrongNet.ri.raw]));
  const r = new Router(config({ 'ntcp2.enabled': false, 'reseed.zipfile': zip }), silentLogger());
  await r.start();
  assert.equal(r.store.size, 3);
  for (const g of good) assert.ok(r.store.getRouterInfo(g.ri.hash));
  assert.equal(r.store.rejected['wrong-netid'], 1);
  await r.stop();
});

test('a floodfill acknowledges a DatabaseStore sent right behind the handshake', async () => {
  // The first data frames can arrive with message 3; the session must already be registered so
  // the DeliveryStatus reply can go out through it.
  await withServerAndClient({ floodfill: true }, async (ff, client) => {
    assert.equal(await client.sendRouterInfoTo(ff.hash, 5_000), true);
    assert.equal(ff.counters.i2npOut.DeliveryStatus, 1);
    assert.ok(ff.store.getRouterInfo(client.hash), 'the floodfill stored the client RouterInfo');
  });
});

test('garlic addressed to the router is opened and its cloves handled (a DatabaseStore is acknowledged)', async () => {
  await withServerAndClient({ floodfill: true }, async (ff, client) => {
    const token = 4242;
    const store = client.newMessage(
      I2NPType.DatabaseStore,
      encodeDatabaseStore({ key: client.hash, type: DatabaseStoreType.RouterInfo, replyToken: token, replyTunnelId: 0, replyGateway: client.hash, routerInfo: client.routerInfo.raw }),
    );
    const garlic = client.newMessage(I2NPType.Garlic, sealGarlicForRouter(ff.keys.identity.encryptionPublicKey, [{ message: store }], Date.now()));
    const acked = new Promise<number>((resolve) => client.on('deliveryStatus', (ds: { msgId: number }) => resolve(ds.msgId)));
    assert.equal(client.send(ff.hash, [garlic]), true);
    assert.equal(await acked, token);
    // Garbage garlic is counted and dropped; the session lives on.
    client.send(ff.hash, [client.newMessage(I2NPType.Garlic, Buffer.concat([Buffer.from([0, 0, 0, 60]), Buffer.alloc(60, 7)]))]);
    await waitFor(() => Object.keys(ff.counters.i2npDropped).some((k) => k.startsWith('Garlic:')), 5_000, 'the bad garlic to be counted');
    assert.ok(ff.ntcp2!.session(client.hash), 'the session is still up');
  });
});

test('a floodfill refuses hostile netDb input, counts it, rate-limits lookup floods and keeps serving', async () => {
  await withServerAndClient({ floodfill: true }, async (ff, client) => {
    const ffCounters = (): Record<string, number> => (ff.netdb.counters.floodfill ?? {}) as Record<string, number>;
    const storeOf = (ri: RouterInfo | Buffer, key: Buffer, token = 0): ReturnType<typeof client.newMessage> =>
      client.newMessage(I2NPType.DatabaseStore, encodeDatabaseStore({ key, type: DatabaseStoreType.RouterInfo, replyToken: token, ...(token ? { replyTunnelId: 0, replyGateway: client.hash } : {}), routerInfo: Buffer.isBuffer(ri) ? ri : ri.raw }));
    // Forged: a valid RouterInfo with one byte of its identity padding changed (signature no longer matches).
    const good = makeRouterInfo({ published: Date.now() - 1000, options: new Map([['netId', '99'], ['caps', 'XR']]) });
    const forgedRaw = Buffer.from(good.ri.raw);
    forgedRaw[100] ^= 1;
    const forged = RouterInfo.parse(forgedRaw);
    const stale = makeRouterInfo({ published: Date.now() - 3 * 24 * 3600_000, options: new Map([['netId', '99']]) });
    const future = makeRouterInfo({ published: Date.now() + 3600_000, options: new Map([['netId', '99']]) });
    const oversized = makeRouterInfo({ published: Date.now() - 1000, options: new Map([['netId', '99'], ['pad', 'x'.repeat(250)], ['pad2', 'y'.repeat(250)], ['pad3', 'z'.repeat(250)], ['pad4', 'w'.repeat(250)], ['pad5', 'v'.repeat(250)], ['pad6', 'u'.repeat(250)], ['pad7', 't'.repeat(250)], ['pad8', 's'.repeat(250)], ['pad9', 'r'.repeat(250)], ['pada', 'q'.repeat(250)], ['padb', 'p'.repeat(250)], ['padc', 'o'.repeat(250)], ['padd', 'n'.repeat(250)], ['pade', 'm'.repeat(250)], ['padf', 'l'.repeat(250)], ['padg', 'k'.repeat(250)], ['padh', 'j'.repeat(250)]]) });
    assert.ok(oversized.ri.raw.length > 4096, 'the oversized RouterInfo is over the store limit');
    client.send(ff.hash, [storeOf(forged, forged.hash), storeOf(stale.ri, stale.ri.hash), storeOf(future.ri, future.ri.hash), storeOf(oversized.ri, oversized.ri.hash), storeOf(good.ri, Buffer.alloc(32, 9))]);
    // Lookups with bogus reply paths, then a flood of lookups.
    const lookup = (from: Buffer, replyTunnelId?: number): ReturnType<typeof client.newMessage> =>
      client.newMessage(I2NPType.DatabaseLookup, encodeDatabaseLookup({ key: randomBytes(32), from, lookupType: 2, excludedPeers: [], ...(replyTunnelId !== undefined ? { replyTunnelId } : {}) }));
    client.send(ff.hash, [lookup(Buffer.alloc(32)), lookup(ff.hash), lookup(client.hash, 0)]);
    const flood = Array.from({ length: 200 }, () => lookup(client.hash));
    client.send(ff.hash, flood);
    await waitFor(() => (ffCounters()['lookup.rateLimited'] ?? 0) > 0, 10_000, 'the lookup flood to be rate-limited', { context: () => JSON.stringify(ffCounters()) });
    const c = ffCounters();
    for (const reason of ['bad-signature', 'expired', 'future', 'too-large', 'key-mismatch']) {
      assert.equal(c[`store.routerInfo.rejected.${reason}`], 1, `store refused as ${reason}: ${JSON.stringify(c)}`);
    }
    for (const bogus of ['zeroFrom', 'fromUs', 'tunnelZero']) assert.equal(c[`lookup.bogus.${bogus}`], 1, `bogus reply path ${bogus}: ${JSON.stringify(c)}`);
    assert.ok((c['lookup.rateLimited'] ?? 0) >= 100, 'most of the 200-lookup flood was refused');
    for (const ri of [forged, stale.ri, future.ri, oversized.ri]) assert.equal(ff.store.getRouterInfo(ri.hash), undefined);
    // Still serving: a valid store with a reply token is stored and acknowledged.
    assert.equal(await client.sendRouterInfoTo(ff.hash, 5_000), true);
    assert.ok(ff.store.getRouterInfo(client.hash));
  });
});

test('a transit reply addressed to the router itself goes into its own inbound-gateway tunnel', async () => {
  await withServerAndClient({}, async (router, client) => {
    const hop = { identHash: router.hash, encryptionKey: router.keys.identity.encryptionPublicKey };
    // 1. An inbound tunnel whose gateway is `router`, delivering to `client`.
    const inbound = createTunnelBuild({ format: 'short', direction: 'inbound', hops: [hop], ourIdentHash: client.hash, replyTunnelId: 77, now: Date.now() });
    client.send(router.hash, [{ type: inbound.type, msgId: inbound.msgId, expiration: Date.now() + 60_000, payload: inbound.payload }]);
    await waitFor(() => router.transit.size === 1, 5_000, 'the inbound-gateway transit tunnel');
    const gatewayTunnelId = inbound.pending.hops[0]!.receiveTunnelId;
    // 2. An outbound tunnel whose endpoint is `router`, with its reply going to (router, that tunnel).
    const outbound = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [hop], ourIdentHash: client.hash, replyTunnelId: gatewayTunnelId, replyGateway: router.hash, now: Date.now() });
    client.send(router.hash, [{ type: outbound.type, msgId: outbound.msgId, expiration: Date.now() + 60_000, payload: outbound.payload }]);
    // The reply enters the gateway tunnel on `router` and comes out as TunnelData to `client`.
    await waitFor(() => (client.transit.counters.dropped['TunnelData:unknown-tunnel'] ?? 0) >= 1, 5_000, 'the reply to come out of the inbound tunnel at the client');
    assert.equal(router.transit.size, 2);
    assert.equal(router.counters.i2npOut['TunnelGateway:to-self'], 1);
  });
});
