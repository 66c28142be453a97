import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sha256 } from '../../../src/crypto/index.js';
import { ByteReader } from '../../../src/util/bytes.js';
import { DataFormatError } from '../../../src/util/errors.js';
import {
  I2NPType,
  SHORT_HEADER_LENGTH,
  STANDARD_HEADER_LENGTH,
  decodeShort,
  decodeStandard,
  encodeShort,
  encodeStandard,
  readStandard,
  type I2NPMessage,
} from '../../../src/i2np/message.js';

const msg: I2NPMessage = { type: I2NPType.DeliveryStatus, msgId: 0xdeadbeef, expiration: 1_764_000_123_456, payload: Buffer.from('0102030405060708090a0b0c', 'hex') };

test('standard header: exact layout and round trip', () => {
  const enc = encodeStandard(msg);
  assert.equal(enc.length, STANDARD_HEADER_LENGTH + 12);
  assert.equal(enc[0], 10);
  assert.equal(enc.readUInt32BE(1), 0xdeadbeef);
  assert.equal(enc.readBigUInt64BE(5), 1_764_000_123_456n);
  assert.equal(enc.readUInt16BE(13), 12);
  assert.equal(enc[15], sha256(msg.payload)[0]);
  assert.deepEqual(decodeStandard(enc), msg);
  const empty = { ...msg, payload: Buffer.alloc(0) };
  assert.deepEqual(decodeStandard(encodeStandard(empty)), empty);
  const big = { ...msg, type: 255, msgId: 0, payload: randomBytes(65535) };
  assert.deepEqual(decodeStandard(encodeStandard(big)), big);
});

test('standard header: hostile input', () => {
  const enc = encodeStandard(msg);
  for (let i = 0; i < enc.length; i++) assert.throws(() => decodeStandard(enc.subarray(0, i)), DataFormatError, `len ${i}`);
  assert.throws(() => decodeStandard(Buffer.concat([enc, Buffer.of(0)])), DataFormatError);
  const badSum = Buffer.from(enc);
  badSum[15]! ^= 1;
  assert.throws(() => decodeStandard(badSum), (e: unknown) => e instanceof DataFormatError && e.code === 'checksum');
  const badPayload = Buffer.from(enc);
  badPayload[20]! ^= 1;
  assert.throws(() => decodeStandard(badPayload), DataFormatError);
  const oversize = Buffer.from(enc);
  oversize.writeUInt16BE(0xffff, 13);
  assert.throws(() => decodeStandard(oversize), DataFormatError);
  for (let i = 0; i < 200; i++) {
    try {
      decodeStandard(randomBytes(i));
      // A random 16+ byte buffer can be valid only if size and checksum happen to match.
    } catch (e) {
      assert.ok(e instanceof DataFormatError);
    }
  }
  assert.throws(() => encodeStandard({ ...msg, payload: Buffer.alloc(65536) }), RangeError);
  assert.throws(() => encodeStandard({ ...msg, type: 256 }), RangeError);
  assert.throws(() => encodeStandard({ ...msg, msgId: -1 }), RangeError);
});

test('readStandard reads consecutive messages from one buffer', () => {
  const a = { ...msg, msgId: 1 };
  const b = { ...msg, msgId: 2, type: I2NPType.Data, payload: Buffer.from('hi') };
  const r = new ByteReader(Buffer.concat([encodeStandard(a), encodeStandard(b)]));
  assert.deepEqual(readStandard(r), a);
  assert.deepEqual(readStandard(r), b);
  assert.equal(r.remaining, 0);
});

test('short (NTCP2/SSU2) header: layout, seconds, round trip', () => {
  const enc = encodeShort(msg);
  assert.equal(enc.length, SHORT_HEADER_LENGTH + 12);
  assert.equal(enc[0], 10);
  assert.equal(enc.readUInt32BE(1), 0xdeadbeef);
  assert.equal(enc.readUInt32BE(5), 1_764_000_123);
  const dec = decodeShort(enc);
  assert.deepEqual(dec, { ...msg, expiration: 1_764_000_123_000 });
  for (let i = 0; i < SHORT_HEADER_LENGTH; i++) assert.throws(() => decodeShort(enc.subarray(0, i)), DataFormatError);
  assert.deepEqual(decodeShort(enc.subarray(0, SHORT_HEADER_LENGTH)).payload, Buffer.alloc(0));
  assert.throws(() => encodeShort({ ...msg, expiration: -5 }), RangeError);
});
