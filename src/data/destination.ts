import { ByteReader } from '../util/bytes.js';
import { base32Encode } from './base32.js';
import { i2pBase64Decode, i2pBase64Encode } from './base64.js';
import { CryptoType, KeyCertificate, SigType } from './certificate.js';
import { KeysAndCert, buildKeysAndCert, readKeysAndCertFields } from './keys-and-cert.js';

/**
 * common-structures "Destination": a KeysAndCert naming a client endpoint. Its public key field
 * has been unused since 0.6 (the LeaseSet carries the real encryption keys), so it may hold
 * random data (proposal 161).
 */
export class Destination extends KeysAndCert {
  static read(r: ByteReader): Destination {
    return new Destination(readKeysAndCertFields(r));
  }

  /** Parses a buffer holding exactly one Destination. */
  static parse(buf: Buffer): Destination {
    const r = new ByteReader(buf);
    const d = Destination.read(r);
    r.expectEnd('Destination');
    return d;
  }

  /** Parses the I2P-base64 form (as in hosts.txt and SAM). */
  static fromBase64(s: string): Destination {
    return Destination.parse(i2pBase64Decode(s));
  }

  /**
   * An Ed25519 Destination (sig type 7, crypto type 0 as the field is unused): 391 bytes, the
   * 256-byte public key field and the padding filled with 11 copies of one random 32-byte
   * pattern (common-structures "Padding Generation Guidelines").
   */
  static create(ed25519Public: Uint8Array, padding32?: Uint8Array): Destination {
    if (ed25519Public.length !== 32) throw new RangeError('Destination.create needs a 32-byte key');
    const cert = KeyCertificate.create(SigType.EdDSA_SHA512_Ed25519, CryptoType.ElGamal);
    return Destination.parse(buildKeysAndCert(Buffer.alloc(0), ed25519Public, cert, padding32));
  }

  toBase64(): string {
    return i2pBase64Encode(this.raw);
  }

  /** `<base32(sha256(raw))>.b32.i2p`, 52 characters + suffix. */
  b32Address(): string {
    return `${base32Encode(this.hash)}.b32.i2p`;
  }
}
