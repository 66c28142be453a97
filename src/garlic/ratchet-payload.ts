/**
 * The decrypted payload of ECIES-X25519-AEAD-Ratchet messages (ecies.rst "5) Payload"): a
 * sequence of blocks, each blk (1) || size (2, big-endian) || data. Used by the one-time-key
 * replies to DatabaseLookups (proposal 154) and by garlic messages to routers (ecies-routers.rst
 * "Payload": "the same block format as defined in [ECIES]").
 *
 * Implemented block types: DateTime (0), Termination (4), Garlic Clove (11), Padding (254).
 * Every other type is carried as `other` with its bytes: ecies.rst says receivers "MUST ignore
 * blocks with unknown type numbers, and treat them as padding", and Options/ACK/Next Key only
 * mean something inside a full ratchet session, which routers do not have.
 *
 * Ordering rules (ecies.rst "Block Ordering Rules", Existing Session): Padding, if present, is
 * the last block and appears at most once; Termination, if present, is the last block except
 * for Padding. Both are enforced on decode and encode.
 */
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { SHORT_HEADER_LENGTH, type I2NPMessage } from '../i2np/message.js';
import { deliveryInstructionsLength, readDeliveryInstructions, writeDeliveryInstructions, type GarlicDeliveryInstructions } from './delivery-instructions.js';

export const RatchetBlockType = {
  DateTime: 0,
  Termination: 4,
  Options: 5,
  MessageNumber: 6,
  NextKey: 7,
  Ack: 8,
  AckRequest: 9,
  GarlicClove: 11,
  Padding: 254,
} as const;

/** ecies.rst: "Maximum total block size is 65519 bytes" (65535-byte frame minus the 16-byte MAC). */
export const MAX_RATCHET_PAYLOAD = 65519;
export const BLOCK_HEADER_LENGTH = 3;
const DATETIME_LENGTH = 4;
const OWN_FORM: ReadonlySet<number> = new Set([RatchetBlockType.DateTime, RatchetBlockType.Termination, RatchetBlockType.GarlicClove, RatchetBlockType.Padding]);

/**
 * ecies.rst "Garlic Clove": delivery instructions, then the I2NP message with the 9-byte short
 * header (type, message id, expiration in seconds) and its body; no clove id, certificate or
 * clove expiration as in the ElGamal format.
 */
export interface GarlicClove {
  delivery: GarlicDeliveryInstructions;
  /** expiration in ms; whole seconds on the wire (rounded down when encoding). */
  message: I2NPMessage;
}

export type RatchetBlock =
  /** timestamp in ms (whole seconds on the wire). */
  | { type: 'datetime'; timestamp: number }
  | { type: 'clove'; clove: GarlicClove }
  | { type: 'termination'; reason: number; data: Buffer }
  /** Encoded as zeros ("All-zero padding is fine, as it will be encrypted"). */
  | { type: 'padding'; length: number }
  | { type: 'other'; blockType: number; data: Buffer };

/** Bytes a Garlic Clove block carrying `payloadLength` bytes of I2NP body takes, header included. */
export function cloveBlockLength(delivery: GarlicDeliveryInstructions, payloadLength: number): number {
  return BLOCK_HEADER_LENGTH + deliveryInstructionsLength(delivery) + SHORT_HEADER_LENGTH + payloadLength;
}

function blockDataLength(b: RatchetBlock): number {
  switch (b.type) {
    case 'datetime':
      return DATETIME_LENGTH;
    case 'clove':
      return cloveBlockLength(b.clove.delivery, b.clove.message.payload.length) - BLOCK_HEADER_LENGTH;
    case 'termination':
      return 1 + b.data.length;
    case 'padding':
      return b.length;
    case 'other':
      return b.data.length;
  }
}

function checkOrder(blocks: readonly { type: string }[]): void {
  const n = blocks.length;
  for (let i = 0; i < n; i++) {
    const t = blocks[i]!.type;
    if (t === 'padding' && i !== n - 1) throw new DataFormatError('ratchet payload: padding block is not the last block', 'block-order');
    if (t === 'termination' && !(i === n - 1 || (i === n - 2 && blocks[n - 1]!.type === 'padding'))) {
      throw new DataFormatError('ratchet payload: termination block is not the last non-padding block', 'block-order');
    }
  }
}

function secondsField(ms: number, what: string): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`invalid ${what} ${ms}`);
  // Unsigned seconds, wrapping in 2106 (ecies.rst DateTime, i2np.rst short header).
  return Math.floor(ms / 1000) % 0x1_0000_0000;
}

