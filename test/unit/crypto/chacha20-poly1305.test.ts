import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChaCha20Poly1305,
  chacha20Poly1305Decrypt,
  chacha20Poly1305Encrypt,
  randomBytes,
} from '../../../src/crypto/index.js';
import { AuthenticationError } from '../../../src/util/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 8439 §2.8.2
const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const nonce = hex('070000004041424344454647');
const aad = hex('50515253c0c1c2c3c4c5c6c7');
const plaintext = Buffer.from(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const ciphertext = hex(`
  d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
  3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
  92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
  3ff4def08e4b7a9de576d26586cec64b6116`);
const tag = hex('1ae10b594f09e26a7e902ecbd0600691');

test('RFC 8439 §2.8.2 AEAD vector: encrypt and decrypt', () => {
  const out = chacha20Poly1305Encrypt(key, nonce, aad, plaintext);
  assert.deepEqual(out, Buffer.concat([ciphertext, tag]));
  assert.deepEqual(chacha20Poly1305Decrypt(key, nonce, aad, out), plaintext);
});

test('bad tag, flipped ciphertext bit, wrong AD and wrong key are rejected', () => {
  const good = Buffer.concat([ciphertext, tag]);
  const badTag = Buffer.from(good);
  badTag[badTag.length - 1]! ^= 1;
  assert.throws(() => chacha20Poly1305Decrypt(key, nonce, aad, badTag), AuthenticationError);
  const badCt = Buffer.from(good);
  badCt[0]! ^= 0x80;
  assert.throws(() => chacha20Poly1305Decrypt(key, nonce, aad, badCt), AuthenticationError);
  assert.throws(() => chacha20Poly1305Decrypt(key, nonce, undefined, good), AuthenticationError);
  const wrongKey = Buffer.from(key);
  wrongKey[31]! ^= 1;
  assert.throws(() => chacha20Poly1305Decrypt(wrongKey, nonce, aad, good), AuthenticationError);
});

test('input shorter than a tag is an AuthenticationError, not a crash', () => {
  const c = new ChaCha20Poly1305(key);
  for (const len of [0, 1, 15]) {
    assert.throws(() => c.decrypt(0, undefined, Buffer.alloc(len)), AuthenticationError);
  }
});

test('class nonce n is 4 zero bytes || n as uint64 little-endian', () => {
  const c = new ChaCha20Poly1305(key);
  const pt = randomBytes(100);
  const cases: Array<[number | bigint, string]> = [
    [0, '000000000000000000000000'],
    [1, '000000000100000000000000'],
    [0x01020304, '000000000403020100000000'],
    [2 ** 32, '000000000000000001000000'],
    [Number.MAX_SAFE_INTEGER, '00000000ffffffffffff1f00'],
    [0x0102030405060708n, '000000000807060504030201'],
    [0xffffffffffffffffn, '00000000ffffffffffffffff'],
  ];
  for (const [n, raw] of cases) {
    const expected = chacha20Poly1305Encrypt(key, hex(raw), aad, pt);
    assert.deepEqual(c.encrypt(n, aad, pt), expected, `nonce ${n}`);
    assert.deepEqual(c.decrypt(n, aad, expected), pt, `nonce ${n}`);
  }
  assert.deepEqual(c.encrypt(7, undefined, pt), c.encrypt(7n, undefined, pt));
});

test('a frame decrypts only under its own nonce', () => {
  const c = new ChaCha20Poly1305(key);
  const frame = c.encrypt(5, undefined, Buffer.from('data phase frame'));
  assert.throws(() => c.decrypt(6, undefined, frame), AuthenticationError);
  assert.deepEqual(c.decrypt(5, undefined, frame).toString(), 'data phase frame');
});

test('empty plaintext gives a bare tag; empty AD equals no AD (Noise)', () => {
  const c = new ChaCha20Poly1305(key);
  const t = c.encrypt(0, undefined, Buffer.alloc(0));
  assert.equal(t.length, 16);
  assert.deepEqual(c.decrypt(0, Buffer.alloc(0), t), Buffer.alloc(0));
  assert.deepEqual(c.encrypt(3, Buffer.alloc(0), plaintext), c.encrypt(3, undefined, plaintext));
});

test('large frames round-trip', () => {
  const c = new ChaCha20Poly1305(randomBytes(32));
  const pt = randomBytes(65519);
  const ct = c.encrypt(42, undefined, pt);
  assert.equal(ct.length, 65535);
  assert.deepEqual(c.decrypt(42, undefined, ct), pt);
});

test('invalid keys, nonces and counters are rejected as programming errors', () => {
  assert.throws(() => new ChaCha20Poly1305(Buffer.alloc(31)), RangeError);
  assert.throws(() => chacha20Poly1305Encrypt(key, Buffer.alloc(8), undefined, plaintext), RangeError);
  const c = new ChaCha20Poly1305(key);
  for (const n of [-1, 1.5, 2 ** 53, Number.NaN, -1n, 2n ** 64n]) {
    assert.throws(() => c.encrypt(n, undefined, plaintext), RangeError, `nonce ${n}`);
  }
});
