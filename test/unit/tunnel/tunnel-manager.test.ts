/**
 * TunnelManager against a simulated network of our own transit hops (TransitManager over
 * TunnelBuildHop, router garlic opening): builds, replies, tunnel ends and tests, end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeDeliveryStatus, encodeDeliveryStatus } from '../../../src/i2np/delivery-status.js';
import { encodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import type { OwnTunnelInfo, TunnelTestEvent } from '../../../src/tunnel/tunnel-manager.js';
import { EXPLORATORY_POOL_DEFAULTS, poolConfigFromOptions, type TunnelPoolConfig } from '../../../src/tunnel/tunnel-pool.js';
import { SimNetwork, seededRandom, type SimNode } from './pool-sim.js';

const TEN_MIN = 600_000;

function network(hops: number): { net: SimNetwork; us: SimNode; routers: SimNode[] } {
  const net = new SimNetwork();
  const us = net.addRouter('us');
  const routers = Array.from({ length: hops }, (_, i) => net.addRouter(`r${i}`));
  return { net, us, routers };
}

function config(length: number, quantity: number): TunnelPoolConfig {
  return { ...EXPLORATORY_POOL_DEFAULTS, inboundLength: length, outboundLength: length, inboundQuantity: quantity, outboundQuantity: quantity };
}

function names(net: SimNetwork, t: OwnTunnelInfo): string[] {
  return t.hops.map((h) => net.node(h)!.name);
}

for (const length of [1, 2, 3]) {
  test(`bootstrap: ${length}-hop exploratory tunnels both ways through our transit hops, then tested`, () => {
    const { net, us, routers } = network(5);
    const m = net.addManager(us, { exploratory: config(length, 2) }, seededRandom(length));
    const built: OwnTunnelInfo[] = [];
    const tested: TunnelTestEvent[] = [];
    m.on('tunnelBuilt', (t: OwnTunnelInfo) => built.push(t));
    m.on('tunnelTested', (e: TunnelTestEvent) => tested.push(e));
    m.tick();
    net.run();
    assert.equal(built.length, 4, JSON.stringify(m.counters));
    const { inbound, outbound } = m.exploratoryTunnels();
    assert.equal(inbound.length, 2);
    assert.equal(outbound.length, 2);
    for (const t of [...inbound, ...outbound]) {
      assert.equal(t.hops.length, length);
      assert.ok(!t.hops.some((h) => h.equals(us.hash)), 'never through ourselves');
      assert.equal(new Set(names(net, t)).size, length, 'no router twice');
      assert.equal(t.expiresAt, net.now + TEN_MIN);
    }
    // Bootstrap: outbound replies came back to zero-hop ids of ours (TunnelGateway straight to us).
    assert.ok(net.trace.some((e) => e.to === 'us' && e.type === I2NPType.TunnelGateway), 'zero-hop replies');
    // Inbound replies: the last hop sent the build message itself to us.
    assert.ok(net.trace.some((e) => e.to === 'us' && e.type === I2NPType.ShortTunnelBuild));
    const accepted = routers.reduce((n, r) => n + r.transit.counters.accepted, 0);
    assert.equal(accepted, 4 * length, 'every hop carries one transit tunnel per tunnel of ours');

    // The next tick tests every new tunnel: DeliveryStatus out through one, back through the other.
    net.step(us, 100);
    assert.equal(tested.length, 2);
    assert.ok(tested.every((e) => e.ok && e.outbound !== undefined && e.inbound !== undefined && e.rttMs === 0));
    const c = m.counters;
    assert.deepEqual(c.tests, { started: 2, succeeded: 2, failed: 0 });
    assert.equal(c.builds.succeeded, 4);
    assert.ok(inbound.every((t) => m.exploratoryTunnels().inbound.find((x) => x.id === t.id)!.latencyMs === 0));
    for (const r of routers) {
      const prof = m.profiles.get(r.hash, net.now);
      if (prof) assert.equal(prof.rejected + prof.timedOut + prof.testsFailed, 0);
    }
    assert.deepEqual(us.unhandled, [], 'nothing of ours fell through to the transit role');
    assert.deepEqual(c.dropped, {});
  });
}

test('messages through our tunnels: out of an outbound tunnel, into an inbound one, out to the router', () => {
  const { net, us } = network(6);
  const m = net.addManager(us, { exploratory: config(2, 1) }, seededRandom(7));
  m.tick();
  net.run();
  const [inb] = m.exploratoryTunnels().inbound;
  assert.ok(inb);
  assert.equal(m.replyTunnel()?.tunnelId, inb.gatewayTunnelId);
  assert.ok(m.replyTunnel()?.gateway.equals(inb.gateway));
  const msgId = 0x1234_5678;
  const status: I2NPMessage = { type: I2NPType.DeliveryStatus, msgId, expiration: net.now + 60_000, payload: encodeDeliveryStatus({ msgId, timestamp: net.now }) };
  assert.equal(m.sendThroughTunnel(status, { kind: 'tunnel', tunnelId: inb.gatewayTunnelId, gateway: inb.gateway }), true);
  net.run();
  assert.equal(us.local.length, 1, 'not a test of ours: handed to the router');
  assert.equal(decodeDeliveryStatus(us.local[0]!.payload).msgId, msgId);
  // A large message is fragmented and reassembled on the way.
  const big: I2NPMessage = { type: I2NPType.Data, msgId: 99, expiration: net.now + 60_000, payload: randomBytes(5000) };
  assert.equal(m.sendThroughTunnel(big, { kind: 'tunnel', tunnelId: inb.gatewayTunnelId, gateway: inb.gateway }), true);
  net.run();
  assert.equal(us.local.length, 2);
  assert.deepEqual(us.local[1]!.payload, big.payload);
  // ROUTER delivery at the outbound endpoint.
  const target = net.nodes.get([...net.nodes.keys()].find((k) => net.nodes.get(k)!.name === 'r5')!)!;
  assert.equal(m.sendThroughTunnel({ ...status, msgId: 5 }, { kind: 'router', hash: target.hash }), true);
  net.run();
  assert.ok(target.unhandled.some((x) => x.type === I2NPType.DeliveryStatus && x.msgId === 5));
  assert.equal(m.counters.messages.sent, 3);
  assert.ok(m.counters.messages.received >= 2);
  assert.equal(m.sendThroughTunnel({ ...big, payload: randomBytes(64_000) }, { kind: 'router', hash: target.hash }), false, 'too large to fragment');
  assert.equal(m.counters.dropped['outbound:too-large'], 1);
});

test('client pools: built and tested beside the exploratory pool; what reaches their inbound tunnels goes to the pool, not the router; close() drops them', () => {
  const { net, us } = network(6);
  const m = net.addManager(us, { exploratory: config(1, 1) }, seededRandom(5));
  const got: { m: I2NPMessage; tunnelId: number }[] = [];
  const client = m.createClientPool(poolConfigFromOptions('client', { 'inbound.length': 2, 'outbound.length': 2, 'inbound.quantity': 2, 'outbound.quantity': 1 }), (msg, tunnelId) => got.push({ m: msg, tunnelId }));
  m.tick();
  net.run();
  net.step(us, 100);
  const { inbound, outbound } = client.tunnels();
  assert.equal(inbound.length, 2);
  assert.equal(outbound.length, 1);
  for (const t of [...inbound, ...outbound]) assert.equal(t.hops.length, 2);
  assert.equal(m.exploratoryTunnels().inbound.length, 1, 'the exploratory pool has its own');
  const ids = new Set([...inbound, ...outbound, ...m.exploratoryTunnels().inbound, ...m.exploratoryTunnels().outbound].map((t) => t.id));
  assert.equal(ids.size, 5, 'tunnel ids are unique across pools');
  const c = m.counters.clients;
  assert.deepEqual({ pools: c.pools, inbound: c.inbound, outbound: c.outbound }, { pools: 1, inbound: 2, outbound: 1 });
  assert.ok(c.testsSucceeded >= 1 && c.testsFailed === 0, JSON.stringify(c));
  // From the client's outbound tunnel into its own inbound tunnel: the pool gets it, the router does not.
  const msgId = 0x4242;
  const status: I2NPMessage = { type: I2NPType.DeliveryStatus, msgId, expiration: net.now + 60_000, payload: encodeDeliveryStatus({ msgId, timestamp: net.now }) };
  assert.equal(client.send(status, { kind: 'tunnel', tunnelId: inbound[0]!.gatewayTunnelId, gateway: inbound[0]!.gateway }), true);
  net.run();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.m.msgId, msgId);
  assert.equal(got[0]!.tunnelId, inbound[0]!.receiveTunnelId);
  assert.equal(us.local.length, 0, 'nothing leaked to the router');
  assert.equal(m.counters.messages.deliveredClient, 1);
  // Closed: no tunnels, nothing built any more, the exploratory pool untouched.
  client.close();
  assert.deepEqual(client.tunnels(), { inbound: [], outbound: [] });
  assert.equal(m.counters.clients.pools, 0);
  const started = m.counters.builds.started;
  net.step(us, TEN_MIN);
  assert.equal(client.pool.counters.buildsStarted, 3, 'a closed pool builds nothing more');
  assert.ok(m.counters.builds.started > started, 'the exploratory pool went on');
});

test('replacements are built through our tunnels (garlic-wrapped inbound builds) before the old ones expire', () => {
  const { net, us } = network(6);
  const m = net.addManager(us, { exploratory: config(2, 2) }, seededRandom(11));
  const expired: number[] = [];
  m.on('tunnelExpired', (id: number) => expired.push(id));
  m.tick();
  net.run();
  const first = m.exploratoryTunnels();
  const firstIds = [...first.inbound, ...first.outbound].map((t) => t.id);
  assert.equal(firstIds.length, 4);
  net.step(us, 100); // tests
  net.trace.length = 0;
  // 91 s before expiry nothing happens; at 89 s, replacements.
  net.step(us, TEN_MIN - 100 - 91_000);
  assert.equal(m.counters.builds.started, 4);
  net.step(us, 2_000);
  assert.equal(m.counters.builds.started, 8);
  assert.equal(m.counters.builds.succeeded, 8, JSON.stringify(m.counters));
  // Outbound builds replied through an inbound tunnel (TunnelData to us), no zero-hop TunnelGateway.
  assert.ok(!net.trace.some((e) => e.to === 'us' && e.type === I2NPType.TunnelGateway), 'no zero-hop replies any more');
  // Only the two outbound builds left us as build messages: the inbound ones went out through an
  // outbound tunnel, garlic-encrypted to their first hop (unless that hop is the tunnel's endpoint).
  assert.equal(net.trace.filter((e) => e.from === 'us' && e.type === I2NPType.ShortTunnelBuild).length, 2);
  const garlicToHops = net.trace.filter((e) => e.type === I2NPType.Garlic && e.to !== 'us' && e.from !== 'us');
  assert.ok(garlicToHops.length >= 1 && garlicToHops.length <= 2, JSON.stringify(net.trace));
  assert.equal(m.exploratoryTunnels().inbound.length, 4, 'old and new side by side until the last minute');
  net.step(us, 30_000);
  const now = m.exploratoryTunnels();
  assert.equal(now.inbound.length, 2, 'in their last minute the old ones are no longer handed out');
  assert.ok([...now.inbound, ...now.outbound].every((t) => !firstIds.includes(t.id)));
  net.step(us, 59_000);
  assert.deepEqual(expired.sort(), firstIds.sort());
  assert.equal(m.counters.tunnels.expired, 4);
  assert.equal(m.exploratoryTunnels().outbound.length, 2);
  // The replacements pass their tests too.
  const before = m.counters.tests.succeeded;
  net.step(us, 30_000);
  assert.ok(m.counters.tests.succeeded > before);
  assert.equal(m.counters.tests.failed, 0);
});

test('a hop that refuses is profiled and left out; with too few good peers no build is tried', () => {
  const net = new SimNetwork();
  const us = net.addRouter('us');
  const a = net.addRouter('a');
  const b = net.addRouter('b');
  const refuser = net.addRouter('refuser', { maxTransit: 0 });
  const m = net.addManager(us, { exploratory: config(3, 1) }, seededRandom(3));
  m.tick();
  net.run();
  assert.equal(m.counters.builds.rejected, 2, 'both builds needed the refuser');
  const p = m.profiles.get(refuser.hash, net.now)!;
  assert.equal(p.rejected, 2);
  assert.equal(m.profiles.get(a.hash, net.now)!.accepted, 2);
  assert.equal(refuser.transit.counters.rejected.limit, 2);
  net.step(us, 5_000);
  assert.equal(m.counters.builds.started, 2, 'three good peers are needed, two are known');
  assert.ok(m.counters.builds.noPeers >= 2);
  // The refuser is forgiven after 150 s; it still refuses.
  net.step(us, 150_000);
  assert.equal(m.counters.builds.started, 4);
  assert.equal(m.counters.builds.rejected, 4);
  assert.ok(b.transit.counters.accepted >= 2);
});

test('unanswered builds time out and count against the hops; a late reply is recognised and dropped', () => {
  const { net, us, routers } = network(3);
  const m = net.addManager(us, { exploratory: config(1, 1) }, seededRandom(5));
  for (const r of routers) r.hold = true;
  m.tick();
  net.run();
  assert.equal(m.counters.builds.started, 2);
  net.step(us, 29_000);
  assert.equal(m.counters.builds.timedOut, 0);
  net.step(us, 1_000);
  assert.equal(m.counters.builds.timedOut, 2);
  const noAnswers = routers.reduce((n, r) => n + (m.profiles.get(r.hash, net.now)?.timedOut ?? 0), 0);
  assert.ok(Math.abs(noAnswers - 2) < 1e-9, `one no-answer per hop asked (${noAnswers})`);
  // The hops wake up and answer: the inbound build's reply is ours but late; the outbound one's
  // zero-hop id is gone, so its TunnelGateway is left to the transit role (unknown tunnel).
  for (const r of routers) net.release(r);
  assert.equal(m.counters.builds.late, 1);
  assert.equal(m.counters.builds.succeeded, 0);
  assert.ok(!us.unhandled.some((x) => x.type === I2NPType.ShortTunnelBuild), 'the late reply is not passed on');
  assert.equal(us.transit.counters.dropped['TunnelGateway:unknown-tunnel'], 1);
  assert.deepEqual(m.counters.dropped, {});
});

test('a tunnel whose hop goes away fails its tests twice and is replaced', () => {
  const { net, us } = network(5);
  const m = net.addManager(us, { exploratory: config(1, 1) }, seededRandom(21));
  const results: TunnelTestEvent[] = [];
  m.on('tunnelTested', (e: TunnelTestEvent) => results.push(e));
  m.tick();
  net.run();
  const [inb] = m.exploratoryTunnels().inbound;
  assert.ok(inb);
  const gone = net.node(inb.hops[0]!)!;
  gone.blackhole = true;
  net.step(us, 100); // test 1 sent
  net.step(us, 15_000); // times out
  assert.equal(results.at(-1)!.ok, false);
  net.step(us, 15_000); // test 2 sent
  net.step(us, 15_000); // times out: failed
  assert.equal(m.counters.tests.failed, 2);
  assert.equal(m.counters.tunnels.failed >= 1, true);
  assert.ok(!m.exploratoryTunnels().inbound.some((t) => t.id === inb.id), 'the failed tunnel is not handed out');
  assert.ok(m.profiles.get(gone.hash, net.now)!.testsFailed >= 2);
  // A replacement is built (if it picks the dead hop again, that build times out and another follows).
  for (let i = 0; i < 60 && m.exploratoryTunnels().inbound.length === 0; i++) net.step(us, 5_000);
  const fresh = m.exploratoryTunnels().inbound;
  assert.equal(fresh.length, 1, JSON.stringify(m.counters));
  assert.notEqual(fresh[0]!.id, inb.id);
  assert.ok(!fresh[0]!.hops[0]!.equals(gone.hash));
});

test('hostile input: only our own messages are claimed; garbage for our ids is dropped and counted', () => {
  const { net, us } = network(4);
  const m = net.addManager(us, { exploratory: config(1, 1) }, seededRandom(8));
  m.tick();
  net.run();
  const [inb] = m.exploratoryTunnels().inbound;
  assert.ok(inb?.receiveTunnelId);
  const msg = (type: number, payload: Buffer, msgId = 1): I2NPMessage => ({ type, msgId, expiration: net.now + 1000, payload });
  const received = m.counters.messages.received;
  // Not ours: left to the transit role and the router.
  assert.equal(m.handle(msg(I2NPType.TunnelData, randomBytes(1028))), false);
  assert.equal(m.handle(msg(I2NPType.TunnelData, randomBytes(2))), false);
  assert.equal(m.handle(msg(I2NPType.TunnelGateway, encodeTunnelGateway({ tunnelId: 77, message: msg(I2NPType.Data, randomBytes(10)) }))), false);
  assert.equal(m.handle(msg(I2NPType.ShortTunnelBuild, randomBytes(1 + 4 * 218))), false);
  assert.equal(m.handle(msg(I2NPType.OutboundTunnelBuildReply, randomBytes(1 + 4 * 218))), false);
  assert.equal(m.handle(msg(I2NPType.Garlic, randomBytes(100))), false);
  assert.equal(m.handle(msg(I2NPType.DeliveryStatus, encodeDeliveryStatus({ msgId: 5, timestamp: 0 }))), false);
  assert.equal(m.handle(msg(I2NPType.DeliveryStatus, randomBytes(3))), false);
  assert.equal(m.handle(msg(I2NPType.DatabaseStore, randomBytes(50))), false);
  // TunnelData for our inbound tunnel with garbage inside: claimed, fails the checksum, counted by the endpoint.
  const junk = randomBytes(1028);
  junk.writeUInt32BE(inb.receiveTunnelId, 0);
  assert.equal(m.handle(msg(I2NPType.TunnelData, junk)), true);
  const short = Buffer.alloc(600);
  short.writeUInt32BE(inb.receiveTunnelId, 0);
  assert.equal(m.handle(msg(I2NPType.TunnelData, short)), true);
  assert.equal(m.counters.messages.received, received);
  // The tunnel still works afterwards.
  net.step(us, 100);
  assert.equal(m.counters.tests.succeeded, 1);
});

test('start() ticks on a timer and stop() forgets everything', async () => {
  const { net, us } = network(4);
  const m = net.addManager(us, { exploratory: config(1, 1), tickIntervalMs: 5 }); // the default (crypto) random source
  m.start();
  m.start();
  assert.equal(m.counters.builds.started, 2, 'start() ticks at once');
  net.run();
  net.now += 100;
  await new Promise((r) => setTimeout(r, 30));
  net.run();
  assert.ok(m.counters.tests.started >= 1, 'the timer ran the tests');
  m.stop();
  assert.deepEqual(m.exploratoryTunnels(), { inbound: [], outbound: [] });
  assert.deepEqual(m.exploratory.all(), [], 'the pool forgets the tunnels too');
  const probe = randomBytes(1028);
  assert.equal(m.handle({ type: I2NPType.TunnelData, msgId: 1, expiration: 0, payload: probe }), false);
});
