import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519Verify } from '../crypto/index.js';
import { SigType, signatureLength, signingPublicKeyLength } from './certificate.js';

/**
 * Signature verification by signing key type, for structures signed by keys other than a
 * RouterIdentity's: LeaseSets (Destinations may use ECDSA), transient keys of offline
 * signatures and blinded keys of EncryptedLeaseSets (common-structures "SigningPublicKey",
 * "Signature"). RouterIdentities stay Ed25519-only (KeysAndCert.verify).
 *
 * Supported: EdDSA_SHA512_Ed25519 (7); RedDSA_SHA512_Ed25519 (11), whose verification "is the
 * same as for Ed25519" (encryptedleaseset.rst "Sign/Verify Calculations"); ECDSA P-256/384/521
 * (1/2/3), keys as raw X||Y and signatures as raw r||s, which still sign some older
 * Destinations. DSA_SHA1, RSA and Ed25519ph are not verifiable here: callers treat them as
 * unsupported rather than forged.
 */
const ECDSA: ReadonlyMap<number, { crv: string; hash: string }> = new Map([
  [SigType.ECDSA_SHA256_P256, { crv: 'P-256', hash: 'sha256' }],
  [SigType.ECDSA_SHA384_P384, { crv: 'P-384', hash: 'sha384' }],
  [SigType.ECDSA_SHA512_P521, { crv: 'P-521', hash: 'sha512' }],
]);

export function isVerifiableSigType(sigType: number): boolean {
  return sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.RedDSA_SHA512_Ed25519 || ECDSA.has(sigType);
}

/** Never throws: malformed keys or signatures, and unsupported types, return false. */
export function verifySignature(sigType: number, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== signingPublicKeyLength(sigType) || signature.length !== signatureLength(sigType)) return false;
  if (sigType === SigType.EdDSA_SHA512_Ed25519 || sigType === SigType.RedDSA_SHA512_Ed25519) {
    return ed25519Verify(publicKey, message, signature);
  }
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
