import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { randomBytes } from '../../../src/crypto/index.js';
import { AuthenticationError, DataFormatError } from '../../../src/util/errors.js';
import { I2NPType, decodeStandard, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeCloveSet, encodeCloveSet, openSessionTagReply, sealSessionTagReply } from '../../../src/garlic/session-tag-reply.js';

const NOW = 1_764_000_000_000;
const reply: I2NPMessage = { type: I2NPType.DatabaseSearchReply, msgId: 77, expiration: NOW + 60_000, payload: randomBytes(97) };

test('session-tag reply: tag || AES-256-CBC(key, IV = SHA-256(tag)[0:16]) over the AES block, decoded independently', () => {
  const key = randomBytes(32);
  const tag = randomBytes(32);
  const body = sealSessionTagReply(key, tag, reply);
  assert.equal(body.readUInt32BE(0), body.length - 4);
  assert.deepEqual(body.subarray(4, 36), tag);
  const ct = body.subarray(36);
  assert.equal(ct.length % 16, 0);
  assert.ok(ct.length >= 128);
  const iv = createHash('sha256').update(tag).digest().subarray(0, 16);
  const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  const block = Buffer.concat([d.update(ct), d.final()]);
  assert.equal(block.readUInt16BE(0), 0, 'no new tags delivered');
  const size = block.readUInt32BE(2);
  const payload = block.subarray(39, 39 + size);
  assert.deepEqual(block.subarray(6, 38), createHash('sha256').update(payload).digest(), 'payload hash');
  assert.equal(block[38], 0, 'flag: no new session key');
  assert.ok(block.length - 39 - size < 128, 'only padding follows');
  // Clove set: 1 clove, LOCAL (flag 0), the message with its standard header, clove id, Date, NULL cert.
  assert.equal(payload[0], 1);
  assert.equal(payload[1], 0x00);
  const msgLen = 16 + reply.payload.length;
  assert.deepEqual(decodeStandard(payload.subarray(2, 2 + msgLen)), reply);
  assert.deepEqual(payload.subarray(2 + msgLen + 4 + 8, 2 + msgLen + 4 + 8 + 3), Buffer.alloc(3));
  assert.equal(payload.length, 2 + msgLen + 4 + 8 + 3 + 3 + 4 + 8);
});

test('session-tag reply: round trip; tampering, another key or tag, and malformed framing are refused', () => {
  const key = randomBytes(32);
  const tag = randomBytes(32);
  const body = sealSessionTagReply(key, tag, reply);
  const set = openSessionTagReply(key, tag, body);
  assert.equal(set.cloves.length, 1);
  assert.deepEqual(set.cloves[0]!.message, reply);
  assert.deepEqual(set.cloves[0]!.delivery, { kind: 'local' });
  assert.throws(() => openSessionTagReply(randomBytes(32), tag, body), AuthenticationError);
  assert.throws(() => openSessionTagReply(key, randomBytes(32), body), DataFormatError);
  for (const i of [40, 60, 100, body.length - 1]) {
    const t = Buffer.from(body);
    t[i]! ^= 0x80;
    assert.throws(() => openSessionTagReply(key, tag, t), (e: unknown) => e instanceof AuthenticationError || e instanceof DataFormatError, `byte ${i}`);
  }
  assert.throws(() => openSessionTagReply(key, tag, body.subarray(0, body.length - 1)), DataFormatError);
  assert.throws(() => openSessionTagReply(key, tag, body.subarray(0, 100)), DataFormatError);
});

test('clove set codec: round trip and hostile input', () => {
  const set = {
    cloves: [
      { delivery: { kind: 'local' as const }, message: reply, cloveId: 1, expiration: NOW },
      { delivery: { kind: 'tunnel' as const, gateway: randomBytes(32), tunnelId: 5 }, message: reply, cloveId: 2, expiration: NOW },
    ],
    msgId: 9,
    expiration: NOW,
  };
  const enc = encodeCloveSet(set);
  assert.deepEqual(decodeCloveSet(enc), set);
  for (let n = 0; n < enc.length; n++) assert.throws(() => decodeCloveSet(enc.subarray(0, n)), DataFormatError);
  assert.throws(() => decodeCloveSet(Buffer.concat([enc, Buffer.of(0)])), DataFormatError);
  const cert = Buffer.from(enc);
  cert[enc.length - 15] = 5; // clove set certificate type (not NULL)
  assert.throws(() => decodeCloveSet(cert), (e: unknown) => e instanceof DataFormatError && e.code === 'unsupported');
});
