import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Ed25519Signer, X25519KeyPair, randomBytes, sha256 } from '../../../src/crypto/index.js';
import { ByteReader } from '../../../src/util/bytes.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { Certificate, CertificateType, CryptoType, KeyCertificate, SigType } from '../../../src/data/certificate.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { Destination } from '../../../src/data/destination.js';
import { requireKeyTypes } from '../../../src/data/keys-and-cert.js';
import { base32Encode } from '../../../src/data/base32.js';

function cert(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(3);
  h[0] = type;
  h.writeUInt16BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}
function keyCertPayload(sig: number, crypto: number, excess = 0): Buffer {
  const p = Buffer.alloc(4 + excess, 0xee);
  p.writeUInt16BE(sig, 0);
  p.writeUInt16BE(crypto, 2);
  return p;
}
function readCert(b: Buffer): Certificate {
  const r = new ByteReader(b);
  const c = Certificate.read(r);
  r.expectEnd('cert');
  return c;
}
/** 384 key bytes counting 0..255 cyclically, so each slot's position is recognisable. */
const KEYS = Buffer.from(Array.from({ length: 384 }, (_, i) => i & 0xff));

test('certificate types and their enforced lengths', () => {
  assert.equal(readCert(cert(0, Buffer.alloc(0))), Certificate.NULL);
  assert.equal(readCert(cert(2, Buffer.alloc(0))).type, CertificateType.HIDDEN);
  assert.equal(readCert(cert(3, Buffer.alloc(40))).payload.length, 40);
  assert.equal(readCert(cert(3, Buffer.alloc(72))).payload.length, 72);
  assert.equal(readCert(cert(1, Buffer.from('1:20:abc'))).type, CertificateType.HASHCASH);
  assert.equal(readCert(cert(4, Buffer.alloc(10))).type, CertificateType.MULTIPLE);
  const kc = readCert(cert(5, keyCertPayload(7, 4)));
  assert.ok(kc instanceof KeyCertificate);
  assert.equal(kc.sigType, SigType.EdDSA_SHA512_Ed25519);
  assert.equal(kc.cryptoType, CryptoType.ECIES_X25519);
  assert.deepEqual(readCert(kc.encode()), kc);

  for (const [name, b] of [
    ['NULL with payload', cert(0, Buffer.alloc(1))],
    ['HIDDEN with payload', cert(2, Buffer.alloc(4))],
    ['SIGNED 41', cert(3, Buffer.alloc(41))],
    ['unknown type 6', cert(6, Buffer.alloc(0))],
    ['KEY too short', cert(5, Buffer.alloc(3))],
    ['KEY excess data', cert(5, keyCertPayload(7, 4, 1))],
    ['KEY unknown sig type (GOST)', cert(5, keyCertPayload(9, 0))],
    ['KEY unknown crypto type', cert(5, keyCertPayload(7, 255))],
    ['KEY P521 missing excess', cert(5, keyCertPayload(3, 0))],
    ['length past end', cert(0, Buffer.alloc(0)).fill(0xff, 1)],
  ] as const) {
    assert.throws(() => readCert(b), DataFormatError, name);
  }
  assert.equal((readCert(cert(5, keyCertPayload(3, 0, 4))) as KeyCertificate).excessSigningKey.length, 4);
  assert.equal((readCert(cert(5, keyCertPayload(6, 0, 384))) as KeyCertificate).excessSigningKey.length, 384);
});

test('KeysAndCert layouts: NULL cert is ElGamal + DSA_SHA1', () => {
  const id = RouterIdentity.parse(Buffer.concat([KEYS, cert(0, Buffer.alloc(0))]));
  assert.equal(id.raw.length, 387);
  assert.equal(id.sigType, SigType.DSA_SHA1);
  assert.equal(id.cryptoType, CryptoType.ElGamal);
  assert.deepEqual(id.encryptionPublicKey, KEYS.subarray(0, 256));
  assert.deepEqual(id.signingPublicKey, KEYS.subarray(256));
  assert.equal(id.signatureLength, 40);
  assert.equal(id.verify(Buffer.from('m'), Buffer.alloc(40)), false);
});

test('KeysAndCert layouts: crypto key left-aligned, signing key right-aligned, excess in cert', () => {
  const x25519Ed = RouterIdentity.parse(Buffer.concat([KEYS, cert(5, keyCertPayload(7, 4))]));
  assert.deepEqual(x25519Ed.encryptionPublicKey, KEYS.subarray(0, 32));
  assert.deepEqual(x25519Ed.signingPublicKey, KEYS.subarray(352));
  assert.equal(x25519Ed.signatureLength, 64);

  const p256 = Destination.parse(Buffer.concat([KEYS, cert(5, keyCertPayload(1, 0))]));
  assert.deepEqual(p256.signingPublicKey, KEYS.subarray(320));
  assert.deepEqual(p256.encryptionPublicKey, KEYS.subarray(0, 256));
  assert.equal(p256.signatureLength, 64);

  const p521 = Destination.parse(Buffer.concat([KEYS, cert(5, keyCertPayload(3, 0, 4))]));
  assert.deepEqual(p521.signingPublicKey, Buffer.concat([KEYS.subarray(256), Buffer.alloc(4, 0xee)]));
  assert.equal(p521.signatureLength, 132);

  const rsa = Destination.parse(Buffer.concat([KEYS, cert(5, keyCertPayload(6, 0, 384))]));
  assert.equal(rsa.signingPublicKey.length, 512);
  assert.equal(rsa.signatureLength, 512);

  const red = Destination.parse(Buffer.concat([KEYS, cert(5, keyCertPayload(11, 0))]));
  assert.equal(red.sigType, SigType.RedDSA_SHA512_Ed25519);
  assert.equal(red.verify(Buffer.from('m'), Buffer.alloc(64)), false);
  assert.throws(() => requireKeyTypes(red, SigType.EdDSA_SHA512_Ed25519, undefined, 'dest'), DataFormatError);
  requireKeyTypes(x25519Ed, SigType.EdDSA_SHA512_Ed25519, CryptoType.ECIES_X25519, 'ri');
  assert.throws(() => requireKeyTypes(p256, SigType.ECDSA_SHA256_P256, CryptoType.ECIES_X25519, 'x'), DataFormatError);
});

