/**
 * Floodfill benchmark: lookups answered per second by FloodfillHandler over a 5,000-router
 * netDb (RouterInfo hit, miss -> DatabaseSearchReply, exploration, ECIES- and AES-encrypted
 * replies through a tunnel) and stores handled per second (new RouterInfos and LeaseSet2s with a
 * reply token: parse, signature check, store, ack, flood to 3). Also: opening garlic to our
 * router (Noise N, what every tunnelled lookup costs before it reaches the handler).
 */
import { performance } from 'node:perf_hooks';
import { X25519KeyPair, randomBytes } from '../src/crypto/index.js';
import type { Mapping } from '../src/data/mapping.js';
import { RouterInfo } from '../src/data/router-info.js';
import { I2NPType, type I2NPMessage } from '../src/i2np/message.js';
import { LookupType, type DatabaseLookup } from '../src/i2np/database-lookup.js';
import { DatabaseStoreType, type DatabaseStore } from '../src/i2np/database-store.js';
import { encodeDatabaseLookup } from '../src/i2np/database-lookup.js';
import { RouterGarlicReceiver, sealGarlicForRouter } from '../src/garlic/router-garlic.js';
import { silentLogger } from '../src/util/log.js';
import { NetDbStore } from '../src/netdb/netdb-store.js';
import { FloodfillHandler } from '../src/netdb/floodfill.js';
import { makeRouterInfo } from '../test/unit/data/make-router-info.js';
import { makeLeaseSet2 } from '../test/unit/netdb/make-lease-sets.js';

const ROUTERS = 5000;
const FLOODFILL_SHARE = 0.1;
const STORES = 1000;

function opts(caps: string): Mapping {
  return new Map([
    ['caps', caps],
    ['netId', '99'],
    ['router.version', '0.9.57'],
  ]);
}

/** Runs `op` for about `ms` milliseconds; operations per second. */
function rate(op: (i: number) => void, ms = 1000): number {
  for (let i = 0; i < 50; i++) op(i);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) op(n++);
  return Math.round(n / ((performance.now() - t0) / 1000));
}

/** Each of `items` handled once; items per second. */
function once<T>(items: T[], op: (x: T) => void): number {
  const t0 = performance.now();
  for (const x of items) op(x);
  return Math.round(items.length / ((performance.now() - t0) / 1000));
}

