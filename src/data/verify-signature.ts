import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519Verify } from '../crypto/index.js';
import { SigType, signatureLength, signingPublicKeyLength } from './certificate.js';
import { LruCache } from '../util/lru-cache.js';

/**
 * Signature verification by signing key type, for structures signed by keys other than a
 * RouterIdentity's: LeaseSets (Destinations may use ECDSA or DSA), transient keys of offline
 * signatures and blinded keys of EncryptedLeaseSets (common-structures "SigningPublicKey",
 * "Signature"). RouterIdentities stay Ed25519-only (KeysAndCert.verify).
 *
 * Supported: EdDSA_SHA512_Ed25519 (7); RedDSA_SHA512_Ed25519 (11), whose verification "is the
 * same as for Ed25519" (encryptedleaseset.rst "Sign/Verify Calculations"); ECDSA P-256/384/521
 * (1/2/3), keys as raw X||Y and signatures as raw r||s, which still sign some older
 * Destinations; DSA_SHA1 (0), the default of Destinations without a KEY certificate and still
 * what i2pd's SAM gives transient destinations unless told otherwise. RSA and Ed25519ph are
 * not verifiable here: callers treat them as unsupported rather than forged.
 */
const ECDSA: ReadonlyMap<number, { crv: string; hash: string }> = new Map([
  [SigType.ECDSA_SHA256_P256, { crv: 'P-256', hash: 'sha256' }],
  [SigType.ECDSA_SHA384_P384, { crv: 'P-384', hash: 'sha384' }],
  [SigType.ECDSA_SHA512_P521, { crv: 'P-521', hash: 'sha512' }],
]);

export function isVerifiableSigType(sigType: number): boolean {
  return (
    sigType === SigType.EdDSA_SHA512_Ed25519 ||
    sigType === SigType.RedDSA_SHA512_Ed25519 ||
    sigType === SigType.DSA_SHA1 ||
    ECDSA.has(sigType)
  );
}

/** Never throws: malformed keys or signatures, and unsupported types, return false. */
export function verifySignature(sigType: number, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== signingPublicKeyLength(sigType) || signature.length !== signatureLength(sigType)) return false;
  if (sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.RedDSA_SHA512_Ed25519) {
    return ed25519Verify(publicKey, message, signature);
  }
  if (sigType === SigType.DSA_SHA1) return dsaSha1Verify(publicKey, message, signature);
  const ec = ECDSA.get(sigType);
  if (!ec) return false;
  const half = publicKey.length / 2;
  const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  try {
    const key = createPublicKey({
      key: { kty: 'EC', crv: ec.crv, x: b64url(publicKey.subarray(0, half)), y: b64url(publicKey.subarray(half)) },
      format: 'jwk',
    });
    return nodeVerify(ec.hash, message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false; // not a point on the curve
  }
}

// ---------------------------------------------------------------------------------------------
// DSA_SHA1 (sig type 0)

/**
 * I2P's single DSA group (cryptography.rst "DSA": L=1024, N=160, chosen in 2003 from SEED
 * 86108236b8526e296e923a4015b4282845b572cc, counter 33). Keys carry only y, so every
 * Destination shares these p, q, g.
 */
const DSA_P = Buffer.from(
  '9C05B2AA960D9B97B8931963C9CC9E8C3026E9B8ED92FAD0A69CC886D5BF8015FCADAE31A0AD18FAB3F01B00A358DE23' +
    '7655C4964AFAA2B337E96AD316B9FB1CC564B5AEC5B69A9FF6C3E4548707FEF8503D91DD8602E867E6D35D2235C1869C' +
    'E2479C3B9D5401DE04E0727FB33D6511285D4CF29538D9E3B6051F5B22CC1C93',
  'hex',
);
const DSA_Q = Buffer.from('A5DFC28FEF4CA1E286744CD8EED9D29D684046B7', 'hex');
const DSA_G = Buffer.from(
  '0C1F4D27D40093B429E962D7223824E0BBC47E7C832A39236FC683AF84889581075FF9082ED32353D4374D7301CDA1D2' +
    '3C431F4698599DDA02451824FF369752593647CC3DDC197DE985E43D136CDCFC6BD5409CD2F450821142A5E6F8EB1C3A' +
    'B5D0484B8129FCF17BCE4F7F33321C3CB3DBB14A905E7B2B3E93BE4708CBCC82',
  'hex',
);

