import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { I2NPType, encodeStandard } from '../../../src/i2np/message.js';
import { ReassemblyBudget, TunnelEndpointReassembler } from '../../../src/tunnel/endpoint-reassembler.js';
import { fragmentMessages, gatewayMessage } from '../../../src/tunnel/gateway-fragmenter.js';
import { encodeTunnelMessage, type TunnelDeliveryInstructions, type TunnelFragment } from '../../../src/tunnel/tunnel-message.js';
import { i2npOfLength } from './data-path-helpers.js';

const router: TunnelDeliveryInstructions = { kind: 'router', hash: randomBytes(32) };
const opts = { random: randomBytes };

function tunnelMessages(...lengths: number[]): { tms: Buffer[]; msgs: ReturnType<typeof i2npOfLength>[] } {
  const msgs = lengths.map((l) => i2npOfLength(l));
  const { tunnelMessages: tms } = fragmentMessages(9, msgs.map((m) => gatewayMessage(router, m)));
  return { tms, msgs };
}

/** Tunnel messages each holding a single fragment of a message with id `msgId`. */
function single(f: TunnelFragment): Buffer {
  return encodeTunnelMessage(9, [f], opts);
}

test('in-order and out-of-order fragments reassemble; small messages deliver at once', () => {
  const { tms, msgs } = tunnelMessages(100, 8000, 300);
  for (const order of [tms, [...tms].reverse(), [tms[3]!, tms[0]!, tms[5]!, tms[1]!, ...tms.slice(6), tms[2]!, tms[4]!]]) {
    const r = new TunnelEndpointReassembler();
    const got = order.flatMap((tm) => r.receive(tm, 1000));
    assert.deepEqual(new Set(got.map((d) => d.message.msgId)), new Set(msgs.map((m) => m.msgId)));
    for (const d of got) {
      const m = msgs.find((x) => x.msgId === d.message.msgId)!;
      assert.deepEqual(d.message, m);
      assert.deepEqual(d.data, encodeStandard(m));
      assert.deepEqual(d.delivery, router);
    }
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
    assert.equal(r.counters.delivered, 3);
    assert.equal(r.counters.tunnelMessages, tms.length);
  }
});

test('duplicate tunnel messages and fragments are dropped and counted, never delivered twice', () => {
  const { tms } = tunnelMessages(5000);
  const r = new TunnelEndpointReassembler();
  assert.deepEqual(r.receive(tms[0]!, 0), []);
  assert.deepEqual(r.receive(tms[0]!, 0), []);
  assert.deepEqual(r.receive(tms[2]!, 0), []);
  assert.deepEqual(r.receive(tms[2]!, 0), []);
  const done = tms.slice(1).flatMap((tm) => r.receive(tm, 0)); // tms[2] a third time
  assert.equal(done.length, 1);
  assert.equal(r.counters.dropped['duplicate-fragment'], 3);
});

test('partial messages time out after 10 s (spec/i2pd value); expiry is driven by the time passed in', () => {
  const { tms } = tunnelMessages(3000);
  const r = new TunnelEndpointReassembler();
  r.receive(tms[0]!, 1_000);
  r.receive(tms[1]!, 5_000);
  r.expire(10_999);
  assert.equal(r.pendingMessages, 1);
  r.expire(11_000);
  assert.equal(r.pendingMessages, 0);
  assert.equal(r.pendingBytes, 0);
  assert.equal(r.counters.dropped.timeout, 1);
  // The remaining fragments alone start a new partial message that never completes.
  assert.deepEqual(r.receive(tms[2]!, 11_001), []);
  assert.deepEqual(r.receive(tms[3]!, 11_001), []);
  assert.equal(r.pendingMessages, 1);
  r.expire(21_001);
  assert.equal(r.counters.dropped.timeout, 2);
});

test('inconsistent fragments (fragment past the last, two different last ones) drop the message', () => {
  const data = Buffer.alloc(10);
  const cases: TunnelFragment[][] = [
    [
      { followOn: true, fragmentNumber: 2, last: true, msgId: 5, data },
      { followOn: true, fragmentNumber: 3, last: false, msgId: 5, data },
    ],
    [
      { followOn: true, fragmentNumber: 2, last: true, msgId: 5, data },
      { followOn: true, fragmentNumber: 4, last: true, msgId: 5, data },
    ],
    [
      { followOn: true, fragmentNumber: 6, last: false, msgId: 5, data },
      { followOn: true, fragmentNumber: 3, last: true, msgId: 5, data },
    ],
  ];
  for (const fragments of cases) {
    const r = new TunnelEndpointReassembler();
    for (const f of fragments) r.receive(single(f), 0);
    assert.equal(r.counters.dropped.inconsistent, 1);
    assert.equal(r.pendingMessages, 0);
    assert.equal(r.pendingBytes, 0);
  }
});