test('KeysAndCert parse never aliases the input buffer', () => {
  const buf = Buffer.concat([KEYS, cert(5, keyCertPayload(7, 4))]);
  const id = RouterIdentity.parse(buf);
  const before = Buffer.from(id.signingPublicKey);
  buf.fill(0);
  assert.deepEqual(id.signingPublicKey, before);
  assert.equal(id.raw.subarray(0, 384).equals(KEYS), true);
});

test('RouterIdentity.create: 391 bytes, KEY(7,4), proposal-161 padding, hash = sha256(raw)', () => {
  const x = X25519KeyPair.generate();
  const s = Ed25519Signer.generate();
  const pad = randomBytes(32);
  const id = RouterIdentity.create(x.publicKey, s.publicKey, pad);
  assert.equal(id.raw.length, 391);
  assert.deepEqual(id.raw.subarray(384), Buffer.from('05000400070004', 'hex'));
  assert.deepEqual(id.raw.subarray(0, 32), x.publicKey);
  for (let i = 0; i < 10; i++) assert.deepEqual(id.raw.subarray(32 + 32 * i, 64 + 32 * i), pad, `copy ${i}`);
  assert.deepEqual(id.raw.subarray(352, 384), s.publicKey);
  assert.deepEqual(id.encryptionPublicKey, x.publicKey);
  assert.deepEqual(id.signingPublicKey, s.publicKey);
  assert.equal(id.sigType, 7);
  assert.equal(id.cryptoType, 4);
  assert.deepEqual(id.hash, sha256(id.raw));
  assert.ok(gzipSync(id.raw).length < 160, 'padding compresses');
  assert.ok(RouterIdentity.parse(id.raw).equals(id));
  // Random padding when none is given.
  const a = RouterIdentity.create(x.publicKey, s.publicKey);
  const b = RouterIdentity.create(x.publicKey, s.publicKey);
  assert.notDeepEqual(a.raw, b.raw);
  assert.throws(() => RouterIdentity.create(x.publicKey.subarray(1), s.publicKey), RangeError);
});

test('RouterIdentity verify() with Ed25519', () => {
  const s = Ed25519Signer.generate();
  const id = RouterIdentity.create(randomBytes(32), s.publicKey);
  const msg = Buffer.from('hello i2p');
  const sig = s.sign(msg);
  assert.equal(id.verify(msg, sig), true);
  assert.equal(id.verify(Buffer.from('hello i2q'), sig), false);
  const bad = Buffer.from(sig);
  bad[10]! ^= 1;
  assert.equal(id.verify(msg, bad), false);
  assert.equal(id.verify(msg, sig.subarray(0, 63)), false);
});

test('RouterIdentity rejects every truncation and trailing bytes', () => {
  const id = RouterIdentity.create(randomBytes(32), randomBytes(32));
  for (let i = 0; i < id.raw.length; i++) assert.throws(() => RouterIdentity.parse(id.raw.subarray(0, i)), DataFormatError, `len ${i}`);
  assert.throws(() => RouterIdentity.parse(Buffer.concat([id.raw, Buffer.of(0)])), DataFormatError);
});

test('Destination.create, base64 and b32 address', () => {
  const s = Ed25519Signer.generate();
  const pad = randomBytes(32);
  const d = Destination.create(s.publicKey, pad);
  assert.equal(d.raw.length, 391);
  for (let i = 0; i < 11; i++) assert.deepEqual(d.raw.subarray(32 * i, 32 * i + 32), pad);
  assert.deepEqual(d.raw.subarray(384), Buffer.from('05000400070000', 'hex'));
  assert.equal(d.sigType, 7);
  assert.equal(d.cryptoType, 0);
  const b64 = d.toBase64();
  assert.equal(b64.length, 524);
  assert.ok(/^[A-Za-z0-9~-]+=*$/.test(b64));
  assert.ok(Destination.fromBase64(b64).equals(d));
  const b32 = d.b32Address();
  assert.equal(b32, `${base32Encode(sha256(d.raw))}.b32.i2p`);
  assert.ok(/^[a-z2-7]{52}\.b32\.i2p$/.test(b32));
  assert.equal(d.verify(Buffer.from('x'), s.sign(Buffer.from('x'))), true);
  assert.throws(() => Destination.fromBase64(b64.slice(0, -4)), DataFormatError);
  assert.throws(() => Destination.fromBase64(`+${b64.slice(1)}`), DataFormatError);
});