/** DER (X.690) tag-length-value; lengths here stay far below 64 KiB. */
function der(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.of(tag, ...len), body]);
}

/** DER INTEGER of an unsigned big-endian number: minimal, with a 0x00 before a high bit. */
function derUnsignedInteger(bigEndian: Uint8Array): Buffer {
  let i = 0;
  while (i < bigEndian.length - 1 && bigEndian[i] === 0) i++;
  const v = bigEndian.subarray(i);
  return der(0x02, v[0]! & 0x80 ? Buffer.of(0) : Buffer.alloc(0), v);
}

/**
 * AlgorithmIdentifier { id-dsa (1.2.840.10040.4.1), Dss-Parms { p, q, g } } (RFC 3279 §2.3.2),
 * the same for every DSA key, so built once.
 */
const DSA_ALGORITHM_IDENTIFIER = der(
  0x30,
  Buffer.from('06072a8648ce380401', 'hex'),
  der(0x30, derUnsignedInteger(DSA_P), derUnsignedInteger(DSA_Q), derUnsignedInteger(DSA_G)),
);

/** SubjectPublicKeyInfo of y: the BIT STRING (no unused bits) holds DSAPublicKey ::= INTEGER. */
function dsaSubjectPublicKeyInfo(y: Uint8Array): Buffer {
  return der(0x30, DSA_ALGORITHM_IDENTIFIER, der(0x03, Buffer.of(0), derUnsignedInteger(y)));
}

/**
 * Bound on cached DSA public KeyObjects. DSA is a minority of Destinations and a LeaseSet is
 * re-signed with the same key every ~10 minutes, so this covers every DSA Destination a
 * floodfill holds (2000 LeaseSets at most) at about 1-2 KB each.
 */
const DSA_KEY_CACHE_MAX = 1024;
const dsaKeyCache = new LruCache<string, KeyObject>(DSA_KEY_CACHE_MAX);

/**
 * The KeyObject for y, imported once (importing a DER SubjectPublicKeyInfo costs about as much
 * as a verification). Throws for keys OpenSSL will not import; the caller catches.
 */
function dsaPublicKeyObject(y: Uint8Array): KeyObject {
  const id = Buffer.from(y.buffer, y.byteOffset, y.byteLength).toString('base64');
  return dsaKeyCache.getOrCreate(id, () => createPublicKey({ key: dsaSubjectPublicKeyInfo(y), format: 'der', type: 'spki' }));
}

/**
 * DSA-SHA1 over `message` (cryptography.rst "DSA"): y is 128 bytes big-endian, the signature
 * r||s with 20 bytes each, big-endian. y must lie in 2..p-1 (0 and 1 are degenerate keys whose
 * "signatures" anyone can make, values >= p are not field elements); OpenSSL then rejects
 * r or s outside 1..q-1. The subgroup membership of y (y^q = 1 mod p) is not checked: it costs
 * a verification's worth of modular exponentiation and protects nobody, as the holder of a
 * Destination key may sign anything with it anyway.
 */
function dsaSha1Verify(y: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (y.length !== DSA_P.length || signature.length !== 2 * DSA_Q.length) return false;
  if (Buffer.compare(y, DSA_P) >= 0 || isAtMostOne(y)) return false;
  try {
    return nodeVerify('sha1', message, { key: dsaPublicKeyObject(y), dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function isAtMostOne(bigEndian: Uint8Array): boolean {
  for (let i = 0; i < bigEndian.length - 1; i++) if (bigEndian[i] !== 0) return false;
  return bigEndian[bigEndian.length - 1]! <= 1;
}

/** Number of cached DSA public keys (exposed for tests and metrics). */
export function dsaPublicKeyCacheSize(): number {
  return dsaKeyCache.size;
}
