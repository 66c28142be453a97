/**
 * The Garlic I2NP message (type 11) body: length (4) || data (i2np.rst "Garlic": "number of bytes
 * that follow 0 - 64 KB"). What the data is depends on the encryption: for ECIES-X25519 either a
 * New Session (an ephemeral key first) or an Existing Session message (an 8-byte tag first),
 * ecies.rst; for ElGamal/AES a 514-byte ElGamal block or a 32-byte session tag first.
 */
import { DataFormatError } from '../util/errors.js';

export const GARLIC_LENGTH_FIELD = 4;
/** The data must fit a standard I2NP payload (2-byte size) together with the length field. */
export const MAX_GARLIC_DATA = 0xffff - GARLIC_LENGTH_FIELD;

/** length || parts: a Garlic message body. */
export function frameGarlic(...parts: Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  if (length > MAX_GARLIC_DATA) throw new RangeError(`garlic data of ${length} bytes`);
  const out = Buffer.allocUnsafe(GARLIC_LENGTH_FIELD + length);
  out.writeUInt32BE(length, 0);
  let o = GARLIC_LENGTH_FIELD;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The data of a Garlic message body; the length field must match the rest exactly. A view. */
export function garlicData(payload: Buffer): Buffer {
  if (payload.length < GARLIC_LENGTH_FIELD) throw new DataFormatError(`Garlic message of ${payload.length} bytes`, 'truncated');
  const length = payload.readUInt32BE(0);
  if (length !== payload.length - GARLIC_LENGTH_FIELD) {
    throw new DataFormatError(`Garlic length ${length} but ${payload.length - GARLIC_LENGTH_FIELD} bytes follow`, length > payload.length ? 'truncated' : 'trailing');
  }
  return payload.subarray(GARLIC_LENGTH_FIELD);
}
