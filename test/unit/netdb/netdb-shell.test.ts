import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { decodeDatabaseLookup, encodeDatabaseLookup, LookupType } from '../../../src/i2np/database-lookup.js';
import { decodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { decodeDatabaseSearchReply, encodeDatabaseSearchReply } from '../../../src/i2np/database-search-reply.js';
import { DatabaseStoreType, decodeDatabaseStore, encodeDatabaseStore } from '../../../src/i2np/database-store.js';
import { encodeDeliveryStatus } from '../../../src/i2np/delivery-status.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { FloodfillHandler } from '../../../src/netdb/floodfill.js';
import { closest, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDb, type NetDbOptions } from '../../../src/netdb/netdb.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { silentLogger } from '../../../src/util/log.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import { makeLeaseSet2 } from './make-lease-sets.js';
import { makeRouters, newMessage, routerOptions, SimNetwork, type SimRouter, T0 } from './netdb-sim.js';

interface Setup {
  net: SimNetwork;
  /** Simulated tunnels of ours (setup({ tunnels: true })). */
  tunnels: ReturnType<SimNetwork['tunnels']> | undefined;
  ffs: SimRouter[];
  others: SimRouter[];
  me: ReturnType<typeof makeRouterInfo>;
  store: NetDbStore;
  netdb: NetDb;
}

/** Simulated routers that all know each other, and our router knowing `known` of the floodfills. */
function setup(o: { floodfills?: number; others?: number; known?: (ffs: SimRouter[]) => SimRouter[]; opts?: Partial<NetDbOptions>; weAreFloodfill?: boolean; tunnels?: boolean } = {}): Setup {
  const net = new SimNetwork();
  const tunnels = o.tunnels ? net.tunnels(randomBytes(32), randomBytes(32), 77) : undefined;
  const ffs = makeRouters(o.floodfills ?? 8, true).map((t) => net.add(t, true));
  const others = makeRouters(o.others ?? 4, false).map((t) => net.add(t, false));
  net.meshAll();
  const me = makeRouterInfo({ options: routerOptions(o.weAreFloodfill ?? false), published: T0 - 1000 });
  const store = new NetDbStore({ netId: 99, ourHash: me.ri.hash, now: net.clock.now });
  for (const r of (o.known ?? ((f) => f))(ffs)) store.addRouterInfo(r.ri);
  const floodfill = o.weAreFloodfill
    ? new FloodfillHandler({ store, ourHash: me.ri.hash, now: net.clock.now, newMessage: newMessage(net.clock), log: silentLogger(), ourRouterInfo: () => me.ri })
    : undefined;
  const netdb = new NetDb({
    store,
    transport: net.transport(),
    ourHash: me.ri.hash,
    ourRouterInfo: () => me.ri,
    floodfill,
    now: net.clock.now,
    log: silentLogger(),
    newMessage: newMessage(net.clock),
    exploration: false,
    publishIntervalMs: 0,
    ...(tunnels ? { tunnels } : {}),
    ...o.opts,
  });
  // As the Router does: encrypted lookup replies first, then the netDb proper.
  net.attach(me.ri.hash, (m, from) => netdb.handleReplyGarlic(m) || netdb.handle(m, from));
  return { net, tunnels, ffs, others, me, store, netdb };
}

/** Floodfills ordered by distance to `key`'s routing key today. */
function byDistance(ffs: SimRouter[], key: Buffer): SimRouter[] {
  const order = closest(routingKey(key, T0), ffs.map((f) => f.ri), ffs.length);
  return order.map((ri) => ffs.find((f) => f.ri === ri)!);
}

/** Advances the clock in steps, running the NetDb's timers and the network, until `p` settles. */
async function runUntil<T>(s: Setup, p: Promise<T>, maxMs = 120_000, stepMs = 1000): Promise<T> {
  let settled = false;
  void p.then(() => (settled = true), () => (settled = true));
  await s.net.flush();
  for (let t = 0; t < maxMs && !settled; t += stepMs) {
    s.net.clock.t += stepMs;
    s.netdb.tick();
    await s.net.flush();
  }
  assert.ok(settled, 'did not settle in time');
  return p;
}

const msg = (type: number, payload: Buffer): I2NPMessage => ({ type, msgId: 1, expiration: T0 + 60_000, payload });

test('NetDb: a RouterInfo only the closest floodfill holds is found through search-reply hints and fetches', async () => {
  const s = setup({ floodfills: 8, known: (ffs) => ffs.slice(0, 1) });
  const target = s.others[0]!;
  const order = byDistance(s.ffs, target.hash);
  // Only the closest floodfill has it; the one we know is another.
  for (const f of s.ffs) if (f !== order[0]) f.store.removeRouterInfo(target.hash);
  const known = s.ffs[0]!;
  if (known === order[0]) order[0]!.store.removeRouterInfo(target.hash), order[1]!.store.addRouterInfo(target.ri);
  const holder = s.ffs.find((f) => f.store.getRouterInfo(target.hash))!;
  assert.ok(holder !== known);

  const ri = await runUntil(s, s.netdb.lookupRouterInfo(target.hash));
  assert.ok(ri, 'found');
  assert.deepEqual(ri.hash, target.hash);
  assert.equal(s.store.getRouterInfo(target.hash), ri, 'stored');
  const lookups = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup);
  assert.ok(lookups.some((l) => l.to.equals(holder.hash)), 'the holder was asked');
  // RouterInfo fetches of hinted floodfills went to the floodfill that named them.
  assert.ok(lookups.some((l) => l.to.equals(known.hash) && !decodeLookupKey(l.m).equals(target.hash)));
  assert.ok(s.store.floodfills().length > 1, 'floodfills learnt from hints are kept');
  const c = s.netdb.counters.lookups as Record<string, number>;
  assert.equal(c.found, 1);
  assert.ok(c.fetchesFound! >= 1, 'at least one hinted floodfill was fetched');
  // A known RouterInfo, and our own, need no network.
  const before = s.net.sent.length;
  assert.equal(await s.netdb.lookupRouterInfo(target.hash), ri);
  assert.equal(await s.netdb.lookupRouterInfo(s.me.ri.hash), s.me.ri);
  assert.equal(s.net.sent.length, before);
});

