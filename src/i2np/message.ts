import { sha256 } from '../crypto/index.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { readI2PDate, writeI2PDate } from '../data/date.js';

/** i2np.rst "Messages" type table. */
export enum I2NPType {
  DatabaseStore = 1,
  DatabaseLookup = 2,
  DatabaseSearchReply = 3,
  DeliveryStatus = 10,
  Garlic = 11,
  TunnelData = 18,
  TunnelGateway = 19,
  Data = 20,
  TunnelBuild = 21,
  TunnelBuildReply = 22,
  VariableTunnelBuild = 23,
  VariableTunnelBuildReply = 24,
  ShortTunnelBuild = 25,
  OutboundTunnelBuildReply = 26,
}

export interface I2NPMessage {
  type: number;
  /** Unsigned 32-bit message id. */
  msgId: number;
  /** ms since the epoch. The short header only carries seconds, so it is rounded down there. */
  expiration: number;
  payload: Buffer;
}

/** type(1) msgId(4) expiration Date(8) size(2) checksum(1) — i2np.rst "I2NP message header". */
export const STANDARD_HEADER_LENGTH = 16;
/** type(1) msgId(4) expiration seconds(4) — NTCP2/SSU2/ECIES garlic cloves. */
export const SHORT_HEADER_LENGTH = 9;
/** The standard header's 2-byte size field bounds the payload. */
export const MAX_STANDARD_PAYLOAD = 65535;

function checkHeaderFields(m: I2NPMessage): void {
  if (!Number.isInteger(m.type) || m.type < 0 || m.type > 255) throw new RangeError(`invalid I2NP type ${m.type}`);
  if (!Number.isInteger(m.msgId) || m.msgId < 0 || m.msgId > 0xffffffff) throw new RangeError(`invalid I2NP msgId ${m.msgId}`);
}

/** First byte of SHA-256(payload): the standard header's (legacy) checksum. */
function checksum(payload: Uint8Array): number {
  return sha256(payload)[0]!;
}

export function encodeStandard(m: I2NPMessage): Buffer {
  checkHeaderFields(m);
  if (m.payload.length > MAX_STANDARD_PAYLOAD) throw new RangeError(`I2NP payload of ${m.payload.length} bytes`);
  const w = new ByteWriter();
  w.u8(m.type).u32(m.msgId);
  writeI2PDate(w, m.expiration);
  w.u16(m.payload.length).u8(checksum(m.payload)).bytes(m.payload);
  return w.toBuffer();
}

/**
 * Reads one standard-header message from a stream of them (e.g. inside TunnelGateway or Data).
 * The size field is checked against the available bytes and the checksum is verified; the
 * payload is a view into the input buffer.
 */
export function readStandard(r: ByteReader): I2NPMessage {
  const type = r.u8('I2NP type');
  const msgId = r.u32('I2NP msgId');
  const expiration = readI2PDate(r);
  const size = r.u16('I2NP size');
  const chks = r.u8('I2NP checksum');
  const payload = r.bytes(size, 'I2NP payload');
  if (checksum(payload) !== chks) throw new DataFormatError('I2NP checksum mismatch', 'checksum');
  return { type, msgId, expiration, payload };
}

/** Decodes a buffer holding exactly one standard-header message (no trailing bytes). */
export function decodeStandard(buf: Buffer): I2NPMessage {
  const r = new ByteReader(buf);
  const m = readStandard(r);
  r.expectEnd('I2NP message');
  return m;
}

/**
 * NTCP2/SSU2 short header (ntcp2.rst "I2NP Message" block): expiration in unsigned seconds,
 * no size (the block carries it) and no checksum (the AEAD covers integrity).
 */
export function encodeShort(m: I2NPMessage): Buffer {
  checkHeaderFields(m);
  if (!Number.isSafeInteger(m.expiration) || m.expiration < 0) throw new RangeError(`invalid expiration ${m.expiration}`);
  const b = Buffer.allocUnsafe(SHORT_HEADER_LENGTH + m.payload.length);
  b[0] = m.type;
  b.writeUInt32BE(m.msgId, 1);
  // Unsigned seconds wrap in 2106 (i2np.rst header notes).
  b.writeUInt32BE(Math.floor(m.expiration / 1000) % 0x1_0000_0000, 5);
  b.set(m.payload, SHORT_HEADER_LENGTH);
  return b;
}

/** Decodes a short-header message; the whole buffer after the 9-byte header is the payload (a view). */
export function decodeShort(buf: Buffer): I2NPMessage {
  const r = new ByteReader(buf);
  const type = r.u8('I2NP type');
  const msgId = r.u32('I2NP msgId');
  const expiration = r.u32('I2NP short expiration') * 1000;
  return { type, msgId, expiration, payload: r.rest() };
}
