import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { hkdf, hmacSha256, sha256 } from '../../../src/crypto/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('sha256: FIPS 180-2 "abc", single part and split parts agree', () => {
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  assert.equal(sha256(Buffer.from('abc')).toString('hex'), abc);
  assert.equal(sha256(Buffer.from('a'), Buffer.from(''), Buffer.from('bc')).toString('hex'), abc);
  assert.equal(
    sha256().toString('hex'),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('hmacSha256: RFC 4231 test case 2', () => {
  const mac = hmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want '), Buffer.from('for nothing?'));
  assert.equal(mac.toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('hkdf: RFC 5869 test case 1 (SHA-256)', () => {
  const ikm = Buffer.alloc(22, 0x0b);
  const salt = hex('000102030405060708090a0b0c');
  const info = hex('f0f1f2f3f4f5f6f7f8f9');
  const okm = hkdf(salt, ikm, info, 42);
  assert.equal(
    okm.toString('hex'),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('hkdf with empty info and 64 bytes is the Noise HKDF (HMAC chain) used by NTCP2', () => {
  const ck = sha256(Buffer.from('chaining key'));
  const ikm = sha256(Buffer.from('dh output'));
  const tempKey = createHmac('sha256', ck).update(ikm).digest();
  const out1 = createHmac('sha256', tempKey).update(Buffer.from([1])).digest();
  const out2 = createHmac('sha256', tempKey).update(out1).update(Buffer.from([2])).digest();
  assert.deepEqual(hkdf(ck, ikm, Buffer.alloc(0), 64), Buffer.concat([out1, out2]));
  assert.deepEqual(hkdf(ck, ikm, '', 64), Buffer.concat([out1, out2]));
});

test('hkdf agrees with node hkdfSync across lengths and string info', () => {
  const salt = Buffer.from('salt');
  const ikm = Buffer.from('input keying material');
  for (const length of [0, 1, 31, 32, 33, 64, 65, 100, 255 * 32]) {
    const ref = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('info'), length));
    assert.deepEqual(hkdf(salt, ikm, 'info', length), ref, `length ${length}`);
  }
});

test('hkdf rejects impossible output lengths', () => {
  assert.throws(() => hkdf(Buffer.alloc(0), Buffer.alloc(0), '', 255 * 32 + 1), RangeError);
  assert.throws(() => hkdf(Buffer.alloc(0), Buffer.alloc(0), '', -1), RangeError);
  assert.throws(() => hkdf(Buffer.alloc(0), Buffer.alloc(0), '', 1.5), RangeError);
});
