import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Ed25519Signer } from '../../../src/crypto/index.js';
import { CryptoType, SigType } from '../../../src/data/certificate.js';
import { MAX_LEASE_SET_SIZE } from '../../../src/data/lease-set.js';
import { EncryptedLeaseSet, LeaseSet2, LeaseSet2Flags, MetaLeaseSet, createOfflineSignature } from '../../../src/data/lease-set2.js';
import { DataFormatError } from '../../../src/util/errors.js';
import {
  T0,
  everyTruncationThrows,
  makeDestination,
  makeEcdsaDestination,
  makeEncryptedLeaseSet,
  makeLeaseSet2,
  makeMetaLeaseSet,
} from '../netdb/make-lease-sets.js';

const isFormatError = (e: unknown): boolean => e instanceof DataFormatError;
const MIN = 60_000;

/** Flips one bit at `at` and re-parses with `parse`. */
function flipped<T>(parse: (b: Buffer) => T, raw: Buffer, at: number): T {
  const t = Buffer.from(raw);
  t[at]! ^= 0x01;
  return parse(t);
}

test('LeaseSet2: round trip, fields, verification over the type byte and body', () => {
  const { dest, signer } = makeDestination();
  const ls = makeLeaseSet2({ dest, signer, published: T0 - 5000, expires: T0 + 600_000 });
  const back = LeaseSet2.parse(ls.raw);
  assert.deepEqual(back.raw, ls.raw);
  assert.ok(back.verify());
  assert.ok(back.signatureSupported);
  assert.deepEqual(back.hash, dest.hash);
  assert.equal(back.published, T0 - 5000);
  assert.equal(back.expires, T0 + 600_000);
  assert.equal(back.unpublished, false);
  assert.equal(back.header.offline, undefined);
  assert.equal(back.options.get('_smtp._tcp'), '0 86400 25');
  assert.equal(back.encryptionKeys.length, 1);
  assert.equal(back.encryptionKeys[0]!.type, CryptoType.ECIES_X25519);
  assert.equal(back.leases.length, 2);
  assert.equal(back.leases[0]!.endDate, T0 + 9 * MIN);

  // Header layout: Destination, then published (s), expires offset (s), flags.
  assert.equal(ls.raw.readUInt32BE(391), (T0 - 5000) / 1000);
  assert.equal(ls.raw.readUInt16BE(395), 605);
  assert.equal(ls.raw.readUInt16BE(397), 0);

  // The signature covers "type byte || body": a signature over the body alone is refused.
  const body = ls.raw.subarray(0, ls.raw.length - 64);
  assert.equal(LeaseSet2.parse(Buffer.concat([body, signer.sign(body)])).verify(), false);
  assert.ok(LeaseSet2.parse(Buffer.concat([body, signer.sign(Buffer.concat([Buffer.of(3), body]))])).verify());

  for (const at of [0, 392, 420, ls.raw.length - 80, ls.raw.length - 1]) assert.equal(flipped(LeaseSet2.parse, ls.raw, at).verify(), false, `byte ${at}`);
});

test('LeaseSet2: offline signature chain (Destination certifies a transient key that signs)', () => {
  const { dest, signer } = makeDestination();
  const ls = makeLeaseSet2({ dest, signer, offlineExpires: T0 + 86_400_000 });
  const back = LeaseSet2.parse(ls.raw);
  assert.ok(back.header.flags & LeaseSet2Flags.OFFLINE_KEYS);
  assert.equal(back.header.offline?.expires, T0 + 86_400_000);
  assert.equal(back.header.offline?.transientSigType, SigType.EdDSA_SHA512_Ed25519);
  assert.ok(back.verify());
  // Offline block: expires(4) sigtype(2) key(32) signature(64) right after the 8 header bytes.
  const offlineSigAt = 391 + 8 + 4 + 2 + 32;
  assert.equal(flipped(LeaseSet2.parse, ls.raw, offlineSigAt + 5).verify(), false, 'offline signature');
  assert.equal(flipped(LeaseSet2.parse, ls.raw, 391 + 8 + 1).verify(), false, 'offline expiry');
  assert.equal(flipped(LeaseSet2.parse, ls.raw, 391 + 8 + 10).verify(), false, 'transient key');

  // Signed by the Destination key itself although the header names a transient key: refused.
  const transient = Ed25519Signer.generate();
  const header = {
    destination: dest,
    published: T0,
    expires: T0 + 600_000,
    flags: LeaseSet2Flags.OFFLINE_KEYS,
    offline: createOfflineSignature({ signer, expires: T0 + 3600_000, transientSigType: 7, transientPublicKey: transient.publicKey }),
  };
  const wrong = LeaseSet2.create({ header, signer, encryptionKeys: [{ type: 4, key: Buffer.alloc(32, 1) }], leases: [] });
  assert.equal(wrong.verify(), false);
  assert.ok(LeaseSet2.create({ header, signer: transient, encryptionKeys: [{ type: 4, key: Buffer.alloc(32, 1) }], leases: [] }).verify());
  // A transient key certified by somebody else's Destination key.
  const foreign = { ...header, offline: createOfflineSignature({ signer: Ed25519Signer.generate(), expires: T0 + 3600_000, transientSigType: 7, transientPublicKey: transient.publicKey }) };
  assert.equal(LeaseSet2.create({ header: foreign, signer: transient, encryptionKeys: [{ type: 4, key: Buffer.alloc(32, 1) }], leases: [] }).verify(), false);
});

