/**
 * Ed25519 signatures (RFC 8032; I2P sig type 7 EdDSA_SHA512_Ed25519, cryptography.rst) over
 * node:crypto. Used for RouterInfo / RouterIdentity signatures, which are verified for every
 * RouterInfo we receive, hence the public key cache.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { OkpKeyPair, generateOkpPrivateKey, importOkpPrivateKey, importOkpPublicKeyB64 } from './okp-keys.js';
import { LruCache } from '../util/lru-cache.js';

export class Ed25519Signer extends OkpKeyPair {
  static generate(): Ed25519Signer {
    return new Ed25519Signer(generateOkpPrivateKey('Ed25519'));
  }

  /** Signer from a stored 32-byte seed (the RFC 8032 private key); the public key is derived. */
  static fromPrivate(seed32: Uint8Array): Ed25519Signer {
    return new Ed25519Signer(importOkpPrivateKey('Ed25519', seed32));
  }

  /** Pure Ed25519 (no prehash, no context): 64-byte signature R || S. */
  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.key);
  }
}

/** Bound on cached public KeyObjects: about a netDb's worth of routers, a few MB at most. */
const PUBLIC_KEY_CACHE_MAX = 4096;
const publicKeyCache = new LruCache<string, KeyObject>(PUBLIC_KEY_CACHE_MAX);

function publicKeyObject(publicKey32: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey32.buffer, publicKey32.byteOffset, publicKey32.byteLength).toString('base64url');
  return publicKeyCache.getOrCreate(x, (b64) => importOkpPublicKeyB64('Ed25519', b64));
}

/**
 * Verifies a pure Ed25519 signature. Inputs come off the wire, so this never throws: a key or
 * signature of the wrong length, a key that is not a curve point, or any OpenSSL error all
 * simply mean "not verified".
 */
export function ed25519Verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
  try {
    if (publicKey32.length !== 32 || signature64.length !== 64) return false;
    return verify(null, message, publicKeyObject(publicKey32), signature64);
  } catch {
    return false;
  }
}

/** Number of cached public keys (exposed for tests and metrics). */
export function ed25519PublicKeyCacheSize(): number {
  return publicKeyCache.size;
}