function decodeLookupKey(m: I2NPMessage): Buffer {
  return m.payload.subarray(0, 32);
}

test('NetDb: LeaseSet lookup; concurrent lookups of one key send one search', async () => {
  const s = setup();
  const ls = makeLeaseSet2({ now: T0 });
  const order = byDistance(s.ffs, ls.hash);
  assert.equal(order[2]!.store.addLeaseSet(3, ls.hash, ls.raw), true);
  const a = s.netdb.lookupLeaseSet(ls.hash);
  const b = s.netdb.lookupLeaseSet(ls.hash);
  const [ra, rb] = await runUntil(s, Promise.all([a, b]));
  assert.ok(ra && rb);
  assert.deepEqual(ra.raw, ls.raw);
  assert.equal(ra, rb);
  const lookups = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup);
  assert.ok(lookups.length <= 8, `bounded: ${lookups.length} lookups`);
  assert.equal((s.netdb.counters.lookups as Record<string, number>).merged, 1);
  // Now it is cached.
  assert.equal(await s.netdb.lookupLeaseSet(ls.hash), ra);
});

test('NetDb: an unknown key is not found after asking a bounded number of floodfills (one retry)', async () => {
  const s = setup({ floodfills: 20 });
  const r = await runUntil(s, s.netdb.lookupRouterInfo(randomBytes(32)));
  assert.equal(r, undefined);
  const c = s.netdb.counters.lookups as Record<string, number>;
  assert.equal(c.retried, 1);
  assert.equal(c.notFound, 1);
  const lookups = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup);
  assert.equal(lookups.length, 16, '8 floodfills per attempt, 2 attempts');
  assert.equal(new Set(lookups.map((l) => l.to.toString('hex'))).size, 16, 'the retry asked other floodfills');
});

