import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { randomBytes } from '../../../src/crypto/index.js';
import { AuthenticationError, DataFormatError } from '../../../src/util/errors.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { encodeDatabaseSearchReply } from '../../../src/i2np/database-search-reply.js';
import {
  OneTimeReplyKeys,
  decryptOneTimeReply,
  encryptOneTimeReply,
  localMessages,
  oneTimeReplyTag,
  openOneTimeReply,
  sealOneTimeReply,
} from '../../../src/garlic/one-time-reply.js';

const NOW = 1_764_000_000_000;
const reply: I2NPMessage = {
  type: I2NPType.DatabaseSearchReply,
  msgId: 0xa1b2c3d4,
  expiration: NOW + 60_000,
  payload: encodeDatabaseSearchReply({ key: randomBytes(32), peers: [randomBytes(32), randomBytes(32)], from: randomBytes(32) }),
};

/** Decrypts per the spec text with node:crypto directly: k = reply key, n = 0, ad = tag. */
function specDecrypt(key: Buffer, garlicBody: Buffer): { tag: Buffer; plaintext: Buffer } {
  const length = garlicBody.readUInt32BE(0);
  assert.equal(length, garlicBody.length - 4, 'Garlic length field');
  const tag = garlicBody.subarray(4, 12);
  const ct = garlicBody.subarray(12, garlicBody.length - 16);
  const d = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
  d.setAAD(tag, { plaintextLength: ct.length });
  d.setAuthTag(garlicBody.subarray(garlicBody.length - 16));
  const plaintext = Buffer.concat([d.update(ct), d.final()]);
  return { tag, plaintext };
}

test('one-time reply: Existing Session layout per proposal 154 (tag || ChaCha20-Poly1305(k, n=0, ad=tag)) with a LOCAL clove and padding', () => {
  const key = randomBytes(32);
  const tag = randomBytes(8);
  const body = sealOneTimeReply(key, tag, reply, { padding: 3 });
  const { tag: t, plaintext } = specDecrypt(key, body);
  assert.deepEqual(t, tag);
  const head = Buffer.alloc(3 + 1 + 9);
  head[0] = 11; // Garlic Clove block
  head.writeUInt16BE(1 + 9 + reply.payload.length, 1);
  head[3] = 0x00; // LOCAL delivery instructions
  head[4] = reply.type;
  head.writeUInt32BE(reply.msgId, 5);
  head.writeUInt32BE((NOW + 60_000) / 1000, 9);
  assert.deepEqual(plaintext, Buffer.concat([head, reply.payload, Buffer.from([254, 0, 3, 0, 0, 0])]));
  assert.equal(body.length, 4 + 8 + plaintext.length + 16);
});

test('one-time reply: round trip, and every tampering or wrong key/tag is refused', () => {
  const key = randomBytes(32);
  const tag = randomBytes(8);
  const body = sealOneTimeReply(key, tag, reply);
  const blocks = openOneTimeReply(key, tag, body);
  assert.deepEqual(localMessages(blocks), [{ ...reply, payload: reply.payload }]);
  assert.deepEqual(oneTimeReplyTag(body), tag);
  for (const i of [12, 20, body.length - 1]) {
    const t = Buffer.from(body);
    t[i]! ^= 1;
    assert.throws(() => openOneTimeReply(key, tag, t), AuthenticationError, `byte ${i}`);
  }
  assert.throws(() => openOneTimeReply(randomBytes(32), tag, body), AuthenticationError, 'another key');
  assert.throws(() => openOneTimeReply(key, randomBytes(8), body), (e: unknown) => e instanceof DataFormatError && e.code === 'tag');
  const badLen = Buffer.from(body);
  badLen.writeUInt32BE(body.length, 0);
  assert.throws(() => decryptOneTimeReply(key, tag, badLen), DataFormatError);
  for (let n = 0; n < 28; n++) assert.throws(() => decryptOneTimeReply(key, tag, body.subarray(0, n)), DataFormatError);
  // A valid AEAD around a malformed payload is a DataFormatError from the block decoder.
  const junk = encryptOneTimeReply(key, tag, Buffer.from([11, 0, 200, 0]));
  assert.throws(() => openOneTimeReply(key, tag, junk), DataFormatError);
  assert.throws(() => sealOneTimeReply(randomBytes(31), tag, reply), RangeError);
  assert.throws(() => sealOneTimeReply(key, randomBytes(32), reply), RangeError);
});

test('OneTimeReplyKeys: each pair opens one message, unknown/expired tags are not ours, the table is bounded', () => {
  const keys = new OneTimeReplyKeys({ maxEntries: 4 });
  const key = randomBytes(32);
  const tag = randomBytes(8);
  keys.expect(tag, key, NOW + 60_000, NOW);
  const body = sealOneTimeReply(key, tag, reply);
  assert.equal(keys.has(body), true);
  assert.equal(localMessages(keys.open(body, NOW)!).length, 1);
  assert.equal(keys.open(body, NOW), undefined, 'a replay finds no key');
  assert.equal(keys.counters.unknownTag, 1);

  const k2 = randomBytes(32);
  const t2 = randomBytes(8);
  keys.expect(t2, k2, NOW + 1000, NOW);
  assert.equal(keys.open(sealOneTimeReply(k2, t2, reply), NOW + 1000), undefined, 'expired');
  assert.equal(keys.counters.expired, 1);

  const k3 = randomBytes(32);
  const t3 = randomBytes(8);
  keys.expect(t3, k3, NOW + 60_000, NOW);
  const tampered = sealOneTimeReply(k3, t3, reply);
  tampered[tampered.length - 1]! ^= 1;
  assert.throws(() => keys.open(tampered, NOW), AuthenticationError);
  assert.equal(keys.size, 0, 'consumed even when it failed');

  for (let i = 0; i < 10; i++) keys.expect(randomBytes(8), randomBytes(32), NOW + 60_000, NOW);
  assert.equal(keys.size, 4);
  assert.equal(keys.counters.evicted, 6);
  assert.equal(keys.open(randomBytes(40), NOW), undefined);
});
