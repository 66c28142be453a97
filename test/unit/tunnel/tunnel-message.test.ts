import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { DataFormatError } from '../../../src/util/errors.js';
import {
  TUNNEL_MESSAGE_CAPACITY,
  TUNNEL_MESSAGE_LENGTH,
  decodeTunnelData,
  decodeTunnelMessage,
  encodeTunnelMessage,
  type TunnelFragment,
} from '../../../src/tunnel/tunnel-message.js';

const gateway = randomBytes(32);
const router = randomBytes(32);
const opts = { random: randomBytes };

function spec(code: string) {
  return (e: unknown): boolean => e instanceof DataFormatError && e.code === code;
}

/** Builds a decrypted tunnel message by hand from the spec layout; `body` = instructions + fragments. */
function handMade(tunnelId: number, iv: Buffer, body: Buffer, checksum?: Buffer): Buffer {
  const m = Buffer.alloc(TUNNEL_MESSAGE_LENGTH, 0xaa); // nonzero padding
  m.writeUInt32BE(tunnelId, 0);
  iv.copy(m, 4);
  const start = TUNNEL_MESSAGE_LENGTH - body.length;
  m[start - 1] = 0;
  body.copy(m, start);
  (checksum ?? createHash('sha256').update(body).update(iv).digest().subarray(0, 4)).copy(m, 20);
  return m;
}

test('decodes a hand-made message: all three delivery types, first and follow-on fragments', () => {
  const iv = randomBytes(16);
  const body = Buffer.concat([
    Buffer.of(0x00, 0x00, 0x03), Buffer.from('abc'), // LOCAL, unfragmented, size 3
    Buffer.of(0x20), Buffer.from('0000002a', 'hex'), gateway, Buffer.of(0x00, 0x02), Buffer.from('hi'), // TUNNEL 42
    Buffer.of(0x48), router, Buffer.from('01020304', 'hex'), Buffer.of(0x00, 0x01), Buffer.from('r'), // ROUTER, fragmented
    Buffer.of(0x80 | (5 << 1) | 1), Buffer.from('01020304', 'hex'), Buffer.of(0x00, 0x04), Buffer.from('tail'), // follow-on 5, last
  ]);
  const m = decodeTunnelMessage(handMade(77, iv, body));
  assert.equal(m.tunnelId, 77);
  assert.deepEqual(m.iv, iv);
  assert.deepEqual(m.fragments, [
    { followOn: false, delivery: { kind: 'local' }, data: Buffer.from('abc') },
    { followOn: false, delivery: { kind: 'tunnel', tunnelId: 42, gateway }, data: Buffer.from('hi') },
    { followOn: false, delivery: { kind: 'router', hash: router }, msgId: 0x01020304, data: Buffer.from('r') },
    { followOn: true, fragmentNumber: 5, last: true, msgId: 0x01020304, data: Buffer.from('tail') },
  ]);
});

test('encode: layout per spec (nonzero padding, zero byte, checksum over body || IV) and round trip', () => {
  const iv = randomBytes(16);
  const fragments: TunnelFragment[] = [
    { followOn: false, delivery: { kind: 'router', hash: router }, data: randomBytes(100) },
    { followOn: false, delivery: { kind: 'tunnel', tunnelId: 0xffffffff, gateway }, msgId: 9, data: randomBytes(300) },
    { followOn: true, fragmentNumber: 63, last: false, msgId: 0xdeadbeef, data: randomBytes(50) },
  ];
  const b = encodeTunnelMessage(1234, fragments, { random: randomBytes, iv });
  assert.equal(b.length, 1028);
  const bodyLength = 35 + 100 + 43 + 300 + 7 + 50;
  const start = 1028 - bodyLength;
  assert.equal(b[start - 1], 0);
  assert.ok(b.subarray(24, start - 1).every((x) => x !== 0), 'padding is nonzero');
  assert.deepEqual(b.subarray(20, 24), createHash('sha256').update(b.subarray(start)).update(iv).digest().subarray(0, 4));
  assert.equal(b[start], 0x40); // ROUTER, unfragmented
  assert.equal(b[start + 135], 0x28); // TUNNEL, fragmented
  assert.equal(b[start + 135 + 343], 0x80 | (63 << 1));
  assert.deepEqual(decodeTunnelMessage(b).fragments, fragments);
});

