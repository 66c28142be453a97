import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { I2NPType } from '../../../src/i2np/message.js';
import { cloves, decodeRatchetPayload, encodeRatchetPayload, MAX_RATCHET_PAYLOAD, type RatchetBlock } from '../../../src/garlic/ratchet-payload.js';
import { LOCAL_DELIVERY } from '../../../src/garlic/delivery-instructions.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('ratchet payload: byte layout of DateTime, Garlic Clove (LOCAL/ROUTER/TUNNEL/DESTINATION) and Padding blocks as in ecies.rst', () => {
  const body = hex('0a0b0c');
  const blocks: RatchetBlock[] = [
    // ecies.rst DateTime: blk 0, size 4, unsigned seconds.
    { type: 'datetime', timestamp: 0x5f5e1000 * 1000 + 999 },
    // Garlic Clove: blk 11, size, delivery instructions (flag 0x00 = LOCAL), then the 9-byte
    // short I2NP header (type, msg id, expiration seconds) and the body.
    { type: 'clove', clove: { delivery: LOCAL_DELIVERY, message: { type: I2NPType.DeliveryStatus, msgId: 0x11223344, expiration: 0x60000000 * 1000, payload: body } } },
    // ROUTER: flag 0x40 (type 2 in bits 6-5) + 32-byte hash.
    { type: 'clove', clove: { delivery: { kind: 'router', hash: Buffer.alloc(32, 0xaa) }, message: { type: 1, msgId: 1, expiration: 0, payload: Buffer.alloc(0) } } },
    // TUNNEL: flag 0x60 + gateway hash + tunnel id.
    { type: 'clove', clove: { delivery: { kind: 'tunnel', gateway: Buffer.alloc(32, 0xbb), tunnelId: 0x01020304 }, message: { type: 1, msgId: 2, expiration: 0, payload: Buffer.alloc(0) } } },
    // DESTINATION: flag 0x20 + hash.
    { type: 'clove', clove: { delivery: { kind: 'destination', hash: Buffer.alloc(32, 0xcc) }, message: { type: 1, msgId: 3, expiration: 0, payload: Buffer.alloc(0) } } },
    // Padding: blk 254, size, zeros.
    { type: 'padding', length: 5 },
  ];
  const expected = Buffer.concat([
    hex('00 0004 5f5e1000'),
    hex('0b 000d 00 0a 11223344 60000000 0a0b0c'),
    hex('0b 002a 40'), Buffer.alloc(32, 0xaa), hex('01 00000001 00000000'),
    hex('0b 002e 60'), Buffer.alloc(32, 0xbb), hex('01020304 01 00000002 00000000'),
    hex('0b 002a 20'), Buffer.alloc(32, 0xcc), hex('01 00000003 00000000'),
    hex('fe 0005 0000000000'),
  ]);
  const enc = encodeRatchetPayload(blocks);
  assert.deepEqual(enc, expected);
  const dec = decodeRatchetPayload(enc);
  assert.deepEqual(dec[0], { type: 'datetime', timestamp: 0x5f5e1000 * 1000 });
  assert.deepEqual(dec.slice(1), blocks.slice(1));
  assert.equal(cloves(dec).length, 4);
});

test('ratchet payload: unknown and unimplemented block types are carried, not fatal (ecies.rst: treat as padding)', () => {
  const payload = hex('07 0003 000102 e0 0000 0b 000a 00 0a 00000001 00000002');
  const dec = decodeRatchetPayload(payload);
  assert.deepEqual(dec.map((b) => b.type), ['other', 'other', 'clove']);
  assert.deepEqual(dec[0], { type: 'other', blockType: 7, data: hex('000102') });
  assert.deepEqual(encodeRatchetPayload(dec), payload);
  assert.deepEqual(decodeRatchetPayload(Buffer.alloc(0)), []);
  assert.deepEqual(decodeRatchetPayload(hex('04 0003 01 6869')), [{ type: 'termination', reason: 1, data: hex('6869') }]);
});