test('NetDb: publish stores at the closest floodfill, is acknowledged, flooded, and verified at another', async () => {
  const s = setup({ opts: { publishVerifyDelayMs: 10_000 } });
  const result = await runUntil(s, s.netdb.publishRouterInfo());
  const order = byDistance(s.ffs, s.me.ri.hash);
  assert.equal(result.verified, true);
  assert.equal(result.storedAt.length, 1);
  const stores = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore);
  assert.equal(stores.length, 1);
  assert.ok(stores[0]!.to.equals(order[0]!.hash));
  const ds = decodeDatabaseStore(stores[0]!.m.payload);
  assert.ok(ds.replyToken !== 0 && ds.replyTunnelId === 0 && ds.replyGateway!.equals(s.me.ri.hash), 'reply token, direct reply to us');
  assert.deepEqual(ds.routerInfo, s.me.ri.raw);
  assert.ok(order[0]!.store.getRouterInfo(s.me.ri.hash), 'the floodfill stored it');
  assert.ok(order[1]!.store.getRouterInfo(s.me.ri.hash), 'and flooded it');
  const verify = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup);
  assert.equal(verify.length, 1);
  assert.ok(verify[0]!.to.equals(order[1]!.hash), 'verified at the closest other floodfill');
  assert.equal((s.netdb.counters.publish as Record<string, number>).verified, 1);
  assert.equal(s.store.getRouterInfo(s.me.ri.hash), undefined, 'our own RouterInfo is never stored');
});

test('NetDb: publish skips an unreachable floodfill and one that does not answer', async () => {
  const s = setup({ opts: { publishVerifyDelayMs: 10_000 } });
  const order = byDistance(s.ffs, s.me.ri.hash);
  order[0]!.online = false;
  order[1]!.silent = true;
  const result = await runUntil(s, s.netdb.publishRouterInfo());
  assert.equal(result.verified, true);
  const stores = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore).map((x) => x.to.toString('hex'));
  assert.deepEqual(stores, [order[1]!.hash, order[2]!.hash].map((h) => h.toString('hex')), 'the offline one could not even be sent to');
  const verify = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup);
  assert.ok(!verify[0]!.to.equals(order[2]!.hash));
});

test('NetDb: exploration learns routers we did not know, from the floodfill that named them', async () => {
  const s = setup({ floodfills: 4, others: 15, known: (ffs) => ffs.slice(0, 2) });
  const before = s.store.size;
  const learnt = await runUntil(s, s.netdb.explore(3));
  assert.ok(learnt > 0, 'learnt something');
  assert.equal(s.store.size, before + learnt, 'learnt routers are stored (each counted once)');
  const lookups = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup).map((l) => ({ to: l.to, lookup: l.m.payload }));
  const explorations = lookups.filter((l) => (l.lookup[64]! >> 2) === LookupType.Exploration);
  assert.equal(explorations.length, 3);
  for (const ri of s.store.routerInfos()) if (!ri.floodfill) assert.ok(s.others.some((o) => o.hash.equals(ri.hash)));
  // Repeated exploration keeps growing the store until nothing is left to learn.
  for (let i = 0; i < 10; i++) await runUntil(s, s.netdb.explore(3));
  assert.equal(s.store.size, 2 + 15, 'every non-floodfill ends up known (exploration never names floodfills)');
});

test('NetDb: start() explores on schedule while the store is small, and stop() ends everything', async () => {
  const s = setup({ floodfills: 3, others: 10, known: (ffs) => ffs.slice(0, 1), opts: { exploration: {}, exploreFirstDelayMs: 0 } });
  s.netdb.start();
  s.netdb.tick();
  await s.net.flush();
  assert.ok((s.netdb.counters.explorationsStarted as number) >= 8, '800/known explorations at once for a tiny store (at most 9)');
  assert.ok(s.store.size > 1);
  const pending = s.netdb.lookupRouterInfo(randomBytes(32));
  const publishing = s.netdb.publishRouterInfo();
  await s.netdb.stop();
  assert.equal(await pending, undefined);
  assert.equal((await publishing).verified, false);
  // After stop() nothing goes out any more.
  const sent = s.net.sent.length;
  assert.equal(await s.netdb.lookupRouterInfo(randomBytes(32)), undefined);
  assert.equal(await s.netdb.lookupLeaseSet(randomBytes(32)), undefined);
  assert.deepEqual(await s.netdb.publishRouterInfo(), { storedAt: [], verified: false });
  assert.equal(s.net.sent.length, sent);
});

