// Test helper (not a test file): real, signed LeaseSets of every type with fresh keys.
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { CryptoType, KeyCertificate, SigType } from '../../../src/data/certificate.js';
import { Destination } from '../../../src/data/destination.js';
import { buildKeysAndCert } from '../../../src/data/keys-and-cert.js';
import { LeaseSet, type Lease } from '../../../src/data/lease-set.js';
import {
  EncryptedLeaseSet,
  LeaseSet2,
  LeaseSet2Flags,
  MetaLeaseSet,
  createOfflineSignature,
  type LeaseSet2Header,
} from '../../../src/data/lease-set2.js';

/** A fixed "now" on whole seconds (LeaseSet2 times are seconds), mid-day UTC. */
export const T0 = Date.UTC(2025, 10, 24, 12, 0, 0);
const MIN = 60_000;

export interface Signer {
  sign(m: Uint8Array): Buffer;
}

export function makeDestination(): { dest: Destination; signer: Ed25519Signer } {
  const signer = Ed25519Signer.generate();
  return { dest: Destination.create(signer.publicKey), signer };
}

/** An ECDSA-P256 (sig type 1) Destination and a signer producing raw r||s signatures. */
export function makeEcdsaDestination(): { dest: Destination; signer: Signer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const pub = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const dest = Destination.parse(buildKeysAndCert(Buffer.alloc(0), pub, KeyCertificate.create(SigType.ECDSA_SHA256_P256, CryptoType.ElGamal)));
  return { dest, signer: { sign: (m) => nodeSign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }) } };
}

export function lease(endDate: number): Lease {
  return { gateway: randomBytes(32), tunnelId: randomBytes(4).readUInt32BE(0), endDate };
}

export function makeLeaseSet(o: { now?: number; leaseEnds?: number[]; dest?: Destination; signer?: Signer } = {}): LeaseSet {
  const now = o.now ?? T0;
  const d = o.dest && o.signer ? { dest: o.dest, signer: o.signer } : makeDestination();
  const ends = o.leaseEnds ?? [now + 9 * MIN, now + 10 * MIN];
  return LeaseSet.create({ destination: d.dest, signer: d.signer, encryptionKey: randomBytes(256), leases: ends.map(lease) });
}

export interface LeaseSet2Options {
  now?: number;
  published?: number;
  expires?: number;
  flags?: number;
  /** Sign with a transient key certified by an offline signature expiring at this time. */
  offlineExpires?: number;
  dest?: Destination;
  signer?: Signer;
  leaseCount?: number;
}

/** Header (with an offline signature when asked) and the signer that must sign the body. */
function header(o: LeaseSet2Options): { header: LeaseSet2Header; bodySigner: Signer; destSigner: Signer } {
  const now = o.now ?? T0;
  const d = o.dest && o.signer ? { dest: o.dest, signer: o.signer } : makeDestination();
  const h: LeaseSet2Header = { destination: d.dest, published: o.published ?? now, expires: o.expires ?? now + 10 * MIN, flags: o.flags ?? 0 };
  if (o.offlineExpires === undefined) return { header: h, bodySigner: d.signer, destSigner: d.signer };
  const transient = Ed25519Signer.generate();
  h.flags |= LeaseSet2Flags.OFFLINE_KEYS;
  h.offline = createOfflineSignature({ signer: d.signer, expires: o.offlineExpires, transientSigType: SigType.EdDSA_SHA512_Ed25519, transientPublicKey: transient.publicKey });
  return { header: h, bodySigner: transient, destSigner: d.signer };
}

export function makeLeaseSet2(o: LeaseSet2Options = {}): LeaseSet2 {
  const now = o.now ?? T0;
  const h = header(o);
  return LeaseSet2.create({
    header: h.header,
    signer: h.bodySigner,
    options: new Map([['_smtp._tcp', '0 86400 25']]),
    encryptionKeys: [{ type: CryptoType.ECIES_X25519, key: X25519KeyPair.generate().publicKey }],
    leases: Array.from({ length: o.leaseCount ?? 2 }, (_, i) => lease(now + (9 + i) * MIN)),
  });
}

