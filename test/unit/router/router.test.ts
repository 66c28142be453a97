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
import { sealGarlicForRouter } from '../../../src/garlic/router-garlic.js';
import { waitFor } from '../../interop/testnet.js';

function config(extra: Partial<RouterConfig> = {}): RouterConfig {
  return { ...defaultConfig('/nonexistent'), datadir: mkdtempSync(join(tmpdir(), 'gg-router-')), netid: 99, host: '127.0.0.1', port: 0, 'reseed.urls': [], ...extra };
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
  const ff = new Router(config({ floodfill: true, port: 0 }), silentLogger());
  await ff.start();
  // Port 0: the OS picks one; publish what was bound.
  await ff.updateSettings({ port: ff.ntcp2!.boundPort });
  const client = new Router(config({ port: 0 }), silentLogger());
  await client.start();
  try {
    await client.connect(ff.routerInfo);
    assert.equal(await client.sendRouterInfoTo(ff.hash, 5_000), true);
    assert.equal(ff.counters.i2npOut.DeliveryStatus, 1);
    assert.ok(ff.store.getRouterInfo(client.hash), 'the floodfill stored the client RouterInfo');
  } finally {
    await client.stop();
    await ff.stop();
  }
});

test('garlic addressed to the router is opened and its cloves handled (a DatabaseStore is acknowledged)', async () => {
  const ff = new Router(config({ floodfill: true, port: 0 }), silentLogger());
  await ff.start();
  await ff.updateSettings({ port: ff.ntcp2!.boundPort });
  const client = new Router(config({ port: 0 }), silentLogger());
  await client.start();
  try {
    await client.connect(ff.routerInfo);
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
  } finally {
    await client.stop();
    await ff.stop();
  }
});
