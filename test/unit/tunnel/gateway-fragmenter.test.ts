import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fragmentMessages, gatewayMessage, maxGatewayMessageLength, type GatewayMessage } from '../../../src/tunnel/gateway-fragmenter.js';
import { TUNNEL_MESSAGE_CAPACITY, decodeTunnelMessage, type TunnelDeliveryInstructions, type TunnelFragment } from '../../../src/tunnel/tunnel-message.js';
import { i2npOfLength } from './data-path-helpers.js';

const local: TunnelDeliveryInstructions = { kind: 'local' };
const router: TunnelDeliveryInstructions = { kind: 'router', hash: randomBytes(32) };
const tunnel: TunnelDeliveryInstructions = { kind: 'tunnel', tunnelId: 4242, gateway: randomBytes(32) };

function fragmentsOf(tunnelMessages: Buffer[]): TunnelFragment[] {
  return tunnelMessages.flatMap((b) => {
    assert.equal(b.length, 1028);
    assert.equal(b.readUInt32BE(0), 7);
    return decodeTunnelMessage(b).fragments;
  });
}

/** Joins the fragments back in order (the fragmenter emits them in order). */
function rejoin(fragments: TunnelFragment[]): { delivery: TunnelDeliveryInstructions; data: Buffer }[] {
  const out: { delivery: TunnelDeliveryInstructions; data: Buffer }[] = [];
  let open: { delivery: TunnelDeliveryInstructions; parts: Buffer[]; msgId: number; next: number } | undefined;
  for (const f of fragments) {
    if (!f.followOn) {
      assert.equal(open, undefined, 'a first fragment while another message is open');
      if (f.msgId === undefined) out.push({ delivery: f.delivery, data: f.data });
      else open = { delivery: f.delivery, parts: [f.data], msgId: f.msgId, next: 1 };
    } else {
      assert.ok(open);
      assert.equal(f.msgId, open.msgId);
      assert.equal(f.fragmentNumber, open.next++);
      open.parts.push(f.data);
      if (f.last) {
        out.push({ delivery: open.delivery, data: Buffer.concat(open.parts) });
        open = undefined;
      }
    }
  }
  assert.equal(open, undefined);
  return out;
}

function roundTrip(messages: GatewayMessage[]): Buffer[] {
  const { tunnelMessages, refused } = fragmentMessages(7, messages);
  assert.deepEqual(refused, []);
  assert.deepEqual(rejoin(fragmentsOf(tunnelMessages)), messages.map((m) => ({ delivery: m.delivery, data: m.data })));
  return tunnelMessages;
}

test('several small messages share one tunnel message', () => {
  const msgs = [gatewayMessage(local, i2npOfLength(60)), gatewayMessage(router, i2npOfLength(200)), gatewayMessage(tunnel, i2npOfLength(300))];
  assert.equal(roundTrip(msgs).length, 1);
});

test('exactly fitting messages: one tunnel message without padding; one byte more needs two', () => {
  for (const [delivery, header] of [[local, 3], [router, 35], [tunnel, 39]] as const) {
    const exact = gatewayMessage(delivery, i2npOfLength(TUNNEL_MESSAGE_CAPACITY - header));
    const [only] = roundTrip([exact]);
    assert.equal(only![24], 0, `${delivery.kind}: the zero byte right after the checksum`);
    assert.equal(roundTrip([gatewayMessage(delivery, i2npOfLength(TUNNEL_MESSAGE_CAPACITY - header + 1))]).length, 2);
  }
});

test('large messages are fragmented: 996-byte follow-ons, numbers 1.., last flag, the I2NP msgId as fragment id', () => {
  const m = i2npOfLength(5000);
  const tms = roundTrip([gatewayMessage(router, m)]);
  const frags = fragmentsOf(tms);
  assert.equal(frags[0]!.followOn, false);
  assert.equal((frags[0] as { msgId: number }).msgId, m.msgId);
  assert.equal(frags[0]!.data.length, TUNNEL_MESSAGE_CAPACITY - 39);
  for (const f of frags.slice(1, -1)) assert.equal(f.data.length, 996);
  assert.equal(tms.length, Math.ceil((5000 - 964) / 996) + 1);
});

test('greedy packing: the tunnel message only the last tunnel message has real padding for mixed sizes', () => {
  for (let round = 0; round < 20; round++) {
    const msgs: GatewayMessage[] = [];
    let n = 1 + (randomBytes(1)[0]! % 30);
    while (n-- > 0) msgs.push(gatewayMessage(local, i2npOfLength(16 + (randomBytes(2).readUInt16BE(0) % 3000))));
    const tms = roundTrip(msgs);
    // Every tunnel message but the last is full up to less room than a first fragment's
    // instructions (7 bytes for LOCAL) plus one byte of data.
    for (const tm of tms.slice(0, -1)) assert.ok(tm.indexOf(0, 24) - 24 <= 7, 'full tunnel message');
  }
});

test('the largest message fits 64 fragments; larger ones (e.g. 64 KiB) are refused, the rest still sent', () => {
  for (const delivery of [local, router, tunnel]) {
    const max = maxGatewayMessageLength(delivery);
    const tms = roundTrip([gatewayMessage(delivery, i2npOfLength(max))]);
    assert.equal(tms.length, 64);
    const tooBig = gatewayMessage(delivery, i2npOfLength(max + 1));
    const kib64 = gatewayMessage(delivery, i2npOfLength(65535));
    const small = gatewayMessage(delivery, i2npOfLength(100));
    const r = fragmentMessages(7, [tooBig, small, kib64]);
    assert.deepEqual(r.refused, [tooBig, kib64]);
    assert.equal(r.tunnelMessages.length, 1);
    assert.equal(r.refused.length, 2);
  }
  assert.equal(maxGatewayMessageLength(local), 996 + 63 * 996);
  assert.equal(maxGatewayMessageLength(tunnel), 960 + 63 * 996); // tunnel-message.rst: 956 + 62 x 996 when not aligned
});

test('a maximal message after a partly filled tunnel message starts a fresh one (64-fragment limit)', () => {
  const max = maxGatewayMessageLength(local);
  const tms = roundTrip([gatewayMessage(local, i2npOfLength(100)), gatewayMessage(local, i2npOfLength(max))]);
  assert.equal(tms.length, 65);
  // A slightly smaller one can start in the remaining room instead.
  assert.equal(roundTrip([gatewayMessage(local, i2npOfLength(100)), gatewayMessage(local, i2npOfLength(max - 200))]).length, 64);
});

test('empty data is refused; each tunnel message has its own random IV', () => {
  const empty: GatewayMessage = { delivery: local, data: Buffer.alloc(0) };
  assert.deepEqual(fragmentMessages(7, [empty]).refused, [empty]);
  const tms = roundTrip([gatewayMessage(local, i2npOfLength(3000))]);
  assert.notDeepEqual(tms[0]!.subarray(4, 20), tms[1]!.subarray(4, 20));
});
