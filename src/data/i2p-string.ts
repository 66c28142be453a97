import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';

/**
 * common-structures "String": 1 length byte then 0-255 bytes of UTF-8.
 * Decoding is fatal on invalid UTF-8 so that a decoded string always re-encodes to the same
 * bytes (signed structures such as RouterInfo depend on exact re-encoding).
 */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const MAX_I2P_STRING_BYTES = 255;

export function readI2PString(r: ByteReader, what = 'String'): string {
  const len = r.u8(what);
  const bytes = r.bytes(len, what);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new DataFormatError(`${what} is not valid UTF-8`, 'utf8');
  }
}

export function encodeI2PString(s: string, what = 'String'): Buffer {
  const body = Buffer.from(s, 'utf8');
  if (body.length > MAX_I2P_STRING_BYTES) throw new RangeError(`${what} longer than 255 bytes`);
  return Buffer.concat([Buffer.of(body.length), body]);
}

export function writeI2PString(w: ByteWriter, s: string, what = 'String'): void {
  w.bytes(encodeI2PString(s, what));
}