test('a full message has no padding; an empty one is all padding (cover traffic)', () => {
  const full = encodeTunnelMessage(1, [{ followOn: false, delivery: { kind: 'local' }, data: randomBytes(TUNNEL_MESSAGE_CAPACITY - 3) }], opts);
  assert.equal(full[24], 0);
  assert.equal(decodeTunnelMessage(full).fragments[0]!.data.length, 1000);
  assert.throws(() => encodeTunnelMessage(1, [{ followOn: false, delivery: { kind: 'local' }, data: randomBytes(1001) }], opts), RangeError);
  const empty = encodeTunnelMessage(1, [], opts);
  assert.equal(empty[1027], 0);
  assert.deepEqual(decodeTunnelMessage(empty).fragments, []);
});

test('delay and extended-options bytes are skipped when a sender sets them', () => {
  const body = Buffer.concat([Buffer.of(0x40 | 0x10 | 0x04), router, Buffer.of(0x7f), Buffer.of(2, 9, 9), Buffer.of(0, 1), Buffer.of(0x55)]);
  assert.deepEqual(decodeTunnelMessage(handMade(1, randomBytes(16), body)).fragments, [
    { followOn: false, delivery: { kind: 'router', hash: router }, data: Buffer.of(0x55) },
  ]);
});

test('hostile input: checksum, length, zero byte, bad fields, overruns', () => {
  const good = encodeTunnelMessage(5, [{ followOn: false, delivery: { kind: 'local' }, data: randomBytes(200) }], opts);
  decodeTunnelMessage(good);
  for (const i of [4, 19, 20, 23, 1027, 1000]) {
    const bad = Buffer.from(good);
    bad[i]! ^= 0x01;
    assert.throws(() => decodeTunnelMessage(bad), spec('checksum'), `flip byte ${i}`);
  }
  assert.throws(() => decodeTunnelMessage(good.subarray(0, 1027)), spec('length'));
  assert.throws(() => decodeTunnelMessage(Buffer.concat([good, Buffer.of(0)])), spec('length'));
  assert.throws(() => decodeTunnelMessage(Buffer.alloc(0)), spec('length'));
  assert.throws(() => decodeTunnelMessage(Buffer.alloc(1028, 0xff)), spec('no-zero-byte'));
  for (let i = 0; i < 200; i++) assert.throws(() => decodeTunnelMessage(randomBytes(1028)), DataFormatError, 'garbage');
  // Structurally bad bodies with a correct checksum: the parser must still refuse them.
  const cases: [Buffer, string][] = [
    [Buffer.of(0x60, 0, 1, 0x55), 'delivery-type'],
    [Buffer.of(0x80, 0, 0, 0, 1, 0, 1, 0x55), 'fragment-number'],
    [Buffer.of(0x00, 0, 0), 'fragment-size'],
    [Buffer.concat([Buffer.of(0x20, 0, 0, 0, 0), gateway, Buffer.of(0, 1, 1)]), 'tunnel-id'],
    [Buffer.of(0x00, 0, 9, 1, 2), 'truncated'], // size beyond the end
    [Buffer.of(0x00, 0, 1, 0x55, 0x40, 1, 2), 'truncated'], // second instructions cut off
    [Buffer.of(0x00), 'truncated'],
    [Buffer.concat([Buffer.of(0x04), Buffer.of(200)]), 'truncated'], // extended options overrun
  ];
  for (const [body, code] of cases) assert.throws(() => decodeTunnelMessage(handMade(1, randomBytes(16), body)), spec(code), body.toString('hex'));
});

test('TunnelData payload: exactly tunnel id + 1024 bytes, nonzero tunnel id', () => {
  const p = randomBytes(1028);
  p.writeUInt32BE(99, 0);
  const td = decodeTunnelData(p);
  assert.equal(td.tunnelId, 99);
  assert.equal(td.ivAndData.length, 1024);
  assert.equal(td.ivAndData.buffer, p.buffer, 'a view');
  assert.throws(() => decodeTunnelData(p.subarray(0, 1027)), spec('length'));
  assert.throws(() => decodeTunnelData(Buffer.concat([p, Buffer.of(1)])), spec('length'));
  p.writeUInt32BE(0, 0);
  assert.throws(() => decodeTunnelData(p), spec('tunnel-id'));
});
