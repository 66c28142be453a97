import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, randomBytes, x25519 } from '../../../src/crypto/index.js';
import { derivePublicKeyNoble } from '../../../src/crypto/okp-keys.js';
import { AuthenticationError } from '../../../src/util/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RFC 7748 §5.2 test vectors', () => {
  assert.equal(
    x25519(
      hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    ).toString('hex'),
    'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  );
  assert.equal(
    x25519(
      hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
      hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'),
    ).toString('hex'),
    '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  );
});

test('RFC 7748 §6.1 Alice and Bob', () => {
  const alice = X25519KeyPair.fromPrivate(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  const bob = X25519KeyPair.fromPrivate(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
  assert.equal(alice.publicKey.toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(bob.publicKey.toString('hex'), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  assert.equal(alice.agree(bob.publicKey).toString('hex'), shared);
  assert.equal(bob.agree(alice.publicKey).toString('hex'), shared);
  assert.equal(alice.privateKey.toString('hex'), '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
});

test('generated key pairs agree, and round-trip through their raw private key', () => {
  const a = X25519KeyPair.generate();
  const b = X25519KeyPair.generate();
  assert.equal(a.privateKey.length, 32);
  assert.equal(a.publicKey.length, 32);
  assert.notDeepEqual(a.publicKey, b.publicKey);
  assert.deepEqual(a.agree(b.publicKey), b.agree(a.publicKey));
  const a2 = X25519KeyPair.fromPrivate(a.privateKey);
  assert.deepEqual(a2.publicKey, a.publicKey);
  assert.deepEqual(a2.agree(b.publicKey), a.agree(b.publicKey));
});

test('the public key derived on the fast path equals @noble/curves (the fallback path)', () => {
  for (let i = 0; i < 8; i++) {
    const raw = randomBytes(32);
    assert.deepEqual(X25519KeyPair.fromPrivate(raw).publicKey, derivePublicKeyNoble('X25519', raw));
  }
});

test('low-order peer public keys (all-zero shared secret) are rejected', () => {
  const ours = X25519KeyPair.generate();
  // The small-order u-coordinates (and their non-canonical encodings) listed for Curve25519.
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  for (const u of lowOrder) {
    assert.throws(() => ours.agree(hex(u)), AuthenticationError, u);
    assert.throws(() => x25519(ours.privateKey, hex(u)), AuthenticationError, u);
  }
});

test('wrong-size keys are programming errors', () => {
  assert.throws(() => X25519KeyPair.fromPrivate(Buffer.alloc(31)), RangeError);
  assert.throws(() => X25519KeyPair.generate().agree(Buffer.alloc(33)), RangeError);
});
