import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { readI2PDate, writeI2PDate } from './date.js';
import { readI2PString, writeI2PString } from './i2p-string.js';
import { encodeMapping, readMapping, type Mapping } from './mapping.js';

/**
 * common-structures "RouterAddress": cost (1 byte), expiration (Date, must be zero but kept
 * as read so a foreign RouterInfo re-encodes exactly), transport style (String), options (Mapping).
 */
export class RouterAddress {
  /**
   * @param cost 0 (free) to 255 (expensive)
   * @param expiration ms; the spec says routers MUST write 0 (never expires)
   */
  constructor(
    public cost: number,
    public expiration: number,
    public transportStyle: string,
    public options: Mapping,
  ) {
    if (!Number.isInteger(cost) || cost < 0 || cost > 255) throw new RangeError(`invalid RouterAddress cost ${cost}`);
  }

  static read(r: ByteReader): RouterAddress {
    const cost = r.u8('RouterAddress cost');
    const expiration = readI2PDate(r);
    const transportStyle = readI2PString(r, 'RouterAddress transport_style');
    const options = readMapping(r);
    return new RouterAddress(cost, expiration, transportStyle, options);
  }

  write(w: ByteWriter): void {
    w.u8(this.cost);
    writeI2PDate(w, this.expiration);
    writeI2PString(w, this.transportStyle, 'RouterAddress transport_style');
    w.bytes(encodeMapping(this.options));
  }

  /** The `host` option (IPv4/IPv6 literal or host name), if any. */
  get host(): string | undefined {
    return this.options.get('host') || undefined;
  }

  /** The `port` option if it is a valid decimal TCP/UDP port (1-65535), else undefined. */
  get port(): number | undefined {
    const p = this.options.get('port');
    if (p === undefined || !/^[0-9]{1,5}$/.test(p)) return undefined;
    const n = Number(p);
    return n >= 1 && n <= 65535 ? n : undefined;
  }
}
