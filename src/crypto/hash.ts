/**
 * SHA-256, HMAC-SHA256 and HKDF-SHA256 (RFC 5869) over node:crypto.
 * These are the hash primitives of I2P's Noise-based protocols (cryptography.rst, ntcp2.rst KDFs)
 * and of structure hashes (RouterIdentity hash = SHA-256 of its bytes).
 */
import { createHash, createHmac, hash as oneShotHash } from 'node:crypto';

const HASH_LEN = 32;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Buffer {
  // crypto.hash() skips the Hash object: measured ~1.4x faster for small single inputs.
  if (parts.length === 1) return oneShotHash('sha256', parts[0]!, 'buffer');
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC-SHA256(key, concatenation of `parts`) (RFC 2104). */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

const EMPTY = Buffer.alloc(0);

/**
 * HKDF-SHA256 (RFC 5869): PRK = HMAC(salt, ikm); T(i) = HMAC(PRK, T(i-1) || info || i).
 * With empty info and length 64 this is exactly Noise's HKDF(ck, ikm) -> (output1, output2),
 * which is how NTCP2's MixKey and data-phase KDF use it.
 *
 * Written over createHmac rather than crypto.hkdfSync because it measured ~1.4x faster for the
 * 64-byte outputs NTCP2 asks for (hkdfSync also returns an ArrayBuffer that must be wrapped).
 */
export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array | string, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LEN) {
    throw new RangeError(`HKDF-SHA256 output length must be 0..${255 * HASH_LEN}, got ${length}`);
  }
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
  const prk = hmacSha256(salt, ikm);
  const out = Buffer.allocUnsafe(length);
  const counter = Buffer.alloc(1);
  let t: Uint8Array = EMPTY;
  for (let offset = 0, i = 1; offset < length; offset += HASH_LEN, i++) {
    counter[0] = i;
    t = hmacSha256(prk, t, infoBytes, counter);
    out.set(length - offset >= HASH_LEN ? t : t.subarray(0, length - offset), offset);
  }
  return out;
}
