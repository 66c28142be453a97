import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sha256 } from '../../../src/crypto/index.js';
import { Destination } from '../../../src/data/destination.js';
import { LeaseSet, MAX_LEASE_SET_SIZE } from '../../../src/data/lease-set.js';
import { SigType } from '../../../src/data/certificate.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { T0, everyTruncationThrows, lease, makeDestination, makeEcdsaDestination, makeLeaseSet } from '../netdb/make-lease-sets.js';

const isFormatError = (e: unknown): boolean => e instanceof DataFormatError;

test('LeaseSet (1): built, parsed back byte for byte, verified with the Destination key', () => {
  const { dest, signer } = makeDestination();
  const ends = [T0 + 7 * 60_000, T0 + 10 * 60_000, T0 + 8 * 60_000];
  const ls = makeLeaseSet({ dest, signer, leaseEnds: ends });
  const back = LeaseSet.parse(ls.raw);
  assert.deepEqual(back.raw, ls.raw);
  assert.ok(back.verify());
  assert.deepEqual(back.hash, sha256(dest.raw));
  assert.equal(back.leases.length, 3);
  assert.deepEqual(back.leases.map((l) => l.endDate), ends);
  assert.equal(back.earliestLeaseEnd, T0 + 7 * 60_000);
  assert.equal(back.latestLeaseEnd, T0 + 10 * 60_000);
  // Layout: Destination (391), 256-byte key, 32-byte Ed25519 signing key, count, 3*44, 64 signature.
  assert.equal(ls.raw.length, 391 + 256 + 32 + 1 + 3 * 44 + 64);
  assert.equal(ls.raw[391 + 256 + 32], 3);
});

test('LeaseSet (1): any changed byte fails verification', () => {
  const ls = makeLeaseSet();
  for (const at of [400, 391 + 256 + 32 + 1 + 40, ls.raw.length - 1]) {
    const t = Buffer.from(ls.raw);
    t[at]! ^= 0x01;
    assert.equal(LeaseSet.parse(t).verify(), false, `byte ${at}`);
  }
  // Signed by another Destination's key.
  const other = makeDestination();
  const forged = LeaseSet.create({ destination: makeDestination().dest, signer: other.signer, encryptionKey: randomBytes(256), leases: [lease(T0)] });
  assert.equal(forged.verify(), false);
});

test('LeaseSet (1): ECDSA-P256 Destinations verify; DSA ones with random keys parse and fail verification', () => {
  const { dest, signer } = makeEcdsaDestination();
  assert.equal(dest.sigType, SigType.ECDSA_SHA256_P256);
  const ls = makeLeaseSet({ dest, signer });
  assert.equal(ls.signingKey.length, 64);
  assert.equal(ls.signature.length, 64);
  assert.ok(LeaseSet.parse(ls.raw).verify());
  const t = Buffer.from(ls.raw);
  t[t.length - 70]! ^= 0x80;
  assert.equal(LeaseSet.parse(t).verify(), false);

  // NULL certificate: ElGamal + DSA_SHA1 (128-byte signing key, 40-byte signature).
  const dsaDest = Buffer.concat([randomBytes(384), Buffer.of(0, 0, 0)]);
  const dsa = Buffer.concat([dsaDest, randomBytes(256), randomBytes(128), Buffer.of(1), lease(T0).gateway, Buffer.alloc(12), randomBytes(40)]);
  const parsed = LeaseSet.parse(dsa);
  assert.equal(parsed.destination.sigType, SigType.DSA_SHA1);
  assert.equal(parsed.verify(), false);
  assert.equal(Destination.parse(dsaDest).sigType, SigType.DSA_SHA1);
});

test('LeaseSet (1): truncated, trailing, oversized, too many leases and garbage are DataFormatError', () => {
  const ls = makeLeaseSet();
  everyTruncationThrows(LeaseSet.parse, ls.raw, isFormatError);
  assert.throws(() => LeaseSet.parse(Buffer.alloc(MAX_LEASE_SET_SIZE + 1)), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
  // 17 leases: count byte changed and 44 more bytes spliced in.
  const countAt = 391 + 256 + 32;
  const many = Buffer.concat([ls.raw.subarray(0, countAt), Buffer.of(17), Buffer.alloc(17 * 44), ls.raw.subarray(ls.raw.length - 64)]);
  assert.throws(() => LeaseSet.parse(many), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
  for (const g of [Buffer.alloc(900, 0xff), Buffer.alloc(900), Buffer.from('garbage'), Buffer.alloc(0)]) {
    assert.throws(() => LeaseSet.parse(g), DataFormatError);
  }
});
