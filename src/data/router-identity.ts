import { ByteReader } from '../util/bytes.js';
import { CryptoType, KeyCertificate, SigType } from './certificate.js';
import { KeysAndCert, buildKeysAndCert, readKeysAndCertFields } from './keys-and-cert.js';

/**
 * common-structures "RouterIdentity": a KeysAndCert identifying a router; its SHA-256 is the
 * router hash. Any key types with known lengths are parsed (so foreign RouterInfos can be
 * sized and stored); `sigType`/`cryptoType` let callers reject what they cannot use.
 */
export class RouterIdentity extends KeysAndCert {
  static read(r: ByteReader): RouterIdentity {
    return new RouterIdentity(readKeysAndCertFields(r));
  }

  /** Parses a buffer holding exactly one RouterIdentity. */
  static parse(buf: Buffer): RouterIdentity {
    const r = new ByteReader(buf);
    const id = RouterIdentity.read(r);
    r.expectEnd('RouterIdentity');
    return id;
  }

  /**
   * The identity every modern router uses: ECIES-X25519 (crypto type 4) + Ed25519 (sig type 7)
   * in a KEY certificate, 391 bytes, with proposal-161 compressible padding. `padding32` fixes
   * the padding pattern (for tests); it is random otherwise.
   */
  static create(x25519Public: Uint8Array, ed25519Public: Uint8Array, padding32?: Uint8Array): RouterIdentity {
    if (x25519Public.length !== 32 || ed25519Public.length !== 32) throw new RangeError('RouterIdentity.create needs 32-byte keys');
    const cert = KeyCertificate.create(SigType.EdDSA_SHA512_Ed25519, CryptoType.ECIES_X25519);
    return RouterIdentity.parse(buildKeysAndCert(x25519Public, ed25519Public, cert, padding32));
  }
}
