/**
 * ChaCha20-Poly1305 AEAD (RFC 8439; called RFC 7539 in ntcp2.rst) over node:crypto.
 *
 * Noise / NTCP2 (ntcp2.rst "Authenticated Encryption", cryptography.rst) use a 64-bit counter n as
 * the nonce: the 96-bit RFC nonce is 4 zero bytes followed by n as 8 bytes little-endian.
 * Output of encryption is ciphertext || 16-byte Poly1305 tag.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { AuthenticationError } from '../util/errors.js';

const ALGORITHM = 'chacha20-poly1305';
export const TAG_LENGTH = 16;
const MAX_NONCE = 0xffff_ffff_ffff_ffffn;
const TWO_32 = 0x1_0000_0000;

type Key = KeyObject | Uint8Array;

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`ChaCha20-Poly1305 key must be 32 bytes, got ${key.length}`);
}

function checkNonce12(nonce: Uint8Array): void {
  if (nonce.length !== 12) throw new RangeError(`ChaCha20-Poly1305 nonce must be 12 bytes, got ${nonce.length}`);
}

function seal(key: Key, nonce: Uint8Array, ad: Uint8Array | undefined, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_LENGTH });
  if (ad !== undefined && ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const ct = cipher.update(plaintext);
  cipher.final(); // a stream cipher: final() emits nothing, but it computes the tag
  return Buffer.concat([ct, cipher.getAuthTag()], ct.length + TAG_LENGTH);
}

function open(key: Key, nonce: Uint8Array, ad: Uint8Array | undefined, ciphertextAndTag: Uint8Array): Buffer {
  const ctLen = ciphertextAndTag.length - TAG_LENGTH;
  if (ctLen < 0) {
    throw new AuthenticationError(`AEAD frame of ${ciphertextAndTag.length} bytes is shorter than its tag`, 'aead');
  }
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(ciphertextAndTag.subarray(ctLen));
  if (ad !== undefined && ad.length > 0) decipher.setAAD(ad, { plaintextLength: ctLen });
  const pt = decipher.update(ciphertextAndTag.subarray(0, ctLen));
  try {
    decipher.final(); // throws when the tag does not verify; the plaintext above is then discarded
  } catch {
    throw new AuthenticationError('ChaCha20-Poly1305 tag mismatch', 'aead');
  }
  return pt;
}

/** One-shot AEAD encryption with a raw 12-byte nonce. Returns ciphertext || tag. */
export function chacha20Poly1305Encrypt(
  key: Uint8Array,
  nonce12: Uint8Array,
  ad: Uint8Array | undefined,
  plaintext: Uint8Array,
): Buffer {
  checkKey(key);
  checkNonce12(nonce12);
  return seal(key, nonce12, ad, plaintext);
}

/** One-shot AEAD decryption with a raw 12-byte nonce. Throws AuthenticationError on a bad tag. */
export function chacha20Poly1305Decrypt(
  key: Uint8Array,
  nonce12: Uint8Array,
  ad: Uint8Array | undefined,
  ciphertextAndTag: Uint8Array,
): Buffer {
  checkKey(key);
  checkNonce12(nonce12);
  return open(key, nonce12, ad, ciphertextAndTag);
}

/**
 * A keyed AEAD context for one direction of a Noise CipherState: holds the key as a KeyObject
 * (measured slightly faster than passing the raw key to each createCipheriv) and one reusable
 * nonce buffer, since this is the NTCP2 data-phase hot path.
 */
export class ChaCha20Poly1305 {
  private readonly key: KeyObject;
  private readonly nonce = Buffer.alloc(12);

  constructor(key: Uint8Array) {
    checkKey(key);
    this.key = createSecretKey(key);
  }

  encrypt(nonce: number | bigint, ad: Uint8Array | undefined, plaintext: Uint8Array): Buffer {
    return seal(this.key, this.setNonce(nonce), ad, plaintext);
  }

  /** Throws AuthenticationError if the tag does not verify (or the input is shorter than a tag). */
  decrypt(nonce: number | bigint, ad: Uint8Array | undefined, ciphertextAndTag: Uint8Array): Buffer {
    return open(this.key, this.setNonce(nonce), ad, ciphertextAndTag);
  }

  /** 4 zero bytes || counter as uint64 little-endian (bytes 0..3 are never written). */
  private setNonce(n: number | bigint): Buffer {
    const buf = this.nonce;
    if (typeof n === 'number') {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`invalid AEAD nonce counter ${n}`);
      buf.writeUInt32LE(n >>> 0, 4);
      buf.writeUInt32LE(Math.floor(n / TWO_32), 8);
    } else {
      if (n < 0n || n > MAX_NONCE) throw new RangeError(`invalid AEAD nonce counter ${n}`);
      buf.writeBigUInt64LE(n, 4);
    }
    return buf;
  }
}