export function makeMetaLeaseSet(o: LeaseSet2Options = {}): MetaLeaseSet {
  const now = o.now ?? T0;
  const h = header({ expires: now + 5 * 3600_000, ...o });
  return MetaLeaseSet.create({
    header: h.header,
    signer: h.bodySigner,
    entries: [
      { hash: randomBytes(32), flags: 3, cost: 10, endDate: now + 3600_000 },
      { hash: randomBytes(32), flags: 0x0a0b01, cost: 200, endDate: now + 2 * 3600_000 },
    ],
    revocations: [randomBytes(32)],
  });
}

const L = ed25519.Point.Fn.ORDER;
const leBig = (b: Uint8Array): bigint => BigInt('0x' + Buffer.from(b).reverse().toString('hex'));
const leBytes = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();

/**
 * A Red25519 signer as encryptedleaseset.rst describes it: the private key is a random scalar
 * reduced mod L (not a clamped Ed25519 seed), the nonce r comes from random data, S = r + k*a
 * with k = SHA-512(R || A || M) as in Ed25519. Written independently of src/ so the test checks
 * that such signatures verify.
 */
export function red25519Signer(): Signer & { publicKey: Buffer } {
  const a = (leBig(randomBytes(64)) % (L - 1n)) + 1n;
  const A = Buffer.from(ed25519.Point.BASE.multiply(a).toBytes());
  return {
    publicKey: A,
    sign(m: Uint8Array): Buffer {
      const r = (leBig(createHash('sha512').update(randomBytes(80)).update(A).update(m).digest()) % (L - 1n)) + 1n;
      const R = Buffer.from(ed25519.Point.BASE.multiply(r).toBytes());
      const k = leBig(createHash('sha512').update(R).update(A).update(m).digest()) % L;
      return Buffer.concat([R, leBytes((r + k * a) % L)]);
    },
  };
}

/** An EncryptedLeaseSet whose blinded key is a Red25519 (type 11) key. */
export function makeEncryptedLeaseSet(o: { now?: number; published?: number; expires?: number; flags?: number; offlineExpires?: number } = {}): {
  ls: EncryptedLeaseSet;
  blinded: Signer & { publicKey: Buffer };
} {
  const now = o.now ?? T0;
  const blinded = red25519Signer();
  let signer: Signer = blinded;
  let offline;
  if (o.offlineExpires !== undefined) {
    const transient = Ed25519Signer.generate();
    offline = createOfflineSignature({ signer: blinded, expires: o.offlineExpires, transientSigType: SigType.EdDSA_SHA512_Ed25519, transientPublicKey: transient.publicKey });
    signer = transient;
  }
  const ls = EncryptedLeaseSet.create({
    blindedSigType: SigType.RedDSA_SHA512_Ed25519,
    blindedPublicKey: blinded.publicKey,
    signer,
    published: o.published ?? now,
    expires: o.expires ?? now + 10 * MIN,
    flags: o.flags ?? 0,
    ...(offline ? { offline } : {}),
    ciphertext: randomBytes(300),
  });
  return { ls, blinded };
}

/** Every proper prefix of `raw`, and `raw` plus one byte, must be refused by `parse`. */
export function everyTruncationThrows(parse: (b: Buffer) => unknown, raw: Buffer, isFormatError: (e: unknown) => boolean): void {
  for (let n = 0; n < raw.length; n++) {
    let threw = false;
    try {
      parse(raw.subarray(0, n));
    } catch (e) {
      if (!isFormatError(e)) throw e;
      threw = true;
    }
    if (!threw) throw new Error(`prefix of ${n}/${raw.length} bytes was accepted`);
  }
  let threw = false;
  try {
    parse(Buffer.concat([raw, Buffer.of(0)]));
  } catch (e) {
    if (!isFormatError(e)) throw e;
    threw = true;
  }
  if (!threw) throw new Error('a trailing byte was accepted');
}
