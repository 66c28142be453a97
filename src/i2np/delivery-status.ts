import { ByteReader, ByteWriter } from '../util/bytes.js';
import { readI2PDate, writeI2PDate } from '../data/date.js';

/** i2np.rst DeliveryStatus: msg_id (4) + time_stamp Date (8). */
export interface DeliveryStatus {
  msgId: number;
  /** ms since the epoch. */
  timestamp: number;
}

export const DELIVERY_STATUS_LENGTH = 12;

export function encodeDeliveryStatus(m: DeliveryStatus): Buffer {
  if (!Number.isInteger(m.msgId) || m.msgId < 0 || m.msgId > 0xffffffff) throw new RangeError(`invalid msgId ${m.msgId}`);
  const w = new ByteWriter();
  w.u32(m.msgId);
  writeI2PDate(w, m.timestamp);
  return w.toBuffer();
}

export function decodeDeliveryStatus(payload: Buffer): DeliveryStatus {
  const r = new ByteReader(payload);
  const msgId = r.u32('DeliveryStatus msgId');
  const timestamp = readI2PDate(r);
  r.expectEnd('DeliveryStatus');
  return { msgId, timestamp };
}
