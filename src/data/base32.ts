import { DataFormatError } from '../util/errors.js';

/**
 * RFC 4648 base32, lowercase and unpadded, as used for `.b32.i2p` addresses
 * (common-structures / naming: base32 of the SHA-256 of the Destination).
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  LOOKUP[ALPHABET.charCodeAt(i)] = i;
  // Host names are case-insensitive, so accept upper case on input.
  LOOKUP[ALPHABET.toUpperCase().charCodeAt(i)] = i;
}

export function base32Encode(b: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of b) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Strict decoder: rejects padding, characters outside the alphabet, impossible lengths
 * (1, 3 or 6 characters mod 8) and non-zero unused trailing bits.
 */
export function base32Decode(s: string): Buffer {
  const rem = s.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) throw new DataFormatError('invalid base32 length', 'base32');
  const out = Buffer.allocUnsafe(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new DataFormatError('invalid base32 character', 'base32');
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new DataFormatError('non-canonical base32 string', 'base32');
  return out;
}
