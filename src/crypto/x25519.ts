/**
 * X25519 Diffie-Hellman (RFC 7748) over node:crypto, for NTCP2's Noise DH (ntcp2.rst "DH")
 * and ECIES-X25519 router/destination encryption keys (cryptography.rst).
 */
import { diffieHellman } from 'node:crypto';
import { AuthenticationError } from '../util/errors.js';
import { OkpKeyPair, generateOkpPrivateKey, importOkpPrivateKey, importOkpPublicKey } from './okp-keys.js';

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

export class X25519KeyPair extends OkpKeyPair {
  /** A fresh key pair (one per NTCP2 handshake for the ephemeral key). */
  static generate(): X25519KeyPair {
    return new X25519KeyPair(generateOkpPrivateKey('X25519'));
  }

  /** Key pair from a stored raw 32-byte private key; the public key is derived. */
  static fromPrivate(raw32: Uint8Array): X25519KeyPair {
    return new X25519KeyPair(importOkpPrivateKey('X25519', raw32));
  }

  /**
   * DH(ours, peerPublic). A low-order peer key gives an all-zero shared secret, which would let
   * an attacker force a known key (RFC 7748 §6.1 "check for the all-zero value"): rejected with
   * AuthenticationError. OpenSSL refuses to derive it already; the explicit check keeps the
   * guarantee independent of the OpenSSL build.
   */
  agree(peerPublic: Uint8Array): Buffer {
    const publicKey = importOkpPublicKey('X25519', peerPublic);
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: this.key, publicKey });
    } catch {
      throw new AuthenticationError('X25519 key agreement failed (low-order peer public key)', 'x25519-low-order');
    }
    if (isAllZero(shared)) {
      throw new AuthenticationError('X25519 shared secret is all zero (low-order peer public key)', 'x25519-low-order');
    }
    return shared;
  }
}

/** One-shot X25519(privateKey, publicKey); throws AuthenticationError on an all-zero result. */
export function x25519(privateKey32: Uint8Array, publicKey32: Uint8Array): Buffer {
  return X25519KeyPair.fromPrivate(privateKey32).agree(publicKey32);
}
