import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';

/** common-structures "Certificate" type codes. */
export const CertificateType = {
  NULL: 0,
  HASHCASH: 1,
  HIDDEN: 2,
  SIGNED: 3,
  MULTIPLE: 4,
  KEY: 5,
} as const;

/** Signing public key types (common-structures "Key Certificates"). */
export const SigType = {
  DSA_SHA1: 0,
  ECDSA_SHA256_P256: 1,
  ECDSA_SHA384_P384: 2,
  ECDSA_SHA512_P521: 3,
  RSA_SHA256_2048: 4,
  RSA_SHA384_3072: 5,
  RSA_SHA512_4096: 6,
  EdDSA_SHA512_Ed25519: 7,
  EdDSA_SHA512_Ed25519ph: 8,
  RedDSA_SHA512_Ed25519: 11,
} as const;

/** Crypto (encryption) public key types (common-structures "Key Certificates"). */
export const CryptoType = {
  ElGamal: 0,
  P256: 1,
  P384: 2,
  P521: 3,
  ECIES_X25519: 4,
  MLKEM512_X25519: 5,
  MLKEM768_X25519: 6,
  MLKEM1024_X25519: 7,
} as const;

/** [public key length, signature length] per signing type, from the SigningPublicKey/Signature tables. */
const SIG_LENGTHS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [0, [128, 40]],
  [1, [64, 64]],
  [2, [96, 96]],
  [3, [132, 132]],
  [4, [256, 256]],
  [5, [384, 384]],
  [6, [512, 512]],
  [7, [32, 64]],
  [8, [32, 64]],
  [11, [32, 64]],
]);

/** Public key length per crypto type, from the Key Certificate crypto type table. */
const CRYPTO_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 256],
  [1, 64],
  [2, 96],
  [3, 132],
  [4, 32],
  [5, 32],
  [6, 32],
  [7, 32],
]);

/** Size of the two key slots in KeysAndCert: 256-byte public key + 128-byte signing key. */
export const PUBLIC_KEY_SLOT = 256;
export const SIGNING_KEY_SLOT = 128;

export function signingPublicKeyLength(sigType: number): number | undefined {
  return SIG_LENGTHS.get(sigType)?.[0];
}
export function signatureLength(sigType: number): number | undefined {
  return SIG_LENGTHS.get(sigType)?.[1];
}
export function cryptoPublicKeyLength(cryptoType: number): number | undefined {
  return CRYPTO_LENGTHS.get(cryptoType);
}

export class Certificate {
  constructor(
    readonly type: number,
    readonly payload: Buffer,
  ) {}

  static readonly NULL = new Certificate(CertificateType.NULL, Buffer.alloc(0));

  /**
   * Reads a certificate, enforcing the payload length of each type as the spec asks
   * ("Implementers are cautioned to prohibit excess data in Certificates"). Unknown types
   * are rejected: we could not know what the key fields before them mean.
   */
  static read(r: ByteReader): Certificate {
    const type = r.u8('Certificate type');
    const length = r.u16('Certificate length');
    const payload = r.bytes(length, 'Certificate payload');
    switch (type) {
      case CertificateType.NULL:
      case CertificateType.HIDDEN:
        if (length !== 0) throw new DataFormatError(`certificate type ${type} with ${length}-byte payload`, 'certificate');
        return type === CertificateType.NULL ? Certificate.NULL : new Certificate(type, payload);
      case CertificateType.SIGNED:
        if (length !== 40 && length !== 72) throw new DataFormatError(`SIGNED certificate with ${length}-byte payload`, 'certificate');
        return new Certificate(type, payload);
      case CertificateType.HASHCASH:
      case CertificateType.MULTIPLE:
        return new Certificate(type, payload);
      case CertificateType.KEY:
        return KeyCertificate.fromPayload(payload);
      default:
        throw new DataFormatError(`unknown certificate type ${type}`, 'certificate');
    }
  }

  get length(): number {
    return 3 + this.payload.length;
  }

  write(w: ByteWriter): void {
    w.u8(this.type).u16(this.payload.length).bytes(this.payload);
  }

  encode(): Buffer {
    const b = Buffer.allocUnsafe(this.length);
    b[0] = this.type;
    b.writeUInt16BE(this.payload.length, 1);
    this.payload.copy(b, 3);
    return b;
  }
}

/**
 * KEY certificate: sigType (2 bytes), cryptoType (2 bytes — note the order, signing first),
 * then excess signing key data, then excess crypto key data, for keys that do not fit the
 * 128/256-byte slots.
 */
export class KeyCertificate extends Certificate {
  private constructor(
    payload: Buffer,
    readonly sigType: number,
    readonly cryptoType: number,
    /** Signing key bytes beyond the 128-byte slot (RSA, P521). */
    readonly excessSigningKey: Buffer,
    /** Crypto key bytes beyond the 256-byte slot (none of the defined types need this). */
    readonly excessCryptoKey: Buffer,
  ) {
    super(CertificateType.KEY, payload);
  }

  static create(sigType: number, cryptoType: number): KeyCertificate {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(sigType, 0);
    p.writeUInt16BE(cryptoType, 2);
    const cert = KeyCertificate.fromPayload(p);
    if (cert.excessSigningKey.length || cert.excessCryptoKey.length) {
      throw new RangeError('KeyCertificate.create only supports keys that fit their slots');
    }
    return cert;
  }

  /** Parses a KEY payload; rejects unknown key types and any length other than the exact one. */
  static fromPayload(payload: Buffer): KeyCertificate {
    if (payload.length < 4) throw new DataFormatError(`KEY certificate payload of ${payload.length} bytes`, 'certificate');
    const sigType = payload.readUInt16BE(0);
    const cryptoType = payload.readUInt16BE(2);
    const sigLen = signingPublicKeyLength(sigType);
    if (sigLen === undefined) throw new DataFormatError(`unknown signing key type ${sigType}`, 'sigtype');
    const cryptoLen = cryptoPublicKeyLength(cryptoType);
    if (cryptoLen === undefined) throw new DataFormatError(`unknown crypto key type ${cryptoType}`, 'cryptotype');
    const excessSig = Math.max(0, sigLen - SIGNING_KEY_SLOT);
    const excessCrypto = Math.max(0, cryptoLen - PUBLIC_KEY_SLOT);
    if (payload.length !== 4 + excessSig + excessCrypto) {
      throw new DataFormatError(`KEY certificate (${sigType},${cryptoType}) with ${payload.length}-byte payload`, 'certificate');
    }
    return new KeyCertificate(
      payload,
      sigType,
      cryptoType,
      payload.subarray(4, 4 + excessSig),
      payload.subarray(4 + excessSig),
    );
  }
}
