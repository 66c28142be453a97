import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { I2NPType, encodeStandard, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeTunnelGateway, encodeTunnelGateway, encodeTunnelGatewayRaw } from '../../../src/i2np/tunnel-gateway.js';

const inner: I2NPMessage = { type: I2NPType.DeliveryStatus, msgId: 0x01020304, expiration: 1_764_000_000_000, payload: randomBytes(12) };

test('TunnelGateway: tunnelId (4) || length (2) || standard-header message, round trip', () => {
  const b = encodeTunnelGateway({ tunnelId: 0xdeadbeef, message: inner });
  const std = encodeStandard(inner);
  assert.equal(b.readUInt32BE(0), 0xdeadbeef);
  assert.equal(b.readUInt16BE(4), std.length);
  assert.deepEqual(b.subarray(6), std);
  assert.equal(b.length, 6 + 16 + 12);
  const d = decodeTunnelGateway(b);
  assert.equal(d.tunnelId, 0xdeadbeef);
  assert.deepEqual(d.message, inner);
  assert.deepEqual(encodeTunnelGatewayRaw(0xdeadbeef, std), b);
});

test('TunnelGateway: hostile input is refused with DataFormatError', () => {
  const b = encodeTunnelGateway({ tunnelId: 7, message: inner });
  for (let n = 0; n < b.length; n++) assert.throws(() => decodeTunnelGateway(b.subarray(0, n)), DataFormatError, `prefix ${n}`);
  assert.throws(() => decodeTunnelGateway(Buffer.concat([b, Buffer.of(0)])), DataFormatError, 'trailing byte');
  const zero = Buffer.from(b);
  zero.writeUInt32BE(0, 0);
  assert.throws(() => decodeTunnelGateway(zero), (e: unknown) => e instanceof DataFormatError && e.code === 'tunnel-id');
  const longer = Buffer.from(b);
  longer.writeUInt16BE(b.length - 6 + 1, 4);
  assert.throws(() => decodeTunnelGateway(longer), DataFormatError, 'length beyond the data');
  // The length says less than what follows: the wrapped message's own size then overruns it.
  const shorter = Buffer.from(b);
  shorter.writeUInt16BE(b.length - 6 - 1, 4);
  assert.throws(() => decodeTunnelGateway(shorter), DataFormatError);
  const badSum = Buffer.from(b);
  badSum[6 + 15]! ^= 0xff;
  assert.throws(() => decodeTunnelGateway(badSum), (e: unknown) => e instanceof DataFormatError && e.code === 'checksum');
  // Inner size field larger than the TunnelGateway length: bounded by the sub-reader.
  const innerSize = Buffer.from(b);
  innerSize.writeUInt16BE(0xffff, 6 + 13);
  assert.throws(() => decodeTunnelGateway(innerSize), DataFormatError);
  for (let i = 0; i < 200; i++) {
    const garbage = randomBytes(1 + (i % 64));
    assert.throws(() => decodeTunnelGateway(garbage), DataFormatError);
  }
});

test('TunnelGateway: encoder refuses tunnel 0 and data over 65535 bytes', () => {
  assert.throws(() => encodeTunnelGateway({ tunnelId: 0, message: inner }), RangeError);
  assert.throws(() => encodeTunnelGatewayRaw(1, Buffer.alloc(65536)), RangeError);
  assert.doesNotThrow(() => encodeTunnelGatewayRaw(1, Buffer.alloc(65535)));
});