export async function benchFloodfill(): Promise<Record<string, number | string>> {
  const now = Date.now();
  const us = makeRouterInfo({ published: now - 60_000 });
  const store = new NetDbStore({ netId: 99, ourHash: us.ri.hash, now: () => Date.now(), maxRouterInfos: 20_000, maxMemoryBytes: 1 << 30 });
  const known: RouterInfo[] = [];
  for (let i = 0; i < ROUTERS; i++) {
    const ri = makeRouterInfo({ published: now - 60_000, options: opts(i < ROUTERS * FLOODFILL_SHARE ? 'XfR' : 'XR') }).ri;
    store.addRouterInfo(ri, { verified: true });
    known.push(ri);
  }
  let msgId = 1;
  const ff = new FloodfillHandler({
    store,
    ourHash: us.ri.hash,
    now: Date.now,
    newMessage: (type: I2NPType, payload: Buffer): I2NPMessage => ({ type, msgId: msgId++, expiration: Date.now() + 60_000, payload }),
    log: silentLogger(),
    maxLookupsPerPeerPerMinute: Number.POSITIVE_INFINITY,
    ourRouterInfo: () => us.ri,
  });
  const requester = randomBytes(32);
  const gateway = randomBytes(32);
  const keys = Array.from({ length: 1024 }, () => randomBytes(32));
  const lookup = (key: Buffer, lookupType: number, extra: Partial<DatabaseLookup> = {}): DatabaseLookup => ({ key, from: requester, lookupType, excludedPeers: [], ...extra });
  const viaTunnel = (key: Buffer, lookupType: number, replyEncryption?: DatabaseLookup['replyEncryption']): DatabaseLookup =>
    lookup(key, lookupType, { from: gateway, replyTunnelId: 1234, ...(replyEncryption ? { replyEncryption } : {}) });
  const ecies = { kind: 'ecies' as const, key: randomBytes(32), tags: [randomBytes(8)] };
  const aes = { kind: 'aes' as const, key: randomBytes(32), tags: [randomBytes(32)] };
  const ls = makeLeaseSet2({ now });
  store.addLeaseSet(3, ls.hash, ls.raw);

  const riHit = rate((i) => ff.onDatabaseLookup(lookup(known[i % ROUTERS]!.hash, LookupType.RouterInfo), requester));
  const riMiss = rate((i) => ff.onDatabaseLookup(lookup(keys[i & 1023]!, LookupType.RouterInfo, { excludedPeers: [randomBytes(32), randomBytes(32)] }), requester));
  const exploration = rate((i) => ff.onDatabaseLookup(lookup(keys[i & 1023]!, LookupType.Exploration), requester));
  const lsHitEcies = rate(() => ff.onDatabaseLookup(viaTunnel(ls.hash, LookupType.LeaseSet, ecies), requester));
  const riMissEcies = rate((i) => ff.onDatabaseLookup(viaTunnel(keys[i & 1023]!, LookupType.RouterInfo, ecies), requester));
  const riHitEcies = rate((i) => ff.onDatabaseLookup(viaTunnel(known[i % ROUTERS]!.hash, LookupType.RouterInfo, ecies), requester));
  const riMissAes = rate((i) => ff.onDatabaseLookup(viaTunnel(keys[i & 1023]!, LookupType.RouterInfo, aes), requester));

  // What a tunnelled lookup costs before the handler: Noise-N garlic to our router key.
  const routerKey = X25519KeyPair.generate();
  const rx = new RouterGarlicReceiver({ key: routerKey, maxReplayEntries: 1 << 20 });
  const lookupMsg: I2NPMessage = { type: I2NPType.DatabaseLookup, msgId: 1, expiration: now + 60_000, payload: encodeDatabaseLookup(viaTunnel(keys[0]!, LookupType.LeaseSet, ecies)) };
  const garlics = Array.from({ length: 3000 }, () => sealGarlicForRouter(routerKey.publicKey, [{ message: lookupMsg }], now));
  const garlicOpen = once(garlics, (g) => rx.open(g, Date.now()));

  // Stores: fresh RouterInfos (gzip'd on the wire, inflated by the codec before us) and LeaseSet2s.
  const newRis = Array.from({ length: STORES }, () => makeRouterInfo({ published: Date.now() - 1000, options: opts('XR') }).ri);
  const riStores: DatabaseStore[] = newRis.map((ri) => ({ key: ri.hash, type: DatabaseStoreType.RouterInfo, replyToken: 7, replyTunnelId: 99, replyGateway: gateway, routerInfo: ri.raw }));
  let flooded = 0;
  const riStoresPerSec = once(riStores, (ds) => {
    const r = ff.onDatabaseStore(ds, requester);
    if (r.result !== true) throw new Error(`store refused: ${r.result}`);
    flooded += r.out.length - 1;
  });
  const lsList = Array.from({ length: STORES }, () => makeLeaseSet2({ now: Date.now() }));
  const lsStores: DatabaseStore[] = lsList.map((l) => ({ key: l.hash, type: DatabaseStoreType.LeaseSet2, replyToken: 7, replyTunnelId: 99, replyGateway: gateway, leaseSet: l.raw }));
  const lsStoresPerSec = once(lsStores, (ds) => {
    const r = ff.onDatabaseStore(ds, requester);
    if (r.result !== true) throw new Error(`store refused: ${r.result}`);
  });

  return {
    routers: ROUTERS,
    floodfills: store.counts.floodfills,
    lookupRouterInfoHitPerSec: riHit,
    lookupRouterInfoMissSearchReplyPerSec: riMiss,
    lookupExplorationPerSec: exploration,
    lookupLeaseSetHitEciesTunnelPerSec: lsHitEcies,
    lookupRouterInfoHitEciesTunnelPerSec: riHitEcies,
    lookupRouterInfoMissEciesTunnelPerSec: riMissEcies,
    lookupRouterInfoMissAesTunnelPerSec: riMissAes,
    routerGarlicOpenPerSec: garlicOpen,
    storeRouterInfoWithAckAndFloodPerSec: riStoresPerSec,
    storeLeaseSet2WithAckAndFloodPerSec: lsStoresPerSec,
    floodsPerRouterInfoStore: Math.round((flooded / STORES) * 100) / 100,
  };
}
