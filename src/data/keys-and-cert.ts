import { ed25519Verify, randomBytes, sha256 } from '../crypto/index.js';
import { ByteReader } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import {
  Certificate,
  CryptoType,
  KeyCertificate,
  PUBLIC_KEY_SLOT,
  SIGNING_KEY_SLOT,
  SigType,
  cryptoPublicKeyLength,
  signatureLength,
  signingPublicKeyLength,
} from './certificate.js';

/** 256-byte public key slot + 128-byte signing key slot (common-structures KeysAndCert). */
export const KEYS_LENGTH = PUBLIC_KEY_SLOT + SIGNING_KEY_SLOT;

/** The decoded fields shared by RouterIdentity and Destination. */
export interface KeysAndCertFields {
  raw: Buffer;
  certificate: Certificate;
  cryptoType: number;
  sigType: number;
  encryptionPublicKey: Buffer;
  signingPublicKey: Buffer;
}

/**
 * Reads a KeysAndCert. Without a KEY certificate the 384 bytes are ElGamal (256) + DSA_SHA1 (128).
 * With one, the crypto key is left-aligned in the 256-byte slot and the signing key is
 * right-aligned in the 128-byte slot, any excess of either living in the certificate
 * (common-structures "Key Certificates"). The returned buffers are views into a private copy
 * of the input, so the structure never pins or aliases the caller's buffer.
 */
export function readKeysAndCertFields(r: ByteReader): KeysAndCertFields {
  const start = r.offset;
  r.bytes(KEYS_LENGTH, 'KeysAndCert keys');
  Certificate.read(r);
  const raw = Buffer.from(r.buf.subarray(start, r.offset));
  // Re-read from the private copy so every field is a view of `raw`.
  const own = new ByteReader(raw);
  const keys = own.bytes(KEYS_LENGTH);
  const certificate = Certificate.read(own);
  if (certificate instanceof KeyCertificate) {
    const cryptoLen = cryptoPublicKeyLength(certificate.cryptoType)!;
    const sigLen = signingPublicKeyLength(certificate.sigType)!;
    const encryptionPublicKey =
      cryptoLen <= PUBLIC_KEY_SLOT
        ? keys.subarray(0, cryptoLen)
        : Buffer.concat([keys.subarray(0, PUBLIC_KEY_SLOT), certificate.excessCryptoKey]);
    const signingPublicKey =
      sigLen <= SIGNING_KEY_SLOT
        ? keys.subarray(KEYS_LENGTH - sigLen)
        : Buffer.concat([keys.subarray(PUBLIC_KEY_SLOT), certificate.excessSigningKey]);
    return { raw, certificate, cryptoType: certificate.cryptoType, sigType: certificate.sigType, encryptionPublicKey, signingPublicKey };
  }
  return {
    raw,
    certificate,
    cryptoType: CryptoType.ElGamal,
    sigType: SigType.DSA_SHA1,
    encryptionPublicKey: keys.subarray(0, PUBLIC_KEY_SLOT),
    signingPublicKey: keys.subarray(PUBLIC_KEY_SLOT),
  };
}

/**
 * Builds the raw bytes of a KeysAndCert with a KEY certificate: the crypto key (or nothing)
 * at the start, the signing key at the end, and the gap filled with one random 32-byte
 * pattern repeated (proposal 161 / common-structures "Padding Generation Guidelines") so the
 * structure compresses well while its base64 form does not look broken.
 */
export function buildKeysAndCert(cryptoKey: Uint8Array, signingKey: Uint8Array, cert: KeyCertificate, padding32?: Uint8Array): Buffer {
  const pattern = padding32 ?? randomBytes(32);
  if (pattern.length !== 32) throw new RangeError('padding pattern must be 32 bytes');
  const keys = Buffer.alloc(KEYS_LENGTH);
  for (let o = cryptoKey.length; o < KEYS_LENGTH - signingKey.length; o += 32) keys.set(pattern.subarray(0, Math.min(32, KEYS_LENGTH - signingKey.length - o)), o);
  keys.set(cryptoKey, 0);
  keys.set(signingKey, KEYS_LENGTH - signingKey.length);
  return Buffer.concat([keys, cert.encode()]);
}

/** Common behaviour of RouterIdentity and Destination. */
export abstract class KeysAndCert {
  readonly raw: Buffer;
  readonly certificate: Certificate;
  readonly cryptoType: number;
  readonly sigType: number;
  /** The encryption public key (32 bytes for ECIES-X25519); unused filler in Destinations. */
  readonly encryptionPublicKey: Buffer;
  /** The signing public key (32 bytes for Ed25519). */
  readonly signingPublicKey: Buffer;
  private cachedHash: Buffer | undefined;

  protected constructor(f: KeysAndCertFields) {
    this.raw = f.raw;
    this.certificate = f.certificate;
    this.cryptoType = f.cryptoType;
    this.sigType = f.sigType;
    this.encryptionPublicKey = f.encryptionPublicKey;
    this.signingPublicKey = f.signingPublicKey;
  }

  /** SHA-256 of the full raw structure: the router hash / destination hash used as netDb key. */
  get hash(): Buffer {
    return (this.cachedHash ??= sha256(this.raw));
  }

  /** Length of a signature made by this identity's signing key. */
  get signatureLength(): number {
    return signatureLength(this.sigType)!;
  }

  /**
   * Verifies a signature by this identity. Only EdDSA_SHA512_Ed25519 (type 7) is supported:
   * everything else returns false, so callers treat such peers as unverifiable.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (this.sigType !== SigType.EdDSA_SHA512_Ed25519) return false;
    if (signature.length !== 64) return false;
    return ed25519Verify(this.signingPublicKey, message, signature);
  }

  equals(other: KeysAndCert): boolean {
    return this.raw.equals(other.raw);
  }
}

/** Throws DataFormatError unless the identity has the key types a caller requires. */
export function requireKeyTypes(k: KeysAndCert, sigType: number, cryptoType: number | undefined, what: string): void {
  if (k.sigType !== sigType) throw new DataFormatError(`${what}: unsupported signing key type ${k.sigType}`, 'sigtype');
  if (cryptoType !== undefined && k.cryptoType !== cryptoType) {
    throw new DataFormatError(`${what}: unsupported crypto key type ${k.cryptoType}`, 'cryptotype');
  }
}