test('NetDb: lookups time out on the NetDb\'s own timer, also without start()', async () => {
  const s = setup({ floodfills: 4, opts: { tickMs: 20, searchLimits: { maxPeers: 2, perPeerTimeoutMs: 50, totalTimeoutMs: 200 } } });
  for (const f of s.ffs) f.silent = true;
  s.net.clock.t = Date.now();
  const realClock = setInterval(() => (s.net.clock.t = Date.now()), 5);
  try {
    const p = s.netdb.lookupRouterInfo(randomBytes(32));
    await s.net.flush();
    assert.equal(await p, undefined);
    const c = s.netdb.counters.lookups as Record<string, number>;
    assert.equal(c.retried, 1);
    assert.equal(c.timeouts, 1, 'both attempts timed out: 2 floodfills each, all silent');
  } finally {
    clearInterval(realClock);
    await s.netdb.stop();
  }
});

test('NetDb: non-floodfill policy: lookups ignored, unsolicited LeaseSets dropped, direct RouterInfos stored', async () => {
  const s = setup();
  const peer = s.ffs[0]!;
  const lookup = encodeDatabaseLookup({ key: s.ffs[1]!.hash, from: peer.hash, lookupType: LookupType.RouterInfo, excludedPeers: [] });
  assert.equal(s.netdb.handle(msg(I2NPType.DatabaseLookup, lookup), peer.hash), true);
  await s.net.flush();
  assert.equal(s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseSearchReply).length + s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore).length, 0);
  const ls = makeLeaseSet2({ now: T0 });
  assert.equal(s.netdb.handle(msg(I2NPType.DatabaseStore, encodeDatabaseStore({ key: ls.hash, type: 3, replyToken: 0, leaseSet: ls.raw })), peer.hash), true);
  assert.equal(s.store.getLeaseSet(ls.hash), undefined);
  const newcomer = makeRouters(1, false)[0]!.ri;
  const riStore = msg(I2NPType.DatabaseStore, encodeDatabaseStore({ key: newcomer.hash, type: 0, replyToken: 0, routerInfo: newcomer.raw }));
  assert.equal(s.netdb.handle(riStore, undefined), true);
  assert.equal(s.store.getRouterInfo(newcomer.hash), undefined, 'not delivered by a peer: dropped');
  assert.equal(s.netdb.handle(riStore, peer.hash), true);
  assert.ok(s.store.getRouterInfo(newcomer.hash), 'delivered directly: stored');
  const dropped = s.netdb.counters.dropped as Record<string, number>;
  assert.equal(dropped['DatabaseLookup:not-floodfill'], 1);
  assert.equal(dropped['DatabaseStore:unsolicited'], 2);
  // A search reply nobody asked for, a DeliveryStatus that is not ours.
  assert.equal(s.netdb.handle(msg(I2NPType.DatabaseSearchReply, encodeDatabaseSearchReply({ key: randomBytes(32), peers: [], from: peer.hash })), peer.hash), true);
  assert.equal(dropped['DatabaseStore:unsolicited'], 2);
  assert.equal(s.netdb.handle(msg(I2NPType.DeliveryStatus, encodeDeliveryStatus({ msgId: 77, timestamp: T0 })), peer.hash), false);
  assert.equal(s.netdb.handle(msg(I2NPType.Garlic, Buffer.alloc(40)), peer.hash), false, 'not a netDb message');
});

