/**
 * Garlic Clove Delivery Instructions (i2np.rst "Garlic Clove Delivery Instructions"), the same
 * for ElGamal/AES and ECIES-X25519-AEAD-Ratchet cloves (NOT the tunnel-message delivery
 * instructions, which differ):
 *
 *   flag (1): bit 7 encrypted (unimplemented, always 0) | bits 6-5 type (0 LOCAL, 1 DESTINATION,
 *             2 ROUTER, 3 TUNNEL) | bit 4 delay present (not fully implemented) | bits 3-0 reserved
 *   [session key (32) if encrypted] [to hash (32) unless LOCAL] [tunnel id (4) if TUNNEL] [delay (4)]
 *
 * Lengths in practice: 1 (LOCAL), 33 (ROUTER, DESTINATION), 37 (TUNNEL).
 */
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';

export type GarlicDeliveryInstructions =
  | { kind: 'local' }
  | { kind: 'destination'; hash: Buffer }
  | { kind: 'router'; hash: Buffer }
  | { kind: 'tunnel'; gateway: Buffer; tunnelId: number };

const KINDS = ['local', 'destination', 'router', 'tunnel'] as const;
const FLAG_ENCRYPTED = 0x80;
const FLAG_DELAY = 0x10;

export const LOCAL_DELIVERY: GarlicDeliveryInstructions = Object.freeze({ kind: 'local' });

export function deliveryInstructionsLength(d: GarlicDeliveryInstructions): number {
  return d.kind === 'local' ? 1 : d.kind === 'tunnel' ? 37 : 33;
}

export function writeDeliveryInstructions(w: ByteWriter, d: GarlicDeliveryInstructions): void {
  w.u8(KINDS.indexOf(d.kind) << 5);
  if (d.kind === 'local') return;
  const hash = d.kind === 'tunnel' ? d.gateway : d.hash;
  if (hash.length !== 32) throw new RangeError('delivery instructions hash must be 32 bytes');
  w.bytes(hash);
  if (d.kind === 'tunnel') {
    if (!Number.isInteger(d.tunnelId) || d.tunnelId < 1 || d.tunnelId > 0xffffffff) throw new RangeError(`invalid tunnel id ${d.tunnelId}`);
    w.u32(d.tunnelId);
  }
}

/**
 * Reads delivery instructions. An encrypted clove (bit 7) is refused: the spec leaves it
 * unimplemented, so nobody can produce a meaningful one. A delay field is read and dropped
 * (never honoured by current routers). A TUNNEL instruction to tunnel 0 is malformed.
 */
export function readDeliveryInstructions(r: ByteReader): GarlicDeliveryInstructions {
  const flag = r.u8('delivery instructions flag');
  if (flag & FLAG_ENCRYPTED) throw new DataFormatError('encrypted garlic clove delivery instructions are not implemented', 'unsupported');
  const kind = KINDS[(flag >> 5) & 3]!;
  let d: GarlicDeliveryInstructions;
  if (kind === 'local') d = LOCAL_DELIVERY;
  else {
    const hash = r.bytes(32, 'delivery instructions hash');
    if (kind === 'tunnel') {
      const tunnelId = r.u32('delivery instructions tunnel id');
      if (tunnelId === 0) throw new DataFormatError('garlic clove to tunnel 0', 'tunnel-id');
      d = { kind, gateway: hash, tunnelId };
    } else d = { kind, hash };
  }
  if (flag & FLAG_DELAY) r.u32('delivery instructions delay');
  return d;
}
