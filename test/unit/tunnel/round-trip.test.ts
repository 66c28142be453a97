/**
 * Whole data path: gateway → n transit hops → endpoint, with the real layer crypto, in both
 * orientations — outbound (we are the gateway; transit participants and an outbound endpoint
 * deliver) and inbound (a transit inbound gateway and participants; we are the endpoint).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeTunnelGateway, encodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { gatewayMessage, maxGatewayMessageLength } from '../../../src/tunnel/gateway-fragmenter.js';
import { TransitTunnel, type TransitRole } from '../../../src/tunnel/participant.js';
import type { SendAction } from '../../../src/tunnel/send-action.js';
import { InboundTunnelEndpoint, OutboundTunnelGateway, type HopKeys } from '../../../src/tunnel/tunnel-ends.js';
import type { TunnelDeliveryInstructions } from '../../../src/tunnel/tunnel-message.js';
import { i2npOfLength } from './data-path-helpers.js';

const NOW = 1_700_000_000_000;
const us = randomBytes(32);

interface Path {
  keys: HopKeys[];
  routers: Buffer[];
  ids: number[];
}

function path(n: number): Path {
  return {
    keys: Array.from({ length: n }, () => ({ layerKey: randomBytes(32), ivKey: randomBytes(32) })),
    routers: Array.from({ length: n }, () => randomBytes(32)),
    ids: Array.from({ length: n + 1 }, () => 1 + randomBytes(4).readUInt32BE(0) % 0xfffffffe),
  };
}

function hops(p: Path, roleOf: (i: number) => TransitRole, lastNext: Buffer): TransitTunnel[] {
  return p.keys.map((k, i) => new TransitTunnel({
    role: roleOf(i),
    receiveTunnelId: p.ids[i]!,
    nextTunnelId: p.ids[i + 1]!,
    nextIdent: i + 1 < p.routers.length ? p.routers[i + 1]! : lastNext,
    ...k,
    createdAt: NOW,
  }));
}

/** Runs actions through the hops: each action must go to the next hop's router. */
function relay(p: Path, transit: TransitTunnel[], actions: SendAction[], from: number): SendAction[] {
  for (let i = from; i < transit.length; i++) {
    const next: SendAction[] = [];
    for (const a of actions) {
      assert.deepEqual(a.sendTo, p.routers[i], `action addressed to hop ${i}`);
      assert.equal(a.message.type, I2NPType.TunnelData);
      assert.equal(a.message.payload.length, 1028);
      next.push(...transit[i]!.receive(a.message, NOW + 1));
    }
    actions = next;
  }
  return actions;
}

const SIZES = [16, 17, 100, 500, 964, 996, 1000, 1001, 1003, 2000, 4096, 10_000, 30_000];

test('outbound: our gateway → participants → outbound endpoint delivers to routers and tunnels (1–3 hops)', () => {
  for (let n = 1; n <= 3; n++) {
    const p = path(n);
    const gw = new OutboundTunnelGateway({ firstHop: p.routers[0]!, firstTunnelId: p.ids[0]!, hops: p.keys });
    const transit = hops(p, (i) => (i === n - 1 ? 'outboundEndpoint' : 'participant'), randomBytes(32));
    const target = randomBytes(32);
    const gwHash = randomBytes(32);
    const toRouter: TunnelDeliveryInstructions = { kind: 'router', hash: target };
    const toTunnel: TunnelDeliveryInstructions = { kind: 'tunnel', tunnelId: 31337, gateway: gwHash };
    const sizes = [...SIZES, maxGatewayMessageLength(toRouter), maxGatewayMessageLength(toTunnel)];
    const sent: { m: I2NPMessage; d: TunnelDeliveryInstructions }[] = [];
    for (const [i, size] of sizes.entries()) {
      const d = i % 2 === 0 || size === maxGatewayMessageLength(toTunnel) ? toTunnel : toRouter;
      sent.push({ m: i2npOfLength(Math.min(size, maxGatewayMessageLength(d))), d });
    }
    // Send each size alone, then all together in one batch.
    const batches = [...sent.map((s) => [s]), sent];
    for (const batch of batches) {
      const { actions, refused } = gw.send(batch.map((s) => gatewayMessage(s.d, s.m)), NOW);
      assert.deepEqual(refused, []);
      const out = relay(p, transit, actions, 0);
      assert.equal(out.length, batch.length, `${n} hops: every message delivered once`);
      for (const [i, a] of out.entries()) {
        const { m, d } = batch[i]!;
        if (d.kind === 'router') {
          assert.deepEqual(a.sendTo, target);
          assert.deepEqual(a.message, m);
        } else {
          assert.deepEqual(a.sendTo, gwHash);
          assert.equal(a.message.type, I2NPType.TunnelGateway);
          const tg = decodeTunnelGateway(a.message.payload);
          assert.equal(tg.tunnelId, 31337);
          assert.deepEqual(tg.message, m);
        }
      }
    }
    const obep = transit[n - 1]!;
    assert.deepEqual(obep.counters.dropped, {});
    assert.equal(obep.reassembly!.delivered, 2 * sent.length);
    assert.deepEqual(obep.reassembly!.dropped, {});
    assert.ok(transit.every((t) => Object.keys(t.counters.dropped).length === 0));
  }
});