test('NetDb: as a floodfill, lookups and stores go to the FloodfillHandler and its replies are sent', async () => {
  const s = setup({ weAreFloodfill: true });
  s.store.addRouterInfo(s.others[0]!.ri);
  const asker = s.ffs[3]!;
  const lookup = encodeDatabaseLookup({ key: s.others[0]!.hash, from: asker.hash, lookupType: LookupType.RouterInfo, excludedPeers: [] });
  s.netdb.handle(msg(I2NPType.DatabaseLookup, lookup), asker.hash);
  await s.net.flush();
  const replies = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore);
  assert.equal(replies.length, 1);
  assert.ok(replies[0]!.to.equals(asker.hash));
  // A store with a reply token: acknowledged and flooded.
  const fresh = makeRouters(1, false)[0]!.ri;
  s.netdb.handle(msg(I2NPType.DatabaseStore, encodeDatabaseStore({ key: fresh.hash, type: 0, replyToken: 99, replyTunnelId: 0, replyGateway: asker.hash, routerInfo: fresh.raw })), asker.hash);
  await s.net.flush();
  assert.ok(s.store.getRouterInfo(fresh.hash));
  const acks = s.net.sentBy(s.me.ri.hash, I2NPType.DeliveryStatus);
  assert.equal(acks.length, 1);
  assert.ok(acks[0]!.to.equals(asker.hash));
  assert.equal(s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore).length, 1 + 3, 'flooded to 3 floodfills');
  assert.ok((s.netdb.counters.floodfill as Record<string, number>)['lookup.received']! >= 1);
});

test('NetDb: garbage and truncated netDb messages are counted and dropped, never thrown', () => {
  const s = setup();
  const peer = s.ffs[0]!.hash;
  const ri = s.others[0]!.ri;
  const valid: [number, Buffer][] = [
    [I2NPType.DatabaseStore, encodeDatabaseStore({ key: ri.hash, type: DatabaseStoreType.RouterInfo, replyToken: 5, replyTunnelId: 0, replyGateway: peer, routerInfo: ri.raw })],
    [I2NPType.DatabaseLookup, encodeDatabaseLookup({ key: ri.hash, from: peer, lookupType: 2, excludedPeers: [peer] })],
    [I2NPType.DatabaseSearchReply, encodeDatabaseSearchReply({ key: ri.hash, peers: [peer, peer], from: peer })],
  ];
  let n = 0;
  for (const [type, payload] of valid) {
    for (let len = 0; len < payload.length; len += Math.max(1, Math.floor(payload.length / 40))) {
      assert.equal(s.netdb.handle(msg(type, payload.subarray(0, len)), peer), true);
      n++;
    }
    for (let i = 0; i < 50; i++) {
      assert.equal(s.netdb.handle(msg(type, randomBytes(i * 7)), peer), true);
      n++;
    }
  }
  // Structurally valid stores with bad contents.
  const other = s.others[1]!.ri;
  const mismatch = encodeDatabaseStore({ key: ri.hash, type: 0, replyToken: 0, routerInfo: other.raw });
  const badLs = encodeDatabaseStore({ key: randomBytes(32), type: 3, replyToken: 0, leaseSet: randomBytes(300) });
  const junkRi = encodeDatabaseStore({ key: ri.hash, type: 0, replyToken: 0, routerInfo: randomBytes(500) });
  const totalDropped = (): number => Object.values(s.netdb.counters.dropped as Record<string, number>).reduce((a, b) => a + b, 0);
  const before = totalDropped();
  for (const p of [mismatch, badLs, junkRi]) assert.equal(s.netdb.handle(msg(I2NPType.DatabaseStore, p), peer), true);
  assert.equal(totalDropped(), before + 3);
  const dropped = s.netdb.counters.dropped as Record<string, number>;
  assert.ok(before >= n - 5, `dropped ${before} of ${n}`);
  assert.equal(dropped['DatabaseStore:key-mismatch'], 1);
  assert.equal(s.store.getRouterInfo(ri.hash), undefined, 'nothing wrong got in');
  assert.equal(dropped['DatabaseStore:error'] ?? 0, 0, 'no unexpected exceptions');
  assert.equal(dropped['DatabaseSearchReply:error'] ?? 0, 0);
});

