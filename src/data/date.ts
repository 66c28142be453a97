import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';

/**
 * common-structures "Date": 8-byte big-endian milliseconds since the epoch; 0 means undefined.
 * Values beyond 2^53 cannot be real dates and would lose precision as JS numbers, so they are
 * rejected rather than silently rounded.
 */
export function readI2PDate(r: ByteReader): number {
  const v = r.u64('Date');
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DataFormatError('Date out of range', 'date');
  return Number(v);
}

export function writeI2PDate(w: ByteWriter, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`invalid I2P Date ${ms}`);
  w.u64(BigInt(ms));
}
