import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Ed25519Signer, ed25519Verify, randomBytes } from '../../../src/crypto/index.js';
import { ed25519PublicKeyCacheSize } from '../../../src/crypto/ed25519.js';
import { derivePublicKeyNoble } from '../../../src/crypto/okp-keys.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 8032 §7.1
const vectors = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: Buffer.alloc(0),
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: hex('72'),
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: hex('af82'),
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message: createHash('sha512').update('abc').digest(),
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

for (const v of vectors) {
  test(`RFC 8032 ${v.name}: public key, signature, verification`, () => {
    const signer = Ed25519Signer.fromPrivate(hex(v.secret));
    assert.equal(signer.publicKey.toString('hex'), v.public);
    assert.equal(signer.privateKey.toString('hex'), v.secret);
    assert.equal(signer.sign(v.message).toString('hex'), v.signature);
    assert.equal(ed25519Verify(hex(v.public), v.message, hex(v.signature)), true);
  });
}

test('SHA(abc) message is the RFC 8032 one', () => {
  assert.equal(
    vectors[3]!.message.toString('hex'),
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  );
});

test('tampered message, signature or key does not verify', () => {
  const v = vectors[2]!;
  const pub = hex(v.public);
  const sig = hex(v.signature);
  assert.equal(ed25519Verify(pub, hex('af83'), sig), false);
  for (const i of [0, 31, 32, 63]) {
    const bad = Buffer.from(sig);
    bad[i]! ^= 0x01;
    assert.equal(ed25519Verify(pub, v.message, bad), false, `sig byte ${i}`);
  }
  assert.equal(ed25519Verify(hex(vectors[0]!.public), v.message, sig), false);
});

test('malformed keys and signatures return false, never throw', () => {
  const v = vectors[1]!;
  const pub = hex(v.public);
  const sig = hex(v.signature);
  assert.equal(ed25519Verify(pub.subarray(0, 31), v.message, sig), false);
  assert.equal(ed25519Verify(Buffer.concat([pub, Buffer.alloc(1)]), v.message, sig), false);
  assert.equal(ed25519Verify(pub, v.message, sig.subarray(0, 63)), false);
  assert.equal(ed25519Verify(pub, v.message, Buffer.alloc(0)), false);
  assert.equal(ed25519Verify(Buffer.alloc(0), v.message, sig), false);
  // Not a point on the curve (y = 2 has no x), the all-ones encoding, and the zero key.
  const notAPoint = hex('0200000000000000000000000000000000000000000000000000000000000000');
  assert.equal(ed25519Verify(notAPoint, v.message, sig), false);
  assert.equal(ed25519Verify(Buffer.alloc(32, 0xff), v.message, sig), false);
  assert.equal(ed25519Verify(Buffer.alloc(32), v.message, Buffer.alloc(64)), false);
  // S >= L (non-canonical scalar): must be rejected.
  const bigS = Buffer.from(sig);
  bigS.fill(0xff, 32);
  assert.equal(ed25519Verify(pub, v.message, bigS), false);
  // Not even byte arrays (untyped callers): still false.
  assert.equal(ed25519Verify(undefined as unknown as Uint8Array, v.message, sig), false);
});

test('generated signers sign and verify; the seed round-trips', () => {
  const s = Ed25519Signer.generate();
  const msg = randomBytes(1000);
  const sig = s.sign(msg);
  assert.equal(sig.length, 64);
  assert.equal(ed25519Verify(s.publicKey, msg, sig), true);
  const again = Ed25519Signer.fromPrivate(s.privateKey);
  assert.deepEqual(again.publicKey, s.publicKey);
  assert.deepEqual(again.sign(msg), sig); // Ed25519 is deterministic
});

test('the public key derived on the fast path equals @noble/curves (the fallback path)', () => {
  for (let i = 0; i < 8; i++) {
    const seed = randomBytes(32);
    assert.deepEqual(Ed25519Signer.fromPrivate(seed).publicKey, derivePublicKeyNoble('Ed25519', seed));
  }
});

test('the public key cache stays bounded and keeps working after eviction', () => {
  const s = Ed25519Signer.generate();
  const msg = Buffer.from('router info');
  const sig = s.sign(msg);
  assert.equal(ed25519Verify(s.publicKey, msg, sig), true);
  for (let i = 0; i < 4200; i++) ed25519Verify(randomBytes(32), msg, sig);
  assert.ok(ed25519PublicKeyCacheSize() <= 4096, `cache size ${ed25519PublicKeyCacheSize()}`);
  assert.equal(ed25519Verify(s.publicKey, msg, sig), true);
});