test('NetDb: a search answer that does not verify fails that floodfill and the search goes on', async () => {
  const s = setup({ floodfills: 6 });
  const target = s.others[1]!;
  const order = byDistance(s.ffs, target.hash);
  for (const f of order.slice(0, 3)) f.store.removeRouterInfo(target.hash);
  // The closest floodfill lies: it answers with another router's RouterInfo under the key.
  order[0]!.silent = true;
  const p = s.netdb.lookupRouterInfo(target.hash);
  const liar = s.others[2]!.ri;
  s.netdb.handle(msg(I2NPType.DatabaseStore, encodeDatabaseStore({ key: target.hash, type: 0, replyToken: 0, routerInfo: liar.raw })), order[0]!.hash);
  const ri = await runUntil(s, p);
  assert.ok(ri?.hash.equals(target.hash));
  assert.equal((s.netdb.counters.lookups as Record<string, number>).badStores, 1);
});

test('NetDb: a search reply is credited to the peer that delivered it, not the unauthenticated from field', async () => {
  const s = setup({ floodfills: 4 });
  for (const f of s.ffs) f.silent = true;
  const key = randomBytes(32);
  const p = s.netdb.lookupRouterInfo(key);
  await s.net.flush();
  const asked = s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup)[0]!.to;
  const stranger = randomBytes(32);
  // Claims to come from a floodfill we asked, delivered by a stranger: not a reply.
  s.netdb.handle(msg(I2NPType.DatabaseSearchReply, encodeDatabaseSearchReply({ key, peers: [], from: asked })), stranger);
  assert.equal((s.netdb.counters.lookups as Record<string, number>).searchRepliesUnmatched, 1);
  await s.netdb.stop();
  assert.equal(await p, undefined);
  void decodeDatabaseSearchReply;
});

// ---- Through our tunnels (issue 4, item 5) --------------------------------------------------------

test('NetDb through tunnels: lookups leave our outbound tunnel garlic-wrapped; encrypted replies to our inbound tunnel find the entry via hints', async () => {
  const s = setup({ floodfills: 8, known: (ffs) => ffs.slice(0, 1), tunnels: true });
  const target = s.others[0]!;
  const order = byDistance(s.ffs, target.hash);
  for (const f of s.ffs) if (f !== order[0]) f.store.removeRouterInfo(target.hash);
  const known = s.ffs[0]!;
  if (known === order[0]) order[0]!.store.removeRouterInfo(target.hash), order[1]!.store.addRouterInfo(target.ri);

  const ri = await runUntil(s, s.netdb.lookupRouterInfo(target.hash));
  assert.ok(ri?.hash.equals(target.hash), 'found through search-reply hints, fetches and the holder, all by tunnel');
  assert.equal(s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup).length, 0, 'no lookup went direct');
  const viaTunnel = s.net.sent.filter((x) => s.tunnels!.replyTunnel()!.gateway !== x.to && x.m.type === I2NPType.Garlic && !x.from.equals(s.me.ri.hash));
  assert.ok(viaTunnel.length >= 2, 'garlic left our outbound endpoint');
  // What the floodfills saw: a lookup whose replies go to our inbound tunnel, ECIES-encrypted.
  const seen = s.ffs.flatMap((f) => f.received.filter((m) => m.type === I2NPType.DatabaseLookup).map((m) => decodeDatabaseLookup(m.payload)));
  assert.ok(seen.length >= 2);
  for (const l of seen) {
    assert.equal(l.replyTunnelId, 77);
    assert.deepEqual(l.from, s.tunnels!.replyTunnel()!.gateway);
    assert.equal(l.replyEncryption?.kind, 'ecies');
  }
  const c = s.netdb.counters;
  assert.equal(c.lookupsDirect, 0);
  assert.equal(c.lookupsThroughTunnels, seen.length);
  const replies = c.tunnelReplies as Record<string, number>;
  assert.ok(replies.opened! >= 2, 'encrypted replies opened');
  const l = c.lookups as Record<string, number>;
  assert.equal(l.found, 1);
  assert.ok(l.searchRepliesMatched! >= 1 && l.fetchesFound! >= 1, 'search replies matched to the floodfill asked (by reply key), hints fetched');
});

