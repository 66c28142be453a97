import { DataFormatError } from '../util/errors.js';

/**
 * I2P's Base64 (common-structures "Base 64" / naming docs): RFC 4648 base64 with `-` and `~`
 * in place of `+` and `/`, always `=`-padded. Used for Destinations, router hashes in file
 * names and the NTCP2 `s`/`i` address options.
 */
const VALID = /^(?:[A-Za-z0-9\-~]{4})*(?:[A-Za-z0-9\-~]{2}==|[A-Za-z0-9\-~]{3}=)?$/;

export function i2pBase64Encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? '-' : '~'));
}

/**
 * Strict decoder: rejects characters outside the I2P alphabet (including standard `+` and `/`),
 * missing or misplaced padding, and non-canonical encodings (non-zero unused trailing bits), so a
 * given byte string has exactly one accepted text form.
 */
export function i2pBase64Decode(s: string): Buffer {
  if (!VALID.test(s)) throw new DataFormatError('invalid I2P base64 string', 'base64');
  const out = Buffer.from(s.replace(/[-~]/g, (c) => (c === '-' ? '+' : '/')), 'base64');
  // Node silently drops non-zero leftover bits; re-encoding exposes them.
  if (i2pBase64Encode(out) !== s) throw new DataFormatError('non-canonical I2P base64 string', 'base64');
  return out;
}
