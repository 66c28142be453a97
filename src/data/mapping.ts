import type { ByteReader } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { encodeI2PString, readI2PString } from './i2p-string.js';

/**
 * common-structures "Mapping": a 2-byte size, then `String '=' String ';'` entries.
 * Keys and values are UTF-8 strings of at most 255 bytes each.
 */
export type Mapping = Map<string, string>;

export const MAX_MAPPING_BYTES = 65535;

const EQUALS = 0x3d;
const SEMICOLON = 0x3b;

/** Java String.compareTo order (UTF-16 code units), which is what JS `<` on strings does. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes with keys sorted: the spec requires sorted keys in every signed use (RouterInfo,
 * RouterAddress, I2CP SessionConfig) so the signed bytes are reproducible.
 */
export function encodeMapping(m: Mapping): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (const key of [...m.keys()].sort(compareKeys)) {
    const entry = Buffer.concat([
      encodeI2PString(key, 'Mapping key'),
      Buffer.of(EQUALS),
      encodeI2PString(m.get(key)!, 'Mapping value'),
      Buffer.of(SEMICOLON),
    ]);
    parts.push(entry);
    size += entry.length;
  }
  if (size > MAX_MAPPING_BYTES) throw new RangeError('Mapping larger than 65535 bytes');
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(size);
  return Buffer.concat([head, ...parts], 2 + size);
}

/**
 * Reads a Mapping. Throws DataFormatError if the size field exceeds the available bytes, on a
 * missing `=` or `;`, on an entry running past the declared size, on invalid UTF-8 and on
 * duplicate keys (not allowed in I2NP structures, common-structures Mapping notes).
 * Key order is not enforced: signatures are checked over the original bytes, not a re-encoding.
 */
export function readMapping(r: ByteReader): Mapping {
  const size = r.u16('Mapping size');
  const body = r.sub(size, 'Mapping body');
  const m: Mapping = new Map();
  while (body.remaining > 0) {
    const key = readI2PString(body, 'Mapping key');
    if (body.u8('Mapping "="') !== EQUALS) throw new DataFormatError('Mapping entry missing "="', 'mapping');
    const value = readI2PString(body, 'Mapping value');
    if (body.u8('Mapping ";"') !== SEMICOLON) throw new DataFormatError('Mapping entry missing ";"', 'mapping');
    if (m.has(key)) throw new DataFormatError(`duplicate Mapping key ${JSON.stringify(key)}`, 'mapping');
    m.set(key, value);
  }
  return m;
}
