/** Shared test helpers for the tunnel data path. */
import { randomBytes } from 'node:crypto';
import { I2NPType, encodeStandard, type I2NPMessage } from '../../../src/i2np/message.js';

let nextId = 1;

/** An I2NP Data message whose standard encoding is exactly `length` bytes (>= 16). */
export function i2npOfLength(length: number, expiration = 1_800_000_000_000): I2NPMessage {
  return { type: I2NPType.Data, msgId: nextId++, expiration, payload: randomBytes(length - 16) };
}

export function standard(m: I2NPMessage): Buffer {
  return encodeStandard(m);
}