test('NetDb through tunnels: publish goes out by tunnel, the DeliveryStatus comes back to our inbound tunnel, verification by tunnel too', async () => {
  const s = setup({ tunnels: true, opts: { publishVerifyDelayMs: 10_000 } });
  const result = await runUntil(s, s.netdb.publishRouterInfo());
  assert.equal(result.verified, true);
  assert.equal(s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseStore).length, 0, 'no store went direct');
  const order = byDistance(s.ffs, s.me.ri.hash);
  const ds = order[0]!.received.filter((m) => m.type === I2NPType.DatabaseStore).map((m) => decodeDatabaseStore(m.payload));
  assert.equal(ds.length, 1);
  assert.equal(ds[0]!.replyTunnelId, 77, 'the DeliveryStatus is to go to our inbound tunnel');
  assert.deepEqual(ds[0]!.replyGateway, s.tunnels!.replyTunnel()!.gateway);
  assert.equal(s.netdb.counters.storesThroughTunnels, 1);
  assert.equal(s.netdb.counters.storesDirect, 0);
});

test('NetDb through tunnels: without an inbound tunnel (or a way out) lookups and stores go direct', async () => {
  const s = setup({ tunnels: true, opts: { publishVerifyDelayMs: 10_000 } });
  s.tunnels!.available = false;
  const target = s.others[0]!;
  assert.ok(await runUntil(s, s.netdb.lookupRouterInfo(target.hash)));
  assert.ok(s.net.sentBy(s.me.ri.hash, I2NPType.DatabaseLookup).length >= 1);
  assert.equal(s.netdb.counters.lookupsThroughTunnels, 0);
  assert.equal((await runUntil(s, s.netdb.publishRouterInfo())).verified, true);
  assert.equal(s.netdb.counters.storesDirect, 1);
});

test('NetDb through tunnels: a reply garlic is opened once; replays, tampering and unknown tags are counted, never thrown', async () => {
  const s = setup({ floodfills: 3, tunnels: true });
  // Capture the reply the floodfill sends instead of letting it arrive.
  const target = s.others[0]!;
  const p = s.netdb.lookupRouterInfo(target.hash);
  await s.net.flush();
  assert.ok(await p);
  const toGateway = s.net.sent.filter((x) => x.to.equals(s.tunnels!.replyTunnel()!.gateway));
  assert.ok(toGateway.length >= 1);
  const garlic = decodeTunnelGateway(toGateway[0]!.m.payload).message;
  assert.equal(garlic.type, I2NPType.Garlic);
  // Replayed: the key was used up.
  assert.equal(s.netdb.handleReplyGarlic(garlic), false, 'a used tag is not ours any more');
  // Unknown tag, tampered body, garbage: not ours / dropped, no throw.
  const tampered = { ...garlic, payload: Buffer.from(garlic.payload) };
  tampered.payload[tampered.payload.length - 1]! ^= 1;
  assert.equal(s.netdb.handleReplyGarlic(tampered), false);
  assert.equal(s.netdb.handleReplyGarlic({ ...garlic, payload: Buffer.alloc(3) }), false);
  // A fresh lookup's reply with a flipped byte: its tag is ours, the AEAD fails, it is dropped.
  s.store.removeRouterInfo(target.hash);
  const before = s.net.sent.length;
  for (const f of s.ffs) f.silent = true;
  const q = s.netdb.lookupRouterInfo(target.hash);
  await s.net.flush();
  const lookup = s.net.sent.slice(before).find((x) => x.m.type === I2NPType.Garlic)!;
  const dest = s.net.get(lookup.to)!;
  dest.silent = false;
  const ff = dest.handler!;
  const seen = dest.received.at(-1)!;
  const out = ff.onDatabaseLookup(decodeDatabaseLookup(seen.payload), lookup.from);
  const reply = decodeTunnelGateway(out[0]!.message.payload).message;
  reply.payload[reply.payload.length - 5]! ^= 0x40;
  assert.equal(s.netdb.handleReplyGarlic(reply), true, 'our tag: consumed');
  assert.deepEqual(s.netdb.counters.dropped, { 'Garlic:reply-aead': 1 }, 'counted as a failed AEAD');
  for (const f of s.ffs) f.silent = false;
  await runUntil(s, q);
});
