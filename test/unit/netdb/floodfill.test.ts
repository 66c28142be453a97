import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import type { Mapping } from '../../../src/data/mapping.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { LookupType, type DatabaseLookup } from '../../../src/i2np/database-lookup.js';
import { DatabaseStoreType, decodeDatabaseStore, encodeDatabaseStore, type DatabaseStore } from '../../../src/i2np/database-store.js';
import { decodeDatabaseSearchReply } from '../../../src/i2np/database-search-reply.js';
import { decodeDeliveryStatus } from '../../../src/i2np/delivery-status.js';
import { decodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { localMessages, openOneTimeReply } from '../../../src/garlic/one-time-reply.js';
import { openSessionTagReply } from '../../../src/garlic/session-tag-reply.js';
import { AuthenticationError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';
import { closest, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { FloodfillHandler, type OutboundI2NP } from '../../../src/netdb/floodfill.js';
import { makeRouterInfo, type TestRouter } from '../data/make-router-info.js';
import { T0, makeLeaseSet2 } from './make-lease-sets.js';

const NOW = T0; // mid-day UTC: no next-day routing key in play
const MIN = 60_000;

function opts(caps: string): Mapping {
  return new Map([
    ['caps', caps],
    ['netId', '99'],
    ['router.version', '0.9.57'],
  ]);
}

interface World {
  store: NetDbStore;
  ff: FloodfillHandler;
  us: TestRouter;
  floodfills: RouterInfo[];
  others: RouterInfo[];
  clock: { now: number };
}

/** A store with `nff` floodfills and `nother` non-floodfills, and a handler for "us". */
function world(nff = 12, nother = 12, extra: Partial<ConstructorParameters<typeof FloodfillHandler>[0]> = {}): World {
  const us = makeRouterInfo({ published: NOW - MIN });
  const clock = { now: NOW };
  const store = new NetDbStore({ netId: 99, ourHash: us.ri.hash, now: () => clock.now });
  const floodfills = Array.from({ length: nff }, () => makeRouterInfo({ published: NOW - MIN, options: opts('XfR') }).ri);
  const others = Array.from({ length: nother }, () => makeRouterInfo({ published: NOW - MIN, options: opts('XR') }).ri);
  for (const ri of [...floodfills, ...others]) assert.equal(store.addRouterInfo(ri), true);
  let id = 1;
  const ff = new FloodfillHandler({
    store,
    ourHash: us.ri.hash,
    now: () => clock.now,
    newMessage: (type, payload): I2NPMessage => ({ type, msgId: id++, expiration: clock.now + MIN, payload }),
    log: silentLogger(),
    ourRouterInfo: () => us.ri,
    ...extra,
  });
  return { store, ff, us, floodfills, others, clock };
}

const hexes = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex')).sort();

function directLookup(key: Buffer, from: Buffer, lookupType: number, excludedPeers: Buffer[] = []): DatabaseLookup {
  return { key, from, lookupType, excludedPeers };
}

function only(out: OutboundI2NP[]): OutboundI2NP {
  assert.equal(out.length, 1);
  return out[0]!;
}

test('RouterInfo lookup: DatabaseStore when we have it, directly to the requester', () => {
  const w = world();
  const requester = randomBytes(32);
  const target = w.others[3]!;
  const o = only(w.ff.onDatabaseLookup(directLookup(target.hash, requester, LookupType.RouterInfo), requester));
  assert.deepEqual(o.to, requester);
  assert.equal(o.message.type, I2NPType.DatabaseStore);
  const ds = decodeDatabaseStore(o.message.payload);
  assert.deepEqual(ds.key, target.hash);
  assert.equal(ds.type, DatabaseStoreType.RouterInfo);
  assert.equal(ds.replyToken, 0);
  assert.deepEqual(ds.routerInfo, target.raw);
  assert.equal(w.ff.counters['lookup.routerInfo.found'], 1);
  assert.equal(w.ff.counters['reply.direct'], 1);
});

test('RouterInfo lookup miss: DatabaseSearchReply with the 3 closest floodfills, excluded peers left out', () => {
  const w = world(20);
  const requester = randomBytes(32);
  const key = randomBytes(32);
  const rk = routingKey(key, NOW);
  const best = closest(rk, w.floodfills, 3);
  const excluded = [best[0]!.hash, randomBytes(32)];
  const o = only(w.ff.onDatabaseLookup(directLookup(key, requester, LookupType.RouterInfo, excluded), requester));
  assert.equal(o.message.type, I2NPType.DatabaseSearchReply);
  const dsrm = decodeDatabaseSearchReply(o.message.payload);
  assert.deepEqual(dsrm.key, key);
  assert.deepEqual(dsrm.from, w.us.ri.hash);
  const expected = closest(rk, w.floodfills, 3, new Set([best[0]!.hash.toString('hex')])).map((r) => r.hash);
  assert.deepEqual(dsrm.peers, expected, 'closest first, the excluded floodfill replaced by the next one');
  assert.equal(w.ff.counters['lookup.routerInfo.searchReply'], 1);
});

test('lookup of our own hash answers with our RouterInfo (the store never holds it)', () => {
  const w = world();
  const requester = randomBytes(32);
  for (const t of [LookupType.RouterInfo, LookupType.Any]) {
    const ds = decodeDatabaseStore(only(w.ff.onDatabaseLookup(directLookup(w.us.ri.hash, requester, t), requester)).message.payload);
    assert.deepEqual(ds.routerInfo, w.us.ri.raw);
  }
  assert.equal(w.ff.counters['lookup.routerInfo.ours'], 1);
  assert.equal(w.ff.counters['lookup.any.ours'], 1);
  // A LeaseSet lookup of the same key is not a RouterInfo lookup.
  const o = only(w.ff.onDatabaseLookup(directLookup(w.us.ri.hash, requester, LookupType.LeaseSet), requester));
  assert.equal(o.message.type, I2NPType.DatabaseSearchReply);
});

test('LeaseSet lookup: DatabaseStore of the LeaseSet2 until it expires, then a search reply; Any finds both kinds', () => {
  const w = world();
  const requester = randomBytes(32);
  const ls = makeLeaseSet2({ now: NOW });
  assert.equal(w.store.addLeaseSet(3, ls.hash, ls.raw), true);
  const o = only(w.ff.onDatabaseLookup(directLookup(ls.hash, requester, LookupType.LeaseSet), requester));
  const ds = decodeDatabaseStore(o.message.payload);
  assert.equal(ds.type, DatabaseStoreType.LeaseSet2);
  assert.deepEqual(ds.leaseSet, ls.raw);
  const anyLs = decodeDatabaseStore(only(w.ff.onDatabaseLookup(directLookup(ls.hash, requester, LookupType.Any), requester)).message.payload);
  assert.deepEqual(anyLs.leaseSet, ls.raw);
  const anyRi = decodeDatabaseStore(only(w.ff.onDatabaseLookup(directLookup(w.others[0]!.hash, requester, LookupType.Any), requester)).message.payload);
  assert.deepEqual(anyRi.routerInfo, w.others[0]!.raw);
  // A RouterInfo lookup does not return a LeaseSet.
  assert.equal(only(w.ff.onDatabaseLookup(directLookup(ls.hash, requester, LookupType.RouterInfo), requester)).message.type, I2NPType.DatabaseSearchReply);
  // Past its expiry (10 minutes) the store still holds it until expire() runs; we do not serve it.
  w.clock.now = NOW + 11 * MIN;
  assert.ok(w.store.getLeaseSet(ls.hash));
  assert.equal(only(w.ff.onDatabaseLookup(directLookup(ls.hash, requester, LookupType.LeaseSet), requester)).message.type, I2NPType.DatabaseSearchReply);
  assert.equal(w.ff.counters['lookup.leaseSet.found'], 1);
  assert.equal(w.ff.counters['lookup.leaseSet.searchReply'], 1);
});

test('exploration: non-floodfill routers closest to the key, also when asked the old way (all-zero excluded hash), never a DatabaseStore', () => {
  const w = world(10, 20);
  const requester = randomBytes(32);
  const key = w.others[5]!.hash; // even a router we know: exploration does not return it as a store
  const rk = routingKey(key, NOW);
  const skip = closest(rk, w.others, 1)[0]!;
  const expected = closest(rk, w.others, 3, new Set([skip.hash.toString('hex')])).map((r) => r.hash);

  const viaType = decodeDatabaseSearchReply(only(w.ff.onDatabaseLookup(directLookup(key, requester, LookupType.Exploration, [skip.hash]), requester)).message.payload);
  assert.deepEqual(viaType.peers, expected);
  const viaZero = decodeDatabaseSearchReply(
    only(w.ff.onDatabaseLookup(directLookup(key, requester, LookupType.RouterInfo, [Buffer.alloc(32), skip.hash]), requester)).message.payload,
  );
  assert.deepEqual(viaZero.peers, expected);
  const ffHashes = new Set(w.floodfills.map((r) => r.hash.toString('hex')));
  assert.ok(viaType.peers.every((p) => !ffHashes.has(p.toString('hex'))));
  assert.equal(w.ff.counters['lookup.exploration.searchReply'], 2);
  // With no non-floodfill routers at all the reply is empty but still sent.
  const lonely = world(5, 0);
  assert.deepEqual(decodeDatabaseSearchReply(only(lonely.ff.onDatabaseLookup(directLookup(key, requester, LookupType.Exploration), requester)).message.payload).peers, []);
});

test('reply to a tunnel: TunnelGateway(replyTunnelId, reply) handed to the gateway', () => {
  const w = world();
  const gateway = randomBytes(32);
  const obep = randomBytes(32);
  const l: DatabaseLookup = { ...directLookup(w.others[1]!.hash, gateway, LookupType.RouterInfo), replyTunnelId: 0x01020304 };
  const o = only(w.ff.onDatabaseLookup(l, obep));
  assert.deepEqual(o.to, gateway);
  assert.equal(o.message.type, I2NPType.TunnelGateway);
  const tg = decodeTunnelGateway(o.message.payload);
  assert.equal(tg.tunnelId, 0x01020304);
  assert.equal(tg.message.type, I2NPType.DatabaseStore);
  assert.deepEqual(decodeDatabaseStore(tg.message.payload).routerInfo, w.others[1]!.raw);
  assert.equal(w.ff.counters['reply.tunnel'], 1);
});

test('ECIES-encrypted reply (flag bits 4,1 = 1,0): Garlic one-time-key message through the tunnel; the requester decrypts it', () => {
  const w = world();
  const gateway = randomBytes(32);
  const key = randomBytes(32);
  const tag = randomBytes(8);
  const ls = makeLeaseSet2({ now: NOW });
  assert.equal(w.store.addLeaseSet(3, ls.hash, ls.raw), true);
  for (const lookupKey of [ls.hash, randomBytes(32)]) {
    const l: DatabaseLookup = { ...directLookup(lookupKey, gateway, LookupType.LeaseSet), replyTunnelId: 77, replyEncryption: { kind: 'ecies', key, tags: [tag] } };
    const tg = decodeTunnelGateway(only(w.ff.onDatabaseLookup(l, randomBytes(32))).message.payload);
    assert.equal(tg.message.type, I2NPType.Garlic);
    const [inner] = localMessages(openOneTimeReply(key, tag, tg.message.payload));
    if (lookupKey === ls.hash) assert.deepEqual(decodeDatabaseStore(inner!.payload).leaseSet, ls.raw);
    else assert.equal(inner!.type, I2NPType.DatabaseSearchReply);
    const tampered = Buffer.from(tg.message.payload);
    tampered[30]! ^= 4;
    assert.throws(() => openOneTimeReply(key, tag, tampered), AuthenticationError);
  }
  // Direct replies are encrypted too when asked.
  const requester = randomBytes(32);
  const direct = only(w.ff.onDatabaseLookup({ ...directLookup(ls.hash, requester, LookupType.LeaseSet), replyEncryption: { kind: 'ecies', key, tags: [tag] } }, requester));
  assert.equal(direct.message.type, I2NPType.Garlic);
  assert.equal(w.ff.counters['reply.encrypted.ecies'], 3);
});

test('AES-encrypted reply (flag bits 4,1 = 0,1): ElGamal/AES session-tag garlic with the first tag', () => {
  const w = world();
  const gateway = randomBytes(32);
  const key = randomBytes(32);
  const tags = [randomBytes(32), randomBytes(32)];
  const l: DatabaseLookup = { ...directLookup(w.others[2]!.hash, gateway, LookupType.RouterInfo), replyTunnelId: 5, replyEncryption: { kind: 'aes', key, tags } };
  const tg = decodeTunnelGateway(only(w.ff.onDatabaseLookup(l, randomBytes(32))).message.payload);
  assert.equal(tg.message.type, I2NPType.Garlic);
  const set = openSessionTagReply(key, tags[0]!, tg.message.payload);
  assert.deepEqual(decodeDatabaseStore(set.cloves[0]!.message.payload).routerInfo, w.others[2]!.raw);
  assert.equal(w.ff.counters['reply.encrypted.aes'], 1);
});

test('bogus reply paths are dropped and counted', () => {
  const w = world();
  const peer = randomBytes(32);
  const key = w.others[0]!.hash;
  const cases: [DatabaseLookup, Buffer | undefined, string][] = [
    [directLookup(Buffer.alloc(32), peer, LookupType.RouterInfo), peer, 'zeroKey'],
    [directLookup(key, Buffer.alloc(32), LookupType.RouterInfo), peer, 'zeroFrom'],
    [directLookup(key, w.us.ri.hash, LookupType.RouterInfo), w.us.ri.hash, 'fromUs'],
    [{ ...directLookup(key, peer, LookupType.RouterInfo), replyTunnelId: 0 }, peer, 'tunnelZero'],
    [directLookup(key, randomBytes(32), LookupType.RouterInfo), peer, 'directToThirdParty'],
  ];
  for (const [l, by, reason] of cases) {
    assert.deepEqual(w.ff.onDatabaseLookup(l, by), [], reason);
    assert.equal(w.ff.counters[`lookup.bogus.${reason}`], 1, reason);
  }
  // A direct lookup we did not get from a transport peer (undefined) is answered to `from`.
  assert.equal(w.ff.onDatabaseLookup(directLookup(key, peer, LookupType.RouterInfo), undefined).length, 1);
});

test('rate limit per delivering router: excess dropped and counted, other routers unaffected, recovers with time, bounded table', () => {
  const w = world(6, 6, { maxLookupsPerPeerPerMinute: 5, maxTrackedPeers: 50 });
  const obep = randomBytes(32);
  const ask = (by: Buffer, gw = randomBytes(32)): number => w.ff.onDatabaseLookup({ ...directLookup(randomBytes(32), gw, LookupType.RouterInfo), replyTunnelId: 9 }, by).length;
  let answered = 0;
  for (let i = 0; i < 8; i++) answered += ask(obep);
  assert.equal(answered, 5);
  assert.equal(w.ff.counters['lookup.rateLimited'], 3);
  assert.equal(ask(randomBytes(32)), 1, 'another router');
  w.clock.now += 30_000; // still within a minute of the burst
  assert.equal(ask(obep), 0);
  w.clock.now += 100_000; // the burst has slid out of the window
  for (let i = 0; i < 5; i++) assert.equal(ask(obep), 1);
  assert.equal(ask(obep), 0);
  // Direct lookups are limited per requester.
  const requester = randomBytes(32);
  let direct = 0;
  for (let i = 0; i < 7; i++) direct += w.ff.onDatabaseLookup(directLookup(randomBytes(32), requester, LookupType.RouterInfo), requester).length;
  assert.equal(direct, 5);
  // Many distinct peers: the table stays bounded and keeps working.
  for (let i = 0; i < 200; i++) assert.equal(ask(randomBytes(32)), 1);
  assert.ok((w.ff.counters['lookup.rateTableEvicted'] ?? 0) > 0);
});

function riStore(ri: RouterInfo, replyToken = 0, replyTunnelId = 0, replyGateway?: Buffer): DatabaseStore {
  const ds: DatabaseStore = { key: ri.hash, type: DatabaseStoreType.RouterInfo, replyToken, routerInfo: ri.raw };
  if (replyToken !== 0) {
    ds.replyTunnelId = replyTunnelId;
    ds.replyGateway = replyGateway ?? randomBytes(32);
  }
  return ds;
}

test('store with a reply token: stored, acknowledged directly, flooded to the 3 closest floodfills (not us, the sender, or the entry itself)', () => {
  const w = world(15, 3);
  const publisher = makeRouterInfo({ published: NOW - MIN, options: opts('XfR') }).ri; // a floodfill publishing itself
  const rk = routingKey(publisher.hash, NOW);
  const sender = closest(rk, w.floodfills, 1)[0]!.hash; // handed to us by the closest floodfill
  const { result, out } = w.ff.onDatabaseStore(riStore(publisher, 0xabcdef01, 0, publisher.hash), sender);
  assert.equal(result, true);
  assert.deepEqual(w.store.getRouterInfo(publisher.hash)?.raw, publisher.raw);
  const [ack, ...floods] = out;
  assert.deepEqual(ack!.to, publisher.hash);
  assert.equal(ack!.message.type, I2NPType.DeliveryStatus);
  assert.deepEqual(decodeDeliveryStatus(ack!.message.payload), { msgId: 0xabcdef01, timestamp: NOW });
  const expected = closest(rk, w.store.floodfills(), 3, new Set([sender.toString('hex'), publisher.hash.toString('hex'), w.us.ri.hash.toString('hex')]));
  assert.deepEqual(hexes(floods.map((f) => f.to)), hexes(expected.map((r) => r.hash)));
  for (const f of floods) {
    assert.equal(f.message.type, I2NPType.DatabaseStore);
    const ds = decodeDatabaseStore(f.message.payload);
    assert.equal(ds.replyToken, 0, 'floods carry no reply token');
    assert.deepEqual(ds.routerInfo, publisher.raw);
  }
  assert.equal(new Set(floods.map((f) => f.message.msgId)).size, 3, 'one message id per flood');
  assert.equal(w.ff.counters['flood.sent'], 3);
  assert.equal(w.ff.counters['store.ack.direct'], 1);

  // The same again ("older"): acknowledged, not flooded.
  const again = w.ff.onDatabaseStore(riStore(publisher, 5, 0, publisher.hash), sender);
  assert.equal(again.result, 'older');
  assert.deepEqual(again.out.map((o) => o.message.type), [I2NPType.DeliveryStatus]);
});

test('store without a reply token (a flood): stored, neither acknowledged nor flooded again', () => {
  const w = world();
  const ri = makeRouterInfo({ published: NOW - MIN }).ri;
  const r = w.ff.onDatabaseStore(riStore(ri), randomBytes(32));
  assert.equal(r.result, true);
  assert.deepEqual(r.out, []);
  assert.ok(w.store.getRouterInfo(ri.hash));
  assert.equal(w.ff.counters['flood.sent'], undefined);
});

test('LeaseSet2 store with a tunnel reply: DeliveryStatus wrapped in TunnelGateway to the reply gateway, flooded on', () => {
  const w = world(8, 2);
  const ls = makeLeaseSet2({ now: NOW });
  const gw = randomBytes(32);
  const ds: DatabaseStore = { key: ls.hash, type: DatabaseStoreType.LeaseSet2, replyToken: 1234, replyTunnelId: 4321, replyGateway: gw, leaseSet: ls.raw };
  const { result, out } = w.ff.onDatabaseStore(ds, randomBytes(32));
  assert.equal(result, true);
  const [ack, ...floods] = out;
  assert.deepEqual(ack!.to, gw);
  const tg = decodeTunnelGateway(ack!.message.payload);
  assert.equal(tg.tunnelId, 4321);
  assert.equal(tg.message.type, I2NPType.DeliveryStatus);
  assert.equal(decodeDeliveryStatus(tg.message.payload).msgId, 1234);
  assert.equal(floods.length, 3);
  const flooded = decodeDatabaseStore(floods[0]!.message.payload);
  assert.equal(flooded.type, DatabaseStoreType.LeaseSet2);
  assert.deepEqual(flooded.leaseSet, ls.raw);
  assert.equal(w.ff.counters['store.leaseSet.accepted'], 1);
  assert.equal(w.ff.counters['store.ack.tunnel'], 1);
});

test('invalid stores: rejected with the store reason, never acknowledged nor flooded', () => {
  const w = world();
  const gw = randomBytes(32);
  const good = makeRouterInfo({ published: NOW - MIN }).ri;
  const forged = Buffer.from(good.raw);
  forged[forged.indexOf('198.18.0.7') + 9]! ^= 1; // another host address: parses, same identity, bad signature
  const ls = makeLeaseSet2({ now: NOW });
  const big = makeRouterInfo({ published: NOW - MIN, options: new Map([...opts('XR'), ...Array.from({ length: 17 }, (_, i): [string, string] => [`pad${i}`, 'x'.repeat(250)])]) }).ri;
  const cases: [DatabaseStore, string][] = [
    [{ ...riStore(good, 1, 0, gw), routerInfo: forged }, 'bad-signature'],
    [{ ...riStore(good, 1, 0, gw), key: randomBytes(32) }, 'key-mismatch'],
    [{ ...riStore(good, 1, 0, gw), routerInfo: randomBytes(300) }, 'malformed'],
    [{ ...riStore(good, 1, 0, gw), key: Buffer.alloc(32) }, 'zero-key'],
    [riStore(big, 1, 0, gw), 'too-large'],
    [riStore(makeRouterInfo({ published: NOW - 30 * 60 * MIN }).ri, 1, 0, gw), 'expired'],
    [riStore(w.us.ri, 1, 0, gw), 'ourselves'],
    [{ key: randomBytes(32), type: DatabaseStoreType.LeaseSet2, replyToken: 1, replyTunnelId: 0, replyGateway: gw, leaseSet: ls.raw }, 'key-mismatch'],
    [{ key: ls.hash, type: DatabaseStoreType.LeaseSet2, replyToken: 1, replyTunnelId: 0, replyGateway: gw, leaseSet: ls.raw.subarray(0, 50) }, 'malformed'],
  ];
  for (const [ds, reason] of cases) {
    const r = w.ff.onDatabaseStore(ds, randomBytes(32));
    assert.equal(r.result, reason);
    assert.deepEqual(r.out, [], reason);
  }
  assert.equal(w.ff.counters['store.routerInfo.rejected.bad-signature'], 1);
  assert.equal(w.ff.counters['store.routerInfo.rejected.too-large'], 1);
  assert.equal(w.ff.counters['store.leaseSet.rejected.malformed'], 1);
  // The codec refuses an oversized gzip'd RouterInfo before it gets here.
  assert.throws(() => decodeDatabaseStore(encodeDatabaseStore({ key: good.hash, type: 0, replyToken: 0, routerInfo: Buffer.alloc(70_000) })));
});

test('stores that came down one of our tunnels: reply fields ignored, not flooded; bogus ack gateways are not used', () => {
  const w = world();
  const ri = makeRouterInfo({ published: NOW - MIN }).ri;
  const r = w.ff.onDatabaseStore(riStore(ri, 9, 0, randomBytes(32)), undefined, { viaTunnel: true });
  assert.equal(r.result, true);
  assert.deepEqual(r.out, []);
  assert.equal(w.ff.counters['store.viaTunnelReplyIgnored'], 1);
  const ri2 = makeRouterInfo({ published: NOW - MIN }).ri;
  const toZero = w.ff.onDatabaseStore(riStore(ri2, 9, 0, Buffer.alloc(32)), randomBytes(32));
  assert.equal(toZero.out.filter((o) => o.message.type === I2NPType.DeliveryStatus).length, 0);
  assert.equal(toZero.out.length, 3, 'still flooded');
  const ri3 = makeRouterInfo({ published: NOW - MIN }).ri;
  const toUs = w.ff.onDatabaseStore(riStore(ri3, 9, 0, w.us.ri.hash), randomBytes(32));
  assert.ok(toUs.out.every((o) => o.message.type === I2NPType.DatabaseStore));
  assert.equal(w.ff.counters['store.ack.bogus'], 2);
});

test('near UTC midnight a new entry is also flooded to the floodfills of the next day\'s routing key', () => {
  const w = world(30, 2);
  const beforeMidnight = Date.UTC(2025, 10, 24, 23, 55, 0);
  w.clock.now = beforeMidnight;
  const ls = makeLeaseSet2({ now: beforeMidnight });
  const ds: DatabaseStore = { key: ls.hash, type: DatabaseStoreType.LeaseSet2, replyToken: 1, replyTunnelId: 0, replyGateway: randomBytes(32), leaseSet: ls.raw };
  const sender = randomBytes(32);
  const floods = w.ff.onDatabaseStore(ds, sender).out.filter((o) => o.message.type === I2NPType.DatabaseStore);
  const today = closest(routingKey(ls.hash, beforeMidnight), w.store.floodfills(), 3).map((r) => r.hash.toString('hex'));
  const tomorrow = closest(routingKey(ls.hash, beforeMidnight + 10 * MIN), w.store.floodfills(), 6).map((r) => r.hash.toString('hex'));
  const got = new Set(floods.map((f) => f.to.toString('hex')));
  assert.ok(today.every((h) => got.has(h)), "today's closest");
  const extra = [...got].filter((h) => !today.includes(h));
  assert.ok(extra.length >= 1 && extra.length <= 3 && extra.every((h) => tomorrow.includes(h)), "the rest are tomorrow's closest");
  assert.equal(got.size, floods.length, 'no router twice');
});

test('a RouterInfo served twice is gzip-encoded once (cached per RouterInfo object)', () => {
  const w = world();
  const requester = randomBytes(32);
  const a = only(w.ff.onDatabaseLookup(directLookup(w.others[0]!.hash, requester, LookupType.RouterInfo), requester)).message.payload;
  const b = only(w.ff.onDatabaseLookup(directLookup(w.others[0]!.hash, requester, LookupType.RouterInfo), requester)).message.payload;
  assert.equal(a, b);
  assert.ok(RouterInfo.parse(decodeDatabaseStore(a).routerInfo!).verify());
});