test('a reassembled message that is not a valid I2NP message is dropped as bad-i2np', () => {
  const std = encodeStandard({ type: I2NPType.Data, msgId: 1, expiration: 0, payload: randomBytes(1500) });
  std[15]! ^= 0xff; // I2NP checksum
  const r = new TunnelEndpointReassembler();
  const { tunnelMessages: tms } = fragmentMessages(9, [{ delivery: router, data: std }, { delivery: router, data: randomBytes(20) }]);
  for (const tm of tms) assert.deepEqual(r.receive(tm, 0), []);
  assert.equal(r.counters.dropped['bad-i2np'], 2);
});

test('bad checksums, truncated and garbage tunnel messages are dropped and counted, never thrown', () => {
  const { tms } = tunnelMessages(200);
  const r = new TunnelEndpointReassembler();
  const bad = Buffer.from(tms[0]!);
  bad[1000]! ^= 1;
  assert.deepEqual(r.receive(bad, 0), []);
  assert.deepEqual(r.receive(tms[0]!.subarray(0, 1000), 0), []);
  for (let i = 0; i < 50; i++) assert.deepEqual(r.receive(randomBytes(1028), 0), []);
  // Random garbage nearly always fails the checksum; ~2% has no zero byte to end the padding.
  const { checksum = 0, 'no-zero-byte': noZero = 0, ...other } = r.counters.dropped;
  assert.equal(checksum + noZero, 51);
  assert.ok(checksum >= 1);
  assert.deepEqual(other, { length: 1 });
  assert.equal(r.counters.tunnelMessages, 0);
  assert.equal(r.receive(tms[0]!, 0).length, 1);
});

test('fragment flood: pending messages and bytes stay within the limits; oldest evicted; real traffic still gets through', () => {
  const r = new TunnelEndpointReassembler({ maxPendingMessages: 16, maxPendingBytes: 70_000 });
  for (let id = 1; id <= 5000; id++) {
    // A first fragment of a 62 KiB "message" that never completes, plus a stray follow-on.
    r.receive(single({ followOn: false, delivery: router, msgId: id, data: randomBytes(950) }), id);
    r.receive(single({ followOn: true, fragmentNumber: 40, last: false, msgId: id + 100_000, data: randomBytes(990) }), id);
    assert.ok(r.pendingMessages <= 16);
    assert.ok(r.pendingBytes <= 70_000);
  }
  assert.ok(r.counters.dropped.evicted! >= 10_000 - 16);
  // Meanwhile a genuine fragmented message completes.
  const { tms, msgs } = tunnelMessages(20_000);
  const got = tms.flatMap((tm) => r.receive(tm, 6000));
  assert.deepEqual(got.map((d) => d.message.msgId), [msgs[0]!.msgId]);
  assert.ok(r.pendingBytes <= 70_000);
});

test('a budget shared by several reassemblers bounds their sum; clear() returns the share', () => {
  const budget = new ReassemblyBudget(100_000);
  const rs = [new TunnelEndpointReassembler({ budget }), new TunnelEndpointReassembler({ budget }), new TunnelEndpointReassembler({ budget })];
  let id = 1;
  for (let i = 0; i < 300; i++) for (const r of rs) r.receive(single({ followOn: false, delivery: router, msgId: id++, data: randomBytes(900) }), 0);
  assert.ok(budget.used <= 100_000);
  assert.equal(budget.used, rs.reduce((s, r) => s + r.pendingBytes, 0));
  assert.ok(rs.reduce((s, r) => s + (r.counters.dropped.budget ?? 0), 0) > 0);
  rs[0]!.clear();
  rs[1]!.expire(10_000);
  assert.equal(budget.used, rs[2]!.pendingBytes);
});

test('limits are validated', () => {
  assert.throws(() => new TunnelEndpointReassembler({ maxPendingMessages: 0 }), RangeError);
  assert.throws(() => new TunnelEndpointReassembler({ maxPendingBytes: 1000 }), RangeError);
  assert.throws(() => new TunnelEndpointReassembler({ timeoutMs: 0 }), RangeError);
});
