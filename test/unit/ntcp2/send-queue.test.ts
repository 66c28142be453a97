// The byte-counted send queue of an NTCP2 session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendQueue, wireSize } from '../../../src/transport/ntcp2/send-queue.js';
import type { I2NPMessage } from '../../../src/i2np/message.js';

let id = 1;
const msg = (len: number): I2NPMessage => ({ type: 20, msgId: id++, expiration: 0, payload: Buffer.alloc(len) });

test('wire size is the I2NP block: 3-byte block header + 9-byte short header + body', () => {
  assert.equal(wireSize(msg(0)), 12);
  assert.equal(wireSize(msg(1024)), 1036);
});

test('take() hands out the oldest messages within the byte budget, at least one', () => {
  const q = new SendQueue();
  const ms = [msg(88), msg(88), msg(88), msg(500)];
  for (const m of ms) q.push(m);
  assert.equal(q.length, 4);
  assert.equal(q.bytes, 3 * 100 + 512);
  assert.deepEqual(q.take(250), ms.slice(0, 2));
  assert.equal(q.bytes, 100 + 512);
  assert.deepEqual(q.take(10), [ms[2]], 'one message even over budget');
  assert.deepEqual(q.take(10), [ms[3]]);
  assert.equal(q.length, 0);
  assert.equal(q.bytes, 0);
  assert.deepEqual(q.take(1000), []);
});

test('order and byte count survive many pushes and takes (head compaction)', () => {
  const q = new SendQueue();
  const all: I2NPMessage[] = [];
  const out: I2NPMessage[] = [];
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 200; i++) {
      const m = msg(i % 37);
      all.push(m);
      q.push(m);
    }
    out.push(...q.take(150 * 40));
  }
  const expectBytes = all.slice(out.length).reduce((n, m) => n + wireSize(m), 0);
  assert.equal(q.bytes, expectBytes);
  out.push(...q.clear());
  assert.deepEqual(out.map((m) => m.msgId), all.map((m) => m.msgId));
  assert.equal(q.bytes, 0);
  assert.equal(q.length, 0);
});