/** Encodes blocks into a payload (before AEAD encryption). Throws RangeError on invalid input. */
export function encodeRatchetPayload(blocks: readonly RatchetBlock[]): Buffer {
  try {
    checkOrder(blocks);
  } catch (e) {
    throw new RangeError((e as Error).message);
  }
  const w = new ByteWriter();
  for (const b of blocks) {
    const size = blockDataLength(b);
    if (size > MAX_RATCHET_PAYLOAD - BLOCK_HEADER_LENGTH) throw new RangeError(`ratchet block of ${size} bytes`);
    switch (b.type) {
      case 'datetime':
        w.u8(RatchetBlockType.DateTime).u16(size).u32(secondsField(b.timestamp, 'DateTime'));
        break;
      case 'clove': {
        const m = b.clove.message;
        if (!Number.isInteger(m.type) || m.type < 0 || m.type > 255) throw new RangeError(`invalid I2NP type ${m.type}`);
        if (!Number.isInteger(m.msgId) || m.msgId < 0 || m.msgId > 0xffffffff) throw new RangeError(`invalid I2NP msgId ${m.msgId}`);
        w.u8(RatchetBlockType.GarlicClove).u16(size);
        writeDeliveryInstructions(w, b.clove.delivery);
        w.u8(m.type).u32(m.msgId).u32(secondsField(m.expiration, 'expiration')).bytes(m.payload);
        break;
      }
      case 'termination':
        if (!Number.isInteger(b.reason) || b.reason < 0 || b.reason > 255) throw new RangeError(`invalid termination reason ${b.reason}`);
        w.u8(RatchetBlockType.Termination).u16(size).u8(b.reason).bytes(b.data);
        break;
      case 'padding':
        if (!Number.isInteger(b.length) || b.length < 0) throw new RangeError(`invalid padding length ${b.length}`);
        w.u8(RatchetBlockType.Padding).u16(size).bytes(Buffer.alloc(b.length));
        break;
      case 'other':
        // Types with a form of their own must use it, so their contents are checked.
        if (!Number.isInteger(b.blockType) || b.blockType < 0 || b.blockType > 255 || OWN_FORM.has(b.blockType)) {
          throw new RangeError(`block type ${b.blockType} cannot be sent as 'other'`);
        }
        w.u8(b.blockType).u16(size).bytes(b.data);
        break;
    }
    if (w.size > MAX_RATCHET_PAYLOAD) throw new RangeError(`ratchet payload over ${MAX_RATCHET_PAYLOAD} bytes`);
  }
  return w.toBuffer();
}

function readClove(r: ByteReader): GarlicClove {
  const delivery = readDeliveryInstructions(r);
  const type = r.u8('clove I2NP type');
  const msgId = r.u32('clove I2NP msgId');
  const expiration = r.u32('clove I2NP expiration') * 1000;
  return { delivery, message: { type, msgId, expiration, payload: r.rest() } };
}

/**
 * Decodes a decrypted payload. Every block is read through a sub-reader bounded by its size, so
 * a malformed block can never run into the next one (ecies.rst Garlic Clove notes). Throws
 * DataFormatError on truncation, a wrong DateTime size, an empty Termination, misplaced
 * Padding/Termination, or more than MAX_RATCHET_PAYLOAD bytes. Block data are views.
 */
export function decodeRatchetPayload(payload: Buffer): RatchetBlock[] {
  if (payload.length > MAX_RATCHET_PAYLOAD) throw new DataFormatError(`ratchet payload of ${payload.length} bytes`, 'oversize');
  const r = new ByteReader(payload);
  const blocks: RatchetBlock[] = [];
  while (r.remaining > 0) {
    const blockType = r.u8('ratchet block type');
    const size = r.u16('ratchet block size');
    const d = r.sub(size, 'ratchet block data');
    switch (blockType) {
      case RatchetBlockType.DateTime:
        if (size !== DATETIME_LENGTH) throw new DataFormatError(`DateTime block of ${size} bytes`, 'malformed');
        blocks.push({ type: 'datetime', timestamp: d.u32('DateTime') * 1000 });
        break;
      case RatchetBlockType.GarlicClove:
        blocks.push({ type: 'clove', clove: readClove(d) });
        break;
      case RatchetBlockType.Termination:
        blocks.push({ type: 'termination', reason: d.u8('termination reason'), data: d.rest() });
        break;
      case RatchetBlockType.Padding:
        blocks.push({ type: 'padding', length: size });
        break;
      default:
        blocks.push({ type: 'other', blockType, data: d.rest() });
    }
  }
  checkOrder(blocks);
  return blocks;
}

/** The Garlic Cloves of a decoded payload, in order. */
export function cloves(blocks: readonly RatchetBlock[]): GarlicClove[] {
  const out: GarlicClove[] = [];
  for (const b of blocks) if (b.type === 'clove') out.push(b.clove);
  return out;
}
