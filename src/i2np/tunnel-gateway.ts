/**
 * i2np.rst "TunnelGateway" (type 19): wraps an I2NP message to be sent into a tunnel at the
 * tunnel's inbound gateway. tunnelId (4, nonzero) || length (2) || an I2NP message with the
 * standard 16-byte header (i2np.rst notes: "The payload is an I2NP message with a standard
 * 16-byte header").
 *
 * A floodfill uses it to answer a lookup or acknowledge a store whose reply goes to an inbound
 * tunnel: the whole TunnelGateway message is handed to the gateway router over a transport.
 */
import { ByteReader } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { encodeStandard, readStandard, type I2NPMessage } from './message.js';

export const TUNNEL_GATEWAY_HEADER_LENGTH = 6;
/** The 2-byte length field bounds the wrapped message (header included). */
export const MAX_TUNNEL_GATEWAY_DATA = 0xffff;

export interface TunnelGateway {
  /** The inbound tunnel at the receiving gateway; never 0. */
  tunnelId: number;
  /** The wrapped message (sent with the standard header). */
  message: I2NPMessage;
}

function checkTunnelId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`invalid TunnelGateway tunnel id ${id}`);
}

/** Encodes an already standard-encoded message; lets a caller wrap the same bytes for many tunnels. */
export function encodeTunnelGatewayRaw(tunnelId: number, standardMessage: Uint8Array): Buffer {
  checkTunnelId(tunnelId);
  if (standardMessage.length > MAX_TUNNEL_GATEWAY_DATA) throw new RangeError(`TunnelGateway data of ${standardMessage.length} bytes`);
  const b = Buffer.allocUnsafe(TUNNEL_GATEWAY_HEADER_LENGTH + standardMessage.length);
  b.writeUInt32BE(tunnelId, 0);
  b.writeUInt16BE(standardMessage.length, 4);
  b.set(standardMessage, TUNNEL_GATEWAY_HEADER_LENGTH);
  return b;
}

export function encodeTunnelGateway(m: TunnelGateway): Buffer {
  return encodeTunnelGatewayRaw(m.tunnelId, encodeStandard(m.message));
}

/**
 * Decodes a TunnelGateway payload: a nonzero tunnel id, a length that matches the rest of the
 * payload exactly, and one standard-header I2NP message (size and checksum checked) filling it.
 * The wrapped payload is a view into the input.
 */
export function decodeTunnelGateway(payload: Buffer): TunnelGateway {
  const r = new ByteReader(payload);
  const tunnelId = r.u32('TunnelGateway tunnel id');
  if (tunnelId === 0) throw new DataFormatError('TunnelGateway to tunnel 0', 'tunnel-id');
  const length = r.u16('TunnelGateway length');
  const data = r.sub(length, 'TunnelGateway data');
  r.expectEnd('TunnelGateway');
  const message = readStandard(data);
  data.expectEnd('TunnelGateway message');
  return { tunnelId, message };
}