test('LeaseSet2: ECDSA Destination, unknown encryption key types carried, flags exposed', () => {
  const { dest, signer } = makeEcdsaDestination();
  const ls = LeaseSet2.create({
    header: { destination: dest, published: T0, expires: T0 + 600_000, flags: LeaseSet2Flags.UNPUBLISHED },
    signer,
    encryptionKeys: [
      { type: 6, key: Buffer.alloc(1184, 7) }, // MLKEM768_X25519: length not checked by us
      { type: 4, key: Buffer.alloc(32, 9) },
    ],
    leases: [],
  });
  const back = LeaseSet2.parse(ls.raw);
  assert.ok(back.verify());
  assert.equal(back.unpublished, true);
  assert.deepEqual(back.encryptionKeys.map((k) => [k.type, k.key.length]), [[6, 1184], [4, 32]]);
});

test('MetaLeaseSet: round trip, entries and revocations, verification', () => {
  const ls = makeMetaLeaseSet({ offlineExpires: T0 + 3600_000 });
  const back = MetaLeaseSet.parse(ls.raw);
  assert.deepEqual(back.raw, ls.raw);
  assert.ok(back.verify());
  assert.equal(back.entries.length, 2);
  assert.equal(back.entries[1]!.flags, 0x0a0b01);
  assert.equal(back.entries[1]!.cost, 200);
  assert.equal(back.revocations.length, 1);
  assert.equal(back.expires, T0 + 5 * 3600_000);
  assert.equal(flipped(MetaLeaseSet.parse, ls.raw, ls.raw.length - 100).verify(), false);
});

test('EncryptedLeaseSet: outer layer, key = SHA-256(sigtype || blinded key), verification', () => {
  for (const offlineExpires of [undefined, T0 + 3600_000]) {
    const { ls, blinded } = makeEncryptedLeaseSet(offlineExpires === undefined ? {} : { offlineExpires });
    const back = EncryptedLeaseSet.parse(ls.raw);
    assert.deepEqual(back.raw, ls.raw);
    assert.ok(back.verify());
    assert.equal(back.blindedSigType, SigType.RedDSA_SHA512_Ed25519);
    assert.equal(back.ciphertext.length, 300);
    const expectedKey = createHash('sha256').update(Buffer.of(0x00, 0x0b)).update(blinded.publicKey).digest();
    assert.deepEqual(back.hash, expectedKey);
    assert.equal(back.offline?.expires, offlineExpires);
    assert.equal(flipped(EncryptedLeaseSet.parse, ls.raw, 2 + 32 + 8 + (offlineExpires ? 102 : 0) + 2 + 50).verify(), false, 'ciphertext');
    assert.equal(flipped(EncryptedLeaseSet.parse, ls.raw, 2 + 32 + 1).verify(), false, 'published');
  }
});

test('LeaseSet2 family: every truncation, trailing bytes, oversize and bad counts are DataFormatError', () => {
  everyTruncationThrows(LeaseSet2.parse, makeLeaseSet2({ offlineExpires: T0 + 1000_000 }).raw, isFormatError);
  everyTruncationThrows(MetaLeaseSet.parse, makeMetaLeaseSet().raw, isFormatError);
  everyTruncationThrows(EncryptedLeaseSet.parse, makeEncryptedLeaseSet({ offlineExpires: T0 + 1000_000 }).ls.raw, isFormatError);
  for (const parse of [LeaseSet2.parse, MetaLeaseSet.parse, EncryptedLeaseSet.parse]) {
    assert.throws(() => parse(Buffer.alloc(MAX_LEASE_SET_SIZE + 1)), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
    for (const g of [Buffer.alloc(0), Buffer.alloc(700, 0xff), Buffer.from('not a leaseset')]) assert.throws(() => parse(g), DataFormatError);
  }

  const ls = makeLeaseSet2({ leaseCount: 1 });
  const optionsAt = 391 + 8;
  const keysAt = optionsAt + 2 + ls.raw.readUInt16BE(optionsAt);
  const withByte = (at: number, v: number): Buffer => {
    const t = Buffer.from(ls.raw);
    t[at] = v;
    return t;
  };
  assert.throws(() => LeaseSet2.parse(withByte(keysAt, 0)), DataFormatError, 'no encryption keys');
  assert.throws(() => LeaseSet2.parse(withByte(keysAt + 4, 31)), DataFormatError, 'X25519 key of 31 bytes');
  assert.throws(() => LeaseSet2.parse(withByte(keysAt + 1 + 4 + 32, 17)), DataFormatError, '17 leases');
  // Offline flag set without an offline block: the following bytes are misread and refused.
  assert.throws(() => LeaseSet2.parse(withByte(391 + 7, 1)), DataFormatError);
  // Unknown transient signing type.
  const off = Buffer.from(makeLeaseSet2({ offlineExpires: T0 + 1000_000 }).raw);
  off.writeUInt16BE(9, 391 + 8 + 4);
  assert.throws(() => LeaseSet2.parse(off), (e: unknown) => e instanceof DataFormatError && e.code === 'sigtype');

  const enc = Buffer.from(makeEncryptedLeaseSet().ls.raw);
  const lenAt = 2 + 32 + 8;
  const zeroLen = Buffer.concat([enc.subarray(0, lenAt), Buffer.of(0, 0), enc.subarray(enc.length - 64)]);
  assert.throws(() => EncryptedLeaseSet.parse(zeroLen), DataFormatError, 'empty ciphertext');
  const unknownType = Buffer.from(enc);
  unknownType.writeUInt16BE(99, 0);
  assert.throws(() => EncryptedLeaseSet.parse(unknownType), (e: unknown) => e instanceof DataFormatError && e.code === 'sigtype');
});