test('inbound: transit inbound gateway → participants → our endpoint reassembles (1–3 hops)', () => {
  for (let n = 1; n <= 3; n++) {
    const p = path(n);
    const transit = hops(p, (i) => (i === 0 ? 'inboundGateway' : 'participant'), us);
    const ibep = new InboundTunnelEndpoint({ tunnelId: p.ids[n]!, hops: p.keys });
    const msgs = [...SIZES, maxGatewayMessageLength({ kind: 'local' })].map((s) => i2npOfLength(s));
    const tg = (m: I2NPMessage): I2NPMessage => ({
      type: I2NPType.TunnelGateway, msgId: 1, expiration: NOW + 5000, payload: encodeTunnelGateway({ tunnelId: p.ids[0]!, message: m }),
    });
    // One at a time, then a batch (the gateway packs them together).
    const runs = [...msgs.map((m) => [m]), msgs];
    // The inbound gateway's output goes to hop 1 (to us when n = 1); it expires 8 s after creation.
    for (const run of runs) {
      let actions = transit[0]!.receiveBatch(run.map(tg), NOW);
      assert.ok(actions.every((a) => a.message.expiration === NOW + 8000));
      for (let i = 1; i < n; i++) {
        actions = actions.flatMap((a) => {
          assert.deepEqual(a.sendTo, p.routers[i]);
          return transit[i]!.receive(a.message, NOW);
        });
      }
      const got = actions.flatMap((a) => {
        assert.deepEqual(a.sendTo, us);
        return ibep.receive(a.message.payload, NOW);
      });
      assert.deepEqual(got.map((d) => d.message), run);
      assert.ok(got.every((d) => d.delivery.kind === 'local'));
    }
    assert.deepEqual(ibep.counters.dropped, {});
    assert.equal(ibep.refused, 0);
  }
});

test('layers really differ per hop: a message with one layer missing or in the wrong order fails the checksum', () => {
  const p = path(3);
  const gw = new OutboundTunnelGateway({ firstHop: p.routers[0]!, firstTunnelId: p.ids[0]!, hops: p.keys });
  const transit = hops(p, (i) => (i === 2 ? 'outboundEndpoint' : 'participant'), randomBytes(32));
  const { actions } = gw.send([gatewayMessage({ kind: 'router', hash: randomBytes(32) }, i2npOfLength(200))], NOW);
  // Skip hop 1: hand hop 0's output straight to the endpoint (re-addressed to its tunnel id).
  const [a1] = transit[0]!.receive(actions[0]!.message, NOW);
  const skipped = Buffer.from(a1!.message.payload);
  skipped.writeUInt32BE(p.ids[2]!, 0);
  assert.deepEqual(transit[2]!.receive({ ...a1!.message, payload: skipped }, NOW), []);
  // Garbage after the wrong layers: the checksum fails (or, ~2%, no zero byte ends the padding).
  const { checksum = 0, 'no-zero-byte': noZero = 0 } = transit[2]!.reassembly!.dropped;
  assert.equal(checksum + noZero, 1);
  // Decoded by the real path it works.
  const [a2] = transit[1]!.receive(a1!.message, NOW);
  assert.equal(transit[2]!.receive(a2!.message, NOW).length, 1);
});

test('the inbound endpoint refuses TunnelData of the wrong size or tunnel, counts garbage', () => {
  const p = path(2);
  const ibep = new InboundTunnelEndpoint({ tunnelId: p.ids[2]!, hops: p.keys });
  const bad = randomBytes(1028);
  bad.writeUInt32BE(p.ids[2]!, 0);
  assert.deepEqual(ibep.receive(bad, NOW), []);
  const { checksum = 0, 'no-zero-byte': noZero = 0 } = ibep.counters.dropped;
  assert.equal(checksum + noZero, 1);
  assert.deepEqual(ibep.receive(bad.subarray(0, 1000), NOW), []);
  const other = Buffer.from(bad);
  other.writeUInt32BE((p.ids[2]! ^ 1) >>> 0, 0);
  assert.deepEqual(ibep.receive(other, NOW), []);
  assert.equal(ibep.refused, 2);
});

test('tunnel ends validate their configuration', () => {
  const k = path(1).keys;
  assert.throws(() => new OutboundTunnelGateway({ firstHop: randomBytes(32), firstTunnelId: 0, hops: k }), RangeError);
  assert.throws(() => new OutboundTunnelGateway({ firstHop: randomBytes(31), firstTunnelId: 1, hops: k }), RangeError);
  assert.throws(() => new OutboundTunnelGateway({ firstHop: randomBytes(32), firstTunnelId: 1, hops: [] }), RangeError);
  assert.throws(() => new InboundTunnelEndpoint({ tunnelId: 2 ** 32, hops: k }), RangeError);
});