test('ratchet payload: ordering rules (padding last and single, termination last but padding)', () => {
  assert.throws(() => decodeRatchetPayload(hex('fe 0000 fe 0000')), (e: unknown) => e instanceof DataFormatError && e.code === 'block-order');
  assert.throws(() => decodeRatchetPayload(hex('fe 0001 00 00 0004 00000000')), DataFormatError);
  assert.throws(() => decodeRatchetPayload(hex('04 0001 00 00 0004 00000000')), DataFormatError);
  assert.doesNotThrow(() => decodeRatchetPayload(hex('04 0001 00 fe 0002 0000')));
  assert.throws(() => encodeRatchetPayload([{ type: 'padding', length: 1 }, { type: 'datetime', timestamp: 0 }]), RangeError);
  assert.throws(() => encodeRatchetPayload([{ type: 'termination', reason: 0, data: Buffer.alloc(0) }, { type: 'datetime', timestamp: 0 }]), RangeError);
});

test('ratchet payload: hostile input (truncation, block overruns, bad sizes, oversize, garbage)', () => {
  const good = encodeRatchetPayload([
    { type: 'datetime', timestamp: 1_764_000_000_000 },
    { type: 'clove', clove: { delivery: { kind: 'tunnel', gateway: randomBytes(32), tunnelId: 9 }, message: { type: 2, msgId: 5, expiration: 1_764_000_000_000, payload: randomBytes(40) } } },
  ]);
  // Cutting inside a block header or its declared size is an error; a cut exactly between
  // blocks leaves a shorter valid payload.
  for (let n = 1; n < good.length; n++) {
    if (n === 7) continue;
    assert.throws(() => decodeRatchetPayload(good.subarray(0, n)), DataFormatError, `prefix ${n}`);
  }
  assert.equal(decodeRatchetPayload(good.subarray(0, 7)).length, 1);
  assert.throws(() => decodeRatchetPayload(hex('00 0005 0000000000')), DataFormatError, 'DateTime must be 4 bytes');
  assert.throws(() => decodeRatchetPayload(hex('04 0000')), DataFormatError, 'Termination needs a reason');
  // A clove whose delivery instructions claim a hash beyond the block: the sub-reader stops it
  // even though the bytes after the block would satisfy the read.
  assert.throws(() => decodeRatchetPayload(Buffer.concat([hex('0b 0002 40 00'), hex('fe 0040'), Buffer.alloc(64)])), DataFormatError);
  // Clove shorter than delivery + short header.
  assert.throws(() => decodeRatchetPayload(hex('0b 0005 00 0a 000000')), DataFormatError);
  // Encrypted-clove flag (bit 7) and TUNNEL to tunnel 0 are refused.
  assert.throws(() => decodeRatchetPayload(Buffer.concat([hex('0b 0036 80'), Buffer.alloc(0x35)])), (e: unknown) => e instanceof DataFormatError && e.code === 'unsupported');
  assert.throws(() => decodeRatchetPayload(Buffer.concat([hex('0b 002e 60'), Buffer.alloc(45)])), (e: unknown) => e instanceof DataFormatError && e.code === 'tunnel-id');
  assert.throws(() => decodeRatchetPayload(Buffer.alloc(MAX_RATCHET_PAYLOAD + 1, 0xfe)), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
  assert.throws(() => encodeRatchetPayload([{ type: 'padding', length: MAX_RATCHET_PAYLOAD }]), RangeError);
  assert.throws(() => encodeRatchetPayload([{ type: 'other', blockType: 11, data: Buffer.alloc(0) }]), RangeError, 'known types use their own form');
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    try {
      decodeRatchetPayload(randomBytes(1 + (i % 100)));
    } catch (e) {
      assert.ok(e instanceof DataFormatError);
      refused++;
    }
  }
  assert.ok(refused > 400, `random bytes are almost never a valid payload (${refused}/500 refused)`);
});
